package local

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ream-dev/ream/shared/pipeline"
)

// Webhook is an HTTP endpoint notifications are POSTed to, as JSON.
type Webhook struct {
	URL string
	// Tenant limits the webhook to one tenant's jobs; empty means every tenant.
	Tenant string
}

// Event is a persisted notification with its sequence number (increasing, unique per database).
type Event struct {
	Seq int64
	pipeline.Notification
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

// Notifier is the local topic: Publish persists each notification in SQLite, then hands it to
// in-process subscribers (non-blocking; a slow subscriber misses events and catches up with
// Since) and POSTs it to matching webhooks in the background, retrying with exponential backoff.
// Each attempt is recorded (see Deliveries). Deliveries still pending when the process stops are
// not resumed: subscribers and webhook receivers that must not miss events use Since.
type Notifier struct {
	db  *sql.DB
	cfg config
	log *slog.Logger

	hooks []Webhook

	mu     sync.Mutex
	closed bool
	subs   map[*subscription]struct{}

	wg     sync.WaitGroup
	ctx    context.Context // cancelled by Close to abandon deliveries
	cancel context.CancelFunc
}

var _ pipeline.Notifier = (*Notifier)(nil)

type subscription struct {
	tenant string
	ch     chan Event
}

// SubscriberBuffer is how many events a subscriber may fall behind before it misses some.
const SubscriberBuffer = 64

// NewNotifier returns the notifier on db (from OpenDB). Options: WithHTTPClient, WithRetry,
// WithClock, WithLogger.
func NewNotifier(db *sql.DB, webhooks []Webhook, opts ...Option) *Notifier {
	c := newConfig(opts)
	if c.attempts < 1 {
		c.attempts = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Notifier{
		db: db, cfg: c, log: c.log,
		hooks:  append([]Webhook(nil), webhooks...),
		subs:   map[*subscription]struct{}{},
		ctx:    ctx,
		cancel: cancel,
	}
}

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("notifier closed")

// Publish implements pipeline.Notifier. It returns once the notification is persisted;
// webhook deliveries continue in the background.
func (n *Notifier) Publish(ctx context.Context, note pipeline.Notification) error {
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
	var seq int64
	err = n.db.QueryRowContext(ctx, `INSERT INTO notifications (tenant, job, body, time) VALUES (?, ?, ?, ?) RETURNING seq`,
		note.Tenant, note.JobId, body, note.Time.UnixNano()).Scan(&seq)
	if err != nil {
		return fmt.Errorf("publish %s: %w", note.JobId, err)
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
	if n.closed {
		return nil // closed meanwhile: persisted, but no new deliveries
	}
	for _, h := range n.hooks {
		if h.Tenant != "" && h.Tenant != note.Tenant {
			continue
		}
		n.wg.Add(1)
		go n.deliver(seq, h.URL, body)
	}
	return nil
}

func (n *Notifier) deliver(seq int64, url string, body []byte) {
	defer n.wg.Done()
	delay := n.cfg.backoff
	for attempt := 1; ; attempt++ {
		status, err := n.post(seq, url, body)
		n.record(Delivery{Seq: seq, URL: url, Attempt: attempt, StatusCode: status, Error: errString(err), Time: n.cfg.now()})
		if err == nil {
			n.log.Info("webhook delivered", "seq", seq, "url", url, "attempt", attempt)
			return
		}
		if attempt >= n.cfg.attempts {
			n.log.Error("webhook delivery abandoned", "seq", seq, "url", url, "attempts", attempt, "err", err)
			return
		}
		n.log.Warn("webhook delivery failed; retrying", "seq", seq, "url", url, "attempt", attempt, "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-n.ctx.Done():
			t.Stop()
			return
		}
		if delay *= 2; delay > n.cfg.maxBackoff {
			delay = n.cfg.maxBackoff
		}
	}
}

func (n *Notifier) post(seq int64, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ream-notifier")
	// Receivers deduplicate retried deliveries by this sequence number.
	req.Header.Set("X-Ream-Notification-Seq", strconv.FormatInt(seq, 10))
	resp, err := n.cfg.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

func (n *Notifier) record(d Delivery) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (seq, url, attempt, status_code, error, time) VALUES (?, ?, ?, ?, ?, ?)`,
		d.Seq, d.URL, d.Attempt, d.StatusCode, d.Error, d.Time.UnixNano()); err != nil {
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

// Close stops accepting notifications, closes the subscriptions and waits for in-flight webhook
// deliveries (retries included) until ctx is done; then it abandons them and returns ctx's
// error. The database stays open.
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
	done := make(chan struct{})
	go func() {
		n.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		n.cancel()
		return nil
	case <-ctx.Done():
		n.cancel()
		<-done
		return ctx.Err()
	}
}
