package porttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// jobsScanPage: a walk of ScanPage from "" to the end returns every job of the status once and
// no job of another status, in pages of at most limit; each job's cursor resumes right after
// it; a cursor stays valid when its job is deleted and jobs are added; a cursor the store never
// returned is ErrInvalid. The store may be shared with other tests: only this test's jobs
// (marked) are checked.
func jobsScanPage(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	mark := uniq(t)
	want := map[string]bool{}
	for ti := 0; ti < 3; ti++ {
		tenant := fmt.Sprintf("page-%s-%d", mark, ti)
		for i := 0; i < 4; i++ {
			j := newJob(tenant, fmt.Sprintf("job-%s-%d", mark, i), baseTime)
			j.JobStatus = job.Completed
			if i == 3 {
				j.JobStatus = job.Failed // another status: never in the walk
			} else {
				want[tenant+"/"+j.JobId] = true
			}
			mustCreate(t, s, j)
		}
	}
	const limit = 2
	walk := func(from string) (order []string, afters []string) {
		t.Helper()
		cursor := from
		for pages := 0; ; pages++ {
			if pages > 10000 {
				t.Fatal("ScanPage never ends")
			}
			page, next, err := s.ScanPage(ctx, job.Completed, cursor, limit)
			if err != nil {
				t.Fatalf("ScanPage: %v", err)
			}
			if len(page) > limit {
				t.Fatalf("ScanPage returned %d jobs, limit %d", len(page), limit)
			}
			for _, sj := range page {
				if sj.Job.JobStatus != job.Completed {
					t.Fatalf("ScanPage(COMPLETED) returned a job %s", sj.Job.JobStatus)
				}
				if sj.After == "" {
					t.Fatal("ScanPage returned a job without its cursor")
				}
				order = append(order, sj.Job.Tenant+"/"+sj.Job.JobId)
				afters = append(afters, sj.After)
			}
			if next == "" {
				return order, afters
			}
			cursor = next
		}
	}
	order, afters := walk("")
	var mine []int // positions of this test's jobs in the walk
	seen := map[string]bool{}
	for i, k := range order {
		if seen[k] {
			t.Fatalf("ScanPage returned %s twice in one walk", k)
		}
		seen[k] = true
		if strings.Contains(k, mark) {
			if !want[k] {
				t.Fatalf("ScanPage returned %s, not a COMPLETED job", k)
			}
			mine = append(mine, i)
		}
	}
	if len(mine) != len(want) {
		t.Fatalf("a walk of ScanPage returned %d of this test's %d COMPLETED jobs", len(mine), len(want))
	}
	// A job's cursor resumes right after it.
	at := mine[3]
	page, _, err := s.ScanPage(ctx, job.Completed, afters[at], limit)
	if err != nil || len(page) == 0 {
		t.Fatalf("ScanPage after %s: %d jobs, %v", order[at], len(page), err)
	}
	if got := page[0].Job.Tenant + "/" + page[0].Job.JobId; got != order[at+1] && strings.Contains(order[at+1], mark) {
		t.Fatalf("ScanPage after %s starts at %s, want %s", order[at], got, order[at+1])
	}
	// Delete the job a cursor points after, add a job: the walk from that cursor still returns
	// this test's jobs after it, once.
	parts := strings.SplitN(order[at], "/", 2)
	if err := s.Delete(ctx, parts[0], parts[1]); err != nil {
		t.Fatal(err)
	}
	extra := newJob(fmt.Sprintf("page-%s-9", mark), "job-"+mark+"-extra", baseTime)
	extra.JobStatus = job.Completed
	mustCreate(t, s, extra)
	rest, _ := walk(afters[at])
	got := map[string]bool{}
	for _, k := range rest {
		if got[k] {
			t.Fatalf("ScanPage returned %s twice", k)
		}
		got[k] = true
	}
	for _, i := range mine[4:] {
		if !got[order[i]] {
			t.Errorf("the walk resumed after a deleted job missed %s", order[i])
		}
	}
	if got[order[at]] {
		t.Errorf("the walk resumed after %s returned it, deleted", order[at])
	}
	if !got[extra.Tenant+"/"+extra.JobId] {
		t.Errorf("the walk resumed after %s missed a job created after it", order[at])
	}
	for _, bad := range []string{"not a cursor!", "eyJ4IjoxfQ"} {
		if _, _, err := s.ScanPage(ctx, job.Completed, bad, limit); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("ScanPage with cursor %q: %v, want ErrInvalid", bad, err)
		}
	}
}

// jobsSweepState: a state never stored is zero; PutSweepState stores it if the stored version is
// still the caller's (0: none), increments the version, and refuses a stale one with
// ErrConflict, so of overlapping writers from one version exactly one wins; states of other
// names are apart.
func jobsSweepState(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	name, other := "pass-"+uniq(t), "pass-"+uniq(t)
	st, err := s.GetSweepState(ctx, name)
	if err != nil || st.Version != 0 || !st.PassStarted.IsZero() || st.Cursor != "" || st.Done {
		t.Fatalf("GetSweepState of a new name = %+v, %v; want a zero state", st, err)
	}
	started := baseTime.Add(123456789 * time.Nanosecond)
	st = pipeline.SweepState{PassStarted: started, Status: job.Completed, Cursor: "c1"}
	if err := s.PutSweepState(ctx, name, &st); err != nil || st.Version != 1 {
		t.Fatalf("first PutSweepState: version %d, %v; want 1", st.Version, err)
	}
	got, err := s.GetSweepState(ctx, name)
	if err != nil || !got.PassStarted.Equal(started) || got.Status != job.Completed || got.Cursor != "c1" || got.Done || got.Version != 1 {
		t.Fatalf("GetSweepState = %+v, %v; want what was put, version 1", got, err)
	}
	stale := pipeline.SweepState{PassStarted: started, Status: job.Failed}
	if err := s.PutSweepState(ctx, name, &stale); !errors.Is(err, job.ErrConflict) || stale.Version != 0 {
		t.Fatalf("PutSweepState at version 0 over version 1: %v (version %d); want ErrConflict", err, stale.Version)
	}
	got.Status, got.Cursor, got.Done = "", "", true
	if err := s.PutSweepState(ctx, name, &got); err != nil || got.Version != 2 {
		t.Fatalf("PutSweepState at the stored version: version %d, %v; want 2", got.Version, err)
	}
	if again, err := s.GetSweepState(ctx, name); err != nil || !again.Done || again.Cursor != "" || again.Version != 2 {
		t.Fatalf("GetSweepState = %+v, %v; want done at version 2", again, err)
	}
	if o, err := s.GetSweepState(ctx, other); err != nil || o.Version != 0 {
		t.Fatalf("GetSweepState of another name = %+v, %v; want none", o, err)
	}
	// Overlapping writers from one version: one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := got
			w.Cursor = fmt.Sprintf("w%d", i)
			err := s.PutSweepState(ctx, name, &w)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, job.ErrConflict):
				conflicts++
			default:
				t.Errorf("overlapping PutSweepState: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Fatalf("8 overlapping PutSweepState from one version: %d won, %d conflicted; want 1 and 7", wins, conflicts)
	}
	if last, err := s.GetSweepState(ctx, name); err != nil || last.Version != 3 || !strings.HasPrefix(last.Cursor, "w") {
		t.Fatalf("after the overlap: %+v, %v; want one writer's state at version 3", last, err)
	}
}
