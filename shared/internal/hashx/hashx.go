// Package hashx holds the hash primitives Ream's models share: 64-bit FNV-1a and splitmix64's
// finaliser. The shipped models (sentiment, NER, coding, topics, the language tables' index)
// hash their features with them, so they are the published constants and must never change:
// a different hash would silently scatter every trained weight.
package hashx

// FNV-1a's 64-bit offset basis and prime.
const (
	FNVOffset64 = 14695981039346656037
	FNVPrime64  = 1099511628211
)

// FNV is the FNV-1a hash of s.
func FNV(s string) uint64 { return FNVString(FNVOffset64, s) }

// FNVString continues FNV-1a hash h over s.
func FNVString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= FNVPrime64
	}
	return h
}

// FNVBytes continues FNV-1a hash h over b.
func FNVBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= FNVPrime64
	}
	return h
}

// Mix64 is splitmix64's finaliser: a bijection that spreads every input bit over the output.
func Mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
