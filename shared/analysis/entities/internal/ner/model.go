package ner

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// Model is a trained tagger: quantised weights and the gazetteer.
//
// Weights are int16 (weight = int16 · Scale, Scale = largest |weight| / 32767); the averaged
// weights span 0.05 to a few hundred, so the error is below 0.02 everywhere. Most of the table
// is zero (only features that took part in a training mistake have weights), which gzip
// removes from the file.
//
// File format (gzip-compressed; inside, little-endian): "RNER3", bits (uint8), NumTags
// (uint8), 2 reserved bytes, scale (float32), temperature (float32: tag probabilities are
// softmax(score / temperature) over the allowed tags), number of gazetteer entries (uint32),
// the entries sorted by hash (uint64 hash, uint16 flags), then 2^bits · NumTags int16 weights
// (bucket-major).
type Model struct {
	Bits        uint
	Scale       float32
	Temperature float32
	Gaz         Gazetteer
	W           []int16
}

const magic = "RNER3"

// MarshalBinary encodes the model (deterministically: same model, same bytes).
func (m *Model) MarshalBinary() ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteString(magic)
	raw.Write([]byte{byte(m.Bits), NumTags, 0, 0})
	var b4 [4]byte
	binary.LittleEndian.PutUint32(b4[:], math.Float32bits(m.Scale))
	raw.Write(b4[:])
	binary.LittleEndian.PutUint32(b4[:], math.Float32bits(m.Temperature))
	raw.Write(b4[:])
	keys := make([]uint64, 0, len(m.Gaz))
	for k := range m.Gaz {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	binary.LittleEndian.PutUint32(b4[:], uint32(len(keys)))
	raw.Write(b4[:])
	var b10 [10]byte
	for _, k := range keys {
		binary.LittleEndian.PutUint64(b10[:], k)
		binary.LittleEndian.PutUint16(b10[8:], m.Gaz[k])
		raw.Write(b10[:])
	}
	var b2 [2]byte
	for _, w := range m.W {
		binary.LittleEndian.PutUint16(b2[:], uint16(w))
		raw.Write(b2[:])
	}
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Parse decodes a model file.
func Parse(b []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("ner model: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("ner model: %w", err)
	}
	const head = 5 + 4 + 4 + 4 + 4
	if len(raw) < head || string(raw[:5]) != magic {
		return nil, errors.New("ner model: bad magic")
	}
	bits := uint(raw[5])
	if bits < 10 || bits > 24 || raw[6] != NumTags {
		return nil, fmt.Errorf("ner model: bits %d, tags %d unsupported", bits, raw[6])
	}
	m := &Model{Bits: bits,
		Scale:       math.Float32frombits(binary.LittleEndian.Uint32(raw[9:])),
		Temperature: math.Float32frombits(binary.LittleEndian.Uint32(raw[13:])),
	}
	if !(m.Temperature > 0) || !(m.Scale > 0) {
		return nil, errors.New("ner model: bad scale or temperature")
	}
	ng := int(binary.LittleEndian.Uint32(raw[head-4:]))
	p := head
	if len(raw) != p+10*ng+2*(1<<bits)*NumTags {
		return nil, fmt.Errorf("ner model: %d bytes, want %d", len(raw), p+10*ng+2*(1<<bits)*NumTags)
	}
	m.Gaz = make(Gazetteer, ng)
	for k := 0; k < ng; k++ {
		m.Gaz[binary.LittleEndian.Uint64(raw[p:])] = binary.LittleEndian.Uint16(raw[p+8:])
		p += 10
	}
	m.W = make([]int16, (1<<bits)*NumTags)
	for i := range m.W {
		m.W[i] = int16(binary.LittleEndian.Uint16(raw[p+2*i:]))
	}
	return m, nil
}

// Tagger tags sentences with a model. It reuses its buffers; it is not safe for concurrent
// use (keep one per goroutine, e.g. in a sync.Pool).
type Tagger struct {
	m *Model
	f Featurizer
}

// NewTagger returns a tagger for m.
func (m *Model) NewTagger() *Tagger { return &Tagger{m: m} }

// Tag writes the tag of each word of one sentence into tags and the probability of that tag
// (softmax of the scores over the allowed tags, divided by the model's temperature) into
// probs; both must have len(words) elements. The probability of an O tag is not computed
// (written as 1): only entities carry scores.
func (t *Tagger) Tag(words []string, tags []uint8, probs []float32) {
	m := t.m
	mask := uint64(1)<<m.Bits - 1
	t.f.Extract(words, m.Gaz, m.Bits)
	p2, p1 := uint8(startTag), uint8(startTag)
	var dyn [4]uint32
	invT := float64(m.Scale) / float64(m.Temperature)
	for i := range words {
		if t.f.skip(i, p1) {
			tags[i], probs[i] = TagO, 1
			p2, p1 = p1, TagO
			continue
		}
		sc, prev, best := t.step(i, p2, p1, mask, &dyn)
		tags[i] = best
		probs[i] = 1
		if best != TagO {
			var z float64
			for k := uint8(0); k < NumTags; k++ {
				if Allowed(prev, k) {
					z += math.Exp(float64(sc[k]-sc[best]) * invT)
				}
			}
			probs[i] = float32(1 / z)
		}
		p2, p1 = p1, best
	}
}

// step scores word i of the extracted sentence given the two previous tags (startTag before the
// sentence) and returns the scores, the previous tag as the BIO constraint sees it, and the
// best tag that constraint allows. Tagging and the temperature calibration both use it.
func (t *Tagger) step(i int, p2, p1 uint8, mask uint64, dyn *[4]uint32) (sc [NumTags]int32, prev, best uint8) {
	m := t.m
	sc = m.scores(t.f.Feats[t.f.Offs[i]:t.f.Offs[i+1]])
	t.f.dynamic(i, p2, p1, mask, dyn)
	m.addScores(&sc, dyn[:])
	prev = p1
	if prev == startTag {
		prev = TagO
	}
	best = TagO
	for k := uint8(1); k < NumTags; k++ {
		if Allowed(prev, k) && sc[k] > sc[best] {
			best = k
		}
	}
	return sc, prev, best
}

// scores sums the weights of the features.
func (m *Model) scores(feats []uint32) [NumTags]int32 {
	var sc [NumTags]int32
	m.addScores(&sc, feats)
	return sc
}

func (m *Model) addScores(sc *[NumTags]int32, feats []uint32) {
	for _, b := range feats {
		w := m.W[int(b)*NumTags : int(b)*NumTags+NumTags : int(b)*NumTags+NumTags]
		sc[0] += int32(w[0])
		sc[1] += int32(w[1])
		sc[2] += int32(w[2])
		sc[3] += int32(w[3])
		sc[4] += int32(w[4])
		sc[5] += int32(w[5])
		sc[6] += int32(w[6])
		sc[7] += int32(w[7])
		sc[8] += int32(w[8])
	}
}
