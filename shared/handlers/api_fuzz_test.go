package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/handlers"
)

// fuzzAPI builds, once per fuzz process, the API (key auth "k" → tenant-a, Comprehend surface
// with SigV4 testKeys) over a local service, and a job id that exists.
func fuzzAPI(tb testing.TB) (http.Handler, string) {
	svc, _ := newServiceWrapping(tb, nil)
	a := handlers.NewAPI(svc, handlers.NewKeyAuth(map[string]string{"k": "tenant-a"}), nil).
		WithComprehend(handlers.NewSigV4Auth("comprehend", testKeys), handlers.ComprehendConfig{Bucket: "bucket", Region: "eu-west-1", Account: "123456789012"})
	r := httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(`{"JobName":"j","Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`))
	r.Header.Set("Authorization", "Bearer k")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	var res struct{ JobId string }
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &res) != nil {
		tb.Fatalf("create: %d %s", w.Code, w.Body)
	}
	return a, res.JobId
}

var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v1/jobs"},
	{"GET", "/v1/jobs"},
	{"GET", "/v1/jobs/{id}"},
	{"POST", "/v1/jobs/{id}/stop"},
	{"GET", "/v1/jobs/{id}/results"},
	{"GET", "/v1/jobs/{id}/errors"},
	{"POST", "/v1/jobs/{id}/retry"},
	{"GET", "/v1/drop-rules"},
	{"PUT", "/v1/drop-rules/{id}"},
	{"GET", "/v1/drop-rules/{id}"},
	{"DELETE", "/v1/drop-rules/{id}"},
	{"POST", "/v1/drop-rules/{id}/uploads"},
	{"GET", "/v1/topics"},
	{"GET", "/v1/topics/{id}"},
	{"GET", "/v1/topics/{id}/models"},
	{"GET", "/v1/topics/{id}/models/{id}"},
	{"POST", "/v1/topics/{id}/batch-code"},
	{"POST", "/v1/topics/{id}/models/{id}/batch-code"},
	{"GET", "/v1/topics/{id}/batch-code/operations/{id}"},
	{"GET", "/v1/health"},
}

// FuzzAPI sends arbitrary bodies, queries and path ids to every route of Ream's own API: the
// answer is never a 5xx, and its body (unless 204) is a JSON value; errors are {code,message}.
func FuzzAPI(f *testing.F) {
	seeds := []struct {
		route uint8
		id    string
		query string
		body  string
	}{
		{0, "", "", `{"JobName":"reviews","Analyses":["LANGUAGE","SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`},
		{0, "", "", `{"Analyses":["PII"],"InputDataConfig":{"S3Uri":"s3://bucket/inputs/tenant-a/in.txt","InputFormat":"JSONL"},"RedactionConfig":{"MaskMode":"MASK","MaskCharacter":"#","PiiEntityTypes":["ALL"]}}`},
		{0, "", "", `{"Analyses":["TOPICS"],"NumberOfTopics":0,"RandomSeed":-1,"InputDataConfig":{"InputFormat":"ONE_DOC_PER_FILE"},"UploadFiles":["a.txt","b/c.txt"]}`},
		{0, "", "", `{"Analyses":["CODING"],"CodingConfig":{"Topic":"occupation"},"InputDataConfig":{"InputFormat":"JSONL"},"RetentionHours":1,"Tags":[{"Key":"a","Value":"b"}]}`},
		{0, "", "", `{"Analyses":["CODING_TRAINING"],"CodingConfig":{"Topic":"occupation","Model":"m"},"InputDataConfig":{"InputFormat":"JSONL"},"LanguageCode":"EN"}`},
		{1, "", "JobStatus=FAILED&MaxResults=2&SubmitTimeAfter=2026-01-02T15:04:05Z", ""},
		{1, "", "NextToken=eyJ4IjoxfQ&MaxResults=1", ""},
		{1, "", "NextToken=garbage!", ""},
		{5, "", "ErrorCode=EMPTY_DOCUMENT&Analysis=SENTIMENT&MaxResults=3&NextToken=abc", ""},
		{6, "", "", `{"ErrorCodes":["SHARD_FAILED"],"JobName":"again"}`},
		{6, "", "", "   "},
		{8, "rule-1", "", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`},
		{11, "rule-1", "", `{"File":"x.txt"}`},
		{13, "occupation", "", ""},
		{16, "occupation", "", ""},
		{2, "%2e%2e", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.route, s.id, s.query, []byte(s.body))
	}
	h, jobID := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, route uint8, id, query string, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		if id == "" || route&0x80 != 0 {
			id = jobID
		}
		path := strings.ReplaceAll(rt.path, "{id}", escapeAll(id))
		target := path
		if query != "" {
			target += "?" + query
		}
		r, err := http.NewRequest(rt.method, "http://ream.example"+target, strings.NewReader(string(body)))
		if err != nil {
			return // not a request a server could receive
		}
		r.RequestURI = target
		r.Header.Set("Authorization", "Bearer k")
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
		checkJSONAnswer(t, fmt.Sprintf("%s %s body %q", rt.method, target, body), w)
	})
}

func escapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func checkJSONAnswer(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: status %d: %s", what, w.Code, w.Body)
	}
	if w.Code == http.StatusNoContent {
		return
	}
	if !json.Valid(w.Body.Bytes()) {
		t.Fatalf("%s: status %d, body not JSON: %q", what, w.Code, w.Body)
	}
	if w.Code >= 400 {
		var e map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		if e["code"] == nil && e["__type"] == nil {
			t.Fatalf("%s: status %d, error body without code: %s", what, w.Code, w.Body)
		}
	}
}

// FuzzComprehend sends arbitrary operations and bodies, correctly signed, to POST /: the answer
// is always AWS JSON, never a 5xx.
func FuzzComprehend(f *testing.F) {
	ops := []string{"StartDominantLanguageDetectionJob", "StartSentimentDetectionJob", "StartEntitiesDetectionJob",
		"StartKeyPhrasesDetectionJob", "StartPiiEntitiesDetectionJob", "StartTopicsDetectionJob",
		"DescribeSentimentDetectionJob", "ListSentimentDetectionJobs", "ListPiiEntitiesDetectionJobs", "StopSentimentDetectionJob",
		"DescribeTopicsDetectionJob", "ListTopicsDetectionJobs", "StopPiiEntitiesDetectionJob"}
	bodies := []string{
		`{` + inURI + `,` + outURI + `,` + role + `}`,
		`{` + inURI + `,` + outURI + `,` + role + `,"LanguageCode":"en","JobName":"x","ClientRequestToken":"abc"}`,
		`{` + inURI + `,` + outURI + `,` + role + `,"LanguageCode":"en","Mode":"ONLY_REDACTION","RedactionConfig":{"MaskMode":"MASK","MaskCharacter":"*","PiiEntityTypes":["ALL"]}}`,
		`{` + inURI + `,` + outURI + `,` + role + `,"NumberOfTopics":5}`,
		`{"JobId":"0123456789abcdef0123456789abcdef"}`,
		`{"MaxResults":2,"NextToken":"garbage!"}`,
		`{"Filter":{"JobStatus":"IN_PROGRESS","SubmitTimeBefore":1.7e9,"SubmitTimeAfter":-1e300,"JobName":"x"}}`,
		`{}`, `[]`, `null`, ``,
	}
	for i, op := range ops {
		f.Add(op, []byte(bodies[i%len(bodies)]))
	}
	for i, b := range bodies {
		f.Add(ops[(i*5)%len(ops)], []byte(b))
	}
	h, _ := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		r := signedRequest(t, "AKIDTENANTA", "secret-a", string(body), time.Now(), map[string]string{"X-Amz-Target": "Comprehend_20171127." + op})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		what := fmt.Sprintf("%s body %q", op, body)
		if w.Code >= 500 {
			t.Fatalf("%s: status %d: %s", what, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s: body not JSON: %q", what, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/x-amz-json-1.1" {
			t.Fatalf("%s: content type %q", what, ct)
		}
	})
}

// FuzzSigV4 verifies requests whose Authorization, X-Amz-Date, content hash, path and query are
// arbitrary: no panic, and every refusal is a SigV4Error (or an invalid body) with a 4xx status.
func FuzzSigV4(f *testing.F) {
	now := time.Now().UTC()
	good := signedRequest(&testing.T{}, "AKIDTENANTA", "secret-a", `{"MaxResults":5}`, now, nil)
	f.Add(good.Header.Get("Authorization"), good.Header.Get("X-Amz-Date"), "", "/", "", `{"MaxResults":5}`)
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDTENANTA/20260101/x/comprehend/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", now.Format("20060102T150405Z"), "", "/a%2Fb/", "b=1&a=2&a=1", "")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;, Signature==", "x", "y", "//", "%zz", "")
	auth := handlers.NewSigV4Auth("comprehend", testKeys)
	auth.Now = func() time.Time { return now }
	f.Fuzz(func(t *testing.T, authz, date, sha, path, query, body string) {
		target := "/" + strings.TrimPrefix(path, "/")
		if query != "" {
			target += "?" + query
		}
		r, err := http.NewRequest("POST", "http://ream.example:8080"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Authorization", authz)
		r.Header.Set("X-Amz-Date", date)
		if sha != "" {
			r.Header.Set("X-Amz-Content-Sha256", sha)
		}
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		tenant, err := auth.Tenant(r)
		if err == nil {
			if tenant != "tenant-a" && tenant != "tenant-b" {
				t.Fatalf("tenant %q", tenant)
			}
			return
		}
		var se *handlers.SigV4Error
		if !errorsAs(err, &se) {
			return // e.g. an invalid body: decodeError
		}
		if se.Status < 400 || se.Status >= 500 {
			t.Fatalf("status %d for %v", se.Status, err)
		}
	})
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
