package handlers

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/input"
)

// chunked reads its bytes in the sizes it is given, in turn.
type chunked struct {
	b     []byte
	sizes []int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.b), c.sizes[0])
	c.sizes = append(c.sizes[1:], c.sizes[0])
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// TestUTF8WatchAcrossReads: utf8Watch finds the first byte that is not UTF-8 at the offset
// input.InvalidUTF8At does, counted from the first byte that is not white space, however the
// reads cut the characters.
func TestUTF8WatchAcrossReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := [][]byte{[]byte("a"), []byte("é"), []byte("€"), []byte("😀"), {0xff}, {0xe2, 0x82}, {0xc3}, {0xf0, 0x9f, 0x98}, {0xed, 0xa0, 0x80}, []byte(" ")}
	for range 5000 {
		var body []byte
		lead := rng.IntN(3)
		body = append(body, bytes.Repeat([]byte(" "), lead)...)
		for range rng.IntN(12) {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(3) > 0 {
				p = pieces[rng.IntN(4)] // mostly valid
			}
			body = append(body, p...)
		}
		lead = len(body) - len(bytes.TrimLeft(body, " "))
		want := input.InvalidUTF8At(body[lead:])
		var sizes []int
		for range 1 + rng.IntN(4) {
			sizes = append(sizes, 1+rng.IntN(4))
		}
		w := &utf8Watch{r: &chunked{b: body, sizes: sizes}, bad: -1}
		_, _ = io.Copy(io.Discard, w)
		got := w.bad
		if got >= 0 {
			got -= w.lead
		}
		// InvalidUTF8At reports a character cut by the end of the body; the watch, which may
		// be read further, does not (it is left pending).
		if want >= 0 && got < 0 && utf8.FullRune(body[lead+want:]) {
			t.Fatalf("%q in reads of %v: watch found nothing, want byte %d", body, sizes, want)
		}
		if got >= 0 && got != want {
			t.Fatalf("%q in reads of %v: watch found byte %d, want %d", body, sizes, got, want)
		}
	}
}
