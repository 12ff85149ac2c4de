package local

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// corsRequest sends a request with the given headers and returns its answer, body read.
func corsRequest(t *testing.T, method, url string, body []byte, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func headerList(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, s := range strings.Split(v, ",") {
			out = append(out, strings.ToLower(strings.TrimSpace(s)))
		}
	}
	return out
}

// A page of a configured origin can do what a browser app needs on the local stack, as on AWS:
// preflight and call the API with its key, preflight and PUT the presigned upload with its SSE-KMS
// headers and read the ETag, download the results with Range and read Content-Range. Before,
// the API sent no CORS header and the store refused the preflight 403 SignatureDoesNotMatch.
func TestCORSBrowserApp(t *testing.T) {
	const page = "http://localhost:5173"
	s := startStack(t, Config{CORSAllowedOrigins: []string{page}}, pipeline.Hooks{})
	auth := "Bearer " + DefaultKey

	// The API's preflight, as a browser sends it before a POST with Authorization and JSON.
	resp, _ := corsRequest(t, http.MethodOptions, s.URL+"/v1/jobs", nil, "Origin", page,
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != page {
		t.Fatalf("API preflight: %d, Allow-Origin %q; want 204 and %s", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), page)
	}
	for _, h := range []string{"authorization", "content-type", "x-amz-date", "x-amz-security-token"} {
		if !slices.Contains(headerList(resp.Header, "Access-Control-Allow-Headers"), h) {
			t.Errorf("API preflight allows headers %v; want %s among them", resp.Header.Values("Access-Control-Allow-Headers"), h)
		}
	}
	if m := headerList(resp.Header, "Access-Control-Allow-Methods"); !slices.Contains(m, "post") || !slices.Contains(m, "delete") {
		t.Errorf("API preflight allows methods %v; want POST and DELETE among them", m)
	}
	if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("API preflight allows credentials; Ream's callers authenticate with headers, never cookies")
	}

	body, _ := json.Marshal(api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
	resp, b := corsRequest(t, http.MethodPost, s.URL+"/v1/jobs", body, "Origin", page, "Authorization", auth, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Access-Control-Allow-Origin") != page || !slices.Contains(resp.Header.Values("Vary"), "Origin") {
		t.Fatalf("create from the page: %d, Allow-Origin %q, Vary %q: %s", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Values("Vary"), b)
	}
	var created api.CreateJobResult
	if err := json.Unmarshal(b, &created); err != nil || created.Upload == nil {
		t.Fatalf("create answer: %v: %s", err, b)
	}
	// A refusal carries the headers too, so that the page can read why (a 401's WWW-Authenticate).
	resp, _ = corsRequest(t, http.MethodGet, s.URL+"/v1/jobs", nil, "Origin", page)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Access-Control-Allow-Origin") != page ||
		!slices.Contains(headerList(resp.Header, "Access-Control-Expose-Headers"), "www-authenticate") {
		t.Errorf("401 to the page: %d, Allow-Origin %q, Expose %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Values("Access-Control-Expose-Headers"))
	}
	// Another origin gets no CORS header: its browser keeps the answer from its script.
	resp, _ = corsRequest(t, http.MethodGet, s.URL+"/v1/jobs", nil, "Origin", "https://evil.example", "Authorization", auth)
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("an unlisted origin got Access-Control-Allow-Origin %q", v)
	}

	// The upload's preflight names the signed SSE-KMS headers.
	up := created.Upload
	var names []string
	for h := range up.Headers {
		names = append(names, h)
	}
	resp, b = corsRequest(t, http.MethodOptions, up.URL, nil, "Origin", page,
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", strings.Join(append(names, "content-type"), ","))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != page {
		t.Fatalf("upload preflight: %d, Allow-Origin %q: %s", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), b)
	}
	for _, h := range append(names, "content-type") {
		if !slices.Contains(headerList(resp.Header, "Access-Control-Allow-Headers"), h) {
			t.Errorf("upload preflight allows headers %q; want %s", resp.Header.Values("Access-Control-Allow-Headers"), h)
		}
	}
	hdrs := []string{"Origin", page, "Content-Type", "text/plain"}
	for h, v := range up.Headers {
		hdrs = append(hdrs, h, v)
	}
	resp, b = corsRequest(t, http.MethodPut, up.URL, readSample(t), hdrs...)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != page ||
		!slices.Contains(headerList(resp.Header, "Access-Control-Expose-Headers"), "etag") || resp.Header.Get("ETag") == "" {
		t.Fatalf("upload from the page: %d, Allow-Origin %q, Expose %q, ETag %q: %s", resp.StatusCode,
			resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Values("Access-Control-Expose-Headers"), resp.Header.Get("ETag"), b)
	}

	// Results, downloaded from the page with Range (no preflight: Range of one range is a
	// CORS-safelisted request header).
	ctx := testCtx(t)
	c := defaultClient(s)
	follow(t, ctx, c, created.JobId)
	res, err := c.Results(ctx, created.JobId)
	if err != nil {
		t.Fatal(err)
	}
	resp, b = corsRequest(t, http.MethodGet, res.Output.URL, nil, "Origin", page, "Range", "bytes=0-9")
	if resp.StatusCode != http.StatusPartialContent || len(b) != 10 || resp.Header.Get("Access-Control-Allow-Origin") != page ||
		!slices.Contains(headerList(resp.Header, "Access-Control-Expose-Headers"), "content-range") {
		t.Errorf("ranged download from the page: %d, %d bytes, Allow-Origin %q, Expose %q", resp.StatusCode, len(b),
			resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Values("Access-Control-Expose-Headers"))
	}

	// What the rule does not allow is refused at the preflight, as S3 refuses it.
	for _, tc := range []struct{ origin, method string }{{"https://evil.example", "PUT"}, {page, "DELETE"}} {
		resp, b = corsRequest(t, http.MethodOptions, up.URL, nil, "Origin", tc.origin, "Access-Control-Request-Method", tc.method)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("upload preflight from %s for %s: %d, Allow-Origin %q; want 403 without it: %s", tc.origin, tc.method,
				resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), b)
		}
	}
}

// With no corsAllowedOrigins (the default) nothing changes for non-browser clients and no page
// may use the API: the published local-dev-key must not be usable from any site the user visits.
func TestCORSOffByDefault(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	const page = "http://localhost:5173"
	resp, _ := corsRequest(t, http.MethodOptions, s.URL+"/v1/jobs", nil, "Origin", page, "Access-Control-Request-Method", "GET")
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("API preflight without configured origins: %d, Allow-Origin %q; want 404 (no route) without it", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, _ = corsRequest(t, http.MethodGet, s.URL+"/v1/jobs", nil, "Origin", page, "Authorization", "Bearer "+DefaultKey)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET from a page without configured origins: %d, Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, b := corsRequest(t, http.MethodOptions, s.URL+"/objects/inputs/local/x/input?X-Ream-Method=PUT", nil, "Origin", page, "Access-Control-Request-Method", "PUT")
	var e api.ErrorBody
	_ = json.Unmarshal(b, &e)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(e.Message, "corsAllowedOrigins") {
		t.Errorf("store preflight without configured origins: %d %s; want 403 naming corsAllowedOrigins", resp.StatusCode, b)
	}
}

// An origin a browser could never send (a path, a trailing slash, upper case) is refused at
// start, naming the field, rather than matching nothing.
func TestCORSOriginsChecked(t *testing.T) {
	for _, o := range []string{"https://app.example.com/", "app.example.com", "https://App.example.com", "ftp://x", "https://a.example/path", "*.example.com"} {
		if err := startErr(t, Config{CORSAllowedOrigins: []string{o}}); err == nil || !strings.Contains(err.Error(), "corsAllowedOrigins") {
			t.Errorf("origin %q: start error %v; want one naming corsAllowedOrigins", o, err)
		}
	}
	for _, o := range []string{"*", "https://app.example.com", "http://localhost:5173", "http://[::1]:8080"} {
		if err := api.ValidCORSOrigin(o); err != nil {
			t.Errorf("origin %q refused: %v", o, err)
		}
	}
}
