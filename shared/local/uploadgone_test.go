package local

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/pipeline"
)

// TestUploadEventQueuedWhenTheClientGoes: a presigned PUT whose body arrived whole and was stored
// has its event queued even if the client goes away before the answer (Ctrl-C at the end of an
// upload, a browser tab closed: net/http then cancels the request's context). The event was
// queued with that context and failed ("upload stored but its event could not be queued"),
// leaving the job AWAITING_INPUT with its input stored until a sweep found it.
func TestUploadEventQueuedWhenTheClientGoes(t *testing.T) {
	o, err := NewObjects(t.TempDir(), "http://example.invalid", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	key := "inputs/local/job-1/input"
	var queued []pipeline.ObjectInfo
	h := o.Handler(func(ctx context.Context, info pipeline.ObjectInfo) error {
		if err := ctx.Err(); err != nil {
			return err // as the queue's write does with a cancelled context
		}
		queued = append(queued, info)
		return nil
	})
	p, err := o.PresignPut(t.Context(), key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	reqCtx, hangUp := context.WithCancel(t.Context())
	defer hangUp()
	o.afterStore = func(string) { hangUp() } // the client goes once the object is stored
	req := httptest.NewRequestWithContext(reqCtx, http.MethodPut, strings.TrimPrefix(p.URL, "http://example.invalid"), strings.NewReader("A calm day.\n"))
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
	if _, err := o.Head(t.Context(), key); err != nil {
		t.Fatalf("the upload was not stored: %v", err)
	}
	if len(queued) != 1 {
		t.Fatalf("%d events queued for the stored upload of a client that went away, want 1", len(queued))
	}
}
