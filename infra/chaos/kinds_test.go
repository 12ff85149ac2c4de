package chaos

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

func TestKindSpecs(t *testing.T) {
	lim := genLimits{MinDocs: 1500, MaxDocs: 5000, MaxFiles: 80, MaxJobs: 2}
	for _, kind := range []string{kindTopics, kindCoding, kindTraining} {
		for seed := int64(0); seed < 12; seed++ {
			a, b := &jobSpec{}, &jobSpec{}
			genKindSpec(rand.New(rand.NewSource(seed)), a, kind, seed, lim)
			genKindSpec(rand.New(rand.NewSource(seed)), b, kind, seed, lim)
			if !bytes.Equal(a.Data, b.Data) || len(a.Files) != len(b.Files) || a.Format != b.Format || a.Docs != b.Docs {
				t.Fatalf("%s seed %d: not deterministic", kind, seed)
			}
			if a.Docs == 0 {
				t.Fatalf("%s seed %d: no documents", kind, seed)
			}
			if kind == kindTraining {
				if a.Format != formatJSONL || a.Mode != modeUpload || len(splitDocs(a.Data)) != a.Docs || a.Docs < 100 || a.Docs > 1500 {
					t.Fatalf("training seed %d: %s %s %d lines for %d records", seed, a.Format, a.Mode, len(splitDocs(a.Data)), a.Docs)
				}
				if !bytes.Contains(a.Data, []byte(`"code":"`)) || a.TrainingSource == "" {
					t.Fatalf("training seed %d: no labelled records (titles from %q)", seed, a.TrainingSource)
				}
				if req := requestFor(a, "", "tok"); req.CodingConfig == nil || req.CodingConfig.Topic != "occupation" || req.Analyses[0] != analysisTraining {
					t.Fatalf("training request: %+v", req)
				}
			} else if kind == kindCoding {
				if a.Format != formatJSONL || a.Mode != modeUpload || len(a.RecordIDs) != a.Docs || len(splitDocs(a.Data)) != a.Docs {
					t.Fatalf("coding seed %d: %s %s %d ids %d lines for %d records", seed, a.Format, a.Mode, len(a.RecordIDs), len(splitDocs(a.Data)), a.Docs)
				}
			} else if a.NumTopics != 5 || a.TopicSeed != seed {
				t.Fatalf("topics seed %d: k=%d seed=%d", seed, a.NumTopics, a.TopicSeed)
			}
			req := requestFor(a, "", "tok")
			if kind == kindTopics && (req.NumberOfTopics != 5 || req.RandomSeed == nil || *req.RandomSeed != seed) {
				t.Fatalf("topics request: %+v", req)
			}
		}
	}
	// The Short form: seed 1 mod 3 has a coding operation, 2 mod 3 a TOPICS job, 3 mod 6 a
	// training job.
	for seed := int64(1); seed <= 6; seed++ {
		specs := genJobs(rand.New(rand.NewSource(seed)), 0, seed, lim)
		ensureKind(specs, seed, lim)
		want := map[int64]string{1: kindCoding, 2: kindTopics, 3: kindTraining, 4: kindCoding, 5: kindTopics}[seed]
		found := want == ""
		for _, s := range specs {
			found = found || s.Kind == want
			if s.Kind == kindCoding && s.Stop != nil {
				t.Fatalf("seed %d: a coding operation with a stop plan", seed)
			}
		}
		if !found {
			t.Fatalf("seed %d: no %s job", seed, want)
		}
	}
}

func TestCheckTopics(t *testing.T) {
	spec := &jobSpec{Format: formatLine, Docs: 4}
	e := map[string][]byte{
		"topic-terms.csv": []byte("topic,term,weight\n000,goal,0.5\n"),
		"doc-topics.csv":  []byte("docname,topic,proportion\ninput:0,000,0.9\ninput:0,001,0.1\ninput:2,001,1\ninput:3,000,1\n"),
		"errors.jsonl":    []byte(`{"File":"input","Line":1,"ErrorCode":"EMPTY_DOCUMENT"}` + "\n"),
	}
	if msg := checkTopics(spec, e, jobDetails{DocumentsWithErrorsCount: 1}); msg != "" {
		t.Fatal(msg)
	}
	if msg := checkTopics(spec, e, jobDetails{}); !strings.Contains(msg, "errors.jsonl has 1 lines") {
		t.Fatalf("error counter mismatch not found: %q", msg)
	}
	e["doc-topics.csv"] = []byte("docname,topic,proportion\ninput:0,000,0.9\ninput:1,000,1\ninput:0,001,0.1\ninput:3,000,1\n")
	if msg := checkTopics(spec, e, jobDetails{DocumentsWithErrorsCount: 1}); !strings.Contains(msg, "two places") {
		t.Fatalf("doubled document not found: %q", msg)
	}
	e["doc-topics.csv"] = []byte("docname,topic,proportion\ninput:0,000,1\ninput:3,000,1\n")
	if msg := checkTopics(spec, e, jobDetails{DocumentsWithErrorsCount: 1}); !strings.Contains(msg, "name 3 documents") {
		t.Fatalf("lost document not found: %q", msg)
	}
}

func TestCheckCoded(t *testing.T) {
	spec := &jobSpec{Docs: 3, RecordIDs: []string{"c-0", "", "5002"}}
	ok := `{"recordId":"c-0","result":{}}` + "\n" + `{"recordId":"","error":{}}` + "\n" + `{"recordId":5002,"result":{}}` + "\n"
	if err := checkCoded(spec, []byte(ok)); err != nil {
		t.Fatal(err)
	}
	swapped := `{"recordId":5002}` + "\n" + `{"recordId":""}` + "\n" + `{"recordId":"c-0"}` + "\n"
	if err := checkCoded(spec, []byte(swapped)); err == nil {
		t.Fatal("out-of-order records accepted")
	}
	if err := checkCoded(spec, []byte(`{"recordId":"c-0"}`+"\n")); err == nil {
		t.Fatal("missing records accepted")
	}
	if d := firstDiff([]byte("a\nb\n"), []byte("a\nc\n")); !strings.Contains(d, "line 2") {
		t.Fatal(d)
	}
}
