package entities

import (
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// TestPersonsHandedOnOnlyWhenAsked: ENTITIES hands its person spans on (Result.Persons) only
// when an analysis after it reads them (Options.HandOnPersons: PII in the job); a job without
// one does not pay for the copy.
func TestPersonsHandedOnOnlyWhenAsked(t *testing.T) {
	a, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	text := "Barack Obama met Angela Merkel in Berlin."
	var alone result.Result
	if err := a.Analyze(text, result.Options{}, &alone); err != nil {
		t.Fatal(err)
	}
	if alone.Persons != nil {
		t.Errorf("ENTITIES alone handed on %+v; want nothing", alone.Persons)
	}
	var asked result.Result
	if err := a.Analyze(text, result.Options{HandOnPersons: true}, &asked); err != nil {
		t.Fatal(err)
	}
	if asked.Persons == nil || len(asked.Persons.Spans) != 2 {
		t.Fatalf("asked to hand on: %+v; want the two persons", asked.Persons)
	}
	if len(asked.Entities) != len(alone.Entities) {
		t.Errorf("entities differ: %d asked, %d alone", len(asked.Entities), len(alone.Entities))
	}
}
