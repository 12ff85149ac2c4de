package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ream-dev/ream/shared/job"
	"modernc.org/sqlite" // registers the "sqlite" driver (pure Go)
)

// migrations are applied in order by OpenDB; each is idempotent. Times are Unix nanoseconds.
var migrations = []string{
	`CREATE TABLE IF NOT EXISTS jobs (
		tenant       TEXT    NOT NULL,
		id           TEXT    NOT NULL,
		name         TEXT    NOT NULL DEFAULT '',
		status       TEXT    NOT NULL,
		submit_time  INTEGER NOT NULL,
		version      INTEGER NOT NULL,
		client_token TEXT,
		body         BLOB    NOT NULL,
		PRIMARY KEY (tenant, id)
	)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS jobs_client_token ON jobs (tenant, client_token) WHERE client_token IS NOT NULL`,
	`CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (tenant, submit_time DESC, id DESC)`,
	`CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, tenant, id)`,
	// List's JobStatus and JobName filters: a page reads the tenant's jobs of that status or
	// name in the listing's order, not every job of the tenant (TestListQueryUsesIndex).
	`CREATE INDEX IF NOT EXISTS jobs_by_tenant_status ON jobs (tenant, status, submit_time DESC, id DESC)`,
	`CREATE INDEX IF NOT EXISTS jobs_by_tenant_name ON jobs (tenant, name, submit_time DESC, id DESC)`,
	`CREATE TABLE IF NOT EXISTS shards (
		tenant TEXT    NOT NULL,
		job    TEXT    NOT NULL,
		shard  INTEGER NOT NULL,
		body   BLOB    NOT NULL,
		PRIMARY KEY (tenant, job, shard)
	)`,
	// The documents a job recorded in each 10-second bucket (unix seconds / 10) of its records'
	// Recorded times, added by RecordShard with the record: JobDetails.RecentDocuments sums the
	// buckets of the last job.RateWindow, a few rows whatever the number of shards (the
	// DynamoDB adapter keeps the same buckets on its counter items).
	`CREATE TABLE IF NOT EXISTS job_rate (
		tenant    TEXT    NOT NULL,
		job       TEXT    NOT NULL,
		bucket    INTEGER NOT NULL,
		documents INTEGER NOT NULL,
		PRIMARY KEY (tenant, job, bucket)
	)`,
	// Replaced by job_rate: summing records through it cost a JSON parse per shard recorded in
	// the last minute, on every Get (quadratic in a job of many small shards).
	`DROP INDEX IF EXISTS shards_by_recorded`,
	`CREATE TABLE IF NOT EXISTS messages (
		seq           INTEGER PRIMARY KEY AUTOINCREMENT,
		id            TEXT    NOT NULL UNIQUE,
		queue         TEXT    NOT NULL,
		body          BLOB    NOT NULL,
		visible_at    INTEGER NOT NULL,
		receive_count INTEGER NOT NULL DEFAULT 0,
		receipt       TEXT,
		sent_at       INTEGER NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at, seq)`,
	// The messages received maxReceive times or more, which Receive moves to the dead-letter
	// queue: found by their count, not by scanning every visible message of the queue on every
	// receive (quadratic in a job of thousands of shards).
	`CREATE INDEX IF NOT EXISTS messages_by_receives ON messages (queue, receive_count, visible_at)`,
	`CREATE INDEX IF NOT EXISTS messages_receipt ON messages (receipt) WHERE receipt IS NOT NULL`,
	`CREATE TABLE IF NOT EXISTS notifications (
		seq    INTEGER PRIMARY KEY AUTOINCREMENT,
		tenant TEXT    NOT NULL,
		job    TEXT    NOT NULL,
		body   BLOB    NOT NULL,
		time   INTEGER NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS notifications_by_tenant ON notifications (tenant, seq)`,
	`CREATE INDEX IF NOT EXISTS notifications_by_job ON notifications (tenant, job, seq)`,
	`CREATE TABLE IF NOT EXISTS webhook_deliveries (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		seq         INTEGER NOT NULL,
		url         TEXT    NOT NULL,
		attempt     INTEGER NOT NULL,
		status_code INTEGER NOT NULL,
		error       TEXT    NOT NULL DEFAULT '',
		time        INTEGER NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS webhook_deliveries_by_seq ON webhook_deliveries (seq, id)`,
	// The webhook outbox: one row per (notification, webhook) still to be delivered, written in
	// the same transaction as the notification and deleted when delivered or given up, so a
	// restarted process resumes every pending delivery with its remaining attempts.
	`CREATE TABLE IF NOT EXISTS webhook_outbox (
		seq      INTEGER NOT NULL,
		url      TEXT    NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		next_at  INTEGER NOT NULL,
		PRIMARY KEY (seq, url)
	)`,
	`CREATE INDEX IF NOT EXISTS webhook_outbox_due ON webhook_outbox (next_at)`,
	// Each webhook URL's count of the notifications queued for it, which numbers its deliveries
	// (webhook_outbox.num): the global seq would tell a tenant's receiver how many other tenants'
	// jobs ended between two of its own. The row of url '' (no webhook's URL) is the floor every
	// count starts above: the last global seq when the table was made, the highest number a
	// receiver can have been sent before.
	`CREATE TABLE IF NOT EXISTS webhook_counters (
		url  TEXT    NOT NULL PRIMARY KEY,
		last INTEGER NOT NULL
	)`,
	`INSERT OR IGNORE INTO webhook_counters (url, last)
		SELECT '', COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'notifications'), 0)`,
	// Each webhook's due rows, in order (the dispatcher reads every webhook's own).
	`CREATE INDEX IF NOT EXISTS webhook_outbox_url_due ON webhook_outbox (url, next_at, seq)`,
	// The model registry: one row per model; a shipped model has tenant ''. The unique index is
	// the rule "one model per (tenant, topic, version)" and serves List's lookups too. metrics
	// holds the model's Metrics byte for byte (NULL when it has none).
	`CREATE TABLE IF NOT EXISTS models (
		id      TEXT    NOT NULL PRIMARY KEY,
		tenant  TEXT    NOT NULL,
		topic   TEXT    NOT NULL,
		version INTEGER NOT NULL,
		metrics BLOB,
		body    BLOB    NOT NULL
	)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS models_version ON models (topic, tenant, version)`,
	// Fair delivery (see Queue): each queue's virtual clock, the tag of the latest message
	// delivered, and each message group's last tag, kept while it is ahead of the clock.
	`CREATE TABLE IF NOT EXISTS queue_clock (
		queue  TEXT    NOT NULL PRIMARY KEY,
		vclock INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS queue_groups (
		queue    TEXT    NOT NULL,
		grp      TEXT    NOT NULL,
		last_tag INTEGER NOT NULL,
		PRIMARY KEY (queue, grp)
	)`,
	// The sweeper's state between its runs (Jobs.GetSweepState, PutSweepState): one row per
	// resumable pass, its version the optimistic-concurrency token of overlapping runs.
	`CREATE TABLE IF NOT EXISTS sweep_state (
		name    TEXT    NOT NULL PRIMARY KEY,
		version INTEGER NOT NULL,
		body    BLOB    NOT NULL
	)`,
}

// columns are added to tables created before them, when absent (SQLite's ADD COLUMN has no IF
// NOT EXISTS); indexes lists the indexes on them, created after.
var (
	columns = []struct{ table, name, decl, fill string }{
		// A message's fair-delivery tag (see Queue); 0 for messages queued before it existed,
		// which are delivered first.
		{"messages", "fair_tag", "INTEGER NOT NULL DEFAULT 0", ""},
		// A delivery's number among its webhook URL's (see webhook_counters); NULL for
		// deliveries queued before it existed, which keep their notification's global seq.
		{"webhook_outbox", "num", "INTEGER", ""},
		// 1 for a job in a terminal status whose notification is not yet published (Notified
		// false), which every sweep reads (Jobs.ScanUnnotified) through jobs_unnotified; set by
		// Create and Update, and filled from the stored jobs when the column is added.
		{"jobs", "unnotified", "INTEGER NOT NULL DEFAULT 0", `UPDATE jobs SET unnotified = 1
			WHERE status IN ('COMPLETED', 'PARTIAL_SUCCESS', 'FAILED', 'STOPPED', 'TIMED_OUT')
			AND COALESCE(json_extract(CAST(body AS TEXT), '$.hidden.Notified'), 0) = 0`},
	}
	indexes = []string{
		`CREATE INDEX IF NOT EXISTS messages_fair ON messages (queue, fair_tag, seq)`,
		`CREATE INDEX IF NOT EXISTS jobs_unnotified ON jobs (tenant, id) WHERE unnotified = 1`,
	}
)

// OpenDB opens (creating if needed) the SQLite database at path and applies the migrations. The
// database runs in WAL mode with a busy timeout, and every transaction begins IMMEDIATE (takes
// the write lock up front), so concurrent writers queue up instead of failing. Share the one
// *sql.DB among all adapters of a data directory, and close it when done.
//
// path must be a file: an in-memory database would be one per connection.
func OpenDB(path string) (*sql.DB, error) {
	if path == "" || strings.Contains(path, "?") || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open database %q: a plain file path is required: %w", path, job.ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// The database holds the webhooks' URLs (a secret path or token in one included) and every
	// job's record: created readable by the server's user alone, as its secret and oauth.key
	// are (found from outside: it was 0644 under the usual umask; SQLite gives its -wal and
	// -shm files the database's mode). An empty file is an empty database to SQLite.
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	// Opened here first so that a file the server may not write (another user's, a read-only
	// file system, a folder of that name) is refused naming it and why: SQLite said only
	// "unable to open database file (14)" (found from outside, running as another user).
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, storageError("open database", err)
	}
	f.Close()
	// secure_delete: a deleted row's bytes are overwritten with zeros rather than left in the
	// page's free space or on the freelist, where an expired job's record (its name, tags, file
	// names, Message) and notification stayed in ream.db after Delete until SQLite happened to
	// reuse the space, on a quiet server for good (found by the data-lifecycle audit). The WAL's
	// older frames still hold them until ScrubDeleted checkpoints and truncates it.
	dsn := path + "?_busy_timeout=30000&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&_foreign_keys=on&_pragma=secure_delete(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := Migrate(context.Background(), db); err != nil {
		db.Close()
		return nil, storageError("open database "+path, err)
	}
	return db, nil
}

// ScrubDeleted leaves no copy of what was deleted from the database: it checkpoints the WAL into
// ream.db (whose pages secure_delete has zeroed where rows were deleted) and truncates it, since
// the WAL's frames hold the pages as they were before each write, deleted rows included, until
// SQLite writes over them, which on a quiet server may be never. It waits, as every write does,
// for the transactions under way (up to the busy timeout), and is an error when readers kept
// the WAL from being checkpointed whole: the next call does it.
func ScrubDeleted(ctx context.Context, db *sql.DB) error {
	var busy, logFrames, checkpointed int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("checkpoint the database: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint the database: %d of %d frames checkpointed, readers kept the rest", checkpointed, logFrames)
	}
	return nil
}

// SQLite's primary result codes that say the storage failed, not the statement
// (https://sqlite.org/rescode.html); an extended code holds its primary one in its low byte.
const (
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteNotADB   = 26
)

// FullAdvice is what the operator must do when the data directory's file system is full
// (IsFull): StorageAdvice's words for it.
const FullAdvice = "the data directory's file system is full: free space on it"

// StorageAdvice says what the operator must do about err when it comes from the data
// directory's storage rather than from a request: its file system full, the database damaged,
// its files not the server's user's to write, a disk error. It is "" for any other error.
// OpenDB adds it to its errors, and the local stack to its log lines about the queue.
func StorageAdvice(err error) string {
	code := sqlitePrimaryCode(err)
	switch {
	case IsFull(err):
		return FullAdvice
	case code == sqliteCorrupt || code == sqliteNotADB:
		return "the database ream.db is damaged: restore the data directory from a copy taken while ream serve was stopped, or move it aside and start on an empty one"
	case code == sqliteReadOnly || code == sqliteCantOpen || errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS):
		return "ream serve cannot write its data directory: run it as the user that owns the directory and its files, on a writable file system"
	case code == sqliteIOErr:
		return "the data directory's storage failed (a file system that is full or read-only fails so too): check it"
	}
	return ""
}

// IsFull reports whether err says that the data directory's file system (or the database on
// it) has no room left, or the user running the server no quota left on it.
func IsFull(err error) bool {
	return sqlitePrimaryCode(err) == sqliteFull || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// sqlitePrimaryCode is the primary result code of the SQLite error in err's chain (the low
// byte of an extended code), 0 when there is none.
func sqlitePrimaryCode(err error) int {
	if se := (*sqlite.Error)(nil); errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// storageError is err after what, followed by what the operator must do (StorageAdvice).
func storageError(what string, err error) error {
	if advice := StorageAdvice(err); advice != "" {
		return fmt.Errorf("%s: %w: %s", what, err, advice)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// SchemaVersion is the version of the data directory's format this release writes, stamped in
// ream.db (SQLite's user_version) by Migrate. A database stamped with a later version was used by
// a later release, which may have stored what this one would misread (a job record whose fields
// moved, a column this release would not keep up to date), so Migrate refuses it rather than run
// on it. Raise it when a release stores something an earlier release would misread; a database
// of 0 (not stamped) comes from a release before the stamp, which is read as before.
//
// Releases before the stamp cannot refuse a database a later release used: found by starting
// one on a data directory this release had run a job in: it read the job's tenant as "", every
// delivery of its shards failed, every sweep failed on it, and it never finished.
const SchemaVersion = 1

// ErrLaterSchema is the error of a database stamped by a later release (see SchemaVersion).
var ErrLaterSchema = errors.New("the data directory was used by a later release of ream")

// Migrate creates the tables the adapters need if they do not exist, and stamps the database
// with SchemaVersion. It refuses a database a later release stamped (ErrLaterSchema), changing
// nothing. OpenDB calls it.
func Migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var stamped int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&stamped); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if stamped > SchemaVersion {
		return fmt.Errorf("%w (data format %d; this release reads formats up to %d): run that release or a later one on it; going back to an earlier release is not supported: restore a copy of the data directory taken before the upgrade, or start on an empty one", ErrLaterSchema, stamped, SchemaVersion)
	}
	for _, m := range migrations {
		if _, err := tx.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	for _, c := range columns {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.name).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.name+` `+c.decl); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			if c.fill != "" {
				if _, err := tx.ExecContext(ctx, c.fill); err != nil {
					return fmt.Errorf("migrate: fill %s.%s: %w", c.table, c.name, err)
				}
			}
		}
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, ix); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if stamped < SchemaVersion {
		// (A pragma takes no bound parameter; the value is this package's constant.)
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// isUnique reports whether err is a uniqueness violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
