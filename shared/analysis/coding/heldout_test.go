package coding

import (
	"context"
	"strings"
	"testing"
)

// TestHeldOutByTheWordsTheModelReads: a training job holds records out by the words the model
// reads in their titles, so that spellings of one title it cannot tell apart are never on both
// sides (found from outside: a file giving each title as survey answers do, "nurse", "nurse.",
// "NURSE -", "the nurse", held out records whose other spellings it trained on; its held-out
// top-1 was 0.998 and its 3-digit threshold 0, so it coded every record at 3 digits, right on
// two titles in three it had not seen; one giving each title also inverted, "manager, sales",
// recorded top-1 0.840 for 0.658 on unseen titles).
func TestHeldOutByTheWordsTheModelReads(t *testing.T) {
	f, err := openTestdata("soc2010-calibration.tsv")
	if err != nil {
		t.Fatal(err)
	}
	tsv := NewTSVExamples(f)
	var ex []Example
	for {
		e, ok, err := tsv.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		inverted := e.Occp
		if w := strings.Fields(e.Occp); len(w) > 1 {
			inverted = w[len(w)-1] + ", " + strings.Join(w[:len(w)-1], " ")
		}
		for _, v := range []string{e.Occp, e.Occp + ".", strings.ToUpper(e.Occp) + " -", "the " + e.Occp, inverted} {
			ex = append(ex, Example{Code: e.Code, Occp: v})
		}
	}
	tsv.Close()

	var toks tokens
	for _, same := range [][]string{
		{"bus driver", "Bus-Driver", "the bus drivers.", "BUS  DRIVER -", "Driver, bus"},
		{"", "nurse"}, // no title: the tasks text's words
	} {
		want := (&Example{Occp: same[0], Tasks: "Nurse"}).heldOutUnit(&toks)
		for _, s := range same[1:] {
			e := Example{Occp: s, Tasks: "nurses"}
			if s == "nurse" {
				e = Example{Occp: "  ", Tasks: s}
			}
			if got := e.heldOutUnit(&toks); got != want {
				t.Errorf("%q is held out by unit %d, %q by %d", same[0], want, s, got)
			}
		}
	}

	cfg := DefaultFeatures
	cfg.Bits = 12
	m, err := Train(context.Background(), openSlice(ex), TrainOptions{Features: cfg, Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	t.Logf("%d of %d records held out; held-out top-1 %.3f, thresholds %+v", info.HeldOutRecords, len(ex), info.Metrics.Top1, info.Thresholds)
	if info.HeldOutRecords%5 != 0 || info.HeldOutRecords < len(ex)/20 {
		t.Errorf("%d of %d records held out: the five spellings of a title were split", info.HeldOutRecords, len(ex))
	}
	// The held-out records are titles the model has not trained on in any spelling: measured
	// on them, it is far from the 0.998 of held-out records it had trained on.
	if top1 := info.Metrics.Top1; top1 > 0.8 {
		t.Errorf("held-out top-1 %.3f: the held-out records were read as records it trained on", top1)
	}
	if info.Thresholds.T3 == 0 {
		t.Errorf("3-digit threshold 0: every record is coded at 3 digits")
	}
}
