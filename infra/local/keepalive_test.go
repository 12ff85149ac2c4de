package local

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestEventStreamKeepAlive: a job's event stream on which nothing changes gets a comment line
// every keepAliveEvery, so that a client tells a quiet stream from a stalled server (the CLI's
// --wait waited forever on a server stopped with SIGSTOP).
func TestEventStreamKeepAlive(t *testing.T) {
	defer func(d time.Duration) { keepAliveEvery = d }(keepAliveEvery)
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
