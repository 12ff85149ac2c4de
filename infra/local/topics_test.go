package local

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/internal/syncbuf"
	"github.com/ream-dev/ream/shared/analysis/topics"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	inputpkg "github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
)

// topicsInput is the DEP-11 application descriptions (10 categories) as one document per line,
// with a few bad lines mixed in, and the category of each line ("" for the bad ones).
func topicsInput(t *testing.T) ([]byte, []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "shared", "analysis", "topics", "testdata", "topics-dep11.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	var cats []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; sc.Scan(); i++ {
		cat, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		if i%500 == 250 { // an empty line and an invalid one every 500 documents
			buf.WriteString("\n\xff\xfe broken\n")
			cats = append(cats, "", "")
		}
		buf.WriteString(strings.ReplaceAll(text, "\r", " ") + "\n")
		cats = append(cats, cat)
	}
	return buf.Bytes(), cats
}

// archiveEntries unpacks output.tar.gz into name → bytes.
func archiveEntries(t *testing.T, ctx context.Context, s *Stack, id string) map[string][]byte {
	t.Helper()
	links, err := defaultClient(s).Results(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return unpackTarGz(t, links.Output.URL)
}

// unpackTarGz downloads a tar.gz and returns its entries by name.
func unpackTarGz(t *testing.T, url string) map[string][]byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	gz, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = b
	}
	return out
}

func topicsJob(seed int64) api.CreateJobRequest {
	return api.CreateJobRequest{
		JobName: "topics", Analyses: []job.Analysis{job.Topics},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
		NumberOfTopics:  new(10), RandomSeed: &seed,
	}
}

// TestTopicsLifecycle: a TOPICS job runs its stages through the queue and writes Comprehend's
// files: topic-terms.csv (10 terms a topic), doc-topics.csv (every usable document, docname
// input:<line>), errors.jsonl (the bad lines); counters agree; progress names the stages; the
// topics found match the collection's categories far better than chance.
func TestTopicsLifecycle(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{ShardBytes: 64 << 10}, pipeline.Hooks{})
	c := defaultClient(s)
	input, cats := topicsInput(t)
	res := createAndUpload(t, ctx, c, topicsJob(7), input)
	stages := map[string]bool{}
	var mu sync.Mutex
	n, err := c.Follow(ctx, res.JobId, func(ev client.Event) {
		if ev.Job != nil && ev.Job.JobDetails.Stage != "" {
			mu.Lock()
			stages[strings.Fields(ev.Job.JobDetails.Stage)[0]] = true
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	j, _ := c.Describe(ctx, res.JobId)
	if j.JobStatus != job.PartialSuccess || n.JobStatus != job.PartialSuccess {
		t.Fatalf("status %s (%s), want PARTIAL_SUCCESS (bad lines)", j.JobStatus, j.Message)
	}
	if !stages["fitting"] {
		t.Errorf("progress never showed a fitting round: %v", stages)
	}
	if j.JobDetails.Stage != "" {
		t.Errorf("the finished job still shows the stage %q", j.JobDetails.Stage)
	}
	if _, err := c.Errors(ctx, res.JobId, api.ErrorsFilter{}); err == nil || !strings.Contains(err.Error(), "errors.jsonl") {
		t.Errorf("the errors route on a TOPICS job: %v, want a 400 pointing at errors.jsonl", err)
	}
	// A retry is refused for what the job is, also when it names the job's own error code
	// (found from outside: NO_TOPIC_TERMS was "not a per-document error code").
	for _, codes := range [][]string{nil, {"NO_TOPIC_TERMS"}} {
		if _, err := c.Retry(ctx, res.JobId, api.RetryRequest{ErrorCodes: codes}); err == nil || !strings.Contains(err.Error(), "a TOPICS job cannot be retried in part") {
			t.Errorf("retry of a TOPICS job with codes %v: %v, want a 400 saying it cannot be retried", codes, err)
		}
	}
	files := archiveEntries(t, ctx, s, res.JobId)
	// The manifest names the analysis with its limit (found from outside: 0 for TOPICS).
	dir := t.TempDir()
	if _, err := c.DownloadResults(ctx, res.JobId, dir); err != nil {
		t.Fatal(err)
	}
	var m output.Manifest
	if b, err := os.ReadFile(filepath.Join(dir, api.ManifestName)); err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(m.Analyses) != 1 || m.Analyses[0].Analysis != job.Topics || m.Analyses[0].MaxDocumentBytes != inputpkg.DefaultMaxDocumentBytes {
		t.Errorf("manifest analyses %+v; want TOPICS with its limit, %d bytes", m.Analyses, inputpkg.DefaultMaxDocumentBytes)
	}
	terms, err := csv.NewReader(bytes.NewReader(files[pipeline.TopicTermsName])).ReadAll()
	if err != nil || len(terms) != 1+10*10 || strings.Join(terms[0], ",") != "topic,term,weight" || terms[1][0] != "000" || terms[len(terms)-1][0] != "009" {
		t.Fatalf("topic-terms.csv: %d rows, %v", len(terms), err)
	}
	rows, err := csv.NewReader(bytes.NewReader(files[pipeline.DocTopicsName])).ReadAll()
	if err != nil || strings.Join(rows[0], ",") != "docname,topic,proportion" {
		t.Fatalf("doc-topics.csv: %v %v", err, rows[:1])
	}
	best := map[int]struct {
		k int
		p float64
	}{}
	for _, r := range rows[1:] {
		line, err := strconv.Atoi(strings.TrimPrefix(r[0], "input:"))
		k, _ := strconv.Atoi(r[1])
		p, _ := strconv.ParseFloat(r[2], 64)
		if err != nil || line < 0 || line >= len(cats) || p <= 0 || p > 1 {
			t.Fatalf("doc-topics row %v", r)
		}
		if b, ok := best[line]; !ok || p > b.p {
			best[line] = struct {
				k int
				p float64
			}{k, p}
		}
	}
	var errLines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(files[pipeline.TopicErrorName])), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("errors.jsonl line %q: %v", l, err)
		}
		errLines = append(errLines, m)
	}
	var labels []string
	var clusters []int
	for line, cat := range cats {
		_, assigned := best[line]
		if cat == "" && assigned {
			t.Errorf("bad line %d has topics", line)
		}
		if cat != "" && assigned {
			labels, clusters = append(labels, cat), append(clusters, best[line].k)
		}
	}
	d := j.JobDetails
	if d.InputDocumentsCount != int64(len(cats)) || int64(len(best)+len(errLines)) != d.InputDocumentsCount ||
		d.DocumentsWithErrorsCount != int64(len(errLines)) || d.ProcessedDocumentsCount != int64(len(best)) {
		t.Errorf("counters %+v; %d documents with topics, %d error lines, %d input lines", d, len(best), len(errLines), len(cats))
	}
	nmi := topics.NMI(labels, clusters)
	t.Logf("%d documents, %d with topics, NMI %.3f against the categories (a regression check, not a quality figure)", len(cats), len(best), nmi)
	if nmi < 0.25 {
		t.Errorf("NMI %.3f: the topics do not follow the categories", nmi)
	}
}

// TestTopicsDeterministicUnderFaults: the same input and seed give byte-identical files when
// every round message is delivered twice, a shard's step crashes before it is recorded, and the
// stack is stopped and started again in the middle of the fit.
func TestTopicsDeterministicUnderFaults(t *testing.T) {
	ctx := testCtx(t)
	input, _ := topicsInput(t)
	input = input[:bytes.IndexByte(input[300<<10:], '\n')+300<<10+1] // ~300 KB: fast enough twice
	clean := startStack(t, Config{ShardBytes: 32 << 10}, pipeline.Hooks{})
	res := createAndUpload(t, ctx, defaultClient(clean), topicsJob(42), input)
	follow(t, ctx, defaultClient(clean), res.JobId)
	want := archiveEntries(t, ctx, clean, res.JobId)

	var ref stackRef
	var calls shardCounter
	var crashed sync.Map
	restart := make(chan struct{}, 1)
	hooks := pipeline.Hooks{AfterShardWritten: func(msg pipeline.ShardMessage) error {
		s := ref.get()
		j, err := s.Service.Describe(context.Background(), "local", msg.JobId)
		if err != nil || j.TopicsStage == nil || j.TopicsStage.Kind != "round" {
			return nil
		}
		if calls.inc(msg.Index) == 1 {
			_ = s.Shards.Send(context.Background(), []pipeline.ShardMessage{msg}) // delivered twice
		}
		if _, done := crashed.LoadOrStore(msg.Index%j.TopicsStage.Shards, true); !done {
			return errCrash // dies between writing and recording, once per shard
		}
		if j.TopicsStage.Round == 2 {
			select {
			case restart <- struct{}{}:
			default:
			}
		}
		return nil
	}}
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Addr: "127.0.0.1:0", ShardBytes: 32 << 10, VisibilityTimeout: Duration(time.Second), PollInterval: Duration(10 * time.Millisecond), Workers: 2}
	s, err := Start(ctx, cfg, Options{Hooks: hooks, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ref.p.Store(s)
	res2 := createAndUpload(t, ctx, defaultClient(s), topicsJob(42), input)
	select {
	case <-restart:
	case <-ctx.Done():
		t.Fatal("never reached round 2")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Start(ctx, cfg, Options{Hooks: hooks, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ref.p.Store(s)
	t.Cleanup(func() { s.Close() })
	_, j := follow(t, ctx, defaultClient(s), res2.JobId)
	got := archiveEntries(t, ctx, s, res2.JobId)
	for _, name := range []string{pipeline.TopicTermsName, pipeline.DocTopicsName, pipeline.TopicErrorName} {
		if !bytes.Equal(got[name], want[name]) || len(want[name]) == 0 && name != pipeline.TopicErrorName {
			t.Errorf("%s differs from the clean run with the same seed (%d vs %d bytes)", name, len(got[name]), len(want[name]))
		}
	}
	if len(want) != 3 {
		t.Errorf("archive entries %d, want 3", len(want))
	}
	t.Logf("status %s; stage records %d", j.JobStatus, j.JobDetails.ShardsDone)
}

// TestTopicsKilledMidRound: the real `ream serve` is SIGKILLed while a TOPICS job is in its
// fitting rounds and started again on the same data directory; the output is byte-identical to
// a clean run of the same input and seed.
func TestTopicsKilledMidRound(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ream binary")
	}
	ctx := testCtx(t)
	input, _ := topicsInput(t)
	input = input[:bytes.IndexByte(input[300<<10:], '\n')+300<<10+1]

	clean := startStack(t, Config{ShardBytes: 32 << 10}, pipeline.Hooks{})
	res := createAndUpload(t, ctx, defaultClient(clean), topicsJob(99), input)
	follow(t, ctx, defaultClient(clean), res.JobId)
	want := archiveEntries(t, ctx, clean, res.JobId)

	bin := buildReam(t)
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	// A kill between a stage's status write and the enqueueing of its shards (the test kills as
	// soon as it sees the new stage) leaves the stage to the sweeper, which re-enqueues a job's
	// unrecorded shards after StuckAfter without progress: run it every second with a 3 s
	// threshold, so that the rescue fits in the test's time (the defaults are 1 min and 15 min).
	cfg, _ := json.Marshal(map[string]any{"shardBytes": 32 << 10, "workers": 2, "batchSize": 1, "visibilityTimeout": "2s", "pollInterval": "20ms", "sweepInterval": "1s", "stuckAfter": "3s"})
	config := filepath.Join(root, "config.json")
	if err := os.WriteFile(config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	first := startServe(t, ctx, bin, dataDir, config)
	c := newClient(first.url, DefaultKey)
	res2 := createAndUpload(t, ctx, c, topicsJob(99), input)
	var at job.Details
	waitFor(t, ctx, "a fitting round", func() bool {
		j, err := c.Describe(ctx, res2.JobId)
		if err != nil || j.JobStatus.Terminal() {
			t.Fatalf("describe: %v (%s): the job finished before it could be killed", err, j.JobStatus)
		}
		at = j.JobDetails
		return strings.HasPrefix(at.Stage, "fitting")
	})
	first.kill()
	t.Logf("killed while %s, %d of %d stage shards recorded", at.Stage, at.ShardsDone, at.ShardsTotal)
	second := startServe(t, ctx, bin, dataDir, config)
	c = newClient(second.url, DefaultKey)
	follow(t, ctx, c, res2.JobId)
	links, err := c.Results(ctx, res2.JobId)
	if err != nil {
		t.Fatal(err)
	}
	got := unpackTarGz(t, links.Output.URL)
	for _, name := range []string{pipeline.TopicTermsName, pipeline.DocTopicsName, pipeline.TopicErrorName} {
		if !bytes.Equal(got[name], want[name]) {
			t.Errorf("%s after a SIGKILL mid-round differs from the clean run (%d vs %d bytes)", name, len(got[name]), len(want[name]))
		}
	}
}

// TestTopicsVocabularyTree: with more shards than the vocabulary reduce may open at once it
// merges their statistics in a tree, and the output is byte-identical to the flat reduce's.
func TestTopicsVocabularyTree(t *testing.T) {
	ctx := testCtx(t)
	input, _ := topicsInput(t)
	input = input[:bytes.IndexByte(input[200<<10:], '\n')+200<<10+1]
	run := func(fanIn int) map[string][]byte {
		cfg := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", ShardBytes: 16 << 10, PollInterval: Duration(10 * time.Millisecond), Workers: 2}
		s, err := Start(ctx, cfg, Options{Log: testLogger(t), StatsFanIn: fanIn})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		// The intermediate statistics are work objects, deleted once the job has notified (a
		// look after the notification raced that cleanup and failed CI once): they are counted
		// while the job runs, from the vocabulary reduce to the end of the fit.
		pattern := filepath.Join(cfg.DataDir, "objects", "work", "local", "*", "topics", "stats-merged", "*", "*")
		stop, seen := make(chan struct{}), make(chan int, 1)
		go func() {
			most := 0
			for {
				merged, _ := filepath.Glob(pattern)
				most = max(most, len(merged))
				select {
				case <-stop:
					seen <- most
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		res := createAndUpload(t, ctx, defaultClient(s), topicsJob(5), input)
		_, j := follow(t, ctx, defaultClient(s), res.JobId)
		close(stop)
		merged := <-seen
		if j.JobStatus != job.Completed && j.JobStatus != job.PartialSuccess {
			t.Fatalf("fan-in %d: %s %s", fanIn, j.JobStatus, j.Message)
		}
		if fanIn > 0 && merged == 0 || fanIn == 0 && merged > 0 {
			t.Fatalf("fan-in %d: %d intermediate statistics", fanIn, merged)
		}
		t.Logf("fan-in %d: %d intermediate statistics", fanIn, merged)
		return archiveEntries(t, ctx, s, res.JobId)
	}
	flat, tree := run(0), run(3) // ~13 shards: 13 → 5 → 2 streams
	for _, name := range []string{pipeline.TopicTermsName, pipeline.DocTopicsName, pipeline.TopicErrorName} {
		if !bytes.Equal(flat[name], tree[name]) || len(flat[name]) == 0 && name != pipeline.TopicErrorName {
			t.Errorf("%s differs between the flat and the tree reduce (%d vs %d bytes)", name, len(flat[name]), len(tree[name]))
		}
	}
}

// TestTopicsLateCopy: a copy of an assign shard's message that starts reading after the job
// finished (and deleted the model it reads) is dropped quietly, and what it or any other late
// copy wrote is deleted; before, its read failed and was logged as an error until the message
// came back to a finished job, and written parts stayed until the job expired.
func TestTopicsLateCopy(t *testing.T) {
	ctx := testCtx(t)
	input, _ := topicsInput(t)
	input = input[:bytes.IndexByte(input[100<<10:], '\n')+100<<10+1]
	var ref stackRef
	var calls shardCounter
	var lateRead atomic.Bool
	hooks := pipeline.Hooks{ShardStarted: func(msg pipeline.ShardMessage) error {
		s := ref.get()
		j, err := s.Service.Describe(context.Background(), "local", msg.JobId)
		if err != nil || j.TopicsStage == nil || j.TopicsStage.Kind != "assign" || msg.Index%j.TopicsStage.Shards != 0 || calls.inc(0) > 1 {
			return nil
		}
		if err := s.Shards.Send(ctx, []pipeline.ShardMessage{msg}); err != nil {
			return err
		}
		for ctx.Err() == nil {
			if j, err := s.Service.Describe(ctx, msg.Tenant, msg.JobId); err == nil && j.JobStatus.Terminal() {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		lateRead.Store(true)
		return nil
	}}
	var logs syncbuf.Buffer
	cfg := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", ShardBytes: 32 << 10, PollInterval: Duration(10 * time.Millisecond), Workers: 2, VisibilityTimeout: Duration(time.Second)}
	s, err := Start(ctx, cfg, Options{Hooks: hooks, Log: slog.New(slog.NewTextHandler(io.MultiWriter(&logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	ref.p.Store(s)
	t.Cleanup(func() { s.Close() })
	res := createAndUpload(t, ctx, defaultClient(s), topicsJob(7), input)
	_, j := follow(t, ctx, defaultClient(s), res.JobId)
	if j.JobStatus != job.Completed {
		t.Fatalf("status %s (%s), want COMPLETED", j.JobStatus, j.Message)
	}
	work := filepath.Join(cfg.DataDir, "objects", "work", "local", res.JobId, "topics")
	var left []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		left = left[:0]
		_ = filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if lateRead.Load() && len(left) == 0 {
			break
		}
	}
	if !lateRead.Load() {
		t.Fatal("no late copy of an assign shard ran")
	}
	if len(left) != 0 {
		t.Errorf("work left behind: %v", left)
	}
	time.Sleep(1500 * time.Millisecond) // past the visibility timeout: a failed copy would come back and be logged
	if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "retry") {
		t.Errorf("the late copy was logged as a failure:\n%s", logs.String())
	}
}
