package local

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
)

// TestStartFailingEndsTheNotifier: a Start that fails after the notifier was made (here its
// oauth.key is no hex secret) ends the notifier's dispatcher. Its dispatcher waits, held, for
// the first sweep's StartDeliveries (or Close): Start returned the error without closing it, so
// the goroutine waited for good over a closed database (found in review).
func TestStartFailingEndsTheNotifier(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "oauth.key"), []byte("not a secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Start(testCtx(t), Config{DataDir: dir, Addr: reviewAddr(t)}, Options{Log: testLogger(t)})
	if err == nil {
		s.Close()
		t.Fatal("Start with an oauth.key that is no hex secret succeeded; want its error")
	}
	if !strings.Contains(err.Error(), "oauth.key") {
		t.Errorf("Start's error %q does not name oauth.key", err)
	}
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "(*Notifier).dispatch") {
		t.Error("the failed Start left its notifier's dispatcher running")
	}
}

// reviewAddr is a free loopback address with a port in [31500, 31599] (the range this test may
// use).
func reviewAddr(t *testing.T) string {
	t.Helper()
	for p := 31500; p <= 31599; p++ {
		addr := "127.0.0.1:" + strconv.Itoa(p)
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Skip("no free port in 31500-31599")
	return ""
}
