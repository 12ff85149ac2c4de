package aws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// faultTransport is the HTTP transport of the SDK clients with real AWS's transient faults put
// back: a share of the requests to each service is answered with the errors AWS answers under
// load (S3 SlowDown, InternalError, RequestTimeout; DynamoDB throttling, InternalServerError,
// TransactionCanceledException with ThrottlingError reasons; SQS and SNS throttling and 500s;
// SNS KMSThrottling, as the topics are KMS-encrypted), or with a connection reset. A fault is
// injected either before the request reaches the emulator, or after it took effect (the write
// happened, its answer is lost), which the SDK's retries then repeat. It sits under the SDK, so
// the clients' own retry policy (ClientsFromConfig) decides what is retried, as on AWS.
//
// The choice of faults is drawn from a seeded source; which request draws which number depends
// on the order the pipeline's goroutines send them, so a run is reproducible in its rates and
// kinds, not request by request.
type faultTransport struct {
	next http.RoundTripper
	sns  string // host:port of the SNS endpoint (fauxqs serves SQS and SNS on one port)

	mu       sync.Mutex
	rng      *rand.Rand
	rate     float64 // share of requests failed, 0 for none
	injected map[string]int
	calls    map[string]int
}

func newFaultTransport(seed uint64, snsEndpoint string) *faultTransport {
	u, _ := url.Parse(snsEndpoint)
	return &faultTransport{
		next: http.DefaultTransport.(*http.Transport).Clone(), sns: u.Host,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), injected: map[string]int{}, calls: map[string]int{},
	}
}

func (f *faultTransport) setRate(r float64) { f.mu.Lock(); f.rate = r; f.mu.Unlock() }

// op names the service and operation of req (body is its body).
func (f *faultTransport) op(req *http.Request, body []byte) (svc, op string) {
	if t := req.Header.Get("X-Amz-Target"); t != "" {
		p, o, _ := strings.Cut(t, ".")
		if strings.HasPrefix(p, "DynamoDB") {
			return "dynamodb", o
		}
		return "sqs", o
	}
	if req.URL.Host == f.sns {
		v, _ := url.ParseQuery(string(body))
		return "sns", v.Get("Action")
	}
	q := req.URL.Query()
	switch {
	case q.Has("uploads"):
		return "s3", "CreateMultipartUpload"
	case q.Has("partNumber") && req.Header.Get("X-Amz-Copy-Source") != "":
		return "s3", "UploadPartCopy"
	case q.Has("partNumber"):
		return "s3", "UploadPart"
	case q.Has("uploadId") && req.Method == http.MethodPost:
		return "s3", "CompleteMultipartUpload"
	case q.Has("uploadId") && req.Method == http.MethodDelete:
		return "s3", "AbortMultipartUpload"
	case q.Has("list-type"):
		return "s3", "ListObjectsV2"
	}
	return "s3", req.Method + "Object"
}

type fault struct {
	after  bool // the request is forwarded and takes effect; its answer is lost
	reset  bool // a connection reset instead of an error response
	status int
	ctype  string
	header http.Header
	body   string
	name   string
}

// choose draws the fault for one request of svc/op, nil for none.
func (f *faultTransport) choose(svc, op string, body []byte, head bool) *fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[svc+"."+op]++
	if f.rate == 0 || f.rng.Float64() >= f.rate {
		return nil
	}
	// A throttle or a timeout refused the request; a server error or a reset may come after
	// it took effect (after is cleared below for the refusals).
	ft := &fault{after: f.rng.IntN(2) == 0}
	refused := func(status int, ctype, code, body string) {
		ft.after, ft.status, ft.ctype, ft.name, ft.body = false, status, ctype, code, body
	}
	serverError := func(status int, ctype, code, body string) {
		ft.status, ft.ctype, ft.name, ft.body = status, ctype, code, body
	}
	k := f.rng.IntN(4)
	switch {
	case k == 0:
		ft.reset, ft.name = true, "connection reset"
	case svc == "s3":
		xml := func(code string) string {
			if head {
				return "" // a HEAD answer has no body: the SDK goes by the status
			}
			return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>injected</Message><RequestId>FAULT</RequestId></Error>`
		}
		switch {
		case k == 1:
			refused(503, "application/xml", "SlowDown", xml("SlowDown"))
		case k == 2 || head:
			serverError(500, "application/xml", "InternalError", xml("InternalError"))
		default: // S3 did not get the whole body in time: nothing took effect
			refused(400, "application/xml", "RequestTimeout", xml("RequestTimeout"))
		}
	case svc == "dynamodb":
		ddb := func(code string) string {
			return `{"__type":"com.amazonaws.dynamodb.v20120810#` + code + `","message":"injected"}`
		}
		const ctype = "application/x-amz-json-1.0"
		switch {
		case k == 1 && op == "TransactWriteItems":
			// A cancelled transaction, its items' partitions throttled (the SDK does not retry it).
			var in struct{ TransactItems []json.RawMessage }
			_ = json.Unmarshal(body, &in)
			reasons := make([]map[string]string, len(in.TransactItems))
			for i := range reasons {
				reasons[i] = map[string]string{"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity of your table or index."}
			}
			b, _ := json.Marshal(map[string]any{
				"__type":              "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
				"Message":             "Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError]",
				"CancellationReasons": reasons,
			})
			refused(400, ctype, "TransactionCanceledException/ThrottlingError", string(b))
		case k == 1:
			refused(400, ctype, "ProvisionedThroughputExceededException", ddb("ProvisionedThroughputExceededException"))
		case k == 2:
			code := []string{"ThrottlingException", "RequestLimitExceeded"}[f.rng.IntN(2)]
			refused(400, ctype, code, ddb(code))
		default:
			serverError(500, ctype, "InternalServerError", ddb("InternalServerError"))
		}
	case svc == "sqs":
		sqsErr := func(code string) string { return `{"__type":"com.amazonaws.sqs#` + code + `","message":"injected"}` }
		if k == 3 {
			serverError(500, "application/x-amz-json-1.0", "InternalError", sqsErr("InternalError"))
		} else {
			refused(400, "application/x-amz-json-1.0", "ThrottlingException", sqsErr("ThrottlingException"))
		}
		ft.header = http.Header{"X-Amzn-Query-Error": {ft.name + ";Sender"}}
	default: // sns, query protocol
		snsErr := func(code string) string {
			return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>` + code +
				`</Code><Message>injected</Message></Error><RequestId>FAULT</RequestId></ErrorResponse>`
		}
		switch k {
		case 1:
			refused(400, "text/xml", "Throttling", snsErr("Throttling"))
		case 2: // the topics are KMS-encrypted: KMS throttled SNS's data key request
			refused(400, "text/xml", "KMSThrottling", snsErr("KMSThrottling"))
		default:
			serverError(500, "text/xml", "InternalError", snsErr("InternalError"))
		}
	}
	when := "before"
	if ft.after {
		when = "after"
	}
	f.injected[svc+"."+op+" "+ft.name+" "+when]++
	return ft
}

func (f *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	svc, op := f.op(req, body)
	ft := f.choose(svc, op, body, req.Method == http.MethodHead)
	if ft == nil {
		return f.next.RoundTrip(req)
	}
	if ft.after {
		resp, err := f.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if ft.reset {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	}
	h := http.Header{"Content-Type": {ft.ctype}, "X-Amzn-Requestid": {"FAULT"}}
	for k, v := range ft.header {
		h[k] = v
	}
	return &http.Response{
		StatusCode: ft.status, Status: fmt.Sprintf("%d %s", ft.status, http.StatusText(ft.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Request: req,
		Body: io.NopCloser(strings.NewReader(ft.body)), ContentLength: int64(len(ft.body)),
	}, nil
}

// lostPublishes is the number of SNS Publish requests that took effect and lost their answer.
func (f *faultTransport) lostPublishes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, c := range f.injected {
		if strings.HasPrefix(k, "sns.Publish ") && strings.HasSuffix(k, " after") {
			n += c
		}
	}
	return n
}

func (f *faultTransport) report(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	n, total := 0, 0
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range f.injected {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Logf("injected %4d × %s", f.injected[k], k)
		n += f.injected[k]
	}
	for _, c := range f.calls {
		total += c
	}
	t.Logf("%d faults injected in %d requests", n, total)
}

// faultyClients are the stack's SDK clients over ft, with the retry policy ClientsFromConfig
// gives them (the standard retryer; DynamoDBAttempts for DynamoDB) but a short backoff, so that
// the test does not sit out the SDK's delays (up to 20 s each).
func faultyClients(t *testing.T, c *reamaws.Clients, ft *faultTransport) *reamaws.Clients {
	t.Helper()
	cfg := c.Config.Copy()
	cfg.HTTPClient = &http.Client{Transport: ft}
	cfg.Retryer = func() sdkaws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}
	return reamaws.ClientsFromConfig(cfg, reamaws.Endpoints{
		S3: os.Getenv("REAM_TEST_S3_ENDPOINT"), S3PathStyle: true, DynamoDB: os.Getenv("REAM_TEST_DYNAMODB_ENDPOINT"),
		SQS: os.Getenv("REAM_TEST_SQS_ENDPOINT"), SNS: os.Getenv("REAM_TEST_SNS_ENDPOINT"),
	})
}

// faultyFunctions are the handlers of the api, ingest, worker and dead-letter functions, each
// built as its Lambda builds it, on clients whose requests fail now and then.
type faultyFunctions struct {
	api    *handlers.API
	ingest *handlers.Ingest
}

func (s *e2eStack) useFaultyClients(t *testing.T, fc *reamaws.Clients) faultyFunctions {
	t.Helper()
	analyzers, err := analysis.DefaultRegistry()
	if err != nil {
		t.Fatalf("analysers: %v", err)
	}
	log := e2eLogger(t)
	cfg := reamaws.Env{Bucket: s.bucket, ShardBytes: e2eShardBytes}.Config()
	newService := func(function string) *pipeline.Service {
		return pipeline.New(pipeline.Deps{
			Jobs:      reamaws.NewJobs(fc.DynamoDB, s.table),
			Objects:   reamaws.NewObjects(fc.S3, fc.Presign, s.bucket),
			Queue:     reamaws.NewQueue(fc.SQS, s.queues.URL),
			Notifier:  reamaws.NewNotifier(fc.SNS, s.topicARN),
			Analyzers: analyzers,
			Models:    reamaws.NewModels(fc.DynamoDB, s.table),
			DropRules: reamaws.NewDropRules(fc.DynamoDB, s.table),
			Config:    cfg,
			Log:       log.With("function", function),
		})
	}
	s.worker = handlers.NewWorker(newService("worker"), log)
	s.dead = handlers.NewDeadLetters(newService("deadletter"), log)
	return faultyFunctions{
		api:    handlers.NewAPI(newService("api"), handlers.IAMAuth{}, log),
		ingest: handlers.NewIngest(newService("ingest"), log),
	}
}

// TestE2ETransientFaults runs whole jobs through the AWS adapters wired as the Lambda functions
// wire them, on clients a share of whose requests fail with AWS's transient faults (before or
// after taking effect), and checks each job as a clean run is checked: the right status, exact
// counters, every document once, no shard dead-lettered, the same output as a run without
// faults, and one notification (two only where a Publish's own answer was lost).
func TestE2ETransientFaults(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	s := newE2EStack(t, ctx, e2eShardBytes)
	// The shard queue's maxReceiveCount as the CDK stack sets it (reamcdk's default, 5).
	if _, err := s.c.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &s.queues.URL, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + s.queues.DLQARN + `","maxReceiveCount":"5"}`,
	}}); err != nil {
		t.Fatalf("SetQueueAttributes: %v", err)
	}
	seed := uint64(64)
	if v := os.Getenv("REAM_FAULT_SEED"); v != "" {
		if _, err := fmt.Sscan(v, &seed); err != nil {
			t.Fatalf("REAM_FAULT_SEED=%q: want a number", v)
		}
	}
	ft := newFaultTransport(seed, os.Getenv("REAM_TEST_SNS_ENDPOINT"))
	fn := s.useFaultyClients(t, faultyClients(t, s.c, ft))
	e2eEventSources(t, ctx, s, 30*time.Second, nil)
	sub := e2eNewSubscriber(s)
	tenant := handlers.TenantFromARN(e2eCaller)
	defer ft.report(t)

	data, docs := e2eGenLines(300, []int{17, 211}, []int{42}, []int{150})

	// run creates a job through the faulty API (retrying 5xx answers with the same token, as a
	// client does), uploads its input, delivers the ObjectCreated event to the faulty ingest
	// handler (again while it fails, as the ingest queue does) and waits for the notification.
	run := func(t *testing.T, name string) (*api.CreateJobResult, e2eDelivered) {
		t.Helper()
		body, _ := json.Marshal(api.CreateJobRequest{
			JobName: name, ClientRequestToken: name,
			Analyses:        []job.Analysis{job.Language, job.Sentiment},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
		})
		var res api.CreateJobResult
		for attempt := 1; ; attempt++ {
			resp, err := fn.api.HandleEvent(ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs", string(body), ""))
			if err != nil {
				t.Fatalf("create: handler error %v", err)
			}
			if resp.StatusCode >= 500 && attempt < 5 {
				t.Logf("create answered %d (attempt %d): %s", resp.StatusCode, attempt, resp.Body)
				continue
			}
			if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
				t.Fatalf("create answered %d: %s", resp.StatusCode, resp.Body)
			}
			if err := json.Unmarshal([]byte(resp.Body), &res); err != nil {
				t.Fatal(err)
			}
			break
		}
		key := layout.UploadKey(tenant, res.JobId)
		e2eUpload(t, ctx, res.Upload.Presigned, data)
		head, err := s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		ev := events.S3Event{Records: []events.S3EventRecord{{
			EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: s.c.Config.Region,
			EventTime: sdkaws.ToTime(head.LastModified), EventName: "ObjectCreated:Put",
			S3: events.S3Entity{
				SchemaVersion: "1.0", ConfigurationID: "ream-inputs",
				Bucket: events.S3Bucket{Name: s.bucket, Arn: "arn:aws:s3:::" + s.bucket},
				Object: events.S3Object{Key: url.QueryEscape(key), Size: sdkaws.ToInt64(head.ContentLength), ETag: strings.Trim(sdkaws.ToString(head.ETag), `"`)},
			},
		}}}
		for attempt := 1; ; attempt++ {
			err := fn.ingest.Handle(ctx, ev)
			if err == nil {
				break
			}
			if attempt == 10 { // reamcdk.IngestMaxReceiveCount
				t.Fatalf("ingest failed %d times: %v", attempt, err)
			}
			t.Logf("ingest failed (attempt %d; the ingest queue delivers it again): %v", attempt, err)
		}
		// The job's shards are recorded, and the job finalized and notified, by the workers:
		// wait for the notification as long as the sweeper's rescue would take at most.
		for start := time.Now(); len(sub.got[res.JobId]) == 0; {
			if sub.drain(t, ctx) > 0 {
				continue
			}
			if time.Since(start) > 2*time.Minute {
				j, err := s.jobs.Get(ctx, tenant, res.JobId)
				if err != nil {
					t.Fatalf("no notification for job %s; describe: %v", res.JobId, err)
				}
				t.Fatalf("no notification for job %s after 2 minutes (hang protection): it is %s (%s), shards %d of %d, notified %v, notification claimed %v",
					res.JobId, j.JobStatus, j.Message, j.JobDetails.ShardsDone, j.JobDetails.ShardsTotal, j.Notified, j.NotifyClaimed)
			}
			time.Sleep(100 * time.Millisecond)
		}
		return &res, sub.got[res.JobId][0]
	}

	// A clean run first: the output the faulty runs must reproduce.
	clean, d := run(t, "clean-"+uniq(t))
	e2eCheckJob(t, ctx, s, d, clean, tenant, data, docs, nil)
	want := e2eRawLines(t, ctx, s, clean.JobId)

	ft.setRate(0.10)
	var ids []string
	for i := range 3 {
		t.Run(fmt.Sprintf("faulty job %d", i), func(t *testing.T) {
			res, d := run(t, fmt.Sprintf("faulty-%d-%s", i, uniq(t)))
			ids = append(ids, res.JobId)
			e2eCheckJob(t, ctx, s, d, res, tenant, data, docs, nil)
			if got := e2eRawLines(t, ctx, s, res.JobId); !slices.Equal(got, want) {
				t.Errorf("output differs from the clean run's (%d lines, want %d)", len(got), len(want))
			}
		})
	}
	ft.setRate(0)
	e2eWaitDrained(t, ctx, s.c, "shard", s.queues.URL)
	e2eWaitDrained(t, ctx, s.c, "dead-letter", s.queues.DLQURL)
	sub.drain(t, ctx)
	// A Publish whose answer was lost after SNS took it is sent again by the SDK: SNS delivers
	// at least once, and each such fault may add one notification.
	lost := ft.lostPublishes()
	extra := 0
	for _, id := range append(ids, clean.JobId) {
		n := len(sub.got[id])
		if n < 1 {
			t.Errorf("job %s: no notification", id)
		}
		extra += max(n-1, 0)
	}
	if extra > lost {
		t.Errorf("%d notifications beyond one per job, though only %d publishes lost their answer", extra, lost)
	}
}
