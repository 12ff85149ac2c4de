package droprule

import (
	"testing"

	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// FuzzParseKey checks the drop folders' keys both ways: a key ParseKey or InTenantFolder
// accepts is rebuilt exactly from the parts it returns, with a valid tenant and, for ParseKey, a
// non-empty rel; a valid tenant and rule name with a non-empty rel read back as themselves; and a
// job's upload key is never taken for a drop rule's object.
func FuzzParseKey(f *testing.F) {
	f.Add("inputs/t1/drop/reviews/a.txt", "t1", "reviews", "a.txt")
	f.Add("inputs/t1/drop/docs/batch/sub/_SUCCESS", "t1", "docs", "batch/.hidden/_SUCCESS")
	f.Add("inputs/t1/drop/reviews/", "t1", "re-views_2", "/")
	f.Add("inputs/t1/drop/notarule", "t1", "", "x")
	f.Add("inputs/-bad/drop/x/a.txt", "-bad", "x", "a")
	f.Add("inputs/t1/drop//a", "t1", "drop", "drop/x")
	f.Fuzz(func(t *testing.T, key, tenant, rule, rel string) {
		if tn, r, rl, ok := ParseKey(key); ok {
			if !layout.ValidTenant(tn) || rl == "" || layout.InputsPrefix+tn+"/"+segment+"/"+r+"/"+rl != key {
				t.Fatalf("ParseKey(%q) = %q %q %q", key, tn, r, rl)
			}
		}
		if tn, name, ok := InTenantFolder(key); ok {
			if !layout.ValidTenant(tn) || name == "" || TenantPrefix(tn)+name != key {
				t.Fatalf("InTenantFolder(%q) = %q %q", key, tn, name)
			}
		}
		if !layout.ValidTenant(tenant) || !ValidName(rule) || rel == "" {
			return
		}
		k := Prefix(tenant, rule) + rel
		if tn, r, rl, ok := ParseKey(k); !ok || tn != tenant || r != rule || rl != rel {
			t.Fatalf("ParseKey(%q) = %q %q %q %v", k, tn, r, rl, ok)
		}
		if CheckName(rule) != nil {
			t.Fatalf("CheckName refuses the valid name %q", rule)
		}
		if _, _, ok := InTenantFolder(k); ok {
			t.Fatalf("InTenantFolder(%q): an object in rule %q's folder taken for one in the tenant's drop folder", k, rule)
		}
	})
}
