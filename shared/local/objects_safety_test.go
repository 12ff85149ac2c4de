package local_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestObjectsDoNotFollowSymlinks: a symbolic link dropped into the store (a folder of tenant a
// pointing at tenant b's) is neither read, listed, nor written through.
func TestObjectsDoNotFollowSymlinks(t *testing.T) {
	root := t.TempDir()
	objs, err := local.NewObjects(root, "http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := objs.Put(ctx, "inputs/b/secret/doc.txt", strings.NewReader("tenant b's secret")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "objects", "inputs", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../b", filepath.Join(root, "objects", "inputs", "a", "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := objs.Head(ctx, "inputs/a/link/secret/doc.txt"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Head through a symlink: %v, want ErrNotFound", err)
	}
	if _, err := objs.Open(ctx, "inputs/a/link/secret/doc.txt", 0); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Open through a symlink: %v, want ErrNotFound", err)
	}
	var listed []string
	for _, prefix := range []string{"inputs/a/", "inputs/a/link/", "inputs/a/link/secret/"} {
		_ = objs.List(ctx, prefix, func(o pipeline.ObjectInfo) error { listed = append(listed, o.Key); return nil })
	}
	if len(listed) != 0 {
		t.Errorf("listing followed the link: %v", listed)
	}
	if err := objs.Put(ctx, "inputs/a/link/secret/doc.txt", strings.NewReader("overwritten")); err == nil {
		t.Error("Put through a symlink succeeded")
	}
	b, _ := os.ReadFile(filepath.Join(root, "objects", "inputs", "b", "secret", "doc.txt"))
	if string(b) != "tenant b's secret" {
		t.Errorf("tenant b's object changed: %q", b)
	}
}

// TestObjectsRemoveStaleTempFiles: the temporary file of an upload a crash interrupted is
// removed when the store opens again.
func TestObjectsRemoveStaleTempFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "objects", "inputs", "t", "job")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".ream-tmp-123456")
	if err := os.WriteFile(stale, []byte("half an upload"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := local.NewObjects(root, "http://127.0.0.1:1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temporary file still there: %v", err)
	}
}

// TestObjectsPutGuard: the guard refuses a correctly signed upload with 409 and its reason; a
// guard that cannot decide (its store did not answer), before the body or once it arrived, gets
// 503 for the client to retry, never a pass; neither is stored.
func TestObjectsPutGuard(t *testing.T) {
	root := t.TempDir()
	var calls sync.Map // key → guard calls so far
	guard := func(_ context.Context, key string) error {
		n, _ := calls.LoadOrStore(key, new(atomic.Int32))
		call := n.(*atomic.Int32).Add(1)
		switch {
		case strings.HasSuffix(key, "/closed"):
			return fmt.Errorf("%w: the job's input already arrived", job.ErrConflict)
		case strings.HasSuffix(key, "/down"):
			return errors.New("database is locked")
		case strings.HasSuffix(key, "/down-later") && call > 1:
			return errors.New("database is locked")
		}
		return nil
	}
	objs := objectsServer(t, root, nil, local.WithPutGuard(guard))
	ctx := context.Background()
	for _, tt := range []struct {
		key  string
		want int
		says string
	}{
		{"inputs/t/closed", http.StatusConflict, "already arrived"},
		{"inputs/t/down", http.StatusServiceUnavailable, "retry"},
		{"inputs/t/down-later", http.StatusServiceUnavailable, "retry"},
		{"inputs/t/open", http.StatusOK, ""},
	} {
		p, err := objs.PresignPut(ctx, tt.key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := sendPut(t, p, "data")
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.key, resp.StatusCode, body, tt.want)
		}
		if !strings.Contains(body, tt.says) || strings.Contains(body, "conflict:") || strings.Contains(body, "locked") {
			t.Errorf("%s: the answer does not say why (or says too much): %s", tt.key, body)
		}
		if _, err := objs.Head(ctx, tt.key); tt.want != http.StatusOK && !errors.Is(err, job.ErrNotFound) {
			t.Errorf("%s: a refused upload was stored: %v", tt.key, err)
		}
	}
}

// TestNotifierForJob finds a job's persisted notification, and only that tenant's.
func TestNotifierForJob(t *testing.T) {
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, nil)
	defer n.Close(context.Background())
	ctx := context.Background()
	for _, note := range []api.Notification{
		{JobId: "j1", Tenant: "a", JobStatus: job.Completed},
		{JobId: "j2", Tenant: "a", JobStatus: job.Failed, Message: "why"},
		{JobId: "j2", Tenant: "b", JobStatus: job.Stopped},
	} {
		if err := n.Publish(ctx, note); err != nil {
			t.Fatal(err)
		}
	}
	ev, ok, err := n.ForJob(ctx, "a", "j2")
	if err != nil || !ok || ev.JobStatus != job.Failed || ev.Message != "why" {
		t.Fatalf("ForJob(a, j2) = %+v %v %v", ev, ok, err)
	}
	if _, ok, err := n.ForJob(ctx, "a", "j3"); ok || err != nil {
		t.Fatalf("ForJob of a job with no notification = %v %v", ok, err)
	}
}

// TestObjectsTruncatedUpload: a PUT whose body ends before its Content-Length (the client or the
// network cut it) is a 400 IncompleteBody, as on S3, and stores nothing, small or large (a body
// of a MiB or more was stored cut short before; a small one was a 500).
func TestObjectsTruncatedUpload(t *testing.T) {
	objs := objectsServer(t, t.TempDir(), nil)
	ctx := context.Background()
	for _, tt := range []struct{ announced, sent int }{{1000, 40}, {3 << 20, 3<<19 + 7}} {
		key := fmt.Sprintf("inputs/t/cut-%d", tt.sent)
		p, err := objs.PresignPut(ctx, key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(p.URL)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		var head strings.Builder
		fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.RequestURI(), u.Host, tt.announced)
		for k, v := range p.Headers {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
		head.WriteString("\r\n")
		if _, err := io.WriteString(conn, head.String()+strings.Repeat("x", tt.sent)); err != nil {
			t.Fatal(err)
		}
		conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%d of %d bytes: %v", tt.sent, tt.announced, err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "IncompleteBody") {
			t.Errorf("%d of %d bytes: %d %s, want 400 IncompleteBody", tt.sent, tt.announced, resp.StatusCode, body)
		}
		if info, err := objs.Head(ctx, key); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("%d of %d bytes: stored (%d bytes, %v)", tt.sent, tt.announced, info.Size, err)
		}
	}
}

// TestObjectsConcurrentPuts: uploads to one presigned URL at once, with a guard that refuses a
// key already stored (as the stack's does for a job's input): of different bodies exactly one
// is answered 200 and it is the one stored, the others 409; of the same bytes all are 200. Two
// clients were both answered 200 with one body lost, and a same-bytes retry overlapping the
// first upload got a 409 (found from outside).
func TestObjectsConcurrentPuts(t *testing.T) {
	var objs *local.Objects
	guard := func(ctx context.Context, key string) error {
		if _, err := objs.Head(ctx, key); err == nil {
			return fmt.Errorf("%w: the input already arrived", job.ErrConflict)
		}
		return nil
	}
	objs = objectsServer(t, t.TempDir(), nil, local.WithPutGuard(guard))
	ctx := context.Background()
	const clients = 10
	for round := 0; round < 5; round++ {
		for _, same := range []bool{false, true} {
			key := fmt.Sprintf("inputs/t/race-%d-%v", round, same)
			p, err := objs.PresignPut(ctx, key, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			status := make([]int, clients)
			var wg sync.WaitGroup
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := strings.Repeat("same body ", 1000)
					if !same {
						body = strings.Repeat(fmt.Sprintf("body of client %d ", c), 1000)
					}
					resp, _ := sendPut(t, p, body)
					status[c] = resp.StatusCode
				}()
			}
			wg.Wait()
			var ok []int
			for c, st := range status {
				if st == http.StatusOK {
					ok = append(ok, c)
				} else if same || st != http.StatusConflict {
					t.Errorf("%s: client %d answered %d", key, c, st)
				}
			}
			if same {
				continue
			}
			if len(ok) != 1 {
				t.Errorf("%s: %d clients answered 200 (%v), want exactly one", key, len(ok), status)
				continue
			}
			rc, err := objs.Open(ctx, key, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if want := strings.Repeat(fmt.Sprintf("body of client %d ", ok[0]), 1000); string(got) != want {
				t.Errorf("%s: the stored body is not the one answered 200 (client %d)", key, ok[0])
			}
		}
	}
}

// TestObjectsSilentUploadAnswered: a PUT that announces a body and sends none is answered, never
// held: with a bad signature at once (403; net/http waited to read up to 256 KiB of the unsent
// body before answering, so anyone could hold connections for ever), with a valid URL after the
// idle timeout (400 RequestTimeout), and nothing is stored (found from outside).
func TestObjectsSilentUploadAnswered(t *testing.T) {
	defer local.SetUploadIdleTimeout(300 * time.Millisecond)()
	objs := objectsServer(t, t.TempDir(), nil)
	ctx := context.Background()
	p, err := objs.PresignPut(ctx, "inputs/t/silent", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	bad := *u
	q := bad.Query()
	q.Set(local.ParamSignature, "00")
	bad.RawQuery = q.Encode()
	for _, tc := range []struct {
		target string
		want   string
	}{{bad.RequestURI(), " 403 "}, {u.RequestURI(), " 400 "}} {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		req := "PUT " + tc.target + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Length: 1000\r\n"
		for h, v := range p.Headers {
			req += h + ": " + v + "\r\n"
		}
		if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if err != nil || !strings.Contains(line, tc.want) {
			t.Errorf("a PUT that sends no body (%s): %q, %v; want an answer%s", tc.want, line, err, tc.want)
		}
	}
	if _, err := objs.Head(ctx, "inputs/t/silent"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("stored: %v", err)
	}
}

// TestObjectsTrickleUploadEndsAtExpiry: an upload whose body keeps coming, a byte at a time
// (each within the idle timeout), is cut when its URL expires, answered 403 AccessDenied saying
// so, and stores nothing (found from outside: a byte every 59 s outlasted the URL; only a minute
// of silence cut it). The store's clock is moved to 400 ms before the URL's expiry.
func TestObjectsTrickleUploadEndsAtExpiry(t *testing.T) {
	defer local.SetUploadIdleTimeout(2 * time.Second)()
	clock := newFakeClock()
	objs := objectsServer(t, t.TempDir(), nil, local.WithClock(clock.Now))
	ctx := context.Background()
	p, err := objs.PresignPut(ctx, "inputs/t/trickle", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(p.Expires.Sub(clock.Now()) - 400*time.Millisecond)
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "PUT " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Length: 1000\r\n"
	for h, v := range p.Headers {
		req += h + ": " + v + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() { // a byte every 100 ms for 5 s, far within the idle timeout
		for range 50 {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), api.CodeAccessDenied) ||
		!strings.Contains(string(body), "expired at "+p.Expires.UTC().Format(time.RFC3339)) {
		t.Errorf("a body still arriving at the URL's expiry: %d %s; want 403 AccessDenied saying the URL expired", resp.StatusCode, body)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("answered after %s; want it at the URL's expiry, 400 ms in", took)
	}
	if _, err := objs.Head(ctx, "inputs/t/trickle"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("stored: %v", err)
	}
}

// TestObjectsSignatureOneSpelling: a presigned URL's signature is accepted only as the
// lower-case hex it was written in (found from outside: the same signature in upper case was
// accepted, a second spelling of one URL).
func TestObjectsSignatureOneSpelling(t *testing.T) {
	objs := objectsServer(t, t.TempDir(), nil)
	ctx := context.Background()
	if err := objs.Put(ctx, "outputs/t/a.txt", strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	p, err := objs.PresignGet(ctx, "outputs/t/a.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	get := func(u *url.URL) int {
		resp, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(u); got != http.StatusOK {
		t.Fatalf("the URL as signed: %d", got)
	}
	upper := *u
	q := upper.Query()
	q.Set(local.ParamSignature, strings.ToUpper(q.Get(local.ParamSignature)))
	upper.RawQuery = q.Encode()
	if got := get(&upper); got != http.StatusForbidden {
		t.Errorf("the signature in upper case: %d, want 403", got)
	}
}

// TestObjectsChunkedUploadRefused: a PUT whose body has no Content-Length (Transfer-Encoding:
// chunked, as Node's fetch sends a stream body) is refused as S3 refuses it, 501 NotImplemented
// naming Transfer-Encoding, and stores nothing; the same bytes with a Content-Length are taken.
// The store took it before, so an upload that worked locally failed on AWS.
func TestObjectsChunkedUploadRefused(t *testing.T) {
	objs := objectsServer(t, t.TempDir(), nil)
	ctx := context.Background()
	const key = "inputs/t/chunked"
	p, err := objs.PresignPut(ctx, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	put := func(body io.Reader, length int64) (int, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		for k, v := range p.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const doc = "hello world\n"
	// An io.Reader of unknown size with ContentLength -1: net/http sends it chunked.
	if code, body := put(io.MultiReader(strings.NewReader(doc)), -1); code != http.StatusNotImplemented || !strings.Contains(body, "NotImplemented") || !strings.Contains(body, "Transfer-Encoding") {
		t.Errorf("chunked PUT: %d %s, want 501 NotImplemented naming Transfer-Encoding", code, body)
	}
	if _, err := objs.Head(ctx, key); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("chunked PUT stored the object (%v)", err)
	}
	if code, body := put(strings.NewReader(doc), int64(len(doc))); code != http.StatusOK {
		t.Errorf("PUT with Content-Length: %d %s, want 200", code, body)
	}
	if info, err := objs.Head(ctx, key); err != nil || info.Size != int64(len(doc)) {
		t.Errorf("after PUT with Content-Length: %+v, %v", info, err)
	}
}
