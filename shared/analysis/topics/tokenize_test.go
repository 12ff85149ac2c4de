package topics

import (
	"bufio"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestStemReference(t *testing.T) {
	f, err := os.Open("testdata/porter2-sample.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		word, want, _ := strings.Cut(line, "\t")
		if got := string(stem([]byte(word))); got != want {
			t.Errorf("stem(%q) = %q, want %q", word, got, want)
		}
		n++
	}
	if n < 500 {
		t.Fatalf("only %d reference words", n)
	}
}

func TestStemLeavesNonASCII(t *testing.T) {
	for _, w := range []string{"café", "naïve", "straße", "été"} {
		if got := string(stem([]byte(w))); got != w {
			t.Errorf("stem(%q) = %q", w, got)
		}
	}
}

func TestTokens(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"The players are playing games, and the GAME was fun!", []string{"player", "play", "game", "game", "fun"}},
		{"mp3 x264 2024 ab abc", []string{"abc"}},
		{"Users' files: the user's file-manager", []string{"user", "file", "user", "file", "manag"}},
		{"Don't stop; it's ÉCOLE Ärger ﬁle", []string{"stop", "école", "ärger", "ﬁle"}},
		// NFD (combining accents) gives the same terms as the precomposed letters
		{"Don't stop; it's E\u0301COLE A\u0308rger ﬁle", []string{"stop", "école", "ärger", "ﬁle"}},
		{"caf\u00e9 cafe\u0301 re\u0301sume\u0301", []string{"café", "café", "résumé"}},
		{"Visit https://www.example.com for more", []string{"visit", "exampl"}},
		{"This package allows using supported features easily", []string{"packag", "easili"}},
		{strings.Repeat("a", 40) + " word", []string{"word"}},
		{"", nil},
	}
	for _, c := range cases {
		got := Tokens(c.text, nil)
		if !slices.Equal(got, c.want) {
			t.Errorf("Tokens(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestTokensAllocations(t *testing.T) {
	text := "playing music with the sound server and the mixer for recording"
	dst := make([]string, 0, 32)
	allocs := testing.AllocsPerRun(100, func() { dst = Tokens(text, dst[:0]) })
	// "playing" → "play" and "recording" → "record" are prefixes of the text: no
	// allocation; nothing here rewrites a suffix.
	if allocs > 0 {
		t.Errorf("%v allocations per call, want 0 (tokens %q)", allocs, dst)
	}
}

func TestIsStopWord(t *testing.T) {
	for _, w := range []string{"the", "however", "using", "supports", "https"} {
		if !IsStopWord(w) {
			t.Errorf("%q is not a stop word", w)
		}
	}
	for _, w := range []string{"game", "music", "server"} {
		if IsStopWord(w) {
			t.Errorf("%q is a stop word", w)
		}
	}
}

func TestPortableMath(t *testing.T) {
	ulps := func(a, b float64) uint64 {
		x, y := math.Float64bits(a), math.Float64bits(b)
		if x > y {
			return x - y
		}
		return y - x
	}
	rng := &splitmix64{s: 1}
	for i := 0; i < 100000; i++ {
		x := math.Exp(rng.float64()*80 - 40)
		if d := ulps(plog(x), math.Log(x)); d > 1 {
			t.Fatalf("plog(%v) = %v, math.Log %v (%d ulp)", x, plog(x), math.Log(x), d)
		}
		y := rng.float64()*200 - 150
		if d := ulps(pexp(y), math.Exp(y)); d > 2 {
			t.Fatalf("pexp(%v) = %v, math.Exp %v (%d ulp)", y, pexp(y), math.Exp(y), d)
		}
	}
	if plog(1) != 0 || pexp(0) != 1 || pexp(-800) != 0 || !math.IsInf(plog(0), -1) {
		t.Error("special values")
	}
}
