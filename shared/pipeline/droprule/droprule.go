// Package droprule holds what a drop rule is apart from the jobs it starts: the names a rule may
// have, the folders under a tenant's inputs where objects are dropped, which dropped objects are
// documents, and the rules themselves (Rules, over their Store).
//
//	inputs/<tenant>/drop/<rule>/<name>                 line formats: one job per object
//	inputs/<tenant>/drop/<rule>/<batch>/_SUCCESS       ONE_DOC_PER_FILE: one job over the batch's
//	                                                   objects (markers and hidden names excluded)
package droprule

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Marker is the object that closes a ONE_DOC_PER_FILE batch under a drop rule's folder.
const Marker = "_SUCCESS"

// segment is the folder of a tenant's inputs that holds the drop rules' folders.
const segment = "drop"

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidName reports whether name can name a drop rule (it becomes a folder name).
func ValidName(name string) bool { return nameRE.MatchString(name) }

// CheckName refuses a name that cannot name a drop rule, saying what a name may hold.
func CheckName(name string) error {
	if !ValidName(name) {
		return fmt.Errorf("%w: drop rule name %q must be 1-64 ASCII letters (a-z, A-Z), digits, '_' or '-'", job.ErrInvalid, name)
	}
	return nil
}

// TenantPrefix is the folder holding every drop rule folder of a tenant.
func TenantPrefix(tenant string) string { return layout.TenantInputs(tenant) + segment + "/" }

// Prefix is the folder of the tenant's drop rule name.
func Prefix(tenant, name string) string { return TenantPrefix(tenant) + name + "/" }

// ParseKey splits inputs/<tenant>/drop/<rule>/<rel> into its parts; ok is false for keys
// outside every drop folder (rel is never empty).
func ParseKey(key string) (tenant, rule, rel string, ok bool) {
	if !strings.HasPrefix(key, layout.InputsPrefix) {
		return "", "", "", false
	}
	parts := strings.SplitN(strings.TrimPrefix(key, layout.InputsPrefix), "/", 4)
	if len(parts) != 4 || parts[1] != segment || !layout.ValidTenant(parts[0]) || parts[3] == "" {
		return "", "", "", false
	}
	return parts[0], parts[2], parts[3], true
}

// InTenantFolder reports whether key is inputs/<tenant>/drop/<name>: an object in a tenant's
// drop folder itself, in no rule's folder.
func InTenantFolder(key string) (tenant, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, layout.InputsPrefix)
	if !ok {
		return "", "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 || parts[1] != segment || !layout.ValidTenant(parts[0]) || parts[2] == "" || strings.Contains(strings.TrimSuffix(parts[2], "/"), "/") {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// Hidden reports whether a path segment of rel starts with "." (a copy tool's temporary file,
// .DS_Store): such objects in a drop rule's folder are never documents.
func Hidden(rel string) bool {
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// NonDocument reports whether key, listed under the input of a job a drop rule started (a
// batch folder), is not one of its documents: the batch's marker, or a name with a segment
// (below the batch folder) starting with "." (.DS_Store, a copy tool's temporary file), which
// DropArrived ignores as well. Other jobs' inputs keep every file.
func NonDocument(j *job.Job, key string) bool {
	if j.DropRule == "" {
		return false
	}
	return path.Base(key) == Marker || Hidden(strings.TrimPrefix(key, j.InputKey))
}
