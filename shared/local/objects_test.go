package local_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

func TestObjectsRejectsBadKeys(t *testing.T) {
	objs, err := local.NewObjects(t.TempDir(), "http://127.0.0.1:1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"", "/etc/passwd", "../escape", "a/../../b", "a//b", "a/./b", "a/", "nul\x00byte", `back\slash`, "a/.ream-tmp-x"} {
		if err := objs.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("Put(%q) = %v, want ErrInvalid", key, err)
		}
		if _, err := objs.Open(ctx, key, 0); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want ErrInvalid", key, err)
		}
		if _, err := objs.PresignPut(ctx, key, 60e9); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("PresignPut(%q) = %v, want ErrInvalid", key, err)
		}
	}
	// A prefix that no valid key can have lists nothing rather than escaping the root.
	if err := objs.List(ctx, "../", func(pipeline.ObjectInfo) error { t.Error("listed something"); return nil }); err != nil {
		t.Errorf("List(../) = %v", err)
	}
	// A key and a "directory" of keys cannot coexist on a file system: ErrInvalid, which no
	// retry can cure (finalize fails the job on it, TestOutputUnderAnObject).
	if err := objs.Put(ctx, "a/b", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := objs.Put(ctx, "a", strings.NewReader("x")); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("Put over a directory = %v, want ErrInvalid", err)
	}
	if err := objs.Put(ctx, "a/b/c", strings.NewReader("x")); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("Put under an object = %v, want ErrInvalid", err)
	}
}

func send(t *testing.T, method, url string, body string) (*http.Response, string) {
	t.Helper()
	return sendWith(t, method, url, nil, body)
}

// sendPut PUTs body to a presigned upload URL with the headers it was signed with.
func sendPut(t *testing.T, p api.Presigned, body string) (*http.Response, string) {
	t.Helper()
	return sendWith(t, http.MethodPut, p.URL, p.Headers, body)
}

func sendWith(t *testing.T, method, url string, headers map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestObjectsHandlerErrors(t *testing.T) {
	ctx := context.Background()
	objs := objectsServer(t, t.TempDir(), nil, local.WithMaxUploadSize(10))
	p, err := objs.PresignPut(ctx, "up/small", 60e9)
	if err != nil {
		t.Fatal(err)
	}
	// Both missing headers are named in one answer (only the first was, found from outside).
	if resp, body := send(t, http.MethodPut, p.URL, "small"); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, api.HeaderSSEKMSKeyID+": ") || !strings.Contains(body, api.HeaderSSE+": aws:kms") {
		t.Fatalf("PUT without the signed SSE-KMS headers: %d %s, want 403 naming both", resp.StatusCode, body)
	}
	if p.Headers[api.HeaderSSE] != "aws:kms" || p.Headers[api.HeaderSSEKMSKeyID] != local.KMSKeyARN {
		t.Fatalf("presigned PUT headers %v, want the SSE-KMS pair", p.Headers)
	}
	if resp, body := sendPut(t, p, "more than ten bytes"); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized PUT: %d %s", resp.StatusCode, body)
	}
	if _, err := objs.Head(ctx, "up/small"); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("an oversized PUT left an object: %v", err)
	}
	// A method the URL was not signed for is S3's 403 SignatureDoesNotMatch, with a message
	// naming both methods (HEAD answers without a body).
	for _, m := range []string{http.MethodGet, http.MethodDelete, http.MethodPost, http.MethodHead} {
		resp, body := send(t, m, p.URL, "")
		var e struct{ Code, Message string }
		if resp.StatusCode != http.StatusForbidden || m != http.MethodHead &&
			(json.Unmarshal([]byte(body), &e) != nil || e.Code != "SignatureDoesNotMatch" || !strings.Contains(e.Message, "signed for PUT") || !strings.Contains(e.Message, m)) {
			t.Errorf("%s with a PUT URL: %d %s, want 403 SignatureDoesNotMatch", m, resp.StatusCode, body)
		}
	}
	tampered := strings.Replace(p.URL, "X-Ream-Signature=", "X-Ream-Signature=00", 1)
	resp, body := send(t, http.MethodPut, tampered, "x")
	var e struct{ Code, Message string }
	if resp.StatusCode != http.StatusForbidden || json.Unmarshal([]byte(body), &e) != nil || e.Code != "AccessDenied" || e.Message == "" {
		t.Fatalf("tampered PUT: %d %s, want 403 with a JSON AccessDenied", resp.StatusCode, body)
	}
	// SigV4 signs the whole query and every signed header's values: a parameter added or
	// repeated after the signed ones, or a signed header sent twice, does not match either.
	for _, extra := range []string{"&foo=bar", "&" + local.ParamMethod + "=GET", "&" + local.ParamExpires + "=9999999999", "&foo;bar=1", "&%zz=1"} {
		if resp, body := sendPut(t, api.Presigned{URL: p.URL + extra, Headers: p.Headers}, "x"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("PUT with %q appended: %d %s, want 403", extra, resp.StatusCode, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPut, p.URL, strings.NewReader("x"))
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Add(api.HeaderSSEKMSKeyID, "other")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("PUT with the key-id header sent twice: %v %v, want 403", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	if resp, _ := sendPut(t, p, "tiny"); resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
		t.Fatalf("PUT: %d (ETag %q)", resp.StatusCode, resp.Header.Get("ETag"))
	}
	g, _ := objs.PresignGet(ctx, "up/missing", 60e9)
	if resp, body := send(t, http.MethodGet, g.URL, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET of a missing key: %d %s", resp.StatusCode, body)
	}
	g, _ = objs.PresignGet(ctx, "up/small", 60e9)
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPost} {
		if resp, body := sendWith(t, m, g.URL, p.Headers, "x"); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
			t.Errorf("%s with a GET URL: %d %s, want 403 SignatureDoesNotMatch", m, resp.StatusCode, body)
		}
	}
	// HEAD is signed as HEAD on S3: a GET URL answers it 403 (found from outside: it was a 200).
	if resp, _ := sendWith(t, http.MethodHead, g.URL, nil, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("HEAD with a GET URL: %d, want 403", resp.StatusCode)
	}
	if got, err := objs.Open(ctx, "up/small", 0); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(got)
		got.Close()
		if string(b) != "tiny" {
			t.Errorf("after refused requests the object is %q, want tiny", b)
		}
	}
}

func TestObjectsHandlerOnCreated(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var calls []pipeline.ObjectInfo
	fail := true
	objs := objectsServer(t, t.TempDir(), func(ctx context.Context, info pipeline.ObjectInfo) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, info)
		if fail {
			fail = false
			return errors.New("ingest is down")
		}
		return nil
	})
	p, _ := objs.PresignPut(ctx, "inputs/t1/job1", 60e9)
	if resp, body := sendPut(t, p, "line one\nline two\n"); resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("PUT with a failing onCreated: %d %s, want 500", resp.StatusCode, body)
	}
	if info, err := objs.Head(ctx, "inputs/t1/job1"); err != nil || info.Size != 18 {
		t.Fatalf("the object must stay after onCreated failed: %+v %v", info, err)
	}
	if resp, body := sendPut(t, p, "line one\nline two\n"); resp.StatusCode != http.StatusOK {
		t.Fatalf("retried PUT: %d %s", resp.StatusCode, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 || calls[1].Key != "inputs/t1/job1" || calls[1].Size != 18 {
		t.Fatalf("onCreated calls = %+v", calls)
	}
}

func TestObjectsSecretSurvivesRestart(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	first, err := local.NewObjects(root, "http://example.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Put(ctx, "k", strings.NewReader("kept")); err != nil {
		t.Fatal(err)
	}
	g, err := first.PresignGet(ctx, "k", 60e9)
	if err != nil {
		t.Fatal(err)
	}
	second, err := local.NewObjects(root, "http://example.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, strings.TrimPrefix(g.URL, "http://example.invalid"), nil)
	second.Handler(nil).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.String() != "kept" {
		t.Fatalf("URL signed before the restart: %d %s", rec.Code, rec.Body)
	}
	// A different secret refuses it.
	other, _ := local.NewObjects(root, "http://example.invalid", []byte("another secret of enough length"))
	rec = httptest.NewRecorder()
	other.Handler(nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(g.URL, "http://example.invalid"), nil))
	if rec.Code != http.StatusForbidden {
		t.Fatalf("URL under another secret: %d", rec.Code)
	}
}

// TestObjectsUploadOfManyChunks: an upload is hashed on another goroutine, chunk by chunk, while
// it is written (and handed to the disk's writeback as it goes): for bodies that end inside, at
// and just past a chunk the answer's ETag is the body's MD5 and the object holds the body, as
// does an object Put from a stream of many writes.
func TestObjectsUploadOfManyChunks(t *testing.T) {
	ctx := context.Background()
	objs := objectsServer(t, t.TempDir(), nil)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3<<20 + 12345} {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(rng.Uint32())
		}
		key := fmt.Sprintf("up/%d", n)
		p, err := objs.PresignPut(ctx, key, 60e9)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(body)
		resp, msg := sendPut(t, p, string(body))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` {
			t.Fatalf("PUT of %d bytes: %d %s, ETag %s, want the MD5 %x", n, resp.StatusCode, msg, resp.Header.Get("ETag"), sum)
		}
		for _, put := range []bool{false, true} {
			if put {
				if err := objs.Put(ctx, key, iotest.HalfReader(bytes.NewReader(body))); err != nil {
					t.Fatal(err)
				}
			}
			rc, err := objs.Open(ctx, key, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("object of %d bytes (Put: %v) reads back %d bytes (equal: %v), %v", n, put, len(got), bytes.Equal(got, body), err)
			}
		}
	}
}

// TestDeleteKeeping: Delete prunes every directory its key leaves empty; DeleteKeeping stops
// below the first one keep names, which stays empty (a drop rule's folder).
func TestDeleteKeeping(t *testing.T) {
	root := t.TempDir()
	objs, err := local.NewObjects(root, "http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, key := range []string{"inputs/t/drop/r/b1/a.txt", "inputs/t/drop/r/b2/a.txt"} {
		if err := objs.Put(ctx, key, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	var asked []string
	keep := func(prefix string) bool { asked = append(asked, prefix); return prefix == "inputs/t/drop/r/" }
	if err := objs.DeleteKeeping(ctx, "inputs/t/drop/r/b1/a.txt", keep); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "objects", "inputs", "t", "drop", "r", "b1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the emptied folder b1: %v; want it removed", err)
	}
	if got := strings.Join(asked, " "); got != "inputs/t/drop/r/b1/ inputs/t/drop/r/" {
		t.Errorf("keep was asked about %s", got)
	}
	if err := objs.DeleteKeeping(ctx, "inputs/t/drop/r/b2/a.txt", keep); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, "objects", "inputs", "t", "drop", "r")); err != nil || !fi.IsDir() {
		t.Errorf("the kept folder r: %v", err)
	}
	if err := objs.Delete(ctx, "inputs/t/drop/r/b2/a.txt"); err != nil {
		t.Fatal(err)
	}
	if err := objs.Put(ctx, "inputs/t/drop/r/c.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := objs.Delete(ctx, "inputs/t/drop/r/c.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "objects", "inputs", "t")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete left inputs/t: %v; want every emptied folder below the top level pruned", err)
	}
	// The top-level folder stays (the drop watcher watches inputs/ and would not see it made
	// again).
	if fi, err := os.Stat(filepath.Join(root, "objects", "inputs")); err != nil || !fi.IsDir() {
		t.Errorf("Delete removed inputs/: %v; want the top-level folder kept", err)
	}
}

// TestObjectsDownloadETag: a presigned GET answers with the object's ETag (its version, as Head
// reports it, quoted), as S3 does, and honours it: If-None-Match with it is a 304, If-Range with
// it resumes (206), and once the object is replaced the same If-Range gets the whole new object
// (200), never the new object's tail under the old one's head. Before, no ETag was sent.
func TestObjectsDownloadETag(t *testing.T) {
	ctx := context.Background()
	o, err := local.NewObjects(t.TempDir(), "http://example.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Put(ctx, "outputs/t1/j/output.tar.gz", strings.NewReader("0123456789")); err != nil {
		t.Fatal(err)
	}
	g, err := o.PresignGet(ctx, "outputs/t1/j/output.tar.gz", 60e9)
	if err != nil {
		t.Fatal(err)
	}
	get := func(h ...string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, strings.TrimPrefix(g.URL, "http://example.invalid"), nil)
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		o.Handler(nil).ServeHTTP(rec, req)
		return rec
	}
	rec := get()
	info, err := o.Head(ctx, "outputs/t1/j/output.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	etag := rec.Header().Get("ETag")
	if rec.Code != http.StatusOK || etag != `"`+info.ETag+`"` {
		t.Fatalf("GET: %d, ETag %q; want 200 and %q", rec.Code, etag, `"`+info.ETag+`"`)
	}
	if rec = get("If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with its ETag: %d, want 304", rec.Code)
	}
	if rec = get("If-Range", etag, "Range", "bytes=4-"); rec.Code != http.StatusPartialContent || rec.Body.String() != "456789" {
		t.Errorf("resumed with If-Range: %d %q, want 206 \"456789\"", rec.Code, rec.Body)
	}
	if err := o.Put(ctx, "outputs/t1/j/output.tar.gz", strings.NewReader("abcdefghijkl")); err != nil {
		t.Fatal(err)
	}
	if rec = get("If-Range", etag, "Range", "bytes=4-"); rec.Code != http.StatusOK || rec.Body.String() != "abcdefghijkl" {
		t.Errorf("resumed with the replaced object's If-Range: %d %q, want 200 with the whole new object", rec.Code, rec.Body)
	}
}
