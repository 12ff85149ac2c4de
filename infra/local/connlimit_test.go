//go:build linux

package local

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestIdleConnectionsLeaveTheStackItsDescriptors: with the process's open-file limit low,
// clients that each leave a keep-alive connection idle after one request do not take the
// descriptors the stack needs: every one of them is answered (at the cap the longest-idle
// connection is closed to make room), and a job submitted after them completes. Before the cap,
// the server accepted connections until it ran out of descriptors: the next connection was
// never accepted (for the idle ones' 2 minutes), and the queues could not open the database.
// It lowers the whole test process's limit while it runs, so it must not be made parallel.
func TestIdleConnectionsLeaveTheStackItsDescriptors(t *testing.T) {
	var was syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &was); err != nil {
		t.Skip(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	// The stack, the test's own end of each connection and the job share this limit; the cap
	// leaves the stack connReserve of it.
	const clients = 150
	low := was
	low.Cur = uint64(len(fds)) + 300
	if low.Cur > was.Cur {
		t.Skipf("open-file limit %d already below %d", was.Cur, low.Cur)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &was) }) // after the stack's Close
	s := startStack(t, Config{}, pipeline.Hooks{})
	addr := strings.TrimPrefix(s.URL, "http://")
	for i := range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /v1/jobs HTTP/1.1\r\nHost: ream\r\nAuthorization: Bearer %s\r\n\r\n", DefaultKey)
		c.SetReadDeadline(time.Now().Add(hangProtection / 4)) // a hang guard: unanswered, it waits for ever
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d (of %d left idle after one request each, open-file limit %d) not answered: %v", i, clients, low.Cur, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("connection %d: %s", i, resp.Status)
		}
	}
	ctx := testCtx(t)
	c := defaultClient(s)
	req := lineJob("beside idle connections", job.OneDocPerLine)
	req.Analyses = []job.Analysis{job.Language}
	res := createAndUpload(t, ctx, c, req, []byte("hello world, this is a test\nbonjour le monde, ceci est un essai\n"))
	if _, j := follow(t, ctx, c, res.JobId); j.JobStatus != job.Completed {
		t.Fatalf("job %s: %s", j.JobStatus, j.Message)
	}
}

func TestConnCap(t *testing.T) {
	for _, tc := range []struct {
		nofile uint64
		want   int
	}{
		{0, maxConnections},
		{256, 64},
		{1024, 448},
		{20000, 9936},
		{1 << 20, maxConnections},
		{100, 16},
	} {
		if got := connCap(tc.nofile); got != tc.want {
			t.Errorf("connCap(%d) = %d, want %d", tc.nofile, got, tc.want)
		}
	}
}

// TestConnLimiterWaitsForIdle: at the cap with no connection idle, a new connection waits; once
// the busy one's answer is sent and it turns idle, it is closed for the new one, which is then
// answered; Shutdown then returns (Accept, waiting at the cap, ends with the listener).
func TestConnLimiterWaitsForIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limited := newConnLimiter(ln, 1, testLogger(t))
	release := make(chan struct{})
	srv := &http.Server{ConnState: limited.ConnState, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, "ok")
	})}
	go srv.Serve(limited)
	send := func(path string) (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(hangProtection)) // a hang guard
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		return c, bufio.NewReader(c)
	}
	answer := func(what string, br *bufio.Reader) {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_, busy := send("/slow")
	waitFor(t, testCtx(t), "the slow request to hold the only slot", func() bool { return len(limited.slots) == 1 })
	_, next := send("/fast") // waits to be accepted
	close(release)
	answer("the busy connection", busy)
	answer("the connection past the cap", next)
	if _, err := busy.ReadByte(); err != io.EOF {
		t.Errorf("the idle connection was not closed to make room: read %v", err)
	}
	if err := srv.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestConnLimiterClosesIdleOnlyForANewConnection: at the cap, a keep-alive connection that
// turns idle stays open while no new connection arrives, and one on which the next request has
// begun to arrive is not closed for a new connection: its request is answered, then it is
// closed for the new one, which is answered too. The limiter took its slot before accepting,
// so at the cap it closed every connection the moment it turned idle (a client's next upload on
// it failed), and it closed a connection whose request header it was reading.
func TestConnLimiterClosesIdleOnlyForANewConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limited := newConnLimiter(ln, 2, testLogger(t))
	release := make(chan struct{})
	idled := make(chan struct{}, 1)
	srv := &http.Server{ConnState: func(c net.Conn, st http.ConnState) {
		limited.ConnState(c, st)
		if st == http.StateIdle {
			select {
			case idled <- struct{}{}:
			default:
			}
		}
	}, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, "ok")
	})}
	go srv.Serve(limited)
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(hangProtection)) // a hang guard
		return c, bufio.NewReader(c)
	}
	answer := func(what string, br *bufio.Reader) {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	hog, hogr := dial()
	fmt.Fprintf(hog, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, testCtx(t), "the slow request to hold a slot", func() bool { return len(limited.slots) == 1 })
	kept, keptr := dial()
	fmt.Fprintf(kept, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
	answer("the first request", keptr)
	// At the cap, idle, and no new connection; then the next request begins to arrive.
	<-idled
	fmt.Fprintf(kept, "GET /fast HTTP/1.1\r\n")
	waitFor(t, testCtx(t), "the request's first bytes to be read", func() bool {
		limited.mu.Lock()
		defer limited.mu.Unlock()
		return len(limited.idle) == 0
	})
	next, nextr := dial() // at the cap; the only connection that was idle has a request arriving
	fmt.Fprintf(next, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
	fmt.Fprintf(kept, "Host: x\r\n\r\n")
	answer("the request on the connection kept at the cap", keptr)
	answer("the new connection", nextr)
	if _, err := keptr.ReadByte(); err != io.EOF {
		t.Errorf("the idle connection was not closed for the new one: read %v", err)
	}
	close(release)
	answer("the slow request", hogr)
	if err := srv.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestConnLimiterShutdownWhileAConnectionWaits: a connection accepted at the cap, waiting for a
// slot, is closed when the server shuts down, and Shutdown returns.
func TestConnLimiterShutdownWhileAConnectionWaits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limited := newConnLimiter(ln, 1, testLogger(t))
	release := make(chan struct{})
	srv := &http.Server{ConnState: limited.ConnState, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "ok")
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(limited) }()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(hangProtection)) // a hang guard
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		return c
	}
	dial()
	waitFor(t, testCtx(t), "the busy request to hold the only slot", func() bool { return len(limited.slots) == 1 })
	waiting := dial()
	limited.Close()
	if err := <-served; err == nil {
		t.Error("Serve returned no error after its listener closed")
	}
	if _, err := waiting.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the waiting connection was not closed: read %v", err) // EOF or a reset: its request was not read
	}
	close(release)
	if err := srv.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}
