package chaos

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	flagRounds   = flag.Int("rounds", 0, "long form (TestChaos): number of rounds; also $ROUNDS or $CHAOS_ROUNDS")
	flagSeed     = flag.Int64("seed", 0, "first round's seed (round i uses seed+i); also $CHAOS_SEED; default: 1 for the short form, the time for the long form")
	flagMaxDocs  = flag.Int("max-docs", 0, "long form: most documents per line job (default 20000); also $CHAOS_MAX_DOCS")
	flagKeep     = flag.Bool("keep", true, "keep the data directories of failed rounds for post-mortem")
	flagBin      = flag.String("bin", "", "a prebuilt ream binary (default: go build ./cmd/ream)")
	flagMaxKills = flag.Int("max-kills", 0, "long form: most kills per round (default 4)")
)

func envInt(names ...string) int64 {
	for _, n := range names {
		if v, err := strconv.ParseInt(os.Getenv(n), 10, 64); err == nil {
			return v
		}
	}
	return 0
}

// longRounds is the long form's round count; 0 when it was not asked for.
func longRounds() int {
	if *flagRounds > 0 {
		return *flagRounds
	}
	return int(envInt("CHAOS_ROUNDS", "ROUNDS"))
}

func seed(def int64) int64 {
	if *flagSeed != 0 {
		return *flagSeed
	}
	if s := envInt("CHAOS_SEED"); s != 0 {
		return s
	}
	return def
}

// TestChaosShort is the CI form: a few small rounds, each aiming its first kill at one of the
// moments that matter (a webhook retry, an upload landing, the shard tail, a job turning
// terminal, a shard being written, finalize, mid-upload).
func TestChaosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ream and kills it repeatedly; skipped with -short")
	}
	if longRounds() > 0 {
		t.Skip("long form requested: TestChaos runs it")
	}
	run(t, Options{
		Rounds: 6, Seed: seed(1), MinDocs: 1500, MaxDocs: 5000, MaxFiles: 80, MaxJobs: 2, MaxKills: 3,
		RoundTimeout: 75 * time.Second, Short: true, Keep: *flagKeep, Bin: *flagBin,
	})
}

// TestChaos is the long form: go test ./infra/chaos -run 'TestChaos$' -rounds 200 -timeout 0 -v
func TestChaos(t *testing.T) {
	n := longRounds()
	if n == 0 {
		t.Skip("long form: give -rounds N (or ROUNDS=N)")
	}
	run(t, Options{
		Rounds: n, Seed: seed(0), MaxDocs: max(*flagMaxDocs, int(envInt("CHAOS_MAX_DOCS"))), MaxKills: *flagMaxKills,
		Keep: *flagKeep, Bin: *flagBin,
	})
}

func run(t *testing.T, o Options) {
	t.Cleanup(killAll)
	o.Logf = t.Logf
	rep, err := Run(t.Context(), o)
	if rep != nil {
		var b strings.Builder
		rep.Write(&b)
		t.Log("\n" + b.String())
	}
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	if !rep.OK() {
		t.Errorf("chaos found failures (replay a round with -seed S -rounds 1): %s", rep.Summary())
	}
}

// The generator's document counts agree with the input format's definition of a document.
func TestGeneratedInputs(t *testing.T) {
	for s := int64(1); s <= 20; s++ {
		rng := rand.New(rand.NewSource(s))
		n := 200 + rng.Intn(500)
		if got := len(splitDocs(genLines(rng, n, nil))); got != n {
			t.Errorf("seed %d: genLines(%d) holds %d documents", s, n, got)
		}
		if got := len(splitDocs(genJSONL(rng, n))); got != n {
			t.Errorf("seed %d: genJSONL(%d) holds %d documents", s, n, got)
		}
		files := genFiles(rng, 50)
		seen := map[string]bool{}
		for _, f := range files {
			if seen[f.Name] {
				t.Errorf("seed %d: file %s twice", s, f.Name)
			}
			seen[f.Name] = true
		}
		for _, f := range files {
			for dir := f.Name; strings.Contains(dir, "/"); {
				dir = dir[:strings.LastIndex(dir, "/")]
				if seen[dir] {
					t.Errorf("seed %d: %s is a file and a folder", s, dir)
				}
			}
		}
	}
	// Same seed, same round.
	a := genJobs(rand.New(rand.NewSource(7)), 0, 7, genLimits{MinDocs: 100, MaxDocs: 300, MaxFiles: 40, MaxJobs: 3, StopRate: 0.5})
	b := genJobs(rand.New(rand.NewSource(7)), 0, 7, genLimits{MinDocs: 100, MaxDocs: 300, MaxFiles: 40, MaxJobs: 3, StopRate: 0.5})
	if len(a) != len(b) || cacheKey(a[0], serverConfig{}) != cacheKey(b[0], serverConfig{}) {
		t.Error("genJobs is not deterministic")
	}
}

func TestSplitDocs(t *testing.T) {
	in := []byte("\ufeffa\r\nb\rc\n\nd")
	docs := splitDocs(in)
	want := []struct {
		start int64
		text  string
	}{{0, "a"}, {6, "b"}, {8, "c"}, {10, ""}, {11, "d"}}
	if len(docs) != len(want) {
		t.Fatalf("got %d documents, want %d", len(docs), len(want))
	}
	for i, w := range want {
		if docs[i].Start != w.start || string(docs[i].Text) != w.text {
			t.Errorf("doc %d = {%d %q}, want {%d %q}", i, docs[i].Start, docs[i].Text, w.start, w.text)
		}
	}
	if n := len(splitDocs([]byte("a\nb\n"))); n != 2 {
		t.Errorf("a final terminator starts no document: got %d", n)
	}
}

// synthetic builds a line job of n documents in shards of size per, with its reference output
// and a faithful output, manifest and job to be broken by the tests.
func synthetic(n, per int) (*jobSpec, *reference, *jobView, []outRec, *manifest) {
	var data strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&data, "document %d\n", i)
	}
	spec := &jobSpec{Format: formatLine, Data: []byte(data.String())}
	docs := splitDocs(spec.Data)
	spec.Docs = len(docs)
	ref := &reference{Status: "COMPLETED"}
	for i := range docs {
		l := int64(i)
		ref.Recs = append(ref.Recs, outRec{Line: &l, File: "input", raw: fmt.Sprintf(`{"Line":%d,"File":"input","Sentiment":"NEUTRAL"}`, i)})
	}
	if err := ref.index(spec); err != nil {
		panic(err)
	}
	m := &manifest{JobId: "j", JobStatus: "COMPLETED"}
	for k := 0; k*per < n; k++ {
		lo, hi := k*per, min(n, (k+1)*per)
		end := int64(len(spec.Data))
		if hi < n {
			end = docs[hi].Start
		}
		m.Shards = append(m.Shards, shardInfo{Index: k, Start: docs[lo].Start, End: end, Documents: int64(hi - lo), Status: shardProcessed})
	}
	d := jobDetails{InputDocumentsCount: int64(n), ProcessedDocumentsCount: int64(n), ShardsTotal: len(m.Shards), ShardsDone: len(m.Shards)}
	m.JobDetails = d
	m.Output.Lines = int64(n)
	v := &jobView{JobId: "j", JobStatus: "COMPLETED", JobDetails: d}
	recs := append([]outRec(nil), ref.Recs...)
	return spec, ref, v, recs, m
}

func shardFailedRec(line int64) outRec {
	return outRec{Line: &line, File: "input", ErrorCode: "SHARD_FAILED", ErrorMessage: "dead-lettered",
		raw: fmt.Sprintf(`{"Line":%d,"File":"input","ErrorCode":"SHARD_FAILED","ErrorMessage":"dead-lettered"}`, line)}
}

// The checks catch what the chaos rounds are after: a lost or doubled document, a record that
// differs, and a dead-lettered shard's SHARD_FAILED records overwriting a recorded shard.
func TestVerifyOutput(t *testing.T) {
	t.Run("faithful", func(t *testing.T) {
		spec, ref, v, recs, m := synthetic(50, 10)
		f := newFindings()
		verifyOutput(f, spec, ref, v, recs, m)
		verifyStatus(f, ref, v, "none", 0)
		if !f.empty() {
			t.Errorf("a faithful output has findings: %v", f.lines(""))
		}
	})
	t.Run("lost", func(t *testing.T) {
		spec, ref, v, recs, m := synthetic(50, 10)
		recs = append(recs[:7], recs[8:]...)
		f := newFindings()
		verifyOutput(f, spec, ref, v, recs, m)
		if f.counts[kLost] != 1 || f.counts[kCounters] == 0 {
			t.Errorf("lost line: %v", f.lines(""))
		}
	})
	t.Run("doubled", func(t *testing.T) {
		spec, ref, v, recs, m := synthetic(50, 10)
		recs = append(recs[:8], recs[7:]...)
		f := newFindings()
		verifyOutput(f, spec, ref, v, recs, m)
		if f.counts[kDoubled] != 1 {
			t.Errorf("doubled line: %v", f.lines(""))
		}
	})
	t.Run("wrong", func(t *testing.T) {
		spec, ref, v, recs, m := synthetic(50, 10)
		recs[3].raw = strings.Replace(recs[3].raw, "NEUTRAL", "POSITIVE", 1)
		f := newFindings()
		verifyOutput(f, spec, ref, v, recs, m)
		if f.counts[kWrong] != 1 {
			t.Errorf("wrong record: %v", f.lines(""))
		}
	})
	t.Run("dead-lettered shard", func(t *testing.T) {
		spec, ref, v, recs, m := synthetic(50, 10)
		for i := 20; i < 30; i++ {
			recs[i] = shardFailedRec(int64(i))
		}
		m.Shards[2].Status, m.Shards[2].Errors = shardFailed, 10
		v.JobStatus, v.JobDetails.ProcessedDocumentsCount, v.JobDetails.DocumentsWithErrorsCount = "PARTIAL_SUCCESS", 40, 10
		m.JobStatus, m.JobDetails = v.JobStatus, v.JobDetails
		f := newFindings()
		failed := verifyOutput(f, spec, ref, v, recs, m)
		verifyStatus(f, ref, v, "none", failed)
		if !f.empty() || failed != 1 {
			t.Errorf("SHARD_FAILED records in a FAILED shard are legitimate: %d failed, %v", failed, f.lines(""))
		}
	})
	t.Run("dead letter overwrites a recorded shard", func(t *testing.T) {
		spec, ref, v, recs, m := synthetic(50, 10)
		for i := 20; i < 30; i++ {
			recs[i] = shardFailedRec(int64(i)) // the shard is PROCESSED in the manifest and counters
		}
		f := newFindings()
		verifyOutput(f, spec, ref, v, recs, m)
		if f.counts[kWrong] != 10 || f.counts[kCounters] == 0 || f.counts[kManifest] == 0 {
			t.Errorf("SHARD_FAILED in a PROCESSED shard: %v", f.counts)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		spec, ref, v, recs, m := synthetic(50, 10)
		recs = append(recs[:20], recs[30:]...)
		m.Shards[2].Status = shardSkipped
		v.JobStatus, v.JobDetails.InputDocumentsCount, v.JobDetails.ProcessedDocumentsCount = "STOPPED", 40, 40
		m.JobStatus, m.JobDetails, m.Output.Lines = v.JobStatus, v.JobDetails, 40
		f := newFindings()
		verifyOutput(f, spec, ref, v, recs, m)
		verifyStatus(f, ref, v, "accepted", 0)
		if !f.empty() {
			t.Errorf("a stopped job's output: %v", f.lines(""))
		}
		f = newFindings()
		verifyStatus(f, ref, v, "none", 0)
		if f.counts[kStatus] != 1 {
			t.Errorf("STOPPED without a stop: %v", f.lines(""))
		}
		// A stop accepted while the last shards ran skips nothing: the job ends as without it,
		// and must then match the reference's status.
		_, ref, v, _, _ = synthetic(50, 10)
		f = newFindings()
		verifyStatus(f, ref, v, "accepted", 0)
		if !f.empty() {
			t.Errorf("a stop that skipped nothing, job ended %s: %v", v.JobStatus, f.lines(""))
		}
		v.JobStatus = "FAILED"
		f = newFindings()
		verifyStatus(f, ref, v, "accepted", 0)
		if f.counts[kStatus] == 0 {
			t.Errorf("stop accepted, job FAILED: not reported")
		}
	})
}

func TestReceiver(t *testing.T) {
	r, err := startReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	_, h := r.round("t", 3, 1.0) // refuse every first attempt
	body := []byte(`{"JobId":"j1","Tenant":"local","JobStatus":"COMPLETED"}`)
	codes := []int{h.receive("1", body), h.receive("1", body), h.receive("1", body), h.receive("1", body)}
	if codes[0] != 503 || codes[2] != 200 || codes[3] != 200 {
		t.Errorf("answers %v: want the first refused, later ones accepted", codes)
	}
	for i := 0; i < 3; i++ {
		h.receive("2", body) // a second distinct notification for the same job
	}
	seqs, _, posts := h.forJob("j1")
	if len(seqs) != 2 || posts != 7 {
		t.Errorf("distinct seqs %v, posts %d", seqs, posts)
	}
	if h.receive("", body) != 200 || len(h.problems) != 1 {
		t.Errorf("a delivery without a seq is a problem: %v", h.problems)
	}
}
