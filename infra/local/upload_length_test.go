package local

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// rawPut sends a presigned upload's PUT as written, headers and body, over its own connection:
// head is what follows the signed headers (a Content-Length or none), body what is sent then.
// With cut, it then closes its side, as a client that stops mid-body (without: net/http takes
// a connection closed after a whole request for a client gone, and cancels the request). It
// returns the status line and body of the answer.
func rawPut(t *testing.T, p api.Presigned, head, body string, cut bool) (status, answer string) {
	t.Helper()
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req strings.Builder
	fmt.Fprintf(&req, "PUT %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	for k, v := range p.Headers {
		fmt.Fprintf(&req, "%s: %s\r\n", k, v)
	}
	req.WriteString(head + "\r\n" + body)
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatal(err)
	}
	if cut {
		conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the PUT: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status, string(b)
}

// TestUploadWithoutContentLength: a PUT to an upload URL with neither a Content-Length nor a
// Transfer-Encoding (`curl -X PUT <url>` with no file, a client that forgot its body) is S3's 411
// MissingContentLength and stores nothing, so the job still waits for its input. Before, net/http
// read it as an empty body: the local store answered 200 and stored 0 bytes, and the job failed
// ("the uploaded file is empty"), where on AWS the user could upload again. A body cut short
// (the client closes its side mid-body) stores nothing either, and the complete PUT after both
// starts the job.
func TestUploadWithoutContentLength(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	res, err := c.CreateJob(ctx, lineJob("no-length", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	p := res.Upload.Presigned
	const doc = "I love it.\nIt was awful.\n"
	if status, body := rawPut(t, p, "Connection: close\r\n", "", false); !strings.HasPrefix(status, "411") || !strings.Contains(body, "MissingContentLength") {
		t.Errorf("PUT without Content-Length: %s %s, want 411 MissingContentLength", status, body)
	}
	if status, body := rawPut(t, p, "Content-Length: 1000\r\n", doc, true); !strings.HasPrefix(status, "400") || !strings.Contains(body, "IncompleteBody") {
		t.Errorf("PUT cut short: %s %s, want 400 IncompleteBody", status, body)
	}
	if j, err := c.Describe(ctx, res.JobId); err != nil || j.JobStatus != job.AwaitingInput {
		t.Fatalf("after the refused PUTs: %v, want the job AWAITING_INPUT", describeStatus(j, err))
	}
	if status, body := rawPut(t, p, fmt.Sprintf("Content-Length: %d\r\nConnection: close\r\n", len(doc)), doc, false); !strings.HasPrefix(status, "200") {
		t.Fatalf("complete PUT: %s %s, want 200", status, body)
	}
	if _, j := follow(t, ctx, c, res.JobId); j.JobStatus != job.Completed || j.JobDetails.ProcessedDocumentsCount != 2 {
		t.Errorf("job after the complete PUT: %s %+v %s, want COMPLETED with 2 documents", j.JobStatus, j.JobDetails, j.Message)
	}
}

func describeStatus(j *job.Job, err error) string {
	if err != nil {
		return err.Error()
	}
	return string(j.JobStatus) + " " + j.Message
}
