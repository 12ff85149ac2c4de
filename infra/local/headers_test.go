package local

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/pipeline"
)

// TestHeadersBounded: a request's line and headers over 64 KiB in all are refused with 431
// before they are buffered further; a request within that is served. At net/http's default of
// 1 MiB, each connection sending a large header held up to about 2 MB while it arrived (500 such
// connections took the server from 190 MB to 910 MB resident).
func TestHeadersBounded(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	addr := strings.TrimPrefix(s.URL, "http://")
	for _, c := range []struct {
		size int
		want int
	}{{60 << 10, http.StatusOK}, {100 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(20 * time.Second)) // hang protection only
		go fmt.Fprintf(conn, "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\nConnection: close\r\n\r\n", strings.Repeat("a", c.size))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("a %d-byte header: %v", c.size, err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != c.want {
			t.Errorf("a %d-byte header: %d, want %d", c.size, resp.StatusCode, c.want)
		}
	}
}
