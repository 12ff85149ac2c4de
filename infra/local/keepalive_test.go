package local

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestEventStreamKeepAlive: a job's event stream on which nothing changes gets a comment line
// every keepAliveEvery, so that a client tells a quiet stream from a stalled server (the CLI's
// --wait waited forever on a server stopped with SIGSTOP).
func TestEventStreamKeepAlive(t *testing.T) {
	restoreKeepAlive(t)
	keepAliveEvery = 300 * time.Millisecond
	s := startStack(t, Config{}, pipeline.Hooks{})
	res, err := defaultClient(s).CreateJob(testCtx(t), lineJob("quiet", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodGet, s.URL+"/v1/jobs/"+res.JobId+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			got <- sc.Text()
		}
		close(got)
	}()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case line, ok := <-got:
			if !ok {
				t.Fatal("the stream ended without a keep-alive")
			}
			if strings.HasPrefix(line, ":") {
				return
			}
		case <-deadline:
			t.Fatal("no keep-alive within 5 s on a quiet stream")
		}
	}
}

// TestEventStreamNoRepeatedProgress: a running job's stream sends a progress event when what
// the job shows changes, not on every look: while its only shard is held nothing it shows
// changes, so the stream sends one IN_PROGRESS event and then keep-alives (found from outside:
// the same progress event came four times a second, as the stream compared the counters'
// pointers and the store's bookkeeping, not the job as shown).
func TestEventStreamNoRepeatedProgress(t *testing.T) {
	restoreKeepAlive(t)
	keepAliveEvery = 300 * time.Millisecond
	ctx := testCtx(t)
	hooks, release, entered := holdShards(ctx)
	defer close(release)
	s := startStack(t, Config{}, hooks)
	res := createAndUpload(t, ctx, defaultClient(s), lineJob("held", job.OneDocPerLine), []byte("I love it.\n"))
	for entered.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/v1/jobs/"+res.JobId+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			got <- sc.Text()
		}
		close(got)
	}()
	progress, keepAlives := 0, 0
	deadline := time.After(1500 * time.Millisecond)
	for done := false; !done; {
		select {
		case line, ok := <-got:
			if !ok {
				t.Fatal("the stream ended while the job ran")
			}
			switch {
			case line == "event: "+api.EventProgress:
				progress++
			case strings.HasPrefix(line, ":"):
				keepAlives++
			}
		case <-deadline:
			done = true
		}
	}
	if progress != 1 || keepAlives == 0 {
		t.Errorf("%d progress events and %d keep-alives in 1.5 s on a job whose only shard is held; want 1 progress event, then keep-alives", progress, keepAlives)
	}
}

// TestEventStreamNoRepeatedProgressWhileRated: a running job that recorded a shard shows a rate
// and an estimated completion time, both worked out from the time of the look; its stream
// still sends a progress event when its counters change, not on every look (the key held the
// estimate, which moves with every look: the same counters came four times a second, and no
// keep-alive).
func TestEventStreamNoRepeatedProgressWhileRated(t *testing.T) {
	restoreKeepAlive(t)
	keepAliveEvery = 300 * time.Millisecond
	ctx := testCtx(t)
	hooks, release, entered := holdShardsWhere(ctx, func(m pipeline.ShardMessage) bool { return m.Index != 0 })
	defer close(release)
	s := startStack(t, Config{ShardBytes: 1024, Workers: 2, BatchSize: 1}, hooks)
	c := defaultClient(s)
	_, res := storedLineJob(t, ctx, s, "rated")
	waitFor(t, ctx, "shard 0 to be recorded while another is held", func() bool {
		j, err := c.Describe(ctx, res.JobId)
		return err == nil && j.JobDetails.ShardsDone >= 1 && entered.Load() >= 1
	})
	if j, err := c.Describe(ctx, res.JobId); err != nil || j.JobDetails.EstimatedCompletionTime == nil {
		t.Fatalf("the running job: %+v, %v; want an estimated completion time", j, err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/v1/jobs/"+res.JobId+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			got <- sc.Text()
		}
		close(got)
	}()
	progress, keepAlives := 0, 0
	deadline := time.After(1500 * time.Millisecond)
	for done := false; !done; {
		select {
		case line, ok := <-got:
			if !ok {
				t.Fatal("the stream ended while the job ran")
			}
			switch {
			case line == "event: "+api.EventProgress:
				progress++
			case strings.HasPrefix(line, ":"):
				keepAlives++
			}
		case <-deadline:
			done = true
		}
	}
	if progress != 1 || keepAlives == 0 {
		t.Errorf("%d progress events and %d keep-alives in 1.5 s on a job whose counters did not change; want 1 progress event, then keep-alives", progress, keepAlives)
	}
}

// restoreKeepAlive restores keepAliveEvery after the test's stack has stopped (cleanups run last
// first, and this one is registered before the stack's): a defer restored it while the stack's
// event handlers still read it, a data race `go test -race` reported.
func restoreKeepAlive(t *testing.T) {
	d := keepAliveEvery
	t.Cleanup(func() { keepAliveEvery = d })
}
