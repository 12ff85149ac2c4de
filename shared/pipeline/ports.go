package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// The ports the use cases need. Each adapter set (shared/local, shared/aws) implements them and
// asserts it with `var _ pipeline.X = (*Impl)(nil)`. The conformance suite in
// shared/pipeline/porttest runs the same assertions against every implementation.

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

// Objects is the object store (S3, or files under a data directory).
type Objects interface {
	// Put stores r under key, streaming (never buffering the whole body); it replaces any
	// existing object atomically: readers see the old or the new object, never a mix.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open streams the object from byte offset to its end. ErrNotFound if it does not exist.
	// Callers may close early.
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	// Head returns the object's size and time. ErrNotFound if it does not exist.
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// List calls fn for every object under prefix in lexical key order, paginating as needed.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Compose writes into key the concatenation of the objects srcs, in order, replacing key
	// atomically; the store does the copying (S3: UploadPartCopy; local: the kernel), so the
	// caller's work grows with len(srcs), not with the bytes. A missing source is ErrNotFound
	// and leaves key as it was.
	Compose(ctx context.Context, key string, srcs []string) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// PresignPut returns a URL that uploads exactly key until now+ttl.
	PresignPut(ctx context.Context, key string, ttl time.Duration) (api.Presigned, error)
	// PresignGet returns a URL that downloads exactly key until now+ttl.
	PresignGet(ctx context.Context, key string, ttl time.Duration) (api.Presigned, error)
}

// KMSObjects is an Objects that can encrypt what it writes under a KMS key the caller names
// (S3's SSE-KMS). A job's OutputDataConfig.KmsKeyId is honoured only on such a store: its
// outputs (output.tar.gz, manifest.json, a coding operation's files) are written through
// WithKMSKey's view; CreateJob refuses a KmsKeyId on any other store (the local stack), so the
// field is never silently ignored.
type KMSObjects interface {
	Objects
	// WithKMSKey returns the same store whose Put and Compose encrypt the objects they write
	// under keyID (a key id, key ARN, alias name or alias ARN) instead of the store's default.
	// A write the key refuses (unknown, disabled, not usable by the caller) fails with an error
	// wrapping job.ErrInvalid: retrying cannot help.
	WithKMSKey(keyID string) Objects
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

// Jobs is the job store (DynamoDB, or SQLite).
type Jobs interface {
	// Create stores a new job. If j.ClientRequestToken is set and the tenant already used it, the
	// stored job is returned with created=false (the caller compares RequestHash); otherwise
	// created=true.
	Create(ctx context.Context, j *job.Job) (stored *job.Job, created bool, err error)
	// Get returns the tenant's job, or ErrNotFound (also for another tenant's job). For a job
	// IN_PROGRESS or STOP_REQUESTED it fills in JobDetails.RecentDocuments: the documents of the
	// shards recorded within job.RateWindow before now.
	Get(ctx context.Context, tenant, id string) (*job.Job, error)
	// Update writes j if the stored job still has status expect and version j.Version; on
	// success j.Version is incremented. Otherwise ErrConflict (or ErrNotFound).
	Update(ctx context.Context, j *job.Job, expect job.Status) error
	// List returns the tenant's jobs, newest first, filtered, with an opaque next token.
	List(ctx context.Context, tenant string, f api.ListFilter) (jobs []*job.Job, next string, err error)
	// RecordShard writes rec for the job and, in the same transaction, adds its counts to the
	// job's JobDetails (documents, rec.Processed(), errors, analyses, bytes, ShardsDone+1). If the shard was already recorded it
	// changes nothing and returns applied=false. It returns the job as it is after the call.
	RecordShard(ctx context.Context, tenant, id string, rec ShardRecord) (after *job.Job, applied bool, err error)
	// Shards returns the job's shard records in index order.
	Shards(ctx context.Context, tenant, id string) ([]ShardRecord, error)
	// Scan calls fn for jobs of every tenant in the given statuses (for the sweeper).
	Scan(ctx context.Context, statuses []job.Status, fn func(*job.Job) error) error
	// Delete removes the job, its shard records and its idempotency token (an expired job).
	// Deleting a job that does not exist is not an error.
	Delete(ctx context.Context, tenant, id string) error
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

// Queue carries shard messages to the workers (SQS, or the SQLite queue).
type Queue interface {
	// Send enqueues every message or returns an error; partial failures are retried inside.
	Send(ctx context.Context, msgs []ShardMessage) error
}

// Notifier publishes job notifications (SNS, or the local topic).
type Notifier interface {
	Publish(ctx context.Context, n api.Notification) error
}

// Models is the registry of coding models (DynamoDB, or SQLite): immutable records, each naming
// its model file in the object store.
type Models interface {
	// Register stores m. If a model with m.ModelId exists already it changes nothing and returns
	// the stored record with created=false (registering a shipped model at every start is
	// harmless). If another model holds (m.Tenant, m.Topic, m.ModelVersion) it returns
	// ErrConflict (the caller picks the next version and retries).
	Register(ctx context.Context, m api.Model) (stored api.Model, created bool, err error)
	// Get returns the model modelID if tenant may see it (its own, or a shipped one with
	// Tenant ""), else ErrNotFound (also for another tenant's model).
	Get(ctx context.Context, tenant, modelID string) (api.Model, error)
	// List returns the models of topic that tenant may see (shipped and its own), by
	// ModelVersion, then ModelId.
	List(ctx context.Context, tenant, topic string) ([]api.Model, error)
}
