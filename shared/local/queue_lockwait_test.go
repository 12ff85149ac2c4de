package local_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// signalClock is a fakeClock that reports its first reading after armed is called: the moment
// a queue call took the time before its write.
type signalClock struct {
	*fakeClock
	mu    sync.Mutex
	read  chan struct{}
	armed bool
}

func (c *signalClock) Now() time.Time {
	now := c.fakeClock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed {
		c.armed = false
		close(c.read)
	}
	return now
}

func (c *signalClock) arm() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read, c.armed = make(chan struct{}), true
	return c.read
}

// TestQueueDeadlineAfterLockWait: a receive or a visibility extension that waits for the
// database's write lock (other writers hold it: a loaded machine, many pollers) hides the
// message for its visibility timeout from when it got the lock, not from when it was called.
// Both took the time before waiting, so a wait longer than the timeout claimed or extended a
// message already visible again: another poller received it at once, a delivery counted towards
// the dead-letter queue while the first one still ran (found hunting flakes: go test -race on a
// loaded machine dead-lettered TestFullDiskDeadLettersNothing's shard).
func TestQueueDeadlineAfterLockWait(t *testing.T) {
	ctx := context.Background()
	clock := &signalClock{fakeClock: newFakeClock()}
	db := openDB(t, t.TempDir())
	q := local.NewQueue(db, "shards", 10, local.WithClock(clock.Now))
	if err := q.Send(ctx, []pipeline.ShardMessage{{Tenant: "t1", JobId: "j1", Index: 0}}); err != nil {
		t.Fatal(err)
	}
	const visibility = time.Minute
	// waitingFor runs call while another writer holds the lock and moves the clock past the
	// visibility timeout before letting call have it: once call has read the clock (Receive
	// does, to see whether anything is visible, before it waits for the lock), or after a
	// moment when it reads it only under the lock (an update's deadline). The moment is no
	// assertion: with the deadline taken under the lock the test passes however long it is.
	waitingFor := func(call func() error) {
		t.Helper()
		read := clock.arm()
		tx, err := db.BeginTx(ctx, nil) // IMMEDIATE: holds the write lock
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- call() }()
		select {
		case <-read:
		case <-time.After(200 * time.Millisecond):
		}
		clock.Advance(2 * visibility)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}

	var got []local.Message
	waitingFor(func() (err error) {
		got, err = q.Receive(ctx, 1, visibility)
		return err
	})
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	if again, err := q.Receive(ctx, 1, visibility); err != nil || len(again) != 0 {
		t.Fatalf("a second receive right after got %d messages, %v; want none: the first hides it for %v from when it got the lock", len(again), err, visibility)
	}

	waitingFor(func() error { return q.ChangeVisibility(ctx, got[0].Receipt, visibility) })
	clock.Advance(visibility / 2)
	if again, err := q.Receive(ctx, 1, visibility); err != nil || len(again) != 0 {
		t.Fatalf("a receive after the extension got %d messages, %v; want none: the extension hides it for %v from when it got the lock", len(again), err, visibility)
	}
}
