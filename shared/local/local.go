// Package local holds the embedded adapters of Ream's ports: a job store and an SQS-like queue
// on SQLite (pure Go, modernc.org/sqlite), an object store on files under a data directory with
// HMAC-signed expiring URLs, and a notifier that fans out to in-process subscribers and
// webhooks. Together they let the whole pipeline run on one machine with no AWS at all.
//
// One data directory holds one SQLite database (see OpenDB); every adapter shares its *sql.DB.
// All state lives in SQLite or in files, so a restarted process picks up where it left off.
package local

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Option configures an adapter. Options that do not apply to an adapter are ignored by it.
type Option func(*config)

type config struct {
	now        func() time.Time
	maxUpload  int64
	client     *http.Client
	attempts   int
	backoff    time.Duration
	maxBackoff time.Duration
	log        *slog.Logger
	putGuard   func(ctx context.Context, key string) error
	beside     bool
	held       bool
}

func newConfig(opts []Option) config {
	c := config{
		now:        time.Now,
		maxUpload:  5 << 30, // S3's single-PUT limit
		client:     &http.Client{Timeout: 30 * time.Second, CheckRedirect: noRedirects},
		attempts:   DefaultWebhookAttempts,
		backoff:    time.Second,
		maxBackoff: DefaultWebhookMaxBackoff,
		log:        slog.Default(),
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithClock replaces time.Now (tests move time forward with it). Used by every adapter.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxUploadSize bounds the body of a presigned PUT (Objects.Handler answers 413 above it).
// The default is 5 GiB.
func WithMaxUploadSize(n int64) Option { return func(c *config) { c.maxUpload = n } }

// noRedirects makes a webhook's redirect its answer (a failed attempt): following it would send
// the notification elsewhere, or (302, 303) drop its body and count the GET's 200 as delivered
// (found from outside).
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Default webhook retries: waits of 1 s doubling up to 5 minutes, 300 attempts in all, so a
// receiver that is down (restarting, redeployed, offline for the night) gets the notification
// when it is back within about 24 hours.
const (
	DefaultWebhookAttempts   = 300
	DefaultWebhookMaxBackoff = 5 * time.Minute
)

// WithRetry sets how webhook deliveries are retried: attempts in all, waiting base after the
// first failure and doubling up to max. The default is DefaultWebhookAttempts, 1 s,
// DefaultWebhookMaxBackoff.
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(c *config) { c.attempts, c.backoff, c.maxBackoff = attempts, base, max }
}

// WithPutGuard is consulted by Objects.Handler before it accepts a presigned PUT of key (after
// the signature is checked) and again once its body arrived. An error wrapping job.ErrConflict
// refuses the upload with 409 and the error's text; any other error means the guard could not
// decide (its store did not answer), and the upload is answered 503, which S3 clients retry,
// rather than let through unchecked. The local stack uses it to refuse uploads to a job whose
// input already arrived.
func WithPutGuard(guard func(ctx context.Context, key string) error) Option {
	return func(c *config) { c.putGuard = guard }
}

// BesideServer opens an object store that a running `ream serve` may be writing at the same
// time (`ream keys` on its data directory): the temporary files under objects/ are then its
// writes in flight, not a crash's leftovers, and are left alone (NewObjects removes them
// otherwise; found in review: `ream keys issue` beside a working server deleted them, and the
// server's uploads and shard writes in flight failed at their rename).
func BesideServer() Option { return func(c *config) { c.beside = true } }

// HoldDeliveries makes a Notifier start its webhook dispatcher only at StartDeliveries, not
// as it is created: the local stack resumes a previous run's pending deliveries only once its
// first sweep has expired the jobs whose retention ended while it was down, whose deliveries go
// with them.
func HoldDeliveries() Option { return func(c *config) { c.held = true } }

// WithLogger sets the structured logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }
