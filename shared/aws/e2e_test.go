package aws_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"

	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// e2eShardBytes is small so that a few hundred lines make many shards, with lines cut across
// shard boundaries.
const e2eShardBytes = 2048

// TestE2EAWSAdapters runs whole jobs on the emulators with the AWS adapters, as the AWS stack
// wires them: the API handler (API Gateway v2 events with an IAM identity) creates a job and
// hands out a presigned PUT URL; the input is PUT to MinIO through it with plain HTTP; MinIO's
// ObjectCreated notification (a webhook into the test, when the emulators were started with
// REAM_MINIO_WEBHOOK) reaches the ingest handler; pollers that behave as Lambda's SQS event
// source drive the worker over the SQS shard queue and the dead-letter handler over its
// dead-letter queue; the completion notification reaches an SQS queue subscribed to the SNS
// topic; the results are downloaded from MinIO through the presigned GET URL of the API's
// results route. The first job has a poison shard (it fails on every delivery until SQS
// dead-letters it); the second has every shard message delivered three times.
//
// It needs REAM_TEST_S3_ENDPOINT, REAM_TEST_DYNAMODB_ENDPOINT, REAM_TEST_SQS_ENDPOINT and
// REAM_TEST_SNS_ENDPOINT (eval "$(scripts/emulators.sh env)"); see scripts/README.md.
func TestE2EAWSAdapters(t *testing.T) {
	for _, v := range []string{"S3", "DYNAMODB", "SQS", "SNS"} {
		if os.Getenv("REAM_TEST_"+v+"_ENDPOINT") == "" {
			t.Skipf("REAM_TEST_%s_ENDPOINT is not set (eval \"$(scripts/emulators.sh env)\")", v)
		}
	}
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	s := newE2EStack(t, ctx, e2eShardBytes)
	s3Events := e2eStartObjectEvents(t, ctx, s)
	gate := &sync.RWMutex{}
	workers := &e2eSqsEventSource{
		name: "worker", q: reamaws.NewQueue(s.c.SQS, s.queues.URL), arn: s.queues.ARN, region: s.c.Config.Region,
		batch: 10, visibility: 30 * time.Second, retryAfter: time.Second, handle: s.worker.Handle, gate: gate,
	}
	workers.run(t, ctx, 2)
	deadLetters := &e2eSqsEventSource{
		name: "dead-letter", q: reamaws.NewQueue(s.c.SQS, s.queues.DLQURL), arn: s.queues.DLQARN, region: s.c.Config.Region,
		batch: 10, visibility: 30 * time.Second, retryAfter: time.Second, handle: s.dead.Handle, gate: gate,
	}
	deadLetters.run(t, ctx, 2)
	sub := e2eNewSubscriber(s)
	tenant := handlers.TenantFromARN(e2eCaller)

	t.Run("poison shard dead-lettered", func(t *testing.T) {
		data, docs := e2eGenLines(300, []int{17, 211}, []int{42}, []int{150})
		const poison = 2
		res := e2eCreateJob(t, ctx, s, "e2e-reviews")
		s.failShard.Store(e2ePtrTo(func(m pipeline.ShardMessage) bool { return m.JobId == res.JobId && m.Index == poison }))

		key := layout.UploadKey(tenant, res.JobId)
		e2eUpload(t, ctx, res.Upload.Presigned, data)
		s3Events.uploaded(t, ctx, key)
		in := s3Events.waitIngested(t, ctx, key)
		e2eCheckObjectEvent(t, s, s3Events.webhook, in, key, len(data))

		d := sub.wait(t, ctx, res.JobId)
		e2eCheckJob(t, ctx, s, d, res, tenant, data, docs, map[int]bool{poison: true})

		// The poison message went round maxReceiveCount times in the shard queue, then SQS moved
		// it to the dead-letter queue, whose handler accounted for its documents.
		reached := false
		for _, n := range workers.receiveCounts() {
			if n > e2eMaxReceive {
				t.Errorf("a shard message was received %d times from the shard queue; maxReceiveCount is %d", n, e2eMaxReceive)
			}
			reached = reached || n == e2eMaxReceive
		}
		if !reached {
			t.Errorf("no shard message was received %d times (maxReceiveCount) before dead-lettering", e2eMaxReceive)
		}
		// The job can finish inside the dead-letter handler, before its poller deletes the
		// message: wait for the delete (ctx bounds the wait).
		for deadLetters.deleted.Load() < 1 && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
		if deadLetters.deleted.Load() < 1 {
			t.Errorf("the dead-letter handler consumed %d messages, want at least 1", deadLetters.deleted.Load())
		}
	})
	s.failShard.Store(nil)

	t.Run("duplicate deliveries", func(t *testing.T) {
		data, docs := e2eGenLines(257, []int{0, 100}, []int{256}, []int{31})
		res := e2eCreateJob(t, ctx, s, "e2e-duplicates")
		key := layout.UploadKey(tenant, res.JobId)

		// Pause every poller so that all copies are queued before any is processed.
		gate.Lock()
		locked := true
		defer func() {
			if locked {
				gate.Unlock()
			}
		}()
		e2eUpload(t, ctx, res.Upload.Presigned, data)
		s3Events.uploaded(t, ctx, key)
		in := s3Events.waitIngested(t, ctx, key)
		e2eCheckObjectEvent(t, s, s3Events.webhook, in, key, len(data))

		j, err := s.svc.Describe(ctx, tenant, res.JobId)
		if err != nil {
			t.Fatal(err)
		}
		if j.JobStatus != job.InProgress {
			t.Fatalf("after ingest the job is %s (%s), want IN_PROGRESS", j.JobStatus, j.Message)
		}
		plan := e2eReadPlan(t, ctx, s, tenant, res.JobId)
		if len(plan) != j.JobDetails.ShardsTotal {
			t.Fatalf("plan has %d shards, ShardsTotal %d", len(plan), j.JobDetails.ShardsTotal)
		}
		// A second copy of every shard message, sent through the queue adapter…
		if err := s.queue.Send(ctx, plan); err != nil {
			t.Fatalf("Send duplicates: %v", err)
		}
		// …and a third: S3 delivers the ObjectCreated event again (at least once), and ingest
		// re-enqueues every shard not yet recorded.
		if err := s.ingest.Handle(ctx, in.Event); err != nil {
			t.Fatalf("ingest of the repeated event: %v", err)
		}
		visible, inFlight := e2eQueueDepth(t, ctx, s.c, s.queues.URL)
		if visible != 3*len(plan) || inFlight != 0 {
			t.Errorf("shard queue holds %d visible and %d in-flight messages, want %d visible (3 × %d shards)", visible, inFlight, 3*len(plan), len(plan))
		}
		before := workers.deliveries.Load()
		gate.Unlock()
		locked = false

		d := sub.wait(t, ctx, res.JobId)
		e2eCheckJob(t, ctx, s, d, res, tenant, data, docs, nil)
		t.Logf("%d shards; the workers had %d deliveries by the time the notification arrived", len(plan), workers.deliveries.Load()-before)
	})

	// Every copy of every message is consumed: the late duplicates of a finished job are dropped
	// and deleted, nothing is left in flight, and the poison message left the dead-letter queue.
	e2eWaitDrained(t, ctx, s.c, "shard", s.queues.URL)
	e2eWaitDrained(t, ctx, s.c, "dead-letter", s.queues.DLQURL)
	for id, n := range deadLetters.receiveCounts() {
		t.Logf("dead-letter queue: message %s had ApproximateReceiveCount %d when the dead-letter handler got it", id, n)
	}

	// Whatever other notifications arrived (SNS delivers at least once) must agree with the first.
	sub.drain(t, ctx)
	for id, ds := range sub.got {
		for _, d := range ds[1:] {
			if d.Note.JobStatus != ds[0].Note.JobStatus || d.Note.InputDocumentsCount != ds[0].Note.InputDocumentsCount ||
				d.Note.DocumentsWithErrorsCount != ds[0].Note.DocumentsWithErrorsCount || !maps.Equal(d.Attrs, ds[0].Attrs) {
				t.Errorf("job %s: notifications disagree: %+v %v and %+v %v", id, ds[0].Note, ds[0].Attrs, d.Note, d.Attrs)
			}
		}
		if len(ds) > 1 {
			t.Logf("job %s: %d notifications arrived (the first is checked; the others agree)", id, len(ds))
		}
	}
}

func e2ePtrTo[T any](v T) *T { return &v }

// createJob creates a LANGUAGE+SENTIMENT line job through the API handler and checks the
// presigned upload it returns points at the bucket on MinIO.
func e2eCreateJob(t *testing.T, ctx context.Context, s *e2eStack, name string) *api.CreateJobResult {
	t.Helper()
	body, err := json.Marshal(api.CreateJobRequest{
		JobName:         name + "-" + uniq(t),
		Analyses:        []job.Analysis{job.Language, job.Sentiment},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
	})
	if err != nil {
		t.Fatal(err)
	}
	var res api.CreateJobResult
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs", string(body), ""), http.StatusCreated, &res)
	if res.Job == nil || res.JobId == "" || res.JobStatus != job.AwaitingInput || res.Upload == nil {
		t.Fatalf("create answered %+v; want an AWAITING_INPUT job with an upload URL", res)
	}
	tenant := handlers.TenantFromARN(e2eCaller)
	want := os.Getenv("REAM_TEST_S3_ENDPOINT") + "/" + s.bucket + "/" + layout.UploadKey(tenant, res.JobId) + "?"
	if !strings.HasPrefix(res.Upload.URL, want) || !strings.Contains(res.Upload.URL, "X-Amz-Signature=") {
		t.Fatalf("upload URL %s; want a presigned URL starting %s", res.Upload.URL, want)
	}
	if res.InputDataConfig.S3Uri != "s3://"+s.bucket+"/"+layout.UploadKey(tenant, res.JobId) {
		t.Errorf("InputDataConfig.S3Uri = %s", res.InputDataConfig.S3Uri)
	}
	return &res
}

// checkObjectEvent checks the ObjectCreated event that reached ingest: from MinIO it carries
// eventSource minio:s3 and the URL-encoded key.
func e2eCheckObjectEvent(t *testing.T, s *e2eStack, webhook bool, in e2eIngested, key string, size int) {
	t.Helper()
	if in.Err != nil {
		t.Fatalf("ingest handler: %v", in.Err)
	}
	r := in.Event.Records[0]
	if r.S3.Bucket.Name != s.bucket || r.S3.Object.Size != int64(size) {
		t.Errorf("event for bucket %q size %d; want %q, %d", r.S3.Bucket.Name, r.S3.Object.Size, s.bucket, size)
	}
	if !webhook {
		return
	}
	if r.EventSource != "minio:s3" || !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") {
		t.Errorf("MinIO event source %q name %q; want minio:s3, s3:ObjectCreated:*", r.EventSource, r.EventName)
	}
	if r.S3.Object.Key == key {
		t.Logf("note: MinIO sent the key %q unencoded", r.S3.Object.Key)
	}
	t.Logf("MinIO event: source %s, name %s, key %s (decoded %s)", r.EventSource, r.EventName, r.S3.Object.Key, r.S3.Object.URLDecodedKey)
}

// readPlan reads the job's shard plan from the bucket.
func e2eReadPlan(t *testing.T, ctx context.Context, s *e2eStack, tenant, id string) []pipeline.ShardMessage {
	t.Helper()
	rc, err := s.objects.Open(ctx, layout.PlanKey(tenant, id), 0)
	if err != nil {
		t.Fatalf("open plan: %v", err)
	}
	defer rc.Close()
	var plan []pipeline.ShardMessage
	dec := json.NewDecoder(rc)
	for dec.More() {
		var m pipeline.ShardMessage
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("plan: %v", err)
		}
		plan = append(plan, m)
	}
	return plan
}

// checkJob checks a finished job end to end: the notification and its attributes, the job as
// the API describes it (and hides it from another tenant), and the results downloaded through
// the presigned URLs: one line per input document, Line 0..N-1 each once, error records where
// the input has bad documents and, for the shards in failed, SHARD_FAILED for the others; the
// counters equal the lines, and the manifest accounts for every shard.
func e2eCheckJob(t *testing.T, ctx context.Context, s *e2eStack, d e2eDelivered, res *api.CreateJobResult, tenant string,
	data []byte, docs []e2eInputDoc, failed map[int]bool) {
	t.Helper()
	id := res.JobId
	shards := input.PlanLines(int64(len(data)), e2eShardBytes)
	if len(shards) < 8 {
		t.Fatalf("only %d shards; the test wants many", len(shards))
	}
	inFailed := func(off int64) bool {
		for _, sh := range shards {
			if failed[sh.Index] && off >= sh.Start && off < sh.End {
				return true
			}
		}
		return false
	}
	want := make([]string, len(docs))
	var wantErrs int64
	for i, doc := range docs {
		want[i] = doc.code
		if want[i] == "" && inFailed(doc.start) {
			want[i] = job.CodeShardFailed
		}
		if want[i] != "" {
			wantErrs++
		}
	}
	n := int64(len(docs))

	// The notification, with the attributes subscribers filter on.
	note := d.Note
	if note.JobStatus != job.PartialSuccess || note.Tenant != tenant || note.JobName != res.JobName ||
		note.InputDocumentsCount != n || note.DocumentsWithErrorsCount != wantErrs || note.ProcessedDocumentsCount != n-wantErrs {
		t.Errorf("notification %+v; want PARTIAL_SUCCESS for tenant %s, %d documents, %d with errors", note, tenant, n, wantErrs)
	}
	if wantLoc := "s3://" + s.bucket + "/" + layout.OutputPrefix(tenant, id); note.OutputLocation != wantLoc {
		t.Errorf("notification OutputLocation %q, want %q", note.OutputLocation, wantLoc)
	}
	if d.Topic != s.topicARN {
		t.Errorf("notification from topic %s, want %s", d.Topic, s.topicARN)
	}
	wantAttrs := map[string]string{reamaws.AttrStatus: string(job.PartialSuccess), reamaws.AttrTenant: tenant, reamaws.AttrJobName: res.JobName}
	if !maps.Equal(d.Attrs, wantAttrs) {
		t.Errorf("notification attributes %v, want %v", d.Attrs, wantAttrs)
	}
	if len(failed) > 0 && !strings.Contains(note.Message, "dead-lettered") {
		t.Errorf("notification Message %q does not mention the dead-lettered shards", note.Message)
	}

	// The job as the API describes it; another tenant does not see it.
	var j job.Job
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id, "", ""), http.StatusOK, &j)
	dt := j.JobDetails
	if j.JobStatus != job.PartialSuccess || dt.InputDocumentsCount != n || dt.DocumentsWithErrorsCount != wantErrs ||
		dt.ProcessedDocumentsCount != n-wantErrs || dt.ShardsTotal != len(shards) || dt.ShardsDone != len(shards) {
		t.Errorf("described job %s %+v; want PARTIAL_SUCCESS, %d documents, %d errors, %d shards done", j.JobStatus, dt, n, wantErrs, len(shards))
	}
	if j.EndTime == nil || j.ExpirationTime == nil {
		t.Errorf("finished job has EndTime %v ExpirationTime %v", j.EndTime, j.ExpirationTime)
	}
	if want := "s3://" + s.bucket + "/" + layout.OutputPrefix(tenant, id) + api.ManifestName; j.ManifestFilePath != want {
		t.Errorf("ManifestFilePath %q, want %q", j.ManifestFilePath, want)
	}
	other := "arn:aws:iam::210987654321:user/someone-else"
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id, "", other), http.StatusNotFound, nil)
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id+"/results", "", other), http.StatusNotFound, nil)

	// The results, through presigned GET URLs to MinIO.
	var links api.ResultLinks
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id+"/results", "", ""), http.StatusOK, &links)
	base := os.Getenv("REAM_TEST_S3_ENDPOINT") + "/" + s.bucket + "/" + layout.OutputPrefix(tenant, id)
	if !strings.HasPrefix(links.Output.URL, base+api.ArchiveName+"?") || !strings.HasPrefix(links.Manifest.URL, base+api.ManifestName+"?") {
		t.Errorf("result URLs %s and %s; want them under %s", links.Output.URL, links.Manifest.URL, base)
	}
	lines := e2eReadArchive(t, e2eDownload(t, ctx, links.Output))
	var m output.Manifest
	if err := json.Unmarshal(e2eDownload(t, ctx, links.Manifest), &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}

	if int64(len(lines)) != n {
		t.Errorf("output has %d lines, want %d (one per input document)", len(lines), n)
	}
	seen := make([]int, n)
	var errs int64
	for i, l := range lines {
		if l.Line == nil || *l.Line < 0 || *l.Line >= n {
			t.Errorf("output line %d has Line %v, want 0..%d", i, l.Line, n-1)
			continue
		}
		k := *l.Line
		seen[k]++
		if l.ErrorCode != want[k] {
			t.Errorf("Line %d: ErrorCode %q (%s), want %q", k, l.ErrorCode, l.ErrorMessage, want[k])
		}
		if l.ErrorCode != "" {
			errs++
			if l.ErrorMessage == "" {
				t.Errorf("Line %d: %s without a message", k, l.ErrorCode)
			}
			continue
		}
		if l.Sentiment == "" || len(l.Languages) == 0 {
			t.Errorf("Line %d has no Sentiment or Languages: %+v", k, l)
		}
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("Line %d appears %d times in the output", k, c)
		}
	}
	if errs != dt.DocumentsWithErrorsCount || int64(len(lines)) != dt.InputDocumentsCount {
		t.Errorf("output has %d lines and %d error records; the job counts %d documents and %d errors", len(lines), errs, dt.InputDocumentsCount, dt.DocumentsWithErrorsCount)
	}

	// The manifest accounts for every shard.
	if m.JobId != id || m.JobStatus != job.PartialSuccess || !reflect.DeepEqual(m.JobDetails, dt) || m.Output.Lines != n {
		t.Errorf("manifest job %s %s details %+v lines %d; want %s PARTIAL_SUCCESS %+v %d", m.JobId, m.JobStatus, m.JobDetails, m.Output.Lines, id, dt, n)
	}
	if len(m.Shards) != len(shards) {
		t.Fatalf("manifest lists %d shards, want %d", len(m.Shards), len(shards))
	}
	for i, sh := range m.Shards {
		var own int64
		for _, doc := range docs {
			if doc.start >= shards[i].Start && doc.start < shards[i].End {
				own++
			}
		}
		wantStatus := output.ShardProcessed
		if failed[i] {
			wantStatus = output.ShardFailed
		}
		if sh.Index != i || sh.Start != shards[i].Start || sh.End != shards[i].End || sh.Documents != own || sh.Status != wantStatus {
			t.Errorf("manifest shard %+v; want index %d [%d, %d) with %d documents, %s", sh, i, shards[i].Start, shards[i].End, own, wantStatus)
		}
	}
	if t.Failed() {
		return
	}
	for _, l := range lines {
		if l.ErrorCode == job.CodeShardFailed {
			t.Logf("a dead-lettered document: Line %d: %s", *l.Line, l.ErrorMessage)
			break
		}
	}
	t.Logf("job %s: %s, %d documents, %d errors, %d shards", id, note.JobStatus, n, wantErrs, len(shards))
}
