// Package evaltest holds what the analysers' tests and evaluations share: where the
// evaluation data lives, readers for the labelled files, benchmark documents and runner, and
// small counting helpers. Only tests import it.
package evaltest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	"github.com/ream-dev/ream/shared/internal/textcut"
)

// DataDir is the shared data directory: $REAM_DATA_DIR, else ../shared/data beside the
// module's root (/work/shared/data for a checkout in /work/ream), as a path relative to the
// test's package directory (../../../shared/data from shared/analysis).
func DataDir() string {
	if d := os.Getenv("REAM_DATA_DIR"); d != "" {
		return d
	}
	up := ".."
	if wd, err := os.Getwd(); err == nil {
		for d := wd; !Exists(filepath.Join(d, "go.mod")); d = filepath.Dir(d) {
			if filepath.Dir(d) == d {
				break
			}
			up = filepath.Join(up, "..")
		}
	}
	return filepath.Join(up, "shared", "data")
}

// Exists reports whether p can be stat'ed.
func Exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// CoNLLPath is the CoNLL-2003 file the ENTITIES model is trained and evaluated on.
func CoNLLPath() string { return filepath.Join(DataDir(), "ner-conll03-train.tsv") }

// IMDBModule is the Go module whose datasets/test directory is the IMDB test split.
const IMDBModule = "github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10"

// IMDBLocation is where the IMDB test split should be ("" when the module cache is unknown).
func IMDBLocation() string {
	if d := os.Getenv("REAM_IMDB_DIR"); d != "" {
		return d
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if gobin, err := exec.LookPath("go"); err == nil {
			if out, err := exec.Command(gobin, "env", "GOMODCACHE").Output(); err == nil {
				cache = strings.TrimSpace(string(out))
			}
		}
	}
	if cache == "" {
		return ""
	}
	return filepath.Join(cache, filepath.FromSlash(IMDBModule), "datasets", "test")
}

// Labelled is one line of a label<TAB>text file.
type Labelled struct{ Label, Text string }

// ReadTSV reads label<TAB>text lines, skipping blank lines and # comments.
func ReadTSV(t testing.TB, path string) []Labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []Labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: no tab in %q", path, line)
		}
		out = append(out, Labelled{label, text})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
}

// Ratio is a/b, 0 when b is 0.
func Ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// TotalBytes is the summed length of docs.
func TotalBytes(docs []string) int {
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	return n
}

// BenchDocs builds documents of about size bytes by joining the texts of testdata/file (a
// label<TAB>text file) of the same label (so a language document stays in one language), one
// or more per label.
func BenchDocs(b *testing.B, file string, size int) []string {
	b.Helper()
	rows := ReadTSV(b, filepath.Join("testdata", file))
	byLabel := map[string][]string{}
	var order []string
	for _, r := range rows {
		if _, ok := byLabel[r.Label]; !ok {
			order = append(order, r.Label)
		}
		byLabel[r.Label] = append(byLabel[r.Label], r.Text)
	}
	var docs []string
	for _, l := range order {
		var sb strings.Builder
		for _, t := range byLabel[l] {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(t)
			if sb.Len() >= size {
				docs = append(docs, textcut.Prefix(sb.String(), size))
				sb.Reset()
			}
		}
	}
	return docs
}

// Analyzer is the method of analysis.Analyzer that RunAnalyzer calls.
type Analyzer interface {
	Analyze(text string, opts result.Options, into *result.Result) error
}

// RunAnalyzer runs a over docs b.N times in turn, reporting bytes, allocations and docs/s.
// Analyze is called through an interface, so the Result escapes: one allocation per document
// more than a loop over the concrete analyser (BenchmarkPII, BenchmarkEntities and the
// parallel benchmarks keep their own loops and figures for that reason).
//
// Every document is analysed once before the timer starts, so that what an analyser builds
// on first use (LANGUAGE decodes its n-gram tables at the first document that needs them,
// its quadrigram and fivegram tables at the first short one) is not counted: when that first
// use fell in a measured round, the round lasted past the bench time and was reported, and
// BenchmarkLanguage/prefix=150 showed 30–100 documents/s and 645 KB a document, the cost
// of a table decode, where the analyser does about 20,000 a second with 212 bytes on a loaded
// machine.
func RunAnalyzer(b *testing.B, a Analyzer, docs []string) {
	b.ReportAllocs()
	b.SetBytes(int64(TotalBytes(docs) / len(docs)))
	for _, d := range docs {
		var res result.Result
		if err := a.Analyze(d, result.Options{}, &res); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var res result.Result
		if err := a.Analyze(docs[i%len(docs)], result.Options{}, &res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
