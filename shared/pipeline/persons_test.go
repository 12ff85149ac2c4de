package pipeline

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/analysis/entities"
	"github.com/ream-dev/ream/shared/analysis/pii"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline/redaction"
)

// personsDocs are documents for the tests of the person spans ENTITIES hands on to PII: n
// documents of one to four CoNLL-2003 sentences (tokens joined by spaces, taken in order from
// the train file; skipped when the data is absent), then PII texts (names beside other types,
// text in NFD, without capitals, in capitals).
func personsDocs(t testing.TB, n int) []string {
	dir := os.Getenv("REAM_DATA_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	f, err := os.Open(filepath.Join(dir, "ner-conll03-train.tsv"))
	if err != nil {
		t.Skipf("CoNLL-2003 data absent (%v); set REAM_DATA_DIR", err)
	}
	defer f.Close()
	var docs []string
	var doc, sent []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(docs) < n {
		if w, _, ok := strings.Cut(sc.Text(), "\t"); ok && w != "" {
			sent = append(sent, w)
			continue
		}
		if len(sent) == 0 {
			continue
		}
		doc, sent = append(doc, strings.Join(sent, " ")), nil
		if len(doc) > len(docs)%4 {
			docs, doc = append(docs, strings.Join(doc, " ")), nil
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return append(docs,
		"Dear Mr. Smith, please call Jane Roe at 202-456-1111 or write to jane.roe@example.com.",
		"Barack Obama met Angela Merkel in Berlin on March 3, 2016; Obama said Merkel agreed.",
		"Patient: John A. Doe, DOB 04/12/1961, SSN 123-45-6789, 12 Oak Street, Springfield.",
		"Profile https://example.com/u?name=Bobby+Simmons&email=bobby.simmons@example.com by Bobby Simmons",
		norm.NFD.String("José Müller and Zoë Ångström wrote to François Lefèvre from Málaga."),
		"no capitals here, only jane roe and 4111 1111 1111 1111",
		"JOHN SMITH, 221B BAKER STREET, LONDON",
		"Tel (020) 7946 0958\nChapter 12\nGrace May will visit Simmons.",
	)
}

// personsService is a Service with the default analysers, enough to analyse documents.
func personsService(t testing.TB) *Service {
	reg, err := analysis.DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return &Service{analyzers: reg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// analysed runs job j's analysers over text as ProcessShard does, and writes the redacted copy
// as the job's redacted writer does ("" when the job redacts nothing).
func (s *Service) analysed(t testing.TB, j *job.Job, text string) (output.Record, string) {
	as, err := s.analyzers.Lookup(job.TextAnalyses(j.Analyses))
	if err != nil {
		t.Fatal(err)
	}
	d := input.Document{Text: text, Line: -1}
	var rec output.Record
	s.analyse(context.Background(), s.log, as, nil, j, d, &rec, nil)
	red := ""
	if j.RedactOutput != nil {
		r, err := redaction.NewRedactor(j)
		if err != nil {
			t.Fatal(err)
		}
		red = r.Text(d, &rec)
	}
	return rec, red
}

func recordJSON(t testing.TB, r analysis.Result) string {
	b, err := r.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEntitiesPIIShareThePersonModel: in a job with ENTITIES and PII the ENTITIES sequence
// model runs once per document (PII's NAME takes the person spans ENTITIES hands on), and every
// output is what it was when each ran the model itself: PII's spans and redacted copies (of
// every type, and of some types, NAME among them) those of a job of PII alone, ENTITIES' those
// of ENTITIES alone, whatever the order the job names them in, with LANGUAGE or a declared
// language.
func TestEntitiesPIIShareThePersonModel(t *testing.T) {
	docs := personsDocs(t, 400)
	s := personsService(t)
	redactAll := &job.RedactionConfig{MaskMode: analysis.RedactReplaceWithType}
	redactSome := &job.RedactionConfig{MaskMode: analysis.RedactMask, PiiEntityTypes: []string{pii.Name, pii.Email, pii.URL}}
	mk := func(lang string, red *job.RedactionConfig, as ...job.Analysis) *job.Job {
		return &job.Job{Analyses: as, LanguageCode: lang, RedactOutput: red}
	}
	type want struct {
		pii, all, some, ents string
	}
	// What PII and ENTITIES alone write, with the language declared and without (LANGUAGE then
	// decides it: some CoNLL sentences read as another language, and every analysis refuses them).
	wants := map[string][]want{}
	for _, lang := range []string{"en", ""} {
		w := make([]want, len(docs))
		for i, text := range docs {
			rec, all := s.analysed(t, mk(lang, redactAll, job.PII), text)
			w[i].pii = recordJSON(t, analysis.Result{PiiEntities: rec.PiiEntities}) + rec.ErrorCode
			w[i].all = all
			_, w[i].some = s.analysed(t, mk(lang, redactSome, job.PII), text)
			rec, _ = s.analysed(t, mk(lang, nil, job.Entities), text)
			w[i].ents = recordJSON(t, analysis.Result{Entities: rec.Entities}) + rec.ErrorCode
		}
		wants[lang] = w
	}
	for _, c := range []struct {
		name string
		j    *job.Job
	}{
		{"ENTITIES PII", mk("en", redactAll, job.Entities, job.PII)},
		{"PII ENTITIES", mk("", redactAll, job.PII, job.Entities)},
		{"LANGUAGE PII ENTITIES SENTIMENT", mk("", redactAll, job.Language, job.PII, job.Entities, job.Sentiment)},
		{"PII KEY_PHRASES ENTITIES, some types redacted", mk("en", redactSome, job.PII, job.KeyPhrases, job.Entities)},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := entities.ModelRuns()
			analysed := 0
			for i, text := range docs {
				w := wants[c.j.LanguageCode][i]
				rec, red := s.analysed(t, c.j, text)
				failed := map[job.Analysis]string{}
				for _, e := range rec.Errors {
					failed[e.Analysis] = e.ErrorCode
				}
				got := recordJSON(t, analysis.Result{PiiEntities: rec.PiiEntities}) + failed[job.PII]
				if got != w.pii {
					t.Errorf("document %d %q: PII %s; PII alone %s", i, text, got, w.pii)
				}
				if got := recordJSON(t, analysis.Result{Entities: rec.Entities}) + failed[job.Entities]; got != w.ents {
					t.Errorf("document %d %q: ENTITIES %s; ENTITIES alone %s", i, text, got, w.ents)
				}
				wantRed := w.all
				if !c.j.RedactOutput.RedactsAll() {
					wantRed = w.some
				}
				if red != wantRed {
					t.Errorf("document %d %q: redacted %q; PII alone %q", i, text, red, wantRed)
				}
				if rec.Entities != nil {
					analysed++
				}
			}
			if analysed < len(docs)/2 {
				t.Errorf("ENTITIES analysed %d documents of %d", analysed, len(docs))
			}
			if runs := entities.ModelRuns() - before; runs != int64(analysed) {
				t.Errorf("the ENTITIES model ran %d times over the %d documents ENTITIES analysed; want once per document", runs, analysed)
			}
		})
	}
}

// TestPIIAloneRunsThePersonModelOnce: a PII job, redacted in full or for some types, NAME
// among them, runs the ENTITIES model at most once per document (the restricted redaction's
// detection reuses the analysis's person spans).
func TestPIIAloneRunsThePersonModelOnce(t *testing.T) {
	docs := personsDocs(t, 50)
	s := personsService(t)
	for _, types := range [][]string{nil, {pii.Name}, {pii.Email, pii.Name}} {
		j := &job.Job{Analyses: []job.Analysis{job.PII}, LanguageCode: "en", RedactOutput: &job.RedactionConfig{MaskMode: analysis.RedactMask, PiiEntityTypes: types}}
		before := entities.ModelRuns()
		for _, text := range docs {
			s.analysed(t, j, text)
		}
		if runs := entities.ModelRuns() - before; runs > int64(len(docs)) {
			t.Errorf("redacting %v: the ENTITIES model ran %d times over %d documents; want at most once per document", types, runs, len(docs))
		}
	}
}

// BenchmarkEntitiesPII analyses ~1 KB documents (CoNLL-2003 sentences) with ENTITIES and PII
// (LanguageCode en), as a shard does; reports documents per second and the ENTITIES model's
// runs per document.
func BenchmarkEntitiesPII(b *testing.B) {
	var docs []string
	var sb strings.Builder
	for _, d := range personsDocs(b, 4000) {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(d)
		if sb.Len() >= 1000 {
			docs = append(docs, sb.String())
			sb.Reset()
		}
	}
	s := personsService(b)
	j := &job.Job{Analyses: []job.Analysis{job.Entities, job.PII}, LanguageCode: "en"}
	as, err := s.analyzers.Lookup(j.Analyses)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	b.ReportAllocs()
	b.SetBytes(int64(n / len(docs)))
	before := entities.ModelRuns()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var rec output.Record
		s.analyse(context.Background(), s.log, as, nil, j, input.Document{Text: docs[i%len(docs)], Line: -1}, &rec, nil)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(entities.ModelRuns()-before)/float64(b.N), "model-runs/doc")
}
