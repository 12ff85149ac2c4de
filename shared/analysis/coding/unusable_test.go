package coding

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Unusable is the rule Train applies: the records it finds no fault with are exactly those Train
// counts as usable (found from outside: a code with a space around it was trained on while the
// job's output said it was not used, and a record of "-" and "?" was not trained on while the
// output said nothing).
func TestUnusableIsTrainsRule(t *testing.T) {
	sc := SOC2010()
	examples := []Example{
		{Code: "223", Occp: "nurse", Tasks: ""},
		{Code: " 223", Occp: "spaced code", Tasks: ""},
		{Code: "223", Occp: "-", Tasks: "?"},
		{Code: "223", Occp: "", Tasks: "caring for patients"},
		{Code: "", Occp: "no code", Tasks: ""},
		{Code: "22", Occp: "two digit", Tasks: ""},
		{Code: "999", Occp: "unknown code", Tasks: ""},
		{Code: "2231", Occp: "four digit", Tasks: ""},
		{Code: "113", Occp: "I", Tasks: "the"},
	}
	want := map[int]string{2: "no word to learn from", 4: `no "code"`, 5: "not a minor group", 6: "not a minor group", 7: "not a minor group", 8: "no word"}
	usable := 0
	for i, e := range examples {
		why := Unusable(sc, e)
		if why == "" {
			usable++
		}
		if w, bad := want[i]; bad != (why != "") || bad && !strings.Contains(why, w) {
			t.Errorf("%+v: %q; want %q", e, why, w)
		}
	}
	_, err := Train(context.Background(), func() (Examples, error) { return SliceExamples(examples), nil }, TrainOptions{})
	var few *TooFewExamplesError
	if !errors.As(err, &few) {
		t.Fatalf("Train on %d records: %v; want too few", len(examples), err)
	}
	if few.Usable() != usable {
		t.Fatalf("Train used %d records, Unusable passes %d", few.Usable(), usable)
	}
}
