package local

// MaxInflight exposes maxInflightPerURL to the notifier's external tests.
const MaxInflight = maxInflightPerURL
