package local_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// contentionRecorders is the number of distinct shards TestRecordShardContention records:
// REAM_CONTENTION_RECORDERS if set, else 200 with -short and 1000 without.
func contentionRecorders(t *testing.T) int {
	t.Helper()
	if v := os.Getenv("REAM_CONTENTION_RECORDERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("REAM_CONTENTION_RECORDERS=%q: want a positive integer", v)
		}
		return n
	}
	if testing.Short() {
		return 200
	}
	return 1000
}

// TestRecordShardContention records N shards of one job concurrently, plus a duplicate
// delivery of every fifth shard concurrently with the original, as many workers finishing at
// once do. SQLite serialises the writers (IMMEDIATE transactions wait in the busy handler, up
// to the busy timeout), so nothing is injected here: every RecordShard must succeed, each shard
// must apply exactly once and the job's counters must be the exact sums. The driver does not
// expose how often the busy handler slept, so the test logs the elapsed time and the
// distribution of call latencies (which is mostly lock waiting) instead.
func TestRecordShardContention(t *testing.T) {
	report := func(format string, args ...any) {
		t.Helper()
		t.Logf(format, args...)
		fmt.Printf("TestRecordShardContention: "+format+"\n", args...)
	}
	n := contentionRecorders(t)
	jobs := local.NewJobs(openDB(t, t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	tenant, id := "t-contention", "job-contention"
	j := &job.Job{
		JobId: id, JobName: "contention", Tenant: tenant,
		Analyses:         []job.Analysis{job.Sentiment},
		InputDataConfig:  job.InputDataConfig{InputFormat: job.OneDocPerLine},
		OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://out/" + id},
		JobStatus:        job.InProgress, SubmitTime: time.Now().UTC().Truncate(time.Millisecond),
		InputKey:   "inputs/" + tenant + "/" + id,
		JobDetails: job.Details{ShardsTotal: n},
	}
	if _, created, err := jobs.Create(ctx, j); err != nil || !created {
		t.Fatalf("Create = %v, %v", created, err)
	}

	recorded := time.Now().UTC().Truncate(time.Millisecond)
	recOf := func(i int) pipeline.ShardRecord {
		docs := int64(i%7 + 1)
		return pipeline.ShardRecord{Index: i, Documents: docs, Errors: int64(i % 3 % int(docs+1)),
			ResultKey: fmt.Sprintf("results/%d", i), Recorded: recorded}
	}
	want := job.Details{ShardsTotal: n, ShardsDone: n}
	for i := 0; i < n; i++ {
		r := recOf(i)
		want.InputDocumentsCount += r.Documents
		want.ProcessedDocumentsCount += r.Documents - r.Errors
		want.DocumentsWithErrorsCount += r.Errors
	}

	var deliveries []int
	for i := 0; i < n; i++ {
		deliveries = append(deliveries, i)
		if i%5 == 0 {
			deliveries = append(deliveries, i)
		}
	}
	type result struct {
		index   int
		applied bool
		err     error
		took    time.Duration
	}
	results := make([]result, len(deliveries))
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	for k, i := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGate
			t0 := time.Now()
			after, applied, err := jobs.RecordShard(ctx, tenant, id, recOf(i))
			if err == nil && after == nil {
				err = fmt.Errorf("RecordShard returned no job")
			}
			results[k] = result{i, applied, err, time.Since(t0)}
		}()
	}
	t0 := time.Now()
	close(startGate)
	wg.Wait()
	elapsed := time.Since(t0)

	applied := make([]int, n)
	failed := 0
	took := make([]time.Duration, 0, len(results))
	for _, r := range results {
		took = append(took, r.took)
		if r.err != nil {
			if failed < 5 {
				t.Errorf("RecordShard(%d): %v", r.index, r.err)
			}
			failed++
			continue
		}
		if r.applied {
			applied[r.index]++
		}
	}
	slices.Sort(took)
	pct := func(p int) time.Duration { return took[(len(took)-1)*p/100].Round(time.Microsecond) }
	report("%d shards, %d RecordShard calls (%d duplicates): %v elapsed (%.0f calls/s); call latency p50 %v, p99 %v, max %v",
		n, len(deliveries), len(deliveries)-n, elapsed.Round(time.Millisecond), float64(len(deliveries))/elapsed.Seconds(),
		pct(50), pct(99), pct(100))
	report("recorders that failed: %d of %d (busy-handler retries are not observable through the driver)", failed, len(deliveries))
	if failed > 0 {
		t.Errorf("%d RecordShard calls failed", failed)
	}
	notOnce := 0
	for i, a := range applied {
		if a != 1 {
			if notOnce < 5 {
				t.Errorf("shard %d applied %d times, want exactly 1", i, a)
			}
			notOnce++
		}
	}
	if notOnce > 0 {
		t.Errorf("%d shards not applied exactly once", notOnce)
	}

	got, err := jobs.Get(ctx, tenant, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.JobDetails != want {
		t.Errorf("JobDetails = %+v\n          want %+v", got.JobDetails, want)
	}
	if got.JobStatus != job.InProgress || got.JobName != j.JobName || got.InputKey != j.InputKey {
		t.Errorf("RecordShard changed more than the counters: %+v", got)
	}
	recs, err := jobs.Shards(ctx, tenant, id)
	if err != nil {
		t.Fatalf("Shards: %v", err)
	}
	if len(recs) != n {
		t.Errorf("Shards returned %d records, want %d", len(recs), n)
	}
	for k, r := range recs {
		w := recOf(k)
		if r.Index != w.Index || r.Documents != w.Documents || r.Errors != w.Errors || r.ResultKey != w.ResultKey || !r.Recorded.Equal(w.Recorded) {
			t.Errorf("Shards[%d] = %+v, want %+v", k, r, w)
			break
		}
	}
}
