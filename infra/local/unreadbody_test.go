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
