package coding

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
)

// A model file is kept as long as the registry names it, longer than its training job and
// input: it holds no value of the records it was trained on, not even of those it skipped (it
// held up to 10 unknown codes verbatim, so a file whose columns were swapped left job titles
// in the model).
func TestModelFileHoldsNoRecordValues(t *testing.T) {
	const canaryTitle, canaryCode = "zindelqvist", "536-90-4417"
	var ex []Example
	for i := range 3000 {
		code := []string{"223", "821", "231"}[i%3]
		title := []string{"staff nurse %d", "lorry driver %d", "teacher %d"}[i%3]
		ex = append(ex, Example{Code: code, Occp: fmt.Sprintf(title, i)})
	}
	ex = append(ex,
		Example{Code: canaryTitle, Occp: "223"}, // columns swapped
		Example{Code: canaryCode, Occp: "nurse"},
		Example{Code: "223", Occp: canaryTitle + " nurse", Tasks: canaryCode},
	)
	m, err := Train(context.Background(), openSlice(ex), TrainOptions{Epochs: 2, Features: FeatureConfig{Bits: 14, Word: 1, Char: 1, CharMin: 3, CharMax: 4, Tasks: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if info := m.Info(); info.Skipped.UnknownCode != 2 {
		t.Errorf("skipped %+v, want 2 unknown codes counted", info.Skipped)
	}
	var file bytes.Buffer
	if _, err := m.WriteTo(&file); err != nil {
		t.Fatal(err)
	}
	b := file.Bytes()
	n := binary.LittleEndian.Uint32(b[4:8])
	body, err := io.ReadAll(flate.NewReader(bytes.NewReader(b[12 : 12+n])))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{canaryTitle, canaryCode} {
		if bytes.Contains(body, []byte(c)) || bytes.Contains(b, []byte(c)) {
			t.Errorf("the model file holds %q, a value of its training records", c)
		}
	}
}
