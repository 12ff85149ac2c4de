//go:build !unix

package evaltest

import "time"

// ProcessCPUTime is not available here: it reports false.
func ProcessCPUTime() (time.Duration, bool) { return 0, false }
