package topics

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"
)

// NMI is the normalised mutual information between a labelling and a clustering of the same
// items (arithmetic-mean normalisation, as scikit-learn's normalized_mutual_info_score):
// I(L;C) / ((H(L)+H(C))/2), in [0,1]. Items with cluster < 0 (no topic) form one more
// cluster of their own. It is 1 when both have a single class.
func NMI(labels []string, clusters []int) float64 {
	n := float64(len(labels))
	if n == 0 {
		return 0
	}
	joint, lc, cc := counts(labels, clusters)
	var hl, hc, mi float64
	// summed in sorted key order, so the result is the same on every run
	for _, l := range slices.Sorted(maps.Keys(lc)) {
		p := float64(lc[l]) / n
		hl -= p * math.Log(p)
	}
	for _, c := range slices.Sorted(maps.Keys(cc)) {
		p := float64(cc[c]) / n
		hc -= p * math.Log(p)
	}
	keys := slices.SortedFunc(maps.Keys(joint), func(a, b lcKey) int {
		if c := strings.Compare(a.l, b.l); c != 0 {
			return c
		}
		return cmp.Compare(a.c, b.c)
	})
	for _, k := range keys {
		p := float64(joint[k]) / n
		mi += p * math.Log(p/(float64(lc[k.l])/n*float64(cc[k.c])/n))
	}
	if hl == 0 && hc == 0 {
		return 1
	}
	if hl+hc == 0 {
		return 0
	}
	return math.Max(0, mi/((hl+hc)/2))
}

// Purity is the share of items whose cluster's most common label is their own.
func Purity(labels []string, clusters []int) float64 {
	if len(labels) == 0 {
		return 0
	}
	joint, _, _ := counts(labels, clusters)
	best := map[int]int{}
	for k, c := range joint {
		best[k.c] = max(best[k.c], c)
	}
	s := 0
	for _, c := range best {
		s += c
	}
	return float64(s) / float64(len(labels))
}

type lcKey struct {
	l string
	c int
}

func counts(labels []string, clusters []int) (map[lcKey]int, map[string]int, map[int]int) {
	joint := map[lcKey]int{}
	lc := map[string]int{}
	cc := map[int]int{}
	for i, l := range labels {
		c := clusters[i]
		if c < 0 {
			c = -1
		}
		joint[lcKey{l, c}]++
		lc[l]++
		cc[c]++
	}
	return joint, lc, cc
}
