package handlers

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestStalledBodyAnswered: a request whose body stops arriving is answered with a 400 once
// bodyReadTimeout has passed, instead of holding its connection open (found from outside:
// `Content-Length: 1000` and one byte, still open after 90 s); a body that arrives is read as
// before, and its handler may run past the timeout (the deadline is cleared at the body's end).
func TestStalledBodyAnswered(t *testing.T) {
	old := bodyReadTimeout
	bodyReadTimeout = 300 * time.Millisecond
	defer func() { bodyReadTimeout = old }()
	a := NewAPI(nil, NewKeyAuth(map[string]string{"k": "t"}), nil)
	a.HandleAuthed("POST /v1/test", func(w http.ResponseWriter, r *http.Request, _ string) {
		var v struct{ A string }
		if err := decodeJSON(r.Body, &v, "a test object", true); err != nil {
			a.Fail(w, r, err)
			return
		}
		select {
		case <-time.After(2 * bodyReadTimeout): // a handler longer than the body's deadline
		case <-r.Context().Done():
			http.Error(w, "cancelled", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, v.A)
	})
	srv := httptest.NewServer(a)
	defer srv.Close()
	send := func(body string, length int) (*http.Response, string) {
		t.Helper()
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/test HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", length, body)
		conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // hang protection only
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, b := send("{", 1000); resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "did not arrive within") {
		t.Errorf("stalled body: %d %s, want a 400 saying so", resp.StatusCode, b)
	}
	if resp, b := send(`{"A":"done"}`, 12); resp.StatusCode != http.StatusOK || b != "done" {
		t.Errorf("a whole body with a long handler: %d %s, want 200 done", resp.StatusCode, b)
	}
}
