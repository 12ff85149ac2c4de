package porttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// jobsScanUnnotified: ScanUnnotified visits, once each, the jobs of every tenant that are in a
// terminal status and not notified (created so, or updated to a terminal status), and none that
// is notified or still running; a job fn marks notified meanwhile is not visited twice, and a
// later ScanUnnotified no longer visits it. ScanPage and Scan of a terminal status return its
// jobs whether notified or not (the expiry pass reads them all), before and after they are
// marked notified. The store may be shared with other tests: only this test's jobs (marked)
// are checked.
func jobsScanUnnotified(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	mark := uniq(t)
	want := map[string]bool{}      // terminal, not notified
	completed := map[string]bool{} // every COMPLETED job, notified or not
	for ti := 0; ti < 2; ti++ {
		tenant := fmt.Sprintf("unnotified-%s-%d", mark, ti)
		add := func(name string, st job.Status, notified bool) *job.Job {
			j := newJob(tenant, fmt.Sprintf("job-%s-%s", mark, name), baseTime)
			j.JobStatus, j.Notified = st, notified
			mustCreate(t, s, j)
			k := tenant + "/" + j.JobId
			if st.Terminal() && !notified {
				want[k] = true
			}
			if st == job.Completed {
				completed[k] = true
			}
			return j
		}
		add("lost", job.Completed, false)
		add("lost2", job.Completed, false)
		add("sent", job.Completed, true)
		add("failed-sent", job.Failed, true)
		add("running", job.InProgress, false)
		add("stopped-lost", job.Stopped, false)
		// A job that becomes terminal by an Update, as a finalizer's write does.
		ended := add("ended", job.InProgress, false)
		cur := mustGet(t, s, ctx, tenant, ended.JobId)
		cur.JobStatus = job.TimedOut
		if err := s.Update(ctx, cur, job.InProgress); err != nil {
			t.Fatalf("Update to TIMED_OUT: %v", err)
		}
		want[tenant+"/"+ended.JobId] = true
	}
	visit := func(markNotified bool) map[string]bool {
		t.Helper()
		got := map[string]bool{}
		err := s.ScanUnnotified(ctx, func(j *job.Job) error {
			k := j.Tenant + "/" + j.JobId
			if !strings.Contains(k, mark) {
				return nil // another test's job (the store may be shared)
			}
			if got[k] {
				t.Errorf("ScanUnnotified visited %s twice", k)
			}
			got[k] = true
			if !j.JobStatus.Terminal() || j.Notified {
				t.Errorf("ScanUnnotified visited %s in status %s, notified %v", k, j.JobStatus, j.Notified)
			}
			if markNotified { // the sweeper publishes and marks it while scanning
				c := j.Clone()
				c.Notified = true
				if err := s.Update(ctx, c, j.JobStatus); err != nil {
					t.Errorf("Update inside ScanUnnotified: %v", err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("ScanUnnotified: %v", err)
		}
		return got
	}
	walkCompleted := func() map[string]int {
		t.Helper()
		seen := map[string]int{}
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10000 {
				t.Fatal("ScanPage never ends")
			}
			page, next, err := s.ScanPage(ctx, job.Completed, cursor, 2)
			if err != nil {
				t.Fatalf("ScanPage: %v", err)
			}
			for _, sj := range page {
				if k := sj.Job.Tenant + "/" + sj.Job.JobId; strings.Contains(k, mark) {
					seen[k]++
				}
			}
			if next == "" {
				return seen
			}
			cursor = next
		}
	}
	checkCompleted := func(when string) {
		t.Helper()
		seen := walkCompleted()
		for k := range completed {
			if seen[k] != 1 {
				t.Errorf("%s: a walk of ScanPage(COMPLETED) returned %s %d times, want once", when, k, seen[k])
			}
		}
		if len(seen) != len(completed) {
			t.Errorf("%s: a walk of ScanPage(COMPLETED) returned %d of this test's jobs, want %d", when, len(seen), len(completed))
		}
		scanned := map[string]bool{}
		if err := s.Scan(ctx, []job.Status{job.Completed}, func(j *job.Job) error {
			if k := j.Tenant + "/" + j.JobId; strings.Contains(k, mark) {
				scanned[k] = true
			}
			return nil
		}); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		for k := range completed {
			if !scanned[k] {
				t.Errorf("%s: Scan(COMPLETED) missed %s", when, k)
			}
		}
	}

	checkCompleted("before the notifications")
	got := visit(true)
	for k := range want {
		if !got[k] {
			t.Errorf("ScanUnnotified missed %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("ScanUnnotified visited %s, which is notified or running", k)
		}
	}
	if again := visit(false); len(again) != 0 {
		t.Errorf("ScanUnnotified after every job was marked notified visited %v", again)
	}
	checkCompleted("after the notifications")
	for k := range want {
		parts := strings.SplitN(k, "/", 2)
		if j := mustGet(t, s, ctx, parts[0], parts[1]); !j.Notified {
			t.Errorf("%s: Notified false after the Update that set it", k)
		}
	}

	stop := errors.New("stop")
	lost := newJob("unnotified-"+mark+"-stop", "job-"+mark+"-stop", baseTime)
	lost.JobStatus = job.Failed
	mustCreate(t, s, lost)
	calls := 0
	if err := s.ScanUnnotified(ctx, func(*job.Job) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("ScanUnnotified with a failing callback = %v after %d calls, want the callback's error after 1", err, calls)
	}
}

// jobsScanPageNotifiedDuringWalk: a job in a terminal status throughout a walk of ScanPage is
// returned by it, also when it is marked notified during the walk (ScanUnnotified's sweep, or
// the pass itself, notifies it while the expiry pass is under way): a store that keeps the jobs
// not yet notified apart must not let the move hide it from the walk. It may come twice. Here
// the job not yet notified sorts before the notified ones of its status, and is marked notified
// after the walk's first page holding one of this test's jobs.
func jobsScanPageNotifiedDuringWalk(t *testing.T, s pipeline.Jobs) {
	ctx := context.Background()
	mark := uniq(t)
	tenant := "walk-notified-" + mark
	ids := map[string]string{}
	for _, name := range []string{"a", "b", "c"} {
		j := newJob(tenant, fmt.Sprintf("job-%s-%s", mark, name), baseTime)
		j.JobStatus, j.Notified = job.Completed, name != "a"
		mustCreate(t, s, j)
		ids[name] = j.JobId
	}
	seen := map[string]int{}
	marked := false
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("ScanPage never ends")
		}
		page, next, err := s.ScanPage(ctx, job.Completed, cursor, 1)
		if err != nil {
			t.Fatalf("ScanPage: %v", err)
		}
		ours := false
		for _, sj := range page {
			if sj.Job.Tenant == tenant {
				seen[sj.Job.JobId]++
				ours = true
			}
		}
		if ours && !marked {
			marked = true
			j := mustGet(t, s, ctx, tenant, ids["a"])
			j.Notified = true
			if err := s.Update(ctx, j, job.Completed); err != nil {
				t.Fatalf("Update (notified) during the walk: %v", err)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for name, id := range ids {
		n := seen[id]
		if n == 0 || (name != "a" && n != 1) || n > 2 {
			t.Errorf("a walk of ScanPage(COMPLETED) returned job %s %d times (the job marked notified during the walk: %v), want at least once", name, n, name == "a")
		}
	}
}
