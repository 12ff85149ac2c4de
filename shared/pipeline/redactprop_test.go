package pipeline_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// piiGen generates documents that mix the detectable PII types in awkward places: adjacent to
// each other, at the start and end of a document or line, across CRLF, CR and U+2028 line
// breaks, next to multi-byte letters, emoji and combining marks.
type piiGen struct{ r *rand.Rand }

func (g piiGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g piiGen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

// card is a 16-digit Visa number with a valid Luhn check digit, grouped as cards are written.
func (g piiGen) card() string {
	d := "4" + g.digits(14)
	sum := 0
	for i := 0; i < len(d); i++ { // from the right, the check digit's neighbour doubled
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	d += strconv.Itoa((10 - sum%10) % 10)
	sep := g.pick(" ", "-", "", ".")
	return d[:4] + sep + d[4:8] + sep + d[8:12] + sep + d[12:]
}

// iban is a German IBAN with valid mod-97 check digits, grouped in fours or not.
func (g piiGen) iban() string {
	bban := g.digits(18)
	num := bban + "131400" // D=13 E=14, check digits 00
	rem := 0
	for _, c := range num {
		rem = (rem*10 + int(c-'0')) % 97
	}
	s := fmt.Sprintf("DE%02d%s", 98-rem, bban)
	if g.r.IntN(2) == 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

func (g piiGen) entity() string {
	switch g.r.IntN(14) {
	case 0:
		return g.pick("jane.doe", "zoë", "a.b+tag", "x") + "@" + g.pick("example.com", "mail.example.org", "exemple.fr")
	case 1:
		return g.pick("Call ", "Tel: ", "phone ") + g.pick("(415) 867-5309", "+1 212-736-0148", "020 7946 0958", "+33 1 42 68 53 00")
	case 2:
		return g.card()
	case 3:
		return g.iban()
	case 4:
		return "SSN " + fmt.Sprintf("%03d-%02d-%04d", 100+g.r.IntN(500), 1+g.r.IntN(98), 1+g.r.IntN(9998))
	case 5:
		return g.pick("John Smith", "María García", "Zoë Müller", "Barack Obama", "Mr. Jones", "Angela Merkel")
	case 6:
		return g.pick("12 Oak Street, Springfield, IL 62704", "221B Baker Street, London NW1 6XE", "PO Box 123")
	case 7:
		const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
		b := []byte("AKIA")
		for range 16 {
			b = append(b, alnum[g.r.IntN(len(alnum))])
		}
		return string(b)
	case 8:
		return fmt.Sprintf("%d.%d.%d.%d", 10+g.r.IntN(200), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	case 9:
		return "https://example.com/u?email=" + g.pick("bob@example.com", "alice@example.org") + "&ip=192.0.2." + strconv.Itoa(1+g.r.IntN(200))
	case 10:
		return g.pick("March 3, 2016", "2021-04-05", "04/12/1961")
	case 11:
		return g.pick("password=", "pin=", "user=") + g.pick("hunter2", "s3cr3t!", "zoë42")
	case 12:
		return "Your PIN is " + g.digits(4)
	default:
		return g.pick("MAC 00:1A:2B:3C:4D:5E", "I am 40 years old", "routing 021000021")
	}
}

// sep is what goes between two entities; breaks are line breaks (false for a line format's
// document, which holds none of LF and CR).
func (g piiGen) sep(breaks bool) string {
	seps := []string{" ", "", ",", "\u00a0", " é ", "😀", "e\u0301 ", "\u2028", "\t", " 日本 ", "👩🏽‍💻", " and ", "; "}
	if breaks {
		seps = append(seps, "\r\n", "\r", "\n", "\n\n")
	}
	return g.pick(seps...)
}

// soup is a short run of entities, digits, context words and separators with nothing
// between them, where detectors' candidates overlap (a phone against an IPv6-like
// "5309::4111", an address against a URL's query).
func (g piiGen) soup(breaks bool) string {
	var b strings.Builder
	for range 4 + g.r.IntN(12) {
		switch g.r.IntN(4) {
		case 0:
			b.WriteString(g.pick("Call ", "PIN ", "SSN ", "age: ", "routing ", "account ", "VIN ", "ITIN ", "SIN ", "NHS ", "passport ", "DL# ", "tel ", "IBAN ", "card ", "exp ", "CVV ", "on ", "password=", "swift: ", "John ", "Street ", "IL ", "March ", "http://", "@", ".com", "user=", "AKIA"))
		case 1:
			b.WriteString(g.digits(1 + g.r.IntN(5)))
		case 2:
			b.WriteString(g.pick("-", " ", ".", "/", ":", "", ", "))
		default:
			b.WriteString(g.pick("(415) 867-5309", "4111 1111 1111 1111", "2021-04-05", "https://example.com/a?x=1", "12 Oak Street, Springfield, IL 62704") + g.sep(breaks))
		}
	}
	return b.String()
}

// doc is one document of about size bytes (at least one entity).
func (g piiGen) doc(size int, breaks bool) string {
	if size < 1000 && g.r.IntN(3) == 0 {
		return g.soup(breaks)
	}
	var b strings.Builder
	if g.r.IntN(2) == 0 {
		b.WriteString(g.pick("Hi ", "é", "😀", "\u0301", "Dear ", "\u2028"))
	}
	for b.Len() < size {
		b.WriteString(g.entity())
		b.WriteString(g.sep(breaks))
		if g.r.IntN(3) == 0 {
			b.WriteString(g.pick("Please update the record.", "Merci beaucoup.", "see attached", "x"))
			b.WriteString(g.sep(breaks))
		}
	}
	s := b.String()
	if g.r.IntN(2) == 0 {
		s += g.entity() // an entity at the very end
	}
	return s
}

// piiOffsetsLine is what the properties read of an output line.
type piiOffsetsLine struct {
	Line      *int
	File      string
	RecordId  string
	ErrorCode string
	Entities  []analysis.PiiEntity
}

// readArchive returns the entries of an output.tar.gz.
func readArchive(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		c, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = string(c)
	}
}

// runPIIJob runs a PII job (en) over the input under prefix in format through st's service,
// every shard delivered twice, and returns its archive's entries.
func runPIIJob(t *testing.T, ctx context.Context, st localService, prefix string, format job.Format, red *job.RedactionConfig) map[string]string {
	t.Helper()
	created, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{
		Analyses: []job.Analysis{job.PII}, LanguageCode: "en", RedactionConfig: red,
		InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/" + prefix, InputFormat: format},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if processMessages(t, ctx, st.svc, st.queue, 10, 2) == 0 {
			break
		}
	}
	j, err := st.jobs.Get(ctx, "local", created.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if format != job.OneDocPerFile && j.JobDetails.ShardsTotal < 3 {
		t.Fatalf("%s: %d shards; want the files split across several", format, j.JobDetails.ShardsTotal)
	}
	return readArchive(t, topicsArchive(t, ctx, st, created.JobId))
}

// piiLineBreaks counts the line breaks of s as the analyses read them (CRLF once).
func piiLineBreaks(s string) int {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Count(s, "\n") + strings.Count(s, "\r") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029") + strings.Count(s, "\u0085") + strings.Count(s, "\v") + strings.Count(s, "\f")
}

// redactStats counts what checkRedacted checked: copies and spans of requested types.
var redactStats struct{ copies, spans int }

// checkRedacted asserts the properties of one document's redacted copy red of text, whose
// ONLY_OFFSETS spans are ents, for redaction config rc.
func checkRedacted(t *testing.T, where, text, red string, ents []analysis.PiiEntity, rc *job.RedactionConfig) {
	t.Helper()
	requested := func(typ string) bool { return rc.RedactsAll() || slices.Contains(rc.PiiEntityTypes, typ) }
	runes := []rune(text)
	// must: every code point of a span of a requested type the offsets output reports.
	// may: also those a detection of the requested types alone finds (documented: an e-mail
	// inside a URL's query, where the offsets output lists the URL).
	must := make([]bool, len(runes))
	may := make([]bool, len(runes))
	mark := func(es []analysis.PiiEntity, into []bool) {
		for _, e := range es {
			if requested(e.Type) {
				for i := e.BeginOffset; i < e.EndOffset && i < len(runes); i++ {
					into[i] = true
				}
			}
		}
	}
	mark(ents, must)
	copy(may, must)
	if !rc.RedactsAll() {
		only, err := analysis.PiiDetector(rc.PiiEntityTypes)
		if err != nil {
			t.Fatal(err)
		}
		mark(only(text, nil), may)
	}
	mask := '*'
	if rc.MaskCharacter != "" {
		mask = []rune(rc.MaskCharacter)[0]
	}
	if rc.MaskMode == analysis.RedactMask {
		got := []rune(red)
		if len(got) != len(runes) {
			t.Errorf("%s: redacted copy has %d code points, the text %d:\n text %q\n red  %q", where, len(got), len(runes), text, red)
			return
		}
		for i, c := range runes {
			switch {
			case must[i] && got[i] != mask:
				t.Errorf("%s: LEAK at code point %d (%q) of a requested span:\n text %q\n red  %q\n ents %v", where, i, string(c), text, red, ents)
				return
			case got[i] != c && got[i] != mask:
				t.Errorf("%s: code point %d (%q) became %q, neither itself nor the mask %q:\n text %q\n red  %q", where, i, string(c), string(got[i]), string(mask), text, red)
				return
			case !may[i] && got[i] != c:
				t.Errorf("%s: code point %d (%q) outside every requested span changed to %q:\n text %q\n red  %q", where, i, string(c), string(got[i]), text, red)
				return
			}
		}
	} else {
		// REPLACE_WITH_PII_ENTITY_TYPE: the text outside the spans as it is, each run of
		// redacted code points one or more "[TYPE]".
		var pat strings.Builder
		pat.WriteString(`^`)
		for i := 0; i < len(runes); {
			j := i
			if must[i] {
				for j < len(runes) && may[j] {
					j++
				}
				pat.WriteString(`(?:\[[A-Z_]+\])+`)
			} else if may[i] {
				for j < len(runes) && may[j] && !must[j] {
					j++
				}
				// redacted or not
				pat.WriteString(`(?:(?:\[[A-Z_]+\])+|` + regexp.QuoteMeta(string(runes[i:j])) + `)`)
			} else {
				for j < len(runes) && !may[j] {
					j++
				}
				pat.WriteString(regexp.QuoteMeta(string(runes[i:j])))
			}
			i = j
		}
		pat.WriteString(`$`)
		if !regexp.MustCompile(pat.String()).MatchString(red) {
			t.Errorf("%s: redacted copy is not the text with its requested spans replaced:\n text %q\n red  %q\n ents %v", where, text, red, ents)
			return
		}
	}
	// The copy keeps every line break (no requested span holds one), so that line numbers
	// into the document stay valid.
	redactStats.copies++
	for _, e := range ents {
		if requested(e.Type) {
			redactStats.spans++
		}
	}
	if piiLineBreaks(red) != piiLineBreaks(text) {
		t.Errorf("%s: redacted copy has %d line breaks, the text %d:\n text %q\n red  %q", where, piiLineBreaks(red), piiLineBreaks(text), text, red)
	}
}

// TestRedactionProperties runs generated documents through the local service as PII jobs
// with ONLY_OFFSETS (no RedactionConfig) and ONLY_REDACTION (MASK with every allowed
// MaskCharacter, REPLACE_WITH_PII_ENTITY_TYPE; every type and some) on the same input, in the
// three line and file formats, with small shards so that files split across them and every
// shard delivered twice, and checks each redacted copy against the offsets output
// (checkRedacted). Seeded and deterministic; REAM_REDACTION_SEEDS=N runs N seeds from
// 20261205, each a subtest seed=S (-run 'TestRedactionProperties/seed=S' replays one).
func TestRedactionProperties(t *testing.T) {
	seeds := 1
	if v, err := strconv.Atoi(os.Getenv("REAM_REDACTION_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	for i := range seeds {
		seed := uint64(20261205 + i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runRedactionProperties(t, seed) })
	}
	t.Logf("%d seeds: %d redacted copies checked, %d spans of requested types", seeds, redactStats.copies, redactStats.spans)
}

func runRedactionProperties(t *testing.T, seed uint64) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{ShardBytes: 2048}, nil)
	g := piiGen{rand.New(rand.NewPCG(seed, 1))}
	type doc struct{ file, text string }
	inputs := map[job.Format][]doc{}
	// ONE_DOC_PER_LINE: two files, LF and CRLF and CR line ends, lines of 20 to 400 bytes.
	for f := range 2 {
		file := fmt.Sprintf("lines/f%d.txt", f)
		var b strings.Builder
		for i := range 30 {
			d := g.doc(20+g.r.IntN(380), false)
			if f == 0 && i == 0 {
				d = "PIN (415) 867-5309::4111 1111 1111 1111" // a PHONE the card's overlap leaves reported
			}
			inputs[job.OneDocPerLine] = append(inputs[job.OneDocPerLine], doc{file, d})
			b.WriteString(d + g.pick("\n", "\r\n", "\r"))
		}
		if err := st.objects.Put(ctx, "inputs/local/"+file, strings.NewReader(b.String())); err != nil {
			t.Fatal(err)
		}
	}
	// JSONL: escaped texts holding any line break.
	{
		var b strings.Builder
		for i := range 24 {
			d := g.doc(20+g.r.IntN(600), true)
			inputs[job.JSONLines] = append(inputs[job.JSONLines], doc{"jsonl/r.jsonl", d})
			line, _ := json.Marshal(map[string]any{"recordId": i, "text": d})
			b.Write(line)
			b.WriteString("\n")
		}
		if err := st.objects.Put(ctx, "inputs/local/jsonl/r.jsonl", strings.NewReader(b.String())); err != nil {
			t.Fatal(err)
		}
	}
	// ONE_DOC_PER_FILE: documents with line breaks, one near PII's 100 KB limit.
	for f := range 5 {
		size := 50 + g.r.IntN(2000)
		if f == 0 {
			size = 99_000
		}
		d := g.doc(size, true)
		if len(d) > 100_000 {
			d = d[:strings.LastIndexByte(d[:100_000], ' ')]
		}
		file := fmt.Sprintf("files/d%d.txt", f)
		inputs[job.OneDocPerFile] = append(inputs[job.OneDocPerFile], doc{file, d})
		if err := st.objects.Put(ctx, "inputs/local/"+file, strings.NewReader(d)); err != nil {
			t.Fatal(err)
		}
	}
	configs := []job.RedactionConfig{{MaskMode: analysis.RedactReplaceWithType}}
	for _, c := range "!@#$%&*" {
		configs = append(configs, job.RedactionConfig{MaskMode: analysis.RedactMask, MaskCharacter: string(c)})
	}
	configs = append(configs,
		job.RedactionConfig{MaskMode: analysis.RedactMask},
		job.RedactionConfig{MaskMode: analysis.RedactMask, PiiEntityTypes: []string{"EMAIL", "SSN"}},
		job.RedactionConfig{MaskMode: analysis.RedactMask, PiiEntityTypes: []string{"PHONE", "IP_ADDRESS"}},
		job.RedactionConfig{MaskMode: analysis.RedactReplaceWithType, PiiEntityTypes: []string{"URL", "ADDRESS", "DATE_TIME"}},
		job.RedactionConfig{MaskMode: analysis.RedactMask, PiiEntityTypes: []string{"NAME", "DATE_TIME", "PHONE"}},
		job.RedactionConfig{MaskMode: analysis.RedactReplaceWithType, PiiEntityTypes: []string{"CREDIT_DEBIT_NUMBER", "BANK_ACCOUNT_NUMBER", "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "PIN", "PASSWORD"}},
	)
	// Any other MaskCharacter is refused (Comprehend's constraint: one of !@#$%&*): a letter,
	// a non-ASCII character, two characters, a control character.
	for _, c := range []string{"x", "é", "█", "**", "\x00", " "} {
		_, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{
			Analyses: []job.Analysis{job.PII}, LanguageCode: "en",
			RedactionConfig: &job.RedactionConfig{MaskMode: analysis.RedactMask, MaskCharacter: c},
			InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/files/", InputFormat: job.OneDocPerFile},
		})
		if !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "MaskCharacter") {
			t.Errorf("MaskCharacter %q: %v; want an invalid request naming MaskCharacter", c, err)
		}
	}
	for _, in := range []struct {
		format job.Format
		prefix string
	}{{job.OneDocPerLine, "inputs/local/lines/"}, {job.JSONLines, "inputs/local/jsonl/"}, {job.OneDocPerFile, "inputs/local/files/"}} {
		format, prefix := in.format, in.prefix
		docs := inputs[format]
		offsets := runPIIJob(t, ctx, st, prefix, format, nil)
		ents := map[string][]analysis.PiiEntity{} // by file and line
		key := func(file string, line int) string { return file + "\x00" + strconv.Itoa(line) }
		sc := bufio.NewScanner(strings.NewReader(offsets["output"]))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var l piiOffsetsLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			if l.ErrorCode != "" {
				t.Fatalf("%s: an error record %s", format, sc.Text())
			}
			line := -1
			if l.Line != nil {
				line = *l.Line
			}
			ents[key(l.File, line)] = l.Entities
		}
		if len(ents) != len(docs) {
			t.Fatalf("%s: %d output lines for %d documents", format, len(ents), len(docs))
		}
		for ci := range configs {
			rc := &configs[ci]
			var first map[string]string
			runs := 1
			if ci == 0 || len(rc.PiiEntityTypes) > 0 {
				runs = 2 // a second job of the same input (the first's shards each delivered twice)
			}
			for rerun := range runs {
				arch := runPIIJob(t, ctx, st, prefix, format, rc)
				// The copies of the same input are the same whatever the run (each shard was
				// delivered twice too).
				copies := map[string]string{}
				for k, v := range arch {
					if strings.HasPrefix(k, "redacted/") {
						copies[k] = v
					}
				}
				if rerun == 0 {
					first = copies
					continue
				}
				if !maps.Equal(first, copies) {
					t.Errorf("%s %+v: the copies of a second run differ from the first's", format, *rc)
				}
			}
			line := map[string]int{}
			for i, d := range docs {
				rel := strings.TrimPrefix("inputs/local/"+d.file, prefix)
				var red string
				switch format {
				case job.OneDocPerFile:
					red = first["redacted/"+rel]
					checkRedacted(t, fmt.Sprintf("%s %+v %s", format, *rc, rel), d.text, red, ents[key(rel, -1)], rc)
					continue
				default:
					lines := strings.Split(first["redacted/"+rel], "\n")
					n := line[rel]
					line[rel]++
					if n >= len(lines) {
						t.Fatalf("%s %+v: %s has %d lines", format, *rc, rel, len(lines))
					}
					red = lines[n]
					if format == job.JSONLines {
						var r struct{ RecordId, Text string }
						if err := json.Unmarshal([]byte(red), &r); err != nil || r.RecordId != strconv.Itoa(i) {
							t.Fatalf("%s: line %d %q: %v", format, n, red, err)
						}
						red = r.Text
					}
					checkRedacted(t, fmt.Sprintf("%s %+v %s line %d", format, *rc, rel, n), d.text, red, ents[key(rel, n)], rc)
				}
			}
		}
	}
}
