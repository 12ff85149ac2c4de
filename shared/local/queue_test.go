package local_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestQueueReturnDoesNotCount: a delivery handed back by Return (a clean stop cut its handler
// short) is visible at once and does not count towards the dead-letter queue; a receipt that
// is not the latest is ErrNotFound.
func TestQueueReturnDoesNotCount(t *testing.T) {
	ctx := context.Background()
	q := local.NewQueue(openDB(t, t.TempDir()), "shards", 1)
	if err := q.Send(ctx, []pipeline.ShardMessage{{Tenant: "t1", JobId: "j1", Index: 0}}); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 3; round++ {
		got, err := q.Receive(ctx, 10, time.Hour)
		if err != nil || len(got) != 1 {
			t.Fatalf("round %d: received %d, %v; want the message back (a returned delivery is not counted)", round, len(got), err)
		}
		if got[0].ReceiveCount != 1 {
			t.Errorf("round %d: ReceiveCount %d, want 1", round, got[0].ReceiveCount)
		}
		if err := q.Return(ctx, got[0].Receipt, 0); err != nil {
			t.Fatal(err)
		}
		if err := q.Return(ctx, "not-a-receipt", 0); !errors.Is(err, job.ErrNotFound) {
			t.Fatalf("Return of a receipt that is not current: %v, want ErrNotFound", err)
		}
	}
	if dead, err := q.DeadLetters(ctx); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %d, %v; want none", len(dead), err)
	}
}

// TestQueueFairBetweenJobs: a job queued behind a job of many shards takes turns with it from
// the moment it is queued, instead of waiting for all of the big job's shards (found from
// outside: a small job waited 48 s behind another tenant's 1 GB job); within a job, shards
// keep their order; the group bookkeeping is forgotten once a job has nothing ahead of the
// clock.
func TestQueueFairBetweenJobs(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	q := local.NewQueue(db, "shards", 0)
	var big []pipeline.ShardMessage
	for i := range 100 {
		big = append(big, pipeline.ShardMessage{Tenant: "t1", JobId: "big", Index: i})
	}
	if err := q.Send(ctx, big); err != nil {
		t.Fatal(err)
	}
	take := func(n int) []pipeline.ShardMessage {
		t.Helper()
		got, err := q.Receive(ctx, n, time.Hour)
		if err != nil || len(got) != n {
			t.Fatalf("received %d, %v; want %d", len(got), err, n)
		}
		out := make([]pipeline.ShardMessage, n)
		for i, m := range got {
			if err := json.Unmarshal(m.Body, &out[i]); err != nil {
				t.Fatal(err)
			}
			if err := q.Delete(ctx, m.Receipt); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	if got := take(3); got[0].Index != 0 || got[2].Index != 2 {
		t.Fatalf("first deliveries %+v; want the big job's shards 0-2 in order", got)
	}
	if err := q.Send(ctx, []pipeline.ShardMessage{{Tenant: "t2", JobId: "small", Index: 0}, {Tenant: "t2", JobId: "small", Index: 1}}); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, m := range take(6) {
		order = append(order, fmt.Sprintf("%s%d", m.JobId, m.Index))
	}
	if want := "big3 small0 big4 small1 big5 big6"; strings.Join(order, " ") != want {
		t.Fatalf("deliveries after the small job was queued: %s; want %s (turns)", strings.Join(order, " "), want)
	}
	take(93)
	var groups int
	if err := db.QueryRow(`SELECT count(*) FROM queue_groups`).Scan(&groups); err != nil || groups != 0 {
		t.Fatalf("group rows after every message was delivered: %d, %v; want 0", groups, err)
	}
}

// TestQueueMessagesFromBeforeFairness: a data directory whose queue was written before messages
// had a fair-delivery tag opens (the column is added), and its waiting messages are delivered
// before those queued after the upgrade.
func TestQueueMessagesFromBeforeFairness(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ream.db")
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, queue TEXT NOT NULL, body BLOB NOT NULL,
			visible_at INTEGER NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, sent_at INTEGER NOT NULL)`,
		`INSERT INTO messages (id, queue, body, visible_at, sent_at) VALUES ('old', 'shards', '{"tenant":"t1","jobId":"old","index":0}', 0, 0)`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	db := openDB(t, filepath.Dir(path))
	q := local.NewQueue(db, "shards", 0)
	if err := q.Send(ctx, []pipeline.ShardMessage{{Tenant: "t1", JobId: "new", Index: 0}}); err != nil {
		t.Fatal(err)
	}
	got, err := q.Receive(ctx, 10, time.Hour)
	if err != nil || len(got) != 2 || got[0].ID != "old" {
		t.Fatalf("received %d, %v (first %q); want the message from before the upgrade first", len(got), err, got[0].ID)
	}
}

// TestQueueDeleteJob: DeleteJob deletes one job's messages, waiting or in flight, and no other
// job's (another job of the tenant, the same job id of another tenant); the in-flight
// delivery's own Delete then deletes nothing and is no error.
func TestQueueDeleteJob(t *testing.T) {
	ctx := context.Background()
	q := local.NewQueue(openDB(t, t.TempDir()), "shards", 3)
	if err := q.Send(ctx, []pipeline.ShardMessage{
		{Tenant: "t1", JobId: "j1", Index: 0}, {Tenant: "t1", JobId: "j1", Index: 1},
		{Tenant: "t1", JobId: "j2", Index: 0}, {Tenant: "t2", JobId: "j1", Index: 0},
	}); err != nil {
		t.Fatal(err)
	}
	inFlight, err := q.Receive(ctx, 1, time.Hour)
	if err != nil || len(inFlight) != 1 {
		t.Fatalf("received %d, %v; want one", len(inFlight), err)
	}
	var m pipeline.ShardMessage
	if err := json.Unmarshal(inFlight[0].Body, &m); err != nil || m.Tenant != "t1" || m.JobId != "j1" {
		t.Fatalf("in flight: %s (%v); want a message of job t1/j1, the first sent", inFlight[0].Body, err)
	}
	if err := q.Send(ctx, []pipeline.ShardMessage{{Tenant: "t1", JobId: "j1", Index: 2}}); err != nil {
		t.Fatal(err)
	}
	before, err := q.JobBodies(ctx, "t1", "j1")
	if err != nil || len(before) != 3 {
		t.Fatalf("job t1/j1 has %d messages, %v; want 3", len(before), err)
	}
	if n, err := q.DeleteJob(ctx, "t1", "j1"); err != nil || n != 3 {
		t.Fatalf("DeleteJob: %d, %v; want 3 deleted", n, err)
	}
	if left, err := q.JobBodies(ctx, "t1", "j1"); err != nil || len(left) != 0 {
		t.Errorf("job t1/j1 keeps %d messages, %v; want none", len(left), err)
	}
	for _, other := range [][2]string{{"t1", "j2"}, {"t2", "j1"}} {
		if left, err := q.JobBodies(ctx, other[0], other[1]); err != nil || len(left) != 1 {
			t.Errorf("job %s/%s keeps %d messages, %v; want its 1", other[0], other[1], len(left), err)
		}
	}
	if err := q.Delete(ctx, inFlight[0].Receipt); err != nil {
		t.Errorf("Delete of a delivery whose message DeleteJob deleted: %v; want no error", err)
	}
	if n, err := q.DeleteJob(ctx, "t1", "j1"); err != nil || n != 0 {
		t.Errorf("DeleteJob again: %d, %v; want 0", n, err)
	}
}
