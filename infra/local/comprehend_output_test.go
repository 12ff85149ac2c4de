package local

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/comprehend"
	"github.com/aws/aws-sdk-go-v2/service/comprehend/types"

	"github.com/ream-dev/ream/shared/pipeline"
)

// The output files as Amazon Comprehend's documentation describes them, which parsers written
// for Comprehend read:
//   - "Async analysis for Amazon Comprehend insights" (developer guide, api-async-insights) and
//     "Outputs for asynchronous analysis jobs" (outputs-cer-async): one JSON object a line in
//     the entry output of output.tar.gz, whose location Describe's OutputDataConfig.S3Uri gives;
//     "File" the input file, "Line" the 0-based line for one document per line and no "Line"
//     for one document per file; then the operation's own fields (example:
//     {"File": "50_docs", "Line": 0, "Entities": [{"BeginOffset": 0, "EndOffset": 22,
//     "Score": 0.97, "Text": "John Johnson", "Type": "JUDGE"}]}).
//   - The API reference's Entity, KeyPhrase, PiiEntity: "BeginOffset ... The offset returns the
//     position of each UTF-8 code point in the string ... a multi-byte UTF-8 character maps to a
//     single code point". DominantLanguage {LanguageCode, Score}; SentimentScore {Positive,
//     Negative, Neutral, Mixed}; a document that failed is BatchItemError's ErrorCode and
//     ErrorMessage.
//   - The same guide's "Prerequisites": a line ends with LF, CR or CRLF, and U+2028 does not end
//     one.
//   - "Topic modeling": topic-terms.csv (topic,term,weight) and doc-topics.csv
//     (docname,topic,proportion) in output.tar.gz.
//
// Ream's deliberate differences (README, "Use your existing Comprehend code"): the archive's
// folder, error records for empty documents, the redacted copies of ONLY_REDACTION inside the
// archive under redacted/ beside output, errors.jsonl in a TOPICS archive.

// cmpDocLine is every field a documented line may have; decoding refuses any other.
type cmpDocLine struct {
	File         *string
	Line         *int
	ErrorCode    *string
	ErrorMessage *string
	Languages    []struct {
		LanguageCode *string
		Score        *float64
	}
	Sentiment      *string
	SentimentScore *struct{ Positive, Negative, Neutral, Mixed *float64 }
	Entities       []struct {
		BeginOffset, EndOffset *int
		Score                  *float64
		Text, Type             *string
	}
	KeyPhrases []struct {
		BeginOffset, EndOffset *int
		Score                  *float64
		Text                   *string
	}
}

// cmpResultFields are the fields each kind's successful line has besides File and Line.
var cmpResultFields = map[string][]string{
	"DominantLanguage": {"Languages"},
	"Sentiment":        {"Sentiment", "SentimentScore"},
	"Entities":         {"Entities"},
	"KeyPhrases":       {"KeyPhrases"},
	"PiiEntities":      {"Entities"},
}

// cmpDoc is one input document as the output should name it.
type cmpDoc struct {
	file string
	line int // -1 for ONE_DOC_PER_FILE
	text string
	err  string // the ErrorCode it should get, or ""
}

// cmpOutputInputs writes a line input and a folder of files whose documents hold multi-byte
// characters (é, ü, an emoji outside the BMP), U+2028 and the other breaks that do not end a
// line (NEL, U+2029, VT, FF), all three line ends, a leading byte-order mark, an empty document
// and one that is not UTF-8, and returns their S3 URIs and documents.
func cmpOutputInputs(t *testing.T, s *Stack) (lineURI string, lineDocs []cmpDoc, fileURI string, fileDocs []cmpDoc) {
	t.Helper()
	first := "Café owner José Müller met John Smith in Paris 😀 and wrote to john.smith@example.com."
	const bom = "\ufeff"
	second := "Mary Jones\u2028met Bob Brown\u0085in Zürich\u2029about\vthe\fcontract."
	last := "I love this product, it is wonderful: ask Anna Lee at anna.lee@example.org"
	// A UTF-8 byte-order mark that starts a file is stripped (README, Input formats): offsets
	// count from after it, as Python's utf-8-sig codec reads the file.
	lines := bom + first + "\r" + second + "\r\n" + "\n" + "\xff bad bytes\n" + last // the last line has no end
	lineURI = putInput(t, s, "documented/reviews.txt", []byte(lines))
	lineDocs = []cmpDoc{
		{"reviews.txt", 0, first, ""},
		{"reviews.txt", 1, second, ""},
		{"reviews.txt", 2, "", "EMPTY_DOCUMENT"},
		{"reviews.txt", 3, "", "UNSUPPORTED_ENCODING"},
		{"reviews.txt", 4, last, ""},
	}
	a := "Dear team,\r\nJosé Müller 😀 met John Smith in Paris; write to john.smith@example.com.\r\n"
	putInput(t, s, "documented-files/a.txt", []byte(bom+a))
	putInput(t, s, "documented-files/b.txt", nil)
	putInput(t, s, "documented-files/c.txt", []byte("\xff bad bytes"))
	putInput(t, s, "documented-files/sub/d.txt", []byte(second))
	fileURI = "s3://" + bucketName + "/inputs/local/comprehend/documented-files/"
	fileDocs = []cmpDoc{
		{"a.txt", -1, a, ""},
		{"b.txt", -1, "", "EMPTY_DOCUMENT"},
		{"c.txt", -1, "", "UNSUPPORTED_ENCODING"},
		{"sub/d.txt", -1, second, ""},
	}
	return
}

// parseDocumentedOutput reads an output entry as a parser written from Comprehend's documented
// examples does, and checks each line against the document it is for.
func parseDocumentedOutput(t *testing.T, kind string, out []byte, docs []cmpDoc) []cmpDocLine {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\n")) {
		t.Errorf("%s: output does not end with a line end", kind)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(docs) {
		t.Fatalf("%s: %d output lines, want one per document (%d):\n%s", kind, len(lines), len(docs), out)
	}
	var recs []cmpDocLine
	for i, l := range lines {
		d := docs[i]
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		var r cmpDocLine
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s line %d %s: not a documented line: %v", kind, i, l, err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &top); err != nil {
			t.Fatal(err)
		}
		want := []string{"File"}
		if d.line >= 0 {
			want = append(want, "Line")
			if !regexp.MustCompile(`^[0-9]+$`).Match(top["Line"]) {
				t.Errorf("%s line %d: Line is %s, want a JSON integer as the documented examples", kind, i, top["Line"])
			}
		}
		if d.err != "" {
			want = append(want, "ErrorCode", "ErrorMessage")
		} else {
			want = append(want, cmpResultFields[kind]...)
		}
		slices.Sort(want)
		if got := keys(top); !slices.Equal(got, want) {
			t.Errorf("%s line %d: fields %v, want %v: %s", kind, i, got, want, l)
		}
		if aws.ToString(r.File) != d.file {
			t.Errorf("%s line %d: File %q, want %q", kind, i, aws.ToString(r.File), d.file)
		}
		if d.line >= 0 && (r.Line == nil || *r.Line != d.line) {
			t.Errorf("%s line %d: Line %v, want %d", kind, i, r.Line, d.line)
		}
		if d.err != "" {
			if aws.ToString(r.ErrorCode) != d.err || aws.ToString(r.ErrorMessage) == "" {
				t.Errorf("%s line %d: error %q %q, want %s and a message", kind, i, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage), d.err)
			}
			recs = append(recs, r)
			continue
		}
		// Offsets count code points of the document as it was in the input.
		runes := []rune(d.text)
		span := func(what string, b, e *int, score *float64, text *string) string {
			if b == nil || e == nil || score == nil {
				t.Errorf("%s line %d: %s without BeginOffset, EndOffset or Score: %s", kind, i, what, l)
				return ""
			}
			if *b < 0 || *b >= *e || *e > len(runes) || *score < 0 || *score > 1 {
				t.Errorf("%s line %d: %s [%d,%d) score %v outside the document's %d code points", kind, i, what, *b, *e, *score, len(runes))
				return ""
			}
			got := string(runes[*b:*e])
			if text != nil && got != *text {
				t.Errorf("%s line %d: %s [%d,%d) is %q in the document, Text %q", kind, i, what, *b, *e, got, *text)
			}
			return got
		}
		switch kind {
		case "DominantLanguage":
			if len(r.Languages) == 0 || r.Languages[0].LanguageCode == nil || r.Languages[0].Score == nil {
				t.Errorf("%s line %d: Languages %s", kind, i, top["Languages"])
			}
		case "Sentiment":
			var sc map[string]float64
			if err := json.Unmarshal(top["SentimentScore"], &sc); err != nil || len(sc) != 4 {
				t.Errorf("%s line %d: SentimentScore %s, want Positive, Negative, Neutral, Mixed", kind, i, top["SentimentScore"])
			}
			if !slices.Contains([]string{"POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"}, aws.ToString(r.Sentiment)) {
				t.Errorf("%s line %d: Sentiment %q", kind, i, aws.ToString(r.Sentiment))
			}
		case "Entities":
			for _, e := range r.Entities {
				if e.Text == nil || e.Type == nil {
					t.Errorf("%s line %d: entity without Text or Type: %s", kind, i, l)
				}
				span("entity", e.BeginOffset, e.EndOffset, e.Score, e.Text)
			}
		case "KeyPhrases":
			for _, p := range r.KeyPhrases {
				if p.Text == nil {
					t.Errorf("%s line %d: key phrase without Text: %s", kind, i, l)
				}
				span("key phrase", p.BeginOffset, p.EndOffset, p.Score, p.Text)
			}
		case "PiiEntities":
			emails := 0
			for _, e := range r.Entities {
				if e.Text != nil || e.Type == nil {
					t.Errorf("%s line %d: a PII entity has Type and no Text: %s", kind, i, l)
				}
				if got := span("PII entity", e.BeginOffset, e.EndOffset, e.Score, nil); aws.ToString(e.Type) == "EMAIL" {
					emails++
					if !strings.HasSuffix(got, "@example.com") && !strings.HasSuffix(got, "@example.org") {
						t.Errorf("%s line %d: EMAIL span is %q", kind, i, got)
					}
				}
			}
			if strings.Contains(d.text, "@") && emails != 1 {
				t.Errorf("%s line %d: %d EMAIL entities, want 1: %s", kind, i, emails, l)
			}
		}
		recs = append(recs, r)
	}
	return recs
}

// cmpRun starts a job with start, waits for it to end COMPLETED (some documents failed: its
// Message says how many) and returns the entries of the archive Describe names.
func cmpRun(t *testing.T, s *Stack, c *comprehend.Client, k cmpKind, start func() (string, error)) map[string][]byte {
	t.Helper()
	ctx := testCtx(t)
	id, err := start()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	p := waitStatus(t, ctx, k, c, id, types.JobStatusCompleted)
	uri := aws.ToString(p.OutputDataConfig.S3Uri)
	if !strings.HasPrefix(uri, cmpOutput) || !strings.HasSuffix(uri, "/output.tar.gz") {
		t.Fatalf("Describe's OutputDataConfig.S3Uri %q is not an output.tar.gz under %s", uri, cmpOutput)
	}
	return untarGz(t, readS3(t, s, uri))
}

// TestComprehendOutputAsDocumented reads what each kind's job writes, for both input formats,
// as a parser written from Comprehend's documented output files would (see cmpDocLine).
func TestComprehendOutputAsDocumented(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey)
	lineURI, lineDocs, fileURI, fileDocs := cmpOutputInputs(t, s)

	for _, f := range []struct {
		format types.InputFormat
		uri    string
		docs   []cmpDoc
	}{{types.InputFormatOneDocPerLine, lineURI, lineDocs}, {types.InputFormatOneDocPerFile, fileURI, fileDocs}} {
		for _, k := range cmpKindsReading(t, f.format) {
			if k.name == "Topics" {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s", k.name, f.format), func(t *testing.T) {
				files := cmpRun(t, s, c, k, func() (string, error) {
					id, _, err := k.start(ctx, c, "documented-"+k.name, f.uri)
					return id, err
				})
				if got := keys(files); !slices.Equal(got, []string{"output"}) {
					t.Fatalf("archive entries %v, want [output] as Comprehend's", got)
				}
				parseDocumentedOutput(t, k.name, files["output"], f.docs)
			})
		}

		// ONLY_REDACTION: the offsets output as above, and a redacted copy of each input file
		// (Comprehend's <file>.out objects; Ream's redacted/<File> entries, as the README says).
		t.Run("PiiEntities/ONLY_REDACTION/"+string(f.format), func(t *testing.T) {
			var pii cmpKind
			for _, k := range cmpKindsReading(t, f.format) {
				if k.name == "PiiEntities" {
					pii = k
				}
			}
			files := cmpRun(t, s, c, pii, func() (string, error) {
				o, err := c.StartPiiEntitiesDetectionJob(ctx, &comprehend.StartPiiEntitiesDetectionJobInput{
					InputDataConfig:   &types.InputDataConfig{S3Uri: aws.String(f.uri), InputFormat: f.format},
					OutputDataConfig:  &types.OutputDataConfig{S3Uri: aws.String(cmpOutput)},
					DataAccessRoleArn: aws.String(cmpRole), LanguageCode: types.LanguageCodeEn,
					Mode:            types.PiiEntitiesDetectionModeOnlyRedaction,
					RedactionConfig: &types.RedactionConfig{PiiEntityTypes: []types.PiiEntityType{types.PiiEntityTypeEmail}}})
				if err != nil {
					return "", err
				}
				return aws.ToString(o.JobId), nil
			})
			parseDocumentedOutput(t, "PiiEntities", files["output"], f.docs)
			want := []string{"output"}
			for _, d := range f.docs {
				if e := "redacted/" + d.file; !slices.Contains(want, e) {
					want = append(want, e)
				}
			}
			slices.Sort(want)
			if got := keys(files); !slices.Equal(got, want) {
				t.Fatalf("archive entries %v, want %v", got, want)
			}
			for _, d := range f.docs {
				red := string(files["redacted/"+d.file])
				if strings.Contains(red, "@example.") || (strings.Contains(d.text, "@") && !strings.Contains(red, "[EMAIL]")) {
					t.Errorf("redacted/%s: %q", d.file, red)
				}
			}
		})
	}
}

// TestComprehendTopicsOutputAsDocumented reads a Topics job's CSVs as a parser written from
// "Topic modeling" would: their header rows, three-digit topics, and docname as <file>:<line>
// for one document per line and <file> for one document per file.
func TestComprehendTopicsOutputAsDocumented(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey)
	all, _ := topicsInput(t)
	lines := strings.SplitAfter(string(all), "\n")[:300]
	lineURI := putInput(t, s, "documented-topics/docs.txt", []byte(strings.Join(lines, "")))
	for i, l := range lines {
		putInput(t, s, fmt.Sprintf("documented-topic-files/doc%03d.txt", i), []byte(l))
	}
	fileURI := "s3://" + bucketName + "/inputs/local/comprehend/documented-topic-files/"

	for _, f := range []struct {
		format  types.InputFormat
		uri     string
		docname *regexp.Regexp
	}{
		{types.InputFormatOneDocPerLine, lineURI, regexp.MustCompile(`^docs\.txt:([0-9]|[1-9][0-9]+)$`)},
		{types.InputFormatOneDocPerFile, fileURI, regexp.MustCompile(`^doc[0-9]{3}\.txt$`)},
	} {
		t.Run(string(f.format), func(t *testing.T) {
			kinds := cmpKindsReading(t, f.format)
			k := kinds[len(kinds)-1]
			if k.name != "Topics" {
				t.Fatalf("last kind is %s", k.name)
			}
			files := cmpRun(t, s, c, k, func() (string, error) {
				id, _, err := k.start(ctx, c, "documented-topics", f.uri)
				return id, err
			})
			read := func(name string, header []string) [][]string {
				rows, err := csv.NewReader(bytes.NewReader(files[name])).ReadAll()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(rows) < 2 || !slices.Equal(rows[0], header) {
					t.Fatalf("%s: header %v, want %v, and rows", name, rows[:min(1, len(rows))], header)
				}
				return rows[1:]
			}
			topic := regexp.MustCompile(`^[0-9]{3}$`)
			for _, r := range read(pipeline.TopicTermsName, []string{"topic", "term", "weight"}) {
				if !topic.MatchString(r[0]) || r[1] == "" {
					t.Errorf("topic-terms.csv row %v", r)
				}
			}
			seen := map[string]bool{}
			for _, r := range read(pipeline.DocTopicsName, []string{"docname", "topic", "proportion"}) {
				if !f.docname.MatchString(r[0]) || !topic.MatchString(r[1]) {
					t.Errorf("doc-topics.csv row %v", r)
				}
				seen[r[0]] = true
			}
			if len(seen) < len(lines)*9/10 {
				t.Errorf("doc-topics.csv names %d documents of %d", len(seen), len(lines))
			}
		})
	}
}
