package local

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestTopicsTinyCollections: a collection no model can be fitted on fails with a Message that
// says why, and still has an output whose errors.jsonl holds a record for every document (never
// stuck, never a crash, no document lost); fewer documents than topics is refused the same way
// instead of giving copies of one topic; enough documents for K get topics.
func TestTopicsTinyCollections(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	three := "apple banana cherry\napple banana grape\nbanana cherry grape\n"
	for _, tt := range []struct {
		in      string
		k       int
		want    job.Status
		message string
		codes   []string // ErrorCode of each errors.jsonl line, in order
	}{
		// One document: its words are the vocabulary (TestTopicsOneAndTwoDocuments), so K=10
		// is too many topics, and the Message does not speak of other documents.
		{"just one line here\n", 10, job.Failed, "NumberOfTopics is 10, but only 1 of its documents has words other than stop words and generic words; ask for at most 1 topic", []string{"NO_TOPIC_MODEL"}},
		{"the and of\n\n", 10, job.Failed, "none of its documents has a word once English stop words", []string{"NO_TOPIC_MODEL", "EMPTY_DOCUMENT"}},
		{"chess openings\nviolin concerto\n", 2, job.Failed, "no word occurs in two or more of its documents", []string{"NO_TOPIC_MODEL", "NO_TOPIC_MODEL"}},
		{strings.Repeat("puzzle game \xff levels\n", 5), 10, job.Failed, "all 5 documents failed; the output has an error record for each", []string{"UNSUPPORTED_ENCODING", "UNSUPPORTED_ENCODING", "UNSUPPORTED_ENCODING", "UNSUPPORTED_ENCODING", "UNSUPPORTED_ENCODING"}},
		{three, 10, job.Failed, "NumberOfTopics is 10, but only 3 of its documents have words that occur in other documents; ask for at most 3 topics", []string{"NO_TOPIC_MODEL", "NO_TOPIC_MODEL", "NO_TOPIC_MODEL"}},
		{three, 3, job.Completed, "", nil},
		// Fewer differ than there are documents: the hint is the number that differ (found from
		// outside: it said 5, and K=5 then failed saying 3).
		{"alpha beta\nalpha beta\ngamma delta\ngamma delta\nalpha gamma\n", 10, job.Failed, "only 3 different sets of the words that occur in other documents (documents with the same words are alike to the model); ask for at most 3 topics", []string{"NO_TOPIC_MODEL", "NO_TOPIC_MODEL", "NO_TOPIC_MODEL", "NO_TOPIC_MODEL", "NO_TOPIC_MODEL"}},
	} {
		req := topicsJob(1)
		req.NumberOfTopics = new(tt.k)
		res := createAndUpload(t, ctx, c, req, []byte(tt.in))
		_, j := follow(t, ctx, c, res.JobId)
		name := fmt.Sprintf("%q K=%d", tt.in, tt.k)
		if j.JobStatus != tt.want {
			t.Errorf("%s: %s (%s), want %s", name, j.JobStatus, j.Message, tt.want)
		}
		if !strings.Contains(j.Message, tt.message) {
			t.Errorf("%s: Message %q, want it to say %q", name, j.Message, tt.message)
		}
		files := archiveEntries(t, ctx, s, res.JobId)
		var codes []string
		for _, l := range strings.Split(strings.TrimSpace(string(files[pipeline.TopicErrorName])), "\n") {
			if l == "" {
				continue
			}
			var rec struct{ ErrorCode string }
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("%s: errors.jsonl line %q: %v", name, l, err)
			}
			codes = append(codes, rec.ErrorCode)
		}
		if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
			t.Errorf("%s: error codes %v, want %v", name, codes, tt.codes)
		}
		if tt.want == job.Failed && (string(files[pipeline.TopicTermsName]) != "topic,term,weight\n" || string(files[pipeline.DocTopicsName]) != "docname,topic,proportion\n") {
			t.Errorf("%s: a failed fit's topic files are not their headers alone: %q %q", name, files[pipeline.TopicTermsName], files[pipeline.DocTopicsName])
		}
		if d := j.JobDetails; d.DocumentsWithErrorsCount != int64(len(tt.codes)) || d.InputDocumentsCount != int64(strings.Count(tt.in, "\n")) {
			t.Errorf("%s: counters %+v, want %d documents with errors", name, d, len(tt.codes))
		}
		// The manifest's shards add up to the counters, the assign stage's errors included (found
		// from outside: NO_TOPIC_MODEL and NO_TOPIC_TERMS were left out of its Errors).
		var m output.Manifest
		if b, err := os.ReadFile(localPath(t, j.ManifestFilePath)); err != nil || json.Unmarshal(b, &m) != nil {
			t.Fatalf("%s: manifest %q: %v", name, j.ManifestFilePath, err)
		}
		var docs, errs int64
		for _, sh := range m.Shards {
			docs += sh.Documents
			errs += sh.Errors
		}
		if docs != j.JobDetails.InputDocumentsCount || errs != j.JobDetails.DocumentsWithErrorsCount {
			t.Errorf("%s: manifest shards hold %d documents and %d errors, counters %d and %d", name, docs, errs, j.JobDetails.InputDocumentsCount, j.JobDetails.DocumentsWithErrorsCount)
		}
	}
	// A JSONL input's error records carry the record's RecordId, as every analysis's do (found
	// from outside: TOPICS dropped it).
	req := topicsJob(1)
	req.NumberOfTopics = new(2)
	req.InputDataConfig.InputFormat = job.JSONLines
	in := `{"recordId":"r0","text":"apple banana cherry"}` + "\n" + `{"recordId":"r1","text":"apple banana grape"}` + "\n" +
		`{"recordId":"r2","text":""}` + "\n" + `{"recordId":"r3","text":"banana cherry grape"}` + "\n"
	res := createAndUpload(t, ctx, c, req, []byte(in))
	follow(t, ctx, c, res.JobId)
	var rec struct{ RecordId, ErrorCode string }
	if err := json.Unmarshal(bytes.TrimSpace(archiveEntries(t, ctx, s, res.JobId)[pipeline.TopicErrorName]), &rec); err != nil || rec.RecordId != "r2" || rec.ErrorCode != job.CodeEmptyDocument {
		t.Errorf("JSONL error record %+v, %v; want RecordId r2, EMPTY_DOCUMENT", rec, err)
	}
}

// TestTopicsOneAndTwoDocuments: a one-document collection gets topics of its own words, as
// Comprehend gives it topics (it failed: no word occurred in two of its documents, the
// vocabulary's rule, which no word of a single document can meet; now such a collection keeps
// every word), and a two-document collection gets topics of the words its documents share, as
// before; the topics of a larger collection are unchanged (topics.TestDEP11Golden).
func TestTopicsOneAndTwoDocuments(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	for _, tt := range []struct {
		in                   string
		k                    int
		topicTerms, docTopic string // the two files, exactly (seed 1)
	}{
		// One document: one topic of its words (chess twice, the others once), its proportion 1.
		{"Chess engines analyse positions; chess players study openings.\n", 1,
			"topic,term,weight\n000,chess,0.220085\n000,analyse,0.129986\n000,engines,0.129986\n000,openings,0.129986\n000,players,0.129986\n000,positions,0.129986\n000,study,0.129986\n",
			"docname,topic,proportion\ninput:0,000,1\n"},
		// Two documents: the words they share, chess and engines (the others are in one
		// document only); one topic each, weighted as each document uses them.
		{"Chess engines analyse chess positions.\nChess players study engines, engines and openings.\n", 2,
			"topic,term,weight\n000,chess,0.62816\n000,engines,0.37184\n001,engines,0.62816\n001,chess,0.37184\n",
			"docname,topic,proportion\ninput:0,000,0.986372\ninput:0,001,0.0136278\ninput:1,001,0.986372\ninput:1,000,0.0136278\n"},
	} {
		req := topicsJob(1)
		req.NumberOfTopics = new(tt.k)
		res := createAndUpload(t, ctx, c, req, []byte(tt.in))
		_, j := follow(t, ctx, c, res.JobId)
		name := fmt.Sprintf("%q K=%d", tt.in, tt.k)
		if j.JobStatus != job.Completed || j.JobDetails.ProcessedDocumentsCount != int64(strings.Count(tt.in, "\n")) {
			t.Errorf("%s: %s (%s), %+v; want COMPLETED, every document processed", name, j.JobStatus, j.Message, j.JobDetails)
			continue
		}
		files := archiveEntries(t, ctx, s, res.JobId)
		if got := string(files[pipeline.TopicTermsName]); got != tt.topicTerms {
			t.Errorf("%s: topic-terms.csv\n%s\nwant\n%s", name, got, tt.topicTerms)
		}
		if got := string(files[pipeline.DocTopicsName]); got != tt.docTopic {
			t.Errorf("%s: doc-topics.csv\n%s\nwant\n%s", name, got, tt.docTopic)
		}
	}
}

// TestTopicsManyFileLines: a line input under a prefix reports each document as <file>:<line>
// with the line within its own file (as every other analysis does), in doc-topics.csv and in
// errors.jsonl, whatever the shard size; and a finished TOPICS job leaves nothing of its fit
// under work/.
func TestTopicsManyFileLines(t *testing.T) {
	ctx := testCtx(t)
	input, _ := topicsInput(t)
	lines := strings.SplitAfter(string(input), "\n")[:200]
	a := strings.Join(lines[:100], "")
	b := strings.Join(lines[100:103], "") + "\n" + strings.Join(lines[103:200], "") // line 3 of b is empty
	for _, shardBytes := range []int64{0, 8 << 10} {
		s := startStack(t, Config{ShardBytes: shardBytes}, pipeline.Hooks{})
		c := defaultClient(s)
		root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "multi")
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string]string{"a.txt": a, "b.txt": b} {
			if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		base, err := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
		if err != nil {
			t.Fatal(err)
		}
		req := topicsJob(9)
		req.NumberOfTopics = new(4)
		req.InputDataConfig.S3Uri = FileURI(base) + "/inputs/local/multi/"
		res, err := c.CreateJob(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		_, j := follow(t, ctx, c, res.JobId)
		files := archiveEntries(t, ctx, s, res.JobId)
		seen := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(string(files[pipeline.DocTopicsName])), "\n")[1:] {
			seen[l[:strings.IndexByte(l, ',')]] = true
		}
		for _, want := range []string{"a.txt:0", "a.txt:99", "b.txt:0", "b.txt:2", "b.txt:4", "b.txt:100"} {
			if !seen[want] {
				t.Errorf("shards of %d bytes: doc-topics.csv has no %s (status %s, %s)", shardBytes, want, j.JobStatus, j.Message)
			}
		}
		for _, never := range []string{"a.txt:100", "b.txt:3", "b.txt:101", "b.txt:200"} {
			if seen[never] {
				t.Errorf("shards of %d bytes: doc-topics.csv has %s", shardBytes, never)
			}
		}
		if got := strings.TrimSpace(string(files[pipeline.TopicErrorName])); !strings.Contains(got, `"Line":3,"File":"b.txt"`) || strings.Count(got, "\n") != 0 {
			t.Errorf("shards of %d bytes: errors.jsonl %q, want the one empty line b.txt:3", shardBytes, got)
		}
		// The clean-up follows the notification: wait for it (bounded by the test's context).
		var left []string
		waitFor(t, ctx, "the fit's work objects deleted", func() bool {
			left = left[:0]
			filepath.WalkDir(filepath.Join(s.cfg.DataDir, "objects", "work", "local", res.JobId), func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !strings.HasSuffix(p, "plan.jsonl") {
					left = append(left, p)
				}
				return nil
			})
			return len(left) == 0
		})
		if bytes.Contains(files[pipeline.DocTopicsName], []byte("a.txt:-")) {
			t.Error("negative line")
		}
	}
}

// TestTopicsOptionsChecked: NumberOfTopics is an integer from 1 to 100 when given (0 is not
// "absent"), a wrong JSON type is named in JSON's terms, a whole number too large for the field
// is said to be out of range, and a seed the service chooses is below
// 2^53, so that jq and JavaScript show it exactly and it can be passed back.
func TestTopicsOptionsChecked(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	const head = `{"Analyses":["TOPICS"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}`
	for _, tc := range []struct{ extra, want string }{
		{`,"NumberOfTopics":0`, "NumberOfTopics must be between 1 and 100"},
		{`,"NumberOfTopics":101`, "NumberOfTopics must be between 1 and 100"},
		{`,"NumberOfTopics":-1`, "NumberOfTopics must be between 1 and 100"},
		{`,"NumberOfTopics":2.5`, "NumberOfTopics must be an integer, not a JSON number 2.5"},
		{`,"NumberOfTopics":"5"`, "NumberOfTopics must be an integer, not a JSON string"},
		{`,"RandomSeed":"7"`, "RandomSeed must be an integer, not a JSON string"},
		// a whole number out of the field's range is not called "not an integer"
		{`,"NumberOfTopics":99999999999999999999`, "NumberOfTopics must be an integer from -9223372036854775808 to 9223372036854775807, not 99999999999999999999"},
		{`,"RandomSeed":-99999999999999999999`, "RandomSeed must be an integer from -9223372036854775808 to 9223372036854775807, not -99999999999999999999"},
		{`,"NumberOfTopics":1e2`, "NumberOfTopics must be an integer, not a JSON number 1e2"},
	} {
		st, e, _ := rawRequest(t, http.MethodPost, s.URL+"/v1/jobs", DefaultKey, head+tc.extra+"}")
		if st != http.StatusBadRequest || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s: %d %q, want 400 saying %q", tc.extra, st, e.Message, tc.want)
		}
	}
	c := defaultClient(s)
	for i := 0; i < 20; i++ {
		res, err := c.CreateJob(testCtx(t), api.CreateJobRequest{Analyses: []job.Analysis{job.Topics}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
		if err != nil {
			t.Fatal(err)
		}
		j, err := c.Describe(testCtx(t), res.JobId)
		if err != nil {
			t.Fatal(err)
		}
		if j.NumberOfTopics != 10 || j.RandomSeed == nil || *j.RandomSeed < 0 || *j.RandomSeed >= 1<<53 {
			t.Fatalf("defaults: NumberOfTopics %d, RandomSeed %v; want 10 and a seed in [0, 2^53)", j.NumberOfTopics, j.RandomSeed)
		}
	}
}

// TestTopicsTooAlike: documents that share all their words fail with a Message that says so
// (found from outside: 30 near-identical reviews were told that no word occurs in two or more
// documents), each readable one with a NO_TOPIC_MODEL record. The counters never go down on the
// way: the job is read before every shard is recorded (a .ci/run caught
// ProcessedDocumentsCount falling from 12 to 0, when the count stage counted the documents it
// read as processed and the assign stage found them unusable).
func TestTopicsTooAlike(t *testing.T) {
	ctx := testCtx(t)
	var ref stackRef
	var mu sync.Mutex
	var last job.Details
	var seen int
	hooks := pipeline.Hooks{AfterShardWritten: func(msg pipeline.ShardMessage) error {
		mu.Lock()
		defer mu.Unlock()
		cur, err := ref.get().Service.Describe(context.Background(), "local", msg.JobId)
		if err != nil {
			return err
		}
		seen++
		checkNotBackwards(t, cur.JobDetails, last)
		last = cur.JobDetails
		return nil
	}}
	s := startStack(t, Config{}, hooks)
	ref.p.Store(s)
	c := defaultClient(s)
	req := topicsJob(1)
	req.NumberOfTopics = new(3)
	res := createAndUpload(t, ctx, c, req, []byte(strings.Repeat("The product from Acme arrived in Seattle quickly\n", 12)))
	_, j := follow(t, ctx, c, res.JobId)
	mu.Lock()
	checkNotBackwards(t, j.JobDetails, last)
	if seen < 2 {
		t.Errorf("the job was read before %d shards were recorded, want the count and assign stages' at least", seen)
	}
	mu.Unlock()
	if j.JobStatus != job.Failed || !strings.Contains(j.Message, "occurs in more than 50 % of them, so they are too alike to tell topics apart") {
		t.Errorf("%s %q, want FAILED saying the documents are too alike", j.JobStatus, j.Message)
	}
	if errs := string(archiveEntries(t, ctx, s, res.JobId)[pipeline.TopicErrorName]); strings.Count(errs, `"NO_TOPIC_MODEL"`) != 12 || j.JobDetails.DocumentsWithErrorsCount != 12 {
		t.Errorf("error records %q, counters %+v, want 12 NO_TOPIC_MODEL", errs, j.JobDetails)
	}
}

// TestTopicsTermSpellings: topic-terms.csv shows each term as its documents spell it most often,
// not as the shortest spelling seen (found from outside on IMDB reviews: "characted", "polic"),
// and the choice does not depend on the shard size.
func TestTopicsTermSpellings(t *testing.T) {
	ctx := testCtx(t)
	var in strings.Builder
	for i := range 60 {
		switch i % 3 {
		case 0:
			in.WriteString("The police officers questioned witnesses after the robbery; police patrols arrested suspects downtown.\n")
		case 1:
			in.WriteString("Gardeners planted tulips and roses; the gardens bloomed with flowers in spring sunshine.\n")
		default:
			in.WriteString("The chef simmered tomato sauce and baked bread; the kitchen smelled of garlic and basil.\n")
		}
	}
	in.WriteString("The polic patrols arrested suspects after the robbery.\n") // a typo: the shortest spelling of the stem "polic"
	var got [][]string
	for _, shardBytes := range []int64{512, 64 << 10} {
		s := startStack(t, Config{ShardBytes: shardBytes}, pipeline.Hooks{})
		c := defaultClient(s)
		req := topicsJob(3)
		req.NumberOfTopics = new(3)
		res := createAndUpload(t, ctx, c, req, []byte(in.String()))
		if _, j := follow(t, ctx, c, res.JobId); j.JobStatus != job.Completed {
			t.Fatalf("shard bytes %d: %s (%s)", shardBytes, j.JobStatus, j.Message)
		}
		terms, err := csv.NewReader(bytes.NewReader(archiveEntries(t, ctx, s, res.JobId)[pipeline.TopicTermsName])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var words []string
		for _, r := range terms[1:] {
			words = append(words, r[1])
		}
		if !slices.Contains(words, "police") || slices.Contains(words, "polic") {
			t.Errorf("shard bytes %d: terms %v, want police spelled as its documents spell it", shardBytes, words)
		}
		got = append(got, words)
	}
	if !slices.Equal(got[0], got[1]) {
		t.Errorf("terms depend on the shard size: %v vs %v", got[0], got[1])
	}
}

// TestTopicsInputChanged: every TOPICS stage reads the input again, so a file replaced (the
// same bytes in another order) or deleted after the counting stage fails the job with a Message
// naming the change, as it does for the other analyses (found from outside: a TOPICS job whose
// input was swapped while it fitted ended COMPLETED with a model of both versions, and a
// deleted one failed minutes later as a dead-lettered round).
func TestTopicsInputChanged(t *testing.T) {
	ctx := testCtx(t)
	input, _ := topicsInput(t)
	lines := strings.SplitAfter(string(input), "\n")
	slices.Reverse(lines)
	swapped := strings.Join(lines, "")
	for _, change := range []string{"replaced", "deleted"} {
		var path string
		var once sync.Once
		hooks := pipeline.Hooks{ShardStarted: func(msg pipeline.ShardMessage) error {
			if msg.Index >= 24 { // 8 shards (MinShards, one worker): stage 0 counts, 1 samples, 2 and 3 are rounds
				once.Do(func() {
					if change == "deleted" {
						_ = os.Remove(path)
					} else {
						_ = os.WriteFile(path, []byte(swapped), 0o644)
					}
				})
			}
			return nil
		}}
		s := startStack(t, Config{Workers: 1}, hooks)
		c := defaultClient(s)
		uri := putInput(t, s, "topics/x.txt", input)
		path = filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "comprehend", "topics", "x.txt")
		req := topicsJob(3)
		req.InputDataConfig.S3Uri = uri
		res, err := defaultClient(s).CreateJob(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		_, j := follow(t, ctx, c, res.JobId)
		// The shard that reads the change first sees other line counts ("the input changed while
		// the job ran"); a later one finds the new version ("… was replaced or deleted …").
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, "was replaced or deleted while the job was running") && !strings.Contains(j.Message, "shard 0 holds") {
			t.Errorf("input %s during a round: job %s (%s); want FAILED saying the input changed", change, j.JobStatus, j.Message)
		}
		if j.JobDetails.ShardsTotal < 8*3 {
			t.Errorf("%d shard steps, want at least 24 (8 shards in 3 stages): the change was not made during a round", j.JobDetails.ShardsTotal)
		}
	}
}
