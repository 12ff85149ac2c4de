package chaos

// The `ream serve` processes the harness runs: built once, started on loopback, killed with
// SIGKILL (a crash) or SIGTERM (a clean stop), started again on the same data directory.

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Build compiles ./cmd/ream of the module that contains the working directory into dir and
// returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run the harness from the repository")
	}
	bin := filepath.Join(dir, "ream")
	// -buildvcs=false, as make ream: else go build asks git for the commit to stamp, and fails
	// ("error obtaining VCS status") in a clone git will not read, as one owned by another user.
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", bin, "./cmd/ream")
	cmd.Dir = filepath.Dir(gomod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/ream: %w\n%s", err, b)
	}
	return bin, nil
}

// live holds every process the harness started, so that nothing outlives it.
var live = struct {
	sync.Mutex
	procs map[*proc]bool
}{procs: map[*proc]bool{}}

// killAll SIGKILLs every process still running (harness exit, test cleanup).
func killAll() {
	live.Lock()
	ps := make([]*proc, 0, len(live.procs))
	for p := range live.procs {
		ps = append(ps, p)
	}
	live.Unlock()
	for _, p := range ps {
		p.signal(syscall.SIGKILL)
		<-p.done
	}
}

// proc is one `ream serve` process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	err  error // set before done is closed
}

func (p *proc) signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// server runs `ream serve` on one data directory, across restarts.
type server struct {
	bin, dataDir, config, logPath string
	env                           []string

	mu     sync.Mutex
	addr   string
	cur    *proc
	starts int
}

func freeAddr() (string, error) {
	ln, err := listenLoopback()
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// listenLoopback listens on a free loopback port: any (the kernel's choice), or one of
// $CHAOS_PORTS ("21700-21799") when it is set, so that a run stays within the ports it was
// given (every `ream serve`, reference servers included, and the webhook receiver).
func listenLoopback() (net.Listener, error) {
	spec := strings.TrimSpace(os.Getenv("CHAOS_PORTS"))
	if spec == "" {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	a, b, _ := strings.Cut(spec, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if b == "" {
		hi, err2 = lo, err1
	}
	if err1 != nil || err2 != nil || lo <= 0 || hi < lo || hi > 65535 {
		return nil, fmt.Errorf("CHAOS_PORTS=%q: want a range such as 21700-21799", spec)
	}
	n := hi - lo + 1
	start := rand.Intn(n)
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", lo+(start+i)%n))
		if err == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("CHAOS_PORTS=%s: no free port", spec)
}

// URL is the base URL of the current (or last) process.
func (s *server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://" + s.addr
}

// start starts a process and waits until it answers /v1/health. It listens on the previous
// address when that is free again, so presigned URLs stay valid; otherwise on a new port.
func (s *server) start(ctx context.Context) error {
	if s.running() {
		return errors.New("server already running")
	}
	var lastErr error
	for attempt := 0; attempt < 4; attempt++ {
		s.mu.Lock()
		if s.addr == "" || attempt > 0 {
			a, err := freeAddr()
			if err != nil {
				s.mu.Unlock()
				return err
			}
			s.addr = a
		}
		addr := s.addr
		s.starts++
		n := s.starts
		s.mu.Unlock()
		p, err := s.spawn(ctx, addr, n)
		if err == nil {
			s.mu.Lock()
			s.cur = p
			s.mu.Unlock()
			return nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return lastErr
}

func (s *server) spawn(ctx context.Context, addr string, n int) (*proc, error) {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logf, "=== chaos: start %d on %s at %s\n", n, addr, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin, "serve", "--data", s.dataDir, "--addr", addr, "--config", s.config)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), s.env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start ream serve: %w", err)
	}
	p := &proc{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	live.Lock()
	live.procs[p] = true
	live.Unlock()
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		live.Lock()
		delete(live.procs, p)
		live.Unlock()
		close(p.done)
	}()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p.exited() {
			return nil, fmt.Errorf("ream serve exited at start (%v); see %s", p.err, s.logPath)
		}
		resp, err := hc.Get(p.url + "/v1/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.signal(syscall.SIGKILL)
			<-p.done
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("ream serve did not answer on %s within 60s; see %s", addr, s.logPath)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig to the current process and waits for it to exit. A SIGTERM that is not obeyed
// within grace is followed by SIGKILL; the returned note says so.
func (s *server) stop(sig syscall.Signal, grace time.Duration) string {
	s.mu.Lock()
	p := s.cur
	s.mu.Unlock()
	if p == nil || p.exited() {
		return "already exited"
	}
	p.signal(sig)
	if sig == syscall.SIGKILL {
		<-p.done
		return ""
	}
	select {
	case <-p.done:
		return ""
	case <-time.After(grace):
		p.signal(syscall.SIGKILL)
		<-p.done
		return fmt.Sprintf("did not exit within %s of SIGTERM; killed", grace)
	}
}

// running reports whether the current process is alive.
func (s *server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur != nil && !s.cur.exited()
}
