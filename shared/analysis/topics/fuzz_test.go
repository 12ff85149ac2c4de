package topics

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"
	"unicode/utf8"
)

// Every decoder is fuzzed twice over: with the input as given (almost always a checksum
// mismatch once mutated) and with the checksum recomputed, so that mutations reach the
// parser itself. Malformed input must give an error, never a panic; what decodes must
// encode again to something that decodes to the same encoding.

func withCRC(b []byte) []byte {
	if len(b) < 9 {
		return b
	}
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint32(c[len(c)-4:], crc32.ChecksumIEEE(c[:len(c)-4]))
	return c
}

func fuzzSeeds(f *testing.F, objs ...[]byte) {
	for _, o := range objs {
		f.Add(o)
		if len(o) > 20 {
			f.Add(o[:len(o)/2])
		}
	}
	f.Add([]byte{})
	f.Add([]byte("RTST\x01"))
}

var fuzzModel struct {
	m                            *Model
	stats, vocab, sample, rounds []byte
}

func fuzzObjects(f *testing.F) {
	if fuzzModel.m != nil {
		return
	}
	docs := smallCorpus(f, 60)
	res, err := Fit(docs, 2, DriverOptions{Fit: FitOptions{K: 3, Seed: 1, Rounds: 1, AnnealIters: 5}})
	if err != nil {
		f.Fatal(err)
	}
	m := res.Model
	fuzzModel.m = m
	s := NewShardStats(0)
	for _, d := range docs[:10] {
		s.Add(d.Text)
	}
	var b bytes.Buffer
	WriteStats(&b, s)
	fuzzModel.stats = bytes.Clone(b.Bytes())
	b.Reset()
	m.Vocab.WriteTo(&b)
	fuzzModel.vocab = bytes.Clone(b.Bytes())
	smp, _ := SampleShard(m.Vocab, FitOptions{Seed: 1, SampleSize: 5}, Docs(docs[:20]))
	b.Reset()
	smp.WriteTo(&b)
	fuzzModel.sample = bytes.Clone(b.Bytes())
	st, _ := ShardRound(m, 0, Docs(docs[:5]))
	b.Reset()
	st.WriteTo(&b)
	fuzzModel.rounds = bytes.Clone(b.Bytes())
}

func FuzzReadStats(f *testing.F) {
	fuzzObjects(f)
	fuzzSeeds(f, fuzzModel.stats)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, withCRC(data)} {
			s, err := ReadStats(bytes.NewReader(in))
			if err != nil {
				continue
			}
			var b bytes.Buffer
			if err := WriteStats(&b, s); err != nil {
				t.Fatal(err)
			}
			s2, err := ReadStats(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatalf("re-encoded statistics do not decode: %v", err)
			}
			var b2 bytes.Buffer
			WriteStats(&b2, s2)
			if !bytes.Equal(b.Bytes(), b2.Bytes()) {
				t.Fatal("statistics do not round-trip")
			}
			// and the streaming merge reads it too
			if err := MergeStats(io.Discard, []io.Reader{bytes.NewReader(in)}); err != nil {
				t.Fatalf("MergeStats rejects what ReadStats accepts: %v", err)
			}
		}
	})
}

func FuzzReadVocabulary(f *testing.F) {
	fuzzObjects(f)
	fuzzSeeds(f, fuzzModel.vocab)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, withCRC(data)} {
			v, err := ReadVocabulary(bytes.NewReader(in))
			if err != nil {
				continue
			}
			var b bytes.Buffer
			v.WriteTo(&b)
			v2, err := ReadVocabulary(bytes.NewReader(b.Bytes()))
			if err != nil || v2.Len() != v.Len() {
				t.Fatalf("re-encoded vocabulary: %v", err)
			}
		}
	})
}

func FuzzReadSample(f *testing.F) {
	fuzzObjects(f)
	fuzzSeeds(f, fuzzModel.sample)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, withCRC(data)} {
			s, err := ReadSample(bytes.NewReader(in))
			if err != nil {
				continue
			}
			var b bytes.Buffer
			s.WriteTo(&b)
			if _, err := ReadSample(bytes.NewReader(b.Bytes())); err != nil {
				t.Fatalf("re-encoded sample: %v", err)
			}
			// a sample that decodes never breaks the initialisation
			InitModel(context.Background(), fuzzModel.m.Vocab, Seq([]*Sample{s}), FitOptions{K: 2, Seed: s.Seed, SampleSize: s.Capacity, AnnealIters: 1})
		}
	})
}

func FuzzReadModel(f *testing.F) {
	fuzzObjects(f)
	fuzzSeeds(f, modelBytes(f, fuzzModel.m))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, withCRC(data)} {
			m, err := ReadModel(bytes.NewReader(in))
			if err != nil {
				continue
			}
			b := modelBytes(t, m)
			if _, err := ReadModel(bytes.NewReader(b)); err != nil {
				t.Fatalf("re-encoded model: %v", err)
			}
			// a model that decodes can be used
			Assign(m, "a game with players and music")
			TopTerms(m, 3)
		}
	})
}

func FuzzReadRoundStats(f *testing.F) {
	fuzzObjects(f)
	fuzzSeeds(f, fuzzModel.rounds)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, withCRC(data)} {
			st, err := ReadRoundStats(bytes.NewReader(in))
			if err != nil {
				continue
			}
			var b bytes.Buffer
			st.WriteTo(&b)
			if _, err := ReadRoundStats(bytes.NewReader(b.Bytes())); err != nil {
				t.Fatalf("re-encoded statistics: %v", err)
			}
			Reduce(fuzzModel.m, Seq([]*RoundStats{st})) // an error, or a model: no panic
		}
	})
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"The players' GAMES, don't!", "naïve café Ärger", "a\u2019b c'd 'e f'", "\xff\xfe abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, tok := range Tokens(text, nil) {
			if len(tok) < 2 || len(tok) > maxTermBytes || !utf8.ValidString(tok) {
				t.Fatalf("bad token %q from %q", tok, text)
			}
		}
	})
}
