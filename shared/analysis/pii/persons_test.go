package pii

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/ream-dev/ream/shared/analysis/entities"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// TestPIIReusesEntitiesPersons: PII given the person spans the ENTITIES analyser handed on
// (Result.Persons, passed as Options.Persons) finds exactly what it finds alone, without
// running the ENTITIES model again, on this package's test texts (generated, unseen, hard
// negatives) as they are, in NFD, in capitals; so does a detector of some types, NAME among
// them. A value found in another text, or none, makes it run the model itself.
func TestPIIReusesEntitiesPersons(t *testing.T) {
	var texts []string
	for _, d := range generate(11, 300) {
		texts = append(texts, d.text)
	}
	for _, c := range unseenCases {
		texts = append(texts, c.text)
	}
	texts = append(texts, "Barack Obama met the press in Chicago.", "Rory Stewart spoke first, and then Stewart left.",
		"Copyright 2009 The Go Authors. All rights reserved.", "Tel (020) 7946 0958", "no capitals: jane roe")
	for _, s := range texts[:100] {
		texts = append(texts, norm.NFD.String(s+" José Lefèvre and Zoë Ångström"), strings.ToUpper(s))
	}
	ents, err := entities.New(entities.Config{})
	if err != nil {
		t.Fatal(err)
	}
	all := newPIITest(t)
	some, err := New(Config{Types: []string{Name, Email, Phone}})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range texts {
		var r result.Result
		if err := ents.Analyze(text, result.Options{HandOnPersons: true}, &r); err != nil {
			t.Fatal(err)
		}
		if r.Persons == nil {
			t.Fatalf("%q: ENTITIES handed on no person spans", text)
		}
		before := entities.ModelRuns()
		if err := all.Analyze(text, result.Options{Persons: r.Persons}, &r); err != nil {
			t.Fatal(err)
		}
		gotSome, _ := some.DetectWith(text, r.Persons)
		if n := entities.ModelRuns() - before; n != 0 {
			t.Errorf("%q: the ENTITIES model ran %d more times", text, n)
		}
		if want := all.Detect(text); !reflect.DeepEqual(r.PiiEntities, want) {
			t.Errorf("%q: with ENTITIES' persons %v; alone %v", text, r.PiiEntities, want)
		}
		if want := some.Detect(text); !reflect.DeepEqual(gotSome, want) {
			t.Errorf("%q: NAME, EMAIL, PHONE with ENTITIES' persons %v; alone %v", text, gotSome, want)
		}
	}
	// Spans of another text, or of a finder with other lists, are not taken.
	other, err := entities.New(entities.Config{NoKnownOrganizations: true})
	if err != nil {
		t.Fatal(err)
	}
	text := "Barack Obama met the press in Chicago."
	var r, r2 result.Result
	if err := other.Analyze(text, result.Options{HandOnPersons: true}, &r); err != nil {
		t.Fatal(err)
	}
	if err := ents.Analyze("Barack Obama met the press.", result.Options{HandOnPersons: true}, &r2); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*result.Persons{r.Persons, r2.Persons} {
		before := entities.ModelRuns()
		got, used := all.DetectWith(text, p)
		if n := entities.ModelRuns() - before; n != 1 || used == p || !reflect.DeepEqual(got, all.Detect(text)) {
			t.Errorf("persons %+v: %d runs, handed on %p (given %p), spans %v", p, n, used, p, got)
		}
	}
}
