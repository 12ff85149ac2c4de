package main

import (
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

func TestRateETA(t *testing.T) {
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	eta := now.Add(2*time.Minute + 10*time.Second)
	for _, tc := range []struct {
		d    job.Details
		want string
	}{
		{job.Details{}, ""},
		{job.Details{DocumentsPerSecond: new(1234.4)}, "  1234 docs/s"},
		{job.Details{DocumentsPerSecond: new(50.0), EstimatedCompletionTime: &eta}, "  50 docs/s  ETA 2m10s (" + eta.Local().Format("15:04:05") + ")"},
	} {
		if got := rateETA(tc.d, now); got != tc.want {
			t.Errorf("rateETA(%+v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
