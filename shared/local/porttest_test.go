package local_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/porttest"
)

// fakeClock is a clock tests move by hand; it implements porttest.TimeTraveler.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := local.OpenDB(filepath.Join(dir, "ream.db"))
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// objectsServer starts the presigned-URL handler on loopback and returns the store.
func objectsServer(t *testing.T, root string, onCreated func(context.Context, pipeline.ObjectInfo) error, opts ...local.Option) *local.Objects {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	objs, err := local.NewObjects(root, "http://"+srv.Listener.Addr().String(), nil, opts...)
	if err != nil {
		t.Fatalf("NewObjects: %v", err)
	}
	srv.Config.Handler = objs.Handler(onCreated)
	srv.Start()
	t.Cleanup(srv.Close)
	return objs
}

type clockedObjects struct {
	*local.Objects
	*fakeClock
}

func TestObjectsConformance(t *testing.T) {
	t.Run("FakeClock", func(t *testing.T) {
		porttest.TestObjects(t, func(t *testing.T) pipeline.Objects {
			clock := newFakeClock()
			return clockedObjects{objectsServer(t, t.TempDir(), nil, local.WithClock(clock.Now)), clock}
		}, http.DefaultClient)
	})
	t.Run("RealClock", func(t *testing.T) {
		if testing.Short() {
			t.Skip("sleeps past URL expiry")
		}
		porttest.TestObjects(t, func(t *testing.T) pipeline.Objects {
			return objectsServer(t, t.TempDir(), nil)
		}, http.DefaultClient)
	})
}

func TestJobsConformance(t *testing.T) {
	porttest.TestJobs(t, func(t *testing.T) pipeline.Jobs {
		return local.NewJobs(openDB(t, t.TempDir()))
	})
}

func TestModelsConformance(t *testing.T) {
	porttest.TestModels(t, func(t *testing.T) pipeline.Models {
		return local.NewModels(openDB(t, t.TempDir()))
	})
}

// queueUnderTest adapts local.Queue to porttest.QueueUnderTest.
type queueUnderTest struct {
	*local.Queue
	*fakeClock
}

func received(ms []local.Message) []porttest.Received {
	out := make([]porttest.Received, len(ms))
	for i, m := range ms {
		out[i] = porttest.Received{ID: m.ID, Receipt: m.Receipt, Body: m.Body, ReceiveCount: m.ReceiveCount}
	}
	return out
}

func (q queueUnderTest) Receive(ctx context.Context, max int, vis time.Duration) ([]porttest.Received, error) {
	ms, err := q.Queue.Receive(ctx, max, vis)
	return received(ms), err
}

func (q queueUnderTest) DeadLetters(ctx context.Context) ([]porttest.Received, error) {
	ms, err := q.Queue.DeadLetters(ctx)
	return received(ms), err
}

// realClockQueue is the same adapter without a controllable clock (the suite sleeps).
type realClockQueue struct{ *local.Queue }

func (q realClockQueue) Receive(ctx context.Context, max int, vis time.Duration) ([]porttest.Received, error) {
	ms, err := q.Queue.Receive(ctx, max, vis)
	return received(ms), err
}

func (q realClockQueue) DeadLetters(ctx context.Context) ([]porttest.Received, error) {
	ms, err := q.Queue.DeadLetters(ctx)
	return received(ms), err
}

func TestQueueConformance(t *testing.T) {
	t.Run("FakeClock", func(t *testing.T) {
		porttest.TestQueue(t, func(t *testing.T, maxReceive int) porttest.QueueUnderTest {
			clock := newFakeClock()
			db := openDB(t, t.TempDir())
			// A second queue on the same table must not interfere.
			noise := local.NewQueue(db, "other", 1, local.WithClock(clock.Now))
			if err := noise.SendRaw(context.Background(), [][]byte{[]byte(`{"noise":true}`)}); err != nil {
				t.Fatal(err)
			}
			return queueUnderTest{local.NewQueue(db, "shards", maxReceive, local.WithClock(clock.Now)), clock}
		})
	})
	t.Run("RealClock", func(t *testing.T) {
		if testing.Short() {
			t.Skip("sleeps past a visibility timeout")
		}
		porttest.TestQueue(t, func(t *testing.T, maxReceive int) porttest.QueueUnderTest {
			return realClockQueue{local.NewQueue(openDB(t, t.TempDir()), "shards", maxReceive)}
		})
	})
}

func TestDropRulesConformance(t *testing.T) {
	porttest.TestDropRules(t, func(t *testing.T) droprule.Store {
		return local.NewDropRules(openDB(t, t.TempDir()))
	})
}
