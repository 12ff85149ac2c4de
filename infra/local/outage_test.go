package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// vmHWM is a process's peak resident set (VmHWM of /proc/<pid>/status), in KiB; 0 when unknown.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// outageJobs is the default number of jobs of TestBacklogAfterOutage ($REAM_OUTAGE_JOBS for
// a longer run).
func outageJobs() int { return benchEnv("REAM_OUTAGE_JOBS", 120) }

// TestBacklogAfterOutage: the local stack comes back after an outage with a backlog, as a
// laptop closed over a weekend or a server rebooted after a crash. A real `ream serve` (its
// own data directory, loopback ports 30900-30999) holds jobs in every state: AWAITING_INPUT
// jobs and a coding operation whose upload URLs expire during the outage (one job with
// UploadFiles, 1 of its 2 files in) and jobs whose URLs outlive it; line jobs of several
// analyses queued and half processed; a TOPICS job; a coding operation and a CODING_TRAINING
// job with their input in; a job stopped just before the outage (STOP_REQUESTED); finished
// jobs whose retention ends during the outage, their notification pending; a drop rule whose
// folder gets files while the server is down; and a webhook whose receiver is down until the
// restart. The server is SIGKILLed, stays down past the first uploads' TTL (real time: ream
// serve has no clock a test can move; a retention is whole hours, so the retired jobs'
// ExpirationTime is moved into the outage in ream.db while it is down), and starts again.
// Then: the expired uploads are TIMED_OUT with the README's Message (timed_out for the coding
// operation), the stopped job STOPPED, the retired jobs 404 and never delivered, every other
// job complete with exact counters, the dropped files' jobs complete, every other
// notification accepted by the webhook exactly once; the time of each GET during the drain and
// the server's peak resident memory are printed (no timed assertion). $REAM_OUTAGE_JOBS sets
// the number of jobs (120).
func TestBacklogAfterOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ream binary")
	}
	bin := buildReam(t)
	n := outageJobs()
	// Each phase (the jobs until the kill; the restart and the drain; the checks and the
	// deliveries) has its own hang protection, scaled with the number of jobs: a single
	// testCtx for the whole test counted the build, the outage (over 30 s of real time) and a
	// drain that grows with REAM_OUTAGE_JOBS against one hangProtection.
	phase := func() context.Context {
		ctx, cancel := context.WithTimeout(t.Context(), hangProtection*time.Duration(max(1, n/120)))
		t.Cleanup(cancel)
		return ctx
	}
	ctx := phase()
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	taken := map[string]bool{}

	recv, hookURL := startOutageReceiver(t, taken)

	const ttl = 30 * time.Second
	cfg, err := json.Marshal(map[string]any{
		"shardBytes": 2048, "workers": 2, "batchSize": 1, "visibilityTimeout": "2s", "stuckAfter": "6s",
		"sweepInterval": "1s", "pollInterval": "20ms", "uploadTTL": ttl.String(), "dropSettle": "200ms",
		"expiryPassEvery": "1s", "webhooks": []map[string]string{{"url": hookURL}}, "webhookMaxBackoff": "2s",
	})
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(root, "config.json")
	if err := os.WriteFile(config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	addr := outageAddr(t, taken)
	first := startServeAt(t, ctx, bin, dataDir, config, addr)
	c := newClient(first.url, DefaultKey)

	// Uploads whose URLs expire during the outage.
	t0 := time.Now()
	var expiring []string
	for i := range max(n/8, 2) {
		res, err := c.CreateJob(ctx, lineJob(fmt.Sprintf("expires-%d", i), job.OneDocPerLine))
		if err != nil {
			t.Fatal(err)
		}
		expiring = append(expiring, res.JobId)
	}
	twoFiles := lineJob("two-files", job.OneDocPerFile)
	twoFiles.UploadFiles = []string{"a.txt", "b.txt"}
	half, err := c.CreateJob(ctx, twoFiles)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, half.Uploads[0].Presigned, writeTemp(t, "a.txt", []byte("One file of two.\n"))); err != nil {
		t.Fatal(err)
	}

	// A coding operation whose upload expires during the outage.
	cc := newCodingClient(t, first.url, DefaultClientID, DefaultClientSecret)
	var codingExpiring api.CodingOperationStarted
	cc.must(http.MethodPost, "/v1/topics/occupation/batch-code", &codingExpiring)

	if _, err := c.PutDropRule(ctx, "backlog", lineJob("dropped-", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}

	// Everything else comes at least half the TTL after the first uploads, just before the
	// kill: a backlog of queued and half-processed jobs, and late uploads whose URLs outlive
	// the outage.
	time.Sleep(time.Until(t0.Add(ttl / 2)))

	// Line jobs of several analyses, some large enough to be half processed at the kill.
	kinds := [][]job.Analysis{
		{job.Language, job.Sentiment}, {job.Entities, job.KeyPhrases}, {job.PII}, {job.Language},
	}
	type lineRun struct {
		id    string
		input []byte
		full  bool // LANGUAGE+SENTIMENT: its records are checked one by one
	}
	var lines []lineRun
	for i := range n - len(expiring) - n/8 - 4 {
		docs := 40 + 7*(i%13)
		if i%10 == 0 {
			docs = 2_000
		}
		input, _ := genInput(docs)
		req := lineJob(fmt.Sprintf("line-%d", i), job.OneDocPerLine)
		req.Analyses = kinds[i%len(kinds)]
		res := createAndUpload(t, ctx, c, req, input)
		lines = append(lines, lineRun{res.JobId, input, i%len(kinds) == 0})
	}
	topicsInput, _ := genInput(2_500)
	topicsReq := topicsJob(7)
	topicsReq.NumberOfTopics = new(5) // genInput's documents make 6 distinct word sets
	topics := createAndUpload(t, ctx, c, topicsReq, topicsInput)
	// A coding operation with its records in, and a training job.
	var coding api.CodingOperationStarted
	cc.must(http.MethodPost, "/v1/topics/occupation/batch-code", &coding)
	codingRecords := readTestdata(t, "records.jsonl")
	if status, eb := putRecords(t, coding, codingRecords); status != http.StatusOK {
		t.Fatalf("PUT coding records: %d %+v", status, eb)
	}
	training := createAndUpload(t, ctx, c, api.CreateJobRequest{
		JobName: "train", Analyses: []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines}, CodingConfig: &job.CodingConfig{Topic: "occupation"},
	}, readTestdata(t, "train-sample.jsonl"))
	stopInput, _ := genInput(4_000)
	stopped := createAndUpload(t, ctx, c, lineJob("stopped", job.OneDocPerLine), stopInput)

	if j, err := c.Stop(ctx, stopped.JobId); err != nil || (j.JobStatus != job.StopRequested && j.JobStatus != job.Stopped) {
		t.Fatalf("stop: %v %v", j, err)
	}
	if j, err := c.Describe(ctx, topics.JobId); err == nil {
		t.Logf("at the kill: TOPICS job %s %q", j.JobStatus, j.JobDetails.Stage)
	}
	if all, _ := listEveryJob(t, ctx, c); true {
		running := 0
		for _, j := range all {
			if !j.JobStatus.Terminal() && j.JobStatus != job.AwaitingInput {
				running++
			}
		}
		t.Logf("at the kill: %d of %d jobs running or queued", running, len(all))
	}
	// Jobs whose retention ends during the outage: finished before it, their notification
	// still pending (the receiver is down).
	var retired []string
	for _, l := range lines[1:5] {
		retired = append(retired, l.id)
	}
	lines = append(lines[:1], lines[5:]...)
	waitFor(t, ctx, "the jobs to retire to finish", func() bool {
		for _, id := range retired {
			if j, err := c.Describe(ctx, id); err != nil || !j.JobStatus.Terminal() {
				return false
			}
		}
		return true
	})
	// Uploads whose URLs outlive the outage: created last, just before the kill (after the
	// wait for the jobs to retire, which a loaded machine or a larger REAM_OUTAGE_JOBS makes
	// long), so that the restart (after the first ones' TTL) comes well before theirs.
	late := map[string]*api.CreateJobResult{}
	for i := range max(n/8, 2) {
		res, err := c.CreateJob(ctx, lineJob(fmt.Sprintf("late-%d", i), job.OneDocPerLine))
		if err != nil {
			t.Fatal(err)
		}
		late[res.JobId] = res
	}
	tk := time.Now()
	peak1 := vmHWM(first.cmd.Process.Pid)
	first.kill()
	t.Logf("killed after %v: %d jobs; the server's peak RSS %d KiB", time.Since(t0).Round(time.Millisecond), n, peak1)

	// While down: files dropped into the rule's folder (README: a copy into the folder starts a job).
	dropped := map[string][]byte{}
	for i := range 4 {
		input, _ := genInput(30 + i)
		key := droprule.Prefix("local", "backlog") + fmt.Sprintf("while-down-%d.txt", i)
		p := filepath.Join(dataDir, "objects", filepath.FromSlash(key))
		if err := os.WriteFile(p, input, 0o644); err != nil {
			t.Fatal(err)
		}
		dropped["dropped-"+fmt.Sprintf("while-down-%d.txt", i)] = input
	}
	time.Sleep(time.Until(t0.Add(ttl + time.Second)))
	expireWhileDown(t, dataDir, retired, time.Now().Add(-time.Second))

	ctx = phase()
	began := time.Now()
	second := startServeAt(t, ctx, bin, dataDir, config, addr)
	t.Logf("the restart answered %v after it began", time.Since(began).Round(time.Millisecond))
	c = newClient(second.url, DefaultKey)
	recv.up.Store(true)
	restarted := time.Now()
	if time.Since(tk) > ttl-2*time.Second {
		t.Fatalf("the restart came %v after the late jobs were created: too close to their TTL %v to test them", time.Since(tk), ttl)
	}
	for id, res := range late {
		input, _ := genInput(25)
		if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "in", input)); err != nil {
			t.Fatalf("upload to %s after the restart (URL valid until %s): %v", id, res.Upload.Expires, err)
		}
	}

	// While the backlog drains: how long a GET takes, and the server's memory.
	var gets []time.Duration
	var peak int64
	waitFor(t, ctx, "every job to end", func() bool {
		all, times := listEveryJob(t, ctx, c)
		gets = append(gets, times...)
		peak = max(peak, vmHWM(second.cmd.Process.Pid))
		for _, j := range all {
			if !j.JobStatus.Terminal() {
				return false
			}
		}
		return true
	})
	drained := time.Since(restarted)
	ctx = phase()
	var worst, sum time.Duration
	for _, d := range gets {
		worst, sum = max(worst, d), sum+d
	}
	t.Logf("drained %v after the restart; %d GET /v1/jobs during the drain: mean %v, worst %v; peak RSS %d KiB (first run %d KiB)",
		drained.Round(time.Millisecond), len(gets), (sum / time.Duration(len(gets))).Round(time.Microsecond), worst.Round(time.Microsecond), peak, peak1)

	describe := func(id string) *job.Job {
		t.Helper()
		j, err := c.Describe(ctx, id)
		if err != nil {
			t.Fatalf("describe %s: %v", id, err)
		}
		return j
	}
	for _, id := range expiring {
		if j := describe(id); j.JobStatus != job.TimedOut || !strings.HasPrefix(j.Message, "no input arrived before the upload URL expired at ") {
			t.Errorf("upload expired during the outage: %s %q; want TIMED_OUT saying so", j.JobStatus, j.Message)
		}
	}
	if j := describe(half.JobId); j.JobStatus != job.TimedOut || !strings.HasPrefix(j.Message, "1 of 2 upload files arrived before the upload URLs expired at ") {
		t.Errorf("UploadFiles job with 1 of 2 files: %s %q; want TIMED_OUT saying 1 of 2 arrived", j.JobStatus, j.Message)
	}
	if j := describe(stopped.JobId); j.JobStatus != job.Stopped {
		t.Errorf("job stopped before the outage: %s %q; want STOPPED", j.JobStatus, j.Message)
	}
	for _, id := range retired {
		if _, err := c.Describe(ctx, id); !isStatus(err, http.StatusNotFound) {
			t.Errorf("job whose retention ended during the outage: %v; want 404", err)
		}
	}
	check := func(id string, input []byte, full bool) {
		t.Helper()
		j := describe(id)
		recs, m := fetchResults(t, ctx, c, id)
		if full {
			checkLineResults(t, input, j, recs, m, false)
			return
		}
		d, docs := j.JobDetails, int64(len(splitDocs(input)))
		if d.InputDocumentsCount != docs || d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount != docs || int64(len(recs)) != docs || d.ShardsDone != d.ShardsTotal {
			t.Errorf("job %s %s: %+v, %d records; want %d documents, all accounted for", id, j.JobStatus, d, len(recs), docs)
		}
	}
	for _, l := range lines {
		check(l.id, l.input, l.full)
	}
	for id := range late {
		if j := describe(id); j.JobStatus != job.PartialSuccess && j.JobStatus != job.Completed {
			t.Errorf("late upload %s: %s %q", id, j.JobStatus, j.Message)
		}
	}
	cc = newCodingClient(t, second.url, DefaultClientID, DefaultClientSecret)
	if st := cc.waitOperation(ctx, "/v1/topics/occupation/batch-code/operations/"+codingExpiring.OperationId); st.OperationStatus != api.OpTimedOut {
		t.Errorf("coding operation whose upload expired during the outage: %+v; want timed_out", st)
	}
	if st := cc.waitOperation(ctx, "/v1/topics/occupation/batch-code/operations/"+coding.OperationId); st.OperationStatus != api.OpComplete {
		t.Errorf("coding operation: %+v; want complete", st)
	} else if out := download(t, st.ResponseDownloadURL); bytes.Count(out, []byte("\n")) != bytes.Count(codingRecords, []byte("\n")) {
		t.Errorf("coding operation: %d output lines for %d records", bytes.Count(out, []byte("\n")), bytes.Count(codingRecords, []byte("\n")))
	}
	if j := describe(training.JobId); (j.JobStatus != job.PartialSuccess && j.JobStatus != job.Completed) || j.CodingConfig == nil || j.CodingConfig.ModelId == "" {
		t.Errorf("training job: %s %q %+v", j.JobStatus, j.Message, j.CodingConfig)
	}
	if j := describe(topics.JobId); j.JobStatus != job.PartialSuccess && j.JobStatus != job.Completed {
		t.Errorf("TOPICS job: %s %q", j.JobStatus, j.Message)
	}
	all, _ := listEveryJob(t, ctx, c)
	var drops int
	for _, j := range all {
		if j.DropRule != "backlog" {
			continue
		}
		drops++
		if input, ok := dropped[j.JobName]; !ok {
			t.Errorf("drop job %q for no file dropped", j.JobName)
		} else {
			check(j.JobId, input, true)
		}
	}
	if drops != len(dropped) {
		t.Errorf("%d jobs for the %d files dropped while the server was down", drops, len(dropped))
	}

	// Every notification delivered exactly once, once the receiver is up.
	waitFor(t, ctx, "every notification to be delivered", func() bool {
		for _, j := range all {
			if recv.count(j.JobId) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(3 * time.Second) // any second delivery (webhookMaxBackoff 2 s) would have come by now
	for _, j := range all {
		if k := recv.count(j.JobId); k != 1 {
			t.Errorf("job %s (%s): its notification accepted %d times, want once", j.JobName, j.JobStatus, k)
		}
	}
	for _, id := range retired {
		if k := recv.count(id); k != 0 {
			t.Errorf("job %s expired during the outage, its notification pending: delivered %d times; want none (README: a receiver down past the job's retention does not get it)", id, k)
		}
	}
	if len(all) < n {
		t.Errorf("%d jobs listed, want at least %d", len(all), n)
	}
}

// listEveryJob pages GET /v1/jobs to the end and returns every job and each page's time.
func listEveryJob(t *testing.T, ctx context.Context, c *client.Client) ([]*job.Job, []time.Duration) {
	t.Helper()
	var jobs []*job.Job
	var times []time.Duration
	f := api.ListFilter{MaxResults: 100}
	for {
		start := time.Now()
		page, err := c.List(ctx, f)
		times = append(times, time.Since(start))
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		jobs = append(jobs, page.Jobs...)
		if page.NextToken == "" {
			return jobs, times
		}
		f.NextToken = page.NextToken
	}
}
