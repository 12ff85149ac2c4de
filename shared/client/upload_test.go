package client_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
)

// TestUploadRetriesUnavailable: a PUT answered 503 is sent again, whole, a bounded number of
// times; any other refusal is returned at once.
func TestUploadRetriesUnavailable(t *testing.T) {
	const data = "first line\nsecond line\n"
	p := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		fail      int32 // 503s before the store takes it
		status    int   // the failing status
		wantCalls int32
		wantErr   string
	}{
		{"unavailable twice", 2, http.StatusServiceUnavailable, 3, ""},
		{"unavailable always", 100, http.StatusServiceUnavailable, 4, "503"},
		{"conflict", 100, http.StatusConflict, 1, "409"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if string(b) != data || r.ContentLength != int64(len(data)) || r.Header.Get("X-Signed") != "yes" {
					t.Errorf("attempt %d sent %q (length %d, header %q)", calls.Load()+1, b, r.ContentLength, r.Header.Get("X-Signed"))
				}
				if calls.Add(1) <= tt.fail {
					api.WriteError(w, tt.status, "Refused", "not now")
					return
				}
			}))
			defer srv.Close()
			c := &client.Client{Endpoint: srv.URL}
			err := c.Upload(context.Background(), api.Presigned{URL: srv.URL + "/k", Method: http.MethodPut, Headers: map[string]string{"X-Signed": "yes"}}, p)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d attempts, want %d", got, tt.wantCalls)
			}
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Upload = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestUploadEmptyFileSendsContentLength: an empty file is PUT with Content-Length: 0, not
// chunked: S3 refuses a PUT whose body has no Content-Length (501 NotImplemented naming
// Transfer-Encoding), and net/http sends a non-nil body of length 0 chunked, so `ream submit`
// of an empty file failed its upload on AWS instead of failing the job with a Message.
func TestUploadEmptyFileSendsContentLength(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 || r.ContentLength != 0 || r.Header.Get("Content-Length") != "0" {
			t.Errorf("empty upload sent Transfer-Encoding %q, Content-Length %q", r.TransferEncoding, r.Header.Get("Content-Length"))
		}
	}))
	defer srv.Close()
	c := &client.Client{Endpoint: srv.URL}
	if err := c.Upload(context.Background(), api.Presigned{URL: srv.URL + "/k", Method: http.MethodPut}, p); err != nil {
		t.Fatal(err)
	}
}
