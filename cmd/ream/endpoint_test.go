package main

import (
	"context"
	"strings"
	"testing"
)

// TestEndpointMustBeAURL: a REAM_ENDPOINT that is not an absolute http(s) URL is an error naming
// the variable, before any request (found from outside: "localhost:8080" failed with
// `unsupported protocol scheme "localhost"` and "127.0.0.1:8080" with a URL parse error).
func TestEndpointMustBeAURL(t *testing.T) {
	t.Setenv("REAM_API_KEY", "k")
	t.Setenv("REAM_CLIENT_ID", "")
	t.Setenv("REAM_CLIENT_SECRET", "")
	for _, ep := range []string{"localhost:8080", "127.0.0.1:8080", "ftp://127.0.0.1:8080", "http:/127.0.0.1"} {
		t.Setenv("REAM_ENDPOINT", ep)
		err := run(context.Background(), []string{"list"})
		if err == nil || !strings.Contains(err.Error(), "REAM_ENDPOINT") {
			t.Errorf("REAM_ENDPOINT=%s: %v; want an error naming REAM_ENDPOINT", ep, err)
		}
	}
}
