// Package porttest is the conformance suite for the pipeline ports. Each exported Test function
// runs the same assertions against any implementation of one port, so the embedded adapters
// (shared/local) and the AWS adapters (shared/aws, against emulators) are held to one contract:
//
//	func TestObjects(t *testing.T) { porttest.TestObjects(t, newObjects, client) }
//
// The suites never assert that something happens within a deadline; where the contract involves
// time (visibility timeouts, URL expiry) they either move a controllable clock forward (see
// TimeTraveler) or sleep just past the moment and then poll with a generous liveness bound.
package porttest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"
)

// TimeTraveler is implemented, optionally, by an implementation under test whose clock the suite
// may move forward instead of sleeping. The local adapters' tests wrap them with a fake clock;
// adapters talking to real services (or emulators) do not implement it and the suite sleeps.
type TimeTraveler interface {
	Advance(d time.Duration)
}

// passTime lets d elapse for the implementation under test: it advances the implementation's
// clock when it can, and sleeps otherwise.
func passTime(impl any, d time.Duration) {
	if tt, ok := impl.(TimeTraveler); ok {
		tt.Advance(d)
		return
	}
	time.Sleep(d)
}

// patience bounds the polling loops. It is a liveness bound (something that must happen
// eventually), never a performance assertion.
const patience = 60 * time.Second

// uniq returns a short random string so that tests sharing a backend never collide.
func uniq(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
