// Package hashlr trains the hashed logistic regressions of the SENTIMENT analyser (the
// polarity model, internal/trainsentiment, and the opinion model, internal/trainopinion):
// averaged SGD over hashed features with naive-Bayes scaling, int8 quantisation, and the
// "RSM1" file that shared/analysis/sentiment parses (model.go). Both commands are
// deterministic; so is everything here (single-threaded, seeded shuffles).
package hashlr

import (
	"encoding/binary"
	"log"
	"math"
	"math/rand/v2"
	"slices"
)

// Doc is one training document: its feature buckets (with repetitions, or distinct), the
// normaliser n (features valued 1/sqrt(n) each) and its label y (1 or 0).
type Doc struct {
	Feats []uint32
	N     int
	Y     float64
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// rv is bucket f's naive-Bayes scale, 1 without ratios.
func rv(r []float64, f uint32) float64 {
	if r == nil {
		return 1
	}
	return r[f]
}

// Train is averaged SGD on the logistic loss with L2, features valued 1/sqrt(n) per
// occurrence and scaled by the naive-Bayes ratios r when given (NBRatios). Deterministic for
// a given seed. It returns the averaged weights (scaled by r) and bias.
func Train(docs []Doc, bits uint, epochs int, lr0, l2 float64, seed uint64, r []float64) ([]float64, float64) {
	size := 1 << bits
	w := make([]float64, size)
	u := make([]float64, size) // for averaging: avg = w - u/c
	var b, ub float64
	c := 1.0
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	t := 0.0
	for ep := 0; ep < epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		loss := 0.0
		for _, k := range order {
			d := docs[k]
			if d.N == 0 {
				continue
			}
			x := 1 / math.Sqrt(float64(d.N))
			z := b
			for _, f := range d.Feats {
				z += w[f] * x * rv(r, f)
			}
			p := sigmoid(z)
			loss -= d.Y*math.Log(p+1e-12) + (1-d.Y)*math.Log(1-p+1e-12)
			lr := lr0 / (1 + t*1e-5)
			g := (d.Y - p) * lr
			for _, f := range d.Feats {
				delta := g*x*rv(r, f) - lr*l2*w[f]
				w[f] += delta
				u[f] += c * delta
			}
			b += g
			ub += c * g
			c++
			t++
		}
		log.Printf("epoch %d: mean loss %.4f", ep+1, loss/float64(len(docs)))
	}
	avg := make([]float64, size)
	for i := range w {
		avg[i] = (w[i] - u[i]/c) * rv(r, uint32(i))
	}
	return avg, b - ub/c
}

// Quantise maps weights to int8 with a symmetric scale that clips the largest 0.01 % of
// magnitudes; it returns them, the scale and the bias b.
func Quantise(w []float64, b float64) ([]int8, float64, float64) {
	mags := make([]float64, 0, len(w))
	for _, x := range w {
		if x != 0 {
			mags = append(mags, math.Abs(x))
		}
	}
	slices.Sort(mags)
	clip := mags[len(mags)-1-len(mags)/10000]
	scale := clip / 127
	q := make([]int8, len(w))
	for i, x := range w {
		q[i] = int8(max(-127, min(127, math.Round(x/scale))))
	}
	return q, scale, b
}

// LogitQ is the analyser's logit of d under quantised weights: b + scale·Σ q[bucket]/sqrt(n).
func LogitQ(d Doc, q []int8, scale, b float64) float64 {
	if d.N == 0 {
		return b
	}
	var s int64
	for _, f := range d.Feats {
		s += int64(q[f])
	}
	return b + scale*float64(s)/math.Sqrt(float64(d.N))
}

// NBRatios is the naive-Bayes log-count ratio of every bucket over the documents (presence
// counts, smoothing alpha), as in Wang and Manning's NBSVM.
func NBRatios(docs []Doc, bits uint, alpha float64) []float64 {
	size := 1 << bits
	pos := make([]float64, size)
	neg := make([]float64, size)
	seen := make([]int, size)
	for i := range seen {
		seen[i] = -1
	}
	for k, d := range docs {
		for _, f := range d.Feats {
			if seen[f] == k {
				continue
			}
			seen[f] = k
			if d.Y == 1 {
				pos[f]++
			} else {
				neg[f]++
			}
		}
	}
	var sp, sn float64
	for i := range pos {
		sp += pos[i] + alpha
		sn += neg[i] + alpha
	}
	r := make([]float64, size)
	for i := range r {
		r[i] = math.Log((pos[i]+alpha)/sp) - math.Log((neg[i]+alpha)/sn)
	}
	return r
}

// Encode is the model file shared/analysis/sentiment parses: a 16-byte header ("RSM1", the
// hash bits at byte 4, the scale and the bias as little-endian float32 at bytes 8 and 12),
// then one int8 weight per bucket.
func Encode(bits uint, q []int8, scale, b float64) []byte {
	buf := make([]byte, 16, 16+len(q))
	copy(buf, "RSM1")
	buf[4] = byte(bits)
	binary.LittleEndian.PutUint32(buf[8:], math.Float32bits(float32(scale)))
	binary.LittleEndian.PutUint32(buf[12:], math.Float32bits(float32(b)))
	for _, x := range q {
		buf = append(buf, byte(x))
	}
	return buf
}
