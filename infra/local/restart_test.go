package local

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ream-dev/ream/infra/chaos"
	"github.com/ream-dev/ream/shared/job"
)

// buildReam builds cmd/ream from the module root into a temporary directory, as the fault
// harness does.
func buildReam(t *testing.T) string {
	t.Helper()
	bin, err := chaos.Build(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// freeAddr finds a free loopback port by listening on :0 and closing.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// server is a `ream serve` process.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startServe runs `ream serve` on dataDir with the config file and waits until it answers.
// The process is killed when the test ends, whatever happens.
func startServe(t *testing.T, ctx context.Context, bin, dataDir, config string) *server {
	t.Helper()
	return startServeAt(t, ctx, bin, dataDir, config, freeAddr(t))
}

// startServeAt is startServe on the given address.
func startServeAt(t *testing.T, ctx context.Context, bin, dataDir, config, addr string) *server {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(dataDir, "..", filepath.Base(dataDir)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--data", dataDir, "--addr", addr, "--config", config)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start ream serve: %v", err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	t.Cleanup(s.kill)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("ream serve log (%s):\n%s", addr, tail(string(b), 4000))
		}
	})
	waitFor(t, ctx, "ream serve to answer on "+addr, func() bool {
		select {
		case <-s.done:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("ream serve exited early:\n%s", tail(string(b), 4000))
		default:
		}
		resp, err := http.Get(s.url + "/v1/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// kill SIGKILLs the process (no cleanup of any kind, as a crash) and waits for it to be gone.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestRestartAfterKill runs the real binary, SIGKILLs it while a job is half done, starts it
// again on the same data directory and checks the job completes with exact counts: recorded
// shards are kept, shards that were in flight come back after the visibility timeout, and no
// document is lost or doubled.
func TestRestartAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ream binary")
	}
	ctx := testCtx(t)
	bin := buildReam(t)
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	cfg, err := json.Marshal(map[string]any{
		"shardBytes": 2048, "workers": 1, "batchSize": 1, "visibilityTimeout": "2s", "pollInterval": "20ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(root, "config.json")
	if err := os.WriteFile(config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	// About 200 shards of 2 KiB: enough to kill the process with some but not all recorded,
	// few enough that one worker finishes them well within hangProtection on a loaded machine.
	input, _ := genInput(5_000)

	first := startServe(t, ctx, bin, dataDir, config)
	c := newClient(first.url, DefaultKey)
	res := createAndUpload(t, ctx, c, lineJob("restart", job.OneDocPerLine), input)
	var before job.Details
	waitFor(t, ctx, "some but not all shards to be recorded", func() bool {
		j, err := c.Describe(ctx, res.JobId)
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		if j.JobStatus.Terminal() {
			t.Fatalf("the job finished (%s) before the process could be killed; make the input bigger", j.JobStatus)
		}
		before = j.JobDetails
		return before.ShardsDone >= min(20, before.ShardsTotal/4) && before.ShardsDone > 0 && before.ShardsDone < before.ShardsTotal
	})
	first.kill()
	t.Logf("killed with %d of %d shards recorded", before.ShardsDone, before.ShardsTotal)

	second := startServe(t, ctx, bin, dataDir, config)
	c = newClient(second.url, DefaultKey)
	j, err := c.Describe(ctx, res.JobId)
	if err != nil {
		t.Fatalf("describe after restart: %v", err)
	}
	if j.JobDetails.ShardsDone < before.ShardsDone || j.JobDetails.InputDocumentsCount < before.InputDocumentsCount {
		t.Errorf("progress lost across the restart: %+v, was %+v", j.JobDetails, before)
	}
	_, j = follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.PartialSuccess {
		t.Fatalf("status %s (%s), want PARTIAL_SUCCESS", j.JobStatus, j.Message)
	}
	recs, m := fetchResults(t, ctx, c, res.JobId)
	checkLineResults(t, input, j, recs, m, true)
}

// TestOneServerPerDataDirectory: a second server on a data directory in use is refused with a
// message naming the directory and the holder's pid (found from outside: it started, and the
// first server's shards failed on temporary files the second deleted); once the first is
// closed, the directory can be used again.
func TestOneServerPerDataDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(t.Context(), Config{DataDir: dir, Addr: "127.0.0.1:0"}, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(t.Context(), Config{DataDir: dir, Addr: "127.0.0.1:0"}, Options{Log: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "is in use by another ream serve") || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("a second server on %s: %v; want it refused naming the holder", dir, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Start(t.Context(), Config{DataDir: dir, Addr: "127.0.0.1:0"}, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	again.Close()
}
