package coding

import (
	"bufio"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
)

var (
	fuzzModelOnce sync.Once
	fuzzModel     *Model
	fuzzModelErr  error
)

// FuzzCode codes arbitrary records with the shipped model: no panic; always three suggestions,
// best first, confidences in [0,1]; a Result (when any) has a code of the scheme and a
// confidence in [0,1]; Predict agrees with the suggestions.
func FuzzCode(f *testing.F) {
	f.Add("nurse", "cares for patients")
	f.Add("", "")
	f.Add("-", "?")
	f.Add("I", "\x00\xff")
	f.Add("bus driver", strings.Repeat("drive ", 200))
	f.Add("Ärztin / Krankenschwester", "日本語 😀")
	if fh, err := os.Open("testdata/soc2010-test.tsv"); err == nil {
		sc := bufio.NewScanner(fh)
		for i := 0; i < 30 && sc.Scan(); i++ {
			if _, title, ok := strings.Cut(sc.Text(), "\t"); ok {
				f.Add(title, "")
			}
		}
		fh.Close()
	}
	f.Fuzz(func(t *testing.T, occp, tasks string) {
		fuzzModelOnce.Do(func() { fuzzModel, fuzzModelErr = Default() })
		if fuzzModelErr != nil {
			t.Fatal(fuzzModelErr)
		}
		m := fuzzModel
		d := m.Code(occp, tasks)
		if len(d.Suggestions) != 3 {
			t.Fatalf("Code(%q, %q): %d suggestions", occp, tasks, len(d.Suggestions))
		}
		for i, s := range d.Suggestions {
			if !(s.Confidence >= 0 && s.Confidence <= 1) || s.Code == "" {
				t.Fatalf("Code(%q, %q): suggestion %+v", occp, tasks, s)
			}
			if i > 0 && s.Confidence > d.Suggestions[i-1].Confidence {
				t.Fatalf("Code(%q, %q): suggestions not best first: %+v", occp, tasks, d.Suggestions)
			}
		}
		if r := d.Result; r != nil {
			if !(r.Confidence >= 0 && r.Confidence <= 1+1e-9) || math.IsNaN(r.Confidence) {
				t.Fatalf("Code(%q, %q): result %+v", occp, tasks, *r)
			}
			if _, ok := m.Scheme().Lookup(r.Code); !ok {
				t.Fatalf("Code(%q, %q): result code %q not in the scheme", occp, tasks, r.Code)
			}
		}
		p := m.Predict(occp, tasks, 5)
		if p != nil {
			if len(p) != 5 {
				t.Fatalf("Predict(%q, %q, 5): %d", occp, tasks, len(p))
			}
			if p[0].Code != d.Suggestions[0].Code {
				t.Fatalf("Predict(%q, %q) best %q, Code's %q", occp, tasks, p[0].Code, d.Suggestions[0].Code)
			}
		} else if d.Result != nil {
			t.Fatalf("Code(%q, %q) coded a record Predict finds no usable token in", occp, tasks)
		}
	})
}

// FuzzExamples reads arbitrary bytes as JSONL and TSV training examples: no panic, no hang,
// terminates, and every line is either an example, skipped (blank / comment) or an error.
func FuzzExamples(f *testing.F) {
	f.Add([]byte(`{"code":"223","occp_text":"nurse","tasks_text":"care"}` + "\n\n" + `{"code":1}` + "\r\n"))
	f.Add([]byte("214\tecological consultant\n# comment\n\n223\tnurse\tcares\r\nnotab\n"))
	f.Add([]byte("\xef\xbb\xbf{\"code\":\"x\"}\n[1,2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		for _, ex := range []Examples{NewJSONLExamples(strings.NewReader(string(data))), NewTSVExamples(strings.NewReader(string(data)))} {
			n := 0
			for {
				_, ok, err := ex.Next()
				if err != nil || !ok {
					break
				}
				n++
				if n > lines {
					t.Fatalf("%d examples from %d lines", n, lines)
				}
			}
			ex.Close()
		}
	})
}
