package droprule

import "testing"

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		key               string
		tenant, rule, rel string
		ok                bool
	}{
		{"inputs/t1/drop/reviews/a.txt", "t1", "reviews", "a.txt", true},
		{"inputs/t1/drop/docs/batch/sub/_SUCCESS", "t1", "docs", "batch/sub/_SUCCESS", true},
		{"inputs/t1/drop/reviews/", "", "", "", false},   // the folder itself
		{"inputs/t1/drop/reviews", "", "", "", false},    // no object name
		{"inputs/t1/job-id/input", "", "", "", false},    // a job's upload
		{"inputs/t1/dropped/x/a.txt", "", "", "", false}, // not the drop folder
		{"outputs/t1/drop/x/a.txt", "", "", "", false},
		{"inputs/-bad/drop/x/a.txt", "", "", "", false}, // not a tenant
	} {
		tenant, rule, rel, ok := ParseKey(tc.key)
		if ok != tc.ok || tenant != tc.tenant || rule != tc.rule || rel != tc.rel {
			t.Errorf("ParseKey(%q) = %q %q %q %v; want %q %q %q %v", tc.key, tenant, rule, rel, ok, tc.tenant, tc.rule, tc.rel, tc.ok)
		}
	}
}
