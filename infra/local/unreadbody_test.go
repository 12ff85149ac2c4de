package local

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/pipeline"
)

// TestUnreadBodyAnsweredAtOnce: a request that announces a body it does not send is answered
// by a route that does not read the body, and its connection then closed, instead of being held
// unanswered while net/http waits for the body (found from outside: a GET with
// `Content-Length: 10` and no body was never answered; a 401 to a POST whose body was still on
// its way waited for the API's 30 s body deadline). A request whose body is read, or that has
// none, keeps its connection.
func TestUnreadBodyAnsweredAtOnce(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	addr := strings.TrimPrefix(s.URL, "http://")
	job := createAndUpload(t, testCtx(t), defaultClient(s), lineJob("unread", "ONE_DOC_PER_LINE"), []byte("hello world\n"))
	// Each request announces 10 bytes and sends none of them.
	for _, c := range []struct {
		req    string
		authed bool
	}{
		{"GET /v1/health", false}, // no GET route reads a body
		{"HEAD /v1/health", false},
		{"GET /v1/jobs/" + job.JobId, true},
		{"POST /v1/jobs", false},                       // no credentials: 401 before the body is read
		{"POST /v1/jobs/" + job.JobId + "/stop", true}, // a POST route that takes no body
		{"POST /v1/nowhere", true},                     // no such route
		{"GET /objects/x?X-Ream-Method=GET", false},    // the store: a bad signature
	} {
		req, auth := c.req, ""
		if c.authed {
			auth = "Authorization: Bearer " + DefaultKey + "\r\n"
		}
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "%s HTTP/1.1\r\nHost: x\r\n%sContent-Length: 10\r\n\r\n", req, auth)
		conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // hang protection only: the answer is due at once
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Errorf("%s with a body never sent: no answer: %v", req, err)
			conn.Close()
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if !resp.Close {
			t.Errorf("%s with a body never sent: %d without Connection: close", req, resp.StatusCode)
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%s with a body never sent: the connection was not closed after the answer (%v)", req, err)
		}
		conn.Close()
	}
	// A body that is sent and read, and a request without one, keep the connection.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // hang protection only
	br := bufio.NewReader(conn)
	for _, raw := range []string{
		"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + DefaultKey + "\r\nContent-Length: 2\r\n\r\n{}",
		"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		io.WriteString(conn, raw)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			t.Errorf("%q: answered %d with Connection: close, want the connection kept", raw, resp.StatusCode)
		}
	}
}

// TestRefusedLargeBodyAnswered: a request refused after reading only the start of a large body
// (a 400 for a retry body that is not JSON, a 413) gets its answer, not a reset: the connection
// is closed the way net/http closes one it did not read to the end (its write side first, the
// rest of the body drained for a moment), so the client's kernel does not discard the answer on
// a reset (found in review: TestBadRequests's 2 MB retry body failed now and then with
// "connection reset by peer" once an unread body closed the connection at once).
func TestRefusedLargeBodyAnswered(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	url := s.URL + "/v1/jobs/00000000-0000-4000-8000-000000000000/retry"
	for i := range 20 {
		for _, c := range []struct {
			body   string
			status int
		}{{strings.Repeat("x", 2<<20), 400}, {strings.Repeat(" ", 2<<20), 413}} {
			req, err := http.NewRequestWithContext(testCtx(t), "POST", url, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+DefaultKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("try %d, a %d-byte body: %v; want the %d answer", i, len(c.body), err, c.status)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("try %d: %d, want %d", i, resp.StatusCode, c.status)
			}
		}
	}
}
