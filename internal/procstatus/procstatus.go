// Package procstatus reads a process's memory figures from Linux's /proc/<pid>/status, for the
// tests that measure what a function or job holds resident (VmHWM, the peak; VmRSS, now).
package procstatus

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// KB returns field (e.g. "VmHWM", "VmRSS": kB) of process pid's status ("self" for this one).
func KB(pid, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%s/status: %q: %w", pid, line, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("/proc/%s/status has no %s", pid, field)
}

// ResetPeak sets this process's VmHWM back to its resident memory now (clear_refs 5), so that
// the next reading is the peak of what ran in between.
func ResetPeak() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
