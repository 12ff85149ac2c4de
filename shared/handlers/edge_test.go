package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// edgeCall sends method path body with Authorization: Bearer k (when auth) to h and returns the
// recorder and its JSON error body.
func edgeCall(t *testing.T, h http.Handler, method, path, body string, auth bool) (*httptest.ResponseRecorder, struct{ Code, Message string }) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth {
		r.Header.Set("Authorization", "Bearer k")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var e struct{ Code, Message string }
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	return w, e
}

// TestLargeBodyJudgedOnItsFirstMiB: a body over 1 MiB whose first MiB is already not UTF-8 is
// a 400 saying so, not a 413 (the README promises a 400 for a body that is not JSON, or not
// UTF-8, whatever its size); one that is JSON and UTF-8 as far as the limit (a character cut
// by the limit included) is a 413, and so is one whose bad byte lies past the limit, which is
// never read.
func TestLargeBodyJudgedOnItsFirstMiB(t *testing.T) {
	a := handlers.NewAPI(newService(t), handlers.NewKeyAuth(map[string]string{"k": "t"}), nil)
	pad := strings.Repeat("a", 2<<20)
	const limit = 1 << 20
	prefix := `{"JobName":"`
	cut := prefix + strings.Repeat("a", limit-len(prefix)-1) + "é" + pad // "é" straddles the limit
	late := prefix + pad[:limit] + "\xff" + pad
	for _, tc := range []struct {
		name, path, body string
		status           int
		mention          string
	}{
		{"not UTF-8 at the start", "/v1/jobs", prefix + "\xff" + pad + `"}`, 400, "not UTF-8"},
		{"not UTF-8 in a nested string", "/v1/jobs", `{"Tags":[{"Key":"k` + "\xc3\x28" + pad, 400, "not UTF-8"},
		{"not UTF-8 on retry", "/v1/jobs/00000000-0000-4000-8000-000000000000/retry", `  {"JobName":"` + "\xe2\x82" + pad, 400, "not UTF-8"},
		{"drop rule not UTF-8", "/v1/drop-rules/r", prefix + "\xff" + pad, 400, "not UTF-8"},
		{"not JSON", "/v1/jobs", "x" + pad, 400, "not a valid job"},
		{"empty", "/v1/jobs", "", 400, "the body is empty"}, // (it said "EOF", found from outside)
		{"white space only", "/v1/jobs", " \n", 400, "the body is empty"},
		{"JSON and UTF-8 so far", "/v1/jobs", prefix + pad, 413, "larger than"},
		{"a character cut by the limit", "/v1/jobs", cut, 413, "larger than"},
		{"not UTF-8 only past the limit", "/v1/jobs", late, 413, "larger than"},
	} {
		method := http.MethodPost
		if strings.HasPrefix(tc.path, "/v1/drop-rules/") {
			method = http.MethodPut
		}
		w, e := edgeCall(t, a, method, tc.path, tc.body, true)
		if w.Code != tc.status || !strings.Contains(e.Message, tc.mention) {
			t.Errorf("%s: %d %s: %q, want %d mentioning %q", tc.name, w.Code, e.Code, e.Message, tc.status, tc.mention)
		}
	}
}

// TestUnauthorizedNamesTheScheme: every 401 of /v1 carries WWW-Authenticate (RFC 9110 §15.5.2)
// naming the schemes its authenticator takes: Bearer (API keys and OAuth access tokens) locally,
// SigV4 and Bearer (Cognito access tokens) on AWS.
func TestUnauthorizedNamesTheScheme(t *testing.T) {
	local := handlers.AnyAuth{handlers.NewKeyAuth(map[string]string{"k": "t"}), handlers.NewOAuth(nil, []byte("0123456789abcdef0123456789abcdef"), nil)}
	aws := handlers.AnyAuth{handlers.IAMAuth{}, handlers.JWTAuth{}}
	for _, tc := range []struct {
		name   string
		auth   handlers.Authenticator
		header string
		want   string
	}{
		{"local, no credentials", local, "", `Bearer realm="ream"`},
		{"local, unknown key", local, "Bearer nope", `Bearer realm="ream"`},
		{"local, bad token", local, "Bearer a.b", `Bearer realm="ream"`},
		{"API keys only", handlers.NewKeyAuth(map[string]string{"k": "t"}), "Bearer nope", `Bearer realm="ream"`},
		{"AWS, no identity", aws, "", `AWS4-HMAC-SHA256 realm="ream", Bearer realm="ream"`},
	} {
		a := handlers.NewAPI(newService(t), tc.auth, nil)
		for _, path := range []string{"/v1/jobs", "/v1/topics", "/v1/drop-rules"} {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != tc.want {
				t.Errorf("%s: GET %s: %d WWW-Authenticate %q, want 401 with %q", tc.name, path, w.Code, w.Header().Get("WWW-Authenticate"), tc.want)
			}
		}
	}
	// Not on other statuses.
	a := handlers.NewAPI(newService(t), local, nil)
	if w, _ := edgeCall(t, a, http.MethodGet, "/v1/jobs/nope", "", true); w.Code != http.StatusNotFound || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("404: %d WWW-Authenticate %q, want none", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

// TestMaxResultsStrict: MaxResults (listing and errors) is decimal digits without a sign or
// leading zeros; empty is a 400 saying so, not the default.
func TestMaxResultsStrict(t *testing.T) {
	a := handlers.NewAPI(newService(t), handlers.NewKeyAuth(map[string]string{"k": "t"}), nil)
	for _, route := range []string{"/v1/jobs", "/v1/jobs/00000000-0000-4000-8000-000000000000/errors"} {
		for _, tc := range []struct {
			query, mention string
		}{
			{"MaxResults=", "MaxResults is empty"},
			{"MaxResults=05", "leading zeros"},
			{"MaxResults=%2B5", "without a sign"},
			{"MaxResults=-5", "without a sign"},
			{"MaxResults=+5", "a + in a query string is a space"}, // "+" is a space in a query: " 5"
			{"MaxResults=5%20", "decimal digits"},
			{"MaxResults=0x10", "decimal digits"},
			{"MaxResults=1e2", "decimal digits"},
			{"MaxResults=0", "at least 1"},
			{"MaxResults=00", "leading zeros"},
			{"MaxResults=99999999999999999999999", "MaxResults must be 1-"},
		} {
			w, e := edgeCall(t, a, http.MethodGet, route+"?"+tc.query, "", true)
			if w.Code != http.StatusBadRequest || !strings.Contains(e.Message, tc.mention) {
				t.Errorf("GET %s?%s: %d %q, want 400 mentioning %q", route, tc.query, w.Code, e.Message, tc.mention)
			}
		}
	}
	for _, q := range []string{"", "?MaxResults=5", "?MaxResults=500", "?MaxResults=10&NextToken="} {
		if w, e := edgeCall(t, a, http.MethodGet, "/v1/jobs"+q, "", true); w.Code != http.StatusOK {
			t.Errorf("GET /v1/jobs%s: %d %q, want 200", q, w.Code, e.Message)
		}
	}
}

// TestRetryEmptyErrorCodes: "ErrorCodes": [] is a 400 (it names no code; the defaults are had by
// omitting the field, or null), rather than silently retrying the default codes' documents.
func TestRetryEmptyErrorCodes(t *testing.T) {
	svc, jobs := newServiceAndJobs(t)
	a := handlers.NewAPI(svc, handlers.NewKeyAuth(map[string]string{"k": "t"}), nil)
	now := time.Now().UTC().Truncate(time.Millisecond)
	parent := &job.Job{JobId: "11111111-1111-4111-8111-111111111111", Tenant: "t", Analyses: []job.Analysis{job.Sentiment},
		JobStatus: job.Completed, SubmitTime: now, UpdatedAt: now, EndTime: &now,
		InputDataConfig:  job.InputDataConfig{S3Uri: "s3://bucket/inputs/t/in.txt", InputFormat: job.OneDocPerLine},
		OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/t/x/"}}
	if _, _, err := jobs.Create(context.Background(), parent); err != nil {
		t.Fatal(err)
	}
	path := "/v1/jobs/" + parent.JobId + "/retry"
	if w, e := edgeCall(t, a, http.MethodPost, path, `{"ErrorCodes": []}`, true); w.Code != http.StatusBadRequest || !strings.Contains(e.Message, "ErrorCodes must name at least one code") {
		t.Errorf(`"ErrorCodes": []: %d %q, want a 400 saying it names no code`, w.Code, e.Message)
	}
	// Omitted or null: the defaults (this parent has no such documents: a 400 naming them). A
	// body of nothing but a UTF-8 byte-order mark (and white space) is empty too, as the mark is
	// ignored before every body (found in review: it was a 400 saying the body is empty).
	defaults := strings.Join(pipeline.DefaultRetryCodes, ", ")
	for _, body := range []string{"", "{}", `{"ErrorCodes": null}`, "\uFEFF", "\uFEFF \n", "\uFEFF{}"} {
		if w, e := edgeCall(t, a, http.MethodPost, path, body, true); w.Code != http.StatusBadRequest || !strings.Contains(e.Message, "no documents with error codes") {
			t.Errorf("body %q: %d %q, want the defaults (%s) looked for", body, w.Code, e.Message, defaults)
		}
	}
}

// TestHeadOnGetRoutes pins standard behaviour the README states: HEAD is answered on every GET
// route as the GET is (status and headers), without a body; other methods are no route.
func TestHeadOnGetRoutes(t *testing.T) {
	srv := httptest.NewServer(handlers.NewAPI(newService(t), handlers.NewKeyAuth(map[string]string{"k": "t"}), nil))
	defer srv.Close()
	for _, path := range []string{"/v1/jobs", "/v1/jobs/nope", "/v1/drop-rules", "/v1/topics", "/v1/health"} {
		do := func(method string) (*http.Response, int) {
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer k")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var n int
			buf := make([]byte, 512)
			for {
				k, err := resp.Body.Read(buf)
				n += k
				if err != nil {
					break
				}
			}
			return resp, n
		}
		get, _ := do(http.MethodGet)
		head, n := do(http.MethodHead)
		if head.StatusCode != get.StatusCode || n != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes; GET %d", path, head.StatusCode, n, get.StatusCode)
		}
		for _, h := range []string{"Content-Type", "Content-Length"} {
			if head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("HEAD %s: %s %q, GET's %q", path, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
	}
}
