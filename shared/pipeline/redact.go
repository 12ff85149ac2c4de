package pipeline

import (
	"context"
	"errors"
	"path"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Redacted copies (PII jobs with a RedactionConfig): each shard writes its part through
// redaction.Writer (see there); Finalize joins the parts into output.tar.gz's entries.

// redactedEntry is an archive entry of a line job's redacted copies, Name of Size bytes, held by
// the segments Parts in order. For ONE_DOC_PER_FILE the segments hold whole entries and Name is "".
type redactedEntry struct {
	Name  string
	Size  int64
	Parts []archivePart
}

// redactedEntries returns a job's redacted copies as archive entries, in shard order: for a line
// input one entry per input file (the shards of a file are consecutive; a file whose shards were
// all skipped has none), named by the file as the output's File names it; for ONE_DOC_PER_FILE
// one run of members holding whole entries. Shard records written before they carried their
// File (a rolling deploy) all go to one entry named after the input, as they used to.
func (s *Service) redactedEntries(ctx context.Context, j *job.Job, recs []ShardRecord) []redactedEntry {
	if j.RedactOutput == nil || !j.Has(job.PII) {
		return nil
	}
	// The copy of a line input is named after it; a retry child's input is its own file of the
	// documents re-run, but its copy is named as its parent's, after the input its output lines'
	// File names.
	inputName := path.Base(j.InputKey)
	if j.ParentJobId != "" {
		if parent, err := s.jobs.Get(ctx, j.Tenant, j.ParentJobId); err == nil {
			inputName = s.retryCopyName(ctx, parent)
		} else if k, err := s.cfg.Locations.Key(j.InputDataConfig.S3Uri); err == nil {
			inputName = path.Base(k) // the parent has expired: its input location's name
		}
	}
	var out []redactedEntry
	for _, r := range recs {
		if r.Skipped || r.Documents == 0 && r.RedactedBytes == 0 {
			continue // no documents (a file of only a byte-order mark): no copy, as for an empty file
		}
		name := ""
		if j.InputDataConfig.InputFormat.LineFormat() {
			name = layout.RedactedEntryName(inputName)
			if r.File != "" && j.ParentJobId == "" { // (a retry's one input is no file of its parent's)
				name = layout.RedactedEntryName(r.File)
			}
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, redactedEntry{Name: name})
		}
		e := &out[len(out)-1]
		e.Parts = append(e.Parts, archivePart{layout.RedactedPartKey(j.Tenant, j.JobId, r.Index, r.Failed, !r.Deflate), r.RedactedCRC, r.RedactedBytes, !r.Deflate})
		e.Size += r.RedactedBytes
	}
	if len(out) == 0 && j.InputDataConfig.InputFormat.LineFormat() {
		// Every shard was skipped: an empty copy, as before a shard ran.
		out = append(out, redactedEntry{Name: layout.RedactedEntryName(inputName)})
	}
	return out
}

// errSecondFile stops retryCopyName's listing at a second file.
var errSecondFile = errors.New("a second file")

// retryCopyName is the name of a retry child's redacted copy of parent's line input: the base
// name of its object or folder, and for files uploaded through UploadFiles (not a folder the
// client named) the one file's name, or "input" when there were several (found from outside:
// the copy was named "files", the service's upload folder).
func (s *Service) retryCopyName(ctx context.Context, parent *job.Job) string {
	if parent.InputKey != layout.UploadFilesPrefix(parent.Tenant, parent.JobId) {
		return path.Base(parent.InputKey)
	}
	var keys []string
	err := s.objects.List(ctx, parent.InputKey, func(o ObjectInfo) error {
		if keys = append(keys, o.Key); len(keys) > 1 {
			return errSecondFile
		}
		return nil
	})
	if err == nil && len(keys) == 1 {
		return fileName(parent, keys[0])
	}
	return "input"
}
