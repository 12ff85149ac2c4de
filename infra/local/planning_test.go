package local

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestUploadsPlannedTwoAtOnce: while one upload's planning runs (held here; a gigabyte's lines
// take seconds to count), the next upload is planned and its job runs to its end; the held job
// then completes too (found from outside: uploads were planned one at a time, so a small job
// waited for a large one's planning).
func TestUploadsPlannedTwoAtOnce(t *testing.T) {
	ctx := testCtx(t)
	var (
		mu      sync.Mutex
		heldJob string
	)
	hold, release := make(chan struct{}), make(chan struct{})
	var once, releaseOnce sync.Once
	// No sweep during the test: it would plan the small job itself after a while.
	cfg := Config{SweepInterval: Duration(time.Hour)}
	s := startStack(t, cfg, pipeline.Hooks{PlanStarted: func(_ context.Context, _, jobID string) error {
		mu.Lock()
		held := jobID == heldJob
		mu.Unlock()
		if held {
			once.Do(func() { close(hold) })
			<-release
		}
		return nil
	}})
	// (Registered after the stack's cleanup, so it runs first: a failed test's held planning
	// lets the stack close.)
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	c := defaultClient(s)
	big, err := c.CreateJob(ctx, lineJob("held", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	heldJob = big.JobId
	mu.Unlock()
	if err := c.Upload(ctx, big.Upload.Presigned, writeTemp(t, "input", []byte("A calm day.\nAnother one.\n"))); err != nil {
		t.Fatal(err)
	}
	<-hold // its planning has started and is held
	small := createAndUpload(t, ctx, c, lineJob("small", job.OneDocPerLine), []byte("A fine film.\n"))
	if n, j := follow(t, ctx, c, small.JobId); !j.JobStatus.Terminal() || n.JobStatus != job.Completed {
		t.Fatalf("the small job while another upload's planning is held: %s (%s); want COMPLETED", j.JobStatus, j.Message)
	}
	if j, err := c.Describe(ctx, big.JobId); err != nil || j.JobStatus != job.Submitted {
		t.Fatalf("the held job: %v %v; want still SUBMITTED (its planning held)", j, err)
	}
	releaseOnce.Do(func() { close(release) })
	if n, j := follow(t, ctx, c, big.JobId); n.JobStatus != job.Completed {
		t.Fatalf("the held job once released: %s (%s); want COMPLETED", j.JobStatus, j.Message)
	}
}

// TestCreateGoneClientStillPlans: a job created with an input location is planned inside the
// create request on the local stack; a client that goes away meanwhile (Ctrl-C on `ream submit
// s3://…`, a script's timeout: net/http then cancels the request's context) left the job it had
// stored SUBMITTED, with nobody told its id, until a sweep planned it StuckAfter/3 later (5 minutes
// by default). The job is the service's once stored: it is planned and runs at once.
func TestCreateGoneClientStillPlans(t *testing.T) {
	ctx := testCtx(t)
	reqCtx, hangUp := context.WithCancel(ctx)
	// No sweep during the test: it would plan the job itself after a while.
	s := startStack(t, Config{SweepInterval: Duration(time.Hour)}, pipeline.Hooks{PlanStarted: func(_ context.Context, _, _ string) error {
		hangUp() // the client goes away while its job's input is being planned
		return nil
	}})
	key := "inputs/local/gone/in.txt"
	if err := s.Service.Objects().Put(ctx, key, strings.NewReader("A calm day.\nAnother one.\n")); err != nil {
		t.Fatal(err)
	}
	req := lineJob("gone", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = "s3://ream-local/" + key
	res, err := s.Service.CreateJob(reqCtx, "local", req)
	if err != nil {
		t.Fatalf("create whose client went away during planning: %v; want the job created and planned", err)
	}
	j, err := s.Service.Describe(ctx, "local", res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus == job.Submitted {
		t.Fatalf("job %s is still SUBMITTED after its create returned: its planning stopped with the client", j.JobId)
	}
	if n, j := follow(t, ctx, defaultClient(s), res.JobId); n.JobStatus != job.Completed {
		t.Fatalf("job of a gone client: %s (%s); want COMPLETED", j.JobStatus, j.Message)
	}
}

// TestRetryGoneClientStillRecordsTheChild: a retry whose client goes away while the child job is
// being planned (inside the request, on the local stack) has its child planned and listed in the
// parent's ChildJobIds; the child, stored, ran without its parent naming it.
func TestRetryGoneClientStillRecordsTheChild(t *testing.T) {
	ctx := testCtx(t)
	var (
		mu      sync.Mutex
		parent  string
		hangUp  context.CancelFunc
		planned = map[string]bool{}
	)
	s := startStack(t, Config{ShardBytes: 1024, VisibilityTimeout: Duration(time.Second), MaxReceiveCount: 2, SweepInterval: Duration(time.Hour)}, pipeline.Hooks{
		AfterShardWritten: func(msg pipeline.ShardMessage) error {
			mu.Lock()
			defer mu.Unlock()
			if msg.JobId == parent && msg.Index == 1 {
				return errCrash // the parent's shard 1 fails on every delivery: SHARD_FAILED records
			}
			return nil
		},
		PlanStarted: func(_ context.Context, _, jobID string) error {
			mu.Lock()
			defer mu.Unlock()
			if !planned[jobID] && hangUp != nil {
				hangUp() // the client of the retry goes away while its child is being planned
			}
			planned[jobID] = true
			return nil
		},
	})
	c := defaultClient(s)
	input, _ := genInput(300)
	res, err := c.CreateJob(ctx, lineJob("flaky", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	parent = res.JobId
	mu.Unlock()
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "input.txt", input)); err != nil {
		t.Fatal(err)
	}
	if _, p := follow(t, ctx, c, res.JobId); p.JobStatus != job.PartialSuccess {
		t.Fatalf("parent %s (%s); want PARTIAL_SUCCESS", p.JobStatus, p.Message)
	}
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	mu.Lock()
	hangUp = cancel
	mu.Unlock()
	child, err := s.Service.Retry(reqCtx, "local", res.JobId, api.RetryRequest{})
	if err != nil {
		t.Fatalf("retry whose client went away during the child's planning: %v; want the child created and recorded", err)
	}
	p, err := s.Service.Describe(ctx, "local", res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.ChildJobIds, child.JobId) {
		t.Fatalf("parent's ChildJobIds %v lack the child %s", p.ChildJobIds, child.JobId)
	}
	if n, j := follow(t, ctx, c, child.JobId); n.JobStatus != job.Completed {
		t.Fatalf("child of a gone client: %s (%s); want COMPLETED", j.JobStatus, j.Message)
	}
}

// TestCloseEndsACutRequestsPlanning: a job's planning inside its create request (detached from
// the request, so that a client going away does not stop it) still ends with the stack. Close
// cuts the request at the end of its grace, ends the planning and waits for it before it closes
// the database. Before, the planning, no longer cancelled by its request, ran on after Close had
// returned, over a closed database and a data directory whose lock was released.
func TestCloseEndsACutRequestsPlanning(t *testing.T) {
	old := shutdownGrace
	shutdownGrace = time.Millisecond // the planning held below outlasts it
	defer func() { shutdownGrace = old }()
	ctx := testCtx(t)
	planning, planEnded := make(chan struct{}), make(chan struct{})
	s, err := Start(ctx, Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", SweepInterval: Duration(time.Hour)}, Options{Log: testLogger(t),
		Hooks: pipeline.Hooks{PlanStarted: func(ctx context.Context, _, _ string) error {
			close(planning)
			<-ctx.Done() // a long planning, which ends when its context does
			close(planEnded)
			return ctx.Err()
		}}})
	if err != nil {
		t.Fatal(err)
	}
	key := "inputs/local/held/in.txt"
	if err := s.Service.Objects().Put(ctx, key, strings.NewReader("A calm day.\n")); err != nil {
		t.Fatal(err)
	}
	req := lineJob("held", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = "s3://ream-local/" + key
	go func() { _, _ = defaultClient(s).CreateJob(ctx, req) }() // answered or cut: either is fine
	<-planning
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	select {
	case <-planEnded:
	default:
		t.Fatal("Close returned while a create's planning was still running")
	}
}
