package pipeline_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// localService is a Service on the local adapters, with the adapters at hand, and the Deps it
// was built from (a test may build others on the same adapters).
type localService struct {
	svc     *pipeline.Service
	deps    pipeline.Deps
	jobs    *local.Jobs
	objects *local.Objects
	queue   *local.Queue
	models  *local.Models // the coding-model registry (deps.Models)
}

// newLocalService builds one in a temporary directory: now (nil: the wall clock) is the
// service's clock, cfg its configuration (Locations defaults to s3://bucket/), objOpts the
// object store's options (e.g. its own clock).
func newLocalService(tb testing.TB, cfg pipeline.Config, now func() time.Time, objOpts ...local.Option) localService {
	tb.Helper()
	dir := tb.TempDir()
	db, err := local.OpenDB(filepath.Join(dir, "ream.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	objects, err := local.NewObjects(dir, "http://127.0.0.1:1", nil, objOpts...)
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := analysis.DefaultRegistry()
	if err != nil {
		tb.Fatal(err)
	}
	notifier := local.NewNotifier(db, nil)
	tb.Cleanup(func() { notifier.Close(context.Background()) })
	if cfg.Locations.Base == "" {
		cfg.Locations.Base = "s3://bucket/"
	}
	st := localService{jobs: local.NewJobs(db), objects: objects, queue: local.NewQueue(db, "shards", 3), models: local.NewModels(db)}
	st.deps = pipeline.Deps{
		Jobs: st.jobs, Objects: objects, Queue: st.queue, Notifier: notifier, Analyzers: reg, Models: st.models,
		DropRules: local.NewDropRules(db), Config: cfg, Now: now,
		Log: slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	st.svc = pipeline.New(st.deps)
	return st
}

// storedLineJob stores text under key in st's object store and creates a ONE_DOC_PER_LINE job
// of it through svc (st's service when nil) running analysis a; req, when given, adjusts the
// request first. It returns the job's id.
func storedLineJob(t testing.TB, ctx context.Context, st localService, svc *pipeline.Service, key, text string, a job.Analysis, req func(*api.CreateJobRequest)) string {
	t.Helper()
	if svc == nil {
		svc = st.svc
	}
	if err := st.objects.Put(ctx, key, strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	r := api.CreateJobRequest{Analyses: []job.Analysis{a}, InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/" + key, InputFormat: job.OneDocPerLine}}
	if req != nil {
		req(&r)
	}
	created, err := svc.CreateJob(ctx, "local", r)
	if err != nil {
		t.Fatal(err)
	}
	return created.JobId
}

// recordAllShards records every shard of the job as rec (its Index set for each), as workers
// would without finalizing, and returns the job as it was before.
func recordAllShards(t testing.TB, ctx context.Context, st localService, id string, rec pipeline.ShardRecord) *job.Job {
	t.Helper()
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	for i := range j.JobDetails.ShardsTotal {
		rec.Index = i
		if _, _, err := st.jobs.RecordShard(ctx, "local", id, rec); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// setClaim writes a finalize claim on the job, as a finalizer (by) would at time at.
func setClaim(t testing.TB, ctx context.Context, st localService, id string, at time.Time, by string) {
	t.Helper()
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	j.FinalizeClaimed, j.FinalizeClaimedBy = &at, by
	if err := st.jobs.Update(ctx, j, j.JobStatus); err != nil {
		t.Fatal(err)
	}
}
