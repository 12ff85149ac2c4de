package local

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestRunLocalCtrlC: `make run`'s script, ended by a Ctrl-C at the terminal (SIGINT to the whole
// foreground process group), stops the server cleanly and exits 0, as the Quickstart says. The
// server got the terminal's SIGINT and then the script's SIGTERM, a second signal, which ends
// ream serve at once ("stopped at once by a second signal, without the clean stop"; found from
// outside running the Quickstart).
func TestRunLocalCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ream and runs the sample job")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the script needs curl")
	}
	cmd, pgid, output := runLocalUntilServing(t, buildReam(t))
	// Ctrl-C, a moment after the line, as a person reads it (the script then notes it serves).
	time.Sleep(500 * time.Millisecond)
	if err := syscall.Kill(-pgid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the script still runs 30 s after Ctrl-C:\n%s", output())
	}
	time.Sleep(100 * time.Millisecond) // the last lines
	if err != nil || strings.Contains(output(), "stopped at once") {
		t.Fatalf("Ctrl-C: %v; want the server stopped cleanly and exit status 0:\n%s", err, output())
	}
}

// runLocalTree makes a copy of the tree make run's script needs, with bin as its bin/ream, and
// returns its root.
func runLocalTree(t *testing.T, bin string) string {
	t.Helper()
	root := t.TempDir()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Dir(strings.TrimSpace(string(gomod)))
	for _, f := range []struct{ from, to string }{
		{bin, "bin/ream"},
		{filepath.Join(repo, "scripts/run-local.sh"), "scripts/run-local.sh"},
		{filepath.Join(repo, "testdata/sample/reviews.txt"), "testdata/sample/reviews.txt"},
	} {
		b, err := os.ReadFile(f.from)
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(root, f.to)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runLocalUntilServing runs make run's script in a copy of the tree whose bin/ream is bin, in a
// process group of its own as a terminal's foreground group, until it says it keeps serving; it
// returns the script, its group and its output so far.
func runLocalUntilServing(t *testing.T, bin string, env ...string) (*exec.Cmd, int, func() string) {
	t.Helper()
	root := runLocalTree(t, bin)
	cmd := exec.Command("bash", "scripts/run-local.sh")
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "REAM_ADDR="+freeAddr(t), "REAM_ENDPOINT=", "REAM_DATA=", "REAM_CONFIG="), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's foreground group
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	var mu sync.Mutex
	var out bytes.Buffer
	serving := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "Press Ctrl-C") {
				once.Do(func() { close(serving) })
			}
		}
	}()
	output := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	select {
	case <-serving:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the sample job did not finish:\n%s", output())
	}
	return cmd, pgid, output
}

// TestRunLocalWaitsForASlowServer: make run's script waits for a server that takes long to
// answer, and runs the sample job on it. It polled 100 times (10 s), then submitted all the same,
// so a start slower than that (ream serve took 5 s on one busy core) failed the Quickstart with
// "no server answers". Here the server starts only once the script has polled 105 times, no
// matter how long that takes: a bin/ream that waits for a file a curl on PATH makes at its 105th
// call.
func TestRunLocalWaitsForASlowServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ream and runs the sample job")
	}
	realCurl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("the script needs curl")
	}
	dir := t.TempDir()
	flag, count := filepath.Join(dir, "started"), filepath.Join(dir, "curls")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/usr/bin/env bash\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	slow := write("ream", `if [ "$1" = serve ]; then while [ ! -e '`+flag+`' ]; do sleep 0.05; done; fi
exec '`+buildReam(t)+`' "$@"
`)
	write("path/curl", `n=$(( $(cat '`+count+`' 2>/dev/null || echo 0) + 1 )); echo "$n" >'`+count+`'
if [ "$n" -ge 105 ]; then touch '`+flag+`'; fi
exec '`+realCurl+`' "$@"
`)
	cmd, pgid, output := runLocalUntilServing(t, slow, "PATH="+filepath.Join(dir, "path")+string(os.PathListSeparator)+os.Getenv("PATH"))
	if !strings.Contains(output(), "waiting for ream serve to answer") {
		t.Errorf("the script did not say it waits for the server:\n%s", output())
	}
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM while serving: %v; want exit status 0:\n%s", err, output())
	}
}

// TestRunLocalRefusesATakenAddress: make run's script, started where something already answers
// on its address (another ream serve on the port, typically a make run left running in another
// terminal: the case the Quickstart's "If port 8080 is taken" is about), stops with an error
// saying so and sends that server nothing. It used to poll the health route, which the other
// server answered while its own ream serve failed to start, then submitted the sample job to the
// other server, downloaded its results, said "The local stack keeps serving" and "Press Ctrl-C
// to stop", and only then failed with "ream serve exited with status 1".
func TestRunLocalRefusesATakenAddress(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ream")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the script needs curl")
	}
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/v1/health" {
			_, _ = io.WriteString(w, `{"status":"ok"}`)
			return
		}
		http.Error(w, `{"code":"InternalServerError","message":"not this one"}`, http.StatusInternalServerError)
	}))
	defer other.Close()
	addr := strings.TrimPrefix(other.URL, "http://")
	root := runLocalTree(t, buildReam(t))
	// REAM_ADDR naming every interface (":port", "0.0.0.0:port") is checked on the loopback
	// address: the endpoint was http://:port, which curl refuses, so the other server went unseen.
	_, port, _ := strings.Cut(addr, ":")
	for _, a := range []string{addr, ":" + port, "0.0.0.0:" + port} {
		t.Run(a, func(t *testing.T) { refusesTakenAddress(t, root, a, other.URL, &mu, &seen) })
	}
}

func refusesTakenAddress(t *testing.T, root, addr, otherURL string, mu *sync.Mutex, seen *[]string) {
	cmd := exec.Command("bash", "scripts/run-local.sh")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "REAM_ADDR="+addr, "REAM_ENDPOINT=", "REAM_DATA=", "REAM_CONFIG=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("the script exited 0; want an error:\n%s", out)
	}
	if !strings.Contains(string(out), "already answers on "+otherURL) {
		t.Errorf("the script did not say that something already answers on %s:\n%s", otherURL, out)
	}
	if strings.Contains(string(out), "Press Ctrl-C") {
		t.Errorf("the script said it keeps serving:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range *seen {
		if r != "GET /v1/health" {
			t.Errorf("the other server got %q (all: %v); want nothing but the health check", r, *seen)
			break
		}
	}
}
