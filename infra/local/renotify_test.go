package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
)

// TestRestartRenotifiesLostNotification: a process that died between storing a job's terminal
// status and publishing its notification left the job finished and not notified; the sweep the
// next start runs publishes it (stored, and delivered to the webhook), though the expiry pass the
// first start began is minutes old and no pass is due (ExpiryPassEvery, an hour by default): the
// finished jobs not notified are read by every sweep, not by the pass alone.
func TestRestartRenotifiesLostNotification(t *testing.T) {
	ctx := testCtx(t)
	var mu sync.Mutex
	delivered := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var n api.Notification
		if json.Unmarshal(b, &n) == nil {
			mu.Lock()
			delivered[n.JobId]++
			mu.Unlock()
		}
	}))
	defer hook.Close()
	deliveries := func(id string) int {
		mu.Lock()
		defer mu.Unlock()
		return delivered[id]
	}
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Addr: "127.0.0.1:0", PollInterval: Duration(10 * time.Millisecond), Workers: 2,
		SweepInterval: Duration(time.Hour), Webhooks: []Webhook{{URL: hook.URL}}}
	s, err := Start(ctx, cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := defaultClient(s)
	res := createAndUpload(t, ctx, c, lineJob("lost notification", job.OneDocPerLine), []byte("Lovely.\nAwful.\n"))
	if _, j := follow(t, ctx, c, res.JobId); j.JobStatus != job.Completed {
		t.Fatalf("job ended %s, want COMPLETED", j.JobStatus)
	}
	waitFor(t, ctx, "the webhook delivery", func() bool { return deliveries(res.JobId) == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// What a finalizer that died before its publish leaves: the job finished, not notified, no
	// notification stored.
	db, err := sl.OpenDB(filepath.Join(dir, "ream.db"))
	if err != nil {
		t.Fatal(err)
	}
	jobs := sl.NewJobs(db)
	j, err := jobs.Get(ctx, "local", res.JobId)
	if err != nil || !j.Notified {
		t.Fatalf("stored job: %+v, %v; want it notified", j, err)
	}
	j.Notified, j.NotifyClaimed = false, nil
	if err := jobs.Update(ctx, j, j.JobStatus); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM notifications WHERE job = ?`, res.JobId); err != nil {
		t.Fatal(err)
	}
	// No expiry pass is due at the restart: the first start's sweep began one moments ago.
	if st, err := jobs.GetSweepState(ctx, "expiry"); err != nil || !st.Done || time.Since(st.PassStarted) > 10*time.Minute {
		t.Fatalf("expiry pass state %+v, %v; want a pass done, started moments ago", st, err)
	}
	db.Close()

	s, err = Start(ctx, cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// Start returns after its first sweep: the notification is stored by then.
	db, err = sl.OpenDB(filepath.Join(dir, "ream.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := storedNotifications(t, ctx, db, res.JobId); n != 1 {
		t.Fatalf("%d notifications of the job stored after the restart, want 1 (published again by the start's sweep)", n)
	}
	if j, err := sl.NewJobs(db).Get(ctx, "local", res.JobId); err != nil || !j.Notified {
		t.Fatalf("after the restart: %+v, %v; want the job marked notified", j, err)
	}
	waitFor(t, ctx, "the webhook delivery of the notification published again", func() bool { return deliveries(res.JobId) == 2 })
	// The next sweep finds nothing more to publish, and starts no pass.
	rep, err := s.Sweep(ctx)
	if err != nil || rep.Renotified != 0 || rep.UnnotifiedScanned != 0 || rep.PassStarted {
		t.Fatalf("the sweep after: %+v, %v; want nothing to notify and no pass", rep, err)
	}
	if n := storedNotifications(t, ctx, db, res.JobId); n != 1 {
		t.Fatalf("%d notifications of the job stored, want 1", n)
	}
}

func storedNotifications(t *testing.T, ctx context.Context, db *sql.DB, id string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE job = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
