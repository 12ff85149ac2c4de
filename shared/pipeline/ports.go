package pipeline

import (
	"context"
	"io"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/port"
)

// The ports the use cases need. Each adapter set (shared/local, shared/aws) implements them and
// asserts it with `var _ pipeline.X = (*Impl)(nil)`. The conformance suite in
// shared/pipeline/porttest runs the same assertions against every implementation.

// The values the ports carry live in the leaf package port (see there); these are their names
// here, the same types.
type (
	ObjectInfo   = port.ObjectInfo
	ShardRecord  = port.ShardRecord
	ShardMessage = port.ShardMessage
	ScannedJob   = port.ScannedJob
	SweepState   = port.SweepState
)

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
	// OpenInfo streams the whole object and describes the version it streams (its size and
	// ETag, as Head and List give them), from the one request that opens it (S3: GetObject's
	// answer; locally: the opened file's metadata), so that a reader can check that it reads
	// the version it listed without a Head before each read. ErrNotFound if it does not exist.
	OpenInfo(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	// List calls fn for every object under prefix in lexical key order, paginating as needed.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Compose writes into key the concatenation of the objects srcs, in order, replacing key
	// atomically; the store does the copying (S3: UploadPartCopy; local: the kernel), so the
	// caller's work grows with len(srcs), not with the bytes. A missing source is ErrNotFound
	// and leaves key as it was.
	Compose(ctx context.Context, key string, srcs []string) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// DeleteKeys removes every key of keys, as Delete does each; a store may remove many in one
	// request (S3: DeleteObjects, 1,000 keys a request), so removing a job's work objects costs
	// a request per 1,000 objects, not one per object. On error some keys may remain.
	DeleteKeys(ctx context.Context, keys []string) error
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
	// ScanUnnotified calls fn for every job of every tenant that is in a terminal status and
	// not yet notified (Notified false): a finalizer died between the terminal write and the
	// publish, or is publishing now. Every sweep reads them, so a store keeps them apart from
	// the finished jobs that were notified (an index, a partition of their own) and reads only
	// them: this costs what the unnotified jobs cost, not what the table keeps. As Scan, it
	// reads a page in full before calling fn for its jobs, so fn may write to the store (a job
	// marked notified leaves the set; it is not visited twice). A store may miss a job written
	// terminal and not notified by an earlier release that kept no such index (the DynamoDB
	// adapter's items from before it): ScanPage of the job's status still returns it.
	ScanUnnotified(ctx context.Context, fn func(*job.Job) error) error
	// ScanPage reads up to limit jobs of every tenant in status st, in an order of the store's
	// own, from cursor on ("" is the first job): a resumable scan, for the sweeper's expiry pass
	// that a run may leave and the next run continue. Each job comes with the cursor that
	// resumes after it; next resumes after the page, and is "" once no job of st follows (a page
	// may hold fewer than limit jobs, even none, while next is not ""). A cursor stays valid as
	// jobs are created, changed and deleted: a walk from "" to next = "" returns every job that
	// is in st throughout, once (a store that keeps the jobs not yet notified apart, as
	// ScanUnnotified needs, may return twice a job notified during the walk, or one an earlier
	// release wrote, but misses none). A cursor is opaque; one this store did not return is
	// ErrInvalid.
	ScanPage(ctx context.Context, st job.Status, cursor string, limit int) (page []ScannedJob, next string, err error)
	// GetSweepState returns the sweeper's state stored under name, or a zero state (Version 0)
	// when none is.
	GetSweepState(ctx context.Context, name string) (SweepState, error)
	// PutSweepState stores st under name if the stored state still has version st.Version (0:
	// none stored yet), and then increments st.Version; otherwise ErrConflict (another sweeper
	// run wrote it meanwhile).
	PutSweepState(ctx context.Context, name string, st *SweepState) error
	// Delete removes the job, its shard records and its idempotency token (an expired job).
	// Deleting a job that does not exist is not an error.
	Delete(ctx context.Context, tenant, id string) error
}

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
