package local

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// Queue is a queue on SQLite with SQS semantics: a received message is hidden for a visibility
// timeout and comes back unless deleted; each delivery gets a fresh receipt handle and only the
// latest one deletes; a message that has been received maxReceive times is moved to the
// dead-letter queue (named name+DeadLetterSuffix) the next time it would be delivered. Many
// queues share one table, told apart by name. All state is in SQLite, so it survives restarts.
//
// Delivery is fair between message groups (a job's shard messages are one group: Send), not
// first come first served: a small job queued behind a job of thousands of shards waits for a
// few of them, not for all (found from outside: 48 s behind another tenant's 1 GB job). Each
// message gets a tag when sent, one more than the larger of its group's last tag and the
// queue's clock (the tag of the latest message delivered); Receive delivers the visible
// messages in tag order (then send order), so the groups waiting take turns, one message
// each, from the moment they arrive (start-time fair queuing, every message counting as one).
// A message delivered again after its visibility timeout keeps its tag and goes first.
type Queue struct {
	db         *sql.DB
	name       string
	maxReceive int
	now        func() time.Time
	stmts      *stmts // shared with its dead-letter queue
}

var _ pipeline.Queue = (*Queue)(nil)

// DeadLetterSuffix is appended to a queue's name to name its dead-letter queue.
const DeadLetterSuffix = "-dlq"

// Message is one delivery of a queued message.
type Message struct {
	ID string
	// Receipt identifies this delivery; pass it to Delete or ChangeVisibility.
	Receipt string
	Body    []byte
	// ReceiveCount counts deliveries, this one included.
	ReceiveCount int
	SentAt       time.Time
}

// NewQueue returns the queue called name on db (from OpenDB). maxReceive > 0 moves a message to
// the dead-letter queue once it has been received that many times; 0 never does. Options:
// WithClock.
func NewQueue(db *sql.DB, name string, maxReceive int, opts ...Option) *Queue {
	c := newConfig(opts)
	return &Queue{db: db, name: name, maxReceive: maxReceive, now: c.now, stmts: newStmts(db)}
}

// Name is the queue's name.
func (q *Queue) Name() string { return q.name }

// DeadLetterQueue returns the queue poison messages are moved to, to consume them (it never
// dead-letters itself).
func (q *Queue) DeadLetterQueue() *Queue {
	return &Queue{db: q.db, name: q.name + DeadLetterSuffix, now: q.now, stmts: q.stmts}
}

// Send implements pipeline.Queue: each message is queued as its JSON, all or none, in its job's
// group (see Queue).
func (q *Queue) Send(ctx context.Context, msgs []pipeline.ShardMessage) error {
	bodies := make([][]byte, len(msgs))
	groups := make([]string, len(msgs))
	for i, m := range msgs {
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("queue %s: encode message: %w", q.name, err)
		}
		bodies[i] = b
		groups[i] = m.Group()
	}
	return q.send(ctx, bodies, groups)
}

// SendRaw queues arbitrary bodies, all or none, visible at once, in one group of their own.
func (q *Queue) SendRaw(ctx context.Context, bodies [][]byte) error {
	return q.send(ctx, bodies, nil)
}

// send queues bodies, the i-th in group groups[i] ("" when groups is nil), tagged for fair
// delivery (see Queue).
func (q *Queue) send(ctx context.Context, bodies [][]byte, groups []string) error {
	if len(bodies) == 0 {
		return nil
	}
	now := q.now().UnixNano()
	st, err := q.stmts.all(ctx, clockQuery, insertQuery, groupTagQuery, groupSetQuery)
	if err != nil {
		return fmt.Errorf("queue %s: send: %w", q.name, err)
	}
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("queue %s: send: %w", q.name, err)
	}
	defer tx.Rollback()
	var clock int64
	if err := tx.StmtContext(ctx, st[0]).QueryRowContext(ctx, q.name).Scan(&clock); err != nil && !isNoRows(err) {
		return fmt.Errorf("queue %s: send: %w", q.name, err)
	}
	last := map[string]int64{}
	stmt, groupTag := tx.StmtContext(ctx, st[1]), tx.StmtContext(ctx, st[2])
	for i, b := range bodies {
		if b == nil {
			b = []byte{}
		}
		g := ""
		if groups != nil {
			g = groups[i]
		}
		tag, seen := last[g]
		if !seen {
			err := groupTag.QueryRowContext(ctx, q.name, g).Scan(&tag)
			if err != nil && !isNoRows(err) {
				return fmt.Errorf("queue %s: send: %w", q.name, err)
			}
		}
		tag = max(tag, clock) + 1
		last[g] = tag
		if _, err := stmt.ExecContext(ctx, randomID(), q.name, b, now, now, tag); err != nil {
			return fmt.Errorf("queue %s: send: %w", q.name, err)
		}
	}
	groupSet := tx.StmtContext(ctx, st[3])
	for g, tag := range last {
		if _, err := groupSet.ExecContext(ctx, q.name, g, tag); err != nil {
			return fmt.Errorf("queue %s: send: %w", q.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("queue %s: send: %w", q.name, err)
	}
	q.signal().wake()
	return nil
}

// Wait returns when a message was sent to the queue (through any Queue value of this process on
// the same database) or after d, whichever comes first: an idle poller sleeps in Wait instead of
// a fixed interval, so a queued shard never waits for a poll while a worker is free.
func (q *Queue) Wait(ctx context.Context, d time.Duration) {
	ch := q.signal().channel()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-ch:
	}
}

// wakeup is a broadcast: wake closes the current channel and starts a new one.
type wakeup struct {
	mu sync.Mutex
	ch chan struct{}
}

func (w *wakeup) channel() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

func (w *wakeup) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.ch)
	w.ch = make(chan struct{})
}

type wakeKey struct {
	db   *sql.DB
	name string
}

var wakeups sync.Map // wakeKey → *wakeup

func (q *Queue) signal() *wakeup {
	w, _ := wakeups.LoadOrStore(wakeKey{q.db, q.name}, &wakeup{ch: make(chan struct{})})
	return w.(*wakeup)
}

// deadLetterQuery moves a queue's visible messages received maxReceive times or more to its
// dead-letter queue, through the messages_by_receives index (TestDeadLetterQueryUsesIndex).
const deadLetterQuery = `UPDATE messages SET queue = ?, visible_at = ?, receipt = NULL
	WHERE queue = ? AND receive_count >= ? AND visible_at <= ?`

// receiveQuery claims up to the limit of a queue's visible messages in fair order (see Queue),
// walking the messages_fair index in that order (TestReceiveQueryUsesIndex): a sort of every
// visible message on each Receive would grow with the queue.
const receiveQuery = `UPDATE messages
	SET visible_at = ?, receive_count = receive_count + 1, receipt = lower(hex(randomblob(16)))
	WHERE seq IN (SELECT seq FROM messages INDEXED BY messages_fair WHERE queue = ? AND visible_at <= ? ORDER BY fair_tag, seq LIMIT ?)
	RETURNING seq, fair_tag, id, receipt, body, receive_count, sent_at`

// The queue's other statements that run for every message (prepared once: stmts).
const (
	// readyQuery tells whether the queue has a visible message, through messages_ready
	// (TestReadyQueryUsesIndex), without the write lock: an idle poller's Receive, which would
	// claim and dead-letter nothing, ends there instead of taking the lock every poll interval
	// (the pollers of the idle queues took it together and made the writers of the busy one wait).
	readyQuery = `SELECT EXISTS (SELECT 1 FROM messages WHERE queue = ? AND visible_at <= ?)`
	// clockSetQuery moves the queue's clock to the latest tag delivered; forgetGroupsQuery
	// forgets the groups no further ahead than the clock (see Receive).
	clockSetQuery = `INSERT INTO queue_clock (queue, vclock) VALUES (?, ?)
			ON CONFLICT (queue) DO UPDATE SET vclock = max(vclock, excluded.vclock)`
	forgetGroupsQuery = `DELETE FROM queue_groups WHERE queue = ?1 AND last_tag <= (SELECT vclock FROM queue_clock WHERE queue = ?1)`
	deleteQuery       = `DELETE FROM messages WHERE queue = ? AND receipt = ?`
	// visibilityQuery and returnQuery are updateDelivery's (ChangeVisibility's and Return's).
	visibilityQuery = `UPDATE messages SET visible_at = ? WHERE queue = ? AND receipt = ?`
	returnQuery     = `UPDATE messages SET visible_at = ?, receive_count = max(receive_count - 1, 0) WHERE queue = ? AND receipt = ?`
	// Send's: the clock, a message, a group's last tag read and set.
	clockQuery    = `SELECT vclock FROM queue_clock WHERE queue = ?`
	insertQuery   = `INSERT INTO messages (id, queue, body, visible_at, receive_count, sent_at, fair_tag) VALUES (?, ?, ?, ?, 0, ?, ?)`
	groupTagQuery = `SELECT last_tag FROM queue_groups WHERE queue = ? AND grp = ?`
	groupSetQuery = `INSERT INTO queue_groups (queue, grp, last_tag) VALUES (?, ?, ?)
			ON CONFLICT (queue, grp) DO UPDATE SET last_tag = excluded.last_tag`
)

// JobBodies returns the bodies of the messages of job jobID of tenant in the queue or its
// dead-letter queue, waiting, in flight or dead-lettered (a whole-table look at the bodies: for a
// restart, not for every request).
func (q *Queue) JobBodies(ctx context.Context, tenant, jobID string) ([][]byte, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT body FROM messages WHERE `+jobMessages, q.jobMessagesArgs(tenant, jobID)...)
	if err != nil {
		return nil, fmt.Errorf("queue %s: job messages: %w", q.name, err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("queue %s: job messages: %w", q.name, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue %s: job messages: %w", q.name, err)
	}
	return out, nil
}

// jobMessages selects the messages of one job in the queue or its dead-letter queue (a
// whole-table look at the bodies), with the arguments jobMessagesArgs gives.
const jobMessages = `queue IN (?, ?) AND instr(body, ?) > 0 AND instr(body, ?) > 0`

func (q *Queue) jobMessagesArgs(tenant, jobID string) []any {
	return []any{q.name, q.name + DeadLetterSuffix, `"jobId":` + strconv.Quote(jobID), `"tenant":` + strconv.Quote(tenant)}
}

// DeleteJob deletes the messages of job jobID of tenant from the queue and its dead-letter
// queue, waiting, in flight or dead-lettered, and returns how many it deleted: for a job deleted
// on request, whose messages name its input (a message in flight is one whose handler ended the
// job and has not yet deleted it; its Delete then deletes nothing, as for any message gone).
func (q *Queue) DeleteJob(ctx context.Context, tenant, jobID string) (int64, error) {
	res, err := q.db.ExecContext(ctx, `DELETE FROM messages WHERE `+jobMessages, q.jobMessagesArgs(tenant, jobID)...)
	if err != nil {
		return 0, fmt.Errorf("queue %s: delete job messages: %w", q.name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("queue %s: delete job messages: %w", q.name, err)
	}
	return n, nil
}

// Waiting is how many messages wait in the queue to be received now (not those in flight).
func (q *Queue) Waiting(ctx context.Context) (int64, error) {
	var n int64
	err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE queue = ? AND visible_at <= ?`, q.name, q.now().UnixNano()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("queue %s: waiting: %w", q.name, err)
	}
	return n, nil
}

// Receive claims up to max visible messages in fair order (by tag, then in sending order: the
// messages_fair index's order, so a receive does not sort the whole queue; see Queue), hiding
// them for visibility, in one transaction. Visible messages already received maxReceive times are moved to the dead-letter
// queue instead. It does not wait for messages to arrive.
func (q *Queue) Receive(ctx context.Context, max int, visibility time.Duration) ([]Message, error) {
	if max <= 0 {
		max = 1
	}
	if visibility < 0 {
		visibility = 0
	}
	now := q.now()
	st, err := q.stmts.all(ctx, readyQuery, deadLetterQuery, receiveQuery, clockSetQuery, forgetGroupsQuery)
	if err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
	}
	// Nothing visible: nothing to dead-letter or to claim either (both take only visible
	// messages), so no transaction. A message made visible just after is the next poll's, as
	// one sent just after the transaction would have been.
	var ready bool
	if err := st[0].QueryRowContext(ctx, q.name, now.UnixNano()).Scan(&ready); err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
	}
	if !ready {
		return []Message{}, nil
	}
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
	}
	defer tx.Rollback()
	// The transaction began IMMEDIATE, holding the write lock: the messages are hidden from now,
	// not from before the wait for it. A deadline taken before a wait longer than visibility
	// (other writers holding the lock on a loaded machine) claimed messages already visible
	// again, which another poller received at once (TestQueueDeadlineAfterLockWait).
	now = q.now()
	if q.maxReceive > 0 {
		if _, err := tx.StmtContext(ctx, st[1]).ExecContext(ctx,
			q.name+DeadLetterSuffix, now.UnixNano(), q.name, q.maxReceive, now.UnixNano()); err != nil {
			return nil, fmt.Errorf("queue %s: dead-letter: %w", q.name, err)
		}
	}
	rows, err := tx.StmtContext(ctx, st[2]).QueryContext(ctx, now.Add(visibility).UnixNano(), q.name, now.UnixNano(), max)
	if err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
	}
	type claimed struct {
		seq, tag int64
		m        Message
	}
	var got []claimed
	for rows.Next() {
		var c claimed
		var sent int64
		if err := rows.Scan(&c.seq, &c.tag, &c.m.ID, &c.m.Receipt, &c.m.Body, &c.m.ReceiveCount, &sent); err != nil {
			rows.Close()
			return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
		}
		c.m.SentAt = time.Unix(0, sent)
		got = append(got, c)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
	}
	sort.Slice(got, func(i, k int) bool {
		return got[i].tag < got[k].tag || got[i].tag == got[k].tag && got[i].seq < got[k].seq
	})
	if len(got) > 0 {
		// The clock moves to the latest tag delivered; a group no further ahead than the clock
		// is forgotten (its next message is tagged from the clock either way).
		if _, err := tx.StmtContext(ctx, st[3]).ExecContext(ctx, q.name, got[len(got)-1].tag); err != nil {
			return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
		}
		if _, err := tx.StmtContext(ctx, st[4]).ExecContext(ctx, q.name); err != nil {
			return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
	}
	out := make([]Message, len(got))
	for i, c := range got {
		out[i] = c.m
	}
	return out, nil
}

// Delete removes the message delivered with receipt. Like SQS, a receipt that is not the
// message's latest (or a message already deleted) is not an error, and deletes nothing.
func (q *Queue) Delete(ctx context.Context, receipt string) error {
	if receipt == "" {
		return fmt.Errorf("queue %s: delete: empty receipt: %w", q.name, job.ErrInvalid)
	}
	st, err := q.stmts.get(ctx, deleteQuery)
	if err == nil {
		_, err = st.ExecContext(ctx, q.name, receipt)
	}
	if err != nil {
		return fmt.Errorf("queue %s: delete: %w", q.name, err)
	}
	return nil
}

// ChangeVisibility makes the message delivered with receipt visible again after d (0: at once).
// It is ErrNotFound when receipt is not the message's latest delivery or the message is gone.
func (q *Queue) ChangeVisibility(ctx context.Context, receipt string, d time.Duration) error {
	return q.updateDelivery(ctx, "change visibility", receipt, visibilityQuery, d)
}

// Return hands the message delivered with receipt back without counting that delivery,
// visible again after d (0: at once): its handler was cut short by something other than the
// message (a clean stop of the process; the data directory's file system full), which must not
// bring it closer to the dead-letter queue. Like ChangeVisibility it is ErrNotFound when receipt
// is not the message's latest delivery or the message is gone.
func (q *Queue) Return(ctx context.Context, receipt string, d time.Duration) error {
	return q.updateDelivery(ctx, "return", receipt, returnQuery, d)
}

// updateDelivery runs update (visibilityQuery or returnQuery, whose arguments are the time the
// message is visible again, the queue and the receipt) on the message delivered with receipt,
// visible again d (at least 0) after the update holds the write lock; ErrNotFound when receipt
// is not the message's latest delivery or it is gone. As Receive's, the deadline is taken once
// the lock is held: taken before a long wait for it, an extension of a running message's
// visibility could leave it already visible (TestQueueDeadlineAfterLockWait).
func (q *Queue) updateDelivery(ctx context.Context, op, receipt, update string, d time.Duration) error {
	st, err := q.stmts.get(ctx, update)
	if err != nil {
		return fmt.Errorf("queue %s: %s: %w", q.name, op, err)
	}
	tx, err := q.db.BeginTx(ctx, nil) // IMMEDIATE: the write lock is held from here
	if err != nil {
		return fmt.Errorf("queue %s: %s: %w", q.name, op, err)
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, st).ExecContext(ctx, q.now().Add(max(d, 0)).UnixNano(), q.name, receipt)
	if err != nil {
		return fmt.Errorf("queue %s: %s: %w", q.name, op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("queue %s: %s: %w", q.name, op, err)
	} else if n == 0 {
		return fmt.Errorf("queue %s: %s: receipt is not current: %w", q.name, op, job.ErrNotFound)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("queue %s: %s: %w", q.name, op, err)
	}
	return nil
}

// DeadLetters lists the messages in the dead-letter queue without receiving them. Receipt is
// empty; consume them through DeadLetterQueue.
func (q *Queue) DeadLetters(ctx context.Context) ([]Message, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, body, receive_count, sent_at FROM messages WHERE queue = ? ORDER BY seq`, q.name+DeadLetterSuffix)
	if err != nil {
		return nil, fmt.Errorf("queue %s: dead letters: %w", q.name, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var sent int64
		if err := rows.Scan(&m.ID, &m.Body, &m.ReceiveCount, &sent); err != nil {
			return nil, fmt.Errorf("queue %s: dead letters: %w", q.name, err)
		}
		m.SentAt = time.Unix(0, sent)
		out = append(out, m)
	}
	return out, rows.Err()
}

// QueueStats counts a queue's messages.
type QueueStats struct {
	Visible  int // could be received now
	InFlight int // received and hidden
}

// Stats counts the queue's messages.
func (q *Queue) Stats(ctx context.Context) (QueueStats, error) {
	var s QueueStats
	now := q.now().UnixNano()
	err := q.db.QueryRowContext(ctx, `SELECT
		coalesce(sum(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN visible_at > ? THEN 1 ELSE 0 END), 0)
		FROM messages WHERE queue = ?`, now, now, q.name).Scan(&s.Visible, &s.InFlight)
	if err != nil {
		return s, fmt.Errorf("queue %s: stats: %w", q.name, err)
	}
	return s, nil
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
