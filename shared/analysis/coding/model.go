package coding

import (
	"math"
	"sync"
)

// Prediction is one candidate code with its calibrated probability.
type Prediction struct {
	Code       string  `json:"code"`
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
}

// Decision is the outcome of coding one record (Model.Code).
type Decision struct {
	// Result is the code assigned: at the finest level (3 digits) when the model is confident
	// enough, else at the coarsest level above it that is, else nil (uncoded).
	Result *Prediction `json:"result,omitempty"`
	// Suggestions are the top 3 codes at the finest level, best first: always three (a record
	// whose text holds nothing the model knows gets the three its biases alone rank first).
	Suggestions []Prediction `json:"suggestions"`
}

// Thresholds are the confidences from which Model.Code codes at each level.
//
// They are chosen on held-out data, one level after the other (the rule is the same at each
// level): T3 is the lowest threshold t (a multiple of 0.001) at which the held-out records
// whose best 3-digit code has a confidence of at least t are coded correctly at least
// TargetPrecision of the time; T2 is chosen the same way among the records left uncoded by
// T3, on the summed probability of their best 2-digit group; T1 among those left by T2, on
// the best 1-digit group. When no threshold reaches the target (or fewer than
// minThresholdSupport records would be coded) the level's threshold is 1.001 and that level
// is never used.
type Thresholds struct {
	T3              float64 `json:"t3"`
	T2              float64 `json:"t2"`
	T1              float64 `json:"t1"`
	TargetPrecision float64 `json:"target_precision"`
}

// LevelMetrics are the measures of Model.Code's decisions at one level of the scheme.
type LevelMetrics struct {
	Level     int     `json:"level"`
	Threshold float64 `json:"threshold"`
	// Coverage is the share of all records coded at this level; Accuracy the share of those
	// whose code is the true code's ancestor at this level.
	Coverage float64 `json:"coverage"`
	Accuracy float64 `json:"accuracy"`
	// Top1 is the accuracy at this level of the best code of the level (probabilities summed
	// over the 3-digit codes under it), over all records, ignoring thresholds.
	Top1 float64 `json:"top1"`
}

// Metrics measure a model on labelled records (Evaluate; Info.Metrics: the held-out part of
// the training input).
type Metrics struct {
	Records int     `json:"records"`
	Top1    float64 `json:"top1"`     // 3-digit accuracy of the best code
	Top3    float64 `json:"top3"`     // share whose true code is among the 3 best
	LogLoss float64 `json:"log_loss"` // mean -ln(probability of the true code)
	// Levels are the decisions of Model.Code at levels 3, 2 and 1, in that order.
	Levels []LevelMetrics `json:"levels"`
	// Uncoded is the share of records that Model.Code leaves without a Result.
	Uncoded float64 `json:"uncoded"`
}

// SkipStats count the input examples that Train did not use. They hold counts alone, never a
// record's values: a model file is kept for as long as the registry names it (models are never
// deleted), longer than the training job and its input, so it holds nothing of the records but
// hashed features. (It held up to 10 of the unknown codes, 16 bytes each, as "sample_codes":
// with the columns of a file swapped, job titles; the training job's output names each
// unusable record's code, and expires with the job.)
type SkipStats struct {
	UnknownCode int `json:"unknown_code"` // code not a finest-level code of the scheme
	Empty       int `json:"empty"`        // neither text has a token
}

// Info describes a model; it is stored in the model file.
type Info struct {
	ModelType      string `json:"model_type"`
	TopicStandard  string `json:"topic_standard"` // "SOC"
	TopicVersion   string `json:"topic_version"`  // "2010"
	TrainedOn      string `json:"trained_on"`
	TrainRecords   int    `json:"train_records"`
	HeldOutRecords int    `json:"held_out_records"`
	// RefitRecords, when not 0, is the number of examples (training and held-out) the
	// model's weights were trained on after calibration (TrainOptions.Refit): Metrics,
	// Temperature and Thresholds are then those of the model trained on the TrainRecords
	// alone, measured and fitted on the HeldOutRecords.
	RefitRecords int           `json:"refit_records,omitempty"`
	Skipped      SkipStats     `json:"skipped"`
	Metrics      Metrics       `json:"metrics"`
	Thresholds   Thresholds    `json:"thresholds"`
	Temperature  float64       `json:"temperature"` // softmax temperature fitted on held-out data
	Features     FeatureConfig `json:"features"`
	Epochs       int           `json:"epochs"`
	// ModelID, Version and Released are left to the model registry (empty from Train).
	ModelID  string `json:"model_id,omitempty"`
	Version  string `json:"version,omitempty"`
	Released string `json:"released,omitempty"`
}

// Model is a trained classifier for one scheme. It is immutable once built (Train, Load,
// Default) and safe for concurrent use by any number of goroutines.
type Model struct {
	info   Info
	scheme *Scheme
	cfg    FeatureConfig

	classes []Code // the finest-level codes, in scheme order
	sub     []int  // class -> index into subs
	maj     []int  // class -> index into majs
	subs    []Code // level-2 codes
	majs    []Code // level-1 codes
	bias    []float32
	rowOf   []int32 // bucket -> row, -1 when the bucket has no weights
	scale   []float32
	w       []int8 // rows × len(classes)
	invTemp float32

	pool sync.Pool // *scratch
}

type scratch struct {
	fz     *featurizer
	logits []float32
	p      []float64
	p2, p1 []float64
}

// Info returns the model's description.
func (m *Model) Info() Info {
	i := m.info
	i.Metrics.Levels = append([]LevelMetrics(nil), i.Metrics.Levels...)
	return i
}

// SetRegistryInfo sets the identifiers a model registry assigns (Info.ModelID, Version,
// Released); they are written by WriteTo. Call it before sharing the model between goroutines.
func (m *Model) SetRegistryInfo(id, version, released string) {
	m.info.ModelID, m.info.Version, m.info.Released = id, version, released
}

// Scheme returns the classification the model codes to.
func (m *Model) Scheme() *Scheme { return m.scheme }

// Thresholds returns the coding thresholds (also in Info).
func (m *Model) Thresholds() Thresholds { return m.info.Thresholds }

func (m *Model) getScratch() *scratch {
	if s, ok := m.pool.Get().(*scratch); ok {
		return s
	}
	K := len(m.classes)
	return &scratch{fz: newFeaturizer(m.cfg), logits: make([]float32, K), p: make([]float64, K),
		p2: make([]float64, len(m.subs)), p1: make([]float64, len(m.majs))}
}

// init derives the class tables from the scheme and classes.
func (m *Model) initTables() {
	m.subs = m.scheme.Level(2)
	m.majs = m.scheme.Level(1)
	idx := func(codes []Code, code string) int {
		for i, c := range codes {
			if c.Code == code {
				return i
			}
		}
		return -1
	}
	m.sub = make([]int, len(m.classes))
	m.maj = make([]int, len(m.classes))
	for i, c := range m.classes {
		m.sub[i] = idx(m.subs, m.scheme.Ancestor(c.Code, 2))
		m.maj[i] = idx(m.majs, m.scheme.Ancestor(c.Code, 1))
	}
}

// scoreFeatures computes the logits of a feature vector.
func (m *Model) scoreFeatures(fs []feat, logits []float32) {
	K := len(m.classes)
	lg := logits[:K]
	copy(lg, m.bias)
	for _, f := range fs {
		r := m.rowOf[f.idx]
		if r < 0 {
			continue
		}
		v := f.val * m.scale[r]
		off := int(r) * K
		row := m.w[off : off+K : off+K]
		lg := lg[:len(row)]
		c := 0
		for ; c+4 <= len(row); c += 4 {
			r4, l4 := row[c:c+4:c+4], lg[c:c+4:c+4]
			l4[0] += float32(v * float32(r4[0]))
			l4[1] += float32(v * float32(r4[1]))
			l4[2] += float32(v * float32(r4[2]))
			l4[3] += float32(v * float32(r4[3]))
		}
		for ; c < len(row); c++ {
			lg[c] += float32(v * float32(row[c]))
		}
	}
}

// probs fills s.p with the calibrated class probabilities of a record and reports whether
// the record has any feature.
func (m *Model) probs(s *scratch, occp, tasks string) bool {
	fs := s.fz.features(occp, tasks)
	if len(fs) == 0 {
		return false
	}
	m.scoreFeatures(fs, s.logits)
	softmaxInto(s.p, s.logits, m.invTemp)
	return true
}

// softmaxInto writes softmax(invTemp·logits) into p.
func softmaxInto(p []float64, logits []float32, invTemp float32) {
	mx := float64(logits[0])
	for _, v := range logits {
		mx = max(mx, float64(v))
	}
	t := float64(invTemp)
	var sum float64
	for i, v := range logits {
		e := math.Exp((float64(v) - mx) * t)
		p[i] = e
		sum += e
	}
	for i := range p {
		p[i] /= sum
	}
}

// topK writes the indices of the k largest values of p, best first (ties: lower index), into
// idx[:k] and returns it.
func topK(p []float64, k int, idx []int) []int {
	idx = idx[:0]
	for i, v := range p {
		if len(idx) == k && v <= p[idx[k-1]] {
			continue
		}
		j := len(idx)
		if j < k {
			idx = append(idx, i)
		} else {
			j = k - 1
		}
		for j > 0 && p[idx[j-1]] < v {
			idx[j] = idx[j-1]
			j--
		}
		idx[j] = i
	}
	return idx
}

// Predict returns the k most probable finest-level (3-digit) codes for a record, best first,
// with calibrated probabilities (at most the number of codes; k < 1 means 1). It returns nil
// when neither text has a usable token (letters or digits outside stop words).
func (m *Model) Predict(occp, tasks string, k int) []Prediction {
	k = max(1, min(k, len(m.classes)))
	s := m.getScratch()
	defer m.pool.Put(s)
	if !m.probs(s, occp, tasks) {
		return nil
	}
	out := make([]Prediction, k)
	var idxBuf [8]int
	var idx []int
	if k <= len(idxBuf) {
		idx = topK(s.p, k, idxBuf[:0])
	} else {
		idx = topK(s.p, k, make([]int, 0, k))
	}
	for i, c := range idx {
		out[i] = Prediction{Code: m.classes[c].Code, Label: m.classes[c].Label, Confidence: s.p[c]}
	}
	return out
}

// Code codes a record: the best 3-digit code when its confidence is at least T3, else the
// best 2-digit group when its summed probability is at least T2, else the best 1-digit group
// when at least T1, else no Result. Suggestions are always the 3 best 3-digit codes. A record
// with no usable text ("-", "?", "I") is never coded; its suggestions are the codes the
// model's biases alone rank first, with their (low) probabilities: what the model expects of
// a record it knows nothing about.
func (m *Model) Code(occp, tasks string) Decision {
	s := m.getScratch()
	defer m.pool.Put(s)
	known := m.probs(s, occp, tasks)
	if !known {
		m.scoreFeatures(nil, s.logits)
		softmaxInto(s.p, s.logits, m.invTemp)
	}
	var idxBuf [3]int
	idx := topK(s.p, 3, idxBuf[:0])
	buf := make([]Prediction, len(idx)+1)
	for i, c := range idx {
		buf[i] = Prediction{Code: m.classes[c].Code, Label: m.classes[c].Label, Confidence: s.p[c]}
	}
	d := Decision{Suggestions: buf[:len(idx):len(idx)]}
	if !known {
		return d
	}
	if lvl, code, conf := m.decide(s, idx[0]); lvl > 0 {
		buf[len(idx)] = Prediction{Code: code.Code, Label: code.Label, Confidence: conf}
		d.Result = &buf[len(idx)]
	}
	return d
}

// decide applies the thresholds to the probabilities in s (best class best) and returns
// the level coded at (0: none), the code and its confidence.
func (m *Model) decide(s *scratch, best int) (int, Code, float64) {
	t := &m.info.Thresholds
	if s.p[best] >= t.T3 {
		return 3, m.classes[best], s.p[best]
	}
	clear(s.p2)
	clear(s.p1)
	for c, v := range s.p {
		s.p2[m.sub[c]] += v
		s.p1[m.maj[c]] += v
	}
	b2 := argmax(s.p2)
	if s.p2[b2] >= t.T2 {
		return 2, m.subs[b2], s.p2[b2]
	}
	b1 := argmax(s.p1)
	if s.p1[b1] >= t.T1 {
		return 1, m.majs[b1], s.p1[b1]
	}
	return 0, Code{}, 0
}

func argmax(p []float64) int {
	b := 0
	for i, v := range p {
		if v > p[b] {
			b = i
		}
	}
	return b
}
