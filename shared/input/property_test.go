package input

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/job"
)

// referenceSplit is a deliberately naive splitter, independent of the scanner: it walks the
// bytes one by one and classifies each line with the simplest reading of the rules.
func referenceSplit(data []byte, limit int64) []tdoc {
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		data = data[3:]
	}
	var lines [][]byte
	start := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\n':
			lines = append(lines, data[start:i])
			start = i + 1
		case '\r':
			lines = append(lines, data[start:i])
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(data) {
		lines = append(lines, data[start:])
	}
	docs := make([]tdoc, 0, len(lines))
	for _, l := range lines {
		d := tdoc{Bytes: int64(len(l))}
		switch {
		case int64(len(l)) > limit:
			d.Code = job.CodeDocumentSizeExceeded
		case !utf8.Valid(l) || bytes.IndexByte(l, 0) >= 0:
			d.Code = job.CodeUnsupportedEncoding
		case strings.TrimFunc(string(l), func(r rune) bool { // white space and invisible characters
			return unicode.IsSpace(r) || strings.ContainsRune("\u200b\u200c\u200d\u2060\ufeff", r)
		}) == "":
			d.Code = job.CodeEmptyDocument
		default:
			d.Text = string(l)
		}
		docs = append(docs, d)
	}
	return docs
}

// pieces are what random inputs are made of.
var pieces = []string{
	"a", "xyz", "hello world", " ", "\t", "é", "日本", "😀", "\u2028", "\u0085",
	"\r", "\n", "\r\n", "\n\n", "\r\r", "\n\r", "\r\n\r\n", "\xff", "\x00", "\xEF\xBB\xBF",
}

func randomInput(r *rand.Rand) []byte {
	var b bytes.Buffer
	if r.IntN(8) == 0 {
		b.WriteString("\xEF\xBB\xBF")
	}
	n := r.IntN(40)
	for range n {
		p := pieces[r.IntN(len(pieces))]
		if p == "\xff" || p == "\x00" || p == "\xEF\xBB\xBF" { // keep most documents valid
			if r.IntN(4) != 0 {
				p = "b"
			}
		}
		b.WriteString(p)
	}
	switch r.IntN(4) {
	case 0:
		b.WriteString("\n")
	case 1:
		b.WriteString("\r\n")
	case 2:
		b.WriteString("\r")
	}
	return b.Bytes()
}

// readPlan reads every shard of plan and returns the concatenated documents, checking that line
// numbers restart at 0 in every shard.
func readPlan(t testing.TB, data []byte, plan []Shard, lim Limits, bufSize int, oneByte bool) []Document {
	t.Helper()
	var all []Document
	for _, sh := range plan {
		docs := readShard(t, data, job.OneDocPerLine, sh, lim, bufSize, oneByte)
		for i, d := range docs {
			if d.Line != int64(i) {
				t.Fatalf("input %q shard %+v: doc %d has Line %d", data, sh, i, d.Line)
			}
		}
		all = append(all, docs...)
	}
	return all
}

// randomCuts returns a plan with cut points chosen at random (not by PlanLines), so that cuts
// land on every kind of byte: inside CRLF, inside runes, on terminators.
func randomCuts(r *rand.Rand, size int64) []Shard {
	var cuts []int64
	for i := int64(1); i < size; i++ {
		if r.IntN(3) == 0 {
			cuts = append(cuts, i)
		}
	}
	cuts = append(append([]int64{0}, cuts...), size)
	var plan []Shard
	for i := 0; i+1 < len(cuts); i++ {
		plan = append(plan, Shard{Index: i, Start: cuts[i], End: cuts[i+1]})
	}
	return plan
}

func sameDocs(got []Document, want []tdoc) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d documents, want %d:%s\nwant %+v", len(got), len(want), dump(got), want)
	}
	for i, w := range want {
		d := got[i]
		if g := (tdoc{Text: d.Text, Code: d.ErrorCode, Bytes: d.Bytes}); g != w {
			return fmt.Errorf("doc %d = %+v, want %+v", i, g, w)
		}
	}
	return nil
}

// TestShardsPartitionDocuments is the property behind exactly-once: whatever the shard plan,
// reading every shard yields exactly the documents of the whole object, in order, and those are
// the documents of the reference splitter.
func TestShardsPartitionDocuments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	bufSizes := []int{16, 17, 64, readBufferSize}
	for iter := range 3000 {
		data := randomInput(r)
		lim := Limits{MaxDocumentBytes: []int64{0, 3, 8}[r.IntN(3)]}
		want := referenceSplit(data, lim.max())
		whole := readWhole(t, data, job.OneDocPerLine, lim)
		if err := sameDocs(whole, want); err != nil {
			t.Fatalf("iteration %d, input %q, whole: %v", iter, data, err)
		}
		size := int64(len(data))
		shardBytes := 1 + r.Int64N(size+5)
		plan := PlanLines(size, shardBytes)
		if size == 0 && plan != nil {
			t.Fatalf("empty input planned %v", plan)
		}
		bufSize, oneByte := bufSizes[r.IntN(len(bufSizes))], r.IntN(4) == 0
		got := readPlan(t, data, plan, lim, bufSize, oneByte)
		if err := sameDocs(got, want); err != nil {
			t.Fatalf("iteration %d, input %q, PlanLines(%d, %d): %v", iter, data, size, shardBytes, err)
		}
		if !slices.EqualFunc(got, whole, func(a, b Document) bool { return a.Text == b.Text && a.Bytes == b.Bytes }) {
			t.Fatalf("iteration %d, input %q: shards differ from the whole", iter, data)
		}
		cuts := randomCuts(r, size)
		if err := sameDocs(readPlan(t, data, cuts, lim, bufSize, oneByte), want); err != nil {
			t.Fatalf("iteration %d, input %q, cuts %v: %v", iter, data, cuts, err)
		}
	}
}
