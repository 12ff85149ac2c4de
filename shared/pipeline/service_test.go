package pipeline

import (
	"testing"
	"time"
)

// TestCodingRetentionDefaultWithinRetention: left unset, a coding operation is kept 24 hours or
// the deployment's retention when that is shorter, on every stack (the rule was the local
// config's alone: a Lambda's environment with REAM_RETENTION=2h kept coding operations 24 hours,
// longer than any job may be kept).
func TestCodingRetentionDefaultWithinRetention(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want int
	}{
		{Config{}, 24},
		{Config{Retention: 2 * time.Hour}, 2},
		{Config{Retention: 48 * time.Hour}, 24},
		{Config{Retention: 90 * time.Minute}, 1},
		{Config{Retention: 2 * time.Hour, CodingRetentionHours: 1}, 1},
		{Config{CodingRetentionHours: 72}, 72},
	} {
		if got := c.cfg.withDefaults().CodingRetentionHours; got != c.want {
			t.Errorf("Retention %v, CodingRetentionHours %d: the default is %d hours; want %d", c.cfg.Retention, c.cfg.CodingRetentionHours, got, c.want)
		}
	}
}

// TestRecent: a stamp is recent while less than d old, and also while less than d ahead of the
// clock (two machines' clocks differ a little); d or more ahead it was written by a clock since
// set back, and is not (a claim or a last progress there held the sweeper for as long as the
// clock had been ahead).
func TestRecent(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	const d = 2 * time.Minute
	for _, c := range []struct {
		at   time.Duration // the stamp, relative to now
		want bool
	}{
		{0, true}, {-d + time.Nanosecond, true}, {-d, false}, {-time.Hour, false},
		{5 * time.Millisecond, true}, {d - time.Nanosecond, true}, {d, false}, {30 * 24 * time.Hour, false},
	} {
		if got := recent(now.Add(c.at), now, d); got != c.want {
			t.Errorf("recent(now%+v, now, %v) = %v, want %v", c.at, d, got, c.want)
		}
	}
}
