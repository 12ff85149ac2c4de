package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	neturl "net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/pipeline"
)

// Webhook is an HTTP endpoint notifications are POSTed to, as JSON.
type Webhook struct {
	URL string
	// Tenant limits the webhook to one tenant's jobs; empty means every tenant.
	Tenant string
}

// wants reports whether the webhook receives tenant's notifications.
func (h Webhook) wants(tenant string) bool { return h.Tenant == "" || h.Tenant == tenant }

// Event is a persisted notification with its sequence number (increasing, unique per database).
type Event struct {
	Seq int64
	api.Notification
}

// Delivery is one attempt to deliver an event to a webhook.
type Delivery struct {
	Seq        int64
	URL        string
	Attempt    int
	StatusCode int    // 0 when no response arrived
	Error      string // empty on success
	Time       time.Time
}

// Notifier is the local topic. Publish stores each notification in SQLite once per job
// (publishing a job's notification again returns the stored one: a finalizer that died between
// publishing and marking the job notified does not notify twice), together with one outbox row
// per matching webhook, in one transaction; then it hands the notification to in-process
// subscribers (non-blocking; a slow subscriber misses events and catches up with Since). A
// dispatcher POSTs the outbox rows that are due, retrying with exponential backoff; every
// attempt is recorded (see Deliveries) and an outbox row is deleted only once delivered or out of
// attempts, so deliveries pending when the process dies resume after a restart with their
// remaining attempts. Delivery is at least once: receivers deduplicate by the
// X-Ream-Notification-Seq header.
type Notifier struct {
	db  *sql.DB
	cfg config
	log *slog.Logger

	hooks []Webhook

	mu       sync.Mutex
	closed   bool
	subs     map[*subscription]struct{}
	inflight map[outboxKey]bool
	perURL   map[string]int // deliveries in flight per URL

	wake   chan struct{}   // pokes the dispatcher (buffered, 1)
	start  chan struct{}   // closed when the dispatcher may start (StartDeliveries)
	once   sync.Once       // closes start
	wg     sync.WaitGroup  // the dispatcher
	posts  sync.WaitGroup  // the deliveries (attempts) in flight
	ctx    context.Context // cancelled by Close to abandon deliveries
	cancel context.CancelFunc
}

var _ pipeline.Notifier = (*Notifier)(nil)

type subscription struct {
	tenant string
	ch     chan Event
}

type outboxKey struct {
	seq int64
	url string
}

// SubscriberBuffer is how many events a subscriber may fall behind before it misses some.
const SubscriberBuffer = 64

// maxInflightPerURL bounds the POSTs in flight to one webhook URL at once. Each URL has its own
// slots, so a slow or hanging receiver (up to the 30-second timeout per attempt) delays only its
// own deliveries, never another webhook's (another tenant's).
const maxInflightPerURL = 8

// NewNotifier returns the notifier on db (from OpenDB) and starts its webhook dispatcher, which
// resumes the deliveries a previous process left pending, except those whose webhook (URL and
// tenant) is no longer among webhooks: it drops them first, logging a warning per URL. Options:
// WithRetry, WithClock, WithLogger, HoldDeliveries (the dispatcher then waits for
// StartDeliveries; Publish stores and queues deliveries meanwhile).
func NewNotifier(db *sql.DB, webhooks []Webhook, opts ...Option) *Notifier {
	c := newConfig(opts)
	if c.attempts < 1 {
		c.attempts = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{
		db: db, cfg: c, log: c.log,
		hooks:    append([]Webhook(nil), webhooks...),
		subs:     map[*subscription]struct{}{},
		inflight: map[outboxKey]bool{},
		perURL:   map[string]int{},
		wake:     make(chan struct{}, 1),
		start:    make(chan struct{}),
		ctx:      ctx,
		cancel:   cancel,
	}
	n.dropUnconfigured()
	n.wg.Add(1)
	go n.dispatch()
	if !c.held {
		n.StartDeliveries()
	}
	return n
}

// StartDeliveries lets the webhook dispatcher start (at once, unless NewNotifier was given
// HoldDeliveries). Calling it again does nothing.
func (n *Notifier) StartDeliveries() { n.once.Do(func() { close(n.start) }) }

// dropUnconfigured deletes the pending deliveries (outbox rows) that no configured webhook
// wants: their URL is gone, or no longer takes their notification's tenant. A webhook removed
// from the configuration would otherwise go on receiving them for as long as their retries
// last (a day by default). It logs one warning per URL, saying how many it dropped.
func (n *Notifier) dropUnconfigured() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fail := func(err error) {
		n.log.Error("dropping the deliveries of webhooks no longer configured failed; they are kept", "err", err)
	}
	rows, err := n.db.QueryContext(ctx, `SELECT o.seq, o.url, n.tenant FROM webhook_outbox o JOIN notifications n ON n.seq = o.seq`)
	if err != nil {
		fail(err)
		return
	}
	var drop []outboxKey
	for rows.Next() {
		var k outboxKey
		var tenant string
		if err := rows.Scan(&k.seq, &k.url, &tenant); err != nil {
			rows.Close()
			fail(err)
			return
		}
		if !n.configured(k.url, tenant) {
			drop = append(drop, k)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		fail(err)
		return
	}
	if len(drop) == 0 {
		return
	}
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	dropped := map[string]int{}
	var urls []string
	for _, k := range drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE seq = ? AND url = ?`, k.seq, k.url); err != nil {
			fail(err)
			return
		}
		if dropped[k.url] == 0 {
			urls = append(urls, k.url)
		}
		dropped[k.url]++
	}
	if err := tx.Commit(); err != nil {
		fail(err)
		return
	}
	for _, u := range urls {
		n.log.Warn("pending webhook deliveries dropped: their webhook (url and tenant) is no longer configured", "url", LogURL(u), "dropped", dropped[u])
	}
}

// configured reports whether a configured webhook takes tenant's notifications at url.
func (n *Notifier) configured(url, tenant string) bool {
	for _, h := range n.hooks {
		if h.URL == url && h.wants(tenant) {
			return true
		}
	}
	return false
}

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("notifier closed")

// Publish implements pipeline.Notifier. It returns once the notification and its webhook
// deliveries are persisted; the deliveries run in the background.
func (n *Notifier) Publish(ctx context.Context, note api.Notification) error {
	if note.Time.IsZero() {
		note.Time = n.cfg.now().UTC()
	}
	body, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return fmt.Errorf("publish %s: %w", note.JobId, ErrClosed)
	}
	seq, fresh, err := n.store(ctx, note, body)
	if err != nil {
		return fmt.Errorf("publish %s: %w", note.JobId, err)
	}
	if !fresh {
		n.log.Info("notification already published; not sent again", "seq", seq, "tenant", note.Tenant, "job", note.JobId)
		return nil
	}
	ev := Event{Seq: seq, Notification: note}

	n.mu.Lock()
	defer n.mu.Unlock()
	for s := range n.subs {
		if s.tenant != "" && s.tenant != note.Tenant {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			n.log.Warn("subscriber is behind; event dropped", "seq", seq, "tenant", note.Tenant, "job", note.JobId)
		}
	}
	n.poke()
	return nil
}

// store persists the job's notification and its outbox rows in one transaction, unless the job
// already has a notification: then it returns that one's seq and fresh=false.
func (n *Notifier) store(ctx context.Context, note api.Notification, body []byte) (seq int64, fresh bool, err error) {
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `SELECT seq FROM notifications WHERE tenant = ? AND job = ? ORDER BY seq LIMIT 1`, note.Tenant, note.JobId).Scan(&seq)
	if err == nil {
		return seq, false, nil
	}
	if !isNoRows(err) {
		return 0, false, err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO notifications (tenant, job, body, time) VALUES (?, ?, ?, ?) RETURNING seq`,
		note.Tenant, note.JobId, body, note.Time.UnixNano()).Scan(&seq); err != nil {
		return 0, false, err
	}
	now := n.cfg.now().UnixNano()
	queued := map[string]bool{} // one delivery per URL, however many webhooks name it
	for _, h := range n.hooks {
		if !h.wants(note.Tenant) || queued[h.URL] {
			continue
		}
		queued[h.URL] = true
		// The delivery is numbered by its URL's own count (X-Ream-Notification-Seq), not by the
		// global seq, which would tell a tenant's receiver how many other tenants' jobs ended
		// meanwhile (found from outside: a tenant's receiver saw 13, then 19, while another
		// tenant's five jobs ended).
		var num int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_counters (url, last)
			VALUES (?, COALESCE((SELECT last FROM webhook_counters WHERE url = ''), 0) + 1)
			ON CONFLICT (url) DO UPDATE SET last = last + 1 RETURNING last`, h.URL).Scan(&num); err != nil {
			return 0, false, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO webhook_outbox (seq, url, attempts, next_at, num) VALUES (?, ?, 0, ?, ?)`, seq, h.URL, now, num); err != nil {
			return 0, false, err
		}
	}
	return seq, true, tx.Commit()
}

// deleteNotification removes, within tx, the job's notification, the record of its webhook
// deliveries and its deliveries still pending: the job has expired (see Jobs.Delete). A delivery
// in flight meanwhile finds its notification gone and is dropped (see deliver).
func deleteNotification(ctx context.Context, tx *sql.Tx, tenant, job string) error {
	const ofJob = `SELECT seq FROM notifications WHERE tenant = ? AND job = ?`
	for _, q := range []string{
		`DELETE FROM webhook_outbox WHERE seq IN (` + ofJob + `)`,
		`DELETE FROM webhook_deliveries WHERE seq IN (` + ofJob + `)`,
		`DELETE FROM notifications WHERE tenant = ? AND job = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, tenant, job); err != nil {
			return fmt.Errorf("delete the notification of job %s: %w", job, err)
		}
	}
	return nil
}

func (n *Notifier) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// dispatchIdle is the longest the dispatcher sleeps between looks at the outbox.
const dispatchIdle = time.Second

// dispatch starts a delivery for every due outbox row that is not already in flight, then sleeps
// until the next row is due, a Publish or a finished attempt pokes it, or Close.
func (n *Notifier) dispatch() {
	defer n.wg.Done()
	select {
	case <-n.start:
	case <-n.ctx.Done():
		return
	}
	for {
		wait := n.startDue()
		t := time.NewTimer(wait)
		select {
		case <-n.ctx.Done():
			t.Stop()
			return
		case <-n.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// startDue launches the due deliveries and returns how long to sleep. It reads the outbox
// without holding n.mu, so what it read may be stale by the time it launches: a delivery of the
// same row may have finished in between (row deleted, or attempted again and now in backoff) and
// cleared its in-flight flag. deliver therefore re-reads its row before making an attempt.
func (n *Notifier) startDue() time.Duration {
	now := n.cfg.now().UnixNano()
	var due []outboxKey
	wait := dispatchIdle
	seen := map[string]bool{}
	for _, h := range n.hooks { // each URL's own due rows: one URL's backlog hides no other's
		if seen[h.URL] {
			continue
		}
		seen[h.URL] = true
		d, w, err := n.dueFor(h.URL, now)
		if err != nil {
			if n.ctx.Err() == nil {
				n.log.Error("reading the webhook outbox failed", "url", LogURL(h.URL), "err", err)
			}
			continue
		}
		due, wait = append(due, d...), min(wait, w)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return dispatchIdle // Close: no new attempts; the rows wait for the next start
	}
	for _, k := range due {
		if n.inflight[k] || n.perURL[k.url] >= maxInflightPerURL {
			continue
		}
		n.inflight[k] = true
		n.perURL[k.url]++
		n.posts.Add(1)
		go n.deliver(k)
	}
	return max(wait, time.Millisecond)
}

// dueFor reads url's first outbox rows in order: those due at now, and how long until the
// first that is not (dispatchIdle when none).
func (n *Notifier) dueFor(url string, now int64) ([]outboxKey, time.Duration, error) {
	rows, err := n.db.QueryContext(n.ctx, `SELECT seq, next_at FROM webhook_outbox WHERE url = ? ORDER BY next_at, seq LIMIT ?`, url, 2*maxInflightPerURL)
	if err != nil {
		return nil, dispatchIdle, err
	}
	defer rows.Close()
	var due []outboxKey
	for rows.Next() {
		k := outboxKey{url: url}
		var next int64
		if err := rows.Scan(&k.seq, &next); err != nil {
			return due, dispatchIdle, err
		}
		if next > now {
			return due, time.Duration(next - now), rows.Err()
		}
		due = append(due, k)
	}
	return due, dispatchIdle, rows.Err()
}

// deliver makes one attempt at an outbox row and records it: delivered or out of attempts, the
// row is deleted; otherwise it is due again after the backoff. The caller holds the row's
// in-flight flag, so no other attempt at it runs; the row is read afresh here, not taken from the
// dispatcher's read, which may predate the previous attempt's outcome (that attempt writes the
// row before it clears the flag): a row delivered, given up or put in backoff since is left alone,
// and the attempt is numbered from the attempts actually made.
func (n *Notifier) deliver(k outboxKey) {
	defer n.posts.Done()
	defer func() {
		n.mu.Lock()
		delete(n.inflight, k)
		if n.perURL[k.url]--; n.perURL[k.url] <= 0 {
			delete(n.perURL, k.url)
		}
		n.mu.Unlock()
		n.poke()
	}()
	var attempts int
	var next int64
	var body []byte // nil when the notification is gone
	var num int64   // the delivery's number: its URL's count, or the global seq (queued before counts)
	var jobID sql.NullString
	err := n.db.QueryRowContext(n.ctx, `SELECT o.attempts, o.next_at, n.body, COALESCE(o.num, o.seq), n.job FROM webhook_outbox o LEFT JOIN notifications n ON n.seq = o.seq WHERE o.seq = ? AND o.url = ?`,
		k.seq, k.url).Scan(&attempts, &next, &body, &num, &jobID)
	switch {
	case isNoRows(err):
		return // delivered or given up since the dispatcher read it
	case err != nil:
		if n.ctx.Err() == nil {
			n.log.Error("reading the webhook outbox failed", "seq", k.seq, "url", LogURL(k.url), "err", err)
		}
		return
	case next > n.cfg.now().UnixNano():
		return // attempted since the dispatcher read it: due again after its backoff
	case body == nil:
		// The notification expired with its job: nothing left to deliver.
		_, _ = n.db.ExecContext(n.ctx, `DELETE FROM webhook_outbox WHERE seq = ? AND url = ?`, k.seq, k.url)
		return
	}
	status, err := n.post(num, k.url, body)
	if err != nil && n.ctx.Err() != nil {
		return // abandoned by Close: the attempt does not count, the row stays for the next start
	}
	attempt := attempts + 1
	at := n.cfg.now()
	n.record(Delivery{Seq: k.seq, URL: k.url, Attempt: attempt, StatusCode: status, Error: errString(err), Time: at})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var qerr error
	// The log names the delivery as its receiver knows it: the X-Ream-Notification-Seq it was
	// sent with (the URL's own count, not the store's global number) and the job (found from
	// outside: the logs' seq matched no number a receiver saw).
	log := n.log.With("seq", num, "job", jobID.String, "url", LogURL(k.url))
	switch {
	case err == nil:
		log.Info("webhook delivered", "attempt", attempt)
		_, qerr = n.db.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE seq = ? AND url = ?`, k.seq, k.url)
	case attempt >= n.cfg.attempts:
		log.Error("webhook delivery abandoned", "attempts", attempt, "err", err)
		_, qerr = n.db.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE seq = ? AND url = ?`, k.seq, k.url)
	default:
		delay := retryDelay(n.cfg.backoff, n.cfg.maxBackoff, attempt)
		log.Warn("webhook delivery failed; retrying", "attempt", attempt, "err", err, "retry_in", delay.String())
		_, qerr = n.db.ExecContext(ctx, `UPDATE webhook_outbox SET attempts = ?, next_at = ? WHERE seq = ? AND url = ?`,
			attempt, at.Add(delay).UnixNano(), k.seq, k.url)
	}
	if qerr != nil {
		log.Error("updating the webhook outbox failed", "err", qerr)
	}
}

// retryDelay is the wait after failed attempt number attempt (from 1): base, doubling each
// attempt, at most max.
func retryDelay(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Pending returns how many webhook deliveries are still to be made (outbox rows).
func (n *Notifier) Pending(ctx context.Context) (int, error) {
	var c int
	err := n.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_outbox`).Scan(&c)
	return c, err
}

// LogURL is a webhook URL as logs, delivery records and the configuration's errors show it
// (infra/local names a webhook it refuses so): scheme and host only, the user
// information, path and query (where a receiver's secret is, as the README recommends) replaced
// by "…" (found from outside: every retry's WARN line carried the whole URL), then "#" and the
// first 8 hex digits of the URL's SHA-256, which tell two webhooks of one host apart
// ("http://127.0.0.1:9000/…#3f2a9c1b"; `printf %s URL | sha256sum` gives it).
func LogURL(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	id := "#" + hex.EncodeToString(sum[:4])
	u, err := neturl.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a webhook URL)" + id
	}
	out := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		out += "/…"
	}
	return out + id
}

// post POSTs body to url with num, the number receivers deduplicate on, as
// X-Ream-Notification-Seq.
func (n *Notifier) post(num int64, url string, body []byte) (int, error) {
	status, err := n.postTo(num, url, body)
	var uerr *neturl.Error
	if errors.As(err, &uerr) {
		uerr.URL = LogURL(url) // the client's errors repeat the URL, path and query included
	}
	return status, err
}

func (n *Notifier) postTo(num int64, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ream-notifier")
	// Receivers deduplicate retried deliveries by this number.
	req.Header.Set("X-Ream-Notification-Seq", strconv.FormatInt(num, 10))
	resp, err := n.cfg.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return resp.StatusCode, fmt.Errorf("webhook answered %s: redirects are not followed (configure the URL it redirects to)", resp.Status)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

func (n *Notifier) record(d Delivery) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Recorded only while the notification exists: its job may have expired during the POST.
	if _, err := n.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (seq, url, attempt, status_code, error, time)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM notifications WHERE seq = ?)`,
		d.Seq, d.URL, d.Attempt, d.StatusCode, d.Error, d.Time.UnixNano(), d.Seq); err != nil {
		n.log.Error("recording a webhook delivery failed", "seq", d.Seq, "err", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Subscribe returns a channel of the tenant's events (every tenant's when tenant is empty) and
// a cancel func that ends the subscription and closes the channel. Sends never block: when the
// buffer (SubscriberBuffer) is full the event is dropped for this subscriber, which notices a
// gap in Seq and catches up with Since. Close also closes every subscription's channel.
func (n *Notifier) Subscribe(tenant string) (<-chan Event, func()) {
	s := &subscription{tenant: tenant, ch: make(chan Event, SubscriberBuffer)}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	n.subs[s] = struct{}{}
	return s.ch, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if _, ok := n.subs[s]; ok {
			delete(n.subs, s)
			close(s.ch)
		}
	}
}

// SinceLimit bounds how many events one Since call returns.
const SinceLimit = 1000

// ForJob returns the first persisted notification of the tenant's job, if any.
func (n *Notifier) ForJob(ctx context.Context, tenant, jobID string) (Event, bool, error) {
	var ev Event
	var body []byte
	err := n.db.QueryRowContext(ctx, `SELECT seq, body FROM notifications WHERE tenant = ? AND job = ? ORDER BY seq LIMIT 1`, tenant, jobID).Scan(&ev.Seq, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return ev, false, nil
	}
	if err != nil {
		return ev, false, fmt.Errorf("notification of job %s: %w", jobID, err)
	}
	if err := json.Unmarshal(body, &ev.Notification); err != nil {
		return ev, false, fmt.Errorf("notification %d: %w", ev.Seq, err)
	}
	return ev, true, nil
}

// Since returns the tenant's persisted events (every tenant's when tenant is empty) with a
// sequence number greater than seq, oldest first, at most SinceLimit of them.
func (n *Notifier) Since(ctx context.Context, tenant string, seq int64) ([]Event, error) {
	rows, err := n.db.QueryContext(ctx, `SELECT seq, body FROM notifications WHERE seq > ? AND (? = '' OR tenant = ?) ORDER BY seq LIMIT ?`,
		seq, tenant, tenant, SinceLimit)
	if err != nil {
		return nil, fmt.Errorf("notifications since %d: %w", seq, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var body []byte
		if err := rows.Scan(&ev.Seq, &body); err != nil {
			return nil, fmt.Errorf("notifications since %d: %w", seq, err)
		}
		if err := json.Unmarshal(body, &ev.Notification); err != nil {
			return nil, fmt.Errorf("notification %d: %w", ev.Seq, err)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// Deliveries returns the recorded webhook delivery attempts for event seq, in order.
func (n *Notifier) Deliveries(ctx context.Context, seq int64) ([]Delivery, error) {
	rows, err := n.db.QueryContext(ctx, `SELECT seq, url, attempt, status_code, error, time FROM webhook_deliveries WHERE seq = ? ORDER BY id`, seq)
	if err != nil {
		return nil, fmt.Errorf("deliveries of %d: %w", seq, err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var at int64
		if err := rows.Scan(&d.Seq, &d.URL, &d.Attempt, &d.StatusCode, &d.Error, &at); err != nil {
			return nil, fmt.Errorf("deliveries of %d: %w", seq, err)
		}
		d.Time = time.Unix(0, at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// closeGrace bounds how long Close waits for the webhook POSTs in flight.
const closeGrace = 2 * time.Second

// Close stops accepting notifications, closes the subscriptions and stops making webhook
// attempts. It waits for the POSTs in flight to be answered and recorded, at most closeGrace or
// until ctx is done, then stops the dispatcher, abandoning the POSTs still in flight (those
// attempts do not count). It does not wait for the deliveries still to be made, due or waiting
// in a retry's backoff: they stay in the outbox and resume at the next start with their remaining
// attempts. It returns ctx's error if ctx ended while POSTs were in flight. The database stays
// open.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		for s := range n.subs {
			delete(n.subs, s)
			close(s.ch)
		}
	}
	n.mu.Unlock()
	// No attempt starts once closed is set (startDue checks it under n.mu), so posts only
	// counts down from here.
	done := make(chan struct{})
	go func() {
		n.posts.Wait()
		close(done)
	}()
	var err error
	grace := time.NewTimer(closeGrace)
	select {
	case <-done:
	case <-grace.C:
	case <-ctx.Done():
	}
	grace.Stop()
	select {
	case <-done:
	default:
		n.mu.Lock()
		inflight := len(n.inflight)
		n.mu.Unlock()
		n.log.Warn("webhook POSTs in flight abandoned; they are made again at the next start", "in_flight", inflight)
		err = ctx.Err()
	}
	n.cancel()
	n.wg.Wait()
	<-done
	return err
}
