package local

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/pipeline"
)

// TestUploadEventNamesItsOwnVersion: two presigned PUTs of other bytes to one key at once (two
// uploads of one name into a drop folder, two `ream drop-rules close` of one batch, each with a
// URL of its own), the second stored while the first is between its move into place and its
// event. Each event names the version its PUT stored, as S3's do, so each starts its own job.
// Before, the first's event read the key again and named the second's version: both events
// named one version, and one of the two jobs was never started.
func TestUploadEventNamesItsOwnVersion(t *testing.T) {
	o, err := NewObjects(t.TempDir(), "http://example.invalid", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := "inputs/local/drop/batches/b1/_SUCCESS"
	var (
		mu     sync.Mutex
		events []pipeline.ObjectInfo
	)
	h := o.Handler(func(_ context.Context, info pipeline.ObjectInfo) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, info)
		return nil
	})
	put := func(body string) (int, pipeline.ObjectInfo) {
		p, err := o.PresignPut(ctx, key, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPut, strings.TrimPrefix(p.URL, "http://example.invalid"), bytes.NewReader([]byte(body)))
		for k, v := range p.Headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		info, err := o.Head(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Code, info
	}
	var second pipeline.ObjectInfo
	held := false // (the handler runs on this goroutine: no lock needed)
	o.afterStore = func(string) {
		if held {
			return
		}
		held = true
		code, info := put("2026-12-05T01:27:08.182Z\n")
		if code != http.StatusOK {
			t.Errorf("second PUT: %d", code)
		}
		second = info
	}
	code, _ := put("2026-12-05T01:27:08.17Z\n")
	if code != http.StatusOK {
		t.Fatalf("first PUT: %d", code)
	}
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	// events[0] is the second PUT's (it finished first), events[1] the first's.
	if events[0].ETag != second.ETag {
		t.Errorf("second PUT's event names %s, want its version %s", events[0].ETag, second.ETag)
	}
	if events[1].ETag == second.ETag || events[1].Size != int64(len("2026-12-05T01:27:08.17Z\n")) {
		t.Errorf("first PUT's event names %s (%d bytes), the second's version; want its own", events[1].ETag, events[1].Size)
	}
}
