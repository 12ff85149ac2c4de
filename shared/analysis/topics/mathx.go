package topics

import (
	"math"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// Floating point in this package is written so that every stage gives the same bits on every
// GOARCH: products that are accumulated are wrapped in an explicit float64 conversion, which
// the Go specification says forbids fusing them into an FMA (arm64, and amd64 built with
// GOAMD64=v3, would otherwise fuse x*y+z), and the one transcendental function needed, the
// natural logarithm, is computed by plog below rather than math.Log (which is assembly on
// amd64 and Go elsewhere, and may differ in the last bit). math.Sqrt is correctly rounded
// everywhere.

// plog is the natural logarithm, the algorithm of Go's pure-Go math.log (from FreeBSD's
// e_log.c, the same licence as Go), with every product rounded explicitly.
func plog(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01 /* 3fe62e42 fee00000 */
		ln2Lo = 1.90821492927058770002e-10 /* 3dea39ef 35793c76 */
		l1    = 6.666666666666735130e-01   /* 3FE55555 55555593 */
		l2    = 3.999999999940941908e-01   /* 3FD99999 9997FA04 */
		l3    = 2.857142874366239149e-01   /* 3FD24924 94229359 */
		l4    = 2.222219843214978396e-01   /* 3FCC71C5 1D8E78AF */
		l5    = 1.818357216161805012e-01   /* 3FC74664 96CB03DE */
		l6    = 1.531383769920937332e-01   /* 3FC39A09 D078C69F */
		l7    = 1.479819860511658591e-01   /* 3FC2F112 DF3E5244 */
	)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}
	f1, ki := math.Frexp(x)
	if f1 < math.Sqrt2/2 {
		f1 *= 2
		ki--
	}
	f := f1 - 1
	k := float64(ki)
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * float64(l1+float64(s4*float64(l3+float64(s4*float64(l5+float64(s4*l7)))))))
	t2 := float64(s4 * float64(l2+float64(s4*float64(l4+float64(s4*l6)))))
	r := t1 + t2
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*ln2Lo))) - f)
}

// pexp is e**x, the algorithm of Go's pure-Go math.exp (from FreeBSD's e_exp.c), with every
// product rounded explicitly.
func pexp(x float64) float64 {
	const (
		ln2Hi     = 6.93147180369123816490e-01
		ln2Lo     = 1.90821492927058770002e-10
		log2e     = 1.44269504088896338700e+00
		overflow  = 7.09782712893383973096e+02
		underflow = -7.45133219101941108420e+02
		nearZero  = 1.0 / (1 << 28)
		p1        = 1.66666666666666657415e-01  /* 0x3FC55555; 0x55555555 */
		p2        = -2.77777777770155933842e-03 /* 0xBF66C16C; 0x16BEBD93 */
		p3        = 6.61375632143793436117e-05  /* 0x3F11566A; 0xAF25DE2C */
		p4        = -1.65339022054652515390e-06 /* 0xBEBBBD41; 0xC5D26BF1 */
		p5        = 4.13813679705723846039e-08  /* 0x3E663769; 0x72BEA4D0 */
	)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case math.IsInf(x, -1):
		return 0
	case x > overflow:
		return math.Inf(1)
	case x < underflow:
		return 0
	case -nearZero < x && x < nearZero:
		return 1 + x
	}
	var k int
	switch {
	case x < 0:
		k = int(float64(log2e*x) - 0.5)
	case x > 0:
		k = int(float64(log2e*x) + 0.5)
	}
	hi := x - float64(float64(k)*ln2Hi)
	lo := float64(float64(k) * ln2Lo)
	r := hi - lo
	t := float64(r * r)
	c := r - float64(t*float64(p1+float64(t*float64(p2+float64(t*float64(p3+float64(t*float64(p4+float64(t*p5)))))))))
	y := 1 - ((lo - float64(r*c)/(2-c)) - hi)
	return math.Ldexp(y, k)
}

// splitmix64 is a small, fully specified pseudo-random generator (Steele, Lea and Flood's
// SplitMix64), so that the seeded steps do not depend on a library's generator.
type splitmix64 struct{ s uint64 }

func (r *splitmix64) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return hashx.Mix64(r.s)
}

// float64 returns a uniform value in [0, 1).
func (r *splitmix64) float64() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// fnv64 is FNV-1a over s.
func fnv64(s string) uint64 { return hashx.FNV(s) }

// docKey is the sampling key of a document: a hash of the seed and the document's ID.
func docKey(seed int64, id string) uint64 {
	return hashx.Mix64(fnv64(id) ^ hashx.Mix64(uint64(seed)^0x5ca1ab1e0ddba11))
}

// dot returns the sum of a[i]*b[i], in index order, unfused.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for i, x := range a {
		s += float64(x * b[i])
	}
	return s
}

// axpy adds a*x to y, unfused.
func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float64(a * v)
	}
}
