package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// queryPlan is SQLite's plan for query with args on a fresh database, its steps joined by " | ".
func queryPlan(t *testing.T, query string, args ...any) string {
	t.Helper()
	db, err := OpenDB(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, " | ")
}

// TestRecentDocumentsUsesIndex: the rate's query reads only the job's recent buckets (a
// primary-key range search), never its shard records: Get runs it for every shard a worker
// takes.
func TestRecentDocumentsUsesIndex(t *testing.T) {
	if p := queryPlan(t, recentDocumentsQuery, "t", "j", 178000000); !strings.Contains(p, "SEARCH job_rate USING") || !strings.Contains(p, "bucket>?") {
		t.Errorf("query plan %q does not search job_rate's key by bucket", p)
	}
}

// TestDeadLetterQueryUsesIndex: every Receive looks for messages to dead-letter; it must find
// them by their receive count, not scan the queue's visible messages (a job of 10,000 shards
// made that quadratic: 30 ms a shard).
func TestDeadLetterQueryUsesIndex(t *testing.T) {
	if p := queryPlan(t, deadLetterQuery, "q-dead", 1, "q", 3, 2); !strings.Contains(p, "USING INDEX messages_by_receives (queue=? AND receive_count>?)") {
		t.Errorf("query plan %q does not search messages_by_receives by receive count", p)
	}
}

// TestReceiveQueryUsesIndex: Receive walks the queue's messages in fair order through
// messages_fair, without sorting them (a sort of every visible message on every Receive would
// make a job of 10,000 shards quadratic).
func TestReceiveQueryUsesIndex(t *testing.T) {
	p := queryPlan(t, receiveQuery, 2, "q", 1, 10)
	if !strings.Contains(p, "USING INDEX messages_fair (queue=?)") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("query plan %q does not walk messages_fair in order", p)
	}
}

// TestReadyQueryUsesIndex: every Receive first looks for a visible message, idle pollers every
// poll interval; it must search the queue's visible range of messages_ready, not scan the queue.
func TestReadyQueryUsesIndex(t *testing.T) {
	if p := queryPlan(t, readyQuery, "q", 10); !strings.Contains(p, "USING COVERING INDEX messages_ready (queue=? AND visible_at<?)") {
		t.Errorf("query plan %q does not search messages_ready by visibility", p)
	}
}

// TestRecentDocumentsWindow: RecentDocuments sums the rate buckets from job.RateSince(now) on,
// the oldest of them included (so 60–70 seconds, as RecentSince says), none before it.
func TestRecentDocumentsWindow(t *testing.T) {
	ctx := context.Background()
	db, err := OpenDB(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 12, 5, 6, 0, 5, 0, time.UTC)
	s := NewJobs(db, WithClock(func() time.Time { return now }))
	j := &job.Job{Tenant: "t", JobId: "j", JobStatus: job.InProgress, SubmitTime: now.Add(-time.Hour), JobDetails: job.Details{ShardsTotal: 4}}
	if _, _, err := s.Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	since := job.RateSince(now)
	for i, r := range []pipeline.ShardRecord{
		{Documents: 100, Recorded: since.Add(-time.Second)}, // the bucket before the window
		{Documents: 7, Recorded: since},                     // the window's oldest bucket
		{Documents: 11, Recorded: now},
		{Documents: 1, Recorded: now}, // a shard of one document (one file) counts too
	} {
		r.Index = i
		if _, _, err := s.RecordShard(ctx, "t", "j", r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(ctx, "t", "j")
	if err != nil {
		t.Fatal(err)
	}
	if d := got.JobDetails; d.RecentDocuments != 7+11+1 || !d.RecentSince.Equal(since) {
		t.Errorf("RecentDocuments %d since %v; want 19 since %v", d.RecentDocuments, d.RecentSince, since)
	}
}
