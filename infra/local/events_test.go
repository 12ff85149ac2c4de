package local

import (
	"testing"
	"time"
)

// TestStreamPollEveryShared: the event streams of all tenants together read their jobs at most
// streamReadsPerSecond times a second, each every progressEvery while few are open (found from
// outside: 20 tenants' 100 idle streams each took 1.55 of 2 cores at four reads a second each).
func TestStreamPollEveryShared(t *testing.T) {
	for _, c := range []struct {
		open int32
		want time.Duration
	}{
		{0, progressEvery}, {1, progressEvery}, {100, progressEvery},
		{streamReadsPerSecond / 4, progressEvery},
		{800, 2 * time.Second}, {2000, 5 * time.Second},
	} {
		if got := streamPollEvery(c.open); got != c.want {
			t.Errorf("streamPollEvery(%d) = %v, want %v", c.open, got, c.want)
		}
		if c.open > 0 {
			if reads := float64(c.open) / streamPollEvery(c.open).Seconds(); reads > streamReadsPerSecond {
				t.Errorf("%d streams read %.0f times a second, over %d", c.open, reads, streamReadsPerSecond)
			}
		}
	}
}
