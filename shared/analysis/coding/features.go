package coding

import (
	"math"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// # Features
//
// The title (occp_text) gives these features, each hashed into one of 2^Bits buckets:
//
//   - W: each token;
//   - B: each pair of adjacent tokens;
//   - P: each unordered pair of tokens (any distance, first maxPairTokens tokens), so that
//     "director marketing" and "marketing director" share a feature;
//   - E: the first and the last token, marked as such (a title's head word is usually at
//     one end);
//   - F: the pair (first token, last token), when the title has two tokens or more
//     ("cutter ... mfr", "manager ... retail");
//   - H: for each token that is a noun of the lexicon (lexicon.go), its WordNet sense, the
//     sense's hypernyms and its lexicographer file ("clarinettist": musician, performer,
//     person, noun.person), so that unseen words share features with seen words of their kind;
//   - C: the character n-grams (CharMin..CharMax bytes) of each token with a boundary mark
//     at both ends ("^nurse$": "^nu", "nur", ..., "^nurs", ...), which match spelling
//     variants and unseen compounds.
//
// Each group g gets the value GroupWeight_g / sqrt(number of features in g), so each group's
// part of the vector has a fixed norm whatever the title's length.
//
// A title with a hyphen between letters or digits is read twice (normalize.go): split into
// the compound's parts, whose joined form ("coordinator" for "co-ordinator") is added to
// the parts' W, H and C features, and with the compound joined as one token. Its vector is
// Hyphen times the first reading's groups plus 1 - Hyphen times the second's (0.7 and 0.3 in
// the shipped model), so "bus-driver" is read mostly as "bus driver" and "fork-lift" still
// matches "forklift"; the scores are the same mix of the two readings' scores. The tasks
// text is read joined.
//
// The tasks text (tasks_text), when not empty, adds its own token (TW) and adjacent-pair (TB)
// features, learnt only from examples that have a tasks text, and its tokens again as title
// W features; the tasks part is scaled to norm TasksWeight, so a long tasks text cannot
// drown the title. A model trained on titles only (the shipped one) has no TW/TB weights, and
// only the shared W features of the tasks text count, at TasksWeight.

const maxPairTokens = 8

// hash salts of the feature groups
const (
	saltWord      = 0x9e3779b97f4a7c15
	saltBigram    = 0xc2b2ae3d27d4eb4f
	saltPair      = 0x165667b19e3779f9
	saltFirst     = 0x27d4eb2f165667c5
	saltLast      = 0x85ebca77c2b2ae63
	saltChar      = 0xff51afd7ed558ccd
	saltFirstLast = 0x2545f4914f6cdd1d
	saltHyper     = 0xd6e8feb86659fd93
	saltTaskWord  = 0xc4ceb9fe1a85ec53
	saltTaskPair  = 0x94d049bb133111eb
	charBoundary  = '^'
	charBoundaryR = '$'
)

// FeatureConfig defines the features; it is stored in the model file.
type FeatureConfig struct {
	Bits    uint8   `json:"bits"`     // 2^Bits hash buckets
	CharMin uint8   `json:"char_min"` // character n-gram lengths (CharMax 0: none)
	CharMax uint8   `json:"char_max"`
	Word    float32 `json:"word"` // group weights (0 disables a group)
	Bigram  float32 `json:"bigram"`
	Pair    float32 `json:"pair"`
	Edge    float32 `json:"edge"`
	Char    float32 `json:"char"`
	Tasks   float32 `json:"tasks"` // norm of the tasks part (the title's groups have norm ~2.1)
	// FirstLast weights the pair (first token, last token) of a title of two tokens or more.
	FirstLast float32 `json:"first_last,omitempty"`
	// Hyper weights the noun-lexicon features of the title's tokens (lexicon.go).
	Hyper float32 `json:"hyper,omitempty"`
	// Hyphen, in (0, 1], weights the split reading of a title with a hyphenated compound
	// against its joined reading (1 - Hyphen; see normalize.go); 0, the value of the model
	// files written before it, reads hyphens as joining only.
	Hyphen float32 `json:"hyphen,omitempty"`
}

// DefaultFeatures is the feature configuration of the shipped model.
var DefaultFeatures = FeatureConfig{Bits: 18, CharMin: 3, CharMax: 4, Word: 1, Bigram: 0.6, Pair: 0.4, Edge: 0.5, Char: 1, Tasks: 0.5,
	FirstLast: 0.5, Hyper: 1.2, Hyphen: 0.7}

type feat struct {
	idx uint32
	val float32
}

// featurizer turns texts into feature vectors; it holds reusable buffers and is not safe for
// concurrent use (Model keeps a pool of them).
type featurizer struct {
	cfg   FeatureConfig
	shift uint
	toks  tokens
	hs    []uint64 // token hashes
	out   []feat
	lex   map[string][]uint64 // nounLexicon when cfg.Hyper > 0
}

func newFeaturizer(cfg FeatureConfig) *featurizer {
	f := &featurizer{cfg: cfg, shift: 64 - uint(cfg.Bits),
		toks: tokens{buf: make([]byte, 0, 256), spans: make([]span, 0, 32)},
		hs:   make([]uint64, 0, 32), out: make([]feat, 0, 256)}
	if cfg.Hyper > 0 {
		f.lex = nounLexicon()
	}
	return f
}

func fnvBytes(b []byte) uint64 { return hashx.FNVBytes(hashx.FNVOffset64, b) }

func (f *featurizer) add(h uint64) {
	f.out = append(f.out, feat{idx: uint32(h >> f.shift)})
}

// setVal gives the features out[from:] the value w/sqrt(count) and returns len(out).
func (f *featurizer) setVal(from int, w float32) int {
	n := len(f.out) - from
	if n > 0 {
		v := w / float32(math.Sqrt(float64(n)))
		for i := from; i < len(f.out); i++ {
			f.out[i].val = v
		}
	}
	return len(f.out)
}

// features returns the feature vector of a record (reused by the next call). It is empty
// when neither text has a token.
func (f *featurizer) features(occp, tasks string) []feat {
	f.out = f.out[:0]
	h := f.cfg.Hyphen
	f.toks.split = h > 0
	mark := f.title(occp, 0)
	if f.toks.split && f.toks.hyphens > 0 {
		// a title with a hyphenated compound: the split reading (parts and joined forms)
		// at weight Hyphen, the joined reading at 1 - Hyphen
		for i := range f.out {
			f.out[i].val *= h
		}
		from := mark
		f.toks.split = false
		mark = f.title(occp, mark)
		for i := from; i < len(f.out); i++ {
			f.out[i].val *= 1 - h
		}
	}
	f.toks.split = false
	return f.tasks(tasks, mark)
}

// title appends the title's feature groups (from mark) in the current reading of its
// hyphens (f.toks.split) and returns the new mark.
func (f *featurizer) title(occp string, mark int) int {
	c := &f.cfg
	f.toks.reset()
	f.toks.tokenize(occp)
	n := f.toks.n()
	f.hs = f.hs[:0]
	for i := range n {
		f.hs = append(f.hs, fnvBytes(f.toks.tok(i)))
	}
	if n > 0 {
		if c.Word > 0 {
			for _, h := range f.hs {
				f.add(hashx.Mix64(h ^ saltWord))
			}
			for _, sp := range f.toks.joined {
				f.add(hashx.Mix64(fnvBytes(f.toks.buf[sp.start:sp.end]) ^ saltWord))
			}
			mark = f.setVal(mark, c.Word)
		}
		if c.Bigram > 0 && n > 1 {
			for i := 1; i < n; i++ {
				f.add(hashx.Mix64(hashx.Mix64(f.hs[i-1]^saltBigram) + f.hs[i]))
			}
			mark = f.setVal(mark, c.Bigram)
		}
		if c.Pair > 0 && n > 2 {
			m := min(n, maxPairTokens)
			for i := range m {
				for j := i + 1; j < m; j++ {
					a, b := f.hs[i], f.hs[j]
					if a > b {
						a, b = b, a
					}
					if a != b {
						f.add(hashx.Mix64(hashx.Mix64(a^saltPair) + b))
					}
				}
			}
			mark = f.setVal(mark, c.Pair)
		}
		if c.Edge > 0 {
			f.add(hashx.Mix64(f.hs[0] ^ saltFirst))
			f.add(hashx.Mix64(f.hs[n-1] ^ saltLast))
			mark = f.setVal(mark, c.Edge)
		}
		if c.FirstLast > 0 && n > 1 {
			f.add(hashx.Mix64(hashx.Mix64(f.hs[0]^saltFirstLast) + f.hs[n-1]))
			mark = f.setVal(mark, c.FirstLast)
		}
		if c.Hyper > 0 {
			for i := range n {
				for _, h := range f.lex[string(f.toks.tok(i))] {
					f.add(hashx.Mix64(h ^ saltHyper))
				}
			}
			for _, sp := range f.toks.joined {
				for _, h := range f.lex[string(f.toks.buf[sp.start:sp.end])] {
					f.add(hashx.Mix64(h ^ saltHyper))
				}
			}
			mark = f.setVal(mark, c.Hyper)
		}
		if c.Char > 0 && c.CharMax >= c.CharMin && c.CharMin > 0 {
			lo, hi := int(c.CharMin), int(c.CharMax)
			for i := range n + len(f.toks.joined) {
				var w []byte
				if i < n {
					w = f.toks.tok(i)
				} else {
					sp := f.toks.joined[i-n]
					w = f.toks.buf[sp.start:sp.end]
				}
				L := len(w) + 2
				for s := 0; s < L; s++ {
					h := uint64(hashx.FNVOffset64)
					for e := s; e < L && e-s < hi; e++ {
						var ch byte
						switch e {
						case 0:
							ch = charBoundary
						case L - 1:
							ch = charBoundaryR
						default:
							ch = w[e-1]
						}
						h ^= uint64(ch)
						h *= hashx.FNVPrime64
						if e-s+1 >= lo {
							f.add(hashx.Mix64(h ^ saltChar))
						}
					}
				}
			}
			mark = f.setVal(mark, c.Char)
		}
	}
	return mark
}

// tasks appends the tasks text's features (from mark) and returns the feature vector.
func (f *featurizer) tasks(tasks string, mark int) []feat {
	c := &f.cfg
	if tasks == "" || c.Tasks <= 0 {
		return f.out
	}
	f.toks.reset()
	f.toks.tokenize(tasks)
	n := f.toks.n()
	if n == 0 {
		return f.out
	}
	f.hs = f.hs[:0]
	for i := range n {
		f.hs = append(f.hs, fnvBytes(f.toks.tok(i)))
	}
	// three groups of equal weight with a total norm of Tasks
	w := c.Tasks / float32(math.Sqrt(3))
	for _, h := range f.hs {
		f.add(hashx.Mix64(h ^ saltWord))
	}
	mark = f.setVal(mark, w)
	for _, h := range f.hs {
		f.add(hashx.Mix64(h ^ saltTaskWord))
	}
	mark = f.setVal(mark, w)
	for i := 1; i < n; i++ {
		f.add(hashx.Mix64(hashx.Mix64(f.hs[i-1]^saltTaskPair) + f.hs[i]))
	}
	f.setVal(mark, w)
	return f.out
}
