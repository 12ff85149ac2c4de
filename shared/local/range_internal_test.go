package local

import "testing"

// TestS3ServesRange lists which Range values a download honours (the others get the whole
// object, 200, as on S3): one range of bytes, closed with its end not before its start, open, or
// a suffix.
func TestS3ServesRange(t *testing.T) {
	for v, want := range map[string]bool{
		"bytes=0-0": true, "bytes=10-19": true, "bytes=10-": true, "bytes=-5": true, "bytes=0-99999999999": true,
		"bytes= 10-19":  true, // net/http trims the spaces around a range
		"bytes=0-1,5-6": false, "bytes=0-1, 5-6": false, "bytes=20-10": false, "bytes=abc": false,
		"bytes=-": false, "bytes=": false, "bytes=1-2-3": false, "bytes=+1-2": false, "bytes=-+5": false,
		"items=0-1": false, "Bytes=0-1": false, "": false, "bytes=99999999999999999999-": true,
	} {
		if got := s3ServesRange(v); got != want {
			t.Errorf("s3ServesRange(%q) = %v, want %v", v, got, want)
		}
	}
}
