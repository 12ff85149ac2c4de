// Package port holds the values the pipeline's ports carry: an object's description (ObjectInfo),
// a shard's durable record (ShardRecord) and a queue message (ShardMessage). The ports themselves
// (Objects, Jobs, Queue, …) stay declared in shared/pipeline, where they are used; their values
// live here, a leaf, so that the pipeline's subpackages can take them without importing it.
// shared/pipeline names each of them (pipeline.ShardRecord is port.ShardRecord).
package port

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key          string
	Size         int64
	LastModified time.Time
	// ETag identifies the object's content version, without quotes: S3's ETag; locally the
	// file's size and modification time (see shared/local.ETag). Drop rules use it, with the
	// key, as the idempotency token of the job an object starts.
	ETag string
}

// ShardRecord is the durable record that shard Index of a job was accounted for. It is written
// at most once per (tenant, job, shard), in the same transaction as the job's counters.
type ShardRecord struct {
	Index int `json:"Index"`
	// Documents is how many documents the shard held (= output lines it contributes).
	Documents int64 `json:"Documents"`
	// Errors is how many of them are error records.
	Errors int64 `json:"Errors"`
	// Skipped is true when the shard was not processed because the job was stopping; it
	// contributes no output lines.
	Skipped bool `json:"Skipped,omitempty"`
	// Failed is true when the shard was dead-lettered and its documents written as error records.
	Failed bool `json:"Failed,omitempty"`
	// ResultKey is the object holding the shard's output lines compressed ("" when Skipped),
	// Bytes their size before compression (what the archive's tar header adds up) and CRC their
	// CRC-32 (what the archive's gzip trailer combines).
	ResultKey string `json:"ResultKey,omitempty"`
	Bytes     int64  `json:"Bytes,omitempty"`
	CRC       uint32 `json:"CRC,omitempty"`
	// RedactedBytes is the size before compression of the shard's redacted copy (line formats
	// of PII jobs with a RedactionConfig), RedactedCRC its CRC-32, compressed as the results are.
	RedactedBytes int64  `json:"RedactedBytes,omitempty"`
	RedactedCRC   uint32 `json:"RedactedCRC,omitempty"`
	// Deflate is true when the compressed objects are DEFLATE segments (output.Member) that
	// the archive joins into one gzip member; records written before it hold gzip members.
	Deflate bool `json:"Deflate,omitempty"`
	// File is the input file the shard read, as the output's File names it (line formats):
	// the redacted copies of a many-file input are one archive entry per file.
	File string `json:"File,omitempty"`
	// InputBytes is the size of the input the shard covered (ShardMessage.Bytes).
	InputBytes int64 `json:"InputBytes,omitempty"`
	// Analysed, when set, is what the record adds to ProcessedDocumentsCount instead of
	// Documents-Errors (see Processed).
	Analysed *int64 `json:"Analysed,omitempty"`
	// Analyses counts, per analysis, the shard's documents it succeeded and failed on.
	Analyses job.AnalysisCounts `json:"Analyses,omitempty"`
	// ErrorsKey is the object holding the shard's error records alone, as JSON lines (""
	// when it has none): what GET /v1/jobs/{id}/errors pages through without the archive.
	ErrorsKey string    `json:"ErrorsKey,omitempty"`
	Recorded  time.Time `json:"Recorded"`
}

// Processed is what the record adds to the job's ProcessedDocumentsCount: its documents that
// are not error records, or Analysed when set. TOPICS jobs set it, as they read a shard's
// documents in one stage and analyse them in a later one: the count stage's record adds the
// documents (Documents) and the unreadable ones (Errors) but none as processed (Analysed 0), and
// the assign stage's adds the documents given topics (Analysed) and those that could not be
// (Errors), so that the counter only grows.
func (r ShardRecord) Processed() int64 {
	if r.Analysed != nil {
		return *r.Analysed
	}
	return r.Documents - r.Errors
}

// ShardMessage is the body of one queue message: which part of which job's input to process.
type ShardMessage struct {
	Tenant string `json:"tenant"`
	JobId  string `json:"jobId"`
	Index  int    `json:"shard"`
	// Key is the input object (line formats: the one object, or one of the objects under the
	// input's prefix); the shard covers documents starting in [Start, End).
	Key   string `json:"key,omitempty"`
	Start int64  `json:"start,omitempty"`
	End   int64  `json:"end,omitempty"`
	// LineOffset is the line number of the shard's first document (counted at planning), so
	// the shard writes global line numbers.
	LineOffset int64 `json:"line,omitempty"`
	// Lines is how many documents the shard owns (counted at planning).
	Lines int64 `json:"lines,omitempty"`
	// Version is the input object's version (size and time) when the job reads several
	// objects (a prefix); a shard whose object no longer has it fails the job. A one-object job
	// keeps its version on the job (InputVersion).
	Version string `json:"version,omitempty"`
	// Unreadable marks the shard of a file of a many-file line input whose name the store
	// refuses (found at planning): it owns one document, the file's UNREADABLE_FILE record
	// (Line 0), and is not read.
	Unreadable bool `json:"unreadable,omitempty"`
	// Files are the input objects of a ONE_DOC_PER_FILE shard, and FileVersions their versions
	// as listed at planning (fileVersion); a shard one of whose files no longer has it fails
	// the job, as a line shard whose object changed does.
	Files        []string `json:"files,omitempty"`
	FileVersions []string `json:"fileVersions,omitempty"`
	// FileLines, set, makes the shard one of a line input read from a prefix that holds
	// several whole small files (Files, with FileVersions as a ONE_DOC_PER_FILE shard's): the
	// documents each file holds, counted at planning (Lines is their sum). Each file's lines are
	// numbered from 0, as its own.
	FileLines []int64 `json:"fileLines,omitempty"`
	// Bytes is the size of the input the shard covers (its byte range, or its files' sizes):
	// what the job's progress and completion estimate count.
	Bytes int64 `json:"bytes,omitempty"`
	// Plan asks a worker to plan the job instead (a job created with an input location where
	// Config.PlanInWorker is set): the message names no shard.
	Plan bool `json:"plan,omitempty"`
	// Finalize asks a worker to finalize the job instead (the sweeper's or a restart's request,
	// so that a long finalization, such as a TOPICS reduce, runs on a worker and not inside the
	// sweep): it names the claim the requester took for it (job.Job.FinalizeClaimedBy), which
	// the worker takes over. The message names no shard.
	Finalize string `json:"finalize,omitempty"`
}

// CountsLines reports whether planning counted the shard's documents (Lines): a line shard,
// of one object's byte range or of several whole files (FileLines); not a ONE_DOC_PER_FILE one.
func (m ShardMessage) CountsLines() bool {
	return m.Key != "" || len(m.FileLines) > 0
}

// Group is the message group a queue delivers fairly against the others: the job's (the local
// queue takes turns between groups; on AWS it is the SQS MessageGroupId, which a fair queue
// uses the same way). It is "<tenant>/<job id>" when that fits SQS's 128 characters, else
// (a tenant id of more than 91 characters) that string's SHA-256 in hex, 64 characters, which
// no "<tenant>/<job id>" can equal (it has no "/").
func (m ShardMessage) Group() string {
	g := m.Tenant + "/" + m.JobId
	if len(g) <= maxGroupLen {
		return g
	}
	sum := sha256.Sum256([]byte(g))
	return hex.EncodeToString(sum[:])
}

// maxGroupLen is the longest SQS MessageGroupId.
const maxGroupLen = 128

// ScannedJob is one job of a page of Jobs.ScanPage, with the cursor that resumes the scan right
// after it: a reader that stops inside a page resumes from the last job it dealt with.
type ScannedJob struct {
	Job   *job.Job
	After string
}

// SweepState is what the sweeper keeps between its runs about a resumable pass (the expiry pass
// over finished jobs): when the pass started, where it is (a status and the cursor of
// Jobs.ScanPage in it), and whether it is done. Version is the store's optimistic-concurrency
// token: 0 for a state never stored.
type SweepState struct {
	PassStarted time.Time
	Status      job.Status
	Cursor      string
	Done        bool
	Version     int64
}
