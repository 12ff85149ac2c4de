package aws_test

// TestParityLocalAWS runs one matrix of jobs and bad requests through both stacks (the AWS
// adapters on the emulators, wired as the Lambda functions wire them, and the local stack of
// infra/local, over HTTP as `ream serve` serves it) and compares what a user sees: statuses,
// HTTP status codes and bodies, Describe, Messages, counters, notifications, and every member of
// output.tar.gz byte for byte. Ream promises the same pipeline on both; every difference this
// test finds is a defect unless the README documents it (then the comparison leaves it out and
// says why).

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ream-dev/ream/infra/local"
	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
)

// parityShardBytes is both stacks' shard size. The local stack cuts an input smaller than
// 8 × workers shards into more, but never below pipeline.MinShardBytes (64 KiB): at this size
// and with inputs under 512 KiB both stacks plan the same shards, so the manifests compare.
const parityShardBytes = 64 << 10

// paritySide is one stack as a user reaches it.
type paritySide interface {
	name() string
	// call sends a /v1 request as the test's tenant; it returns the status and the body.
	call(t *testing.T, method, path, body string) (int, []byte)
	// upload PUTs body through a presigned upload and returns the status; the stack then
	// takes the upload's event (waited for on AWS).
	upload(t *testing.T, jobID string, u api.Upload, body []byte) int
	// notification waits for the job's notification: its body and, on AWS, SNS's message
	// attributes.
	notification(t *testing.T, jobID string) (api.Notification, map[string]string)
	// base is the URI prefix of the stack's objects (s3://bucket/ or file:///…/objects/).
	base() string
	// comprehend sends a Comprehend-compatible request (POST /, SigV4 for service comprehend)
	// signed with the test tenant's access key.
	comprehend(t *testing.T, op string, body any) (int, []byte)
	// coding sends a request (no body) to one of the coding service's routes as the test's
	// tenant.
	coding(t *testing.T, method, path string) (int, []byte)
	// put stores an object under key, as a user drops it into the bucket or data directory.
	put(t *testing.T, key string, body []byte)
	// drop puts an object under key as put does, and has the stack take its event (waited for
	// on AWS; locally the watcher sees the file).
	drop(t *testing.T, key string, body []byte)
}

// The test tenant's access key for the Comprehend surface, on both stacks.
const (
	parityKeyID  = "AKIAREAMPARITY000001"
	paritySecret = "parity-comprehend-secret"
)

// paritySigned is a Comprehend request signed as an AWS SDK signs it.
func paritySigned(t *testing.T, ctx context.Context, endpoint, op string, body any) *http.Request {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Comprehend_20171127."+op)
	sum := sha256.Sum256(b)
	if err := v4.NewSigner().SignHTTP(ctx, sdkaws.Credentials{AccessKeyID: parityKeyID, SecretAccessKey: paritySecret}, req,
		hex.EncodeToString(sum[:]), "comprehend", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	return req
}

type parityAWS struct {
	ctx    context.Context
	s      *e2eStack
	cmp    *handlers.API // the api function's handler with the Comprehend surface
	events *e2eObjectEvents
	sub    *e2eSubscriber
}

func (p *parityAWS) name() string { return "aws" }
func (p *parityAWS) base() string { return "s3://" + p.s.bucket + "/" }

func (p *parityAWS) call(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	ev := e2eApiRequest(t, method, u.Path, body, "")
	if u.RawQuery != "" {
		ev.RawQueryString = u.RawQuery
		ev.QueryStringParameters = map[string]string{}
		for k, v := range u.Query() {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	if body == "" && method == http.MethodPost {
		delete(ev.Headers, "content-length")
	}
	return p.s.callRaw(t, p.ctx, ev)
}

// coding sends a request to a coding route, as API Gateway routes it.
func (p *parityAWS) coding(t *testing.T, method, path string) (int, []byte) {
	t.Helper()
	return p.s.callRaw(t, p.ctx, e2eCodingRequest(t, method, path, e2eIAM(e2eCaller)))
}

func (p *parityAWS) comprehend(t *testing.T, op string, body any) (int, []byte) {
	t.Helper()
	req := paritySigned(t, p.ctx, "https://abc123.execute-api.us-east-1.amazonaws.com/", op, body)
	b, _ := io.ReadAll(req.Body)
	// As API Gateway (HTTP API, payload v2) delivers it: lower-case headers, host among them.
	hdr := map[string]string{"host": req.Host}
	for k, v := range req.Header {
		hdr[strings.ToLower(k)] = strings.Join(v, ",")
	}
	hdr["content-length"] = strconv.Itoa(len(b))
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /", RawPath: "/", Headers: hdr, Body: string(b),
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/", SourceIP: "203.0.113.9"}},
	}
	resp, err := p.cmp.HandleEvent(p.ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, []byte(resp.Body)
}

func (p *parityAWS) put(t *testing.T, key string, body []byte) {
	t.Helper()
	if err := p.s.objects.Put(p.ctx, key, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
}

func (p *parityAWS) drop(t *testing.T, key string, body []byte) {
	t.Helper()
	p.put(t, key, body)
	p.events.uploaded(t, p.ctx, key)
	if in := p.events.waitIngested(t, p.ctx, key); in.Err != nil {
		t.Fatalf("ingest of %s: %v", key, in.Err)
	}
}

func (p *parityAWS) upload(t *testing.T, jobID string, u api.Upload, body []byte) int {
	t.Helper()
	status, _ := e2ePutStatus(t, p.ctx, u.URL, u.Headers, body)
	if status == http.StatusOK {
		key := strings.TrimPrefix(parityObjectKey(t, u.URL), p.s.bucket+"/")
		p.events.uploaded(t, p.ctx, key)
		if in := p.events.waitIngested(t, p.ctx, key); in.Err != nil {
			t.Fatalf("ingest of %s: %v", key, in.Err)
		}
	}
	return status
}

func (p *parityAWS) notification(t *testing.T, jobID string) (api.Notification, map[string]string) {
	t.Helper()
	d := p.sub.wait(t, p.ctx, jobID)
	return d.Note, d.Attrs
}

type parityLocal struct {
	ctx context.Context
	s   *local.Stack
	key string
	dir string
}

func (p *parityLocal) name() string { return "local" }
func (p *parityLocal) base() string {
	return (&url.URL{Scheme: "file", Path: p.dir + "/objects/"}).String()
}

func (p *parityLocal) call(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(p.ctx, method, p.s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, b
}

func (p *parityLocal) coding(t *testing.T, method, path string) (int, []byte) {
	t.Helper()
	return p.call(t, method, path, "")
}

func (p *parityLocal) drop(t *testing.T, key string, body []byte) { t.Helper(); p.put(t, key, body) }

func (p *parityLocal) comprehend(t *testing.T, op string, body any) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(paritySigned(t, p.ctx, p.s.URL+"/", op, body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (p *parityLocal) put(t *testing.T, key string, body []byte) {
	t.Helper()
	if err := p.s.Service.Objects().Put(p.ctx, key, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
}

func (p *parityLocal) upload(t *testing.T, jobID string, u api.Upload, body []byte) int {
	t.Helper()
	status, _ := e2ePutStatus(t, p.ctx, u.URL, u.Headers, body)
	return status
}

func (p *parityLocal) notification(t *testing.T, jobID string) (api.Notification, map[string]string) {
	t.Helper()
	for {
		ev, ok, err := p.s.Notifier.ForJob(p.ctx, parityTenant(), jobID)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return ev.Notification, nil
		}
		select {
		case <-p.ctx.Done():
			t.Fatalf("local: no notification for job %s: %v", jobID, p.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func parityTenant() string { return handlers.TenantFromARN(e2eCaller) }

// parityObjectKey is the bucket and key of a path-style presigned URL.
func parityObjectKey(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// parityJob is one job of the matrix: a create request and the bodies of its uploads (nil:
// no upload; then stop says whether the job is stopped while it waits).
type parityJob struct {
	name    string
	req     api.CreateJobRequest
	uploads [][]byte
	stop    bool
	// retry re-runs the finished job's failed documents as a child job, compared too.
	retry bool
}

// parityRun is what a user saw of one job on one stack, normalised (ids, times, locations).
type parityRun struct {
	create, describe, notification, attrs, manifest, errors, results, comprehend string
	statusCreate, statusResults                                                  int
	members                                                                      map[string]string
	order                                                                        []string
	// retryCreate and child are the retry's answer and its child job's run (retry jobs).
	retryCreate string
	child       *parityRun
	// retention is how long after EndTime the job expires (ExpirationTime − EndTime).
	retention string
	// grandchild is the answer to a retry of the retry child.
	grandchild string
	// ids names each job id the run made (its own, its children's) for listings.
	ids map[string]string
}

func TestParityLocalAWS(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	s := newE2EStack(t, ctx, parityShardBytes)
	s.rebuild(t, ctx, e2eDeps{shardBytes: parityShardBytes, kmsKey: e2eProbeKMS(t, ctx, s)})
	awsSide := &parityAWS{ctx: ctx, s: s, events: e2eStartObjectEvents(t, ctx, s), sub: e2eNewSubscriber(s)}
	key := handlers.AccessKey{AccessKeyId: parityKeyID, SecretAccessKey: paritySecret, Tenant: parityTenant()}
	awsSide.cmp = handlers.NewAPI(s.svc, handlers.IAMAuth{}, nil).WithComprehend(
		handlers.NewSigV4AuthStore(handlers.ComprehendService, handlers.NewStaticKeys([]handlers.AccessKey{key})),
		handlers.ComprehendConfig{Bucket: s.bucket, Region: "us-east-1", Account: "123456789012"})
	// A CODING_TRAINING job runs in one shard: a long visibility timeout, as the worker
	// function's.
	e2eEventSources(t, ctx, s, 3*time.Minute, nil)

	dir := t.TempDir()
	ls, err := local.Start(ctx, local.Config{
		DataDir: dir, Addr: "127.0.0.1:0", Keys: map[string]string{"parity-key": parityTenant()},
		ShardBytes: parityShardBytes, Workers: 1,
		AccessKeys: []local.AccessKey{{AccessKeyID: parityKeyID, SecretAccessKey: paritySecret, Tenant: parityTenant()}},
	}, local.Options{Log: e2eLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ls.Close() })
	localSide := &parityLocal{ctx: ctx, s: ls, key: "parity-key", dir: dir}
	sides := []paritySide{awsSide, localSide}

	// names names, on each side, every job (and trained model) the matrix made, for the
	// listings below: "<case role>".
	names := [2]map[string]string{{}, {}}
	for _, c := range parityMatrix(t) {
		t.Run(c.name, func(t *testing.T) {
			var runs [2]*parityRun
			for i, side := range sides {
				runs[i] = parityRunJob(t, side, c)
				for id, role := range runs[i].ids {
					names[i][id] = "<" + c.name + " " + strings.Trim(role, "<>") + ">"
				}
			}
			parityCompare(t, runs[0], runs[1])
		})
	}

	t.Run("job listing", func(t *testing.T) {
		// Unfiltered, pages are the same on both; with a JobName or JobStatus filter a page on
		// AWS may be short and still have a NextToken (README, GET /v1/jobs): the jobs listed
		// over all pages compare.
		for _, q := range []struct {
			path  string
			pages bool
		}{
			{"/v1/jobs?MaxResults=4", true},
			{"/v1/jobs?JobStatus=COMPLETED&MaxResults=2", false},
			{"/v1/jobs?JobName=parity-lines&MaxResults=1", false},
		} {
			var got [2]string
			for i, side := range sides {
				pages, items := parityPages(t, side, q.path, "Jobs", names[i])
				got[i] = items
				if q.pages {
					got[i] = strings.Join(pages, "\n")
				}
			}
			parityCompareStrings(t, "GET "+q.path, got)
		}
		// The errors route of the many-shards job, two records a page.
		var got [2]string
		for i, side := range sides {
			id := parityIDOf(t, names[i], "<lines many shards job>")
			pages, _ := parityPages(t, side, "/v1/jobs/"+id+"/errors?MaxResults=2", "Errors", names[i])
			got[i] = strings.Join(pages, "\n")
		}
		parityCompareStrings(t, "GET …/errors?MaxResults=2", got)
	})

	t.Run("coding operations", func(t *testing.T) {
		var got [2][]string
		for i, side := range sides {
			got[i] = parityCoding(t, side, names[i])
		}
		for k := range got[0] {
			parityCompareStrings(t, fmt.Sprintf("coding answer %d", k), [2]string{got[0][k], got[1][k]})
		}
	})

	for _, d := range []struct {
		name, template string
		objects        [][2]string
	}{
		{"parity", `{"JobName":"parity-drop-","Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"JobTag":"dropped","RetentionHours":3}`,
			[][2]string{{"day1.txt", "A short note about gardens.\nUne note sur les jardins.\n"}}},
		// A batch of a ONE_DOC_PER_FILE rule: its documents start nothing, its marker one job.
		{"batches", `{"Analyses":["LANGUAGE","KEY_PHRASES"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_FILE"}}`,
			[][2]string{{"b1/a.txt", "Tomatoes grow well in warm summers."}, {"b1/sub/b.txt", "\xff\xfe"}, {"b1/.hidden", "x"}, {"b1/_SUCCESS", ""}}},
		// A marker directly in the rule's folder closes no batch: one FAILED job says so.
		{"stray", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_FILE"}}`,
			[][2]string{{"_SUCCESS", ""}}},
	} {
		t.Run("drop rule "+d.name, func(t *testing.T) {
			var got [2]*parityRun
			var rules [2][]string
			for i, side := range sides {
				rules[i], got[i] = parityDrop(t, side, d.name, d.template, d.objects)
			}
			for k := range rules[0] {
				parityCompareStrings(t, fmt.Sprintf("drop rule answer %d", k), [2]string{rules[0][k], rules[1][k]})
			}
			parityCompare(t, got[0], got[1])
		})
	}

	t.Run("comprehend surface", func(t *testing.T) {
		var got [2][]string
		var redacted [2]*parityRun
		for i, side := range sides {
			got[i], redacted[i] = parityComprehend(t, side)
		}
		parityCompare(t, redacted[0], redacted[1])
		for k := range got[0] {
			if got[0][k] != got[1][k] {
				d := parityFirstDiff(got[0][k], got[1][k])
				t.Errorf("Comprehend answer %d differs at byte %d:\n  aws:   %s\n  local: %s", k, d, parityClip(got[0][k], d), parityClip(got[1][k], d))
			}
		}
	})

	t.Run("coding routes", func(t *testing.T) {
		for _, path := range []string{
			"/v1/topics", "/v1/topics/occupation", "/v1/topics/occupation/models", "/v1/topics/occupation/models/latest", "/v1/topics/nope",
			"/v1/topics/nope/models", "/v1/topics/occupation/models/nope",
			"/v1/topics/occupation/batch-code/operations/00000000-0000-0000-0000-000000000000",
		} {
			var got [2]string
			for i, side := range sides {
				status, body := side.coding(t, http.MethodGet, path)
				// A trained model's file holds its training job's id (in trainedOn) and is
				// Huffman-coded (shared/analysis/coding/format.go), so its size varies by a few
				// bytes with that id, on any stack.
				norm := parityTrainedSizeRE.ReplaceAllString(parityNormalise(body, side, names[i]), "${1}0")
				got[i] = fmt.Sprintf("%d %s", status, norm)
			}
			if got[0] != got[1] {
				d := parityFirstDiff(got[0], got[1])
				t.Errorf("GET %s differs at byte %d:\n  aws:   %s\n  local: %s", path, d, parityClip(got[0], d), parityClip(got[1], d))
			}
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, r := range parityBadRequests() {
			var got [2]string
			for i, side := range sides {
				status, body := side.call(t, r.method, r.path, r.body)
				got[i] = fmt.Sprintf("%d %s", status, parityNormalise(body, side, nil))
			}
			if got[0] != got[1] {
				t.Errorf("%s %s %.200s:\n  aws:   %s\n  local: %s", r.method, r.path, r.body, got[0], got[1])
			}
		}
	})
}

// parityMatrix is the jobs both stacks run: every analysis, every input format, bad encoding,
// empty and too-long documents, TOPICS with a seed, CODING, a redacted PII job, an empty input,
// and a job stopped while it waits for its input.
func parityMatrix(t *testing.T) []parityJob {
	t.Helper()
	long := strings.Repeat("This sentence makes the review far too long for sentiment. ", 100) // > 5,000 bytes
	lines := []byte("I really love this phone, the screen is bright and the battery lasts all day\n" +
		"Caf\xe9 cr\xe8me br\xfbl\xe9e\n" +
		"\n" +
		"John Smith flew to Paris with Acme Corporation on 3 March 2024.\n" +
		long + "\n" +
		"Le service était excellent et la nourriture délicieuse.\n" +
		"12345 67890\n" +
		"The delivery was late and the box was damaged, which made me very unhappy")
	jsonl := []byte(`{"recordId": "a", "text": "Call Jane Doe at 555-0100 or mail jane@example.com about her account 1234567890."}` + "\n" +
		`{"recordId": 7, "text": "The hotel was clean and the staff were friendly."}` + "\n" +
		`{"recordId": "c", "text": ""}` + "\n" +
		`{"recordId": "d"}` + "\n" +
		`not json at all` + "\n" +
		`{"recordId": "f", "text": "Bad \u0000 text", "text": "twice"}` + "\n")
	coding, err := os.ReadFile("../../testdata/coding/records.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	coding = bytes.Join(bytes.SplitAfter(coding, []byte("\n"))[:40], nil)
	coding = append(coding, []byte(`{"recordId": "bad", "occp_text": 5}`+"\n")...)
	train, err := os.ReadFile("../../testdata/coding/train-sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	topics, _, _ := e2eTopicsInput(t)
	topics = bytes.Join(bytes.SplitAfter(topics, []byte("\n"))[:260], nil)
	if len(topics) > 8*parityShardBytes {
		t.Fatalf("the TOPICS input is %d bytes; keep it under %d so that both stacks plan the same shards", len(topics), 8*parityShardBytes)
	}
	many, _ := e2eGenLines(3000, []int{5, 2999}, []int{700}, []int{1500})
	seed := int64(42)
	all := []job.Analysis{job.Language, job.Sentiment, job.Entities, job.KeyPhrases, job.PII}
	return []parityJob{
		{name: "lines every analysis", req: api.CreateJobRequest{JobName: "parity-lines", Analyses: all,
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}, JobTag: "parity",
			Tags: []job.Tag{{Key: "team", Value: "parity"}}}, uploads: [][]byte{lines}, retry: true},
		{name: "lines many shards", req: api.CreateJobRequest{JobName: "parity-many", Analyses: []job.Analysis{job.Language, job.Sentiment},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}, uploads: [][]byte{many}},
		{name: "jsonl pii redacted", req: api.CreateJobRequest{JobName: "parity-pii", Analyses: []job.Analysis{job.PII, job.Sentiment},
			InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines}, LanguageCode: "en",
			RedactionConfig: &job.RedactionConfig{MaskMode: "MASK", MaskCharacter: "#"}}, uploads: [][]byte{jsonl}},
		{name: "files", req: api.CreateJobRequest{JobName: "parity-files", Analyses: []job.Analysis{job.Language, job.KeyPhrases},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}, UploadFiles: []string{"a.txt", "dir/b.txt", "c.txt"}},
			uploads: [][]byte{[]byte("A short note about gardens and tomatoes in summer."), []byte("\xff\xfeU\x00T\x00F\x00"), []byte(" \n")}},
		{name: "topics seeded", req: api.CreateJobRequest{JobName: "parity-topics", Analyses: []job.Analysis{job.Topics},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}, NumberOfTopics: new(5), RandomSeed: &seed},
			uploads: [][]byte{topics}},
		{name: "coding", req: api.CreateJobRequest{JobName: "parity-coding", Analyses: []job.Analysis{job.Coding},
			InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines}, CodingConfig: &job.CodingConfig{Topic: "occupation"}},
			uploads: [][]byte{coding}},
		{name: "empty input", req: api.CreateJobRequest{JobName: "parity-empty", Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}, uploads: [][]byte{{}}},
		{name: "only bad documents", req: api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}, uploads: [][]byte{[]byte("\n \n\xff\n")}},
		{name: "stopped awaiting input", req: api.CreateJobRequest{JobName: "parity-stop", Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}, stop: true},
		{name: "retention and tag", req: api.CreateJobRequest{JobName: "parity-retention", Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}, RetentionHours: new(2), JobTag: "parity-kept"},
			uploads: [][]byte{[]byte("A short note about gardens.\n")}},
		// Last: the model it registers becomes the tenant's latest, which the coding operations
		// below use on both stacks.
		{name: "coding training", req: api.CreateJobRequest{JobName: "parity-train", Analyses: []job.Analysis{job.CodingTraining},
			InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines}, CodingConfig: &job.CodingConfig{Topic: "occupation"}},
			uploads: [][]byte{train}},
	}
}

type parityRequest struct{ method, path, body string }

// parityBadRequests are requests both stacks must refuse with the same status and body.
func parityBadRequests() []parityRequest {
	return []parityRequest{
		{http.MethodPost, "/v1/jobs", `{`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":[]}`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":["NOPE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"CSV"}}`},
		{http.MethodPost, "/v1/jobs", `{"analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":["SENTIMENT"],"LanguageCode":"fr","InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":["TOPICS"],"NumberOfTopics":0,"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":["CODING"],"CodingConfig":{"Topic":"nope"},"InputDataConfig":{"InputFormat":"JSONL"}}`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":["LANGUAGE"],"RetentionHours":0,"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":["LANGUAGE"],"JobTag":"no spaces","InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`},
		{http.MethodPost, "/v1/jobs", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_FILE"},"UploadFiles":["a","a/b"]}`},
		{http.MethodGet, "/v1/jobs/00000000-0000-0000-0000-000000000000", ""},
		{http.MethodGet, "/v1/jobs/not-a-job/results", ""},
		{http.MethodPost, "/v1/jobs/00000000-0000-0000-0000-000000000000/stop", ""},
		{http.MethodGet, "/v1/jobs?MaxResults=0", ""},
		{http.MethodGet, "/v1/jobs?JobStatus=DONE", ""},
		{http.MethodGet, "/v1/jobs?Bogus=1", ""},
	}
}

// parityRunJob runs c on side and returns what the user saw.
func parityRunJob(t *testing.T, side paritySide, c parityJob) *parityRun {
	t.Helper()
	body, err := json.Marshal(c.req)
	if err != nil {
		t.Fatal(err)
	}
	r := &parityRun{members: map[string]string{}}
	status, b := side.call(t, http.MethodPost, "/v1/jobs", string(body))
	r.statusCreate = status
	var res api.CreateJobResult
	if err := json.Unmarshal(b, &res); err != nil || status != http.StatusCreated || res.Job == nil {
		t.Fatalf("%s: create answered %d %s", side.name(), status, b)
	}
	ids := map[string]string{res.JobId: "<job>"}
	r.create = parityNormalise(parityDropUploads(t, b), side, ids)
	uploads := res.Uploads
	if res.Upload != nil {
		uploads = []api.Upload{*res.Upload}
	}
	if c.stop {
		status, b := side.call(t, http.MethodPost, "/v1/jobs/"+res.JobId+"/stop", "")
		if status != http.StatusOK {
			t.Fatalf("%s: stop answered %d %s", side.name(), status, b)
		}
	}
	for i, body := range c.uploads {
		if st := side.upload(t, res.JobId, uploads[i], body); st != http.StatusOK {
			t.Fatalf("%s: upload %d answered %d", side.name(), i, st)
		}
	}
	parityFinish(t, side, res.JobId, ids, r)
	if c.retry {
		status, b := side.call(t, http.MethodPost, "/v1/jobs/"+res.JobId+"/retry", `{"ErrorCodes":["UNSUPPORTED_LANGUAGE","UNSUPPORTED_ENCODING"]}`)
		var child api.CreateJobResult
		if err := json.Unmarshal(b, &child); err != nil || status != http.StatusCreated || child.Job == nil {
			t.Fatalf("%s: retry answered %d %s", side.name(), status, b)
		}
		ids[child.JobId] = "<child>"
		// The child is planned by a worker on AWS (SUBMITTED when answered, no shards yet) and by
		// the request locally (IN_PROGRESS, its shards and InputBytes known), as a create with an
		// input location is (README, the retry route): the answer is compared without its status
		// and counters, and the finished child whole below.
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "JobStatus")
		delete(m, "JobDetails")
		mb, _ := json.Marshal(m)
		r.retryCreate = parityNormalise(mb, side, ids)
		if want := map[string]job.Status{"aws": job.Submitted, "local": job.InProgress}[side.name()]; child.JobStatus != want {
			t.Errorf("%s: the retry answered a child %s, want %s", side.name(), child.JobStatus, want)
		}
		r.child = &parityRun{members: map[string]string{}}
		parityFinish(t, side, child.JobId, ids, r.child)
		// The child's documents failed again: a retry of the child is a job of its own too.
		status, b = side.call(t, http.MethodPost, "/v1/jobs/"+child.JobId+"/retry", `{"ErrorCodes":["UNSUPPORTED_LANGUAGE","UNSUPPORTED_ENCODING"]}`)
		var grand api.CreateJobResult
		if err := json.Unmarshal(b, &grand); err == nil && status == http.StatusCreated && grand.Job != nil {
			ids[grand.JobId] = "<grandchild>"
			g := &parityRun{members: map[string]string{}}
			parityFinish(t, side, grand.JobId, ids, g)
			r.grandchild = g.describe + "\n" + g.notification
		} else {
			r.grandchild = fmt.Sprintf("%d %s", status, parityNormalise(b, side, ids))
		}
	}
	r.ids = ids
	return r
}

// parityFinish waits for job id's notification and reads what a user reads of the finished job.
func parityFinish(t *testing.T, side paritySide, id string, ids map[string]string, r *parityRun) {
	t.Helper()
	note, attrs := side.notification(t, id)
	nb, err := json.Marshal(note)
	if err != nil {
		t.Fatal(err)
	}
	_, db := side.call(t, http.MethodGet, "/v1/jobs/"+id, "")
	var j job.Job
	if err := json.Unmarshal(db, &j); err != nil {
		t.Fatalf("%s: describe %s: %v", side.name(), db, err)
	}
	if slices.Contains(j.Analyses, job.CodingTraining) && j.CodingConfig != nil && j.CodingConfig.ModelId != "" {
		// The model a training job registered has an id of each stack's own.
		ids[j.CodingConfig.ModelId] = "<model>"
	}
	if j.EndTime != nil && j.ExpirationTime != nil {
		// Times are normalised away: how long the output is kept is compared here.
		r.retention = j.ExpirationTime.Sub(*j.EndTime).String()
	}
	r.notification = parityNormalise(nb, side, ids)
	if attrs != nil {
		// SNS message attributes exist only on AWS (README, Notifications): check they agree
		// with the body.
		want := map[string]string{reamaws.AttrStatus: string(note.JobStatus), reamaws.AttrTenant: note.Tenant}
		if note.JobName != "" {
			want[reamaws.AttrJobName] = note.JobName
		}
		if note.DropRule != "" {
			want[reamaws.AttrDropRule] = note.DropRule
		}
		ab, _ := json.Marshal(attrs)
		wb, _ := json.Marshal(want)
		if !bytes.Equal(ab, wb) {
			t.Errorf("aws: notification attributes %s, want %s", ab, wb)
		}
	}
	r.describe = parityNormalise(db, side, ids)
	_, b := side.call(t, http.MethodGet, "/v1/jobs/"+id+"/errors", "")
	r.errors = parityNormalise(b, side, ids)
	status, b := side.call(t, http.MethodGet, "/v1/jobs/"+id+"/results", "")
	r.statusResults = status
	if status != http.StatusOK {
		r.results = parityNormalise(b, side, ids)
		return
	}
	var links api.ResultLinks
	if err := json.Unmarshal(b, &links); err != nil {
		t.Fatal(err)
	}
	r.manifest = parityNormalise(e2eDownload(t, context.Background(), links.Manifest), side, ids)
	gz, err := gzip.NewReader(bytes.NewReader(e2eDownload(t, context.Background(), links.Output)))
	if err != nil {
		t.Fatalf("%s: output.tar.gz: %v", side.name(), err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: output.tar.gz: %v", side.name(), err)
		}
		mb, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		hdr := fmt.Sprintf("mode %o size %d type %c uid %d gid %d uname %q gname %q format %v", h.Mode, h.Size, h.Typeflag, h.Uid, h.Gid, h.Uname, h.Gname, h.Format)
		r.members[h.Name] = hdr + "\n" + string(mb)
		r.order = append(r.order, h.Name)
	}
}

// parityDropUploads removes the presigned URLs and their headers from a create answer: they
// name each stack's own store (S3's X-Amz-* query and SSE headers; the local store's).
func parityDropUploads(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Upload", "Uploads"} {
		if v, ok := m[k]; ok {
			m[k] = fmt.Sprintf("<%T>", v)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	parityTimeRE  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	parityStampRE = regexp.MustCompile(`"Timestamp":\d+`)
	parityRateRE  = regexp.MustCompile(`"(DocumentsPerSecond)":[0-9.e+-]+`)
	// The Comprehend surface's times are epoch seconds, as Comprehend's JSON protocol has them.
	parityEpochRE = regexp.MustCompile(`"(SubmitTime|EndTime)":\d+(\.\d+)?`)
	// The size of a trained model's file (see the coding routes' comparison).
	parityTrainedSizeRE = regexp.MustCompile(`("trainingJobId":"[^"]*","sizeBytes":)\d+`)
)

// parityNormalise replaces what differs by nature between two runs and two stacks: job ids,
// times, and the URI prefix of each stack's objects (s3://bucket/ or file:///…/objects/; the
// local stack's bucket name ream-local too, which its s3:// URIs use).
func parityNormalise(b []byte, side paritySide, ids map[string]string) string {
	s := string(bytes.TrimSpace(b))
	for id, name := range ids {
		s = strings.ReplaceAll(s, id, name)
		s = strings.ReplaceAll(s, strings.ReplaceAll(id, "-", ""), name)
	}
	s = strings.ReplaceAll(s, side.base(), "<store>/")
	if a, ok := side.(*parityAWS); ok {
		s = strings.ReplaceAll(s, a.s.bucket, "<bucket>")
	} else {
		s = strings.ReplaceAll(s, "s3://ream-local/", "<store>/")
		s = strings.ReplaceAll(s, `"S3Bucket":"ream-local"`, `"S3Bucket":"<bucket>"`)
	}
	s = parityTimeRE.ReplaceAllString(s, "<time>")
	s = parityStampRE.ReplaceAllString(s, `"Timestamp":0`)
	s = parityRateRE.ReplaceAllString(s, `"$1":0`)
	s = parityEpochRE.ReplaceAllString(s, `"$1":0`)
	return s
}

func parityCompare(t *testing.T, a, l *parityRun) {
	t.Helper()
	field := func(what, x, y string) {
		if x != y {
			d := parityFirstDiff(x, y)
			t.Errorf("%s differs at byte %d:\n  aws:   %s\n  local: %s", what, d, parityClip(x, d), parityClip(y, d))
		}
	}
	if a.statusCreate != l.statusCreate || a.statusResults != l.statusResults {
		t.Errorf("statuses differ: create %d/%d, results %d/%d (aws/local)", a.statusCreate, l.statusCreate, a.statusResults, l.statusResults)
	}
	field("create answer", a.create, l.create)
	field("notification", a.notification, l.notification)
	field("describe", a.describe, l.describe)
	field("errors route", a.errors, l.errors)
	field("results answer", a.results, l.results)
	field("manifest.json", a.manifest, l.manifest)
	if !slices.Equal(a.order, l.order) {
		t.Errorf("output.tar.gz members differ: aws %v, local %v", a.order, l.order)
	}
	names := make([]string, 0, len(a.members))
	for n := range a.members {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if y, ok := l.members[n]; ok {
			field("output.tar.gz member "+n, a.members[n], y)
		}
	}
	field("retry answer", a.retryCreate, l.retryCreate)
	field("retention (ExpirationTime − EndTime)", a.retention, l.retention)
	field("retry of the retry child", a.grandchild, l.grandchild)
	if a.child != nil && l.child != nil {
		parityCompare(t, a.child, l.child)
	}
}

func parityFirstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// parityClip shows s around byte d.
func parityClip(s string, d int) string {
	a, b := max(0, d-240), min(len(s), d+360)
	out := s[a:b]
	if a > 0 {
		out = "…" + out
	}
	if b < len(s) {
		out += "…"
	}
	return out
}

// parityComprehend runs a sentiment job through the Comprehend-compatible surface over an
// object put into the store, and returns the answers a Comprehend client reads, normalised: the
// JobArn's region and account are each stack's own (README: the stack's on AWS, local and
// 000000000000 locally), and so is Start's JobStatus (README: locally the create plans the job).
func parityComprehend(t *testing.T, side paritySide) ([]string, *parityRun) {
	t.Helper()
	key := "inputs/" + parityTenant() + "/parity/reviews.txt"
	side.put(t, key, []byte("I love it.\nTerrible service, never again.\n\xff\xfe\n\nThe room was fine.\n"))
	bucket := strings.TrimSuffix(strings.TrimPrefix(side.base(), "s3://"), "/")
	if _, ok := side.(*parityLocal); ok {
		bucket = "ream-local"
	}
	var out []string
	ids := map[string]string{}
	norm := func(status int, b []byte) string {
		s := parityNormalise(b, side, ids)
		s = regexp.MustCompile(`arn:aws:comprehend:[a-z0-9-]+:\d{12}:`).ReplaceAllString(s, "arn:aws:comprehend:<region>:<account>:")
		return fmt.Sprintf("%d %s", status, s)
	}
	start := map[string]any{
		"JobName": "parity-cmp", "LanguageCode": "en", "DataAccessRoleArn": "arn:aws:iam::123456789012:role/R",
		"InputDataConfig":  map[string]any{"S3Uri": "s3://" + bucket + "/" + key, "InputFormat": "ONE_DOC_PER_LINE"},
		"OutputDataConfig": map[string]any{"S3Uri": "s3://" + bucket + "/outputs/" + parityTenant() + "/"},
	}
	status, b := side.comprehend(t, "StartSentimentDetectionJob", start)
	var started struct{ JobId, JobStatus string }
	if err := json.Unmarshal(b, &started); err != nil || status != http.StatusOK || len(started.JobId) != 32 {
		t.Fatalf("%s: StartSentimentDetectionJob: %d %s", side.name(), status, b)
	}
	ids[started.JobId[:8]+"-"+started.JobId[8:12]+"-"+started.JobId[12:16]+"-"+started.JobId[16:20]+"-"+started.JobId[20:]] = "<job>"
	out = append(out, norm(status, bytes.Replace(b, []byte(`"JobStatus":"`+started.JobStatus+`"`), []byte(`"JobStatus":"<started>"`), 1)))
	for id := range ids {
		side.notification(t, id)
	}
	out = append(out, norm(side.comprehend(t, "DescribeSentimentDetectionJob", map[string]any{"JobId": started.JobId})))
	out = append(out, norm(side.comprehend(t, "ListSentimentDetectionJobs", map[string]any{"Filter": map[string]any{"JobName": "parity-cmp"}})))
	out = append(out, norm(side.comprehend(t, "DescribeSentimentDetectionJob", map[string]any{"JobId": "0123456789abcdef0123456789abcdef"})))
	out = append(out, norm(side.comprehend(t, "DescribeEntitiesDetectionJob", map[string]any{"JobId": started.JobId})))
	out = append(out, norm(side.comprehend(t, "StopSentimentDetectionJob", map[string]any{"JobId": started.JobId})))
	bad := maps.Clone(start)
	bad["LanguageCode"] = "xx"
	out = append(out, norm(side.comprehend(t, "StartSentimentDetectionJob", bad)))
	delete(bad, "DataAccessRoleArn")
	bad["LanguageCode"] = "en"
	out = append(out, norm(side.comprehend(t, "StartSentimentDetectionJob", bad)))
	bad = maps.Clone(start)
	bad["InputDataConfig"] = map[string]any{"S3Uri": "s3://" + bucket + "/inputs/" + parityTenant() + "/parity/none.txt", "InputFormat": "ONE_DOC_PER_LINE"}
	status, b = side.comprehend(t, "StartSentimentDetectionJob", bad)
	if err := json.Unmarshal(b, &started); err != nil || status != http.StatusOK || len(started.JobId) != 32 {
		t.Fatalf("%s: StartSentimentDetectionJob of a missing object: %d %s", side.name(), status, b)
	}
	id := started.JobId[:8] + "-" + started.JobId[8:12] + "-" + started.JobId[12:16] + "-" + started.JobId[16:20] + "-" + started.JobId[20:]
	ids[id] = "<missing>"
	side.notification(t, id)
	out = append(out, norm(side.comprehend(t, "DescribeSentimentDetectionJob", map[string]any{"JobId": started.JobId})))

	// A PII ONLY_REDACTION job: its redacted copies are in output.tar.gz, read through /v1.
	pii := "inputs/" + parityTenant() + "/parity/pii.txt"
	side.put(t, pii, []byte("Call Jane Doe at 555-0100 or mail jane@example.com.\nNothing personal here.\n\xff\n"))
	start = maps.Clone(start)
	start["JobName"] = "parity-redact"
	start["Mode"] = "ONLY_REDACTION"
	start["RedactionConfig"] = map[string]any{"MaskMode": "REPLACE_WITH_PII_ENTITY_TYPE", "PiiEntityTypes": []string{"NAME", "EMAIL"}}
	start["InputDataConfig"] = map[string]any{"S3Uri": "s3://" + bucket + "/" + pii, "InputFormat": "ONE_DOC_PER_LINE"}
	status, b = side.comprehend(t, "StartPiiEntitiesDetectionJob", start)
	if err := json.Unmarshal(b, &started); err != nil || status != http.StatusOK || len(started.JobId) != 32 {
		t.Fatalf("%s: StartPiiEntitiesDetectionJob: %d %s", side.name(), status, b)
	}
	id = started.JobId[:8] + "-" + started.JobId[8:12] + "-" + started.JobId[12:16] + "-" + started.JobId[16:20] + "-" + started.JobId[20:]
	ids[id] = "<redact>"
	side.notification(t, id)
	out = append(out, norm(side.comprehend(t, "DescribePiiEntitiesDetectionJob", map[string]any{"JobId": started.JobId})))
	r := &parityRun{members: map[string]string{}}
	parityFinish(t, side, id, ids, r)
	return out, r
}

// parityCompareStrings reports where two sides' answers differ.
func parityCompareStrings(t *testing.T, what string, got [2]string) {
	t.Helper()
	if got[0] != got[1] {
		d := parityFirstDiff(got[0], got[1])
		t.Errorf("%s differs at byte %d:\n  aws:   %s\n  local: %s", what, d, parityClip(got[0], d), parityClip(got[1], d))
	}
}

// parityIDOf is the id names gives name.
func parityIDOf(t *testing.T, names map[string]string, name string) string {
	t.Helper()
	for id, n := range names {
		if n == name {
			return id
		}
	}
	t.Fatalf("no job %s", name)
	return ""
}

// parityPages pages through a listing (path has a query) until its NextToken is absent; it
// returns each page normalised (its NextToken's value aside: each stack's own) and the items
// (field list) of all of them, one a line.
func parityPages(t *testing.T, side paritySide, path, list string, names map[string]string) (pages []string, items string) {
	t.Helper()
	var all []string
	next := ""
	for range 200 { // hang guard only
		p := path
		if next != "" {
			p += "&NextToken=" + url.QueryEscape(next)
		}
		status, b := side.call(t, http.MethodGet, p, "")
		var page map[string]json.RawMessage
		if err := json.Unmarshal(b, &page); err != nil || status != http.StatusOK {
			t.Fatalf("%s: GET %s: %d %s", side.name(), p, status, b)
		}
		next = ""
		if tok, ok := page["NextToken"]; ok {
			if err := json.Unmarshal(tok, &next); err != nil {
				t.Fatal(err)
			}
			page["NextToken"] = json.RawMessage(`"<token>"`)
		}
		var its []json.RawMessage
		if err := json.Unmarshal(page[list], &its); err != nil {
			t.Fatalf("%s: GET %s: %s: %v", side.name(), p, list, err)
		}
		for _, it := range its {
			all = append(all, parityNormalise(it, side, names))
		}
		pb, _ := json.Marshal(page)
		pages = append(pages, fmt.Sprintf("%d %s", status, parityNormalise(pb, side, names)))
		if next == "" {
			return pages, strings.Join(all, "\n")
		}
	}
	t.Fatalf("%s: GET %s: still a NextToken after 200 pages", side.name(), path)
	return nil, ""
}

// parityCoding runs the coding service's operation flow as its clients do: POST batch-code,
// the operation awaiting its file, a PUT without the signed SSE-KMS headers (refused), the PUT
// with them, the operation's status once its job is notified, coded.jsonl and metadata.json
// (records coded with the model the matrix trained, a bad record among them), the operation
// under a model it was not made with, a pinned unknown model, and an empty file. It returns
// each answer, normalised.
func parityCoding(t *testing.T, side paritySide, names map[string]string) []string {
	t.Helper()
	records, err := os.ReadFile("../../testdata/coding/records.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	records = bytes.Join(bytes.SplitAfter(records, []byte("\n"))[:20], nil)
	records = append(records, []byte(`{"recordId": 9, "occp_text": "nurse"}`+"\n"+`not json`+"\n")...)
	ids := maps.Clone(names)
	var out []string
	add := func(status int, b []byte) {
		out = append(out, fmt.Sprintf("%d %s", status, parityNormalise(b, side, ids)))
	}
	const unknown = "3f0c0000-0000-4000-8000-000000000000"
	run := func(data []byte) {
		status, b := side.coding(t, http.MethodPost, "/v1/topics/occupation/batch-code")
		var op api.CodingOperationStarted
		if err := json.Unmarshal(b, &op); err != nil || status != http.StatusOK || op.OperationId == "" {
			t.Fatalf("%s: batch-code answered %d %s", side.name(), status, b)
		}
		ids[op.OperationId] = "<operation>"
		// The URL and the KMS key are each stack's own; the headers to send are compared.
		shown := op
		shown.RequestUploadURL = "<url>"
		shown.UploadHeaders = maps.Clone(op.UploadHeaders)
		for k, v := range shown.UploadHeaders {
			if v == op.BucketKmsKeyArn {
				shown.UploadHeaders[k] = "<kms key>"
			}
		}
		if shown.BucketKmsKeyArn != "" {
			shown.BucketKmsKeyArn = "<kms key>"
		}
		sb, _ := json.Marshal(shown)
		add(status, sb)
		opPath := "/v1/topics/occupation/batch-code/operations/" + op.OperationId
		add(side.coding(t, http.MethodGet, opPath))
		// README: both headers are part of the signature, a PUT without them is refused (S3
		// 403; MinIO, the emulator, 400): whether it is refused compares.
		st, _ := e2ePutStatus(t, context.Background(), op.RequestUploadURL, nil, data)
		out = append(out, fmt.Sprintf("PUT without the SSE-KMS headers refused: %v", st >= 400))
		u := api.Upload{Presigned: api.Presigned{URL: op.RequestUploadURL, Method: http.MethodPut, Headers: op.UploadHeaders}}
		if st := side.upload(t, op.OperationId, u, data); st != http.StatusOK {
			t.Fatalf("%s: PUT records answered %d", side.name(), st)
		}
		side.notification(t, op.OperationId)
		// opStatus adds an operation's status, its download URLs (each store's own) named, and
		// returns them.
		opStatus := func(path string) map[string]string {
			status, b := side.coding(t, http.MethodGet, path)
			var end api.CodingOperationStatus
			if status != http.StatusOK || json.Unmarshal(b, &end) != nil {
				add(status, b)
				return nil
			}
			dl := map[string]string{}
			if end.ResponseDownloadURL != "" {
				dl["coded.jsonl"] = end.ResponseDownloadURL
				end.ResponseDownloadURL = "<coded url>"
			}
			if end.MetadataDownloadURL != "" {
				dl["metadata.json"] = end.MetadataDownloadURL
				end.MetadataDownloadURL = "<metadata url>"
			}
			eb, _ := json.Marshal(end)
			add(status, eb)
			return dl
		}
		dl := opStatus(opPath)
		for _, n := range slices.Sorted(maps.Keys(dl)) {
			out = append(out, n+": "+parityNormalise(e2eGetURL(t, context.Background(), dl[n]), side, ids))
		}
		opStatus("/v1/topics/occupation/models/latest/batch-code/operations/" + op.OperationId)
		opStatus("/v1/topics/occupation/models/" + unknown + "/batch-code/operations/" + op.OperationId)
	}
	run(records)
	add(side.coding(t, http.MethodPost, "/v1/topics/occupation/models/"+unknown+"/batch-code"))
	run(nil)
	return out
}

// parityDrop puts drop rule name with template, drops each object into its folder (names
// relative to it, in order), and reads the job the last one started as parityFinish does; it
// returns the rule routes' answers (put, list, delete) and the run.
func parityDrop(t *testing.T, side paritySide, name, template string, objects [][2]string) ([]string, *parityRun) {
	t.Helper()
	ids := map[string]string{}
	var out []string
	add := func(status int, b []byte) {
		out = append(out, fmt.Sprintf("%d %s", status, parityNormalise(b, side, ids)))
	}
	add(side.call(t, http.MethodPut, "/v1/drop-rules/"+name, template))
	add(side.call(t, http.MethodGet, "/v1/drop-rules/"+name, ""))
	for _, o := range objects {
		side.drop(t, "inputs/"+parityTenant()+"/drop/"+name+"/"+o[0], []byte(o[1]))
	}
	var id string
	for deadline := time.Now().Add(2 * time.Minute); id == ""; { // hang guard only
		// The newest job, once it is the rule's: the job the last object started.
		_, b := side.call(t, http.MethodGet, "/v1/jobs?MaxResults=1", "")
		var l api.ListResponse
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatalf("%s: list: %s", side.name(), b)
		}
		if len(l.Jobs) > 0 && l.Jobs[0].DropRule == name {
			id = l.Jobs[0].JobId
			// The object's ETag is each store's own (README: the local store's is
			// <size>-<mtime ns>), and so is the token derived from it.
			if o := l.Jobs[0].DropObject; o.ETag != "" {
				ids[o.ETag] = "<etag>"
			}
			ids[l.Jobs[0].ClientRequestToken] = "<drop token>"
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the dropped object started no job", side.name())
		}
		time.Sleep(50 * time.Millisecond)
	}
	ids[id] = "<job>"
	r := &parityRun{members: map[string]string{}}
	parityFinish(t, side, id, ids, r)
	add(side.call(t, http.MethodDelete, "/v1/drop-rules/"+name, ""))
	return out, r
}
