package local

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// putUpload sends body to a presigned upload with the headers it was signed with plus extra.
func putUpload(t *testing.T, p api.Presigned, body io.Reader, size int64, extra map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(p.Method, p.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestUploadThatOutlivesItsURL: a PUT that began while the upload URL was valid and is still
// sending its body when the URL expires is cut then, answered 403 AccessDenied, and stores
// nothing; the job times out (found from outside: a body sent a byte at a time kept the upload
// going past its URL, up to the 409 at its end once the job had timed out).
func TestUploadThatOutlivesItsURL(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{UploadTTL: Duration(3 * time.Second), SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	res, err := c.CreateJob(ctx, lineJob("slow-upload", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	first, rest := "I love it.\n", "It was awful.\n"
	pr, pw := io.Pipe()
	defer pw.Close()
	answered := make(chan *http.Response, 1)
	go func() { answered <- putUpload(t, res.Upload.Presigned, pr, int64(len(first)+len(rest)), nil) }()
	if _, err := pw.Write([]byte(first)); err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	select { // the rest is never sent
	case resp = <-answered:
	case <-time.After(time.Until(res.Upload.Expires) + 5*time.Second):
		t.Fatalf("no answer 5 s after the upload URL expired at %s", res.Upload.Expires)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "expired") {
		t.Fatalf("the upload still sending when its URL expired: %d %s; want 403 saying the URL expired", resp.StatusCode, b)
	}
	if now := time.Now(); now.Before(res.Upload.Expires) {
		t.Errorf("answered at %s, before the URL's expiry %s", now, res.Upload.Expires)
	}
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := c.Describe(ctx, res.JobId)
	if err != nil || j.JobStatus != job.TimedOut {
		t.Fatalf("job %v, %v; want TIMED_OUT once its upload URL expired", j, err)
	}
	if _, err := os.Stat(filepath.Join(s.objectsDir, filepath.FromSlash(layout.UploadKey("local", res.JobId)))); !os.IsNotExist(err) {
		t.Errorf("the refused upload was stored: %v", err)
	}
}

// TestUploadThatOutlivesItsJob: a PUT that began while its job waited for input and ended after
// the job was stopped is refused (409) and stores nothing; it was answered 200 for an input the
// job never read (found from outside).
func TestUploadThatOutlivesItsJob(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	res, err := c.CreateJob(ctx, lineJob("slow-upload", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	first, rest := "I love it.\n", "It was awful.\n"
	pr, pw := io.Pipe()
	answered := make(chan *http.Response, 1)
	go func() { answered <- putUpload(t, res.Upload.Presigned, pr, int64(len(first)+len(rest)), nil) }()
	if _, err := pw.Write([]byte(first)); err != nil {
		t.Fatal(err)
	}
	// Stop only once the store is streaming the body, past the check at the request's start.
	dir := filepath.Join(s.objectsDir, "inputs", "local", res.JobId)
	waitFor(t, ctx, "the upload to be streaming", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, ".ream-tmp-*"))
		return len(m) > 0
	})
	if j, err := c.Stop(ctx, res.JobId); err != nil || j.JobStatus != job.Stopped {
		t.Fatalf("stop: %v, %v; want STOPPED", j, err)
	}
	pw.Write([]byte(rest))
	pw.Close()
	resp := <-answered
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "STOPPED") {
		t.Fatalf("the upload that ended after the job stopped: %d %s; want 409 saying the job is STOPPED", resp.StatusCode, b)
	}
	if _, err := os.Stat(filepath.Join(s.objectsDir, filepath.FromSlash(layout.UploadKey("local", res.JobId)))); !os.IsNotExist(err) {
		t.Errorf("the refused upload was stored: %v", err)
	}
}

// TestUploadContentMD5: a Content-MD5 that is not the body's is refused as S3 refuses it
// (400 BadDigest, InvalidDigest when it is no MD5) and stores nothing; the right one is taken
// (found from outside: a wrong one was answered 200, so a client's integrity check did nothing).
func TestUploadContentMD5(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	body := "I love it.\n"
	good := md5.Sum([]byte(body))
	other := md5.Sum([]byte("something else"))
	res, err := c.CreateJob(ctx, lineJob("md5", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		md5, code string
	}{
		{base64.StdEncoding.EncodeToString(other[:]), "BadDigest"},
		{"not-base64!", "InvalidDigest"},
		{base64.StdEncoding.EncodeToString([]byte("short")), "InvalidDigest"},
	} {
		resp := putUpload(t, res.Upload.Presigned, strings.NewReader(body), int64(len(body)), map[string]string{"Content-MD5": tc.md5})
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.code) {
			t.Errorf("Content-MD5 %q: %d %s; want 400 %s", tc.md5, resp.StatusCode, b, tc.code)
		}
	}
	if j, err := c.Describe(ctx, res.JobId); err != nil || j.JobStatus != job.AwaitingInput {
		t.Fatalf("after refused uploads the job is %v, %v; want still AWAITING_INPUT", j, err)
	}
	resp := putUpload(t, res.Upload.Presigned, strings.NewReader(body), int64(len(body)), map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(good[:])})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the right Content-MD5: %d", resp.StatusCode)
	}
	if _, j := follow(t, ctx, c, res.JobId); j.JobDetails.InputDocumentsCount != 1 {
		t.Errorf("job %s with %d documents", j.JobStatus, j.JobDetails.InputDocumentsCount)
	}
	// The same bytes again (a retry whose answer was lost) are checked too (they were answered
	// 200 whatever their Content-MD5, found from outside).
	for _, tc := range []struct{ md5, code string }{
		{base64.StdEncoding.EncodeToString(other[:]), "BadDigest"},
		{"not-base64!", "InvalidDigest"},
	} {
		resp := putUpload(t, res.Upload.Presigned, strings.NewReader(body), int64(len(body)), map[string]string{"Content-MD5": tc.md5})
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.code) {
			t.Errorf("the same bytes again with Content-MD5 %q: %d %s; want 400 %s", tc.md5, resp.StatusCode, b, tc.code)
		}
	}
	resp = putUpload(t, res.Upload.Presigned, strings.NewReader(body), int64(len(body)), map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(good[:])})
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the same bytes again with the right Content-MD5: %d, want 200", resp.StatusCode)
	}
}

// failingHead is an object store whose Head fails as a store that does not answer.
type failingHead struct{ pipeline.Objects }

func (failingHead) Head(context.Context, string) (pipeline.ObjectInfo, error) {
	return pipeline.ObjectInfo{}, errors.New("injected: the store timed out")
}

// TestUploadGuardFailsClosed: the upload guard lets an upload through only when it knows the job
// takes it; when the job or the object cannot be looked up it says so (the store answers 503,
// see TestObjectsPutGuard) instead of letting the upload replace an input unchecked (it let it
// through before).
func TestUploadGuardFailsClosed(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	res, err := c.CreateJob(ctx, lineJob("guard", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(res.Upload.Presigned.URL)
	if err != nil {
		t.Fatal(err)
	}
	key := u.Path[strings.Index(u.Path, layout.InputsPrefix):]
	tenant, _, ok := layout.UploadJob(key)
	if !ok {
		t.Fatalf("the upload URL's key %s is no job's upload key", key)
	}
	objects, err := sl.NewObjects(s.cfg.DataDir, s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := uploadGuard(ctx, s.Service, objects, key); err != nil {
		t.Fatalf("a job awaiting its input refused it: %v", err)
	}
	// Only a job's upload URL names such a key, so its job has expired (TestUploadToExpiredJobRefused).
	if err := uploadGuard(ctx, s.Service, objects, layout.UploadKey(tenant, "no-such-job")); !errors.Is(err, job.ErrConflict) {
		t.Errorf("a key of no job: guard = %v, want a refusal", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := uploadGuard(cancelled, s.Service, objects, key); err == nil || errors.Is(err, job.ErrConflict) {
		t.Errorf("the job could not be read: guard = %v, want an error that is not a refusal", err)
	}
	if err := uploadGuard(ctx, s.Service, failingHead{objects}, key); err == nil || errors.Is(err, job.ErrConflict) {
		t.Errorf("the object could not be looked up: guard = %v, want an error that is not a refusal", err)
	}
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "in", []byte("One.\n"))); err != nil {
		t.Fatal(err)
	}
	if err := uploadGuard(ctx, s.Service, objects, key); !errors.Is(err, job.ErrConflict) {
		t.Errorf("a second upload: guard = %v, want a refusal", err)
	}
}
