package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func encode(t *testing.T, v any, escapeHTML bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		"", "plain", "<script>&amp;</script>", "quote\" back\\slash", "\b\f\n\r\t\x00\x1f\x7f",
		"héllo wörld 日本語 🎉", "\u2028\u2029", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "{\"Line\":5}",
	}
	for c := 0; c < 256; c++ {
		inputs = append(inputs, "x"+string(rune(c))+string([]byte{byte(c)})+"y")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, string(b), string(rune(rng.IntN(0x110000))))
	}
	for _, s := range inputs {
		for _, html := range []bool{false, true} {
			want := strings.ReplaceAll(encode(t, s, html), "\u0085", `\u0085`) // NEL escaped too
			if got := string(AppendString([]byte("p"), s, html)); got != "p"+want {
				t.Fatalf("AppendString(%q, %v) = %s, want p%s", s, html, got, want)
			}
		}
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	inputs := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.999999e-7, 1e-7, 1e-10, 5e-324, 1e20,
		9.99999999e20, 1e21, 1e100, math.MaxFloat64, float64(math.MaxFloat32),
		float64(math.SmallestNonzeroFloat32), 1e-6 * (1 - 1e-16), 1e21 * (1 - 1e-16),
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		inputs = append(inputs, math.Float64frombits(rng.Uint64()), rng.NormFloat64()*math.Pow(10, float64(rng.IntN(60)-30)))
	}
	for _, f := range inputs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		got, err := AppendFloat([]byte("p"), f, 64)
		if want := encode(t, f, false); err != nil || string(got) != "p"+want {
			t.Fatalf("AppendFloat(%v, 64) = %s, %v; want p%s", f, got, err, want)
		}
		if f32 := float32(f); !math.IsInf(float64(f32), 0) {
			got, err := AppendFloat([]byte("p"), float64(f32), 32)
			if want := encode(t, f32, false); err != nil || string(got) != "p"+want {
				t.Fatalf("AppendFloat(%v, 32) = %s, %v; want p%s", f32, got, err, want)
			}
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		got, err := AppendFloat([]byte("p"), f, 64)
		_, jerr := json.Marshal(f)
		if err == nil || jerr == nil || err.Error() != jerr.Error() || string(got) != "p" {
			t.Errorf("AppendFloat(%v) = %q, %v; want \"p\", %v", f, got, err, jerr)
		}
	}
}

// TestEscapeNEL: encoding/json's output with U+0085 escaped is AppendString's, the same value.
func TestEscapeNEL(t *testing.T) {
	for _, s := range []string{"", "plain", "a\u0085b", "\u0085\u0085", "x\u2028\u0085"} {
		b, err := json.Marshal(map[string]string{"text": s})
		if err != nil {
			t.Fatal(err)
		}
		got := EscapeNEL(b)
		want := `{"text":` + string(AppendString(nil, s, true)) + `}`
		if string(got) != want {
			t.Errorf("EscapeNEL(%s) = %s, want %s", b, got, want)
		}
		var back map[string]string
		if err := json.Unmarshal(got, &back); err != nil || back["text"] != s {
			t.Errorf("%q: decoded %q, %v", s, back["text"], err)
		}
	}
}

// TestStringEnd: the quote that ends a JSON string, escaped quotes and escaped backslashes
// counted; -1 when none ends it.
func TestStringEnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{`"abc"`, 4}, {`"a\"b"`, 5}, {`"a\\"b"`, 4}, {`"a\\\"b"x"`, 7}, {`""`, 1}, {`"abc`, -1}, {`"a\"`, -1},
	} {
		if got := StringEnd([]byte(c.in), 1); got != c.want {
			t.Errorf("StringEnd(%s, 1) = %d, want %d", c.in, got, c.want)
		}
	}
}

// FuzzUnquote: Unquote reads every JSON string literal as encoding/json decodes it into a
// string (escapes, surrogate pairs and halves of them, invalid UTF-8 replaced).
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"a"`, `"\u00e9\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`,
		`"\uD83D\uDE00"`, `"\"\\\/\b\f\n\r\t"`, "\"bad\xff\xc3\"", `"\u0000"`, `"\ud83d\ud83d\ude00"`, `"\'"`, `"\x"`, `"a`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, quoted []byte) {
		var want string
		err := json.Unmarshal(quoted, &want)
		if err != nil || len(quoted) < 2 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
			return // not a JSON string: Unquote is not asked to read it
		}
		got, ok := Unquote(quoted)
		if !ok || got != want {
			t.Fatalf("Unquote(%q) = %q, %v; encoding/json reads %q", quoted, got, ok, want)
		}
	})
}
