package local

import (
	"testing"
	"time"
)

// TestWebhookRetryWindow: the default retries keep a delivery alive for about a day (the README
// says so), every wait is between the base and the cap, and a long schedule never overflows.
func TestWebhookRetryWindow(t *testing.T) {
	var total time.Duration
	prev := time.Duration(0)
	for a := 1; a < DefaultWebhookAttempts; a++ {
		d := retryDelay(time.Second, DefaultWebhookMaxBackoff, a)
		if d < time.Second || d > DefaultWebhookMaxBackoff || d < prev {
			t.Fatalf("attempt %d: wait %v (previous %v)", a, d, prev)
		}
		prev = d
		total += d
	}
	if total < 23*time.Hour || total > 26*time.Hour {
		t.Errorf("default retries span %v, want about 24 hours", total)
	}
	if d := retryDelay(200*time.Millisecond, 10*time.Second, 1000); d != 10*time.Second {
		t.Errorf("attempt 1000: %v, want the cap", d)
	}
}
