package procstatus

import (
	"os"
	"strconv"
	"testing"
)

// TestKB: this process's peak and resident memory read back as positive kB, also after
// ResetPeak; an unknown field is an error.
func TestKB(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc (not linux)")
	}
	if err := ResetPeak(); err != nil {
		t.Skipf("clear_refs: %v", err)
	}
	for _, pid := range []string{"self", strconv.Itoa(os.Getpid())} {
		hwm, err1 := KB(pid, "VmHWM")
		rss, err2 := KB(pid, "VmRSS")
		if err1 != nil || err2 != nil || rss <= 0 || hwm <= 0 {
			t.Errorf("%s: VmHWM %d (%v), VmRSS %d (%v)", pid, hwm, err1, rss, err2)
		}
	}
	if _, err := KB("self", "VmNothing"); err == nil {
		t.Error("VmNothing: no error")
	}
}
