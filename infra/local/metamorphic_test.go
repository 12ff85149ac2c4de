package local

// Metamorphic checks: a document's results depend on the document alone, not on how its
// collection was packaged (one line file, JSONL, one file per document, many line files) or
// run (shard size, workers, the order files are named in), nor on the other documents.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

var metaAnalyses = []job.Analysis{job.Language, job.Sentiment, job.Entities, job.KeyPhrases, job.PII}

// metaCorpus is a mixed collection of one-line documents (no LF or CR inside, so that every
// packaging reads the same text).
func metaCorpus() []string {
	docs := []string{
		"\ufeffJohn Smith emailed john.smith@example.com on March 3, 2024 about order 4111 1111 1111 1111.",
		"I really love this phone, the screen is bright and the battery lasts all day.",
		"The delivery was late and the box was damaged, which made me very unhappy.",
		"Le service était excellent et la nourriture délicieuse, nous reviendrons à Paris.",
		"Der Zug nach München hatte wieder zwei Stunden Verspätung, das ist ärgerlich.",
		"El hotel en Barcelona estaba limpio y el personal fue muy amable con nosotros.",
		"Москва — столица России, где живёт более двенадцати миллионов человек.",
		"東京は日本の首都であり、多くの人々が住んでいます。",
		"北京是中国的首都，有很多历史古迹。",
		"서울은 대한민국의 수도입니다.",
		"Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
		"मेरा नाम राहुल है और मैं दिल्ली में रहता हूँ।",
		"مرحبا بكم في القاهرة، عاصمة مصر.",
		"Great product 😀😀 from Apple in Cupertino, California! Call 415-555-0132 😀 now.",
		"Jose\u0301 Garci\u0301a visited Madrid with Mari\u0301a on Friday.",
		"",
		"   \t  ",
		"\u200b\u200b",
		"Caf\xe9 cr\xe8me is bad UTF-8 here",
		"12345 67890",
		"!!!",
		"ok",
		"Barack Obama met Angela Merkel in Berlin on 5 June 2015 to discuss NATO.",
		"Contact me at jane_doe@mail.example.org or 192.168.1.20, SSN 123-45-6789.",
		"Tab\there\tand \"quotes\" and back\\slash with Microsoft Corporation in Redmond.",
		"A NEL \u0085 inside and a line separator \u2028 here, said Peter Parker of New York.",
		"Microsoft announced that Satya Nadella will visit London next week for the Windows conference.",
		"The quick brown fox jumps over the lazy dog near the river bank in Oxford.",
	}
	// Documents at and just over SENTIMENT's limit (5,000 bytes), with a multi-byte character
	// at the boundary and characters JSON escapes.
	base := "The film was wonderful, Emma Stone was \"great\" and the music \u00e9pic. "
	mk := func(n int, tail string) string {
		var b strings.Builder
		for b.Len()+len(base) <= n-len(tail) {
			b.WriteString(base)
		}
		for b.Len() < n-len(tail) {
			b.WriteByte('x')
		}
		b.WriteString(tail)
		return b.String()
	}
	docs = append(docs, mk(5000, "é"), mk(5001, "é"), mk(4999, "\t"), mk(5000, "\t"))
	// And at and just over the other analyses' limit (100,000 bytes).
	docs = append(docs, mk(100000, "ü"), mk(100001, "ü"))
	return docs
}

// jsonString writes s as a JSON string, escaping only what JSON requires, so that invalid
// UTF-8 stays raw bytes as a user's file would hold it.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

type metaRun struct {
	job  *job.Job
	recs map[string]map[string]any // per document key (see docKey) the record without its location fields
	raw  map[string][]byte
}

// runMeta runs one job with files (name -> content), in the order given, and returns its
// records keyed by keyOf(File, Line, RecordId).
func runMeta(t *testing.T, ctx context.Context, s *Stack, req api.CreateJobRequest, names []string, files map[string][]byte, keyOf func(file string, line int, rid string) string) metaRun {
	t.Helper()
	c := defaultClient(s)
	req.UploadFiles = names
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	dir := t.TempDir()
	for i, u := range res.Uploads {
		if err := c.Upload(ctx, u.Presigned, writeTempIn(t, dir, fmt.Sprint(i), files[u.File])); err != nil {
			t.Fatalf("upload %s: %v", u.File, err)
		}
	}
	_, j := follow(t, ctx, c, res.JobId)
	ents := archiveEntries(t, ctx, s, res.JobId)
	run := metaRun{job: j, recs: map[string]map[string]any{}, raw: ents}
	out := ents["output"]
	for _, l := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		file, _ := m["File"].(string)
		line := -1
		if v, ok := m["Line"].(float64); ok {
			line = int(v)
		}
		rid, _ := m["RecordId"].(string)
		delete(m, "File")
		delete(m, "Line")
		delete(m, "RecordId")
		k := keyOf(file, line, rid)
		if _, dup := run.recs[k]; dup {
			t.Errorf("document %s twice in the output", k)
		}
		run.recs[k] = m
	}
	return run
}

func canon(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// compareRuns reports every document whose record differs between two runs, and counters or
// statuses that differ.
func compareRuns(t *testing.T, what string, a, b metaRun, keys []string) {
	t.Helper()
	compareRecords(t, what, a, b, keys)
	da, db := a.job.JobDetails, b.job.JobDetails
	if da.InputDocumentsCount != db.InputDocumentsCount || da.ProcessedDocumentsCount != db.ProcessedDocumentsCount ||
		da.DocumentsWithErrorsCount != db.DocumentsWithErrorsCount || canon(da.AnalysisCounts) != canon(db.AnalysisCounts) {
		t.Errorf("%s: counters differ: %s vs %s", what, canon(da), canon(db))
	}
	if a.job.JobStatus != b.job.JobStatus {
		t.Errorf("%s: status %s (%s) vs %s (%s)", what, a.job.JobStatus, a.job.Message, b.job.JobStatus, b.job.Message)
	}
}

// compareRecords reports every document of keys whose record differs between two runs.
func compareRecords(t *testing.T, what string, a, b metaRun, keys []string) {
	t.Helper()
	for _, k := range keys {
		ra, rb := canon(a.recs[k]), canon(b.recs[k])
		if ra != rb {
			t.Errorf("%s: document %s differs:\n  %.600s\n  %.600s", what, k, ra, rb)
		}
	}
}

// checkOffsets checks that every span of rec indexes text in code points, is within it, and
// that its Text (where given) is exactly the span; and that every score is in [0, 1].
func checkOffsets(t *testing.T, k, text string, rec map[string]any) {
	t.Helper()
	text = strings.TrimPrefix(text, "\ufeff")
	runes := []rune(text)
	for _, field := range []string{"Entities", "KeyPhrases", "PiiEntities"} {
		list, _ := rec[field].([]any)
		for _, e := range list {
			m := e.(map[string]any)
			b, e2 := int(m["BeginOffset"].(float64)), int(m["EndOffset"].(float64))
			if b < 0 || e2 > len(runes) || b >= e2 {
				t.Errorf("%s %s: span [%d,%d) outside the document's %d characters: %v", k, field, b, e2, len(runes), m)
				continue
			}
			if txt, ok := m["Text"].(string); ok && txt != string(runes[b:e2]) {
				t.Errorf("%s %s: Text %q but span [%d,%d) is %q", k, field, txt, b, e2, string(runes[b:e2]))
			}
			if sc, ok := m["Score"].(float64); !ok || sc < 0 || sc > 1 {
				t.Errorf("%s %s: score %v", k, field, m["Score"])
			}
		}
	}
	if ss, ok := rec["SentimentScore"].(map[string]any); ok {
		sum := 0.0
		for n, v := range ss {
			f := v.(float64)
			if f < 0 || f > 1 {
				t.Errorf("%s SentimentScore %s = %v", k, n, f)
			}
			sum += f
		}
		if sum < 0.999 || sum > 1.001 {
			t.Errorf("%s SentimentScore sums to %v", k, sum)
		}
	}
	if ls, ok := rec["Languages"].([]any); ok {
		for _, l := range ls {
			if f := l.(map[string]any)["Score"].(float64); f < 0 || f > 1 {
				t.Errorf("%s Languages score %v", k, f)
			}
		}
	}
}

func TestMetamorphicPackaging(t *testing.T) {
	ctx := testCtx(t)
	docs := metaCorpus()
	n := len(docs)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("d%03d", i)
	}
	req := api.CreateJobRequest{Analyses: metaAnalyses}

	// (A) one line file.
	var lines bytes.Buffer
	for i, d := range docs {
		lines.WriteString(d)
		if i < n-1 {
			if i%3 == 0 {
				lines.WriteString("\r\n")
			} else {
				lines.WriteString("\n")
			}
		}
	}
	s := startStack(t, Config{}, pipeline.Hooks{})
	req.InputDataConfig.InputFormat = job.OneDocPerLine
	byLine := func(file string, line int, rid string) string { return fmt.Sprintf("d%03d", line) }
	lineRun := runMeta(t, ctx, s, req, []string{"docs.txt"}, map[string][]byte{"docs.txt": lines.Bytes()}, byLine)
	for i, k := range keys {
		if r, ok := lineRun.recs[k]; ok {
			checkOffsets(t, "line "+k, docs[i], r)
		} else {
			t.Errorf("line run has no %s", k)
		}
	}

	// (B) JSONL.
	// A BOM starts a JSONL line, not its text (inside the JSON string it would be a character
	// of the text); error messages name the line rather than the document, so they differ.
	var jl bytes.Buffer
	for i, d := range docs {
		bom := ""
		if strings.HasPrefix(d, "\ufeff") {
			bom, d = "\ufeff", strings.TrimPrefix(d, "\ufeff")
		}
		fmt.Fprintf(&jl, `%s{"recordId": %q, "text": %s}`+"\n", bom, keys[i], jsonString(d))
	}
	req.InputDataConfig.InputFormat = job.JSONLines
	byRid := func(file string, line int, rid string) string { return rid }
	jsonlRun := runMeta(t, ctx, s, req, []string{"docs.jsonl"}, map[string][]byte{"docs.jsonl": jl.Bytes()}, byRid)
	for i, k := range keys {
		checkOffsets(t, "jsonl "+k, docs[i], jsonlRun.recs[k])
	}
	compareRuns(t, "ONE_DOC_PER_LINE vs JSONL", stripMessages(lineRun.clone()), stripMessages(jsonlRun), keys)

	// (C) one file per document.
	files := map[string][]byte{}
	for i, d := range docs {
		files[keys[i]+".txt"] = []byte(d)
	}
	names := make([]string, 0, n)
	for i := n - 1; i >= 0; i-- { // named in reverse order
		names = append(names, keys[i]+".txt")
	}
	req.InputDataConfig.InputFormat = job.OneDocPerFile
	byFile := func(file string, line int, rid string) string { return strings.TrimSuffix(file, ".txt") }
	fileRun := runMeta(t, ctx, s, req, names, files, byFile)
	compareRuns(t, "ONE_DOC_PER_LINE vs ONE_DOC_PER_FILE", lineRun, fileRun, keys)

	// (D) the line file cut into 50 files (some empty), named in another order, with small
	// shards and one worker, or with three workers taking batches of 10.
	var s2 *Stack
	for _, cfg := range []Config{{ShardBytes: 1024, Workers: 1}, {Workers: 3, BatchSize: 10}} {
		s2 = startStack(t, cfg, pipeline.Hooks{})
		parts := map[string][]byte{}
		partOf := map[string]string{}
		var pnames []string
		for i := 0; i < 50; i++ {
			p := fmt.Sprintf("part-%02d.txt", i)
			parts[p] = nil
			pnames = append(pnames, p)
		}
		for i, d := range docs {
			p := fmt.Sprintf("part-%02d.txt", (i*7)%50)
			parts[p] = append(parts[p], d+"\r\n"...)
			partOf[fmt.Sprintf("%s:%d", p, bytes.Count(parts[p], []byte("\n"))-1)] = keys[i]
		}
		sort.Sort(sort.Reverse(sort.StringSlice(pnames)))
		req.InputDataConfig.InputFormat = job.OneDocPerLine
		byPart := func(file string, line int, rid string) string { return partOf[fmt.Sprintf("%s:%d", file, line)] }
		partRun := runMeta(t, ctx, s2, req, pnames, parts, byPart)
		compareRuns(t, fmt.Sprintf("one line file vs 50 line files, %+v", cfg), lineRun, partRun, keys)
	}

	// (E) other documents added.
	var more bytes.Buffer
	more.Write(lines.Bytes())
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&more, "\nExtra review %d: the hotel in Rome was lovely and Maria Rossi welcomed us.", i)
	}
	req.InputDataConfig.InputFormat = job.OneDocPerLine
	moreRun := runMeta(t, ctx, s2, req, []string{"docs.txt"}, map[string][]byte{"docs.txt": more.Bytes()}, byLine)
	compareRecords(t, "documents added", lineRun, moreRun, keys)
}

// clone copies r's records, so that stripMessages leaves r as it was.
func (r metaRun) clone() metaRun {
	c := r
	c.recs = map[string]map[string]any{}
	for k, m := range r.recs {
		cm := map[string]any{}
		for f, v := range m {
			cm[f] = v
		}
		c.recs[k] = cm
	}
	return c
}

func stripMessages(r metaRun) metaRun {
	for _, m := range r.recs {
		delete(m, "ErrorMessage")
	}
	return r
}

// TestMetamorphicMultiLine: documents holding line breaks (LF, CRLF, CR, NEL, U+2028) read the
// same as JSONL texts and as files, and a BOM is never part of a document's size.
func TestMetamorphicMultiLine(t *testing.T) {
	ctx := testCtx(t)
	base := "The film was wonderful, Emma Stone was great in Los Angeles. "
	pad := func(prefix string, n int) string {
		var b strings.Builder
		b.WriteString(prefix)
		for b.Len()+len(base) <= n {
			b.WriteString(base)
		}
		for b.Len() < n {
			b.WriteByte('x')
		}
		return b.String()
	}
	docs := []string{
		"Dear Sir,\r\nJohn Smith from Google wrote to me.\r\nHis phone: 415-555-0132\r\n",
		"Line one about Paris.\nLine two about Microsoft and Bill Gates.\n\nLast line.",
		"Old Mac\rline ends\rwith Steve Jobs in Cupertino.",
		"NHS Number:\n943 476 5919\nregards, Mary Jones",
		"NEL\u0085and\u2028separators\u2029with Barack Obama.",
		pad("Emma went\r\nhome. ", 5000),
		pad("Emma went\r\nhome. ", 5001),
		"\ufeff" + pad("", 5000),
		"trailing newline only document about London Bridge.\n",
	}
	n := len(docs)
	keys := make([]string, n)
	files := map[string][]byte{}
	var names []string
	var jl bytes.Buffer
	for i, d := range docs {
		keys[i] = fmt.Sprintf("m%02d", i)
		files[keys[i]] = []byte(d)
		names = append(names, keys[i])
		fmt.Fprintf(&jl, `{"recordId": %q, "text": %s}`+"\n", keys[i], jsonString(strings.TrimPrefix(d, "\ufeff")))
	}
	s := startStack(t, Config{}, pipeline.Hooks{})
	req := api.CreateJobRequest{Analyses: metaAnalyses}
	req.InputDataConfig.InputFormat = job.OneDocPerFile
	fileRun := runMeta(t, ctx, s, req, names, files, func(file string, line int, rid string) string { return file })
	req.InputDataConfig.InputFormat = job.JSONLines
	jsonlRun := runMeta(t, ctx, s, req, []string{"d.jsonl"}, map[string][]byte{"d.jsonl": jl.Bytes()}, func(file string, line int, rid string) string { return rid })
	for i, k := range keys {
		checkOffsets(t, "file "+k, docs[i], fileRun.recs[k])
		checkOffsets(t, "jsonl "+k, docs[i], jsonlRun.recs[k])
	}
	compareRuns(t, "ONE_DOC_PER_FILE vs JSONL", stripMessages(fileRun), stripMessages(jsonlRun), keys)
}

// topicsCorpus is the first n DEP-11 descriptions, one per line.
func topicsCorpus(t *testing.T, n int) []string {
	t.Helper()
	b, _ := topicsInput(t)
	var docs []string
	for _, l := range strings.Split(string(b), "\n") {
		if len(l) > 20 && utf8.ValidString(l) && len(docs) < n {
			docs = append(docs, l)
		}
	}
	return docs
}

// TestMetamorphicTopics: a TOPICS job with a fixed seed gives byte-identical output whatever
// the order its files are named and uploaded in and however many workers run it (same input,
// same shards: 1 KiB shards of an input over 8 × 3 × 1 KiB, so that the worker count does not
// cut it differently).
func TestMetamorphicTopics(t *testing.T) {
	docs := topicsCorpus(t, 150)
	k, seed := 5, int64(42)
	req := api.CreateJobRequest{Analyses: []job.Analysis{job.Topics}, NumberOfTopics: &k, RandomSeed: &seed, LanguageCode: "en"}
	req.InputDataConfig.InputFormat = job.OneDocPerLine
	parts := map[string][]byte{}
	var names []string
	for i, d := range docs {
		p := fmt.Sprintf("p%02d.txt", i%10)
		if _, ok := parts[p]; !ok {
			names = append(names, p)
		}
		parts[p] = append(parts[p], d+"\n"...)
	}
	key := func(file string, line int, rid string) string { return fmt.Sprintf("%s:%d", file, line) }
	var outs []map[string][]byte
	for _, w := range []int{1, 3} {
		s := startStack(t, Config{ShardBytes: 1024, Workers: w}, pipeline.Hooks{})
		run := names
		if w == 3 { // named (and uploaded) in the reverse order
			run = append([]string(nil), names...)
			sort.Sort(sort.Reverse(sort.StringSlice(run)))
		}
		// A hang guard per job, not one for both: under -race on a loaded machine two TOPICS
		// jobs took longer than one guard (found in review: the second job's follow timed out).
		r := runMeta(t, testCtx(t), s, req, run, parts, key)
		if r.job.JobStatus != job.Completed {
			t.Fatalf("%s: %s", r.job.JobStatus, r.job.Message)
		}
		outs = append(outs, r.raw)
	}
	for i := 1; i < len(outs); i++ {
		for _, e := range []string{"topic-terms.csv", "doc-topics.csv", "errors.jsonl"} {
			if !bytes.Equal(outs[0][e], outs[i][e]) {
				t.Errorf("run %d: %s differs from run 0:\n%.400s\n---\n%.400s", i, e, outs[0][e], outs[i][e])
			}
		}
	}
}

// TestMetamorphicTopicsFormats: the same documents as a line file and as a JSONL file of the
// same name (so the same docnames, file:line) get the same topics with the same seed. (As one
// file each their docnames differ, and the seed's sample order with them: see the README.)
func TestMetamorphicTopicsFormats(t *testing.T) {
	ctx := testCtx(t)
	docs := topicsCorpus(t, 120)
	k, seed := 4, int64(7)
	req := api.CreateJobRequest{Analyses: []job.Analysis{job.Topics}, NumberOfTopics: &k, RandomSeed: &seed, LanguageCode: "en"}
	s := startStack(t, Config{Workers: 1}, pipeline.Hooks{})
	var lines, jl bytes.Buffer
	for i, d := range docs {
		lines.WriteString(d + "\n")
		fmt.Fprintf(&jl, `{"recordId": "r%d", "text": %s}`+"\n", i, jsonString(d))
	}
	nop := func(file string, line int, rid string) string { return "" }
	req.InputDataConfig.InputFormat = job.OneDocPerLine
	a := runMeta(t, ctx, s, req, []string{"in"}, map[string][]byte{"in": lines.Bytes()}, nop)
	req.InputDataConfig.InputFormat = job.JSONLines
	b := runMeta(t, ctx, s, req, []string{"in"}, map[string][]byte{"in": jl.Bytes()}, nop)
	if a.job.JobStatus != job.Completed || b.job.JobStatus != job.Completed {
		t.Fatalf("%s (%s), %s (%s)", a.job.JobStatus, a.job.Message, b.job.JobStatus, b.job.Message)
	}
	for _, e := range []string{"topic-terms.csv", "doc-topics.csv", "errors.jsonl"} {
		if !bytes.Equal(a.raw[e], b.raw[e]) {
			t.Errorf("%s differs between ONE_DOC_PER_LINE and JSONL:\n%.600s\n---\n%.600s", e, a.raw[e], b.raw[e])
		}
	}
}

// TestMetamorphicShardCuts: the same line input read in one shard and cut at every byte
// position around CRLF pairs, lone CRs and multi-byte characters gives the same records.
func TestMetamorphicShardCuts(t *testing.T) {
	ctx := testCtx(t)
	var b bytes.Buffer
	b.WriteString("\ufeff")
	ends := []string{"\r\n", "\r", "\n", "\r\n\r\n", "\r\r", "\n\r"}
	words := []string{"Zoë in Zürich said", "東京の人々", "😀😀 great", "Paris é", "\u2028sep", "John Smith of IBM"}
	for i := 0; b.Len() < 24<<10; i++ {
		for j := 0; j <= i%9; j++ {
			b.WriteString(words[(i+j)%len(words)] + " ")
		}
		b.WriteString(ends[i%len(ends)])
	}
	input := b.Bytes()
	req := api.CreateJobRequest{Analyses: []job.Analysis{job.Language, job.Entities}, LanguageCode: ""}
	req.InputDataConfig.InputFormat = job.OneDocPerLine
	key := func(file string, line int, rid string) string { return fmt.Sprint(line) }
	s := startStack(t, Config{Workers: 1}, pipeline.Hooks{})
	ref := runMeta(t, ctx, s, req, []string{"in.txt"}, map[string][]byte{"in.txt": input}, key)
	docs := splitDocs(input)
	keys := make([]string, len(docs))
	for i := range keys {
		keys[i] = fmt.Sprint(i)
	}
	if len(ref.recs) != len(docs) {
		t.Fatalf("%d records, %d documents", len(ref.recs), len(docs))
	}
	for _, sb := range []int64{1024, 1025, 1026, 1027, 1029, 1031} {
		s := startStack(t, Config{Workers: 1, ShardBytes: sb}, pipeline.Hooks{})
		r := runMeta(t, ctx, s, req, []string{"in.txt"}, map[string][]byte{"in.txt": input}, key)
		compareRuns(t, fmt.Sprintf("one shard vs %d-byte shards", sb), ref, r, keys)
	}
}

// TestMetamorphicOffsetsNFC: spans index the text as sent in code points even where NFC
// changes the number of code points before them.
func TestMetamorphicOffsetsNFC(t *testing.T) {
	ctx := testCtx(t)
	docs := []string{
		"\uFB2C\uFB2C John Smith visited Paris and emailed john@example.com about the big contract.",
		"\u1100\u1161\u11A8\u1100\u1161\u11A8 John Smith visited Paris and emailed john@example.com about the big contract.",
		"\u0F73\u0F73\u0F73 John Smith visited Paris and emailed john@example.com about the big contract.",
		"Re\u0301sume\u0301 of Jose\u0301 Garci\u0301a: visited Paris, phone 415-555-0132, the annual budget report.",
		"\u0344\u0344 John Smith visited Paris and emailed john@example.com about the big contract.",
		"A\u030a\u0301ngstro\u0308m John Smith visited Paris and emailed john@example.com about the big contract.",
		"\U0001D400\U0001D401 John Smith visited Paris and emailed john@example.com about the big contract.",
		"e\u0301\u0301\u0301\u0301 John Smith visited Paris and emailed john@example.com about the big contract.",
	}
	var b bytes.Buffer
	for _, d := range docs {
		b.WriteString(d + "\n")
	}
	s := startStack(t, Config{}, pipeline.Hooks{})
	req := api.CreateJobRequest{Analyses: []job.Analysis{job.Entities, job.KeyPhrases, job.PII}, LanguageCode: "en"}
	req.InputDataConfig.InputFormat = job.OneDocPerLine
	r := runMeta(t, ctx, s, req, []string{"in.txt"}, map[string][]byte{"in.txt": b.Bytes()}, func(file string, line int, rid string) string { return fmt.Sprint(line) })
	for i, d := range docs {
		rec := r.recs[fmt.Sprint(i)]
		checkOffsets(t, fmt.Sprint(i), d, rec)
		t.Logf("%d: %s", i, canon(rec))
	}
}

// TestMetamorphicRedaction: a document's redacted copy is the same whether it came as a line,
// a JSONL record or a file of its own.
func TestMetamorphicRedaction(t *testing.T) {
	ctx := testCtx(t)
	docs := []string{
		"\ufeffJohn Smith emailed john.smith@example.com on March 3, 2024.",
		"Call 415-555-0132 or write to jane_doe@mail.example.org, SSN 123-45-6789.",
		"Great product 😀😀 from Apple! Card 4111 1111 1111 1111 expires 12/27.",
		"Jose\u0301 Garci\u0301a lives at 123 Main Street, Springfield, IL 62704.",
		"",
		"Caf\xe9 bad",
		"Nothing personal here at all.",
		"Tab\tand \"quotes\" with Peter Parker's IP 192.168.1.20\u2028and more",
	}
	var lines, jl bytes.Buffer
	files := map[string][]byte{}
	var names []string
	for i, d := range docs {
		lines.WriteString(d + "\r\n")
		fmt.Fprintf(&jl, `{"recordId": "%d", "text": %s}`+"\n", i, jsonString(strings.TrimPrefix(d, "\ufeff")))
		n := fmt.Sprintf("f%02d.txt", i)
		files[n] = []byte(d)
		names = append(names, n)
	}
	s := startStack(t, Config{}, pipeline.Hooks{})
	req := api.CreateJobRequest{Analyses: []job.Analysis{job.PII}, LanguageCode: "en",
		RedactionConfig: &job.RedactionConfig{MaskMode: "MASK", MaskCharacter: "#"}}
	nop := func(file string, line int, rid string) string { return file + fmt.Sprint(line) + rid }
	req.InputDataConfig.InputFormat = job.OneDocPerLine
	a := runMeta(t, ctx, s, req, []string{"in.txt"}, map[string][]byte{"in.txt": lines.Bytes()}, nop)
	req.InputDataConfig.InputFormat = job.JSONLines
	b := runMeta(t, ctx, s, req, []string{"in.jsonl"}, map[string][]byte{"in.jsonl": jl.Bytes()}, nop)
	req.InputDataConfig.InputFormat = job.OneDocPerFile
	c := runMeta(t, ctx, s, req, names, files, nop)
	la := strings.Split(string(a.raw["redacted/in.txt"]), "\n")
	lb := strings.Split(string(b.raw["redacted/in.jsonl"]), "\n")
	for i := range docs {
		var rec struct{ Text string }
		if i < len(lb) {
			_ = json.Unmarshal([]byte(lb[i]), &rec)
		}
		fc := string(c.raw[fmt.Sprintf("redacted/f%02d.txt", i)])
		if i >= len(la) || la[i] != rec.Text || la[i] != fc {
			t.Errorf("doc %d: line %q, jsonl %q (%q), file %q", i, la[min(i, len(la)-1)], rec.Text, lb[min(i, len(lb)-1)], fc)
		}
	}
}

// TestMetamorphicJSONLLineEnds: the same JSONL records with LF, CRLF or CR line ends, a BOM
// before each line (files joined with cat) or blanks around the object read the same.
func TestMetamorphicJSONLLineEnds(t *testing.T) {
	ctx := testCtx(t)
	docs := metaCorpus()
	s := startStack(t, Config{}, pipeline.Hooks{})
	req := api.CreateJobRequest{Analyses: metaAnalyses}
	req.InputDataConfig.InputFormat = job.JSONLines
	byRid := func(file string, line int, rid string) string { return rid }
	keys := make([]string, len(docs))
	for i := range keys {
		keys[i] = fmt.Sprintf("d%03d", i)
	}
	variant := func(pre, post, end string) []byte {
		var b bytes.Buffer
		for i, d := range docs {
			fmt.Fprintf(&b, `%s{"recordId": %q, "text": %s}%s%s`, pre, keys[i], jsonString(d), post, end)
		}
		return b.Bytes()
	}
	ref := runMeta(t, ctx, s, req, []string{"a.jsonl"}, map[string][]byte{"a.jsonl": variant("", "", "\n")}, byRid)
	for _, v := range []struct{ name, pre, post, end string }{
		{"CRLF", "", "", "\r\n"}, {"CR", "", "", "\r"}, {"BOM", "\ufeff", "", "\n"}, {"blanks", " \t", "  ", "\n"},
	} {
		r := runMeta(t, ctx, s, req, []string{"a.jsonl"}, map[string][]byte{"a.jsonl": variant(v.pre, v.post, v.end)}, byRid)
		if v.name == "blanks" {
			// A bad byte's offset counts from the line's start: the blanks before the object
			// move it (a BOM is not counted).
			compareRuns(t, "JSONL LF vs "+v.name, stripMessages(ref.clone()), stripMessages(r), keys)
			continue
		}
		compareRuns(t, "JSONL LF vs "+v.name, ref, r, keys)
	}
}

// TestMetamorphicCopiesAgree: copies of the same documents at different places of one
// collection (first in a shard, after others, in other shards) get the same records, so no
// analyser carries anything from one document to the next.
func TestMetamorphicCopiesAgree(t *testing.T) {
	ctx := testCtx(t)
	var docs []string
	for _, f := range []string{"reviews.txt", "mixed-languages.txt"} {
		for _, l := range strings.Split(strings.ReplaceAll(string(readSampleFile(t, f)), "\r\n", "\n"), "\n") {
			docs = append(docs, strings.TrimSuffix(l, "\r"))
		}
	}
	for _, d := range metaCorpus() {
		if len(d) < 5000 {
			docs = append(docs, d)
		}
	}
	for _, d := range topicsCorpus(t, 60) {
		docs = append(docs, d)
	}
	// Three passes over the documents in different orders.
	order := make([]int, 0, 3*len(docs))
	for i := range docs {
		order = append(order, i)
	}
	for i := range docs {
		order = append(order, len(docs)-1-i)
	}
	for i := range docs {
		order = append(order, (i*7+3)%len(docs))
	}
	var b bytes.Buffer
	for _, i := range order {
		b.WriteString(docs[i] + "\n")
	}
	s := startStack(t, Config{Workers: 2, ShardBytes: 4096}, pipeline.Hooks{})
	req := api.CreateJobRequest{Analyses: metaAnalyses}
	req.InputDataConfig.InputFormat = job.OneDocPerLine
	r := runMeta(t, ctx, s, req, []string{"in.txt"}, map[string][]byte{"in.txt": b.Bytes()}, func(file string, line int, rid string) string { return fmt.Sprint(line) })
	first := map[int]string{}
	for line, i := range order {
		got := canon(r.recs[fmt.Sprint(line)])
		if want, ok := first[i]; !ok {
			first[i] = got
		} else if got != want {
			t.Errorf("document %d (%.60q) at line %d:\n  %.500s\nbut earlier\n  %.500s", i, docs[i], line, got, want)
		}
	}
}
