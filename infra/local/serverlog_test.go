package local

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestServerErrorsReachTheLog: what net/http itself reports (a handler that panicked, accept
// failing for want of file descriptors) goes to the stack's logger at ERROR, so that it shows
// at the default level, warn. Found from outside: under `ulimit -n 256` the accept errors
// ("too many open files") went through the standard log at INFO and were dropped at warn, and
// a handler's panic would have been too.
func TestServerErrorsReachTheLog(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", PollInterval: Duration(10 * time.Millisecond), Workers: 2}
	s, err := Start(t.Context(), cfg, Options{Log: log,
		WrapObjects: func(o pipeline.Objects) pipeline.Objects { return panickyPresign{o} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	_, err = defaultClient(s).CreateJob(testCtx(t), lineJob("panics", job.OneDocPerLine))
	if err == nil {
		t.Fatal("create with a presign that panics: no error")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "panic serving") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if out := buf.String(); !strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, "panic serving") || !strings.Contains(out, "injected presign panic") {
		t.Fatalf("the handler's panic is not in the stack's log at ERROR (create: %v); log:\n%s", err, out)
	}
	// What a client alone causes stays below warn: a query with ';' is answered 400 by the API.
	buf.Reset()
	s.server.ErrorLog.Print("http: URL query contains semicolon, which is no longer a supported separator")
	if out := buf.String(); out != "" {
		t.Errorf("a client's ';' query logged at warn or above:\n%s", out)
	}
}

type panickyPresign struct{ pipeline.Objects }

func (panickyPresign) PresignPut(context.Context, string, time.Duration) (api.Presigned, error) {
	panic("injected presign panic")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// TestPublicURL: presigned URLs name publicURL when it is set (they named the address listened
// on, http://[::]:8080 for ":8080", which a client on another machine cannot reach), and a
// publicURL that is not an absolute http(s) URL with at most a canonical path is refused at start.
func TestPublicURL(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", PollInterval: Duration(10 * time.Millisecond), Workers: 2,
		PublicURL: "http://ream.example:8080/"}
	s, err := Start(t.Context(), cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	res, err := defaultClient(s).CreateJob(testCtx(t), lineJob("public", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	if res.Upload == nil || !strings.HasPrefix(res.Upload.URL, "http://ream.example:8080/objects/inputs/") {
		t.Fatalf("upload %+v; want a URL under publicURL", res.Upload)
	}
	// A path is the prefix a proxy strips (TestBehindAProxyUnderAPath); it must be canonical.
	for _, bad := range []string{"ream.example:8080", "ftp://ream.example", "http://u:p@ream.example", "http://",
		"http://ream.example/a/../ream", "http://ream.example//ream", "http://ream.example/ream?x=1", "http://ream.example/ream?", "http://ream.example/ream#top"} {
		c := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", PublicURL: bad}
		if s, err := Start(t.Context(), c, Options{Log: testLogger(t)}); err == nil || !strings.Contains(err.Error(), `"publicURL"`) {
			if s != nil {
				s.Close()
			}
			t.Errorf("publicURL %q: %v; want it refused, naming the field", bad, err)
		}
	}
}
