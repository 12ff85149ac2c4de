package entities

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// pathological are valid documents built to make a rule or a merge step do more than linear
// work: a unit repeated up to the document's size. Each one hit a quadratic step once (see
// BenchmarkPathological).
var pathological = []struct{ name, unit string }{
	{"short-sentences", "Hi there. "},                      // many model spans against many rule names
	{"capitalised", "Alpha Beta Gamma Delta Smith Jones "}, // one name as long as the document
	{"names-and-dates", "John Smith on Monday. "},          // dates, names and model spans interleaved
	{"leading-the", "The "},                                // a leading "The" stripped a token at a time
	{"institute-for", "Institute for "},                    // a connector read the whole name again
	{"council-on", "Council on "},
	{"titles", "Prince "},
	{"mixed", "Mr. John Smith, President of the Bank of England, met Lady Jane Doe on 3 May 2024 in Paris. "},
}

// repeatTo repeats unit up to n bytes (whole units only).
func repeatTo(unit string, n int) string { return strings.Repeat(unit, max(1, n/len(unit))) }

// TestPathologicalUnchanged holds the entities found in the pathological documents (12 KB each)
// to those the analyser found before their quadratic steps were made linear: the SHA-256 of
// their JSON, taken with the earlier code. A change of the model or the rules changes them too
// (update the sums then, having looked at the output).
func TestPathologicalUnchanged(t *testing.T) {
	a := newEntities(t)
	want := map[string]string{
		"short-sentences": "6a205cea0387dc60be3cf2b2af5473b552028590947f2d1309aa811ff6ecee10",
		"capitalised":     "82be5d8377a19badc38ec06028dc2655fe028dbf7af209829e717545d3d0e770",
		"names-and-dates": "4d99655886045f2994225983b9a20d176b7fb45dcbafadcdf860cf27cb543d5e",
		"leading-the":     "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
		"institute-for":   "96244e0dcd6c82c720c8e1f6a712bb1d0e8fd1da8f047631dab0d9e9a122c4cf",
		"council-on":      "597160808da8a7b838bd8ed2db700461d4f2f7531c367bc53bc291cff26cbcd7",
		"titles":          "d2ea2fd868976231b17c5b8df338a83948050e2170be05163a1c7f0f5280faa8",
		"mixed":           "a4f3ed8b37f2d69ba8065474e4e483fea13c2cca6b6088dc4081c19e986f9963",
	}
	for _, p := range pathological {
		b, err := json.Marshal(a.Find(repeatTo(p.unit, 12_000)))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != want[p.name] {
			t.Errorf("%s: entities' SHA-256 %s, want %s", p.name, got, want[p.name])
		}
	}
}

// TestLeadingTheCostsItsSize: a name made of 25,000 "The" (100 KB) allocates a bounded amount
// per byte (about 290 B); it built a lookup key of the rest of the name for each "The" stripped
// (16 GB allocated, minutes of CPU).
func TestLeadingTheCostsItsSize(t *testing.T) {
	a := newEntities(t)
	doc := repeatTo("The ", 100_000)
	a.Find(doc[:400]) // pools and lazily built tables
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	a.Find(doc)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1000*uint64(len(doc)) {
		t.Errorf("%d bytes of %q: %d bytes allocated, want at most 1,000 per byte of the document", len(doc), "The ", alloc)
	}
}

// BenchmarkPathological prints the time per document of each pathological document at 12.5,
// 25, 50 and 100 KB (the analyser's default limit): each doubling should about double it.
func BenchmarkPathological(b *testing.B) {
	a := newEntities(b)
	for _, p := range pathological {
		for _, n := range []int{12_500, 25_000, 50_000, 100_000} {
			doc := repeatTo(p.unit, n)
			b.Run(fmt.Sprintf("%s/%dKB", p.name, n/1000), func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				for i := 0; i < b.N; i++ {
					a.Find(doc)
				}
			})
		}
	}
}
