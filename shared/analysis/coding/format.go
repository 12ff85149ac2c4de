package coding

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
)

// # Model file
//
// Little-endian throughout:
//
//	"RCM1" or "RCM2"   magic: Ream coding model, format 1, or 2 for a model whose features read
//	                   hyphenated compounds both ways (FeatureConfig.Hyphen > 0): a release
//	                   that knows only format 1 refuses it ("unsupported format version")
//	                   rather than code with it as if hyphens were joined
//	uint32 n           length of the compressed body
//	uint32 crc         CRC-32 (IEEE) of the compressed body
//	n bytes            the body, raw DEFLATE (compress/flate, Huffman coding only)
//
// The body:
//
//	uint32 len, Info as JSON (it holds the feature configuration, temperature and thresholds)
//	uint16 K, then K class codes, each a uint8 length and the code's bytes
//	uint32 rows
//	2^Bits/8 bytes     bitmap: bit b (byte b/8, bit b%8) set when bucket b has a row;
//	                   rows are stored in bucket order
//	K float32          biases
//	rows float32       row scales
//	rows×K int8        weights: weight = scale·q
//
// Load checks every length and value against its bound (and that nothing follows the body)
// and returns an error wrapping ErrInvalidModel for a file that is not a valid model.

// ErrInvalidModel is wrapped by Load's errors about the file's contents.
var ErrInvalidModel = errors.New("coding: invalid model file")

const (
	modelMagic        = "RCM1"
	modelMagicHyphen  = "RCM2" // format 2: FeatureConfig.Hyphen > 0
	maxCompressedBody = 256 << 20
	maxInfoJSON       = 1 << 20
	minBits, maxBits  = 8, 24
	maxWeights        = 1 << 26 // rows × classes
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidModel, fmt.Sprintf(format, args...))
}

// WriteTo writes the model in the format read by Load. The output is a function of the
// model alone (byte-identical for equal models).
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var body bytes.Buffer
	info, err := json.Marshal(m.info)
	if err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	body.Write(le.AppendUint32(nil, uint32(len(info))))
	body.Write(info)
	body.Write(le.AppendUint16(nil, uint16(len(m.classes))))
	for _, c := range m.classes {
		body.WriteByte(byte(len(c.Code)))
		body.WriteString(c.Code)
	}
	body.Write(le.AppendUint32(nil, uint32(len(m.scale))))
	bitmap := make([]byte, len(m.rowOf)/8)
	for b, r := range m.rowOf {
		if r >= 0 {
			bitmap[b/8] |= 1 << (b % 8)
		}
	}
	body.Write(bitmap)
	var f4 [4]byte
	for _, v := range m.bias {
		le.PutUint32(f4[:], math.Float32bits(v))
		body.Write(f4[:])
	}
	for _, v := range m.scale {
		le.PutUint32(f4[:], math.Float32bits(v))
		body.Write(f4[:])
	}
	for _, q := range m.w {
		body.WriteByte(byte(q))
	}
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.HuffmanOnly) // as small as BestCompression here, 70 times faster
	if err != nil {
		return 0, err
	}
	if _, err := fw.Write(body.Bytes()); err != nil {
		return 0, err
	}
	if err := fw.Close(); err != nil {
		return 0, err
	}
	hdr := make([]byte, 0, 12)
	hdr = append(hdr, magicFor(m.info.Features)...)
	hdr = le.AppendUint32(hdr, uint32(comp.Len()))
	hdr = le.AppendUint32(hdr, crc32.ChecksumIEEE(comp.Bytes()))
	n, err := w.Write(hdr)
	if err != nil {
		return int64(n), err
	}
	n2, err := w.Write(comp.Bytes())
	return int64(n + n2), err
}

// schemeFor returns the scheme a model names.
func schemeFor(standard, version string) (*Scheme, error) {
	if standard == "SOC" && version == "2010" {
		return SOC2010(), nil
	}
	return nil, invalid("unknown classification %q version %q", standard, version)
}

// Load reads a model written by WriteTo. It never panics on malformed input; errors about
// the contents wrap ErrInvalidModel.
func Load(r io.Reader) (*Model, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, invalid("truncated header")
		}
		return nil, err
	}
	magic := string(hdr[:4])
	if magic != modelMagic && magic != modelMagicHyphen {
		if magic[:3] == modelMagic[:3] {
			return nil, invalid("unsupported format version %q (want %q or %q)", hdr[:4], modelMagic, modelMagicHyphen)
		}
		return nil, invalid("not a coding model (bad magic)")
	}
	le := binary.LittleEndian
	n := le.Uint32(hdr[4:])
	if n > maxCompressedBody {
		return nil, invalid("body of %d bytes exceeds %d", n, maxCompressedBody)
	}
	comp := make([]byte, 0, min(n, 1<<20))
	buf := bytes.NewBuffer(comp)
	if m, err := io.CopyN(buf, r, int64(n)); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, invalid("truncated body: %d of %d bytes", m, n)
		}
		return nil, err
	}
	if crc32.ChecksumIEEE(buf.Bytes()) != le.Uint32(hdr[8:]) {
		return nil, invalid("checksum mismatch")
	}
	if extra, _ := r.Read(make([]byte, 1)); extra > 0 {
		return nil, invalid("data after the model")
	}
	fr := flate.NewReader(bytes.NewReader(buf.Bytes()))
	defer fr.Close()
	m, err := decodeBody(bufio.NewReader(fr))
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, invalid("truncated body")
		}
		var ce flate.CorruptInputError
		if errors.As(err, &ce) {
			return nil, invalid("corrupt body: %v", err)
		}
		return nil, err
	}
	if want := magicFor(m.cfg); magic != want {
		return nil, invalid("format %q holds a hyphen weight of %v (format %q)", magic, m.cfg.Hyphen, want)
	}
	return m, nil
}

// magicFor is the format a model of features cfg is written in: 2 when it reads hyphens both
// ways, which a reader of format 1 would silently ignore, else 1 (so earlier models' files
// are unchanged).
func magicFor(cfg FeatureConfig) string {
	if cfg.Hyphen > 0 {
		return modelMagicHyphen
	}
	return modelMagic
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func decodeBody(r *bufio.Reader) (*Model, error) {
	le := binary.LittleEndian
	var u4 [4]byte
	readU32 := func() (uint32, error) {
		_, err := io.ReadFull(r, u4[:])
		return le.Uint32(u4[:]), err
	}
	n, err := readU32()
	if err != nil {
		return nil, err
	}
	if n > maxInfoJSON {
		return nil, invalid("info of %d bytes exceeds %d", n, maxInfoJSON)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, err
	}
	m := &Model{}
	if err := json.Unmarshal(raw, &m.info); err != nil {
		return nil, invalid("info: %v", err)
	}
	if m.scheme, err = schemeFor(m.info.TopicStandard, m.info.TopicVersion); err != nil {
		return nil, err
	}
	cfg := m.info.Features
	if cfg.Bits < minBits || cfg.Bits > maxBits {
		return nil, invalid("hash bits %d outside [%d, %d]", cfg.Bits, minBits, maxBits)
	}
	if cfg.CharMax > maxTokenBytes+2 || cfg.CharMin > cfg.CharMax && cfg.CharMax != 0 {
		return nil, invalid("character n-gram lengths %d..%d", cfg.CharMin, cfg.CharMax)
	}
	for _, v := range []float32{cfg.Word, cfg.Bigram, cfg.Pair, cfg.Edge, cfg.Char, cfg.Tasks, cfg.FirstLast, cfg.Hyper} {
		if !finite(float64(v)) || v < 0 || v > 100 {
			return nil, invalid("feature weight %v", v)
		}
	}
	if !finite(float64(cfg.Hyphen)) || cfg.Hyphen < 0 || cfg.Hyphen > 1 {
		return nil, invalid("hyphen weight %v", cfg.Hyphen)
	}
	m.cfg = cfg
	t := m.info.Temperature
	if !finite(t) || t < 0.01 || t > 1000 {
		return nil, invalid("temperature %v", t)
	}
	m.invTemp = float32(1 / t)
	for _, v := range []float64{m.info.Thresholds.T1, m.info.Thresholds.T2, m.info.Thresholds.T3} {
		if !finite(v) || v < 0 || v > 2 {
			return nil, invalid("threshold %v outside [0, 2]", v)
		}
	}
	var u2 [2]byte
	if _, err := io.ReadFull(r, u2[:]); err != nil {
		return nil, err
	}
	K := int(le.Uint16(u2[:]))
	finest := m.scheme.Level(3)
	if K != len(finest) {
		return nil, invalid("%d classes, the scheme has %d finest-level codes", K, len(finest))
	}
	seen := make(map[string]bool, K)
	for range K {
		l, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		code := make([]byte, l)
		if _, err := io.ReadFull(r, code); err != nil {
			return nil, err
		}
		c, ok := m.scheme.Lookup(string(code))
		if !ok || c.Level != 3 || seen[c.Code] {
			return nil, invalid("class %q is not a distinct finest-level code of the scheme", code)
		}
		seen[c.Code] = true
		m.classes = append(m.classes, c)
	}
	rows, err := readU32()
	if err != nil {
		return nil, err
	}
	nb := 1 << cfg.Bits
	if int64(rows) > int64(nb) || int64(rows)*int64(K) > maxWeights {
		return nil, invalid("%d rows for %d buckets and %d classes", rows, nb, K)
	}
	bitmap := make([]byte, nb/8)
	if _, err := io.ReadFull(r, bitmap); err != nil {
		return nil, err
	}
	pop := 0
	for _, b := range bitmap {
		pop += bits.OnesCount8(b)
	}
	if pop != int(rows) {
		return nil, invalid("bitmap has %d buckets, header says %d rows", pop, rows)
	}
	readF32s := func(n int) ([]float32, error) {
		out := make([]float32, 0, min(n, 1<<16)) // grows with the data actually read
		for range n {
			if _, err := io.ReadFull(r, u4[:]); err != nil {
				return nil, err
			}
			v := math.Float32frombits(le.Uint32(u4[:]))
			if !finite(float64(v)) || math.Abs(float64(v)) > 1e6 {
				return nil, invalid("weight scale or bias %v", v)
			}
			out = append(out, v)
		}
		return out, nil
	}
	if m.bias, err = readF32s(K); err != nil {
		return nil, err
	}
	if m.scale, err = readF32s(int(rows)); err != nil {
		return nil, err
	}
	total := int(rows) * K
	m.w = make([]int8, 0, min(total, 1<<20)) // grows with the data actually read
	wb := make([]byte, 64<<10)
	for len(m.w) < total {
		k, err := io.ReadFull(r, wb[:min(len(wb), total-len(m.w))])
		for _, b := range wb[:k] {
			m.w = append(m.w, int8(b))
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := r.ReadByte(); err == nil {
		return nil, invalid("data after the weights")
	} else if err != io.EOF {
		return nil, err
	}
	m.rowOf = make([]int32, nb)
	row := int32(0)
	for b := range m.rowOf {
		if bitmap[b/8]&(1<<(b%8)) != 0 {
			m.rowOf[b] = row
			row++
		} else {
			m.rowOf[b] = -1
		}
	}
	m.initTables()
	return m, nil
}
