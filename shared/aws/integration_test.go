package aws_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/porttest"
)

// The integration tests run the port conformance suites against emulators (or real AWS) when
// their endpoints are set, e.g. by `eval "$(scripts/emulators.sh env)"`:
//
//	REAM_TEST_S3_ENDPOINT        MinIO
//	REAM_TEST_DYNAMODB_ENDPOINT  DynamoDB Local
//	REAM_TEST_SQS_ENDPOINT       fauxqs
//	REAM_TEST_SNS_ENDPOINT       fauxqs
//
// with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION. Every run uses fresh, uniquely
// named buckets, tables and queues and deletes them afterwards.

func clients(t *testing.T, need ...string) *reamaws.Clients {
	t.Helper()
	ep := map[string]string{}
	for _, svc := range need {
		v := os.Getenv("REAM_TEST_" + svc + "_ENDPOINT")
		if v == "" {
			t.Skipf("REAM_TEST_%s_ENDPOINT is not set (eval \"$(scripts/emulators.sh env)\")", svc)
		}
		ep[svc] = v
	}
	c, err := reamaws.NewClients(context.Background(), reamaws.Endpoints{
		S3: ep["S3"], S3PathStyle: ep["S3"] != "", DynamoDB: ep["DYNAMODB"], SQS: ep["SQS"], SNS: ep["SNS"],
	})
	if err != nil {
		t.Fatalf("NewClients: %v", err)
	}
	return c
}

func uniq(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// cleanupCtx is for t.Cleanup functions, which run after the test's context is gone.
func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

// newBucket creates a uniquely named bucket, emptied and deleted when the test ends.
func newBucket(t *testing.T, c *reamaws.Clients) string {
	t.Helper()
	bucket := "ream-test-" + uniq(t)
	if _, err := c.S3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		p := s3.NewListObjectsV2Paginator(c.S3, &s3.ListObjectsV2Input{Bucket: &bucket})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Logf("cleanup: list %s: %v", bucket, err)
				return
			}
			if len(page.Contents) == 0 {
				continue
			}
			var ids []s3types.ObjectIdentifier
			for _, o := range page.Contents {
				ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
			}
			if _, err := c.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &s3types.Delete{Objects: ids, Quiet: sdkaws.Bool(true)}}); err != nil {
				t.Logf("cleanup: delete objects of %s: %v", bucket, err)
				return
			}
		}
		if _, err := c.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
			t.Logf("cleanup: delete bucket %s: %v", bucket, err)
		}
	})
	return bucket
}

func TestObjectsOnS3(t *testing.T) {
	c := clients(t, "S3")
	objs := reamaws.NewObjects(c.S3, c.Presign, newBucket(t, c))
	porttest.TestObjects(t, func(t *testing.T) pipeline.Objects { return objs }, nil)
}

// TestObjectsMultipart puts a body larger than one part through a reader that hides its
// length, so the Uploader must stream it as a multipart upload.
func TestObjectsMultipart(t *testing.T) {
	c := clients(t, "S3")
	ctx := context.Background()
	objs := reamaws.NewObjects(c.S3, c.Presign, newBucket(t, c), reamaws.WithPartSize(5<<20, 2))
	const size = 12<<20 + 123
	key := "multi/" + uniq(t)
	if err := objs.Put(ctx, key, &pattern{n: size}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	info, err := objs.Head(ctx, key)
	if err != nil || info.Size != size {
		t.Fatalf("Head = %+v, %v; want size %d", info, err, size)
	}
	rc, err := objs.Open(ctx, key, size-10)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	tail, err := io.ReadAll(rc)
	if want := (pattern{n: size}).at(size-10, 10); err != nil || string(tail) != want {
		t.Fatalf("tail = %q, %v; want %q", tail, err, want)
	}
	// Offset at the end: an empty body, not an error.
	rc2, err := objs.Open(ctx, key, size)
	if err != nil {
		t.Fatalf("Open at the end: %v", err)
	}
	if rest, err := io.ReadAll(rc2); err != nil || len(rest) != 0 {
		t.Fatalf("Open at the end returned %d bytes, %v", len(rest), err)
	}
	rc2.Close()
}

func TestJobsOnDynamoDB(t *testing.T) {
	c := clients(t, "DYNAMODB")
	table := "ream-jobs-" + uniq(t)
	if err := reamaws.CreateTable(context.Background(), c.DynamoDB, table); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := reamaws.DeleteTable(ctx, c.DynamoDB, table); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	jobs := reamaws.NewJobs(c.DynamoDB, table)
	porttest.TestJobs(t, func(t *testing.T) pipeline.Jobs { return jobs })
}

func TestModelsOnDynamoDB(t *testing.T) {
	c := clients(t, "DYNAMODB")
	table := "ream-models-" + uniq(t)
	if err := reamaws.CreateTable(context.Background(), c.DynamoDB, table); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := reamaws.DeleteTable(ctx, c.DynamoDB, table); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	models := reamaws.NewModels(c.DynamoDB, table)
	porttest.TestModels(t, func(t *testing.T) pipeline.Models { return models })
}

func TestDropRulesOnDynamoDB(t *testing.T) {
	c := clients(t, "DYNAMODB")
	table := "ream-rules-" + uniq(t)
	if err := reamaws.CreateTable(context.Background(), c.DynamoDB, table); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := reamaws.DeleteTable(ctx, c.DynamoDB, table); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	rules := reamaws.NewDropRules(c.DynamoDB, table)
	porttest.TestDropRules(t, func(t *testing.T) droprule.Store { return rules })
}

// sqsUnderTest adapts reamaws.Queue to porttest.QueueUnderTest.
type sqsUnderTest struct{ *reamaws.Queue }

func received(ms []reamaws.Message) []porttest.Received {
	out := make([]porttest.Received, len(ms))
	for i, m := range ms {
		out[i] = porttest.Received{ID: m.ID, Receipt: m.Receipt, Body: m.Body, ReceiveCount: m.ReceiveCount}
	}
	return out
}

func (q sqsUnderTest) Receive(ctx context.Context, max int, vis time.Duration) ([]porttest.Received, error) {
	ms, err := q.Queue.Receive(ctx, max, vis)
	return received(ms), err
}

func (q sqsUnderTest) DeadLetters(ctx context.Context) ([]porttest.Received, error) {
	ms, err := q.Queue.DeadLetters(ctx)
	return received(ms), err
}

func TestQueueOnSQS(t *testing.T) {
	c := clients(t, "SQS")
	porttest.TestQueue(t, func(t *testing.T, maxReceive int) porttest.QueueUnderTest {
		qs := testQueues(t, c, maxReceive)
		return sqsUnderTest{reamaws.NewQueue(c.SQS, qs.URL, reamaws.WithDeadLetterQueue(qs.DLQURL))}
	})
}

// pattern is a reader of n deterministic bytes that does not reveal its length.
type pattern struct {
	n   int64
	off int64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	k := int64(len(b))
	if rest := p.n - p.off; k > rest {
		k = rest
	}
	copy(b, p.at(p.off, k))
	p.off += k
	return int(k), nil
}

func (p pattern) at(off, n int64) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var sb strings.Builder
	for i := off; i < off+n; i++ {
		sb.WriteByte(alphabet[(i*7+i/1000)%int64(len(alphabet))])
	}
	return sb.String()
}

// TestNotifierSNSToSQS publishes through the Notifier to a topic with SQS subscribers, raw
// delivery off (the SNS JSON envelope, attributes inside it) and on (the bare message, attributes
// as SQS message attributes), plus a subscriber whose filter policy keeps only FAILED jobs.
func TestNotifierSNSToSQS(t *testing.T) {
	c := clients(t, "SNS", "SQS")
	ctx := context.Background()
	topic, err := c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: sdkaws.String("ream-test-" + uniq(t))})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if _, err := c.SNS.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: topic.TopicArn}); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	subscribe := func(raw bool, filter string) *reamaws.Queue {
		qs := testQueues(t, c, 5)
		attrs := map[string]string{"RawMessageDelivery": strconv.FormatBool(raw)}
		if filter != "" {
			attrs["FilterPolicy"] = filter
		}
		if _, err := c.SNS.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: topic.TopicArn, Protocol: sdkaws.String("sqs"), Endpoint: sdkaws.String(qs.ARN),
			Attributes: attrs, ReturnSubscriptionArn: true,
		}); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		return reamaws.NewQueue(c.SQS, qs.URL)
	}
	envelope := subscribe(false, "")
	raw := subscribe(true, "")
	failedOnly := subscribe(true, `{"status":["FAILED"]}`)

	n := reamaws.NewNotifier(c.SNS, sdkaws.ToString(topic.TopicArn))
	completed := api.Notification{
		JobId: "job-" + uniq(t), JobName: "nightly coding", Tenant: "acme", JobStatus: job.Completed,
		InputDocumentsCount: 3, ProcessedDocumentsCount: 3, OutputLocation: "s3://out/x", Time: time.Now().UTC().Truncate(time.Second),
	}
	failed := completed
	failed.JobId, failed.JobStatus, failed.JobName, failed.Message = "job-"+uniq(t), job.Failed, "", "bad input"
	for _, note := range []api.Notification{completed, failed} {
		if err := n.Publish(ctx, note); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}

	wantAttrs := func(note api.Notification) map[string]string {
		m := map[string]string{"status": string(note.JobStatus), "tenant": note.Tenant}
		if note.JobName != "" {
			m["jobName"] = note.JobName
		}
		return m
	}
	check := func(what string, got api.Notification, attrs map[string]string, want api.Notification) {
		t.Helper()
		if got.JobId != want.JobId || got.JobStatus != want.JobStatus || got.Tenant != want.Tenant || got.JobName != want.JobName ||
			got.InputDocumentsCount != want.InputDocumentsCount || !got.Time.Equal(want.Time) || got.Message != want.Message {
			t.Errorf("%s: notification %+v, want %+v", what, got, want)
		}
		if w := wantAttrs(want); !maps.Equal(attrs, w) {
			t.Errorf("%s: attributes %v, want %v", what, attrs, w)
		}
	}

	// Raw delivery off: the SQS body is the SNS envelope.
	for i, m := range receiveN(t, envelope, 2) {
		var env struct {
			Type, TopicArn, Message string
			MessageAttributes       map[string]struct{ Type, Value string }
		}
		if err := json.Unmarshal(m.Body, &env); err != nil {
			t.Fatalf("envelope %q: %v", m.Body, err)
		}
		if env.Type != "Notification" || env.TopicArn != sdkaws.ToString(topic.TopicArn) {
			t.Errorf("envelope type %q topic %q", env.Type, env.TopicArn)
		}
		var got api.Notification
		if err := json.Unmarshal([]byte(env.Message), &got); err != nil {
			t.Fatalf("message %q: %v", env.Message, err)
		}
		attrs := map[string]string{}
		for k, v := range env.MessageAttributes {
			if v.Type != "String" {
				t.Errorf("attribute %s has type %q", k, v.Type)
			}
			attrs[k] = v.Value
		}
		want := completed
		if got.JobId == failed.JobId {
			want = failed
		}
		check(fmt.Sprintf("envelope %d", i), got, attrs, want)
	}
	// Raw delivery on: the body is the notification, the attributes are SQS message attributes.
	for i, m := range receiveN(t, raw, 2) {
		var got api.Notification
		if err := json.Unmarshal(m.Body, &got); err != nil {
			t.Fatalf("raw message %q: %v", m.Body, err)
		}
		want := completed
		if got.JobId == failed.JobId {
			want = failed
		}
		check(fmt.Sprintf("raw %d", i), got, m.Attributes, want)
	}
	// The filtered subscriber gets the FAILED notification first (COMPLETED, published before
	// it, was filtered out).
	got := receiveN(t, failedOnly, 1)[0]
	var note api.Notification
	if err := json.Unmarshal(got.Body, &note); err != nil || note.JobId != failed.JobId {
		t.Errorf("filtered subscriber got %s (%v), want the FAILED job %s", got.Body, err, failed.JobId)
	}
}

// receiveN polls q until n messages arrived (deleting them), within a liveness bound.
func receiveN(t *testing.T, q *reamaws.Queue, n int) []reamaws.Message {
	t.Helper()
	var out []reamaws.Message
	deadline := time.Now().Add(time.Minute)
	for len(out) < n {
		ms, err := q.Receive(context.Background(), n-len(out), time.Minute)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		for _, m := range ms {
			out = append(out, m)
			if err := q.Delete(context.Background(), m.Receipt); err != nil {
				t.Fatalf("Delete: %v", err)
			}
		}
		if len(ms) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d notifications arrived", len(out), n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return out
}

// testQueues creates a queue and its dead-letter queue (after maxReceive receives) for the
// test, deleted when it ends.
func testQueues(t *testing.T, c *reamaws.Clients, maxReceive int) reamaws.Queues {
	t.Helper()
	qs, err := reamaws.CreateQueues(context.Background(), c.SQS, "ream-test-"+uniq(t), maxReceive)
	if err != nil {
		t.Fatalf("CreateQueues: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := reamaws.DeleteQueues(ctx, c.SQS, qs); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	return qs
}

// TestReleaserOnSQS: messages a batch hands back at the deadline are visible again at once:
// received with a long visibility timeout, released, and received again straight away.
func TestReleaserOnSQS(t *testing.T) {
	c := clients(t, "SQS")
	ctx := context.Background()
	qs := testQueues(t, c, 5)
	for _, body := range []string{"a", "b"} {
		if _, err := c.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: sdkaws.String(qs.URL), MessageBody: sdkaws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	receive := func() []sqstypes.Message {
		var got []sqstypes.Message
		for range 5 {
			out, err := c.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: sdkaws.String(qs.URL), MaxNumberOfMessages: 10, VisibilityTimeout: 600, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, out.Messages...)
			if len(got) >= 2 {
				break
			}
		}
		return got
	}
	first := receive()
	if len(first) != 2 {
		t.Fatalf("received %d messages, want 2", len(first))
	}
	var batch []events.SQSMessage
	for _, m := range first {
		batch = append(batch, events.SQSMessage{MessageId: sdkaws.ToString(m.MessageId), ReceiptHandle: sdkaws.ToString(m.ReceiptHandle), EventSourceARN: qs.ARN})
	}
	if err := reamaws.NewReleaser(c.SQS).Release(ctx, batch); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if again := receive(); len(again) != 2 {
		t.Fatalf("after the release, %d messages received again at once, want 2 (they would wait the 600 s visibility timeout)", len(again))
	}
}
