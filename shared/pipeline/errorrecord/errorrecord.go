// Package errorrecord reads a job's error records as the errors route and retries see them: the
// per-document error codes a request may name, a record's codes, the filters on them, reading
// a shard's error records object (Read) and the errors route's pages and tokens (Page).
package errorrecord

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
)

// documentCodes are the per-document error codes: those a retry may name and the errors
// route may filter on (DocumentCode checks both).
var documentCodes = []string{job.CodeUnsupportedEncoding, job.CodeDocumentSizeExceeded, job.CodeEmptyDocument,
	job.CodeInvalidRecord, job.CodeUnsupportedLanguage, job.CodeInternalError, job.CodeShardFailed, job.CodeUnreadableFile}

// DocumentCode returns c, in upper case, if it is a per-document error code; else an
// ErrInvalid error that names field and lists the codes.
func DocumentCode(field, c string) (string, error) {
	if u := strings.ToUpper(c); slices.Contains(documentCodes, u) {
		return u, nil
	}
	return "", fmt.Errorf("%w: %s: %q is not a per-document error code (one of %s)", job.ErrInvalid, field, c, strings.Join(documentCodes, ", "))
}

// matcher returns the filter f applies to one encoded error record of job j. In a job of
// several analyses, ErrorCode matches the record's own code or a failed analysis's, Analysis
// matches a failed analysis, and both together match one failed analysis with that code. In a
// one-analysis job every error record is that analysis's.
func matcher(j *job.Job, f api.ErrorsFilter) func([]byte) bool {
	if f.ErrorCode == "" && f.Analysis == "" {
		return func([]byte) bool { return true }
	}
	var codes []string
	if f.ErrorCode != "" {
		codes = []string{f.ErrorCode}
	}
	oneAnalysis := len(j.Analyses) == 1
	return func(line []byte) bool {
		r, ok := Parse(line)
		switch {
		case !ok:
			return false
		case oneAnalysis:
			return f.ErrorCode == "" || r.ErrorCode == f.ErrorCode
		}
		return r.FailedWith(f.Analysis, codes...)
	}
}

// Record is what the errors route and retries read of an encoded error record.
type Record struct {
	File      string
	Line      *int64
	ErrorCode string
	Errors    []output.AnalysisError
}

// Parse reads an encoded error record; ok is false for a line that is not one.
func Parse(line []byte) (Record, bool) {
	var r Record
	return r, json.Unmarshal(line, &r) == nil
}

// FailedWith reports whether the record failed with one of codes (any code when there are none)
// in analysis a, or in any analysis when a is "": a failed analysis's code, or, when a is "", the
// record's own ErrorCode too.
func (r Record) FailedWith(a job.Analysis, codes ...string) bool {
	has := func(c string) bool { return len(codes) == 0 || slices.Contains(codes, c) }
	if a == "" && r.ErrorCode != "" && has(r.ErrorCode) {
		return true
	}
	for _, e := range r.Errors {
		if (a == "" || e.Analysis == a) && has(e.ErrorCode) {
			return true
		}
	}
	return false
}
