package local

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestDownloadRangesAsS3 downloads a job's output.tar.gz through its presigned URL with the
// headers a download tool sends. A single range, open (`curl -C -`), closed or a suffix, is a
// 206 with Content-Range; a resumed download with If-Range naming the ETag gets the rest and
// with another ETag the whole object; a range past the end is a 416 with `Content-Range: bytes
// */<size>` (curl then takes the file as complete); If-None-Match with the ETag is a 304 and
// If-Match with another a 412. Several ranges in one request are answered as S3 answers them,
// the whole object with 200 (S3 serves one range per GET and ignores a list); before, the local
// store answered a multipart/byteranges 206, which a client written against it would parse and
// AWS never sends. So is a Range S3 ignores: malformed, reversed, of another unit (net/http
// answered them 416).
func TestDownloadRangesAsS3(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	res := createAndUpload(t, ctx, c, lineJob("ranges", job.OneDocPerLine), readSample(t))
	follow(t, ctx, c, res.JobId)
	links, err := c.Results(ctx, res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	get := func(h ...string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, links.Output.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	resp, whole := get()
	n := len(whole)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || n < 100 || etag == "" || resp.Header.Get("Accept-Ranges") != "bytes" ||
		resp.Header.Get("Content-Length") != fmt.Sprint(n) || resp.Header.Get("Last-Modified") == "" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("GET: %d, %d bytes, headers %v", resp.StatusCode, n, resp.Header)
	}
	if _, err := time.Parse(http.TimeFormat, resp.Header.Get("Last-Modified")); err != nil {
		t.Errorf("Last-Modified %q is not an HTTP date: %v", resp.Header.Get("Last-Modified"), err)
	}
	for _, tc := range []struct {
		name      string
		headers   []string
		status    int
		body      string
		wantRange string
	}{
		{"resume from 10 (curl -C -)", []string{"Range", "bytes=10-"}, 206, whole[10:], fmt.Sprintf("bytes 10-%d/%d", n-1, n)},
		{"bytes 10-19", []string{"Range", "bytes=10-19"}, 206, whole[10:20], fmt.Sprintf("bytes 10-19/%d", n)},
		{"last 5 bytes", []string{"Range", "bytes=-5"}, 206, whole[n-5:], fmt.Sprintf("bytes %d-%d/%d", n-5, n-1, n)},
		{"If-Range with the ETag", []string{"Range", "bytes=10-", "If-Range", etag}, 206, whole[10:], fmt.Sprintf("bytes 10-%d/%d", n-1, n)},
		{"If-Range with another ETag", []string{"Range", "bytes=10-", "If-Range", `"other"`}, 200, whole, ""},
		{"resume of a complete file", []string{"Range", fmt.Sprintf("bytes=%d-", n)}, 416, "", fmt.Sprintf("bytes */%d", n)},
		{"two ranges", []string{"Range", "bytes=0-1,5-6"}, 200, whole, ""},
		{"a malformed range", []string{"Range", "bytes=abc"}, 200, whole, ""},
		{"a reversed range", []string{"Range", "bytes=20-10"}, 200, whole, ""},
		{"another unit", []string{"Range", "items=0-1"}, 200, whole, ""},
		{"no range at all", []string{"Range", "bytes=-"}, 200, whole, ""},
		{"If-None-Match with the ETag", []string{"If-None-Match", etag}, 304, "", ""},
		{"If-Match with another ETag", []string{"If-Match", `"other"`}, 412, "", ""},
	} {
		resp, body := get(tc.headers...)
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Range") != tc.wantRange || (tc.body != "" || tc.status == 206) && body != tc.body {
			t.Errorf("%s: %d (%s, Content-Range %q, %d bytes), want %d with Content-Range %q and %d bytes",
				tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Range"), len(body), tc.status, tc.wantRange, len(tc.body))
		}
	}
}
