package pipeline

import (
	"fmt"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/coding"
)

// A long-running process that codes with many models (models are never deleted; a tenant may
// train one a day) keeps only the maxCachedModels used most recently, not every model it ever
// loaded.
func TestCoderCacheKeepsTheModelsUsedMostRecently(t *testing.T) {
	var c coderCache
	models := map[string]*coding.Model{}
	id := func(i int) string { return fmt.Sprintf("model-%d", i) }
	for i := 0; i < 3*maxCachedModels; i++ {
		models[id(i)] = new(coding.Model)
		c.put(id(i), models[id(i)])
		if i == 0 {
			continue
		}
		// model-0 is used by every job meanwhile (the shipped model, say): it stays.
		if got := c.get(id(0)); got != models[id(0)] {
			t.Fatalf("after %d models, the model in constant use was dropped", i+1)
		}
	}
	if len(c.m) != maxCachedModels || len(c.order) != maxCachedModels {
		t.Fatalf("the cache holds %d models (order %d) after %d were used, want %d", len(c.m), len(c.order), 3*maxCachedModels, maxCachedModels)
	}
	for i := 3*maxCachedModels - (maxCachedModels - 1); i < 3*maxCachedModels; i++ {
		if got := c.get(id(i)); got != models[id(i)] {
			t.Errorf("recently used %s is not cached", id(i))
		}
	}
	if got := c.get(id(1)); got != nil {
		t.Errorf("the least recently used model-1 is still cached")
	}
	// Putting a cached id again (two jobs loaded it at once) replaces it without a second entry.
	c.put(id(0), models[id(0)])
	if len(c.m) != maxCachedModels || len(c.order) != maxCachedModels {
		t.Fatalf("putting a cached model again: %d models, order %d", len(c.m), len(c.order))
	}
}
