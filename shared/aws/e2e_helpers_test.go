package aws_test

// Helpers of the end-to-end test on the emulators (e2e_test.go): the stack built from the AWS
// adapters, API Gateway v2 requests from the events/ fixtures, the MinIO webhook bridge to the
// ingest handler, a poller that behaves as Lambda's SQS event source, the SNS subscriber queue,
// and the download and parsing of results through presigned URLs.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
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
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// e2eMaxReceive is the shard queue's maxReceiveCount, as the CDK stack would set it.
const e2eMaxReceive = 2

// e2eStack is the AWS stack on the emulators: every resource is uniquely named for the test and
// deleted when it ends.
type e2eStack struct {
	c        *reamaws.Clients
	bucket   string
	table    string
	queues   reamaws.Queues
	topicARN string
	subURL   string // the SQS queue subscribed to the topic (raw delivery off)

	objects *reamaws.Objects
	jobs    *reamaws.Jobs
	queue   *reamaws.Queue
	svc     *pipeline.Service

	api    *handlers.API
	ingest *handlers.Ingest
	worker *handlers.Worker
	dead   *handlers.DeadLetters

	// failShard, when it returns true for a message, makes the worker fail that shard after its
	// results are written (a crash between two steps), on every delivery: a poison shard.
	failShard atomic.Pointer[func(pipeline.ShardMessage) bool]
}

// newE2EStack creates the bucket, table, shard queue with its dead-letter queue, topic and
// subscriber queue, and builds the pipeline and the handlers on the AWS adapters.
func newE2EStack(t *testing.T, ctx context.Context, shardBytes int64) *e2eStack {
	t.Helper()
	c := clients(t, "S3", "DYNAMODB", "SQS", "SNS")
	s := &e2eStack{c: c, bucket: newBucket(t, c), table: "ream-e2e-" + uniq(t)}

	if err := reamaws.CreateTable(ctx, c.DynamoDB, s.table); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := reamaws.DeleteTable(ctx, c.DynamoDB, s.table); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})

	var err error
	if s.queues, err = reamaws.CreateQueues(ctx, c.SQS, "ream-e2e-"+uniq(t), e2eMaxReceive); err != nil {
		t.Fatalf("CreateQueues: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := reamaws.DeleteQueues(ctx, c.SQS, s.queues); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})

	topic, err := c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: sdkaws.String("ream-e2e-" + uniq(t))})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	s.topicARN = sdkaws.ToString(topic.TopicArn)
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if _, err := c.SNS.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: &s.topicARN}); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	sub, err := c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdkaws.String("ream-e2e-sub-" + uniq(t))})
	if err != nil {
		t.Fatalf("CreateQueue (subscriber): %v", err)
	}
	s.subURL = sdkaws.ToString(sub.QueueUrl)
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if _, err := c.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &s.subURL}); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	subARN, err := reamaws.QueueARN(ctx, c.SQS, s.subURL)
	if err != nil {
		t.Fatal(err)
	}
	// Raw delivery off: the subscriber gets SNS's JSON envelope with the message attributes in
	// it, as an SQS subscription does by default. (fauxqs needs no queue policy.)
	if _, err := c.SNS.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: &s.topicARN, Protocol: sdkaws.String("sqs"), Endpoint: &subARN,
		Attributes: map[string]string{"RawMessageDelivery": "false"}, ReturnSubscriptionArn: true,
	}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	analyzers, err := analysis.DefaultRegistry()
	if err != nil {
		t.Fatalf("analysers: %v", err)
	}
	log := e2eLogger(t)
	s.objects = reamaws.NewObjects(c.S3, c.Presign, s.bucket)
	s.jobs = reamaws.NewJobs(c.DynamoDB, s.table)
	s.queue = reamaws.NewQueue(c.SQS, s.queues.URL, reamaws.WithDeadLetterQueue(s.queues.DLQURL))
	s.svc = pipeline.New(pipeline.Deps{
		Jobs: s.jobs, Objects: s.objects, Queue: s.queue, Notifier: reamaws.NewNotifier(c.SNS, s.topicARN),
		Analyzers: analyzers,
		DropRules: reamaws.NewDropRules(c.DynamoDB, s.table),
		Config:    pipeline.Config{ShardBytes: shardBytes, Locations: layout.Locations{Base: "s3://" + s.bucket + "/"}},
		Log:       log,
		Hooks: pipeline.Hooks{AfterShardWritten: func(m pipeline.ShardMessage) error {
			if f := s.failShard.Load(); f != nil && (*f)(m) {
				return fmt.Errorf("injected fault: worker died after writing shard %d of job %s", m.Index, m.JobId)
			}
			return nil
		}},
	})
	s.api = handlers.NewAPI(s.svc, handlers.IAMAuth{}, log)
	s.ingest = handlers.NewIngest(s.svc, log)
	s.worker = handlers.NewWorker(s.svc, log)
	s.dead = handlers.NewDeadLetters(s.svc, log)
	return s
}

// e2eLogger sends the stack's warnings and errors to the test log (REAM_TEST_LOG=debug for
// everything). Lines written after the test ended are dropped.
func e2eLogger(t *testing.T) *slog.Logger {
	w := &e2eTestWriter{t: t}
	t.Cleanup(w.close) // registered first among the stack's cleanups: runs last
	level := slog.LevelWarn
	if os.Getenv("REAM_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type e2eTestWriter struct {
	mu     sync.Mutex
	t      *testing.T
	closed bool
}

func (w *e2eTestWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func (w *e2eTestWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// ---------------------------------------------------------------- API Gateway v2 requests ----

// e2eCaller is the IAM principal of events/apigw-v2-*.json.
const e2eCaller = "arn:aws:sts::123456789012:assumed-role/ream-client/session-1"

// apiRequest builds an API Gateway HTTP API v2 event from the events/ fixtures (the create
// fixture for requests with a body, the describe fixture otherwise), for method and path, with
// the IAM identity userARN as API Gateway's AWS_IAM authoriser reports it.
func e2eApiRequest(t *testing.T, method, path, body, userARN string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	file := "apigw-v2-describe-job.json"
	if body != "" {
		file = "apigw-v2-create-job.json"
	}
	b, err := os.ReadFile("../../events/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	route := method + " " + path
	if rest, ok := strings.CutPrefix(path, "/v1/jobs/"); ok {
		id, sub, _ := strings.Cut(rest, "/")
		route = method + " /v1/jobs/{id}"
		if sub != "" {
			route += "/" + sub
		}
		ev.PathParameters = map[string]string{"id": id}
	}
	ev.RouteKey, ev.RequestContext.RouteKey = route, route
	ev.RawPath, ev.RequestContext.HTTP.Path = path, path
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.RequestID = "e2e-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ev.Body = body
	if body != "" {
		ev.Headers["content-length"] = strconv.Itoa(len(body))
	}
	if userARN != "" {
		ev.RequestContext.Authorizer.IAM.UserARN = userARN
	}
	return ev
}

// callAPI sends the event to the API handler and decodes a JSON body into out (unless nil).
func (s *e2eStack) callAPI(t *testing.T, ctx context.Context, ev events.APIGatewayV2HTTPRequest, wantStatus int, out any) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := s.api.HandleEvent(ctx, ev)
	if err != nil {
		t.Fatalf("%s %s: handler error %v", ev.RequestContext.HTTP.Method, ev.RawPath, err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", ev.RequestContext.HTTP.Method, ev.RawPath, resp.StatusCode, wantStatus, resp.Body)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
			t.Fatalf("%s %s: body %q: %v", ev.RequestContext.HTTP.Method, ev.RawPath, resp.Body, err)
		}
	}
	return resp
}

// ------------------------------------------------------------------ S3 ObjectCreated events ----

// e2eIngested is one ObjectCreated event delivered to the ingest handler, and what it returned.
type e2eIngested struct {
	Event events.S3Event
	Raw   []byte // the notification body as MinIO sent it (nil when the test built the event)
	Err   error
}

// e2eObjectEvents delivers S3 ObjectCreated events to the ingest handler: from MinIO's bucket
// notifications through a webhook when the emulators were started with REAM_MINIO_WEBHOOK, else
// from events the test builds itself after each upload.
type e2eObjectEvents struct {
	s       *e2eStack
	webhook bool
	results chan e2eIngested
	wg      sync.WaitGroup
}

// startObjectEvents sets up the delivery of the bucket's ObjectCreated events under inputs/.
func e2eStartObjectEvents(t *testing.T, ctx context.Context, s *e2eStack) *e2eObjectEvents {
	t.Helper()
	oe := &e2eObjectEvents{s: s, results: make(chan e2eIngested, 256)}
	hook := os.Getenv("REAM_MINIO_WEBHOOK")
	if hook == "" {
		t.Logf("REAM_MINIO_WEBHOOK is not set: the test builds each S3 ObjectCreated event itself from a HeadObject " +
			"(start the emulators with REAM_MINIO_WEBHOOK=http://127.0.0.1:PORT/PATH to have MinIO send them)")
		return oe
	}
	oe.webhook = true
	u, err := url.Parse(hook)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		t.Fatalf("REAM_MINIO_WEBHOOK=%q: want http://127.0.0.1:PORT/PATH", hook)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		t.Fatalf("REAM_MINIO_WEBHOOK=%q: the receiver listens on loopback only; use 127.0.0.1", hook)
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Fatalf("listen on %s for MinIO's webhook (REAM_MINIO_WEBHOOK): %v", u.Host, err)
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	mux := http.NewServeMux()
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusOK) // MinIO may probe the target
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// MinIO's body is S3-compatible: {"EventName":…,"Key":"bucket/key","Records":[…]}.
		var ev events.S3Event
		if err := json.Unmarshal(body, &ev); err != nil || len(ev.Records) == 0 {
			t.Logf("webhook: ignored a body that is not an S3 event (%v): %.300s", err, body)
			w.WriteHeader(http.StatusOK)
			return
		}
		if ev.Records[0].S3.Bucket.Name != s.bucket {
			w.WriteHeader(http.StatusOK) // another test's bucket
			return
		}
		// Answer at once and invoke ingest asynchronously, as S3 invokes a Lambda function.
		oe.wg.Add(1)
		go func() {
			defer oe.wg.Done()
			oe.results <- e2eIngested{Event: ev, Raw: body, Err: s.ingest.Handle(hctx, ev)}
		}()
		w.WriteHeader(http.StatusOK)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, c := cleanupCtx()
		defer c()
		_ = srv.Shutdown(ctx)
		oe.wg.Wait()
		cancel()
	})

	arn := os.Getenv("REAM_TEST_MINIO_WEBHOOK_ARN")
	if arn == "" {
		arn = "arn:minio:sqs:us-east-1:REAM:webhook"
	}
	_, err = s.c.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: &s.bucket,
		NotificationConfiguration: &s3types.NotificationConfiguration{
			QueueConfigurations: []s3types.QueueConfiguration{{
				Id:       sdkaws.String("ream-inputs"),
				QueueArn: &arn,
				Events:   []s3types.Event{"s3:ObjectCreated:*"},
				Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
					{Name: s3types.FilterRuleNamePrefix, Value: sdkaws.String(layout.InputsPrefix)},
				}}},
			}},
		},
	})
	if err != nil {
		t.Fatalf("PutBucketNotificationConfiguration (webhook %s, ARN %s; was MinIO started with REAM_MINIO_WEBHOOK=%s?): %v", hook, arn, hook, err)
	}
	t.Logf("MinIO bucket notifications: s3:ObjectCreated:* under %s → %s (%s)", layout.InputsPrefix, hook, arn)
	return oe
}

// uploaded is called after the test PUT key: without the webhook it builds the event S3 would
// send from a HeadObject and delivers it.
func (oe *e2eObjectEvents) uploaded(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	if oe.webhook {
		return
	}
	head, err := oe.s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &oe.s.bucket, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject %s: %v", key, err)
	}
	ev := events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: oe.s.c.Config.Region,
		EventTime: sdkaws.ToTime(head.LastModified), EventName: "ObjectCreated:Put",
		S3: events.S3Entity{
			SchemaVersion: "1.0", ConfigurationID: "ream-inputs",
			Bucket: events.S3Bucket{Name: oe.s.bucket, Arn: "arn:aws:s3:::" + oe.s.bucket},
			Object: events.S3Object{Key: url.QueryEscape(key), Size: sdkaws.ToInt64(head.ContentLength), ETag: strings.Trim(sdkaws.ToString(head.ETag), `"`)},
		},
	}}}
	oe.results <- e2eIngested{Event: ev, Err: oe.s.ingest.Handle(ctx, ev)}
}

// waitIngested waits (ctx bounds the wait) until the ingest handler has handled an event for key.
func (oe *e2eObjectEvents) waitIngested(t *testing.T, ctx context.Context, key string) e2eIngested {
	t.Helper()
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("no ObjectCreated event for %s reached the ingest handler (webhook: %v): %v", key, oe.webhook, ctx.Err())
		case in := <-oe.results:
			for _, r := range in.Event.Records {
				if !strings.HasPrefix(r.EventName, "ObjectCreated:") && !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") {
					t.Errorf("event %q reached ingest; the notification asks for ObjectCreated only", r.EventName)
				}
				got, err := handlers.ObjectKey(r.S3.Object)
				if err != nil {
					t.Fatalf("event key %q: %v", r.S3.Object.Key, err)
				}
				if !strings.HasPrefix(got, layout.InputsPrefix) {
					t.Errorf("event for %s reached ingest; the notification filters on %s", got, layout.InputsPrefix)
				}
				if got == key {
					return in
				}
			}
			t.Logf("ObjectCreated event for another key: %s", in.Raw)
		}
	}
}

// --------------------------------------------------------- Lambda's SQS event source mapping ----

// e2eSqsEventSource polls a queue as Lambda's SQS event source mapping does: ReceiveMessage
// batches of up to batch messages, hidden for visibility while the handler runs; an
// events.SQSEvent with each message's id, receipt handle, body and ApproximateReceiveCount; the
// messages not listed in BatchItemFailures are deleted. A failed message stays in the queue and
// comes back once its visibility timeout lapses, one receive count higher; past the queue's
// maxReceiveCount SQS moves it to the dead-letter queue. (The one liberty: a failed message's
// remaining timeout is cut to retryAfter, so the test does not sit out a long timeout.)
type e2eSqsEventSource struct {
	name       string
	q          *reamaws.Queue
	arn        string
	region     string
	batch      int
	visibility time.Duration
	retryAfter time.Duration
	handle     func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	// gate is held (read-locked) around every receive, handle and delete; the test write-locks
	// it to pause every poller.
	gate *sync.RWMutex

	deliveries, failures, deleted atomic.Int64
	mu                            sync.Mutex
	maxCount                      map[string]int // message id → highest ApproximateReceiveCount seen
}

// run starts n pollers. When the test ends they stop receiving and finish the batch in hand
// (a cancelled handler would only add noise: its messages would come back anyway).
func (p *e2eSqsEventSource) run(t *testing.T, ctx context.Context, n int) {
	p.maxCount = map[string]int{}
	stop := make(chan struct{})
	// Handlers are not cancelled when the test's context ends; this bounds them (hang
	// protection only).
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				p.gate.RLock()
				got, err := p.poll(hctx)
				p.gate.RUnlock()
				if err != nil && hctx.Err() == nil {
					t.Logf("%s poller: %v", p.name, err)
				}
				if got == 0 || err != nil {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
		}()
	}
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
		cancel()
		t.Logf("%s event source: %d deliveries, %d reported failed, %d deleted", p.name, p.deliveries.Load(), p.failures.Load(), p.deleted.Load())
	})
}

func (p *e2eSqsEventSource) poll(ctx context.Context) (int, error) {
	msgs, err := p.q.Receive(ctx, p.batch, p.visibility)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	p.mu.Lock()
	for i, m := range msgs {
		ev.Records[i] = events.SQSMessage{
			MessageId: m.ID, ReceiptHandle: m.Receipt, Body: string(m.Body),
			Attributes:  map[string]string{"ApproximateReceiveCount": strconv.Itoa(m.ReceiveCount), "ApproximateFirstReceiveTimestamp": now},
			EventSource: "aws:sqs", EventSourceARN: p.arn, AWSRegion: p.region,
		}
		p.maxCount[m.ID] = max(p.maxCount[m.ID], m.ReceiveCount)
	}
	p.mu.Unlock()
	p.deliveries.Add(int64(len(msgs)))
	resp, err := p.handle(ctx, ev)
	if err != nil {
		// A function error fails the whole batch: every message comes back.
		p.failures.Add(int64(len(msgs)))
		return len(msgs), fmt.Errorf("handler failed; the batch will be retried: %w", err)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	dctx := context.WithoutCancel(ctx)
	var errs []error
	for _, m := range msgs {
		if failed[m.ID] {
			p.failures.Add(1)
			if err := p.q.ChangeVisibility(dctx, m.Receipt, p.retryAfter); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if err := p.q.Delete(dctx, m.Receipt); err != nil {
			errs = append(errs, err)
			continue
		}
		p.deleted.Add(1)
	}
	return len(msgs), errors.Join(errs...)
}

// receiveCounts returns the highest ApproximateReceiveCount seen for each message id.
func (p *e2eSqsEventSource) receiveCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.maxCount)
}

// waitDrained waits (ctx bounds the wait) until the queue holds no message, visible or in
// flight.
func e2eWaitDrained(t *testing.T, ctx context.Context, c *reamaws.Clients, name, url string) {
	t.Helper()
	for {
		visible, inFlight := e2eQueueDepth(t, ctx, c, url)
		if visible == 0 && inFlight == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s queue still holds %d visible and %d in-flight messages: %v", name, visible, inFlight, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// queueDepth returns SQS's ApproximateNumberOfMessages and ApproximateNumberOfMessagesNotVisible.
func e2eQueueDepth(t *testing.T, ctx context.Context, c *reamaws.Clients, url string) (visible, inFlight int) {
	t.Helper()
	out, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", url, err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight
}

// ------------------------------------------------------------------- SNS → SQS subscriber ----

// e2eDelivered is one notification as the subscriber queue received it.
type e2eDelivered struct {
	Note  api.Notification
	Attrs map[string]string // SNS message attributes (name → String value)
	Topic string
}

// e2eSubscriber reads the queue subscribed to the topic (raw delivery off: SNS envelopes).
type e2eSubscriber struct {
	q   *reamaws.Queue
	got map[string][]e2eDelivered // by JobId
}

func e2eNewSubscriber(s *e2eStack) *e2eSubscriber {
	return &e2eSubscriber{q: reamaws.NewQueue(s.c.SQS, s.subURL), got: map[string][]e2eDelivered{}}
}

// drain receives (and deletes) whatever notifications are visible now.
func (sb *e2eSubscriber) drain(t *testing.T, ctx context.Context) int {
	t.Helper()
	n := 0
	for {
		ms, err := sb.q.Receive(ctx, 10, time.Minute)
		if err != nil {
			t.Fatalf("receive notifications: %v", err)
		}
		if len(ms) == 0 {
			return n
		}
		for _, m := range ms {
			var env struct {
				Type, TopicArn, Message string
				MessageAttributes       map[string]struct{ Type, Value string }
			}
			if err := json.Unmarshal(m.Body, &env); err != nil {
				t.Fatalf("subscriber message is not an SNS envelope: %v: %s", err, m.Body)
			}
			if env.Type != "Notification" {
				t.Errorf("envelope Type %q, want Notification", env.Type)
			}
			var d e2eDelivered
			if err := json.Unmarshal([]byte(env.Message), &d.Note); err != nil {
				t.Fatalf("notification %q: %v", env.Message, err)
			}
			d.Topic, d.Attrs = env.TopicArn, map[string]string{}
			for k, v := range env.MessageAttributes {
				if v.Type != "String" {
					t.Errorf("message attribute %s has type %q, want String", k, v.Type)
				}
				d.Attrs[k] = v.Value
			}
			sb.got[d.Note.JobId] = append(sb.got[d.Note.JobId], d)
			if err := sb.q.Delete(ctx, m.Receipt); err != nil {
				t.Fatalf("delete notification: %v", err)
			}
			n++
		}
	}
}

// wait returns the first notification for jobID, polling the queue until it arrives (ctx
// bounds the wait).
func (sb *e2eSubscriber) wait(t *testing.T, ctx context.Context, jobID string) e2eDelivered {
	t.Helper()
	for len(sb.got[jobID]) == 0 {
		if sb.drain(t, ctx) == 0 {
			select {
			case <-ctx.Done():
				t.Fatalf("no notification for job %s reached the subscriber queue: %v", jobID, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return sb.got[jobID][0]
}

// ---------------------------------------------------------------------------- results ----

// e2eOutLine is one output line as a user reads it.
type e2eOutLine struct {
	Line         *int64
	File         string
	Languages    []json.RawMessage
	Sentiment    string
	ErrorCode    string
	ErrorMessage string
}

// download GETs a presigned URL with a plain HTTP client (no AWS credentials).
func e2eDownload(t *testing.T, ctx context.Context, p api.Presigned) []byte {
	t.Helper()
	if p.Method != "" && p.Method != http.MethodGet {
		t.Fatalf("presigned download has method %s", p.Method)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET presigned URL: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET presigned URL: %s, %v: %.500s", resp.Status, err, b)
	}
	return b
}

// upload PUTs body to a presigned URL with a plain HTTP client, sending the signed headers.
func e2eUpload(t *testing.T, ctx context.Context, p api.Presigned, body []byte) {
	t.Helper()
	if p.Method != http.MethodPut {
		t.Fatalf("presigned upload has method %q, want PUT", p.Method)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT presigned URL: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT presigned URL: MinIO answered %s: %.500s", resp.Status, b)
	}
}

// readArchive unpacks output.tar.gz and parses its "output" entry.
func e2eReadArchive(t *testing.T, archive []byte) []e2eOutLine {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("output.tar.gz: %v", err)
	}
	tr := tar.NewReader(gz)
	var lines []e2eOutLine
	found := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("output.tar.gz: %v", err)
		}
		if h.Name != output.EntryName {
			continue
		}
		found = true
		sc := bufio.NewScanner(tr)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var l e2eOutLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("output line %d is not JSON: %v: %.200q", len(lines), err, sc.Text())
			}
			lines = append(lines, l)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if !found {
		t.Fatalf("output.tar.gz has no %q entry", output.EntryName)
	}
	return lines
}

// ---------------------------------------------------------------------------- input ----

// e2eInputDoc is one document of a generated line input.
type e2eInputDoc struct {
	start int64  // byte offset of the line
	code  string // error code the reader must give it ("" for a readable review)
}

// genLines is n ONE_DOC_PER_LINE documents ending in LF (a final LF does not start another
// document): reviews both analysers accept, with invalid UTF-8 and empty and blank lines at the
// given positions.
func e2eGenLines(n int, invalid, empty, blank []int) ([]byte, []e2eInputDoc) {
	reviews := []string{
		"I really love this phone, the screen is bright and the battery lasts all day",
		"The delivery was late and the box was damaged, which made me very unhappy",
		"This restaurant serves wonderful food and the staff are always friendly",
		"The hotel room was clean and quiet, and breakfast was excellent",
		"I would not recommend this product because it stopped working after a week",
		"The concert was amazing and the band played all of our favourite songs",
	}
	kind := map[int]string{}
	for _, i := range invalid {
		kind[i] = job.CodeUnsupportedEncoding
	}
	for _, i := range empty {
		kind[i] = job.CodeEmptyDocument
	}
	for _, i := range blank {
		kind[i] = "blank"
	}
	var b bytes.Buffer
	docs := make([]e2eInputDoc, n)
	for i := range n {
		docs[i].start = int64(b.Len())
		switch kind[i] {
		case job.CodeUnsupportedEncoding:
			fmt.Fprintf(&b, "Caf\xe9 cr\xe8me br\xfbl\xe9e, review %d", i)
			docs[i].code = job.CodeUnsupportedEncoding
		case job.CodeEmptyDocument:
			docs[i].code = job.CodeEmptyDocument
		case "blank":
			b.WriteString(" \t ")
			docs[i].code = job.CodeEmptyDocument
		default:
			fmt.Fprintf(&b, "%s (review %d)", reviews[i%len(reviews)], i)
		}
		b.WriteByte('\n')
	}
	return b.Bytes(), docs
}
