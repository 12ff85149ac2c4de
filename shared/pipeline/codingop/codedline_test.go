package codingop

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/analysis/coding"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
)

// recordLines are output records as a coding operation's shards write them (output.Writer):
// real codings of the shipped model, error records, and recordIds and messages holding what
// JSON escapes (quotes, HTML, controls, U+0085, U+2028, invalid UTF-8).
func recordLines(t testing.TB, n int) [][]byte {
	m, err := coding.Default()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	odd := []string{"", "r1", "7", "1.50", `a"b`, `a\b`, "a&b<c>", "tab\there", "nel\u0085x", "ls\u2028x", "bad\xffutf8", "é ü 中文", "emoji 🙂", "ctl\x01"}
	titles := []string{"nurse", "staff nurse", "-", "bus driver", "software developer", "Head Chef & cook", "<p>teacher</p>", "co\u00ADordinator", ""}
	var buf bytes.Buffer
	w := output.NewWriter(&buf)
	line := int64(0)
	for i := 0; i < n; i++ {
		line++
		l := line
		rec := output.Record{File: "input.jsonl", Line: &l, RecordId: fmt.Sprintf("r%07d", i)}
		if rng.IntN(3) == 0 {
			rec.RecordId = odd[rng.IntN(len(odd))]
		}
		switch rng.IntN(10) {
		case 0:
			rec.ErrorCode, rec.ErrorMessage = job.CodeInvalidRecord, `record must have both "occp_text" and "tasks_text" (strings; either may be empty)`
		case 1:
			rec.ErrorCode, rec.ErrorMessage = job.CodeEmptyDocument, "occp_text and tasks_text are empty or only whitespace "+odd[rng.IntN(len(odd))]
		default:
			rec.Result = analysis.Result{Coding: CodeRecord(m, titles[rng.IntN(len(titles))], titles[rng.IntN(len(titles))])}
		}
		if err := w.Write(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}

// TestAppendCodedLineMatchesDecoding: the coded line of every record, as the shards write them
// and in shapes they do not (keys in another case or given twice, white space, null, floats not
// as encoding/json renders them, labels with characters it escapes, broken JSON), is byte for
// byte the line that decoding the record and encoding the line by reflection gives, or the
// same error.
func TestAppendCodedLineMatchesDecoding(t *testing.T) {
	lines := recordLines(t, 3000)
	for _, s := range []string{
		`{"RecordId":"a","ErrorCode":"INVALID_RECORD","ErrorMessage":"no title"}`,
		`{"RecordId":"b","Coding":{"Result":{"CodeCategory":"211","CodeLabel":"x","CodeConfidence":0.5}}}`,
		`{"recordid":"c","Coding":{"suggestions":[]}}`,
		`{"RecordId":"d","RecordId":"e","Coding":{"suggestions":null}}`,
		`{"RecordId":"f","Coding":null}`,
		`{"RecordId":"g","Coding":{"result":null,"suggestions":[{"codeCategory":"2","codeLabel":"P","codeConfidence":0.50}]}}`,
		`{"RecordId":"h","Coding":{"suggestions":[{"codeCategory":"2","codeLabel":"A&B","codeConfidence":0.5}]}}`,
		`{"RecordId":"h2","Coding":{"suggestions":[{"codeCategory":"2","codeLabel":"nel` + "\u0085" + `","codeConfidence":1e-7}]}}`,
		`{"RecordId":"i","Coding":{"suggestions":[{"codeCategory":"2","codeLabel":"P","codeConfidence":1e-07}]}}`,
		` { "RecordId" : "j" , "Coding" : { "suggestions" : [ ] } } `,
		`{"Line":3,"File":"f","RecordId":"k","ErrorMessage":"only a message"}`,
		`{"Line":3,"File":"f","RecordId":"k2","ErrorCode":"X","ErrorMessage":"m","Coding":{"suggestions":[]}}`,
		`{"Line":01,"RecordId":"l"}`, `{"Line":abc,"RecordId":"l2"}`, `{"File":"x\q","RecordId":"l3"}`,
		`{"Errors":[1,,2],"RecordId":"l4"}`, `{"Errors":[{"Analysis":"CODING"}],"RecordId":"l5"}`,
		`{"RecordId":"m",}`, `{"RecordId":"n"} x`, `{"RecordId":"o"`, `[]`, ``, `{}`, `{"RecordId":5}`,
		`{"RecordId":"p","Coding":{"suggestions":[{"codeCategory":"2","codeLabel":"P","codeConfidence":0.5,"x":1}]}}`,
		`{"RecordId":"q","Coding":{"suggestions":[{"codeCategory":"2","codeLabel":"P","codeConfidence":0.5}],"extra":1}}`,
		`{"RecordId":"r\u0041","Coding":{"suggestions":[{"codeCategory":"2","codeLabel":"P","codeConfidence":0.5}]}}`,
	} {
		lines = append(lines, []byte(s))
	}
	fast := 0
	for _, l := range lines {
		want, werr := codedLineDecoded(l)
		got, gerr := AppendCodedLine([]byte("prefix"), l)
		if (werr != nil) != (gerr != nil) {
			t.Errorf("%s: error %v; decoding's %v", l, gerr, werr)
			continue
		}
		if werr == nil && string(got) != "prefix"+string(want) {
			t.Errorf("%s:\n got %s\nwant prefix%s", l, got, want)
		}
		if _, ok := appendCodedFast(nil, l); ok {
			fast++
		}
	}
	if fast < 2000 { // the shards' own records take the fast path (all but those with escapes)
		t.Errorf("%d of %d records took the fast path", fast, len(lines))
	}
}

// TestCodedLineAllocations: a coded record's line is made without decoding the record (a
// coding operation's finalize makes one per record, on one goroutine): at most the line itself,
// the recordId's copy and the four confidences' (read to check them) are allocated, where
// decoding the record by reflection allocated 21 times.
func TestCodedLineAllocations(t *testing.T) {
	lines := recordLines(t, 50)
	var l []byte
	for _, c := range lines {
		if bytes.Contains(c, []byte(`"result"`)) && bytes.HasPrefix(bytes.SplitN(c, []byte(`"RecordId":"r`), 2)[1], []byte("0")) {
			l = c
			break
		}
	}
	if l == nil {
		t.Fatal("no coded record among the lines")
	}
	decoded := testing.AllocsPerRun(100, func() { codedLineDecoded(l) })
	if n := testing.AllocsPerRun(100, func() { CodedLine(l) }); n > 6 {
		t.Errorf("CodedLine allocates %.0f times per record (decoding it: %.0f); want at most 6 (%s)", n, decoded, l)
	}
}

func BenchmarkCodedLine(b *testing.B) {
	lines := recordLines(b, 1000)
	var dst []byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst, _ = AppendCodedLine(dst[:0], lines[i%len(lines)])
	}
}

// FuzzAppendCodedLine: whatever the line, the fast path gives what decoding the record and
// encoding its line by reflection gives (codedLineDecoded), or leaves it to that decoding. The
// corpus is real output records (recordLines) and a few shapes the shards never write.
func FuzzAppendCodedLine(f *testing.F) {
	for _, l := range recordLines(f, 40) {
		f.Add(l)
	}
	for _, s := range []string{`{}`, `null`, `{"RecordId":"a","Coding":null}`, `{"recordid":"a","RecordId":"b"}`, `{"Coding":{"result":null,"suggestions":[]}}`, ` {"RecordId" : "x" , "ErrorCode":"E"} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ok := appendCodedFast(nil, line)
		if !ok {
			return
		}
		want, err := codedLineDecoded(line)
		if err != nil {
			t.Fatalf("fast path made %s of %q, which decoding refuses: %v", fast, line, err)
		}
		if !bytes.Equal(fast, want) {
			t.Fatalf("line %q:\nfast     %s\ndecoded  %s", line, fast, want)
		}
	})
}
