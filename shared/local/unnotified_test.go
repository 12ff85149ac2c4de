package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// TestScanUnnotifiedUsesIndex: every sweep reads the jobs not yet notified; it must find them
// through the jobs_unnotified partial index, in its order, not scan the finished jobs the
// database keeps.
func TestScanUnnotifiedUsesIndex(t *testing.T) {
	for _, after := range []bool{false, true} {
		args := []any{200}
		if after {
			args = []any{"t", "j", 200}
		}
		p := queryPlan(t, scanQuery(unnotifiedWhere, after), args...)
		if !strings.Contains(p, "USING INDEX jobs_unnotified") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("query plan %q (after a job: %v) does not walk jobs_unnotified in order", p, after)
		}
	}
}

// TestUnnotifiedColumnFilled: a database whose jobs table predates the unnotified column gets it
// filled from the stored jobs when it is opened: the finished jobs not notified are found by
// ScanUnnotified, the notified and the running ones are not.
func TestUnnotifiedColumnFilled(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ream.db")
	db, err := OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	jobs := NewJobs(db)
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for id, j := range map[string]struct {
		st       job.Status
		notified bool
	}{"lost": {job.Completed, false}, "lost-stopped": {job.Stopped, false}, "sent": {job.Failed, true}, "running": {job.InProgress, false}} {
		if _, _, err := jobs.Create(ctx, &job.Job{Tenant: "t", JobId: id, JobStatus: j.st, Notified: j.notified, SubmitTime: t0}); err != nil {
			t.Fatal(err)
		}
	}
	// The table as an earlier release left it: no column, no index.
	for _, q := range []string{`DROP INDEX jobs_unnotified`, `ALTER TABLE jobs DROP COLUMN unnotified`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	db, err = OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []string
	if err := NewJobs(db).ScanUnnotified(ctx, func(j *job.Job) error { got = append(got, j.JobId); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "lost,lost-stopped" {
		t.Fatalf("ScanUnnotified after the column was added visited %v, want [lost lost-stopped]", got)
	}
}
