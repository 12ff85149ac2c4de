package local

// MaxInflight exposes maxInflight to the notifier's external tests.
const MaxInflight = maxInflight
