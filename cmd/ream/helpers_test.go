package main

import (
	"os"
	"path/filepath"
	"testing"
)

// keyClient points the CLI at endpoint with the API key "k": no OAuth client, no SigV4.
func keyClient(t *testing.T, endpoint string) {
	t.Helper()
	t.Setenv("REAM_ENDPOINT", endpoint)
	t.Setenv("REAM_API_KEY", "k")
	t.Setenv("REAM_AUTH", "")
	t.Setenv("REAM_CLIENT_ID", "")
	t.Setenv("REAM_CLIENT_SECRET", "")
}

// stderrOf returns what fn prints on standard error.
func stderrOf(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = old }()
	fn()
	f.Close()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
