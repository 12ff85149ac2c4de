package handlers

import "testing"

// TestComprehendJobIDs: a job id shown without its dashes comes back in Ream's form; upper case,
// other lengths and non-hex ids are used as they are (and then not found).
func TestComprehendJobIDs(t *testing.T) {
	const id = "67ee2d8a-930f-49fc-9bd9-1916c2637e16"
	if c := comprehendJobID(id); c != "67ee2d8a930f49fc9bd91916c2637e16" || reamJobID(c) != id {
		t.Errorf("round trip: %q → %q → %q", id, c, reamJobID(c))
	}
	for _, other := range []string{id, "67EE2D8A930F49FC9BD91916C2637E16", "67ee2d8a930f49fc9bd91916c2637e1g", "short"} {
		if got := reamJobID(other); got != other {
			t.Errorf("reamJobID(%q) = %q, want it unchanged", other, got)
		}
	}
}
