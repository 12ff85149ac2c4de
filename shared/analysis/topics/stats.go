package topics

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// DefaultMaxShardTerms bounds the distinct terms a shard's statistics keep.
const DefaultMaxShardTerms = 200_000

// maxCount bounds every document or token count a decoder accepts.
const maxCount = 1 << 50

// ShardStats is the output of the first map step: for one shard, the number of documents and
// of terms, and for every term its document frequency (df: documents containing it), its
// collection frequency (cf: occurrences) and its display form (the shortest lower-cased
// surface word that stemmed to it, ties broken by byte order, so "game" for game/games/gaming).
//
// It is bounded: while documents are added, more than 4×MaxTerms distinct terms make it drop
// its rarest terms (every term of df 1, then of df 2, ... until at most MaxTerms remain), and
// WriteStats writes at most MaxTerms terms the same way. Dropped terms are counted in Pruned,
// and DFError is the largest df among them: the df of any term in a shard's statistics may be
// short by at most DFError (after a merge, by at most the sum of the shards' DFError).
// Shards of fewer than MaxTerms distinct terms are exact.
type ShardStats struct {
	Docs     int64 // documents added
	Tokens   int64 // terms counted (after stop words)
	Pruned   int64 // distinct terms dropped by the bound
	DFError  int64 // largest df of a dropped term (0 when none was dropped)
	MaxTerms int   // the bound; 0 means DefaultMaxShardTerms

	terms map[string]*termStat
	tok   tokenizer
}

type termStat struct {
	df, cf  int64
	lastDoc int64
	display string
}

// TermStat is one term of a statistics stream.
type TermStat struct {
	Term    string // the stem
	Display string // the display form
	DF, CF  int64
}

// NewShardStats returns empty statistics keeping at most maxTerms distinct terms
// (0 for DefaultMaxShardTerms).
func NewShardStats(maxTerms int) *ShardStats {
	return &ShardStats{MaxTerms: maxTerms, terms: make(map[string]*termStat)}
}

func (s *ShardStats) limit() int {
	if s.MaxTerms <= 0 {
		return DefaultMaxShardTerms
	}
	return s.MaxTerms
}

// Add tokenises one document (see Tokens) and counts it.
func (s *ShardStats) Add(text string) {
	if s.terms == nil {
		s.terms = make(map[string]*termStat)
	}
	s.Docs++
	doc := s.Docs
	s.tok.each(text, func(stem, surface []byte, _ int) {
		s.Tokens++
		ts := s.terms[string(stem)]
		if ts == nil {
			ts = &termStat{display: string(surface)}
			s.terms[string(stem)] = ts
		} else if len(surface) < len(ts.display) || (len(surface) == len(ts.display) && string(surface) < ts.display) {
			ts.display = string(surface)
		}
		ts.cf++
		if ts.lastDoc != doc {
			ts.lastDoc = doc
			ts.df++
		}
	})
	if len(s.terms) > 4*s.limit() {
		t := s.pruneThreshold()
		for k, ts := range s.terms {
			if ts.df <= t {
				delete(s.terms, k)
				s.Pruned++
			}
		}
		s.DFError = max(s.DFError, t)
	}
}

// Len is the number of distinct terms held.
func (s *ShardStats) Len() int { return len(s.terms) }

// pruneThreshold is the smallest t such that at most limit terms have df > t (0 when no
// pruning is needed).
func (s *ShardStats) pruneThreshold() int64 {
	lim := s.limit()
	if len(s.terms) <= lim {
		return 0
	}
	dfs := make([]int64, 0, len(s.terms))
	for _, ts := range s.terms {
		dfs = append(dfs, ts.df)
	}
	slices.Sort(dfs)
	// keep the lim largest; everything with df <= dfs[len-lim-1] goes (whole df levels)
	return dfs[len(dfs)-lim-1]
}

// WriteStats writes s to w as a statistics stream sorted by term (see the package
// documentation for the format), applying the MaxTerms bound. It does not modify s.
func WriteStats(w io.Writer, s *ShardStats) error {
	t := s.pruneThreshold()
	keys := make([]string, 0, len(s.terms))
	pruned := s.Pruned
	for k, ts := range s.terms {
		if ts.df > t {
			keys = append(keys, k)
		} else {
			pruned++
		}
	}
	slices.Sort(keys)
	sw := newStatsWriter(w, s.Docs, s.Tokens, pruned, max(s.DFError, t))
	for _, k := range keys {
		ts := s.terms[k]
		sw.write(k, ts.display, ts.df, ts.cf)
	}
	return sw.finish()
}

// Statistics stream body:
//
//	docs, tokens, pruned, dfError (varints)
//	entries, each: shared+1, suffix (string), display shared-with-term, display suffix
//	  (string), df, cf-df (varints)
//	0 (end of entries), number of entries (varint)
type statsWriter struct {
	e    *encoder
	prev string
	n    uint64
}

func newStatsWriter(w io.Writer, docs, tokens, pruned, dfErr int64) *statsWriter {
	e := newEncoder(w, magicStats)
	e.uvarint(uint64(docs))
	e.uvarint(uint64(tokens))
	e.uvarint(uint64(pruned))
	e.uvarint(uint64(dfErr))
	return &statsWriter{e: e}
}

func (sw *statsWriter) write(term, display string, df, cf int64) {
	p := commonPrefix(sw.prev, term)
	sw.e.uvarint(uint64(p) + 1)
	sw.e.str(term[p:])
	q := commonPrefix(term, display)
	sw.e.uvarint(uint64(q))
	sw.e.str(display[q:])
	sw.e.uvarint(uint64(df))
	sw.e.uvarint(uint64(cf - df))
	sw.prev = term
	sw.n++
}

func (sw *statsWriter) finish() error {
	sw.e.uvarint(0)
	sw.e.uvarint(sw.n)
	_, err := sw.e.finish()
	return err
}

// StatsReader reads a statistics stream term by term, in term order, holding one entry.
type StatsReader struct {
	Docs, Tokens, Pruned, DFError int64

	d       *decoder
	term    []byte
	prev    []byte
	display []byte
	df, cf  int64
	n       uint64
	done    bool
}

// NewStatsReader reads the header of a statistics stream.
func NewStatsReader(r io.Reader) (*StatsReader, error) {
	d := newDecoder(r, magicStats, "term statistics", 4<<10) // many are open at once in a merge
	sr := &StatsReader{d: d}
	sr.Docs = int64(d.count(maxCount, "documents"))
	sr.Tokens = int64(d.count(maxCount, "tokens"))
	sr.Pruned = int64(d.count(maxCount, "pruned terms"))
	sr.DFError = int64(d.count(maxCount, "df error"))
	if d.err != nil {
		return nil, d.err
	}
	return sr, nil
}

// Next advances to the next term; it returns false at the end of the stream or on error
// (see Err). At the end it has checked the stream's checksum.
func (sr *StatsReader) Next() bool {
	if sr.done {
		return false
	}
	d := sr.d
	sr.prev, sr.term = sr.term, sr.prev
	p := d.count(maxTermBytes+1, "shared prefix")
	if d.err != nil {
		sr.done = true
		return false
	}
	if p == 0 {
		if n := d.uvarint(); d.err == nil && n != sr.n {
			d.fail("entry count %d, read %d", n, sr.n)
		}
		d.finish()
		sr.done = true
		return false
	}
	sr.term = d.frontCoded(sr.prev, sr.term, sr.n == 0, p-1)
	q := d.count(uint64(len(sr.term)), "display prefix")
	sr.display = append(sr.display[:0], sr.term[:min(q, len(sr.term))]...)
	sr.display = d.appendStr(sr.display, maxTermBytes)
	sr.df = int64(d.count(maxCount, "df"))
	sr.cf = sr.df + int64(d.count(maxCount, "cf"))
	if d.err == nil && (len(sr.display) == 0 || len(sr.display) > maxTermBytes || sr.df < 1 || sr.df > sr.Docs || sr.cf > sr.Tokens) {
		d.fail("bad entry for %q", sr.term)
	}
	if d.err != nil {
		sr.done = true
		return false
	}
	sr.n++
	return true
}

// Err returns the first error met, nil at a clean end.
func (sr *StatsReader) Err() error { return sr.d.err }

// ReadStats reads a whole statistics stream into ShardStats (for tests and small shards; the
// reduce step streams with StatsReader instead).
func ReadStats(r io.Reader) (*ShardStats, error) {
	sr, err := NewStatsReader(r)
	if err != nil {
		return nil, err
	}
	s := &ShardStats{Docs: sr.Docs, Tokens: sr.Tokens, Pruned: sr.Pruned, DFError: sr.DFError, terms: make(map[string]*termStat)}
	for sr.Next() {
		s.terms[string(sr.term)] = &termStat{df: sr.df, cf: sr.cf, display: string(sr.display)}
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	if len(s.terms) > 0 {
		s.MaxTerms = max(len(s.terms), DefaultMaxShardTerms)
	}
	return s, nil
}

// Terms returns the statistics' terms sorted by term.
func (s *ShardStats) Terms() []TermStat {
	out := make([]TermStat, 0, len(s.terms))
	for k, ts := range s.terms {
		out = append(out, TermStat{Term: k, Display: ts.display, DF: ts.df, CF: ts.cf})
	}
	slices.SortFunc(out, func(a, b TermStat) int { return strings.Compare(a.Term, b.Term) })
	return out
}

// mergeCursor is one input of a k-way merge.
type mergeCursor struct {
	sr  *StatsReader
	idx int
}

// statsMerge merges sorted statistics streams term by term.
type statsMerge struct {
	heap                          []*mergeCursor
	Docs, Tokens, Pruned, DFError int64

	term, display []byte
	df, cf        int64
}

func newStatsMerge(rs []io.Reader) (*statsMerge, error) {
	m := &statsMerge{}
	for i, r := range rs {
		sr, err := NewStatsReader(r)
		if err != nil {
			return nil, fmt.Errorf("statistics %d: %w", i, err)
		}
		m.Docs += sr.Docs
		m.Tokens += sr.Tokens
		m.Pruned += sr.Pruned
		m.DFError += sr.DFError
		if m.Docs > maxCount || m.Tokens > maxCount {
			return nil, fmt.Errorf("%w: statistics: counts overflow", ErrCorrupt)
		}
		c := &mergeCursor{sr: sr, idx: i}
		if sr.Next() {
			m.push(c)
		} else if err := sr.Err(); err != nil {
			return nil, fmt.Errorf("statistics %d: %w", i, err)
		}
	}
	return m, nil
}

func (m *statsMerge) less(a, b *mergeCursor) bool {
	if c := strings.Compare(string(a.sr.term), string(b.sr.term)); c != 0 {
		return c < 0
	}
	return a.idx < b.idx
}

func (m *statsMerge) push(c *mergeCursor) {
	m.heap = append(m.heap, c)
	i := len(m.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !m.less(m.heap[i], m.heap[p]) {
			break
		}
		m.heap[i], m.heap[p] = m.heap[p], m.heap[i]
		i = p
	}
}

func (m *statsMerge) down(i int) {
	h := m.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		s := l
		if r := l + 1; r < len(h) && m.less(h[r], h[l]) {
			s = r
		}
		if !m.less(h[s], h[i]) {
			return
		}
		h[i], h[s] = h[s], h[i]
		i = s
	}
}

// next sets term, display, df, cf to the next merged term.
func (m *statsMerge) next() (bool, error) {
	if len(m.heap) == 0 {
		return false, nil
	}
	top := m.heap[0]
	m.term = append(m.term[:0], top.sr.term...)
	m.display = append(m.display[:0], top.sr.display...)
	m.df, m.cf = 0, 0
	for len(m.heap) > 0 && string(m.heap[0].sr.term) == string(m.term) {
		c := m.heap[0]
		m.df += c.sr.df
		m.cf += c.sr.cf
		if d := c.sr.display; len(d) < len(m.display) || (len(d) == len(m.display) && string(d) < string(m.display)) {
			m.display = append(m.display[:0], d...)
		}
		if c.sr.Next() {
			m.down(0)
		} else {
			if err := c.sr.Err(); err != nil {
				return false, fmt.Errorf("statistics %d: %w", c.idx, err)
			}
			last := len(m.heap) - 1
			m.heap[0] = m.heap[last]
			m.heap = m.heap[:last]
			if last > 0 {
				m.down(0)
			}
		}
	}
	return true, nil
}

// MergeStats merges statistics streams (each sorted by term) into one stream on w, summing
// documents, tokens, df and cf and keeping the shortest display form. Memory is one entry
// and a small buffer per input: it lets the vocabulary reduce be a tree (merge groups of a few
// hundred shards, then merge the merged) when there are too many shards to open at once. It
// drops nothing, so the output has as many terms as the inputs have distinct terms.
func MergeStats(w io.Writer, rs []io.Reader) error {
	m, err := newStatsMerge(rs)
	if err != nil {
		return err
	}
	sw := newStatsWriter(w, m.Docs, m.Tokens, m.Pruned, m.DFError)
	for {
		ok, err := m.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		sw.write(string(m.term), string(m.display), m.df, m.cf)
	}
	return sw.finish()
}
