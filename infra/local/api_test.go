package local

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestAuth: requests without a key or with an unknown key are 401 with a JSON error; two keys
// are two tenants, and one tenant's job is 404 (never 403) to the other and absent from its
// listing.
func TestAuth(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Keys: map[string]string{"key-a": "tenant-a", "key-b": "tenant-b"}}, pipeline.Hooks{})
	a, b := newClient(s.URL, "key-a"), newClient(s.URL, "key-b")

	for _, tc := range []struct{ name, key string }{{"no key", ""}, {"unknown key", "key-c"}, {"default key not configured", DefaultKey}} {
		for _, r := range []struct{ method, path string }{{"GET", "/v1/jobs"}, {"POST", "/v1/jobs"}, {"GET", "/v1/jobs/x"}, {"GET", "/v1/jobs/x/events"}} {
			status, body, hdr := rawRequest(t, r.method, s.URL+r.path, tc.key, "")
			if status != http.StatusUnauthorized || body.Code == "" || body.Message == "" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("%s: %s %s = %d %+v (%s); want 401 with a JSON code and message", tc.name, r.method, r.path, status, body, hdr.Get("Content-Type"))
			}
		}
	}

	res, err := a.CreateJob(ctx, lineJob("job-of-a", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	// Finish A's job so results would exist.
	if err := a.Upload(ctx, res.Upload.Presigned, writeTemp(t, "in", []byte("I love this product, it works very well.\n"))); err != nil {
		t.Fatal(err)
	}
	if _, j := follow(t, ctx, a, res.JobId); j.JobStatus != job.Completed {
		t.Fatalf("A's job is %s (%s)", j.JobStatus, j.Message)
	}
	_, err = b.Describe(ctx, res.JobId)
	wantAPIError(t, err, http.StatusNotFound, "B describes A's job")
	_, err = b.Stop(ctx, res.JobId)
	wantAPIError(t, err, http.StatusNotFound, "B stops A's job")
	_, err = b.Results(ctx, res.JobId)
	wantAPIError(t, err, http.StatusNotFound, "B gets A's results")
	_, err = b.Follow(ctx, res.JobId, nil)
	wantAPIError(t, err, http.StatusNotFound, "B follows A's job")
	_, err = b.Describe(ctx, "no-such-job")
	wantAPIError(t, err, http.StatusNotFound, "B describes a missing job")
	// A malformed id is not echoed whole (found from outside: an 8 KB id came back in the 404).
	long := strings.Repeat("é", 4000)
	if status, body, _ := rawRequest(t, http.MethodGet, s.URL+"/v1/jobs/"+long, "key-b", ""); status != http.StatusNotFound ||
		len(body.Message) > 150 || !strings.HasPrefix(body.Message, "job éé") || !strings.HasSuffix(body.Message, "… not found") || !utf8.ValidString(body.Message) {
		t.Errorf("a 8,000-byte id: %d %q, want a 404 echoing at most 100 bytes of it", status, body.Message)
	}
	list, err := b.List(ctx, api.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range list.Jobs {
		if j.JobId == res.JobId {
			t.Error("B's list includes A's job")
		}
	}
	list, err = a.List(ctx, api.ListFilter{})
	if err != nil || len(list.Jobs) != 1 || list.Jobs[0].JobId != res.JobId {
		t.Errorf("A's list = %+v, %v; want A's one job", list, err)
	}
	if _, err := a.Results(ctx, res.JobId); err != nil {
		t.Errorf("A's own results: %v", err)
	}
	// Describe shows the tenant (found from outside: the README said so, the job did not).
	if j, err := a.Describe(ctx, res.JobId); err != nil || j.Tenant != "tenant-a" {
		t.Errorf("A's job shows Tenant %q (%v); want tenant-a", j.Tenant, err)
	}
}

// TestPresignedURLs: a tampered upload URL is refused (403) and the job keeps waiting; an
// expired URL is refused; the sweeper then times the job out and publishes its notification.
func TestPresignedURLs(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{UploadTTL: Duration(time.Second)}, pipeline.Hooks{})
	c := defaultClient(s)
	res, err := c.CreateJob(ctx, lineJob("presigned", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	good := res.Upload.Presigned
	file := writeTemp(t, "in", []byte("I love this product.\n"))
	u, err := url.Parse(good.URL)
	if err != nil {
		t.Fatal(err)
	}
	tamper := func(f func(u *url.URL, q url.Values)) api.Presigned {
		v := *u
		q := v.Query()
		f(&v, q)
		v.RawQuery = q.Encode()
		p := good
		p.URL = v.String()
		return p
	}
	flip := func(s string) string {
		c := byte('0')
		if s[len(s)/2] == '0' {
			c = '1'
		}
		return s[:len(s)/2] + string(c) + s[len(s)/2+1:]
	}
	cases := []struct {
		name string
		p    api.Presigned
	}{
		{"signature char", tamper(func(_ *url.URL, q url.Values) { q.Set(sl.ParamSignature, flip(q.Get(sl.ParamSignature))) })},
		{"no signature", tamper(func(_ *url.URL, q url.Values) { q.Del(sl.ParamSignature) })},
		{"key path", tamper(func(v *url.URL, _ url.Values) { v.Path = strings.TrimSuffix(v.Path, "/input") + "/inpuT" })},
		{"other job's key", tamper(func(v *url.URL, _ url.Values) { v.Path = strings.Replace(v.Path, res.JobId, flip(res.JobId), 1) })},
		{"expiry", tamper(func(_ *url.URL, q url.Values) {
			n, _ := strconv.ParseInt(q.Get(sl.ParamExpires), 10, 64)
			q.Set(sl.ParamExpires, strconv.FormatInt(n+3600, 10))
		})},
		{"method", tamper(func(_ *url.URL, q url.Values) { q.Set(sl.ParamMethod, http.MethodGet) })},
	}
	for _, tc := range cases {
		err := c.Upload(ctx, tc.p, file)
		wantAPIError(t, err, http.StatusForbidden, "tampered "+tc.name)
	}
	j, err := c.Describe(ctx, res.JobId)
	if err != nil || j.JobStatus != job.AwaitingInput {
		t.Fatalf("after tampered uploads the job is %v (%v); want AWAITING_INPUT", j, err)
	}

	// Wait until the URL's expiry has passed (it is rounded up to the second).
	select {
	case <-time.After(time.Until(good.Expires) + 100*time.Millisecond):
	case <-ctx.Done():
		t.Fatal("context done")
	}
	wantAPIError(t, c.Upload(ctx, good, file), http.StatusForbidden, "expired upload URL")
	if j, err := c.Describe(ctx, res.JobId); err != nil || j.JobStatus != job.AwaitingInput {
		t.Fatalf("after the expired upload the job is %v (%v); want AWAITING_INPUT", j, err)
	}
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	n, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.TimedOut || n.JobStatus != job.TimedOut {
		t.Fatalf("job %s, notification %s; want TIMED_OUT", j.JobStatus, n.JobStatus)
	}
	if j.Message == "" || n.Message == "" {
		t.Error("a timed-out job should say why")
	}
	evs, err := s.Notifier.Since(ctx, "local", 0)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, e := range evs {
		if e.JobId == res.JobId {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d notifications published for the timed-out job, want 1", count)
	}
	// A second sweep changes nothing and publishes nothing.
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if evs2, _ := s.Notifier.Since(ctx, "local", 0); len(evs2) != len(evs) {
		t.Errorf("a second sweep published %d more notifications", len(evs2)-len(evs))
	}
	_, err = c.Results(ctx, res.JobId)
	wantAPIError(t, err, http.StatusConflict, "results of a timed-out job")
}

// TestIdempotency: a retried create with the same ClientRequestToken and body returns the same
// job; the same token with a different body is a conflict.
func TestIdempotency(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	req := lineJob("idem", job.OneDocPerLine)
	req.ClientRequestToken = "token-123"
	first, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatalf("retry with the same token: %v", err)
	}
	if again.JobId != first.JobId {
		t.Errorf("retry created job %s, want %s", again.JobId, first.JobId)
	}
	if again.Upload == nil {
		t.Error("retry of an upload job returns no upload URL")
	}
	other := req
	other.JobName = "idem-changed"
	_, err = c.CreateJob(ctx, other)
	wantAPIError(t, err, http.StatusConflict, "same token, different body")
	// Another token is another job.
	req.ClientRequestToken = "token-456"
	third, err := c.CreateJob(ctx, req)
	if err != nil || third.JobId == first.JobId {
		t.Errorf("new token: %v, job %v", err, third)
	}
	list, err := c.List(ctx, api.ListFilter{})
	if err != nil || len(list.Jobs) != 2 {
		t.Errorf("list: %v, %d jobs; want 2", err, len(list.Jobs))
	}
}

// TestList pages through seven jobs three at a time and filters by status, name and submit
// time.
func TestList(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	var jobs []*job.Job // oldest first
	for i := 0; i < 7; i++ {
		name := "alpha"
		if i%2 == 1 {
			name = "beta"
		}
		res, err := c.CreateJob(ctx, lineJob(name, job.OneDocPerLine))
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, res.Job)
	}
	// Stop two jobs: STOPPED at once, as they are still waiting for input.
	for _, i := range []int{1, 4} {
		if j, err := c.Stop(ctx, jobs[i].JobId); err != nil || j.JobStatus != job.Stopped {
			t.Fatalf("stop %d: %v %v", i, j, err)
		}
	}
	ids := func(js []*job.Job) []string {
		var out []string
		for _, j := range js {
			out = append(out, j.JobId)
		}
		return out
	}
	want := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, jobs[i].JobId)
		}
		return out
	}

	// Pagination: newest first, 3 + 3 + 1, each job once.
	var got []string
	var pages []int
	f := api.ListFilter{MaxResults: 3}
	for {
		page, err := c.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(page.Jobs))
		got = append(got, ids(page.Jobs)...)
		if page.NextToken == "" {
			break
		}
		if len(pages) > 10 {
			t.Fatal("pagination does not end")
		}
		f.NextToken = page.NextToken
	}
	if !slices.Equal(pages, []int{3, 3, 1}) {
		t.Errorf("page sizes %v, want [3 3 1]", pages)
	}
	if w := want(6, 5, 4, 3, 2, 1, 0); !slices.Equal(got, w) {
		t.Errorf("paged listing %v, want %v", got, w)
	}
	// A token pages the listing that returned it: with other filters it is refused, not
	// applied to another listing (found from outside: accepted silently); MaxResults may change.
	first, err := c.List(ctx, api.ListFilter{MaxResults: 3})
	if err != nil || first.NextToken == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	if _, err := c.List(ctx, api.ListFilter{JobName: "beta", NextToken: first.NextToken}); err == nil || !strings.Contains(err.Error(), "NextToken belongs to other") {
		t.Errorf("a token with another JobName: %v; want a 400", err)
	}
	if page, err := c.List(ctx, api.ListFilter{MaxResults: 10, NextToken: first.NextToken}); err != nil || !slices.Equal(ids(page.Jobs), want(3, 2, 1, 0)) {
		t.Errorf("the token with another MaxResults: %v, %v; want the rest of the listing", page, err)
	}

	for _, tc := range []struct {
		name string
		f    api.ListFilter
		want []string
	}{
		{"status STOPPED", api.ListFilter{Status: job.Stopped}, want(4, 1)},
		{"status AWAITING_INPUT", api.ListFilter{Status: job.AwaitingInput}, want(6, 5, 3, 2, 0)},
		{"name beta", api.ListFilter{JobName: "beta"}, want(5, 3, 1)},
		{"name alpha, AWAITING_INPUT", api.ListFilter{JobName: "alpha", Status: job.AwaitingInput}, want(6, 2, 0)},
		{"name nobody", api.ListFilter{JobName: "nobody"}, nil},
		{"after 2", api.ListFilter{SubmittedAfter: jobs[2].SubmitTime}, want(6, 5, 4, 3)},
		{"before 2", api.ListFilter{SubmittedBefore: jobs[2].SubmitTime}, want(1, 0)},
		{"after 1, before 5", api.ListFilter{SubmittedAfter: jobs[1].SubmitTime, SubmittedBefore: jobs[5].SubmitTime}, want(4, 3, 2)},
		{"after 1, before 5, beta", api.ListFilter{JobName: "beta", SubmittedAfter: jobs[1].SubmitTime, SubmittedBefore: jobs[5].SubmitTime}, want(3)},
		{"alpha, 2 per page", api.ListFilter{JobName: "alpha", MaxResults: 2}, want(6, 4)},
	} {
		page, err := c.List(ctx, tc.f)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if g := ids(page.Jobs); !slices.Equal(g, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, g, tc.want)
		}
	}

	for _, tc := range []struct{ name, query string }{
		{"bad status", "JobStatus=RUNNING"},
		{"bad MaxResults", "MaxResults=0"},
		{"MaxResults too big", "MaxResults=100000"},
		{"JobName filter longer than any name", "JobName=" + strings.Repeat("x", 257)},
		{"bad time", "SubmitTimeAfter=yesterday"},
		{"bad token", "NextToken=%21%21%21"},
		// found from outside: these were answered 200, unfiltered
		{"semicolon", "JobStatus=FAILED;x"},
		{"unknown parameter", "jobstatus=FAILED"},
		{"repeated parameter", "JobStatus=COMPLETED&JobStatus=FAILED"},
	} {
		status, body, _ := rawRequest(t, "GET", s.URL+"/v1/jobs?"+tc.query, DefaultKey, "")
		if status != http.StatusBadRequest || body.Message == "" {
			t.Errorf("%s: %d %+v, want 400 with a message", tc.name, status, body)
		}
	}
}

// TestBadRequests: malformed or invalid requests are 4xx JSON errors with a message that says
// what is wrong.
func TestBadRequests(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		mention                  string
	}{
		{"unknown analysis", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT","TELEPATHY"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`, 400, "TELEPATHY"},
		// found in the time review: an offset's "+" sent unescaped arrives as a space, and the
		// answer said only "must be an RFC 3339 time" of a time typed as one
		{"offset's + unescaped", "GET", "/v1/jobs?SubmitTimeAfter=2026-12-05T01:00:00+01:00", "", 400, "send it as %2B"},
		{"no analysis", "POST", "/v1/jobs", `{"Analyses":[],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`, 400, "Analyses"},
		{"bad input format", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"CSV"}}`, 400, "InputFormat"},
		{"malformed JSON", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],`, 400, ""},
		{"unknown field", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"Colour":"red"}`, 400, "Colour"},
		// found from outside: keys matched case-insensitively and the last of a repeated key won
		{"wrong case top level", "POST", "/v1/jobs", `{"analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`, 400, `"analyses" is not a field; did you mean "Analyses"?`},
		{"wrong case nested", "POST", "/v1/jobs", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"inputformat":"ONE_DOC_PER_LINE"}}`, 400, `"inputformat" is not a field in InputDataConfig; did you mean "InputFormat"?`},
		{"wrong case in a tag", "POST", "/v1/jobs", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"Tags":[{"Key":"k","value":"v"}]}`, 400, `"value" is not a field in Tags[0]; did you mean "Value"?`},
		{"both spellings", "POST", "/v1/jobs", `{"Analyses":["LANGUAGE"],"analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`, 400, `"analyses" is not a field; did you mean "Analyses"?`},
		{"key twice top level", "POST", "/v1/jobs", `{"Analyses":["BOGUS"],"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`, 400, `"Analyses" is given twice`},
		{"key twice nested", "POST", "/v1/jobs", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"CSV","InputFormat":"ONE_DOC_PER_LINE"}}`, 400, `"InputFormat" is given twice in InputDataConfig`},
		{"key twice in RedactionConfig", "POST", "/v1/jobs", `{"Analyses":["PII"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"RedactionConfig":{"MaskMode":"MASK","MaskMode":"MASK"}}`, 400, `"MaskMode" is given twice in RedactionConfig`},
		{"wrong case on retry", "POST", "/v1/jobs/00000000-0000-4000-8000-000000000000/retry", `{"errorCodes":["SHARD_FAILED"]}`, 400, `did you mean "ErrorCodes"?`},
		{"wrong case in a drop rule", "PUT", "/v1/drop-rules/r", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"JSONL"},"outputDataConfig":{}}`, 400, `"outputDataConfig" is not a field; did you mean "OutputDataConfig"?`},
		{"key twice in a drop rule", "PUT", "/v1/drop-rules/r", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"JSONL","InputFormat":"JSONL"}}`, 400, `"InputFormat" is given twice in InputDataConfig`},
		{"key twice in a drop upload", "POST", "/v1/drop-rules/r/uploads", `{"File":"a.txt","File":"b.txt"}`, 400, `"File" is given twice`},
		{"bad token", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"ClientRequestToken":"no spaces allowed"}`, 400, "ClientRequestToken"},
		{"foreign input location", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE","S3Uri":"s3://someone-else/x"}}`, 400, ""},
		{"unknown route", "GET", "/v2/jobs", "", 404, ""},
		{"unknown job", "GET", "/v1/jobs/does-not-exist", "", 404, "does-not-exist"},
		{"wrong method", "DELETE", "/v1/jobs", "", 404, ""},
		// found from outside: data after the object was ignored on retry (a child job was made)
		{"data after the retry object", "POST", "/v1/jobs/00000000-0000-4000-8000-000000000000/retry", `{"ErrorCodes":["SHARD_FAILED"]}x`, 400, "data after"},
		{"data after the job object", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}} {}`, 400, "data after"},
		{"control character in a tag", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"Tags":[{"Key":"a\u0001","Value":"v"}]}`, 400, "tag"},
		{"reserved tag key", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"Tags":[{"Key":"aws:x","Value":"v"}]}`, 400, "reserved"},
		// found from outside: the length errors did not say which tag
		{"long tag key", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"Tags":[{"Key":"ok","Value":"v"},{"Key":"` + strings.Repeat("k", 129) + `","Value":"v"}]}`, 400, "tag 2"},
		{"long tag value", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"Tags":[{"Key":"team","Value":"` + strings.Repeat("v", 257) + `"}]}`, 400, `tag "team"`},
		{"tag key twice", "POST", "/v1/jobs", `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"Tags":[{"Key":"k","Value":"v"},{"Key":"k","Value":"w"}]}`, 400, "twice"},
		{"retry with a bad JobName", "POST", "/v1/jobs/00000000-0000-4000-8000-000000000000/retry", `{"JobName":"a\u0000"}`, 400, "JobName"},
		{"retry with a bad token", "POST", "/v1/jobs/00000000-0000-4000-8000-000000000000/retry", `{"ClientRequestToken":"!!"}`, 400, "ClientRequestToken"},
		// found from outside: a large retry body that is not JSON was a 413
		{"large retry body not JSON", "POST", "/v1/jobs/00000000-0000-4000-8000-000000000000/retry", strings.Repeat("x", 2<<20), 400, "not a retry request"},
		{"large retry body of white space", "POST", "/v1/jobs/00000000-0000-4000-8000-000000000000/retry", strings.Repeat(" ", 2<<20), 413, "larger than"},
		{"invalid topic name", "POST", "/v1/topics/a%21b/batch-code", "", 404, "topic"},
		{"query on errors", "GET", "/v1/jobs/00000000-0000-4000-8000-000000000000/errors?ErrorCode=SHARD_FAILED;x", "", 400, "query"},
	} {
		status, body, hdr := rawRequest(t, tc.method, s.URL+tc.path, DefaultKey, tc.body)
		if status != tc.status {
			t.Errorf("%s: status %d %+v, want %d", tc.name, status, body, tc.status)
			continue
		}
		if body.Code == "" || body.Message == "" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s: body %+v (%s); want a JSON code and message", tc.name, body, hdr.Get("Content-Type"))
		}
		if tc.mention != "" && !strings.Contains(body.Message, tc.mention) {
			t.Errorf("%s: message %q does not mention %q", tc.name, body.Message, tc.mention)
		}
		if strings.Contains(strings.ToLower(body.Message), "internal") {
			t.Errorf("%s: message %q looks like an internal error", tc.name, body.Message)
		}
	}

	// Keys spelled exactly, once each, are taken at every depth (the same key in two objects
	// included). No /v1 request has a map-typed field; a map's keys are free but for one given
	// twice (the decoder's unit test, and the Comprehend surface, whose body it decodes as a map,
	// through the SDK tests).
	for _, tc := range []struct{ name, method, path, body string }{
		{"exact keys", "POST", "/v1/jobs", `{"JobName":"exact","Analyses":["PII"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"OutputDataConfig":{},"RedactionConfig":{"MaskMode":"MASK","PiiEntityTypes":["ALL"]},"Tags":[{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}]}`},
		{"exact keys in a drop rule", "PUT", "/v1/drop-rules/exact", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"JSONL"},"Tags":[{"Key":"a","Value":"1"}]}`},
	} {
		if status, body, _ := rawRequest(t, tc.method, s.URL+tc.path, DefaultKey, tc.body); status/100 != 2 {
			t.Errorf("%s: %d %+v, want it accepted", tc.name, status, body)
		}
	}
}
