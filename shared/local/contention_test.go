package local_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline/porttest"
)

// TestRecordShardContention runs the port's contention scenario (porttest.RecordShardContention:
// a thousand recorders of one job at once, duplicates included) on SQLite. SQLite serialises the
// writers (IMMEDIATE transactions wait in the busy handler, up to the busy timeout), so nothing
// is injected here. The driver does not expose how often the busy handler slept, so the test
// prints the elapsed time and the distribution of call latencies (mostly lock waiting) instead.
func TestRecordShardContention(t *testing.T) {
	report := func(format string, args ...any) {
		t.Helper()
		t.Logf(format, args...)
		fmt.Printf("TestRecordShardContention: "+format+"\n", args...)
	}
	n := porttest.ContentionRecorders(t)
	calls, elapsed := porttest.RecordShardContention(t, local.NewJobs(openDB(t, t.TempDir())), n, nil)

	failed := 0
	took := make([]time.Duration, 0, len(calls))
	for _, c := range calls {
		took = append(took, c.Took)
		if c.Err != nil {
			failed++
		}
	}
	slices.Sort(took)
	pct := func(p int) time.Duration { return took[(len(took)-1)*p/100].Round(time.Microsecond) }
	report("%d shards, %d RecordShard calls (%d duplicates): %v elapsed (%.0f calls/s); call latency p50 %v, p99 %v, max %v",
		n, len(calls), len(calls)-n, elapsed.Round(time.Millisecond), float64(len(calls))/elapsed.Seconds(),
		pct(50), pct(99), pct(100))
	report("recorders that failed: %d of %d (busy-handler retries are not observable through the driver)", failed, len(calls))
}
