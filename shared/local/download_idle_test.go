package local_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/local"
)

// TestObjectsStalledDownloadCut: a download whose client stops reading is cut once a write has
// waited downloadIdleTimeout, rather than holding its connection and file for ever (found from
// outside: nothing bounded a response's writes); a client that reads gets the whole object.
// The reading client runs under the real bound (60 s), so that a test process descheduled for
// a moment on a loaded machine is not taken for a stalled client; only the stalled one runs
// under the shortened bound.
func TestObjectsStalledDownloadCut(t *testing.T) {
	objs := objectsServer(t, t.TempDir(), nil)
	ctx := context.Background()
	const size = 32 << 20 // far more than the sockets' buffers hold
	if err := objs.Put(ctx, "outputs/t/big", bytes.NewReader(make([]byte, size))); err != nil {
		t.Fatal(err)
	}
	p, err := objs.PresignGet(ctx, "outputs/t/big", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	get := func(stall time.Duration) int64 {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET "+u.RequestURI()+" HTTP/1.1\r\nHost: "+u.Host+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(stall)                                      // reads nothing meanwhile
		conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // hang protection only
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return n
	}
	if n := get(0); n != size {
		t.Fatalf("a client that reads: %d bytes, want %d", n, size)
	}
	defer local.SetDownloadIdleTimeout(300 * time.Millisecond)()
	if n := get(3 * time.Second); n >= size {
		t.Errorf("a client that read nothing for 3 s (10 × the idle bound) still got the whole %d bytes: the download was not cut", n)
	}
}
