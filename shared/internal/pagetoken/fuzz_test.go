package pagetoken

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

// token has the shapes of the listings' tokens: numbers, strings (ids, filters) and flags.
type token struct {
	Shard  int    `json:"s"`
	Skip   int64  `json:"k"`
	ID     string `json:"i"`
	Filter string `json:"f,omitempty"`
	U      bool   `json:"u,omitempty"`
}

// FuzzPageToken checks Decode(Encode(x)) == x for tokens whose strings are UTF-8 (every token a
// listing writes: ids, tenants, filter keys), that a token travels in a query string unescaped,
// and that Decode of any string either fails or gives a token that round-trips itself.
func FuzzPageToken(f *testing.F) {
	f.Add(3, int64(17), "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "EMPTY_DOCUMENT/SENTIMENT", true, "eyJzIjozLCJrIjoxN30")
	f.Add(0, int64(0), "", "", false, "bnVsbA")
	f.Add(-1, int64(-1<<63), "a\"b\\c\u2028", `"x"/FAILED/0/0/oldest`, false, "e30")
	f.Add(1<<31, int64(1)<<62, "é", "/", true, "garbage!")
	f.Add(0, int64(0), "", "", false, "eyJzIjoxZTMwMH0")
	f.Fuzz(func(t *testing.T, shard int, skip int64, id, filter string, u bool, raw string) {
		in := token{Shard: shard, Skip: skip, ID: id, Filter: filter, U: u}
		s := Encode(in)
		if s == "" || strings.ContainsAny(s, "+/=%&?# ") {
			t.Fatalf("token %q of %+v does not travel in a query string unescaped", s, in)
		}
		var out token
		if err := Decode(s, &out); err != nil {
			t.Fatalf("Decode(Encode(%+v)) = %v", in, err)
		}
		if utf8.ValidString(id) && utf8.ValidString(filter) && out != in {
			t.Fatalf("Decode(Encode(%+v)) = %+v", in, out)
		}
		// Any string: refused, or a token whose own encoding reads back the same.
		var got token
		if err := Decode(raw, &got); err != nil {
			return
		}
		if _, err := base64.RawURLEncoding.DecodeString(raw); err != nil {
			t.Fatalf("Decode accepted %q, which is not unpadded base64url", raw)
		}
		var again token
		if err := Decode(Encode(got), &again); err != nil || again != got {
			t.Fatalf("token %q read as %+v, which reads back as %+v (%v)", raw, got, again, err)
		}
	})
}
