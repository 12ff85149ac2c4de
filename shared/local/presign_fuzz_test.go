package local_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// FuzzPresignedURL presigns a PUT and a GET for an arbitrary key and uses them through the
// store's handler exactly as a client would (the URL as given, the headers as given): a key the
// store accepts round-trips (PUT 200, GET returns the bytes); the URL with its query or path
// tampered (mutation) is refused with 403 and never served; no answer is a 5xx.
func FuzzPresignedURL(f *testing.F) {
	for _, k := range []string{"inputs/t/in.txt", "a b/c?d#e", "é/日本/%41", "a;b,c=d&e+f", "x/y.z~", "'\"<>`", strings.Repeat("k", 300)} {
		f.Add(k, []byte("hello\n"), uint16(0), byte('x'))
	}
	dir := f.TempDir()
	now := time.Unix(1_800_000_000, 0)
	objs, err := local.NewObjects(dir, "http://store.example", []byte("0123456789abcdef0123456789abcdef"), local.WithClock(func() time.Time { return now }))
	if err != nil {
		f.Fatal(err)
	}
	h := objs.Handler(func(context.Context, pipeline.ObjectInfo) error { return nil })
	do := func(method, rawURL string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil
		}
		r := httptest.NewRequest(method, "http://store.example/", bytes.NewReader(body))
		r.URL = u
		r.RequestURI = u.RequestURI()
		r.Host = u.Host
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	f.Fuzz(func(t *testing.T, key string, body []byte, pos uint16, b byte) {
		ctx := context.Background()
		put, err := objs.PresignPut(ctx, key, time.Hour)
		if err != nil {
			return // a key the store refuses
		}
		for _, seg := range strings.Split(key, "/") {
			if len(seg) > 255 {
				return // the pipeline refuses these (layout.CheckKey); the file system cannot hold them
			}
		}
		// tampered URL first: must never be accepted as a PUT of a (possibly other) key
		start := strings.Index(put.URL, "/objects/") + len("/objects/")
		if p := start + int(pos); p < len(put.URL) && put.URL[p] != b {
			bad := put.URL[:p] + string([]byte{b}) + put.URL[p+1:]
			if same(bad, put.URL) {
				goto upload // the same key and parameters, written differently (%3b for %3B)
			}
			if w := do(http.MethodPut, bad, put.Headers, []byte("tampered")); w != nil {
				if w.Code < 400 {
					t.Fatalf("tampered PUT URL %q (from %q) answered %d", bad, put.URL, w.Code)
				}
				if w.Code >= 500 {
					t.Fatalf("tampered PUT URL %q: %d %s", bad, w.Code, w.Body)
				}
			}
		}
	upload:
		w := do(http.MethodPut, put.URL, put.Headers, body)
		if w == nil {
			t.Fatalf("presigned URL %q does not parse", put.URL)
		}
		if w.Code != http.StatusOK {
			t.Fatalf("PUT %q (key %q): %d %s", put.URL, key, w.Code, w.Body)
		}
		get, err := objs.PresignGet(ctx, key, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		w = do(http.MethodGet, get.URL, get.Headers, nil)
		if w == nil || w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), body) {
			t.Fatalf("GET %q (key %q): %v", get.URL, key, w)
		}
		rc, err := objs.Open(ctx, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, body) {
			t.Fatalf("key %q holds %q, uploaded %q", key, got, body)
		}
		// the PUT URL does not GET, the GET URL does not PUT
		if w := do(http.MethodGet, put.URL, nil, nil); w.Code != http.StatusForbidden {
			t.Fatalf("GET with PUT URL: %d", w.Code)
		}
		if w := do(http.MethodPut, get.URL, put.Headers, []byte("x")); w.Code != http.StatusForbidden {
			t.Fatalf("PUT with GET URL: %d", w.Code)
		}
	})
}

// same reports whether two URLs name the same path and the same query parameters.
func same(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Path != ub.Path {
		return false
	}
	qa, err1 := url.ParseQuery(ua.RawQuery)
	qb, err2 := url.ParseQuery(ub.RawQuery)
	if err1 != nil || err2 != nil || len(qa) != len(qb) {
		return false
	}
	for k, v := range qa {
		w := qb[k]
		if len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] && !strings.EqualFold(v[i], w[i]) {
				return false
			}
		}
	}
	return true
}
