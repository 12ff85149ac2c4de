package local_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/internal/syncbuf"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
)

func note(tenant, id string) api.Notification {
	return api.Notification{JobId: id, Tenant: tenant, JobStatus: job.Completed, InputDocumentsCount: 3, ProcessedDocumentsCount: 3}
}

func closeNotifier(t *testing.T, n *local.Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestNotifierSubscribe(t *testing.T) {
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, nil)
	defer closeNotifier(t, n)
	ch, cancel := n.Subscribe("t1")
	defer cancel()
	all, cancelAll := n.Subscribe("")
	defer cancelAll()

	ctx := context.Background()
	if err := n.Publish(ctx, note("t2", "other")); err != nil {
		t.Fatal(err)
	}
	if err := n.Publish(ctx, note("t1", "mine")); err != nil {
		t.Fatal(err)
	}
	ev := <-ch
	if ev.JobId != "mine" || ev.Tenant != "t1" || ev.Seq == 0 || ev.Time.IsZero() {
		t.Fatalf("subscriber got %+v, want t1's notification", ev)
	}
	if a, b := <-all, <-all; a.JobId != "other" || b.JobId != "mine" || a.Seq >= b.Seq {
		t.Fatalf("all-tenants subscriber got %+v then %+v", a, b)
	}
	select {
	case extra := <-ch:
		t.Fatalf("t1's subscriber also got %+v", extra)
	default:
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatalf("channel still open after cancel")
	}
	cancel() // idempotent
}

func TestNotifierSlowSubscriberCatchesUp(t *testing.T) {
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, nil)
	defer closeNotifier(t, n)
	ch, cancel := n.Subscribe("t1")
	defer cancel()
	ctx := context.Background()
	total := local.SubscriberBuffer + 10
	for i := 0; i < total; i++ {
		if err := n.Publish(ctx, note("t1", fmt.Sprintf("job-%d", i))); err != nil {
			t.Fatal(err) // Publish never blocks on the subscriber
		}
	}
	var last int64
	got := 0
	for len(ch) > 0 {
		last = (<-ch).Seq
		got++
	}
	if got != local.SubscriberBuffer {
		t.Fatalf("buffered %d events, want %d", got, local.SubscriberBuffer)
	}
	rest, err := n.Since(ctx, "t1", last)
	if err != nil || len(rest) != total-got {
		t.Fatalf("Since(%d) = %d events, %v; want %d", last, len(rest), err, total-got)
	}
}

func TestNotifierWebhookRetries(t *testing.T) {
	var mu sync.Mutex
	calls, delivered := 0, 0
	var body api.Notification
	var seqHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		delivered++
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &body)
		seqHeader = r.Header.Get("X-Ream-Notification-Seq")
	}))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a webhook for another tenant was called")
	}))
	defer other.Close()

	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}, {URL: other.URL, Tenant: "t2"}},
		local.WithRetry(5, 10*time.Millisecond, 50*time.Millisecond))
	if err := n.Publish(context.Background(), note("t1", "job-1")); err != nil {
		t.Fatal(err)
	}
	drain(t, n) // the delivery and its retries
	closeNotifier(t, n)

	mu.Lock()
	defer mu.Unlock()
	if calls != 3 || delivered != 1 {
		t.Fatalf("webhook called %d times, delivered %d; want 3 and 1", calls, delivered)
	}
	if body.JobId != "job-1" || body.Tenant != "t1" || body.JobStatus != job.Completed || seqHeader == "" {
		t.Fatalf("delivered %+v (seq %q)", body, seqHeader)
	}
	evs, _ := n.Since(context.Background(), "", 0)
	ds, err := n.Deliveries(context.Background(), evs[0].Seq)
	if err != nil || len(ds) != 3 {
		t.Fatalf("Deliveries = %+v, %v; want 3 attempts", ds, err)
	}
	if ds[0].StatusCode != 503 || ds[0].Error == "" || ds[2].StatusCode != 200 || ds[2].Error != "" || ds[2].Attempt != 3 {
		t.Fatalf("recorded attempts: %+v", ds)
	}
}

// TestNotifierRedirectIsAFailedAttempt: a webhook answering with a redirect has not received
// the notification. The notifier does not follow it (a 302 was followed as a GET without the
// body, whose 200 counted as delivered; a 307 would send the POST to any host the Location
// names; found from outside): the attempt fails, is retried, and the log says why.
func TestNotifierRedirectIsAFailedAttempt(t *testing.T) {
	var mu sync.Mutex
	var calls, landed int
	landing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		landed++
		mu.Unlock()
	}))
	defer landing.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		k := calls
		mu.Unlock()
		switch k {
		case 1:
			http.Redirect(w, r, landing.URL+"/landing", http.StatusFound)
		case 2:
			http.Redirect(w, r, landing.URL+"/landing", http.StatusTemporaryRedirect)
		}
	}))
	defer srv.Close()
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(5, 10*time.Millisecond, 50*time.Millisecond))
	if err := n.Publish(context.Background(), note("t1", "job-1")); err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	closeNotifier(t, n)
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 || landed != 0 {
		t.Fatalf("webhook called %d times, its redirect target %d; want 3 and 0", calls, landed)
	}
	evs, _ := n.Since(context.Background(), "", 0)
	ds, err := n.Deliveries(context.Background(), evs[0].Seq)
	if err != nil || len(ds) != 3 || ds[0].StatusCode != 302 || !strings.Contains(ds[0].Error, "redirects are not followed") || ds[1].StatusCode != 307 || ds[2].StatusCode != 200 {
		t.Fatalf("recorded attempts: %+v, %v", ds, err)
	}
}

func TestNotifierGivesUpAndCloseIsBounded(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(3, time.Millisecond, time.Millisecond))
	if err := n.Publish(context.Background(), note("t1", "job")); err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	closeNotifier(t, n)
	mu.Lock()
	if calls != 3 {
		t.Fatalf("failing webhook called %d times, want 3", calls)
	}
	mu.Unlock()
	if err := n.Publish(context.Background(), note("t1", "late")); err == nil {
		t.Fatalf("Publish after Close succeeded")
	}

	// Nothing holds up a Close whose context has ended.
	n2 := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(5, time.Hour, time.Hour))
	if err := n2.Publish(context.Background(), note("t1", "job2")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n2.Close(ctx); err == nil {
		// It may also have finished its first attempt already and be waiting: either way
		// Close returned, which is what matters.
		t.Log("Close returned nil")
	}
}

func TestNotifierSinceAfterRestart(t *testing.T) {
	dir := t.TempDir()
	db, err := local.OpenDB(dir + "/ream.db")
	if err != nil {
		t.Fatal(err)
	}
	n := local.NewNotifier(db, nil)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if err := n.Publish(ctx, note("t1", id)); err != nil {
			t.Fatal(err)
		}
	}
	n.Publish(ctx, note("t2", "x"))
	closeNotifier(t, n)
	db.Close()

	db = openDB(t, dir)
	fresh := local.NewNotifier(db, nil)
	defer closeNotifier(t, fresh)
	evs, err := fresh.Since(ctx, "t1", 0)
	if err != nil || len(evs) != 3 || evs[0].JobId != "a" || evs[2].JobId != "c" {
		t.Fatalf("Since after restart = %+v, %v", evs, err)
	}
	later, err := fresh.Since(ctx, "t1", evs[0].Seq)
	if err != nil || len(later) != 2 || later[0].JobId != "b" {
		t.Fatalf("Since(first) = %+v, %v", later, err)
	}
	if err := fresh.Publish(ctx, note("t1", "d")); err != nil {
		t.Fatal(err)
	}
	if evs, _ := fresh.Since(ctx, "", 0); len(evs) != 5 || evs[4].JobId != "d" || evs[4].Seq <= evs[3].Seq {
		t.Fatalf("Since(all) = %+v", evs)
	}
}

// TestNotifierResumesDeliveriesAfterRestart: a delivery that was refused, then interrupted by a
// stop in its backoff, is made by the next process with its remaining attempts (the outbox is
// durable), and the job's notification is published only once however often Publish is called.
func TestNotifierResumesDeliveriesAfterRestart(t *testing.T) {
	var mu sync.Mutex
	accept := false
	var seqs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !accept {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		seqs = append(seqs, r.Header.Get("X-Ream-Notification-Seq"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	db := openDB(t, dir)
	ctx := context.Background()
	hooks := []local.Webhook{{URL: srv.URL}}

	first := local.NewNotifier(db, hooks, local.WithRetry(5, time.Hour, time.Hour))
	if err := first.Publish(ctx, note("t1", "job-1")); err != nil {
		t.Fatal(err)
	}
	evs, _ := first.Since(ctx, "", 0)
	if len(evs) != 1 {
		t.Fatalf("stored %d notifications, want 1", len(evs))
	}
	seq := evs[0].Seq
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, _ := first.Deliveries(ctx, seq)
		if len(ds) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first attempt never made: %+v", ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The process stops in the hour-long backoff: the delivery is abandoned, not lost.
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	_ = first.Close(stopped)
	if left, err := first.Pending(ctx); err != nil || left != 1 {
		t.Fatalf("Pending after stop = %d, %v; want 1", left, err)
	}

	mu.Lock()
	accept = true
	mu.Unlock()
	later := func() time.Time { return time.Now().Add(2 * time.Hour) } // past the backoff
	second := local.NewNotifier(db, hooks, local.WithRetry(5, time.Hour, time.Hour), local.WithClock(later))
	// A finalizer that died before marking its job notified publishes again: no second notification.
	if err := second.Publish(ctx, note("t1", "job-1")); err != nil {
		t.Fatal(err)
	}
	drain(t, second)
	closeNotifier(t, second)
	mu.Lock()
	defer mu.Unlock()
	if len(seqs) != 1 || seqs[0] != strconv.FormatInt(seq, 10) {
		t.Fatalf("receiver got seqs %v, want exactly [%d]", seqs, seq)
	}
	ds, err := second.Deliveries(ctx, seq)
	if err != nil || len(ds) != 2 || ds[0].StatusCode != 503 || ds[1].StatusCode != 200 || ds[1].Attempt != 2 {
		t.Fatalf("recorded attempts = %+v, %v; want a refused first and a delivered second attempt", ds, err)
	}
	if evs, _ := second.Since(ctx, "", 0); len(evs) != 1 {
		t.Fatalf("notifications stored: %d, want 1", len(evs))
	}
}

// seqCounter is a webhook receiver that counts the POSTs of each X-Ream-Notification-Seq and
// answers status.
type seqCounter struct {
	mu    sync.Mutex
	posts map[string]int
}

func newSeqCounter(t *testing.T, status int) (*seqCounter, *httptest.Server) {
	c := &seqCounter{posts: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		c.mu.Lock()
		c.posts[r.Header.Get("X-Ream-Notification-Seq")]++
		c.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return c, srv
}

func (c *seqCounter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.posts))
	for k, v := range c.posts {
		out[k] = v
	}
	return out
}

// drain waits until n's outbox is empty.
func drain(t *testing.T, n *local.Notifier) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		left, err := n.Pending(context.Background())
		if err == nil && left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %d left, %v", left, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// publishAtOnce publishes count notifications of tenant t1 from as many goroutines (jobs that
// finish together) and returns their seqs.
func publishAtOnce(t *testing.T, n *local.Notifier, count int) []int64 {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < count; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.Publish(ctx, note("t1", fmt.Sprintf("job-%d", i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	evs, err := n.Since(ctx, "", 0)
	if err != nil || len(evs) != count {
		t.Fatalf("Since = %d events, %v; want %d", len(evs), err, count)
	}
	seqs := make([]int64, len(evs))
	for i, ev := range evs {
		seqs[i] = ev.Seq
	}
	return seqs
}

// TestNotifierDeliversEachOnceUnderLoad: many jobs finishing at once, a receiver that answers
// 200: every notification is POSTed exactly once, and exactly one attempt is recorded for it.
// A delivery finishing while the dispatcher was reading the outbox used to be launched again
// from the stale read (same seq POSTed twice, tens of milliseconds apart).
func TestNotifierDeliversEachOnceUnderLoad(t *testing.T) {
	recv, srv := newSeqCounter(t, http.StatusOK)
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(3, 10*time.Millisecond, 10*time.Millisecond))
	seqs := publishAtOnce(t, n, 200)
	drain(t, n)
	closeNotifier(t, n)

	got := recv.counts()
	for _, seq := range seqs {
		s := strconv.FormatInt(seq, 10)
		if got[s] != 1 {
			t.Errorf("seq %s POSTed %d times, want 1", s, got[s])
		}
		if ds, err := n.Deliveries(context.Background(), seq); err != nil || len(ds) != 1 {
			t.Errorf("seq %s: %d attempts recorded (%v), want 1", s, len(ds), err)
		}
	}
	if len(got) != len(seqs) {
		t.Errorf("receiver saw %d seqs, want %d", len(got), len(seqs))
	}
}

// TestNotifierAttemptLimitUnderLoad: with a receiver that always fails, every notification is
// POSTed exactly webhookAttempts times, its attempts recorded as 1, 2, … in order.
func TestNotifierAttemptLimitUnderLoad(t *testing.T) {
	const attempts = 4
	recv, srv := newSeqCounter(t, http.StatusInternalServerError)
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(attempts, time.Millisecond, 2*time.Millisecond))
	seqs := publishAtOnce(t, n, 100)
	drain(t, n)
	closeNotifier(t, n)

	got := recv.counts()
	for _, seq := range seqs {
		s := strconv.FormatInt(seq, 10)
		if got[s] != attempts {
			t.Errorf("seq %s POSTed %d times, want %d", s, got[s], attempts)
		}
		ds, err := n.Deliveries(context.Background(), seq)
		if err != nil || len(ds) != attempts {
			t.Errorf("seq %s: %d attempts recorded (%v), want %d", s, len(ds), err, attempts)
			continue
		}
		for i, d := range ds {
			if d.Attempt != i+1 {
				t.Errorf("seq %s: attempts recorded %+v, want numbered 1..%d", s, ds, attempts)
				break
			}
		}
	}
}

// gatedReceiver is a webhook receiver that holds every POST until release is closed (or the
// client gives up), then answers 200; arrived counts the POSTs received.
type gatedReceiver struct {
	mu      sync.Mutex
	arrived int
	release chan struct{}
	once    sync.Once
}

// open lets the held POSTs, and every later one, be answered.
func (g *gatedReceiver) open() { g.once.Do(func() { close(g.release) }) }

func newGatedReceiver(t *testing.T) (*gatedReceiver, *httptest.Server) {
	g := &gatedReceiver{release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		g.mu.Lock()
		g.arrived++
		g.mu.Unlock()
		select {
		case <-g.release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(g.open) // before srv.Close, which waits for the handlers
	return g, srv
}

func (g *gatedReceiver) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.arrived
}

func (g *gatedReceiver) waitArrived(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for g.count() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d POSTs arrived, want %d", g.count(), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitAttempts waits until seq has want recorded attempts.
func waitAttempts(t *testing.T, n *local.Notifier, seq int64, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := n.Deliveries(context.Background(), seq)
		if err == nil && len(ds) >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("seq %d: %d attempts recorded (%v), want %d", seq, len(ds), err, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestNotifierCloseDoesNotWaitForBackoff: a delivery waiting in a retry's backoff does not hold
// up Close (it stays in the outbox and resumes at the next start): Close returns nil, not its
// context's error, and makes no further attempt. Close used to wait for the outbox to empty,
// which held up the shutdown of ream serve for its whole 10 s timeout.
func TestNotifierCloseDoesNotWaitForBackoff(t *testing.T) {
	recv, srv := newSeqCounter(t, http.StatusServiceUnavailable)
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(5, time.Hour, time.Hour))
	seq := publishAtOnce(t, n, 1)[0]
	waitAttempts(t, n, seq, 1) // refused: the next attempt is an hour away

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatalf("Close = %v: it waited for the delivery in backoff until its context ended", err)
	}
	if left, err := n.Pending(context.Background()); err != nil || left != 1 {
		t.Fatalf("Pending after Close = %d, %v; want the delivery kept for the next start", left, err)
	}
	if ds, _ := n.Deliveries(context.Background(), seq); len(ds) != 1 {
		t.Fatalf("attempts recorded: %+v, want 1", ds)
	}
	if got := recv.counts()[strconv.FormatInt(seq, 10)]; got != 1 {
		t.Fatalf("receiver got %d POSTs, want 1", got)
	}
}

// TestNotifierCloseWaitsOnlyForPostsInFlight: Close lets the POSTs in flight finish and records
// them, but starts no new attempt, even of deliveries already due; those stay in the outbox.
func TestNotifierCloseWaitsOnlyForPostsInFlight(t *testing.T) {
	recv, srv := newGatedReceiver(t)
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}})
	const total = local.MaxInflight + 5
	seqs := publishAtOnce(t, n, total)
	recv.waitArrived(t, local.MaxInflight) // every slot taken; the other 5 are due and waiting

	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		closed <- n.Close(ctx)
	}()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while POSTs were in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	recv.open()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := recv.count(); got != local.MaxInflight {
		t.Fatalf("receiver got %d POSTs, want the %d in flight at Close and no more", got, local.MaxInflight)
	}
	if left, err := n.Pending(context.Background()); err != nil || left != total-local.MaxInflight {
		t.Fatalf("Pending after Close = %d, %v; want %d", left, err, total-local.MaxInflight)
	}
	delivered := 0
	for _, seq := range seqs {
		ds, _ := n.Deliveries(context.Background(), seq)
		if len(ds) == 1 && ds[0].StatusCode == http.StatusOK {
			delivered++
		}
	}
	if delivered != local.MaxInflight {
		t.Fatalf("%d deliveries recorded as made, want %d", delivered, local.MaxInflight)
	}
}

// TestNotifierCloseAbandonsHungPost: a POST the receiver never answers holds up Close only
// briefly (not for the client's timeout); the abandoned attempt does not count and the delivery
// stays in the outbox for the next start.
func TestNotifierCloseAbandonsHungPost(t *testing.T) {
	recv, srv := newGatedReceiver(t) // never released during the test
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}})
	seq := publishAtOnce(t, n, 1)[0]
	recv.waitArrived(t, 1)

	closed := make(chan error, 1)
	go func() { closed <- n.Close(context.Background()) }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Close still waiting for a POST that is never answered")
	}
	if left, err := n.Pending(context.Background()); err != nil || left != 1 {
		t.Fatalf("Pending after Close = %d, %v; want 1", left, err)
	}
	if ds, _ := n.Deliveries(context.Background(), seq); len(ds) != 0 {
		t.Fatalf("abandoned attempt recorded: %+v", ds)
	}
}

// TestNotifierDropsDeliveriesOfRemovedWebhooks: deliveries left pending for a webhook that is no
// longer configured (its URL removed, or its tenant changed so it no longer takes the
// notification's) are dropped at the next start with one warning per URL saying how many, and
// never POSTed; those of the webhooks still configured are made.
func TestNotifierDropsDeliveriesOfRemovedWebhooks(t *testing.T) {
	var mu sync.Mutex
	accept := false
	posts := map[string][]string{} // path → seqs, once accepting
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !accept {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		posts[r.URL.Path] = append(posts[r.URL.Path], r.Header.Get("X-Ream-Notification-Seq"))
	}))
	defer srv.Close()
	ctx := context.Background()
	db := openDB(t, t.TempDir())

	before := []local.Webhook{{URL: srv.URL + "/kept"}, {URL: srv.URL + "/retenanted", Tenant: "t1"}, {URL: srv.URL + "/removed"}}
	first := local.NewNotifier(db, before, local.WithRetry(5, time.Hour, time.Hour))
	for _, n := range []api.Notification{note("t1", "a"), note("t2", "b")} {
		if err := first.Publish(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	closeNotifier(t, first)
	if left, err := first.Pending(ctx); err != nil || left != 5 { // t1: 3 webhooks, t2: 2
		t.Fatalf("Pending = %d, %v; want 5", left, err)
	}

	mu.Lock()
	accept = true
	mu.Unlock()
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	after := []local.Webhook{{URL: srv.URL + "/kept"}, {URL: srv.URL + "/retenanted", Tenant: "t2"}}
	later := func() time.Time { return time.Now().Add(2 * time.Hour) } // past the backoff
	second := local.NewNotifier(db, after, local.WithRetry(5, time.Hour, time.Hour), local.WithClock(later), local.WithLogger(log))
	drain(t, second)
	closeNotifier(t, second)

	mu.Lock()
	defer mu.Unlock()
	if len(posts["/kept"]) != 2 || len(posts["/retenanted"]) != 0 || len(posts["/removed"]) != 0 {
		t.Fatalf("POSTs after the restart: %v; want both to /kept and none elsewhere", posts)
	}
	var warned []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "no longer configured") {
			warned = append(warned, line)
		}
	}
	// Logs show a webhook as its scheme, host and the first 8 hex digits of its URL's SHA-256.
	shown := func(u string) string {
		sum := sha256.Sum256([]byte(u))
		return srv.URL + "/…#" + hex.EncodeToString(sum[:4])
	}
	want := []string{"url=" + shown(srv.URL+"/retenanted") + " dropped=1", "url=" + shown(srv.URL+"/removed") + " dropped=2"}
	if len(warned) != len(want) {
		t.Fatalf("warnings: %q; want one per URL: %q", warned, want)
	}
	for _, w := range want {
		found := false
		for _, line := range warned {
			found = found || strings.HasSuffix(line, w)
		}
		if !found {
			t.Errorf("no warning ending %q in %q", w, warned)
		}
	}
}

// An expired job takes its notification with it: the notification, the record of its webhook
// deliveries and its deliveries still pending; another job's are kept.
func TestNotifierForgetsExpiredJobs(t *testing.T) {
	var mu sync.Mutex
	down := true
	var posts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		posts = append(posts, r.Header.Get("X-Ream-Notification-Seq"))
	}))
	defer srv.Close()
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	jobs := local.NewJobs(db)
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(5, time.Hour, time.Hour))
	for _, id := range []string{"gone", "kept"} {
		if err := n.Publish(ctx, note("t1", id)); err != nil {
			t.Fatal(err)
		}
	}
	attempted := func() bool { // one failed attempt each, recorded
		evs, _ := n.Since(ctx, "", 0)
		for _, ev := range evs {
			if ds, _ := n.Deliveries(ctx, ev.Seq); len(ds) != 1 {
				return false
			}
		}
		return len(evs) == 2
	}
	for deadline := time.Now().Add(time.Minute); !attempted(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first attempts were not recorded")
		}
	}
	closeNotifier(t, n)
	evs, _ := n.Since(ctx, "", 0)
	gone, kept := evs[0].Seq, evs[1].Seq

	if err := jobs.Delete(ctx, "t1", "gone"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := n.ForJob(ctx, "t1", "gone"); ok || err != nil {
		t.Fatalf("ForJob(gone) = %v, %v; want no notification", ok, err)
	}
	if ds, _ := n.Deliveries(ctx, gone); len(ds) != 0 {
		t.Fatalf("deliveries of the expired job's notification kept: %v", ds)
	}
	if left, err := n.Pending(ctx); err != nil || left != 1 {
		t.Fatalf("Pending = %d, %v; want 1 (the kept job's)", left, err)
	}
	if ds, _ := n.Deliveries(ctx, kept); len(ds) != 1 {
		t.Fatalf("deliveries of the kept job's notification: %v; want its one attempt", ds)
	}

	mu.Lock()
	down = false
	mu.Unlock()
	later := func() time.Time { return time.Now().Add(2 * time.Hour) } // past the backoff
	again := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(5, time.Hour, time.Hour), local.WithClock(later))
	drain(t, again)
	closeNotifier(t, again)
	mu.Lock()
	defer mu.Unlock()
	if want := []string{strconv.FormatInt(kept, 10)}; fmt.Sprint(posts) != fmt.Sprint(want) {
		t.Fatalf("POSTs after the restart: %v; want only the kept job's %v", posts, want)
	}
}

// A delivery in flight when its job expires records nothing: the job's notification and its
// delivery records are gone, and the attempt's answer does not bring a record back.
func TestNotifierInFlightAtExpiry(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		once.Do(func() { close(arrived) })
		<-release
	}))
	defer srv.Close()
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	jobs := local.NewJobs(db)
	n := local.NewNotifier(db, []local.Webhook{{URL: srv.URL}}, local.WithRetry(5, time.Hour, time.Hour))
	if err := n.Publish(ctx, note("t1", "gone")); err != nil {
		t.Fatal(err)
	}
	evs, _ := n.Since(ctx, "", 0)
	if len(evs) != 1 {
		t.Fatalf("%d notifications stored, want 1", len(evs))
	}
	select {
	case <-arrived:
	case <-time.After(time.Minute):
		t.Fatal("the delivery never reached the webhook")
	}
	if err := jobs.Delete(ctx, "t1", "gone"); err != nil {
		t.Fatal(err)
	}
	close(release)
	drain(t, n)
	closeNotifier(t, n)
	if ds, err := n.Deliveries(ctx, evs[0].Seq); err != nil || len(ds) != 0 {
		t.Fatalf("deliveries recorded after the job expired: %+v, %v", ds, err)
	}
}

// TestNotifierSlowWebhookDelaysNoOther: a receiver that holds every POST (up to the timeout)
// takes only its own URL's slots; another webhook (another tenant's) gets every notification
// meanwhile. Found from outside: the slots were shared by every URL, and one tenant's receiver
// answering after 29 s delayed another tenant's notification by 56 s.
func TestNotifierSlowWebhookDelaysNoOther(t *testing.T) {
	slow, slowSrv := newGatedReceiver(t)
	fast, fastSrv := newSeqCounter(t, http.StatusOK)
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: slowSrv.URL, Tenant: "t1"}, {URL: fastSrv.URL}})
	defer closeNotifier(t, n)
	const total = 3 * local.MaxInflight
	seqs := publishAtOnce(t, n, total) // tenant t1: both webhooks want every one
	slow.waitArrived(t, local.MaxInflight)
	deadline := time.Now().Add(30 * time.Second)
	for len(fast.counts()) < total {
		if time.Now().After(deadline) {
			t.Fatalf("the other webhook got %d of %d notifications while the slow one held %d POSTs", len(fast.counts()), total, slow.count())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := slow.count(); got != local.MaxInflight {
		t.Errorf("the slow webhook has %d POSTs in flight; want its %d slots", got, local.MaxInflight)
	}
	slow.open()
	drain(t, n)
	if got := fast.counts(); len(got) != len(seqs) {
		t.Errorf("the other webhook got %d distinct notifications, want %d", len(got), len(seqs))
	}
}

// TestNotifierLogsNoWebhookSecret: a webhook URL's user information, path and query (a secret
// path is the README's advice) never reach the logs, nor the errors logged with them (found from
// outside: every retry's WARN line carried the whole URL).
func TestNotifierLogsNoWebhookSecret(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	addr := srv.Listener.Addr().String()
	srv.Close() // nothing listens there now: every delivery fails with a connection error
	var logs syncbuf.Buffer
	db := openDB(t, t.TempDir())
	secretURL := "http://user:pa55word@" + addr + "/hook-s3cr3tpath?token=TOPSECRET"
	n := local.NewNotifier(db, []local.Webhook{{URL: secretURL, Tenant: "t1"}}, local.WithRetry(2, time.Millisecond, time.Millisecond),
		local.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	// (Another tenant's notification first: the store numbers t1's job 2, its webhook 1.)
	for _, nt := range []api.Notification{note("t0", "other"), note("t1", "job")} {
		if err := n.Publish(context.Background(), nt); err != nil {
			t.Fatal(err)
		}
	}
	drain(t, n)
	closeNotifier(t, n)
	out := logs.String()
	if !strings.Contains(out, "webhook delivery abandoned") {
		t.Fatalf("no delivery logged:\n%s", out)
	}
	// Each attempt is logged with the number its receiver would see and the job.
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, "webhook delivery") && (!strings.Contains(line, " seq=1 ") || !strings.Contains(line, " job=job ")) {
			t.Errorf("a delivery logged without its X-Ream-Notification-Seq (1) or job: %s", line)
		}
	}
	for _, secret := range []string{"pa55word", "s3cr3tpath", "TOPSECRET", "user:"} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs hold %q:\n%s", secret, out)
		}
	}
}

// TestNotifierWebhookNumbersItsOwn: each webhook URL numbers its deliveries by its own count in
// X-Ream-Notification-Seq, so a tenant's receiver cannot tell from the numbers how many other
// tenants' jobs ended between two of its own (found from outside: a tenant's receiver saw 13,
// then 19, while another tenant's five jobs ended). The numbers stay unique per URL when the
// configuration changes (a URL moved to another tenant goes on counting), and after an upgrade
// a URL's count starts above every number sent before, while a delivery queued before keeps its
// number.
func TestNotifierWebhookNumbersItsOwn(t *testing.T) {
	alice, aliceSrv := newSeqCounter(t, http.StatusOK)
	bob, bobSrv := newSeqCounter(t, http.StatusOK)
	all, allSrv := newSeqCounter(t, http.StatusOK)
	shared, sharedSrv := newSeqCounter(t, http.StatusOK)
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	publish := func(hooks []local.Webhook, notes ...api.Notification) {
		t.Helper()
		n := local.NewNotifier(db, hooks)
		for _, note := range notes {
			if err := n.Publish(ctx, note); err != nil {
				t.Fatal(err)
			}
		}
		drain(t, n)
		closeNotifier(t, n)
	}
	want := func(name string, c *seqCounter, nums ...int) {
		t.Helper()
		got := c.counts()
		ok := len(got) == len(nums)
		for _, k := range nums {
			ok = ok && got[strconv.Itoa(k)] == 1
		}
		if !ok {
			t.Errorf("%s got numbers %v, want each of %v once", name, got, nums)
		}
	}
	publish([]local.Webhook{{URL: aliceSrv.URL, Tenant: "alice"}, {URL: bobSrv.URL, Tenant: "bob"}, {URL: allSrv.URL},
		{URL: sharedSrv.URL, Tenant: "alice"}, {URL: sharedSrv.URL, Tenant: "bob"}},
		note("alice", "a1"), note("bob", "b1"), note("bob", "b2"), note("bob", "b3"), note("bob", "b4"), note("bob", "b5"), note("alice", "a2"))
	want("alice's webhook", alice, 1, 2)
	want("bob's webhook", bob, 1, 2, 3, 4, 5)
	want("the webhook of every tenant", all, 1, 2, 3, 4, 5, 6, 7)
	want("one URL for both tenants", shared, 1, 2, 3, 4, 5, 6, 7)

	// alice's URL now takes bob's notifications: it goes on counting, never sending 1 again.
	publish([]local.Webhook{{URL: aliceSrv.URL, Tenant: "bob"}}, note("bob", "b6"))
	want("alice's webhook given to bob", alice, 1, 2, 3)

	// A database from before the counts: a delivery still queued keeps its global seq (7, a2's,
	// queued again to alice's URL), and a URL's next number is above every global seq so far (8).
	for _, q := range []string{
		`UPDATE webhook_outbox SET num = NULL`, // none left: the old schema had no column
		`DROP TABLE webhook_counters`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO webhook_outbox (seq, url, attempts, next_at) SELECT seq, ?, 0, 0 FROM notifications WHERE job = 'a2'`, aliceSrv.URL); err != nil {
		t.Fatal(err)
	}
	if err := local.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	all2, all2Srv := newSeqCounter(t, http.StatusOK)
	publish([]local.Webhook{{URL: aliceSrv.URL, Tenant: "alice"}, {URL: all2Srv.URL}}, note("alice", "a3"))
	want("alice's webhook after the upgrade", alice, 1, 2, 3, 7, 9)
	want("a webhook added after the upgrade", all2, 9)
}

// TestNotifierWebhookUserinfoIsBasicAuth: a webhook URL's user information is sent as HTTP Basic
// authentication, which is how a receiver tells Ream's POSTs from anyone else's (they are not
// signed; README, Notifications), and it shows in no log line or delivery record.
func TestNotifierWebhookUserinfoIsBasicAuth(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		mu.Lock()
		got = append(got, fmt.Sprintf("%v %s:%s", ok, user, pass))
		mu.Unlock()
		if !ok || user != "ream" || pass != "s3cret-Pw" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	hook := strings.Replace(srv.URL, "http://", "http://ream:s3cret-Pw@", 1) + "/hook"
	var logs syncbuf.Buffer
	db := openDB(t, t.TempDir())
	n := local.NewNotifier(db, []local.Webhook{{URL: hook}}, local.WithRetry(2, 10*time.Millisecond, 10*time.Millisecond),
		local.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err := n.Publish(context.Background(), note("t1", "job-1")); err != nil {
		t.Fatal(err)
	}
	drain(t, n)
	closeNotifier(t, n)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "true ream:s3cret-Pw" {
		t.Fatalf("the receiver saw %q; want one POST with Basic ream:s3cret-Pw", got)
	}
	evs, _ := n.Since(context.Background(), "", 0)
	ds, err := n.Deliveries(context.Background(), evs[0].Seq)
	if err != nil || len(ds) != 1 || ds[0].StatusCode != http.StatusOK {
		t.Fatalf("recorded attempts: %+v, %v", ds, err)
	}
	if strings.Contains(logs.String(), "s3cret") || !strings.Contains(logs.String(), "webhook delivered") {
		t.Fatalf("logs show the password or no delivery:\n%s", logs.String())
	}
}
