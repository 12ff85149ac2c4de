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
