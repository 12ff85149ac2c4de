package aws_test

// More helpers of the end-to-end tests on the emulators, for the coding service
// (e2e_coding_test.go) and TOPICS (e2e_topics_test.go): the stack rebuilt the way the Lambda
// functions build it (reamaws.Build's adapters and configuration, the model registry, the shipped
// models registered by the api and worker cold starts, the API function's AnyAuth), SSE-KMS when
// MinIO has a KMS, API Gateway v2 events for the coding routes with the claims of API Gateway's
// JWT authoriser, and a shard queue that sends every message twice.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/pipeline"
)

// e2eSkipWithoutEmulators skips the test unless the four emulator endpoints are set.
func e2eSkipWithoutEmulators(t *testing.T) {
	t.Helper()
	for _, v := range []string{"S3", "DYNAMODB", "SQS", "SNS"} {
		if os.Getenv("REAM_TEST_"+v+"_ENDPOINT") == "" {
			t.Skipf("REAM_TEST_%s_ENDPOINT is not set (eval \"$(scripts/emulators.sh env)\")", v)
		}
	}
}

// e2eDeps says how rebuild wires the stack's service.
type e2eDeps struct {
	shardBytes int64
	// kmsKey, when set, encrypts every object with SSE-KMS and binds presigned PUTs to it
	// (reamaws.WithKMSKey, as Build does with REAM_KMS_KEY_ID).
	kmsKey string
	// wrapQueue, when set, wraps the shard queue the services send to.
	wrapQueue func(pipeline.Queue) pipeline.Queue
}

// rebuild replaces the stack's service and handlers with the ones the Lambda functions build:
// reamaws.Build's adapters (the model registry on the jobs table included) and configuration
// (Env.Config), one service per function as each function is its own process (the api and
// worker functions register the shipped models at cold start, as functions/internal/coldstart
// does; ingest and the dead-letter consumer do not), and the API function's authenticator
// AnyAuth{IAMAuth, JWTAuth} (functions/api). The stack's resources are kept.
//
// (newE2EStack builds one service with pipeline.New directly, without a model registry: enough
// for the text analyses, not for the coding service.)
func (s *e2eStack) rebuild(t *testing.T, ctx context.Context, d e2eDeps) {
	t.Helper()
	analyzers, err := analysis.DefaultRegistry()
	if err != nil {
		t.Fatalf("analysers: %v", err)
	}
	log := e2eLogger(t)
	var objOpts []reamaws.ObjectsOption
	if d.kmsKey != "" {
		objOpts = append(objOpts, reamaws.WithKMSKey(d.kmsKey))
	}
	s.objects = reamaws.NewObjects(s.c.S3, s.c.Presign, s.bucket, objOpts...)
	var q pipeline.Queue = s.queue
	if d.wrapQueue != nil {
		q = d.wrapQueue(q)
	}
	cfg := reamaws.Env{Bucket: s.bucket, ShardBytes: d.shardBytes}.Config()
	hooks := pipeline.Hooks{AfterShardWritten: func(m pipeline.ShardMessage) error {
		if f := s.failShard.Load(); f != nil && (*f)(m) {
			return fmt.Errorf("injected fault: worker died after writing shard %d of job %s", m.Index, m.JobId)
		}
		return nil
	}}
	newService := func(function string) *pipeline.Service {
		svc := pipeline.New(pipeline.Deps{
			Jobs:      reamaws.NewJobs(s.c.DynamoDB, s.table),
			Objects:   s.objects,
			Queue:     q,
			Notifier:  reamaws.NewNotifier(s.c.SNS, s.topicARN),
			Analyzers: analyzers,
			Models:    reamaws.NewModels(s.c.DynamoDB, s.table),
			DropRules: reamaws.NewDropRules(s.c.DynamoDB, s.table),
			Config:    cfg,
			Log:       log.With("function", function),
			Hooks:     hooks,
		})
		if function == "api" || function == "worker" {
			if err := svc.RegisterShippedModels(ctx); err != nil {
				t.Fatalf("%s cold start: RegisterShippedModels: %v", function, err)
			}
		}
		return svc
	}
	s.svc = newService("api")
	s.api = handlers.NewAPI(s.svc, handlers.AnyAuth{handlers.IAMAuth{}, handlers.JWTAuth{}}, log)
	s.worker = handlers.NewWorker(newService("worker"), log)
	s.ingest = handlers.NewIngest(newService("ingest"), log)
	s.dead = handlers.NewDeadLetters(newService("deadletter"), log)
}

// e2eProbeKMS returns the KMS key id the stack should encrypt with, or "" when MinIO has no KMS.
// MinIO takes SSE-KMS only when it was started with a KMS (for example the built-in static key:
// MINIO_KMS_SECRET_KEY=<name>:<base64 of 32 bytes>, exported before `scripts/emulators.sh start`,
// which passes its environment on). Without one it refuses every request that carries
// x-amz-server-side-encryption: aws:kms ("KMS is not configured"), presigned PUTs included, so
// the stack then runs without a key, as a deployment without REAM_KMS_KEY_ID does. The probe is a
// PutObject asking for SSE-KMS without a key id: MinIO then uses its default key and names it.
func e2eProbeKMS(t *testing.T, ctx context.Context, s *e2eStack) string {
	t.Helper()
	key := "kms-probe"
	out, err := s.c.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, Body: strings.NewReader("probe"),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms,
	})
	if err != nil {
		t.Logf("MinIO refuses SSE-KMS (%v): the stack runs without a KMS key, so presigned PUTs carry no "+
			"x-amz-server-side-encryption headers and bucketKmsKeyArn is empty (start MinIO with "+
			"MINIO_KMS_SECRET_KEY=<name>:<base64 32 bytes> to run the coding flow with SSE-KMS)", err)
		return ""
	}
	if _, err := s.c.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil {
		t.Fatalf("delete the KMS probe: %v", err)
	}
	id := sdkaws.ToString(out.SSEKMSKeyId)
	if id == "" {
		t.Fatalf("MinIO took SSE-KMS but named no key (ServerSideEncryption %q)", out.ServerSideEncryption)
	}
	t.Logf("MinIO has a KMS: the stack encrypts with SSE-KMS key %q", id)
	return id
}

// e2eEventSources starts the pollers that act as Lambda's SQS event sources for the worker and
// dead-letter functions, with the given visibility timeout. count, when set, is told of every
// shard message the worker receives.
func e2eEventSources(t *testing.T, ctx context.Context, s *e2eStack, visibility time.Duration, count func(pipeline.ShardMessage)) (workers, deadLetters *e2eSqsEventSource) {
	t.Helper()
	gate := &sync.RWMutex{}
	handle := s.worker.Handle
	if count != nil {
		handle = func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			for _, r := range ev.Records {
				var m pipeline.ShardMessage
				if err := json.Unmarshal([]byte(r.Body), &m); err == nil {
					count(m)
				}
			}
			return s.worker.Handle(ctx, ev)
		}
	}
	workers = &e2eSqsEventSource{
		name: "worker", q: reamaws.NewQueue(s.c.SQS, s.queues.URL), arn: s.queues.ARN, region: s.c.Config.Region,
		batch: 10, visibility: visibility, retryAfter: time.Second, handle: handle, gate: gate,
	}
	workers.run(t, ctx, 2)
	deadLetters = &e2eSqsEventSource{
		name: "dead-letter", q: reamaws.NewQueue(s.c.SQS, s.queues.DLQURL), arn: s.queues.DLQARN, region: s.c.Config.Region,
		batch: 10, visibility: visibility, retryAfter: time.Second, handle: s.dead.Handle, gate: gate,
	}
	deadLetters.run(t, ctx, 2)
	return workers, deadLetters
}

// ------------------------------------------------------ API Gateway v2: the coding routes ----

// e2eCodingRoutes are the coding routes as the CDK stack declares them (reamcdk.CodingRoutes).
var e2eCodingRoutes = []string{
	"GET /v1/topics",
	"GET /v1/topics/{topic}",
	"GET /v1/topics/{topic}/models",
	"GET /v1/topics/{topic}/models/{model}",
	"POST /v1/topics/{topic}/batch-code",
	"POST /v1/topics/{topic}/models/{model}/batch-code",
	"GET /v1/topics/{topic}/batch-code/operations/{operationId}",
	"GET /v1/topics/{topic}/models/{model}/batch-code/operations/{operationId}",
}

// e2eRoute finds the route of method and path among e2eCodingRoutes: its key and path
// parameters, as API Gateway fills routeKey and pathParameters.
func e2eRoute(method, path string) (string, map[string]string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range e2eCodingRoutes {
		m, pattern, _ := strings.Cut(r, " ")
		if m != method {
			continue
		}
		ps := strings.Split(strings.Trim(pattern, "/"), "/")
		if len(ps) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, p := range ps {
			if strings.HasPrefix(p, "{") {
				params[strings.Trim(p, "{}")] = segs[i]
			} else if p != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			if len(params) == 0 {
				params = nil
			}
			return r, params, true
		}
	}
	return "", nil, false
}

// e2eWho is who a request comes from: a coding client (a Cognito client-credentials access
// token that API Gateway's JWT authoriser verified) or an IAM principal.
type e2eWho struct {
	clientID string // JWT: the token's client_id claim
	userARN  string // IAM
}

func e2eJWT(clientID string) e2eWho { return e2eWho{clientID: clientID} }
func e2eIAM(userARN string) e2eWho  { return e2eWho{userARN: userARN} }

// e2eCognitoPool is the user pool that issues the coding clients' tokens.
const e2eCognitoPool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E"

// e2eCodingRequest builds the API Gateway HTTP API v2 event of a coding route (no body), as API
// Gateway sends it to the api function: from the describe fixture, with the route's key and
// path parameters, and the caller's identity. For a JWT caller the authoriser's verified
// claims replace the IAM identity: API Gateway passes every claim as a string, and the token's
// scopes in scopes; the bearer token itself stays in the authorization header.
func e2eCodingRequest(t *testing.T, method, path string, who e2eWho) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("../../events/apigw-v2-describe-job.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	route, params, ok := e2eRoute(method, path)
	if !ok {
		// API Gateway has no such route: a test asking for one is wrong.
		t.Fatalf("%s %s is not a coding route", method, path)
	}
	ev.RouteKey, ev.RequestContext.RouteKey = route, route
	ev.PathParameters = params
	ev.RawPath, ev.RequestContext.HTTP.Path = path, path
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.RequestID = "e2e-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	switch {
	case who.clientID != "":
		now := time.Now()
		ev.Headers["authorization"] = "Bearer eyJraWQiOiJlMmUiLCJhbGciOiJSUzI1NiJ9.eyJjbGllbnRfaWQiOiJlMmUifQ.c2lnbmF0dXJl"
		delete(ev.Headers, "x-amz-date")
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{
					"sub":       who.clientID,
					"client_id": who.clientID,
					"token_use": "access",
					"scope":     handlers.CodingScope,
					"auth_time": strconv.FormatInt(now.Unix(), 10),
					"iat":       strconv.FormatInt(now.Unix(), 10),
					"exp":       strconv.FormatInt(now.Add(time.Hour).Unix(), 10),
					"iss":       e2eCognitoPool,
					"jti":       "e2e-" + strconv.FormatInt(now.UnixNano(), 36),
					"version":   "2",
				},
				Scopes: []string{handlers.CodingScope},
			},
		}
	case who.userARN != "":
		ev.RequestContext.Authorizer.IAM.UserARN = who.userARN
	default:
		ev.RequestContext.Authorizer = nil
		delete(ev.Headers, "authorization")
	}
	return ev
}

// callRaw sends the event to the API handler and returns the status and body.
func (s *e2eStack) callRaw(t *testing.T, ctx context.Context, ev events.APIGatewayV2HTTPRequest) (int, []byte) {
	t.Helper()
	resp, err := s.api.HandleEvent(ctx, ev)
	if err != nil {
		t.Fatalf("%s %s: handler error %v", ev.RequestContext.HTTP.Method, ev.RawPath, err)
	}
	return resp.StatusCode, []byte(resp.Body)
}

// callError sends the event and checks the answer is status with an error body, returned.
func (s *e2eStack) callError(t *testing.T, ctx context.Context, ev events.APIGatewayV2HTTPRequest, status int) api.ErrorBody {
	t.Helper()
	got, body := s.callRaw(t, ctx, ev)
	var eb api.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || got != status || eb.Code == "" {
		t.Errorf("%s %s: %d %s (%v), want %d with an error body", ev.RequestContext.HTTP.Method, ev.RawPath, got, body, err, status)
	}
	return eb
}

// e2eWaitOperation polls GET …/batch-code/operations/{id} until the operation is neither
// awaiting_input nor in_progress (ctx bounds the wait); it returns the statuses seen too.
func e2eWaitOperation(t *testing.T, ctx context.Context, s *e2eStack, path string, who e2eWho) (api.CodingOperationStatus, []string) {
	t.Helper()
	var seen []string
	for {
		var st api.CodingOperationStatus
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, path, who), http.StatusOK, &st)
		if len(seen) == 0 || seen[len(seen)-1] != st.OperationStatus {
			seen = append(seen, st.OperationStatus)
		}
		if st.OperationStatus != api.OpAwaitingInput && st.OperationStatus != api.OpInProgress {
			return st, seen
		}
		select {
		case <-ctx.Done():
			t.Fatalf("operation %s still %s: %v", path, st.OperationStatus, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// e2eGetURL GETs a plain (presigned) URL, as the coding service's clients download.
func e2eGetURL(t *testing.T, ctx context.Context, url string) []byte {
	t.Helper()
	return e2eDownload(t, ctx, api.Presigned{URL: url, Method: http.MethodGet})
}

// e2ePutStatus PUTs body to url with headers and returns MinIO's status and body.
func e2ePutStatus(t *testing.T, ctx context.Context, url string, headers map[string]string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// discard takes up to n more ingested events for key (further PUTs of the same object), waiting
// at most d for them, so that later waits do not log them as events for another key.
func (oe *e2eObjectEvents) discard(t *testing.T, ctx context.Context, key string, n int, d time.Duration) {
	t.Helper()
	if !oe.webhook {
		return // without the webhook the test delivers one event per upload it reports
	}
	deadline := time.After(d)
	for n > 0 {
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			return
		case in := <-oe.results:
			if got, err := handlers.ObjectKey(in.Event.Records[0].S3.Object); err != nil || got != key {
				t.Logf("ObjectCreated event for another key: %s", in.Raw)
				continue
			}
			if in.Err != nil {
				t.Errorf("ingest of a repeated event for %s: %v", key, in.Err)
			}
			n--
		}
	}
}

// ------------------------------------------------------------------ duplicate deliveries ----

// e2eDupQueue sends every shard message of the jobs in dup twice (two SendMessageBatch calls,
// so two SQS messages each), as SQS may deliver a message more than once.
type e2eDupQueue struct {
	next pipeline.Queue
	mu   sync.Mutex
	dup  map[string]bool
	sent atomic.Int64 // extra copies sent
}

func (q *e2eDupQueue) duplicate(jobID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dup == nil {
		q.dup = map[string]bool{}
	}
	q.dup[jobID] = true
}

// Send implements pipeline.Queue.
func (q *e2eDupQueue) Send(ctx context.Context, msgs []pipeline.ShardMessage) error {
	if err := q.next.Send(ctx, msgs); err != nil {
		return err
	}
	q.mu.Lock()
	var again []pipeline.ShardMessage
	for _, m := range msgs {
		if q.dup[m.JobId] {
			again = append(again, m)
		}
	}
	q.mu.Unlock()
	if len(again) == 0 {
		return nil
	}
	if err := q.next.Send(ctx, again); err != nil {
		return errors.Join(errors.New("the duplicate copies"), err)
	}
	q.sent.Add(int64(len(again)))
	return nil
}

// e2eDeliveries counts the shard messages the worker received, by job and index.
type e2eDeliveries struct {
	mu sync.Mutex
	n  map[string]map[int]int
}

func (d *e2eDeliveries) add(m pipeline.ShardMessage) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]map[int]int{}
	}
	if d.n[m.JobId] == nil {
		d.n[m.JobId] = map[int]int{}
	}
	d.n[m.JobId][m.Index]++
}

// of returns the deliveries of job's messages by index.
func (d *e2eDeliveries) of(jobID string) map[int]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[int]int{}
	for k, v := range d.n[jobID] {
		out[k] = v
	}
	return out
}
