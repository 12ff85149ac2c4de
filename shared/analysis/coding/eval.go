package coding

import (
	"context"
	"math"
)

// Evaluate measures the model on labelled examples (read to the end, not closed). Examples
// whose code is not a finest-level code of the model's scheme, or without text, are ignored.
func Evaluate(ctx context.Context, m *Model, ex Examples) (Metrics, error) {
	var n, top1, top3 int
	var logLoss float64
	var levelTop1, coded, right [4]int
	var idxBuf [3]int
	err := eachOf(ctx, m, ex, true, func(s *scratch, y int) {
		n++
		idx := topK(s.p, 3, idxBuf[:0])
		for r, c := range idx {
			if c == y {
				if r == 0 {
					top1++
				}
				top3++
			}
		}
		logLoss -= math.Log(max(s.p[y], 1e-300))
		if idx[0] == y {
			levelTop1[3]++
		}
		clear(s.p2)
		clear(s.p1)
		for c, v := range s.p {
			s.p2[m.sub[c]] += v
			s.p1[m.maj[c]] += v
		}
		if argmax(s.p2) == m.sub[y] {
			levelTop1[2]++
		}
		if argmax(s.p1) == m.maj[y] {
			levelTop1[1]++
		}
		lvl, code, _ := m.decide(s, idx[0])
		coded[lvl]++
		if lvl > 0 && code.Code == m.scheme.Ancestor(m.classes[y].Code, lvl) {
			right[lvl]++
		}
	})
	if err != nil {
		return Metrics{}, err
	}
	met := Metrics{Records: n}
	if n == 0 {
		return met, nil
	}
	fn := float64(n)
	met.Top1 = float64(top1) / fn
	met.Top3 = float64(top3) / fn
	met.LogLoss = logLoss / fn
	met.Uncoded = float64(coded[0]) / fn
	th := m.info.Thresholds
	for _, l := range []int{3, 2, 1} {
		lm := LevelMetrics{Level: l, Coverage: float64(coded[l]) / fn, Top1: float64(levelTop1[l]) / fn}
		switch l {
		case 3:
			lm.Threshold = th.T3
		case 2:
			lm.Threshold = th.T2
		case 1:
			lm.Threshold = th.T1
		}
		if coded[l] > 0 {
			lm.Accuracy = float64(right[l]) / float64(coded[l])
		}
		met.Levels = append(met.Levels, lm)
	}
	return met, nil
}
