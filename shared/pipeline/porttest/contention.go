package porttest

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// ContentionRecorders is how many distinct shards RecordShardContention records:
// REAM_CONTENTION_RECORDERS if set, else 200 with -short and 1000 without.
func ContentionRecorders(t *testing.T) int {
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

// ContentionCall is one RecordShard call of RecordShardContention, for the caller's figures.
type ContentionCall struct {
	Index   int
	Applied bool
	Err     error
	Took    time.Duration
	// Ctx is the context the call ran with (from callCtx).
	Ctx context.Context
}

// RecordShardContention records n shards of one job at once, plus a second delivery of every
// fifth shard concurrently with the first, as a thousand workers finishing together do. Every
// call must succeed (no recorder gives up), each shard must apply exactly once, the job's
// counters must be the exact sums, and Shards must return every record, in order, as recorded.
// Only the Jobs port is used, so the check does not care how a store avoids or absorbs the
// contention. callCtx (nil: none) derives each call's context, so that a caller can count what
// its store did per call; the calls and the elapsed time are returned for the caller to report.
func RecordShardContention(t *testing.T, s pipeline.Jobs, n int, callCtx func(context.Context) context.Context) ([]ContentionCall, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	j := newJob(tenant, id, time.Now().UTC().Truncate(time.Millisecond))
	j.JobStatus = job.InProgress
	j.JobDetails = job.Details{ShardsTotal: n}
	mustCreate(t, s, j)

	recorded := time.Now().UTC().Truncate(time.Millisecond)
	recOf := func(i int) pipeline.ShardRecord {
		docs := int64(i%7 + 1)
		return pipeline.ShardRecord{Index: i, Documents: docs, Errors: int64(i % 3 % int(docs+1)),
			ResultKey: fmt.Sprintf("results/%d", i), Recorded: recorded}
	}
	want := job.Details{ShardsTotal: n, ShardsDone: n}
	var deliveries []int
	for i := 0; i < n; i++ {
		r := recOf(i)
		want.InputDocumentsCount += r.Documents
		want.ProcessedDocumentsCount += r.Processed()
		want.DocumentsWithErrorsCount += r.Errors
		deliveries = append(deliveries, i)
		if i%5 == 0 {
			deliveries = append(deliveries, i)
		}
	}

	calls := make([]ContentionCall, len(deliveries))
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for k, i := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx := ctx
			if callCtx != nil {
				cctx = callCtx(ctx)
			}
			<-gate
			t0 := time.Now()
			after, applied, err := s.RecordShard(cctx, tenant, id, recOf(i))
			if err == nil && after == nil {
				err = fmt.Errorf("RecordShard returned no job")
			}
			calls[k] = ContentionCall{Index: i, Applied: applied, Err: err, Took: time.Since(t0), Ctx: cctx}
		}()
	}
	t0 := time.Now()
	close(gate)
	wg.Wait()
	elapsed := time.Since(t0)

	applied := make([]int, n)
	failed := 0
	gaveUp := map[int]bool{}
	for _, c := range calls {
		switch {
		case c.Err != nil:
			if failed < 5 {
				t.Errorf("RecordShard(%d): %v", c.Index, c.Err)
			}
			failed++
			gaveUp[c.Index] = true
		case c.Applied:
			applied[c.Index]++
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d RecordShard calls failed", failed, len(calls))
	}
	notOnce := 0
	for i, a := range applied {
		// A shard whose deliveries failed may be unapplied (already reported); none may apply twice.
		if a > 1 || a == 0 && !gaveUp[i] {
			if notOnce < 5 {
				t.Errorf("shard %d applied %d times, want exactly 1", i, a)
			}
			notOnce++
		}
	}
	if notOnce > 0 {
		t.Errorf("%d shards not applied exactly once", notOnce)
	}

	got, err := s.Get(ctx, tenant, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !reflect.DeepEqual(counts(got.JobDetails), want) { // (the rate's inputs: see RecentDocumentsAndBytes)
		t.Errorf("JobDetails = %+v\n          want %+v", got.JobDetails, want)
	}
	if got.JobStatus != job.InProgress || got.JobName != j.JobName || got.InputKey != j.InputKey {
		t.Errorf("RecordShard changed more than the counters: %+v", got)
	}
	recs, err := s.Shards(ctx, tenant, id)
	if err != nil {
		t.Fatalf("Shards: %v", err)
	}
	if len(recs) != n {
		t.Errorf("Shards returned %d records, want %d", len(recs), n)
	}
	seen := make([]bool, n)
	bad := 0
	for k, r := range recs {
		ok := r.Index >= 0 && r.Index < n && !seen[r.Index] && (k == 0 || r.Index > recs[k-1].Index)
		if ok {
			seen[r.Index] = true
			w := recOf(r.Index)
			ok = r.Documents == w.Documents && r.Errors == w.Errors && r.ResultKey == w.ResultKey && r.Recorded.Equal(w.Recorded)
		}
		if !ok {
			if bad < 5 {
				t.Errorf("Shards[%d] = %+v: out of order, repeated or not as recorded", k, r)
			}
			bad++
		}
	}
	missing := 0
	for _, ok := range seen {
		if !ok {
			missing++
		}
	}
	if missing > 0 || bad > 0 {
		t.Errorf("Shards: %d indexes missing, %d records wrong", missing, bad)
	}
	return calls, elapsed
}
