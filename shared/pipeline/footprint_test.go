package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/internal/procstatus"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestLambdaFootprint (REAM_FOOTPRINT=1, with -v) runs the worker function's heaviest jobs
// through the service as one warm worker process on Lambda runs them (every message one after
// another: the plan, the shards, the stages' reduces, finalize), with the configuration the
// stack gives a 1,024 MB worker (1 MiB shards, plan in the worker, FitCPUs 1024/1769 so a TOPICS
// fit runs its restarts one at a time), and prints each job's peak resident memory (VmHWM,
// reset before each job through /proc/self/clear_refs; the analysers' models, loaded once, are
// in every figure, as in a warm worker). The SDK adapters are not in it (the local ones are):
// their share is in the bootstraps' cold start, TestColdStartFootprint in ./functions. It
// measures; the README's "Lambda memory" table holds the figures. The data: ../shared/data.
func TestLambdaFootprint(t *testing.T) {
	if os.Getenv("REAM_FOOTPRINT") == "" {
		t.Skip("a measurement: REAM_FOOTPRINT=1 go test -count=1 -v -timeout 2h -run TestLambdaFootprint ./shared/pipeline/")
	}
	if err := procstatus.ResetPeak(); err != nil {
		t.Skipf("cannot reset the peak resident memory (linux only): %v", err)
	}
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{PlanInWorker: true, FitCPUs: 1024.0 / 1769}, nil)
	if err := st.svc.WarmAnalysers(); err != nil {
		t.Fatal(err)
	}
	t.Logf("warm worker, before any job: resident %.1f MiB", float64(statusKB(t, "VmRSS"))/1024)

	// run runs one job on svc (st's when nil) and prints its peak.
	run := func(t *testing.T, svc *localService, name string, key string, input []byte, req api.CreateJobRequest) *job.Job {
		t.Helper()
		if svc == nil {
			svc = &st
		}
		if err := svc.objects.Put(ctx, key, bytes.NewReader(input)); err != nil {
			t.Fatal(err)
		}
		req.InputDataConfig.S3Uri = "s3://bucket/" + key
		runtime.GC()
		debug.FreeOSMemory()
		if err := procstatus.ResetPeak(); err != nil {
			t.Fatal(err)
		}
		before := statusKB(t, "VmRSS")
		start := time.Now()
		created, err := svc.svc.CreateJob(ctx, "local", req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		messages := drainQueue(t, ctx, *svc)
		took := time.Since(start)
		peak := statusKB(t, "VmHWM")
		j, err := svc.jobs.Get(ctx, "local", created.JobId)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-58s %6.1f MB input, %5d messages, %6.0f s: %s; resident %5.1f MiB before, peak %5.1f MiB (%4.1f %% of 1,024 MB); %s",
			name, float64(len(input))/1e6, messages, took.Seconds(), j.JobStatus, float64(before)/1024, float64(peak)/1024, 100*float64(peak)/1024/1024, j.Message)
		if !j.JobStatus.Terminal() || j.JobStatus == job.Failed {
			t.Errorf("%s: job %s %q", name, j.JobStatus, j.Message)
		}
		return j
	}
	lines := func(format job.Format, analyses ...job.Analysis) api.CreateJobRequest {
		return api.CreateJobRequest{Analyses: analyses, InputDataConfig: job.InputDataConfig{InputFormat: format}}
	}

	// Every per-document analysis, PII with redaction, on documents at the 100,000-byte limit
	// (SENTIMENT's is 5,000 bytes: its records are errors).
	t.Run("mix", func(t *testing.T) {
		mix := lines(job.OneDocPerLine, job.Language, job.Sentiment, job.Entities, job.KeyPhrases, job.PII)
		mix.LanguageCode = "en"
		mix.RedactionConfig = &job.RedactionConfig{MaskMode: "REPLACE_WITH_PII_ENTITY_TYPE"}
		run(t, nil, "LANGUAGE..PII+redaction, 30 documents of 100,000 bytes", "inputs/local/big.txt", bigDocuments(t, 30, 100_000), mix)
	})

	t.Run("coding", func(t *testing.T) {
		occupations := readOccupations(t)
		coding := lines(job.JSONLines, job.Coding)
		coding.CodingConfig = &job.CodingConfig{Topic: "occupation"}
		run(t, nil, "CODING, shipped model, 200,000 records", "inputs/local/records.jsonl", codingRecords(occupations, 200_000, false), coding)

		training := lines(job.JSONLines, job.CodingTraining)
		training.CodingConfig = &job.CodingConfig{Topic: "occupation"}
		n := 100_000
		if v, err := strconv.Atoi(os.Getenv("REAM_FOOTPRINT_TRAINING_RECORDS")); err == nil && v > 0 {
			n = v
		}
		trained := run(t, nil, fmt.Sprintf("CODING_TRAINING, %d labelled records", n), "inputs/local/train.jsonl", codingRecords(occupations, n, true), training)
		if trained.CodingConfig == nil || trained.CodingConfig.ModelId == "" {
			t.Fatalf("training: no model: %s %q", trained.JobStatus, trained.Message)
		}
		coding.CodingConfig = &job.CodingConfig{Topic: "occupation", ModelId: trained.CodingConfig.ModelId}
		run(t, nil, "CODING, the tenant's trained model, 200,000 records", "inputs/local/records2.jsonl", codingRecords(occupations, 200_000, false), coding)
	})

	t.Run("topics", func(t *testing.T) {
		topics := lines(job.OneDocPerLine, job.Topics)
		topics.NumberOfTopics, topics.RandomSeed = new(100), new(int64(1))
		run(t, nil, "TOPICS K=100, 50,000-term vocabulary, 30,000 documents", "inputs/local/topics.txt", topicDocuments(30_000, 60_000), topics)
	})

	// Finalize of a job of 5,000 shards, as many as the 5 GB input limit makes at the default
	// 1 MiB shards (here 4 KiB shards of 20 MB: the shard count is what finalize's work and
	// memory follow, besides the output's bytes, which it streams).
	t.Run("finalize", func(t *testing.T) {
		small := newLocalService(t, pipeline.Config{PlanInWorker: true, FitCPUs: 1024.0 / 1769, ShardBytes: 4096}, nil)
		docs := topicDocuments(40_000, 60_000)
		docs = docs[:bytes.LastIndexByte(docs[:min(len(docs), 20<<20)], '\n')+1]
		run(t, &small, "LANGUAGE, 5,120 shards (finalize at a 5 GB job's shard count)", "inputs/local/many.txt", docs, lines(job.OneDocPerLine, job.Language))
	})
}

// drainQueue runs every message the queue holds, and those they send, one at a time; it
// returns how many ran.
func drainQueue(t *testing.T, ctx context.Context, st localService) int {
	t.Helper()
	n := 0
	for {
		msgs, err := st.queue.Receive(ctx, 10, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return n
		}
		for _, m := range msgs {
			var sm pipeline.ShardMessage
			if err := json.Unmarshal(m.Body, &sm); err != nil {
				t.Fatal(err)
			}
			if err := st.svc.ProcessShard(ctx, sm); err != nil {
				t.Fatalf("message %s: %v", m.Body, err)
			}
			if err := st.queue.Delete(ctx, m.Receipt); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
}

// statusKB reads field (VmHWM, VmRSS: kB) of this process's status.
func statusKB(t *testing.T, field string) int64 {
	t.Helper()
	n, err := procstatus.KB("self", field)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// bigDocuments is n one-line documents of size bytes each: CoNLL-2003 news sentences (names of
// people, places and organisations) with an e-mail address and a phone number every fifth one.
func bigDocuments(t *testing.T, n, size int) []byte {
	t.Helper()
	f, err := os.Open("../../../shared/data/ner-conll03-train.tsv")
	if err != nil {
		t.Skipf("the labelled data beside the repository: %v", err)
	}
	defer f.Close()
	var sentences []string
	var words []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		tok, _, _ := strings.Cut(sc.Text(), "\t")
		if tok == "" {
			if len(words) > 0 {
				sentences = append(sentences, strings.Join(words, " "))
				words = words[:0]
			}
			continue
		}
		words = append(words, tok)
	}
	var out bytes.Buffer
	k := 0
	for d := range n {
		var doc strings.Builder
		for {
			s := sentences[k%len(sentences)] + " "
			if k%5 == 0 {
				s += fmt.Sprintf("Write to person%d@example.com or call 555-010-%04d . ", k, k%10000)
			}
			k++
			if doc.Len()+len(s) > size {
				break
			}
			doc.WriteString(s)
		}
		out.WriteString(doc.String() + strings.Repeat(".", size-doc.Len()))
		out.WriteByte('\n')
		_ = d
	}
	return out.Bytes()
}

type occupation struct{ code, title string }

// readOccupations reads the labelled job titles of ../shared/data.
func readOccupations(t *testing.T) []occupation {
	t.Helper()
	b, err := os.ReadFile("../../../shared/data/occupations-soc2010-train.tsv")
	if err != nil {
		t.Skipf("the labelled data beside the repository: %v", err)
	}
	var out []occupation
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		code, title, ok := strings.Cut(l, "\t")
		if ok {
			out = append(out, occupation{code, title})
		}
	}
	return out
}

// codingRecords is n coding records cycling through occ (labelled with its codes when
// labelled), each title after the first pass followed by a word of its own so that the records
// stay distinct.
func codingRecords(occ []occupation, n int, labelled bool) []byte {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	for i := range n {
		o := occ[i%len(occ)]
		title := o.title
		if i >= len(occ) {
			title += " w" + strconv.Itoa(i/len(occ))
		}
		r := map[string]string{"recordId": strconv.Itoa(i), "occp_text": title, "tasks_text": ""}
		if labelled {
			r["code"] = o.code
		}
		_ = enc.Encode(r)
	}
	return out.Bytes()
}

// topicDocuments is n one-line documents of 60–140 words drawn from a vocabulary of terms
// made-up words (seeded), enough that the vocabulary reduce keeps its 50,000-term maximum.
func topicDocuments(n, terms int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var out bytes.Buffer
	for range n {
		for w := range 60 + r.IntN(80) {
			if w > 0 {
				out.WriteByte(' ')
			}
			out.WriteString(word(r.IntN(terms)))
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// word is a made-up word for i: letters only, so that it is a term.
func word(i int) string {
	b := []byte{'q'}
	for {
		b = append(b, byte('a'+i%26))
		i /= 26
		if i == 0 {
			return string(b) + "ex"
		}
	}
}
