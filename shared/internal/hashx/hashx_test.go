package hashx

import (
	"hash/fnv"
	"testing"
)

// TestFNVMatchesTheStandardLibrary: FNV, FNVString and FNVBytes are hash/fnv's 64-bit FNV-1a.
func TestFNVMatchesTheStandardLibrary(t *testing.T) {
	for _, s := range []string{"", "a", "the quick brown fox", "Ünïcödé", "\x00\xff"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		want := h.Sum64()
		if got := FNV(s); got != want {
			t.Errorf("FNV(%q) = %x, want %x", s, got, want)
		}
		if got := FNVBytes(FNVString(FNVOffset64, s[:len(s)/2]), []byte(s[len(s)/2:])); got != want {
			t.Errorf("FNVString+FNVBytes(%q) = %x, want %x", s, got, want)
		}
	}
}

// TestMix64 pins splitmix64's finaliser on known values (the shipped models depend on it).
func TestMix64(t *testing.T) {
	for in, want := range map[uint64]uint64{0: 0, 1: 0x5692161d100b05e5, 0x9e3779b97f4a7c15: 0xe220a8397b1dcdaf} {
		if got := Mix64(in); got != want {
			t.Errorf("Mix64(%#x) = %#x, want %#x", in, got, want)
		}
	}
}
