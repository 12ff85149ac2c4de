package aws_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/analysis/topics"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// e2eTopicsShardBytes cuts the ~210 KB input into about 7 shards: every stage is that many
// messages through SQS.
const e2eTopicsShardBytes = 32 << 10

// e2eTopicsDocs is how many DEP-11 descriptions the input takes (a quick fit).
const e2eTopicsDocs = 400

// TestE2ETopics runs TOPICS jobs on the emulators with the AWS adapters: created through the API
// handler (IAM identity), the input PUT to MinIO through the presigned URL, MinIO's notification
// into ingest, and every map-reduce stage (count, sample, the EM rounds, assign) as shard messages
// the pipeline enqueues on SQS and the worker consumes through a poller that acts as Lambda's
// event source; the job state, TopicsStage included, lives in DynamoDB. The first job checks
// output.tar.gz (topic-terms.csv, doc-topics.csv, errors.jsonl), the counters and the SNS
// notification; the second runs the same input and seed with every shard message of every stage
// sent twice, and must give byte-identical files.
func TestE2ETopics(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	s := newE2EStack(t, ctx, e2eTopicsShardBytes)
	dup := &e2eDupQueue{}
	s.rebuild(t, ctx, e2eDeps{
		shardBytes: e2eTopicsShardBytes, kmsKey: e2eProbeKMS(t, ctx, s),
		wrapQueue: func(q pipeline.Queue) pipeline.Queue { dup.next = q; return dup },
	})
	s3Events := e2eStartObjectEvents(t, ctx, s)
	var deliveries e2eDeliveries
	e2eEventSources(t, ctx, s, 30*time.Second, deliveries.add)
	sub := e2eNewSubscriber(s)
	tenant := handlers.TenantFromARN(e2eCaller)
	data, bad, cats := e2eTopicsInput(t)
	// Every map step the worker wrote (before recording it), by job and index.
	var writes e2eDeliveries
	s.failShard.Store(e2ePtrTo(func(m pipeline.ShardMessage) bool { writes.add(m); return false }))

	run := func(t *testing.T, name string, twice bool) (map[string][]byte, *job.Job) {
		t.Helper()
		seed := int64(7)
		body, err := json.Marshal(api.CreateJobRequest{
			JobName:         name + "-" + uniq(t),
			Analyses:        []job.Analysis{job.Topics},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
			NumberOfTopics:  new(10), RandomSeed: &seed,
		})
		if err != nil {
			t.Fatal(err)
		}
		var res api.CreateJobResult
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs", string(body), ""), http.StatusCreated, &res)
		if res.Job == nil || res.JobStatus != job.AwaitingInput || res.Upload == nil {
			t.Fatalf("create answered %+v", res)
		}
		if twice {
			dup.duplicate(res.JobId)
		}
		key := layout.UploadKey(tenant, res.JobId)
		e2eUpload(t, ctx, res.Upload.Presigned, data)
		s3Events.uploaded(t, ctx, key)
		e2eCheckObjectEvent(t, s, s3Events.webhook, s3Events.waitIngested(t, ctx, key), key, len(data))
		d := sub.wait(t, ctx, res.JobId)

		var j job.Job
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+res.JobId, "", ""), http.StatusOK, &j)
		// The hidden TopicsStage, as the store keeps it.
		stored, err := s.svc.Describe(ctx, tenant, res.JobId)
		if err != nil {
			t.Fatal(err)
		}
		ts := stored.TopicsStage
		if ts == nil || ts.Kind != "assign" || ts.Shards < 4 || ts.Index < 3 {
			t.Fatalf("stored TopicsStage %+v; want the assign stage over at least 4 shards", ts)
		}
		n := int64(bytes.Count(data, []byte("\n")))
		dt := j.JobDetails
		if j.JobStatus != job.PartialSuccess || dt.InputDocumentsCount != n || dt.ShardsTotal != (ts.Index+1)*ts.Shards || dt.ShardsDone != dt.ShardsTotal {
			t.Errorf("job %s %q %+v; want PARTIAL_SUCCESS (bad lines), %d documents, (%d stages × %d shards) done", j.JobStatus, j.Message, dt, n, ts.Index+1, ts.Shards)
		}
		note := d.Note
		if note.JobStatus != j.JobStatus || note.Tenant != tenant || note.InputDocumentsCount != dt.InputDocumentsCount ||
			note.DocumentsWithErrorsCount != dt.DocumentsWithErrorsCount || note.ProcessedDocumentsCount != dt.ProcessedDocumentsCount ||
			note.OutputLocation != "s3://"+s.bucket+"/"+layout.OutputPrefix(tenant, res.JobId) || d.Topic != s.topicARN {
			t.Errorf("notification %+v from %s; the job is %s %+v", note, d.Topic, j.JobStatus, dt)
		}

		// Every stage went through SQS: each shard record index 0 … ShardsTotal-1 reached the
		// worker. (With every message sent twice, a stage may move on before the second copy
		// of its messages arrives: those are counted once the queue is drained.)
		got := deliveries.of(res.JobId)
		for i := 0; i < dt.ShardsTotal; i++ {
			if got[i] < 1 {
				t.Errorf("shard message %d (stage %d) never reached the worker", i, i/ts.Shards)
			}
		}

		var links api.ResultLinks
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+res.JobId+"/results", "", ""), http.StatusOK, &links)
		files := e2eArchiveEntries(t, e2eDownload(t, ctx, links.Output))
		var m output.Manifest
		if err := json.Unmarshal(e2eDownload(t, ctx, links.Manifest), &m); err != nil {
			t.Fatalf("manifest.json: %v", err)
		}
		var manDocs int64
		for _, sh := range m.Shards {
			manDocs += sh.Documents
		}
		if m.JobId != res.JobId || m.JobStatus != j.JobStatus || len(m.Shards) != ts.Shards || manDocs != n || len(m.Analyses) != 1 || m.Analyses[0].Analysis != job.Topics {
			t.Errorf("manifest %s %s, %d shards with %d documents, analyses %+v; want %d shards, %d documents", m.JobId, m.JobStatus, len(m.Shards), manDocs, m.Analyses, ts.Shards, n)
		} else {
			t.Logf("job %s: %d documents, %d shards, %d stages, %s", res.JobId, n, ts.Shards, ts.Index+1, m.Analyses[0].ModelVersion)
		}
		return files, &j
	}

	var first map[string][]byte
	t.Run("lifecycle", func(t *testing.T) {
		files, j := run(t, "e2e-topics", false)
		first = files
		e2eCheckTopicsFiles(t, files, j, bad, cats)
	})
	if first == nil {
		t.FailNow()
	}

	t.Run("every message delivered twice", func(t *testing.T) {
		before := dup.sent.Load()
		files, j := run(t, "e2e-topics-twice", true)
		if dup.sent.Load() == before {
			t.Fatal("no shard message was sent twice")
		}
		for _, name := range []string{pipeline.TopicTermsName, pipeline.DocTopicsName, pipeline.TopicErrorName} {
			if !bytes.Equal(files[name], first[name]) {
				t.Errorf("%s differs from the first run with the same input and seed (%d vs %d bytes)", name, len(files[name]), len(first[name]))
			}
		}
		// Every copy is consumed (the late ones of a finished stage are dropped and deleted);
		// then every message of every stage was delivered twice.
		e2eWaitDrained(t, ctx, s.c, "shard", s.queues.URL)
		got := deliveries.of(j.JobId)
		for i := 0; i < j.JobDetails.ShardsTotal; i++ {
			if got[i] < 2 {
				t.Errorf("shard message %d was delivered %d times, want 2", i, got[i])
			}
		}
		again := 0
		for _, n := range writes.of(j.JobId) {
			if n > 1 {
				again++
			}
		}
		t.Logf("%d extra copies sent; %d deliveries of %d shard messages; %d map steps ran again on a second copy (the others' copies came after their stage was over, and were dropped)",
			dup.sent.Load()-before, e2eSum(got), j.JobDetails.ShardsTotal, again)
	})
	e2eWaitDrained(t, ctx, s.c, "dead-letter", s.queues.DLQURL)
}

// e2eTopicsInput is the first e2eTopicsDocs DEP-11 application descriptions, one document per
// line, with an empty line and an invalid UTF-8 line put in; bad maps those lines to the error
// code the reader must give them, and cats holds each line's category ("" for the bad ones).
func e2eTopicsInput(t *testing.T) (data []byte, bad map[int64]string, cats []string) {
	t.Helper()
	f, err := os.Open("../analysis/topics/testdata/topics-dep11.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	bad = map[int64]string{}
	var line int64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for docs := 0; docs < e2eTopicsDocs && sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		cat, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		switch docs {
		case 100:
			buf.WriteString("\n")
			bad[line] = job.CodeEmptyDocument
			cats = append(cats, "")
			line++
		case 250:
			buf.WriteString("\xff\xfe broken\n")
			bad[line] = job.CodeUnsupportedEncoding
			cats = append(cats, "")
			line++
		}
		buf.WriteString(strings.ReplaceAll(text, "\r", " ") + "\n")
		cats = append(cats, cat)
		line++
		docs++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), bad, cats
}

// e2eArchiveEntries unpacks output.tar.gz into name → bytes.
func e2eArchiveEntries(t *testing.T, archive []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("output.tar.gz: %v", err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("output.tar.gz: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("output.tar.gz %s: %v", h.Name, err)
		}
		out[h.Name] = b
	}
	return out
}

// e2eCheckTopicsFiles checks a TOPICS job's files: topic-terms.csv has 10 terms for each of the
// 10 topics; every line of the input is either in doc-topics.csv (docname input:<line>, each
// proportion in (0, 1]) or in errors.jsonl (the bad lines with their codes, and any document
// with no vocabulary term), never both; the job's counters agree with the files; and the topics
// follow the descriptions' categories far better than chance.
func e2eCheckTopicsFiles(t *testing.T, files map[string][]byte, j *job.Job, bad map[int64]string, cats []string) {
	t.Helper()
	lines := len(cats)
	if len(files) != 3 {
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		t.Errorf("output.tar.gz holds %v, want %s, %s and %s", names, pipeline.TopicTermsName, pipeline.DocTopicsName, pipeline.TopicErrorName)
	}
	terms, err := csv.NewReader(bytes.NewReader(files[pipeline.TopicTermsName])).ReadAll()
	if err != nil || len(terms) != 1+10*10 || strings.Join(terms[0], ",") != "topic,term,weight" {
		t.Fatalf("topic-terms.csv: %d rows, %v; want a header and 100 rows", len(terms), err)
	}
	perTopic := map[string]int{}
	for _, r := range terms[1:] {
		w, err := strconv.ParseFloat(r[2], 64)
		if len(r) != 3 || r[1] == "" || err != nil || w <= 0 {
			t.Errorf("topic-terms.csv row %v", r)
		}
		perTopic[r[0]]++
	}
	for k := range 10 {
		if name := strconv.Itoa(1000 + k)[1:]; perTopic[name] != 10 {
			t.Errorf("topic %s has %d terms, want 10 (%v)", name, perTopic[name], perTopic)
		}
	}

	rows, err := csv.NewReader(bytes.NewReader(files[pipeline.DocTopicsName])).ReadAll()
	if err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != "docname,topic,proportion" {
		t.Fatalf("doc-topics.csv: %d rows, %v", len(rows), err)
	}
	withTopics := map[int64]float64{} // line → sum of its proportions
	best := map[int64]struct {
		k int
		p float64
	}{}
	for _, r := range rows[1:] {
		num, ok := strings.CutPrefix(r[0], "input:")
		line, err := strconv.ParseInt(num, 10, 64)
		k, kerr := strconv.Atoi(r[1])
		p, perr := strconv.ParseFloat(r[2], 64)
		if !ok || err != nil || line < 0 || line >= int64(lines) || kerr != nil || k < 0 || k >= 10 || perr != nil || p <= 0 || p > 1 {
			t.Fatalf("doc-topics.csv row %v", r)
		}
		withTopics[line] += p
		if b, ok := best[line]; !ok || p > b.p {
			best[line] = struct {
				k int
				p float64
			}{k, p}
		}
	}
	for line, sum := range withTopics {
		if sum > 1.0001 {
			t.Errorf("line %d: proportions sum to %f", line, sum)
		}
	}

	errLines := map[int64]e2eOutLine{}
	for _, l := range bytes.Split(bytes.TrimSpace(files[pipeline.TopicErrorName]), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var r e2eOutLine
		if err := json.Unmarshal(l, &r); err != nil || r.Line == nil || r.ErrorCode == "" || r.ErrorMessage == "" {
			t.Fatalf("errors.jsonl line %q: %v", l, err)
		}
		if _, twice := errLines[*r.Line]; twice {
			t.Errorf("line %d is in errors.jsonl twice", *r.Line)
		}
		errLines[*r.Line] = r
	}
	for line := int64(0); line < int64(lines); line++ {
		_, topics := withTopics[line]
		e, failed := errLines[line]
		switch {
		case topics && failed:
			t.Errorf("line %d has topics and an error record (%s)", line, e.ErrorCode)
		case !topics && !failed:
			t.Errorf("line %d has neither topics nor an error record", line)
		case bad[line] != "" && e.ErrorCode != bad[line]:
			t.Errorf("bad line %d: error %q (topics %v), want %s", line, e.ErrorCode, topics, bad[line])
		case bad[line] == "" && failed && e.ErrorCode != "NO_TOPIC_TERMS":
			t.Errorf("line %d: error %s %q", line, e.ErrorCode, e.ErrorMessage)
		}
	}
	d := j.JobDetails
	if d.InputDocumentsCount != int64(lines) || d.DocumentsWithErrorsCount != int64(len(errLines)) || d.ProcessedDocumentsCount != int64(len(withTopics)) {
		t.Errorf("counters %+v; the files hold %d documents with topics and %d error records for %d lines", d, len(withTopics), len(errLines), lines)
	}
	var labels []string
	var clusters []int
	for line, b := range best {
		labels, clusters = append(labels, cats[line]), append(clusters, b.k)
	}
	nmi := topics.NMI(labels, clusters)
	if nmi < 0.2 {
		t.Errorf("NMI %.3f between the documents' main topics and their categories: the topics do not follow the categories", nmi)
	}
	t.Logf("%d lines: %d with topics, %d error records; NMI %.3f against the categories; topic 000: %v", lines, len(withTopics), len(errLines), nmi, terms[1:4])
}

func e2eSum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
