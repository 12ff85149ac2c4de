package local

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// storeDirectly writes key into the stack's object store as an upload that completed but whose
// event was never queued (the process died between the rename and the queue insert).
func storeDirectly(t *testing.T, s *Stack, key string, data []byte) {
	t.Helper()
	p := filepath.Join(s.cfg.DataDir, "objects", filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+".tmp-direct", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".tmp-direct", p); err != nil {
		t.Fatal(err)
	}
}

// readPlan waits until the default tenant's job is planned and reads its shard plan from the
// stack's object store.
func readPlan(t *testing.T, ctx context.Context, s *Stack, id string) []pipeline.ShardMessage {
	t.Helper()
	waitFor(t, ctx, "the plan", func() bool {
		j, err := defaultClient(s).Describe(ctx, id)
		return err == nil && j.JobStatus == job.InProgress
	})
	f, err := os.Open(filepath.Join(s.cfg.DataDir, "objects", filepath.FromSlash(layout.PlanKey("local", id))))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []pipeline.ShardMessage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m pipeline.ShardMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestLostUploadEventStartsJob: an input that is in the store but whose upload event was lost
// starts its job at the next sweep, not TIMED_OUT when the upload window closes; a retried PUT of
// the same bytes (its answer was lost) succeeds, a PUT of other bytes is refused.
func TestLostUploadEventStartsJob(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{ShardBytes: 1024, SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	input, _ := genInput(120)
	res, err := c.CreateJob(ctx, lineJob("lost-event", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	storeDirectly(t, s, layout.UploadKey("local", res.JobId), input)
	if j, _ := c.Describe(ctx, res.JobId); j.JobStatus != job.AwaitingInput {
		t.Fatalf("job is %s before the sweep, want AWAITING_INPUT (no event was queued)", j.JobStatus)
	}
	rep, err := s.Sweep(ctx)
	if err != nil || rep.Started != 1 || rep.TimedOut != 0 {
		t.Fatalf("sweep: %+v, %v; want the job started", rep, err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	recs, m := fetchResults(t, ctx, c, res.JobId)
	checkLineResults(t, input, j, recs, m, false)

	// The client never got its answer and retries: the same bytes are a success …
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "same", input)); err != nil {
		t.Errorf("retried PUT of the same bytes: %v, want 200", err)
	}
	// … other bytes are not.
	other := append([]byte("one more line\n"), input...)
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "other", other)); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("PUT of other bytes after the input arrived: %v, want 409", err)
	}
	if j2, _ := c.Describe(ctx, res.JobId); !reflect.DeepEqual(j2.JobDetails, j.JobDetails) || j2.JobStatus != j.JobStatus {
		t.Errorf("a retried upload changed the finished job: %+v %s, was %+v %s", j2.JobDetails, j2.JobStatus, j.JobDetails, j.JobStatus)
	}
}

// TestLostUploadFilesEventStartsJob: the same for a ONE_DOC_PER_FILE upload whose last file's
// event was lost: the sweep sees every named file and starts the job.
func TestLostUploadFilesEventStartsJob(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	req := lineJob("lost-files", job.OneDocPerFile)
	req.UploadFiles = []string{"a.txt", "b.txt", "c.txt"}
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("The service was quick and friendly.")
	for _, u := range res.Uploads[:2] {
		if err := c.Upload(ctx, u.Presigned, writeTemp(t, u.File, text)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, "the two upload events to be handled", func() bool {
		st, err := s.s3Events.Stats(ctx)
		return err == nil && st.Visible == 0 && st.InFlight == 0
	})
	storeDirectly(t, s, layout.UploadFilesPrefix("local", res.JobId)+res.Uploads[2].File, text)
	if j, _ := c.Describe(ctx, res.JobId); j.JobStatus != job.AwaitingInput {
		t.Fatalf("job is %s, want AWAITING_INPUT", j.JobStatus)
	}
	if rep, err := s.Sweep(ctx); err != nil || rep.Started != 1 {
		t.Fatalf("sweep: %+v, %v; want the job started", rep, err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 3 {
		t.Fatalf("job %s with %+v, want COMPLETED with 3 documents", j.JobStatus, j.JobDetails)
	}
}

// TestDeadLetterCannotOverwriteRecordedShard: a shard analysed and recorded whose message kept
// coming back until it was dead-lettered keeps its results (the dead-letter consumer must not
// rewrite them with SHARD_FAILED records); and a shard dead-lettered first keeps its SHARD_FAILED
// records when a late copy of its message is analysed afterwards. Output and counters agree.
func TestDeadLetterCannotOverwriteRecordedShard(t *testing.T) {
	ctx := testCtx(t)
	// Hold shard 0 as it starts, until the dead letters below are handled.
	hooks, release, _ := holdShardsWhere(ctx, func(m pipeline.ShardMessage) bool { return m.Index == 0 })
	s := startStack(t, Config{ShardBytes: 1024, Workers: 2, BatchSize: 1}, hooks)
	c := defaultClient(s)
	input, _ := genInput(300)
	res := createAndUpload(t, ctx, c, lineJob("dead-after-record", job.OneDocPerLine), input)
	plan := readPlan(t, ctx, s, res.JobId)
	if len(plan) < 4 {
		t.Fatalf("%d shards; want at least 4", len(plan))
	}
	// Every shard but 0 is recorded (0 is held): then shard 1's message "comes back" dead.
	waitFor(t, ctx, "every shard but the held one", func() bool {
		j, err := c.Describe(ctx, res.JobId)
		return err == nil && j.JobDetails.ShardsDone == j.JobDetails.ShardsTotal-1
	})
	if err := s.Service.DeadLetter(ctx, plan[1], "injected: redelivered past maxReceiveCount"); err != nil {
		t.Fatalf("dead letter of a recorded shard: %v", err)
	}
	close(release)
	_, j := follow(t, ctx, c, res.JobId)
	recs, m := fetchResults(t, ctx, c, res.JobId)
	for _, r := range recs {
		if r.ErrorCode == job.CodeShardFailed {
			t.Fatalf("a recorded shard's results were rewritten: %+v", r)
		}
	}
	checkLineResults(t, input, j, recs, m, false)
}

// TestLateCopyCannotOverwriteDeadLetteredShard: the reverse order. Shard 1 is dead-lettered
// while the only worker is busy; its message is still queued, and the worker analyses that late
// copy afterwards: the SHARD_FAILED records that were recorded stay in the output.
func TestLateCopyCannotOverwriteDeadLetteredShard(t *testing.T) {
	ctx := testCtx(t)
	hooks, release, _ := holdShardsWhere(ctx, func(m pipeline.ShardMessage) bool { return m.Index == 0 })
	s := startStack(t, Config{ShardBytes: 1024, Workers: 1, BatchSize: 1}, hooks)
	c := defaultClient(s)
	input, bad := genInput(300)
	res := createAndUpload(t, ctx, c, lineJob("late-copy", job.OneDocPerLine), input)
	plan := readPlan(t, ctx, s, res.JobId)
	if err := s.Service.DeadLetter(ctx, plan[1], "injected: dead-lettered"); err != nil {
		t.Fatal(err)
	}
	close(release)
	_, j := follow(t, ctx, c, res.JobId)
	recs, m := fetchResults(t, ctx, c, res.JobId)
	docs := splitDocs(input)
	failed := 0
	for _, r := range recs {
		l := *r.Line
		inShard1 := docs[l].start >= plan[1].Start && docs[l].start < plan[1].End
		if inShard1 && bad[int(l)] == "" && r.ErrorCode != job.CodeShardFailed {
			t.Errorf("Line %d of the dead-lettered shard: %q, want SHARD_FAILED (the late copy overwrote it)", l, r.ErrorCode)
		}
		if r.ErrorCode == job.CodeShardFailed {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no SHARD_FAILED record")
	}
	var errs int64
	for _, r := range recs {
		if r.ErrorCode != "" {
			errs++
		}
	}
	if errs != j.JobDetails.DocumentsWithErrorsCount || int64(len(recs)) != j.JobDetails.InputDocumentsCount {
		t.Errorf("%d error lines of %d, counters %+v", errs, len(recs), j.JobDetails)
	}
	checkManifest(t, input, j, m, int64(len(docs)), false)
}

// TestStopWhileUploadEventQueued: a stop that lands after the upload was stored but before its
// event started the job (here the event is never queued, as when it still waits in the queue)
// stops the job, and its Message says the input had arrived; a job stopped with no input says
// that instead. The late event then finds the job STOPPED and changes nothing.
func TestStopWhileUploadEventQueued(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	input, _ := genInput(10)

	arrived, err := c.CreateJob(ctx, lineJob("stop-arrived", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	storeDirectly(t, s, layout.UploadKey("local", arrived.JobId), input)
	j, err := c.Stop(ctx, arrived.JobId)
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	if j.JobStatus != job.Stopped || !strings.Contains(j.Message, "input had arrived") || strings.Contains(j.Message, "before its input arrived") {
		t.Errorf("stopped with its input stored: %s %q; want STOPPED saying the input had arrived", j.JobStatus, j.Message)
	}
	// The event that was still queued arrives now: the job stays STOPPED.
	if err := s.Service.InputArrived(ctx, layout.UploadKey("local", arrived.JobId)); err != nil {
		t.Fatal(err)
	}
	if j2, err := c.Describe(ctx, arrived.JobId); err != nil || j2.JobStatus != job.Stopped || !reflect.DeepEqual(j2.JobDetails, j.JobDetails) {
		t.Errorf("after the late event: %+v (%v); want it still STOPPED", j2, err)
	}

	none, err := c.CreateJob(ctx, lineJob("stop-no-input", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	j, err = c.Stop(ctx, none.JobId)
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	if j.JobStatus != job.Stopped || j.Message != "stopped on request before its input arrived" {
		t.Errorf("stopped without input: %s %q", j.JobStatus, j.Message)
	}
	// An upload whose check passed just before the stop lands after it (answered 200): its
	// event leaves the job STOPPED, without output, and its Message no longer denies the input.
	storeDirectly(t, s, layout.UploadKey("local", none.JobId), input)
	for range 2 { // the event, and a duplicate of it
		if err := s.Service.InputArrived(ctx, layout.UploadKey("local", none.JobId)); err != nil {
			t.Fatal(err)
		}
	}
	j2, err := c.Describe(ctx, none.JobId)
	if err != nil || j2.JobStatus != job.Stopped || !strings.Contains(j2.Message, "input had arrived") {
		t.Fatalf("after an upload that landed as the job stopped: %+v (%v); want STOPPED saying the input had arrived", j2, err)
	}
	if !reflect.DeepEqual(j2.JobDetails, j.JobDetails) {
		t.Errorf("counters changed: %+v, were %+v", j2.JobDetails, j.JobDetails)
	}
	if _, err := c.Results(ctx, none.JobId); err == nil {
		t.Error("results of a job stopped before processing: want none")
	}
}

// TestSameBytesRetryAfterStartQueuesNothing: a retried upload of the same bytes to a job that
// has already taken its input is answered 200 and queues its event no more: the job's shards
// run once each. Each such retry planned and enqueued the running job again (found from
// outside: a job queued ten times by ten retries).
func TestSameBytesRetryAfterStartQueuesNothing(t *testing.T) {
	ctx := testCtx(t)
	release := make(chan struct{})
	var mu sync.Mutex
	starts := map[int]int{}
	hooks := pipeline.Hooks{ShardStarted: func(msg pipeline.ShardMessage) error {
		mu.Lock()
		starts[msg.Index]++
		mu.Unlock()
		<-release
		return nil
	}}
	s := startStack(t, Config{ShardBytes: 1024, SweepInterval: Duration(time.Hour)}, hooks)
	c := defaultClient(s)
	input, _ := genInput(200)
	res, err := c.CreateJob(ctx, lineJob("retry-same", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "input", input)
	if err := c.Upload(ctx, res.Upload.Presigned, path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the job to start", func() bool {
		j, err := c.Describe(ctx, res.JobId)
		return err == nil && j.JobStatus == job.InProgress
	})
	for range 3 {
		if err := c.Upload(ctx, res.Upload.Presigned, path); err != nil {
			t.Fatalf("same bytes again: %v", err)
		}
	}
	time.Sleep(200 * time.Millisecond) // a queued event would be handled by now
	close(release)
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobDetails.InputDocumentsCount != 200 {
		t.Fatalf("job %s counted %d documents", j.JobStatus, j.JobDetails.InputDocumentsCount)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, n := range starts {
		if n != 1 {
			t.Errorf("shard %d ran %d times, want once", i, n)
		}
	}
	if len(starts) != j.JobDetails.ShardsTotal {
		t.Errorf("%d shards ran of %d", len(starts), j.JobDetails.ShardsTotal)
	}
}

// TestEventStreamsCappedPerTenant: a tenant may hold maxStreamsPerTenant event streams at once;
// one more is a 429 saying so (with Retry-After), another tenant's stream is still served, and a closed stream
// frees its place (found from outside: 2,000 idle streams of one tenant took the cores).
func TestEventStreamsCappedPerTenant(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Keys: map[string]string{DefaultKey: "local", "other-key": "team-b"}, SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	res, err := c.CreateJob(ctx, lineJob("waiting", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	open := func(key, id string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/v1/jobs/"+id+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var streams []*http.Response
	defer func() {
		for _, r := range streams {
			r.Body.Close()
		}
	}()
	for range maxStreamsPerTenant {
		r := open(DefaultKey, res.JobId)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %d", len(streams), r.StatusCode)
		}
		streams = append(streams, r)
	}
	over := open(DefaultKey, res.JobId)
	body, _ := io.ReadAll(over.Body)
	over.Body.Close()
	if over.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "event streams per tenant") {
		t.Errorf("stream over the cap: %d %s; want 429 saying why", over.StatusCode, body)
	}
	if ra := over.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("stream over the cap: Retry-After %q, want 1", ra)
	}
	other, err := newClient(s.URL, "other-key").CreateJob(ctx, lineJob("theirs", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	if r := open("other-key", other.JobId); r.StatusCode != http.StatusOK {
		t.Errorf("another tenant's stream: %d", r.StatusCode)
	} else {
		r.Body.Close()
	}
	// A HEAD is answered at once, without a stream, even while the tenant's places are taken.
	head, _ := http.NewRequestWithContext(ctx, http.MethodHead, s.URL+"/v1/jobs/"+res.JobId+"/events", nil)
	head.Header.Set("Authorization", "Bearer "+DefaultKey)
	hc := &http.Client{Timeout: 5 * time.Second}
	if r, err := hc.Do(head); err != nil || r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("HEAD of the events route: %v %v; want 200 with the stream's headers at once", r, err)
	} else {
		r.Body.Close()
	}
	streams[0].Body.Close()
	streams = streams[1:]
	waitFor(t, ctx, "a closed stream to free its place", func() bool {
		r := open(DefaultKey, res.JobId)
		defer r.Body.Close()
		return r.StatusCode == http.StatusOK
	})
}
