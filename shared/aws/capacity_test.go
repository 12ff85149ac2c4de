package aws_test

// The request counts of README's capacity model ("Capacity: a 1,000,000-document (1 GB) job at
// 1,000 concurrent workers"), counted: whole jobs run through the AWS adapters on the emulators
// with every S3, DynamoDB, SQS and SNS call the adapters make counted by operation, and the
// counts fitted per job and per shard.
//
//	eval "$(scripts/emulators.sh env)"
//	go test -count=1 -run TestCapacityRequestCounts -v ./shared/aws/
//
// prints the counts of each job, the per-shard and per-job fit and the fit extrapolated to the
// README's 1,000-shard job; REAM_CAPACITY_DOCS=2000,20000,100000 runs those sizes instead of the
// default ones.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// capCounts counts requests by name ("S3 PutObject work/", "DynamoDB Query", …) and the
// DynamoDB capacity units they consumed.
type capCounts struct {
	mu  sync.Mutex
	n   map[string]float64
	cap map[string]float64 // "DynamoDB RCU", "DynamoDB WCU"
}

func newCapCounts() *capCounts { return &capCounts{n: map[string]float64{}, cap: map[string]float64{}} }

func (c *capCounts) add(name string) {
	c.mu.Lock()
	c.n[name]++
	c.mu.Unlock()
}

// consumed adds the capacity a read (units "RCU") or write ("WCU") consumed. (DynamoDB Local
// answers only the total, CapacityUnits.)
func (c *capCounts) consumed(units string, cc ...ddbtypes.ConsumedCapacity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range cc {
		c.cap["DynamoDB "+units] += sdkaws.ToFloat64(x.CapacityUnits)
	}
}

// take returns the counts since the last take and starts again from zero.
func (c *capCounts) take() map[string]float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.n)
	maps.Copy(out, c.cap)
	c.n, c.cap = map[string]float64{}, map[string]float64{}
	return out
}

// keyClass is the part of the bucket a key is in: inputs/, work/ or outputs/.
func keyClass(key *string) string {
	for _, p := range []string{layout.InputsPrefix, layout.WorkPrefix, layout.OutputsPrefix} {
		if strings.HasPrefix(sdkaws.ToString(key), p) {
			return p
		}
	}
	return "other"
}

// capS3 counts the adapter's S3 calls by operation and part of the bucket (a GetObject with a
// Range apart).
type capS3 struct {
	reamaws.S3API
	c *capCounts
}

func (s capS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	s.c.add("S3 PutObject " + keyClass(in.Key))
	return s.S3API.PutObject(ctx, in, o...)
}

func (s capS3) UploadPart(ctx context.Context, in *s3.UploadPartInput, o ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	s.c.add("S3 UploadPart " + keyClass(in.Key))
	return s.S3API.UploadPart(ctx, in, o...)
}

func (s capS3) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, o ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	s.c.add("S3 CreateMultipartUpload " + keyClass(in.Key))
	return s.S3API.CreateMultipartUpload(ctx, in, o...)
}

func (s capS3) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, o ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	s.c.add("S3 CompleteMultipartUpload " + keyClass(in.Key))
	return s.S3API.CompleteMultipartUpload(ctx, in, o...)
}

func (s capS3) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, o ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	s.c.add("S3 AbortMultipartUpload " + keyClass(in.Key))
	return s.S3API.AbortMultipartUpload(ctx, in, o...)
}

func (s capS3) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	op := "S3 GetObject "
	if in.Range != nil {
		op = "S3 GetObject(ranged) "
	}
	s.c.add(op + keyClass(in.Key))
	return s.S3API.GetObject(ctx, in, o...)
}

func (s capS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	s.c.add("S3 HeadObject " + keyClass(in.Key))
	return s.S3API.HeadObject(ctx, in, o...)
}

func (s capS3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, o ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	s.c.add("S3 DeleteObject " + keyClass(in.Key))
	return s.S3API.DeleteObject(ctx, in, o...)
}

func (s capS3) DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, o ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	var first *string
	if in.Delete != nil && len(in.Delete.Objects) > 0 {
		first = in.Delete.Objects[0].Key
	}
	s.c.add("S3 DeleteObjects " + keyClass(first))
	return s.S3API.DeleteObjects(ctx, in, o...)
}

func (s capS3) UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, o ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	s.c.add("S3 UploadPartCopy " + keyClass(in.Key))
	return s.S3API.UploadPartCopy(ctx, in, o...)
}

func (s capS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	s.c.add("S3 ListObjectsV2 " + keyClass(in.Prefix))
	return s.S3API.ListObjectsV2(ctx, in, o...)
}

// capDynamoDB counts the adapter's DynamoDB calls and asks each for the capacity it consumed.
type capDynamoDB struct {
	reamaws.DynamoDBAPI
	c *capCounts
}

var total = ddbtypes.ReturnConsumedCapacityTotal

func (d capDynamoDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.c.add("DynamoDB GetItem")
	in.ReturnConsumedCapacity = total
	out, err := d.DynamoDBAPI.GetItem(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		d.c.consumed("RCU", *out.ConsumedCapacity)
	}
	return out, err
}

func (d capDynamoDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	d.c.add("DynamoDB PutItem")
	in.ReturnConsumedCapacity = total
	out, err := d.DynamoDBAPI.PutItem(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		d.c.consumed("WCU", *out.ConsumedCapacity)
	}
	return out, err
}

func (d capDynamoDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	d.c.add("DynamoDB UpdateItem")
	in.ReturnConsumedCapacity = total
	out, err := d.DynamoDBAPI.UpdateItem(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		d.c.consumed("WCU", *out.ConsumedCapacity)
	}
	return out, err
}

func (d capDynamoDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	d.c.add("DynamoDB Query")
	in.ReturnConsumedCapacity = total
	out, err := d.DynamoDBAPI.Query(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		d.c.consumed("RCU", *out.ConsumedCapacity)
	}
	return out, err
}

func (d capDynamoDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	d.c.add("DynamoDB TransactWriteItems")
	in.ReturnConsumedCapacity = total
	out, err := d.DynamoDBAPI.TransactWriteItems(ctx, in, o...)
	if err == nil {
		d.c.consumed("WCU", out.ConsumedCapacity...)
	}
	return out, err
}

// capDropRules is the drop rules' client, also counted (ingest reads the tenant's rules).
type capDropRules struct {
	capDynamoDB
	del interface {
		DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	}
}

func (d capDropRules) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	d.c.add("DynamoDB DeleteItem")
	return d.del.DeleteItem(ctx, in, o...)
}

// capSQS counts the adapter's SQS calls (the event source's receives and deletes are Lambda's,
// counted apart as deliveries).
type capSQS struct {
	reamaws.SQSAPI
	c *capCounts
}

func (q capSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, o ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	q.c.add("SQS SendMessageBatch")
	q.c.mu.Lock()
	q.c.n["SQS messages sent"] += float64(len(in.Entries))
	q.c.mu.Unlock()
	return q.SQSAPI.SendMessageBatch(ctx, in, o...)
}

func (q capSQS) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, o ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.c.add("SQS ChangeMessageVisibility")
	return q.SQSAPI.ChangeMessageVisibility(ctx, in, o...)
}

func (q capSQS) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, o ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	q.c.add("SQS GetQueueAttributes")
	return q.SQSAPI.GetQueueAttributes(ctx, in, o...)
}

type capSNS struct {
	reamaws.SNSAPI
	c *capCounts
}

func (n capSNS) Publish(ctx context.Context, in *sns.PublishInput, o ...func(*sns.Options)) (*sns.PublishOutput, error) {
	n.c.add("SNS Publish")
	return n.SNSAPI.Publish(ctx, in, o...)
}

// capBound is one line of README's capacity model: at most PerShard requests of one kind for
// each shard of a job, and at most PerJob more for the job.
type capBound struct {
	name             string
	ops              []string // counted names summed
	perShard, perJob float64
}

// capacityBounds are the request counts README's capacity table states for a line job of
// LANGUAGE+SENTIMENT uploaded through its presigned URL, members under 5 MiB (planning, the
// workers and the finalize together; per job: the create, planning, the status writes and the
// output's small objects).
var capacityBounds = []capBound{
	// planning 1 ranged GET (line counting), the worker 1 ranged GET, the finalize 1 ranged GET of
	// the member into an uploaded part; per job the input's HEAD and the plan's GET.
	{"S3 GET", []string{"S3 GetObject(ranged) inputs/", "S3 GetObject(ranged) work/", "S3 GetObject inputs/", "S3 GetObject work/"}, 3, 5},
	// the worker's HEAD of the input's version, the finalize's HEAD of the member
	{"S3 HEAD", []string{"S3 HeadObject inputs/", "S3 HeadObject work/", "S3 HeadObject outputs/"}, 2, 5},
	// the worker's member; per job the plan, the archive's frames, the manifest and the
	// output's parts
	{"S3 PUT", []string{"S3 PutObject work/", "S3 PutObject outputs/", "S3 UploadPart outputs/", "S3 UploadPartCopy outputs/",
		"S3 CreateMultipartUpload outputs/", "S3 CompleteMultipartUpload outputs/"}, 1, 10},
	// the worker's Query of the job, PutItem of the shard item, UpdateItem of its counter item
	// and Query to read the job back; per job the create, planning's and finalize's reads and
	// status writes
	{"DynamoDB requests", []string{"DynamoDB GetItem", "DynamoDB Query", "DynamoDB PutItem", "DynamoDB UpdateItem", "DynamoDB TransactWriteItems"}, 4, 30},
	{"DynamoDB writes", []string{"DynamoDB PutItem", "DynamoDB UpdateItem", "DynamoDB TransactWriteItems"}, 2, 12},
	// the shard item and the counter item, 1 WCU each; per job the job item's writes (≈ 2 KB,
	// with both indexes) and the create's transaction (as DynamoDB Local reckons units)
	{"DynamoDB WCU", []string{"DynamoDB WCU"}, 2, 80},
	// two consistent Queries of the job item and its 64 counter items, ≤ 8 RCU each
	{"DynamoDB RCU", []string{"DynamoDB RCU"}, 16, 0},
	// ten shard messages a batch
	{"SQS SendMessageBatch", []string{"SQS SendMessageBatch"}, 0.1, 1},
	{"SNS Publish", []string{"SNS Publish"}, 0, 1},
	// the cleanup of the job's work objects (members, archive frames): one DeleteObjects per
	// 1,000 keys, after one LIST page per 1,000 keys
	{"S3 DELETE", []string{"S3 DeleteObject work/", "S3 DeleteObjects work/"}, 0.001, 2},
	{"S3 LIST", []string{"S3 ListObjectsV2 work/", "S3 ListObjectsV2 inputs/"}, 0.001, 5},
}

// TestCapacityRequestCounts runs line jobs of two sizes (and a ONE_DOC_PER_FILE job, reported)
// through the AWS adapters on the emulators, counts every request, fits them per shard and per
// job, and checks the fit against capacityBounds, README's figures.
func TestCapacityRequestCounts(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	sizes := []int{2000, 8000}
	if v := os.Getenv("REAM_CAPACITY_DOCS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				t.Fatalf("REAM_CAPACITY_DOCS=%q: want document counts separated by commas", v)
			}
			sizes = append(sizes, n)
		}
	}
	// Shards of 8 KiB hold ≈ 100 documents of ≈ 80 bytes: many shards from a small input. What a
	// shard costs in requests does not depend on its size while its member is under 5 MiB.
	const shardBytes = 8 << 10
	s := newE2EStack(t, ctx, shardBytes)
	cnt := newCapCounts()
	s.capacityRebuild(t, cnt, shardBytes)
	e2eEventSources(t, ctx, s, 2*time.Minute, nil)
	sub := e2eNewSubscriber(s)
	tenant := handlers.TenantFromARN(e2eCaller)

	type run struct {
		docs, shards int
		counts       map[string]float64
	}
	var runs []run
	for _, docs := range sizes {
		data, _ := e2eGenLines(docs, nil, nil, nil)
		cnt.take()
		res := e2eCreateJob(t, ctx, s, fmt.Sprintf("capacity-%d", docs))
		key := layout.UploadKey(tenant, res.JobId)
		if _, err := s.c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		if err := s.ingest.Handle(ctx, capacityObjectCreated(t, ctx, s, key)); err != nil {
			t.Fatalf("ingest: %v", err)
		}
		d := sub.wait(t, ctx, res.JobId)
		if d.Note.JobStatus != job.Completed || d.Note.InputDocumentsCount != int64(docs) {
			t.Fatalf("job of %d documents: %s with %d documents", docs, d.Note.JobStatus, d.Note.InputDocumentsCount)
		}
		capacityWaitCleanedUp(t, ctx, s, tenant, res.JobId)
		j := capacityDescribe(t, ctx, s, res.JobId)
		runs = append(runs, run{docs: docs, shards: j.JobDetails.ShardsTotal, counts: cnt.take()})
		t.Logf("%d documents, %d shards, %d bytes: %s", docs, j.JobDetails.ShardsTotal, len(data), capacityFormat(runs[len(runs)-1].counts))
	}

	// The fit count = perJob + perShard × shards through the smallest and the largest job.
	a, b := runs[0], runs[len(runs)-1]
	if b.shards == a.shards {
		t.Fatalf("the jobs have %d shards each: no fit", a.shards)
	}
	names := map[string]bool{}
	for _, r := range runs {
		for k := range r.counts {
			names[k] = true
		}
	}
	fit := func(ops ...string) (perShard, perJob float64) {
		var ya, yb float64
		for _, op := range ops {
			ya += a.counts[op]
			yb += b.counts[op]
		}
		perShard = (yb - ya) / float64(b.shards-a.shards)
		return perShard, ya - perShard*float64(a.shards)
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		ps, pj := fit(name)
		t.Logf("%-40s per shard %7.3f  per job %7.1f  → a 1,000-shard job %8.0f", name, ps, pj, pj+1000*ps)
	}
	for _, bd := range capacityBounds {
		ps, pj := fit(bd.ops...)
		t.Logf("README %-22s per shard %.3f (README ≤ %g), per job %.1f (README ≤ %g)", bd.name, ps, bd.perShard, pj, bd.perJob)
		// Counts are exact but a redelivery (SQS is at least once) adds a few: a shard's worth.
		if ps > bd.perShard*1.05+0.01 {
			t.Errorf("%s: %.3f requests per shard, README's capacity model says %g", bd.name, ps, bd.perShard)
		}
		if pj > bd.perJob+2*bd.perShard+1 {
			t.Errorf("%s: %.1f requests per job beside the shards', README's capacity model says %g", bd.name, pj, bd.perJob)
		}
	}

	// A ONE_DOC_PER_FILE job of a folder: requests per file (reported).
	const files = 60
	folder := layout.InputsPrefix + tenant + "/capacity-files-" + uniq(t) + "/"
	for i := range files {
		k := fmt.Sprintf("%sdoc-%03d.txt", folder, i)
		body := fmt.Sprintf("The hotel room %d was clean and quiet, and breakfast was excellent.", i)
		if _, err := s.c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &k, Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	cnt.take()
	body, err := json.Marshal(api.CreateJobRequest{
		JobName: "capacity-files", Analyses: []job.Analysis{job.Language, job.Sentiment},
		InputDataConfig: job.InputDataConfig{S3Uri: "s3://" + s.bucket + "/" + folder, InputFormat: job.OneDocPerFile},
	})
	if err != nil {
		t.Fatal(err)
	}
	var res api.CreateJobResult
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs", string(body), ""), http.StatusCreated, &res)
	d := sub.wait(t, ctx, res.JobId)
	if d.Note.JobStatus != job.Completed || d.Note.InputDocumentsCount != files {
		t.Fatalf("ONE_DOC_PER_FILE job of %d files: %s with %d documents", files, d.Note.JobStatus, d.Note.InputDocumentsCount)
	}
	capacityWaitCleanedUp(t, ctx, s, tenant, res.JobId)
	j := capacityDescribe(t, ctx, s, res.JobId)
	fc := cnt.take()
	t.Logf("ONE_DOC_PER_FILE: %d files, %d shards: %s", files, j.JobDetails.ShardsTotal, capacityFormat(fc))
	// README: the worker's GET and HEAD of each file; planning lists 1,000 files a request.
	if n := fc["S3 GetObject inputs/"] + fc["S3 GetObject(ranged) inputs/"] + fc["S3 HeadObject inputs/"]; n > 2*files {
		t.Errorf("ONE_DOC_PER_FILE: %v GETs and HEADs of %d input files, README says 2 a file", n, files)
	}
	if n := fc["S3 ListObjectsV2 inputs/"]; n > 2 {
		t.Errorf("ONE_DOC_PER_FILE: %v LISTs of a folder of %d files, README says 1 a 1,000 files", n, files)
	}
}

// capacityRebuild replaces the stack's adapters by ones whose clients count in cnt, configured
// as the Lambda functions configure them (Env.Config).
func (s *e2eStack) capacityRebuild(t *testing.T, cnt *capCounts, shardBytes int64) {
	t.Helper()
	analyzers, err := analysis.DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	log := e2eLogger(t)
	db := capDynamoDB{s.c.DynamoDB, cnt}
	s.objects = reamaws.NewObjects(capS3{s.c.S3, cnt}, s.c.Presign, s.bucket)
	s.jobs = reamaws.NewJobs(db, s.table)
	s.queue = reamaws.NewQueue(capSQS{s.c.SQS, cnt}, s.queues.URL, reamaws.WithDeadLetterQueue(s.queues.DLQURL))
	s.svc = pipeline.New(pipeline.Deps{
		Jobs: s.jobs, Objects: s.objects, Queue: s.queue, Notifier: reamaws.NewNotifier(capSNS{s.c.SNS, cnt}, s.topicARN),
		Analyzers: analyzers,
		DropRules: reamaws.NewDropRules(capDropRules{db, s.c.DynamoDB}, s.table),
		Config:    reamaws.Env{Bucket: s.bucket, ShardBytes: shardBytes}.Config(),
		Log:       log,
	})
	s.api = handlers.NewAPI(s.svc, handlers.IAMAuth{}, log)
	s.ingest = handlers.NewIngest(s.svc, log)
	s.worker = handlers.NewWorker(s.svc, log)
	s.dead = handlers.NewDeadLetters(s.svc, log)
}

// capacityObjectCreated is the ObjectCreated event S3 sends for key (HEAD by the test's own,
// uncounted, client).
func capacityObjectCreated(t *testing.T, ctx context.Context, s *e2eStack, key string) events.S3Event {
	t.Helper()
	head, err := s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	return events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: s.c.Config.Region, EventName: "ObjectCreated:Put",
		S3: events.S3Entity{
			Bucket: events.S3Bucket{Name: s.bucket, Arn: "arn:aws:s3:::" + s.bucket},
			Object: events.S3Object{Key: key, Size: sdkaws.ToInt64(head.ContentLength), ETag: strings.Trim(sdkaws.ToString(head.ETag), `"`)},
		},
	}}}
}

// capacityWaitCleanedUp waits (ctx bounds the wait) until the job's shard members are deleted:
// the last worker deletes the job's work objects after it published the notification.
func capacityWaitCleanedUp(t *testing.T, ctx context.Context, s *e2eStack, tenant, id string) {
	t.Helper()
	prefix := layout.JobWork(tenant, id) + "shards/"
	for {
		out, err := s.c.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix, MaxKeys: sdkaws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s: its shard members are still there: %v", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// capacityDescribe reads the job with an uncounted store.
func capacityDescribe(t *testing.T, ctx context.Context, s *e2eStack, id string) *job.Job {
	t.Helper()
	j, err := reamaws.NewJobs(s.c.DynamoDB, s.table).Get(ctx, handlers.TenantFromARN(e2eCaller), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func capacityFormat(m map[string]float64) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "\n    %-40s %10.1f", k, m[k])
	}
	return b.String()
}
