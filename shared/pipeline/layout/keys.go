// Package layout is where the pipeline keeps things: the object keys of a job's inputs, work and
// outputs (every one carrying its tenant), the rules every key a request names must follow, the
// user-facing locations of keys, and the names of the redacted copies inside output.tar.gz.
package layout

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/job"
)

// Object key layout. Every key carries the tenant right after its top-level prefix, so a key can
// never name another tenant's data, and S3 notifications can filter on "inputs/".
//
//	inputs/<tenant>/<job>/input              uploaded input (line formats)
//	inputs/<tenant>/<job>/files/<name>       uploaded documents (ONE_DOC_PER_FILE)
//	inputs/<tenant>/<anything>               inputs dropped straight into the bucket
//	work/<tenant>/<job>/plan.jsonl           the shard plan (one ShardMessage per line)
//	work/<tenant>/<job>/shards/<n>.jsonl     one shard's output lines
//	work/<tenant>/<job>/shards/<n>.dead.jsonl  a dead-lettered shard's SHARD_FAILED records
//	work/<tenant>/<job>/errors/<n>[.dead].jsonl  a shard's error records alone (the errors route)
//	outputs/<tenant>/<job>/output.tar.gz     the results
//	outputs/<tenant>/<job>/manifest.json     what the job was and did
const (
	InputsPrefix  = "inputs/"
	WorkPrefix    = "work/"
	OutputsPrefix = "outputs/"
)

// FolderMarker reports whether key is a "folder" marker: a key ending in "/" (the S3 console's
// "Create folder" writes one, zero bytes), which is never a document, an upload or a file of an
// input.
func FolderMarker(key string) bool { return strings.HasSuffix(key, "/") }

var tenantRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidTenant reports whether t can be used as a tenant id (it becomes part of object keys).
func ValidTenant(t string) bool { return tenantRE.MatchString(t) }

// TenantInputs is the prefix under which a tenant's inputs live.
func TenantInputs(tenant string) string { return InputsPrefix + tenant + "/" }

// UploadKey is where the presigned upload of a line-format job lands.
func UploadKey(tenant, jobID string) string { return InputsPrefix + tenant + "/" + jobID + "/input" }

// UploadFilesPrefix is where the presigned uploads of a ONE_DOC_PER_FILE job land.
func UploadFilesPrefix(tenant, jobID string) string {
	return InputsPrefix + tenant + "/" + jobID + "/files/"
}

// JobWork is the folder of a job's intermediate objects (its plan, shards, error records).
func JobWork(tenant, jobID string) string { return WorkPrefix + tenant + "/" + jobID + "/" }

// PlanKey is the job's shard plan.
func PlanKey(tenant, jobID string) string { return JobWork(tenant, jobID) + "plan.jsonl" }

// ShardKey is where shard n's output lines are written when it is analysed, compressed as one
// segment (output.Member). Records written before segments name the key their gzip member was
// written to (…/shards/%06d.jsonl): segments have keys of their own, so that a redelivered
// message of such a shard, analysed again by this version, cannot replace the member its record
// describes (found in review).
func ShardKey(tenant, jobID string, n int) string {
	return fmt.Sprintf("%sshards/%06d.seg", JobWork(tenant, jobID), n)
}

// DeadLetterKey is where shard n's SHARD_FAILED records are written when it is dead-lettered: an
// object of its own, so that neither outcome can overwrite the other's results; the shard record
// names the one that counts (ShardRecord.ResultKey).
func DeadLetterKey(tenant, jobID string, n int) string {
	return fmt.Sprintf("%sshards/%06d.dead.seg", JobWork(tenant, jobID), n)
}

// ErrorsKey is where shard n's error records are written (uncompressed JSON lines, the same
// lines as in the archive) for the errors route; dead says they are a dead-lettered shard's.
func ErrorsKey(tenant, jobID string, n int, dead bool) string {
	if dead {
		return fmt.Sprintf("%serrors/%06d.dead.jsonl", JobWork(tenant, jobID), n)
	}
	return fmt.Sprintf("%serrors/%06d.jsonl", JobWork(tenant, jobID), n)
}

// OutputPrefix is the default output location of a job.
func OutputPrefix(tenant, jobID string) string {
	return OutputsPrefix + tenant + "/" + jobID + "/"
}

// UploadJob names the job whose upload key is key (inputs/<tenant>/<job>/…); ok is false for
// other keys.
func UploadJob(key string) (tenant, jobID string, ok bool) {
	tenant, jobID, _, ok = ParseUploadKey(key)
	return tenant, jobID, ok
}

// ParseUploadKey splits inputs/<tenant>/<job>/… into its tenant and job id; ok is false for keys
// that are not a job's upload.
func ParseUploadKey(key string) (tenant, jobID, rest string, ok bool) {
	if !strings.HasPrefix(key, InputsPrefix) {
		return "", "", "", false
	}
	parts := strings.SplitN(strings.TrimPrefix(key, InputsPrefix), "/", 3)
	if len(parts) != 3 || !ValidTenant(parts[0]) || parts[1] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// Locations renders object keys as user-facing URIs ("s3://bucket/key" on AWS,
// "file:///data/objects/key" locally) and parses them back.
type Locations struct {
	// Base is prepended to a key, e.g. "s3://my-bucket/".
	Base string
	// Aliases are other prefixes that name the same store in requests (locally
	// "s3://ream-local/", the bucket the Comprehend surface names), never in answers.
	Aliases []string
}

// URI returns the user-facing location of key.
func (l Locations) URI(key string) string { return l.Base + key }

// Key returns the object key a URI names, or an ErrInvalid error if it is outside this store.
func (l Locations) Key(uri string) (string, error) {
	for _, base := range append([]string{l.Base}, l.Aliases...) {
		if key, ok := strings.CutPrefix(uri, base); ok && key != "" {
			return key, nil
		}
	}
	return "", fmt.Errorf("%w: location %q is not in this deployment's store (expected %s…)", job.ErrInvalid, uri, l.Base)
}

// Limits on object keys that every store accepts (S3 allows more; a file system does not), and
// the segment prefix the stores keep for themselves (the local store's in-progress uploads).
const (
	MaxKeyBytes           = 1024
	MaxSegmentBytes       = 255
	ReservedSegmentPrefix = ".ream-"
)

// CheckKey refuses keys no store can hold as asked: empty or "."/".." segments (which a file
// system would resolve and S3 would not), control characters, backslashes, over-long keys or
// segments. It is applied to every key a request names before anything is stored.
func CheckKey(what, key string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s %q %s", job.ErrInvalid, what, key, why)
	}
	if len(key) > MaxKeyBytes {
		return bad(fmt.Sprintf("is longer than %d bytes", MaxKeyBytes))
	}
	if !utf8.ValidString(key) {
		return bad("is not valid UTF-8")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return bad("contains a control character or a backslash")
		}
	}
	for _, seg := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return bad("has an empty, \".\" or \"..\" path segment")
		case len(seg) > MaxSegmentBytes:
			return bad(fmt.Sprintf("has a path segment longer than %d bytes", MaxSegmentBytes))
		case strings.HasPrefix(seg, ReservedSegmentPrefix):
			return bad(fmt.Sprintf("has a path segment starting with %q (reserved)", ReservedSegmentPrefix))
		}
	}
	return nil
}
