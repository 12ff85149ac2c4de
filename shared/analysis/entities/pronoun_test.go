package entities

import (
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// TestEntitiesPronounI: the pronoun "I" is never an entity.
func TestEntitiesPronounI(t *testing.T) {
	a := newEntities(t)
	var r result.Result
	if err := a.Analyze("Yesterday I met Sarah Connor and I liked her.", result.Options{}, &r); err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Entities {
		if e.Text == "I" {
			t.Errorf("the pronoun I came out as %s", e.Type)
		}
	}
	if len(r.Entities) == 0 {
		t.Error("no entities at all; want at least Sarah Connor")
	}
}
