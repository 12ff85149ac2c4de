package local

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// deadlineWriter records, for each write of a response, whether a write deadline was set since
// the previous write (http.ResponseController finds SetWriteDeadline on it).
type deadlineWriter struct {
	*httptest.ResponseRecorder
	mu        sync.Mutex
	armed     bool // a deadline was set since the last write
	writes    int
	unguarded int // writes with no deadline set since the previous one
}

func (d *deadlineWriter) SetWriteDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !t.IsZero() && t.After(time.Now()) {
		d.armed = true
	}
	return nil
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.mu.Lock()
	d.writes++
	if !d.armed {
		d.unguarded++
	}
	d.armed = false
	d.mu.Unlock()
	return d.ResponseRecorder.Write(p)
}

func (d *deadlineWriter) WriteString(s string) (int, error) { return d.Write([]byte(s)) }

func (d *deadlineWriter) Flush() { d.ResponseRecorder.Flush() }

// TestEventStreamWritesHaveADeadline: every write of the event stream (its events and its
// keep-alives) has a write deadline, as a download's has, so that a client that stops reading
// is cut once the socket's buffers are full rather than holding its connection, its place among
// the tenant's streams and a goroutine for as long as the job runs (found from outside: nothing
// bounded the stream's writes).
func TestEventStreamWritesHaveADeadline(t *testing.T) {
	restoreKeepAlive(t)
	keepAliveEvery = 50 * time.Millisecond
	s := startStack(t, Config{}, pipeline.Hooks{})
	res, err := defaultClient(s).CreateJob(testCtx(t), lineJob("quiet", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 700*time.Millisecond) // a few keep-alives, then the client goes
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/jobs/"+res.JobId+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultKey)
	w := &deadlineWriter{ResponseRecorder: httptest.NewRecorder()}
	s.server.Handler.ServeHTTP(w, req)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "event: progress") || !strings.Contains(w.Body.String(), ": keep-alive") {
		t.Fatalf("stream: %d %q; want a progress event and keep-alives", w.Code, w.Body.String())
	}
	if w.writes == 0 || w.unguarded > 0 {
		t.Errorf("%d of the stream's %d writes had no write deadline; want every one bounded", w.unguarded, w.writes)
	}
}
