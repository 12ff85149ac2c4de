package local

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestAllAnalysesAndRedaction runs one job with all five analyses and MASK redaction: every
// document gets one merged line carrying the fields of every analysis (PII under "PiiEntities"
// beside ENTITIES' "Entities"), and the archive holds a redacted copy of the input, line for line,
// with the PII spans masked and nothing else changed.
func TestAllAnalysesAndRedaction(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{ShardBytes: 256}, pipeline.Hooks{})
	c := defaultClient(s)
	input := strings.Join([]string{
		"Please email jane.doe@example.com or call (415) 555-0132 about the refund, which was great news.",
		"Barack Obama visited Paris on March 3, 2024 with officials from the European Union.",
		"\xff not UTF-8",
		"The server at 192.168.10.20 rejected card 4111 1111 1111 1111 yesterday; terrible service.",
		"",
		"Nothing personal here: the weather in Oslo was mild and the trains ran on time.",
	}, "\n") + "\n"
	req := api.CreateJobRequest{
		JobName:         "all-five",
		Analyses:        []job.Analysis{job.Language, job.Sentiment, job.Entities, job.KeyPhrases, job.PII},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
		RedactionConfig: &job.RedactionConfig{MaskMode: "MASK", MaskCharacter: "#"},
	}
	res := createAndUpload(t, ctx, c, req, []byte(input))
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobDetails.InputDocumentsCount != 6 || j.JobDetails.DocumentsWithErrorsCount != 2 {
		t.Fatalf("counters %+v, want 6 documents with 2 errors (bad encoding, empty)", j.JobDetails)
	}
	dir := t.TempDir()
	if _, err := c.DownloadResults(ctx, res.JobId, dir); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, filepath.Join(dir, "output"))
	if len(lines) != 6 {
		t.Fatalf("%d output lines, want 6", len(lines))
	}
	for i, l := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if i == 2 || i == 4 {
			if m["ErrorCode"] == nil {
				t.Errorf("line %d should be an error record: %s", i, l)
			}
			continue
		}
		for _, f := range []string{"Languages", "Sentiment", "SentimentScore", "Entities", "KeyPhrases", "PiiEntities"} {
			if m[f] == nil {
				t.Errorf("line %d lacks %s: %s", i, f, l)
			}
		}
	}
	var first struct {
		PiiEntities []struct{ Type string }
		Entities    []struct{ Type, Text string }
	}
	_ = json.Unmarshal([]byte(lines[1]), &first)
	if !hasEntity(first.Entities, "PERSON", "Barack Obama") || !hasEntity(first.Entities, "LOCATION", "Paris") {
		t.Errorf("entities of line 1: %+v", first.Entities)
	}

	redacted := readLines(t, filepath.Join(dir, "redacted", "input"))
	orig := strings.Split(strings.TrimSuffix(input, "\n"), "\n")
	if len(redacted) != len(orig) {
		t.Fatalf("redacted copy has %d lines, want %d", len(redacted), len(orig))
	}
	for _, secret := range []string{"jane.doe@example.com", "555-0132", "192.168.10.20", "4111 1111 1111 1111"} {
		for i, l := range redacted {
			if strings.Contains(l, secret) {
				t.Errorf("redacted line %d still holds %q: %s", i, secret, l)
			}
		}
	}
	if !strings.Contains(redacted[0], "####") || !strings.HasPrefix(redacted[0], "Please email ") {
		t.Errorf("line 0 not masked as expected: %q", redacted[0])
	}
	if redacted[2] != "" || redacted[4] != "" {
		t.Errorf("error documents must have empty redacted lines, got %q and %q", redacted[2], redacted[4])
	}
	if redacted[5] != orig[5] {
		t.Errorf("a line without PII changed: %q", redacted[5])
	}
	if len([]rune(redacted[0])) != len([]rune(orig[0])) {
		t.Errorf("MASK must keep the length: %q", redacted[0])
	}
}

func hasEntity(ents []struct{ Type, Text string }, typ, text string) bool {
	for _, e := range ents {
		if e.Type == typ && e.Text == text {
			return true
		}
	}
	return false
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestRedactionNeedsPII: a RedactionConfig without the PII analysis is a 400.
func TestRedactionNeedsPII(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	req := lineJob("redact-no-pii", job.OneDocPerLine)
	req.RedactionConfig = &job.RedactionConfig{MaskMode: "MASK"}
	_, err := defaultClient(s).CreateJob(ctx, req)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "PII") {
		t.Fatalf("want a 400 naming PII, got %v", err)
	}
}

// TestRedactionOfChosenTypes: RedactionConfig.PiiEntityTypes (Comprehend's field) limits the
// redacted copies to those types while the offsets output still lists every type; a type that
// does not exist is a 400. (The field used to be accepted and ignored: everything was redacted.)
func TestRedactionOfChosenTypes(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	req := api.CreateJobRequest{
		Analyses:        []job.Analysis{job.PII},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
		LanguageCode:    "en",
		RedactionConfig: &job.RedactionConfig{PiiEntityTypes: []string{"EMAIL"}, MaskMode: "REPLACE_WITH_PII_ENTITY_TYPE"},
	}
	// The second line's address is inside a URL (one URL span in the offsets output): it is
	// redacted all the same (found from outside: the copy kept it).
	res := createAndUpload(t, ctx, c, req, []byte("Please email jane.doe@example.com or call (415) 555-0132 about the refund.\nProfile https://example.com/u?email=jane.doe@example.com\n"))
	_, j := follow(t, ctx, c, res.JobId)
	if j.RedactOutput == nil || strings.Join(j.RedactOutput.PiiEntityTypes, ",") != "EMAIL" {
		t.Errorf("Describe's RedactionConfig %+v, want PiiEntityTypes [EMAIL]", j.RedactOutput)
	}
	dir := t.TempDir()
	if _, err := c.DownloadResults(ctx, res.JobId, dir); err != nil {
		t.Fatal(err)
	}
	redacted := readLines(t, filepath.Join(dir, "redacted", "input"))
	if len(redacted) != 2 || redacted[0] != "Please email [EMAIL] or call (415) 555-0132 about the refund." || redacted[1] != "Profile https://example.com/u?email=[EMAIL]" {
		t.Errorf("redacted copy %q: want the e-mail address alone redacted", redacted)
	}
	if out := strings.Join(readLines(t, filepath.Join(dir, "output")), "\n"); !strings.Contains(out, `"Type":"PHONE"`) || !strings.Contains(out, `"Type":"EMAIL"`) {
		t.Errorf("offsets output %s: want every type found", out)
	}
	req.RedactionConfig.PiiEntityTypes = []string{"EMAIL", "SHOE_SIZE"}
	if _, err := c.CreateJob(ctx, req); err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "SHOE_SIZE") {
		t.Errorf("an unknown PII type: %v, want a 400 naming it", err)
	}
}
