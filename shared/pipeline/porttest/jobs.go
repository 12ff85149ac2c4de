package porttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestJobs runs the conformance suite for pipeline.Jobs. newStore is called once per subtest.
//
// Besides what the port's doc comments say, the suite pins down these choices, which every
// implementation must share:
//   - Create stores the job with Version 1 (and sets j.Version to 1 when created).
//   - Every field of job.Job is persisted, including the `json:"-"` bookkeeping fields.
//   - Creating a job whose id the tenant already has (without a matching ClientRequestToken) is
//     ErrConflict; Update of a missing job is ErrNotFound.
//   - List filters: JobName is an exact match; SubmittedBefore/SubmittedAfter are strict.
//     MaxResults 0 means the implementation's default page size.
//   - RecordShard adds rec.Documents to InputDocumentsCount, rec.Processed() to
//     ProcessedDocumentsCount, rec.Errors to DocumentsWithErrorsCount and 1 to ShardsDone, as
//     Get, List and Scan show them. It need not write the job item (the DynamoDB adapter keeps
//     the counts on counter items of their own, so concurrent recorders do not contend on one
//     item), so an Update never overwrites recorded counts of a running job; a terminal job's
//     counts are those its terminal Update wrote.
func TestJobs(t *testing.T, newStore func(t *testing.T) pipeline.Jobs) {
	t.Run("CreateGet", func(t *testing.T) { jobsCreateGet(t, newStore(t)) })
	t.Run("TenantIsolation", func(t *testing.T) { jobsTenants(t, newStore(t)) })
	t.Run("IdempotentCreate", func(t *testing.T) { jobsIdempotent(t, newStore(t)) })
	t.Run("DuplicateID", func(t *testing.T) { jobsDuplicateID(t, newStore(t)) })
	t.Run("UpdateConditional", func(t *testing.T) { jobsUpdate(t, newStore(t)) })
	t.Run("ListFiltersAndPages", func(t *testing.T) { jobsList(t, newStore(t)) })
	t.Run("RecordShardOnce", func(t *testing.T) { jobsRecordShard(t, newStore(t)) })
	t.Run("RecentDocumentsAndBytes", func(t *testing.T) { jobsRecent(t, newStore(t)) })
	t.Run("RecordShardConcurrentDuplicates", func(t *testing.T) { jobsRecordConcurrent(t, newStore(t)) })
	t.Run("RecordShardConcurrentDistinct", func(t *testing.T) { jobsRecordDistinct(t, newStore(t)) })
	t.Run("RecordShardAnalysedLater", func(t *testing.T) { jobsRecordAnalysed(t, newStore(t)) })
	t.Run("ScanAcrossTenants", func(t *testing.T) { jobsScan(t, newStore(t)) })
	t.Run("ScanPageResumes", func(t *testing.T) { jobsScanPage(t, newStore(t)) })
	t.Run("ScanUnnotified", func(t *testing.T) { jobsScanUnnotified(t, newStore(t)) })
	t.Run("ScanPageNotifiedDuringWalk", func(t *testing.T) { jobsScanPageNotifiedDuringWalk(t, newStore(t)) })
	t.Run("SweepState", func(t *testing.T) { jobsSweepState(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { jobsDelete(t, newStore(t)) })
}

// jobsDelete: Delete removes the job, its shard records and its token (so the token can name a
// new job), leaves other jobs alone, and is idempotent.
func jobsDelete(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant := "t-" + uniq(t)
	j := newJob(tenant, "job-"+uniq(t), baseTime)
	j.ClientRequestToken = "tok-" + uniq(t)
	j.JobStatus = job.InProgress
	j.JobDetails.ShardsTotal = 150 // more than one DynamoDB transaction of deletes
	mustCreate(t, s, j)
	keep := newJob(tenant, "keep-"+uniq(t), baseTime)
	mustCreate(t, s, keep)
	for i := 0; i < 150; i++ {
		if _, _, err := s.RecordShard(ctx, tenant, j.JobId, pipeline.ShardRecord{Index: i, Documents: 1, Recorded: baseTime}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.RecordShard(ctx, tenant, keep.JobId, pipeline.ShardRecord{Index: 0, Documents: 1, Recorded: baseTime}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, tenant, j.JobId); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, tenant, j.JobId); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
	}
	if recs, err := s.Shards(ctx, tenant, j.JobId); (err != nil && !errors.Is(err, job.ErrNotFound)) || len(recs) != 0 {
		t.Fatalf("Shards after Delete = %d records, %v", len(recs), err)
	}
	if recs, err := s.Shards(ctx, tenant, keep.JobId); err != nil || len(recs) != 1 {
		t.Fatalf("the other job's shards: %d records, %v", len(recs), err)
	}
	if _, err := s.Get(ctx, tenant, keep.JobId); err != nil {
		t.Fatalf("the other job: %v", err)
	}
	again := newJob(tenant, "again-"+uniq(t), baseTime)
	again.ClientRequestToken = j.ClientRequestToken
	if _, created, err := s.Create(ctx, again); err != nil || !created {
		t.Fatalf("Create with the deleted job's token = created %v, %v; want a new job", created, err)
	}
	if err := s.Delete(ctx, tenant, j.JobId); err != nil {
		t.Fatalf("Delete of a deleted job: %v", err)
	}
}

// baseTime is a whole second so that every backend stores it exactly.
var baseTime = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func newJob(tenant, id string, submit time.Time) *job.Job {
	return &job.Job{
		JobId:            id,
		JobName:          "name-" + id,
		Analyses:         []job.Analysis{job.Sentiment, job.Language},
		InputDataConfig:  job.InputDataConfig{InputFormat: job.OneDocPerLine},
		OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://out/" + id},
		JobStatus:        job.AwaitingInput,
		SubmitTime:       submit,
		Tenant:           tenant,
		InputKey:         "inputs/" + tenant + "/" + id,
	}
}

// fillHidden sets every `json:"-"` field of j except Version to a non-zero value, so that a
// field added to job.Job later is covered without editing the suite.
func fillHidden(t *testing.T, j *job.Job) {
	t.Helper()
	v := reflect.ValueOf(j).Elem()
	typ := v.Type()
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if f.Tag.Get("json") != "-" || f.Name == "Version" || f.Name == "Tenant" {
			continue
		}
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.String:
			fv.SetString("hidden-" + f.Name)
		case fv.Kind() == reflect.Bool:
			fv.SetBool(true)
		case fv.CanInt():
			fv.SetInt(7)
		case fv.Type() == reflect.TypeOf(time.Time{}):
			fv.Set(reflect.ValueOf(baseTime.Add(time.Hour)))
		case fv.Type() == reflect.TypeOf(&time.Time{}):
			tm := baseTime.Add(2 * time.Hour)
			fv.Set(reflect.ValueOf(&tm))
		case fv.Type() == reflect.TypeOf(&job.TopicsStage{}):
			fv.Set(reflect.ValueOf(&job.TopicsStage{Shards: 7, Index: 3, Kind: "round", Round: 2}))
		default:
			t.Fatalf("porttest: cannot fill job.Job.%s (%s); teach fillHidden about it", f.Name, f.Type)
		}
	}
}

// sameJob compares everything but Version, by value (times with Equal).
func sameJob(t *testing.T, what string, got, want *job.Job) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil job", what)
	}
	g, w := got.Clone(), want.Clone()
	g.Version, w.Version = 0, 0
	gj, wj := visible(t, g), visible(t, w)
	if gj != wj {
		t.Fatalf("%s: job differs\n got %s\nwant %s", what, gj, wj)
	}
}

// visible renders a job including its hidden fields, with times normalised to UTC.
func visible(t *testing.T, j *job.Job) string {
	t.Helper()
	norm := func(tm *time.Time) {
		if tm != nil {
			*tm = tm.UTC()
		}
	}
	norm(&j.SubmitTime)
	norm(j.EndTime)
	norm(j.ExpirationTime)
	hidden := map[string]any{}
	v := reflect.ValueOf(j).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Tag.Get("json") == "-" {
			x := v.Field(i).Interface()
			switch tv := x.(type) {
			case *time.Time:
				if tv != nil {
					u := tv.UTC()
					x = &u
				}
			case time.Time:
				x = tv.UTC()
			}
			hidden[f.Name] = x
		}
	}
	b, err := json.Marshal(struct {
		Job    *job.Job
		Hidden map[string]any
	}{j, hidden})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustCreate(t *testing.T, s pipeline.Jobs, j *job.Job) *job.Job {
	t.Helper()
	stored, created, err := s.Create(context.Background(), j)
	if err != nil || !created {
		t.Fatalf("Create(%s/%s) = created %v, %v", j.Tenant, j.JobId, created, err)
	}
	return stored
}

func jobsCreateGet(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	j := newJob(tenant, id, baseTime)
	end := baseTime.Add(time.Hour)
	j.EndTime, j.ExpirationTime = &end, &end
	j.Tags = []job.Tag{{Key: "team", Value: "stats"}}
	j.RedactOutput = &job.RedactionConfig{MaskMode: "MASK", MaskCharacter: "*"}
	j.JobDetails = job.Details{ShardsTotal: 3}
	fillHidden(t, j)
	want := j.Clone()
	stored := mustCreate(t, s, j)
	if stored.Version != 1 || j.Version != 1 {
		t.Fatalf("after Create: stored.Version %d, j.Version %d; want 1 and 1", stored.Version, j.Version)
	}
	sameJob(t, "Create result", stored, want)
	got, err := s.Get(ctx, tenant, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	sameJob(t, "Get", got, want)
	if got.Version != 1 {
		t.Fatalf("Get: Version %d, want 1", got.Version)
	}
	// The returned job is the caller's to mutate.
	got.JobName = "mutated"
	again, err := s.Get(ctx, tenant, id)
	if err != nil {
		t.Fatalf("Get again: %v", err)
	}
	if again.JobName != want.JobName {
		t.Fatalf("mutating a returned job changed the store")
	}
	if _, err := s.Get(ctx, tenant, "no-such-job"); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
}

func jobsTenants(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	a, b, id := "ta-"+uniq(t), "tb-"+uniq(t), "job-"+uniq(t)
	mustCreate(t, s, newJob(a, id, baseTime))
	if _, err := s.Get(ctx, b, id); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("other tenant's Get = %v, want ErrNotFound", err)
	}
	if _, _, err := s.RecordShard(ctx, b, id, pipeline.ShardRecord{Index: 0, Documents: 1}); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("other tenant's RecordShard = %v, want ErrNotFound", err)
	}
	if _, err := s.Shards(ctx, b, id); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("other tenant's Shards = %v, want ErrNotFound", err)
	}
	other := newJob(b, id, baseTime)
	other.Version = 1
	other.JobStatus = job.Submitted
	if err := s.Update(ctx, other, job.AwaitingInput); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("other tenant's Update = %v, want ErrNotFound", err)
	}
	jobs, _, err := s.List(ctx, b, api.ListFilter{})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("other tenant's List = %d jobs, %v", len(jobs), err)
	}
	// The same id may exist for two tenants independently.
	mustCreate(t, s, newJob(b, id, baseTime))
	ga := mustGet(t, s, ctx, a, id)
	gb := mustGet(t, s, ctx, b, id)
	if ga == nil || gb == nil || ga.Tenant != a || gb.Tenant != b {
		t.Fatalf("same id under two tenants: %+v / %+v", ga, gb)
	}
}

func jobsIdempotent(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant := "t-" + uniq(t)
	first := newJob(tenant, "job-"+uniq(t), baseTime)
	first.ClientRequestToken = "token-1"
	first.RequestHash = "hash-1"
	mustCreate(t, s, first)

	retry := newJob(tenant, "job-"+uniq(t), baseTime.Add(time.Second))
	retry.ClientRequestToken = "token-1"
	retry.RequestHash = "hash-2"
	stored, created, err := s.Create(ctx, retry)
	if err != nil || created {
		t.Fatalf("Create with a used token = created %v, %v; want the stored job", created, err)
	}
	if stored.JobId != first.JobId || stored.RequestHash != "hash-1" {
		t.Fatalf("Create with a used token returned %s (hash %q), want %s (hash-1)", stored.JobId, stored.RequestHash, first.JobId)
	}
	if _, err := s.Get(ctx, tenant, retry.JobId); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("the retried create stored a second job (Get: %v)", err)
	}
	// Tokens are per tenant.
	elsewhere := newJob("other-"+uniq(t), "job-"+uniq(t), baseTime)
	elsewhere.ClientRequestToken = "token-1"
	mustCreate(t, s, elsewhere)
	// Jobs without a token never collide.
	mustCreate(t, s, newJob(tenant, "job-"+uniq(t), baseTime))
	mustCreate(t, s, newJob(tenant, "job-"+uniq(t), baseTime))
}

func jobsDuplicateID(t *testing.T, s pipeline.Jobs) {
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	mustCreate(t, s, newJob(tenant, id, baseTime))
	dup := newJob(tenant, id, baseTime.Add(time.Second))
	dup.JobName = "impostor"
	if _, created, err := s.Create(context.Background(), dup); !errors.Is(err, job.ErrConflict) || created {
		t.Fatalf("Create with an existing id = created %v, %v; want ErrConflict", created, err)
	}
	got := mustGet(t, s, context.Background(), tenant, id)
	if got.JobName == "impostor" {
		t.Fatalf("duplicate Create overwrote the job")
	}
}

func jobsUpdate(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	mustCreate(t, s, newJob(tenant, id, baseTime))
	cur, err := s.Get(ctx, tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	stale := cur.Clone()

	next := cur.Clone()
	if err := next.Transition(job.Submitted); err != nil {
		t.Fatal(err)
	}
	next.Message = "input arrived"
	next.Notified = true
	next.JobDetails.ShardsTotal = 4
	started := baseTime.Add(time.Minute) // Finalize reads an unset StartedAt as "never planned"
	next.StartedAt = &started
	v := next.Version
	if err := s.Update(ctx, next, job.AwaitingInput); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if next.Version != v+1 {
		t.Fatalf("Update: Version %d, want %d", next.Version, v+1)
	}
	got := mustGet(t, s, ctx, tenant, id)
	sameJob(t, "Get after Update", got, next)
	if got.Version != next.Version {
		t.Fatalf("stored Version %d, want %d", got.Version, next.Version)
	}

	// A stale version loses, even with the right expected status.
	stale.Message = "stale"
	stale.JobStatus = job.TimedOut
	if err := s.Update(ctx, stale, job.Submitted); !errors.Is(err, job.ErrConflict) {
		t.Fatalf("Update with a stale version = %v, want ErrConflict", err)
	}
	// The right version but the wrong expected status loses.
	wrong := got.Clone()
	wrong.JobStatus = job.Stopped
	if err := s.Update(ctx, wrong, job.AwaitingInput); !errors.Is(err, job.ErrConflict) {
		t.Fatalf("Update expecting the wrong status = %v, want ErrConflict", err)
	}
	if wrong.Version != got.Version {
		t.Fatalf("a failed Update changed j.Version")
	}
	after := mustGet(t, s, ctx, tenant, id)
	sameJob(t, "Get after refused Updates", after, next)

	// Of two writers holding the same version, exactly one wins.
	var wg sync.WaitGroup
	var wins, conflicts int
	var mu sync.Mutex
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := after.Clone()
			c.JobStatus = job.InProgress
			c.Message = fmt.Sprintf("writer %d", i)
			err := s.Update(ctx, c, job.Submitted)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, job.ErrConflict):
				conflicts++
			default:
				t.Errorf("concurrent Update: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Fatalf("concurrent Updates: %d won, %d conflicted; want 1 and 7", wins, conflicts)
	}

	missing := newJob(tenant, "no-such-job", baseTime)
	missing.Version = 1
	if err := s.Update(ctx, missing, job.AwaitingInput); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("Update(missing) = %v, want ErrNotFound", err)
	}
}

func listAll(t *testing.T, s pipeline.Jobs, tenant string, f api.ListFilter) ([]string, int) {
	t.Helper()
	var ids []string
	pages := 0
	seen := map[string]bool{}
	for {
		jobs, next, err := s.List(context.Background(), tenant, f)
		if err != nil {
			t.Fatalf("List(%+v): %v", f, err)
		}
		pages++
		if f.MaxResults > 0 && len(jobs) > f.MaxResults {
			t.Fatalf("List returned %d jobs with MaxResults %d", len(jobs), f.MaxResults)
		}
		for _, j := range jobs {
			if seen[j.JobId] {
				t.Fatalf("List returned %s twice across pages", j.JobId)
			}
			seen[j.JobId] = true
			if j.Tenant != tenant {
				t.Fatalf("List(%s) returned a job of tenant %q", tenant, j.Tenant)
			}
			ids = append(ids, j.JobId)
		}
		if next == "" {
			return ids, pages
		}
		if pages > 100 {
			t.Fatalf("List never stops paginating")
		}
		f.NextToken = next
	}
}

func jobsList(t *testing.T, s pipeline.Jobs) {
	tenant := "t-" + uniq(t)
	type spec struct {
		id     string
		offset time.Duration
		name   string
		status job.Status
	}
	// Ids sort in the opposite order of submit times, and two jobs share a submit time, so
	// that ordering and page boundaries cannot rely on the id alone.
	specs := []spec{
		{"j9", 0, "alpha", job.Completed},
		{"j8", 1 * time.Minute, "beta", job.InProgress},
		{"j7", 2 * time.Minute, "alpha", job.InProgress},
		{"j6", 3 * time.Minute, "gamma", job.Failed},
		{"j5", 3 * time.Minute, "alpha", job.Completed},
		{"j4", 4 * time.Minute, "beta", job.AwaitingInput},
		{"j3", 5 * time.Minute, "alpha", job.Completed},
		{"j2", 6 * time.Minute, "delta", job.Stopped},
	}
	for _, sp := range specs {
		j := newJob(tenant, sp.id, baseTime.Add(sp.offset))
		j.JobName, j.JobStatus = sp.name, sp.status
		mustCreate(t, s, j)
	}
	mustCreate(t, s, newJob("other-"+uniq(t), "j1", baseTime.Add(10*time.Minute)))

	expect := func(keep func(spec) bool) []string {
		var out []spec
		for _, sp := range specs {
			if keep(sp) {
				out = append(out, sp)
			}
		}
		sort.SliceStable(out, func(i, k int) bool { return out[i].offset > out[k].offset })
		ids := make([]string, len(out))
		for i, sp := range out {
			ids[i] = sp.id
		}
		return ids
	}
	// Jobs with equal submit times may come in either order.
	sameOrder := func(got, want []string) bool {
		if len(got) != len(want) {
			return false
		}
		at := map[string]time.Duration{}
		for _, sp := range specs {
			at[sp.id] = sp.offset
		}
		g, w := append([]string(nil), got...), append([]string(nil), want...)
		sort.Strings(g)
		sort.Strings(w)
		if !equalStrings(g, w) {
			return false
		}
		for i := range got {
			if at[got[i]] != at[want[i]] {
				return false
			}
		}
		return true
	}
	cases := []struct {
		name string
		f    api.ListFilter
		keep func(spec) bool
	}{
		{"all", api.ListFilter{}, func(spec) bool { return true }},
		{"name", api.ListFilter{JobName: "alpha"}, func(sp spec) bool { return sp.name == "alpha" }},
		{"status", api.ListFilter{Status: job.Completed}, func(sp spec) bool { return sp.status == job.Completed }},
		{"before", api.ListFilter{SubmittedBefore: baseTime.Add(3 * time.Minute)}, func(sp spec) bool { return sp.offset < 3*time.Minute }},
		{"after", api.ListFilter{SubmittedAfter: baseTime.Add(3 * time.Minute)}, func(sp spec) bool { return sp.offset > 3*time.Minute }},
		{"window", api.ListFilter{SubmittedAfter: baseTime, SubmittedBefore: baseTime.Add(5 * time.Minute)}, func(sp spec) bool { return sp.offset > 0 && sp.offset < 5*time.Minute }},
		{"name+status", api.ListFilter{JobName: "alpha", Status: job.Completed}, func(sp spec) bool { return sp.name == "alpha" && sp.status == job.Completed }},
		{"nothing", api.ListFilter{JobName: "no-such-name"}, func(spec) bool { return false }},
	}
	for _, c := range cases {
		want := expect(c.keep)
		got, pages := listAll(t, s, tenant, c.f)
		if !sameOrder(got, want) {
			t.Errorf("List %s = %q, want %q (newest first)", c.name, got, want)
		}
		if pages != 1 {
			t.Errorf("List %s without MaxResults took %d pages", c.name, pages)
		}
		for _, max := range []int{1, 2, 3} {
			f := c.f
			f.MaxResults = max
			got, pages := listAll(t, s, tenant, f)
			if !sameOrder(got, want) {
				t.Errorf("List %s by pages of %d = %q, want %q", c.name, max, got, want)
			}
			if min := (len(want) + max - 1) / max; pages < min {
				t.Errorf("List %s by pages of %d took %d pages, want at least %d", c.name, max, pages, min)
			}
		}
		// Oldest first (Comprehend's order under SubmitTimeBefore), whole and by pages.
		oldest := slices.Clone(want)
		slices.Reverse(oldest)
		for _, max := range []int{0, 1, 2, 3} {
			f := c.f
			f.MaxResults, f.Oldest = max, true
			if got, _ := listAll(t, s, tenant, f); !sameOrder(got, oldest) {
				t.Errorf("List %s oldest first by pages of %d = %q, want %q", c.name, max, got, oldest)
			}
		}
	}
}

// jobsRecent: Get of a running job counts the documents of the shards recorded within
// job.RateWindow (by their Recorded time) in RecentDocuments and sums ProcessedBytes; a
// terminal job keeps its bytes.
func jobsRecent(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	j := newJob(tenant, id, baseTime)
	j.JobStatus = job.InProgress
	j.JobDetails.ShardsTotal = 4
	j.JobDetails.InputBytes = 1000
	mustCreate(t, s, j)
	now := time.Now().UTC()
	for _, r := range []pipeline.ShardRecord{
		{Index: 0, Documents: 7, InputBytes: 100, Recorded: now.Add(-10 * time.Minute)},
		{Index: 1, Documents: 11, InputBytes: 200, Recorded: now.Add(-3 * job.RateWindow)},
		{Index: 2, Documents: 13, InputBytes: 300, Recorded: now.Add(-job.RateWindow / 4)},
		{Index: 3, Documents: 17, InputBytes: 50, Recorded: now},
	} {
		if _, _, err := s.RecordShard(ctx, tenant, id, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(ctx, tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	d := got.JobDetails
	if d.RecentDocuments != 13+17 || d.ProcessedBytes != 650 || d.InputBytes != 1000 || d.InputDocumentsCount != 48 {
		t.Fatalf("JobDetails = %+v; want RecentDocuments 30, ProcessedBytes 650, InputBytes 1000, 48 documents", d)
	}
	// RecentSince says where the summed buckets begin: RateWindow and at most one bucket back.
	if from, to := now.Add(-job.RateWindow-job.RateBucketSeconds*time.Second-time.Minute), now.Add(-job.RateWindow+time.Minute); d.RecentSince.Before(from) || d.RecentSince.After(to) {
		t.Fatalf("RecentSince %v; want about %v before %v (the start of the buckets summed)", d.RecentSince, job.RateWindow, now)
	}
	got.JobStatus = job.Completed
	if err := s.Update(ctx, got, job.InProgress); err != nil {
		t.Fatal(err)
	}
	done, err := s.Get(ctx, tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if done.JobDetails.ProcessedBytes != 650 || done.JobDetails.RecentDocuments != 0 {
		t.Fatalf("terminal JobDetails = %+v; want ProcessedBytes 650 and no recent documents", done.JobDetails)
	}
}

func jobsRecordShard(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	j := newJob(tenant, id, baseTime)
	j.JobStatus = job.InProgress
	j.JobDetails.ShardsTotal = 3
	mustCreate(t, s, j)
	before := mustGet(t, s, ctx, tenant, id)

	rec := pipeline.ShardRecord{Index: 2, Documents: 10, Errors: 3, ResultKey: "results/2", Recorded: baseTime,
		Analyses: job.AnalysisCounts{job.Sentiment: {Succeeded: 5, Failed: 2}, job.Language: {Succeeded: 7}}}
	after, applied, err := s.RecordShard(ctx, tenant, id, rec)
	if err != nil || !applied {
		t.Fatalf("RecordShard = applied %v, %v", applied, err)
	}
	want := job.Details{InputDocumentsCount: 10, ProcessedDocumentsCount: 7, DocumentsWithErrorsCount: 3, ShardsTotal: 3, ShardsDone: 1,
		AnalysisCounts: job.AnalysisCounts{job.Sentiment: {Succeeded: 5, Failed: 2}, job.Language: {Succeeded: 7}}}
	if !reflect.DeepEqual(counts(after.JobDetails), want) {
		t.Fatalf("after RecordShard: %+v, want %+v", after.JobDetails, want)
	}
	// An Update of a running job (a stale copy's counters included) leaves the counts alone.
	cur := mustGet(t, s, ctx, tenant, id)
	cur.Message = "still running"
	cur.JobDetails = before.JobDetails
	if err := s.Update(ctx, cur, job.InProgress); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := mustGet(t, s, ctx, tenant, id); !reflect.DeepEqual(counts(got.JobDetails), want) || got.Message != "still running" {
		t.Fatalf("after an Update with old counters: %+v %q, want %+v", got.JobDetails, got.Message, want)
	}
	after = mustGet(t, s, ctx, tenant, id)

	dup := rec
	dup.Documents, dup.Errors = 99, 99
	dup.Analyses = job.AnalysisCounts{job.Sentiment: {Failed: 99}}
	again, applied, err := s.RecordShard(ctx, tenant, id, dup)
	if err != nil || applied {
		t.Fatalf("duplicate RecordShard = applied %v, %v; want false, nil", applied, err)
	}
	if !reflect.DeepEqual(counts(again.JobDetails), want) || again.Version != after.Version {
		t.Fatalf("duplicate RecordShard changed the job: %+v v%d", again.JobDetails, again.Version)
	}

	skipped := pipeline.ShardRecord{Index: 0, Skipped: true, Recorded: baseTime}
	failed := pipeline.ShardRecord{Index: 1, Documents: 4, Errors: 4, Failed: true, ResultKey: "results/1", Recorded: baseTime,
		Analyses: job.AnalysisCounts{job.Sentiment: {Succeeded: 1}}}
	for _, r := range []pipeline.ShardRecord{skipped, failed} {
		if _, applied, err := s.RecordShard(ctx, tenant, id, r); err != nil || !applied {
			t.Fatalf("RecordShard(%d) = applied %v, %v", r.Index, applied, err)
		}
	}
	got := mustGet(t, s, ctx, tenant, id)
	want = job.Details{InputDocumentsCount: 14, ProcessedDocumentsCount: 7, DocumentsWithErrorsCount: 7, ShardsTotal: 3, ShardsDone: 3,
		AnalysisCounts: job.AnalysisCounts{job.Sentiment: {Succeeded: 6, Failed: 2}, job.Language: {Succeeded: 7}}}
	if !reflect.DeepEqual(counts(got.JobDetails), want) {
		t.Fatalf("after three shards: %+v, want %+v", got.JobDetails, want)
	}
	if got.JobStatus != job.InProgress || got.JobName != j.JobName || got.InputKey != j.InputKey {
		t.Fatalf("RecordShard changed more than the counters: %+v", got)
	}

	// A shard recorded after the job ended (it FAILED while other shards ran) is recorded, and
	// the job keeps the counts its terminal Update wrote (those its notification carried).
	ended := mustGet(t, s, ctx, tenant, id)
	ended.JobStatus = job.Failed
	ended.JobDetails.ShardsTotal = 4
	if err := s.Update(ctx, ended, job.InProgress); err != nil {
		t.Fatalf("Update to FAILED: %v", err)
	}
	frozen := mustGet(t, s, ctx, tenant, id).JobDetails
	late := pipeline.ShardRecord{Index: 3, Documents: 5, Errors: 1, ResultKey: "results/3", Recorded: baseTime}
	if _, applied, err := s.RecordShard(ctx, tenant, id, late); err != nil || !applied {
		t.Fatalf("RecordShard after the job ended = applied %v, %v", applied, err)
	}
	if got := mustGet(t, s, ctx, tenant, id); !reflect.DeepEqual(got.JobDetails, frozen) || got.JobStatus != job.Failed {
		t.Fatalf("a shard recorded after the job ended changed it: %s %+v, want %+v", got.JobStatus, got.JobDetails, frozen)
	}

	shards, err := s.Shards(ctx, tenant, id)
	if err != nil {
		t.Fatalf("Shards: %v", err)
	}
	wantRecs := []pipeline.ShardRecord{skipped, failed, rec, late}
	if len(shards) != len(wantRecs) {
		t.Fatalf("Shards returned %d records, want %d", len(shards), len(wantRecs))
	}
	for i, r := range shards {
		w := wantRecs[i]
		if r.Index != w.Index || r.Documents != w.Documents || r.Errors != w.Errors || r.Skipped != w.Skipped ||
			r.Failed != w.Failed || r.ResultKey != w.ResultKey || !r.Recorded.Equal(w.Recorded) {
			t.Errorf("Shards[%d] = %+v, want %+v", i, r, w)
		}
	}

	if _, _, err := s.RecordShard(ctx, tenant, "no-such-job", rec); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("RecordShard(missing job) = %v, want ErrNotFound", err)
	}
	if _, err := s.Shards(ctx, tenant, "no-such-job"); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("Shards(missing job) = %v, want ErrNotFound", err)
	}
	fresh := newJob(tenant, "job-"+uniq(t), baseTime)
	mustCreate(t, s, fresh)
	if recs, err := s.Shards(ctx, tenant, fresh.JobId); err != nil || len(recs) != 0 {
		t.Fatalf("Shards(job without shards) = %v, %v; want none", recs, err)
	}
}

func jobsRecordConcurrent(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	j := newJob(tenant, id, baseTime)
	j.JobDetails.ShardsTotal = 1
	mustCreate(t, s, j)
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	start := make(chan struct{})
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, ok, err := s.RecordShard(ctx, tenant, id, pipeline.ShardRecord{Index: 0, Documents: 5, Errors: 1, Recorded: baseTime})
			if err != nil {
				t.Errorf("RecordShard: %v", err)
				return
			}
			if ok {
				mu.Lock()
				applied++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if applied != 1 {
		t.Fatalf("%d concurrent duplicates applied, want exactly 1", applied)
	}
	got := mustGet(t, s, ctx, tenant, id)
	want := job.Details{InputDocumentsCount: 5, ProcessedDocumentsCount: 4, DocumentsWithErrorsCount: 1, ShardsTotal: 1, ShardsDone: 1}
	if !reflect.DeepEqual(counts(got.JobDetails), want) {
		t.Fatalf("after concurrent duplicates: %+v, want %+v", got.JobDetails, want)
	}
}

func jobsRecordDistinct(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	j := newJob(tenant, id, baseTime)
	j.JobDetails.ShardsTotal = 8
	mustCreate(t, s, j)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := s.RecordShard(ctx, tenant, id, pipeline.ShardRecord{Index: i, Documents: int64(i + 1), Recorded: baseTime}); err != nil || !ok {
				t.Errorf("RecordShard(%d) = %v, %v", i, ok, err)
			}
		}()
	}
	wg.Wait()
	got := mustGet(t, s, ctx, tenant, id)
	want := job.Details{InputDocumentsCount: 36, ProcessedDocumentsCount: 36, ShardsTotal: 8, ShardsDone: 8}
	if !reflect.DeepEqual(counts(got.JobDetails), want) {
		t.Fatalf("after 8 concurrent shards: %+v, want %+v (a lost update?)", got.JobDetails, want)
	}
	recs, err := s.Shards(ctx, tenant, id)
	if err != nil || len(recs) != 8 {
		t.Fatalf("Shards = %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		if r.Index != i {
			t.Fatalf("Shards not in index order: %d at position %d", r.Index, i)
		}
	}
}

func jobsScan(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	mark := uniq(t)
	want := map[string]bool{}
	statuses := []job.Status{job.AwaitingInput, job.InProgress, job.Completed, job.StopRequested, job.Failed}
	for ti := 0; ti < 3; ti++ {
		tenant := fmt.Sprintf("scan-%s-%d", mark, ti)
		for si, st := range statuses {
			j := newJob(tenant, fmt.Sprintf("job-%s-%d", mark, si), baseTime)
			j.JobStatus = st
			mustCreate(t, s, j)
			if st == job.AwaitingInput || st == job.StopRequested {
				want[tenant+"/"+j.JobId] = true
			}
		}
	}
	got := map[string]bool{}
	err := s.Scan(ctx, []job.Status{job.AwaitingInput, job.StopRequested}, func(j *job.Job) error {
		if j.JobStatus != job.AwaitingInput && j.JobStatus != job.StopRequested {
			t.Errorf("Scan returned a job in status %s", j.JobStatus)
		}
		k := j.Tenant + "/" + j.JobId
		if got[k] {
			t.Errorf("Scan returned %s twice", k)
		}
		got[k] = true
		if !strings.Contains(k, mark) {
			return nil // another test's job (the store may be shared), which it may delete meanwhile
		}
		// The sweeper updates jobs while scanning.
		c := j.Clone()
		c.Message = "swept"
		if err := s.Update(ctx, c, j.JobStatus); err != nil {
			t.Errorf("Update inside Scan: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("Scan missed %s", k)
		}
	}
	for k := range got {
		if !want[k] && strings.Contains(k, mark) {
			t.Errorf("Scan returned unexpected %s", k)
		}
	}
	stop := errors.New("stop")
	calls := 0
	if err := s.Scan(ctx, []job.Status{job.AwaitingInput}, func(*job.Job) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Scan with a failing callback = %v after %d calls, want the callback's error after 1", err, calls)
	}
}

// mustGet reads a job that must be there: a failed read is the test's failure, not a nil job.
func mustGet(t *testing.T, s pipeline.Jobs, ctx context.Context, tenant, id string) *job.Job {
	t.Helper()
	j, err := s.Get(ctx, tenant, id)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", tenant, id, err)
	}
	return j
}

// jobsRecordAnalysed: a record with Analysed set adds it, not Documents-Errors, to
// ProcessedDocumentsCount, and it survives in the shard records. This is how a TOPICS job's
// count stage (documents read, none analysed yet) and assign stage (documents given topics, and
// those that could not be) keep the counter from going down.
func jobsRecordAnalysed(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	tenant, id := "t-"+uniq(t), "job-"+uniq(t)
	j := newJob(tenant, id, baseTime)
	j.JobDetails.ShardsTotal = 2
	mustCreate(t, s, j)
	zero, seven := int64(0), int64(7)
	steps := []struct {
		rec  pipeline.ShardRecord
		want job.Details
	}{
		{pipeline.ShardRecord{Index: 0, Documents: 10, Errors: 1, Analysed: &zero, Recorded: baseTime},
			job.Details{InputDocumentsCount: 10, DocumentsWithErrorsCount: 1, ShardsTotal: 2, ShardsDone: 1}},
		{pipeline.ShardRecord{Index: 1, Errors: 2, Analysed: &seven, Recorded: baseTime},
			job.Details{InputDocumentsCount: 10, ProcessedDocumentsCount: 7, DocumentsWithErrorsCount: 3, ShardsTotal: 2, ShardsDone: 2}},
	}
	for _, st := range steps {
		if _, ok, err := s.RecordShard(ctx, tenant, id, st.rec); err != nil || !ok {
			t.Fatalf("RecordShard(%d) = %v, %v", st.rec.Index, ok, err)
		}
		if got := mustGet(t, s, ctx, tenant, id).JobDetails; !reflect.DeepEqual(got, st.want) {
			t.Fatalf("after shard %d: %+v, want %+v", st.rec.Index, got, st.want)
		}
	}
	recs, err := s.Shards(ctx, tenant, id)
	if err != nil || len(recs) != 2 {
		t.Fatalf("Shards = %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		if r.Analysed == nil || *r.Analysed != *steps[i].rec.Analysed || r.Processed() != *steps[i].rec.Analysed {
			t.Errorf("shard %d: Analysed %v, want %d", r.Index, r.Analysed, *steps[i].rec.Analysed)
		}
	}
}

// counts is d without what a store's Get adds for the rate (RecentDocuments, RecentSince: see
// RecentDocumentsAndBytes): the counts alone.
func counts(d job.Details) job.Details {
	d.RecentDocuments, d.RecentSince = 0, time.Time{}
	return d
}
