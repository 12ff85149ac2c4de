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

// A deployed stack's ApiUrl is signed with SigV4 in every partition: a China API
// (…execute-api.cn-north-1.amazonaws.com.cn) was sent the local stack's bearer key instead
// (found by the review of deployments outside us-east-1); other hosts need REAM_AUTH=sigv4.
func TestSigV4ForEveryPartitionsAPI(t *testing.T) {
	t.Setenv("REAM_AUTH", "")
	for ep, want := range map[string]bool{
		"https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com":      true,
		"https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn":  true,
		"https://a1b2c3d4e5.execute-api.us-gov-west-1.amazonaws.com/": true,
		"http://127.0.0.1:8080":   false,
		"https://api.example.com": false,
	} {
		if got := useSigV4(ep); got != want {
			t.Errorf("useSigV4(%s) = %v, want %v", ep, got, want)
		}
	}
}
