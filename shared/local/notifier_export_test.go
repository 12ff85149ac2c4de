package local

import "time"

// MaxInflight exposes maxInflightPerURL to the notifier's external tests.
const MaxInflight = maxInflightPerURL

// SetUploadIdleTimeout shortens uploadIdleTimeout for a test; the returned func restores it.
func SetUploadIdleTimeout(d time.Duration) func() {
	old := uploadIdleTimeout
	uploadIdleTimeout = d
	return func() { uploadIdleTimeout = old }
}

// SetDownloadIdleTimeout shortens downloadIdleTimeout for a test; the returned func restores it.
func SetDownloadIdleTimeout(d time.Duration) func() {
	old := downloadIdleTimeout
	downloadIdleTimeout = d
	return func() { downloadIdleTimeout = old }
}
