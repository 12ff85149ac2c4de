// Package pipeline holds Ream's use cases: create a job, accept its input, plan and enqueue its
// shards, process one shard, finalize the job exactly once, describe, list, stop, hand out
// results, and sweep. It declares the ports it needs (ports.go) and knows nothing of AWS or of
// SQLite: shared/aws and shared/local implement the ports, shared/handlers adapts events.
package pipeline

import (
	"cmp"
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// DefaultJobTopicPrefix is the name prefix of the SNS topics a job may name as its
// NotificationChannel on AWS (REAM_JOB_TOPIC_PREFIX overrides it); the stack grants
// sns:Publish on topics so named and no others.
const DefaultJobTopicPrefix = "ream-"

// ValidJobTopicPrefix reports whether p can start the names of the SNS topics jobs may name
// (Config.JobTopicPrefix, REAM_JOB_TOPIC_PREFIX): the characters of an SNS topic name, with
// room left for the rest of the name. The CDK construct's JobTopicPrefix keeps a copy of this
// rule, which its contract test holds to this one.
func ValidJobTopicPrefix(p string) bool {
	return len(p) <= 200 && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == ""
}

// Config holds the pipeline's limits and tunables. Zero values take the documented defaults.
type Config struct {
	// ShardBytes is the nominal size of a line shard (default 1 MiB).
	ShardBytes int64
	// MinShards, when set, cuts a line input smaller than MinShards×ShardBytes into at least
	// MinShards shards (none smaller than MinShardBytes), so that every worker gets its share of a
	// small job and none is left running the last big shard alone. The local stack sets it from
	// its worker count.
	MinShards int
	// MaxFilesPerShard bounds a ONE_DOC_PER_FILE shard (default 100).
	MaxFilesPerShard int
	// MaxInputBytes is the largest input a job accepts (default 5 GB, as Comprehend).
	MaxInputBytes int64
	// MaxDocumentBytes overrides an analysis's default per-document limit.
	MaxDocumentBytes map[job.Analysis]int
	// UploadTTL is how long a presigned upload URL stays valid (default 1 h); a job whose input
	// has not arrived by then is TIMED_OUT.
	UploadTTL time.Duration
	// ResultsTTL is how long presigned result URLs stay valid (default 1 h).
	ResultsTTL time.Duration
	// Retention is how long after its end a job and its output are kept (default 30 days);
	// it sets ExpirationTime.
	Retention time.Duration
	// StuckAfter is how long a job may go without progress before the sweeper re-enqueues its
	// unrecorded shards (default 15 min; at least the queue's visibility timeout).
	StuckAfter time.Duration
	// ExpiryPassEvery is how often the sweeper starts a pass over the finished jobs (default
	// 1 h): the jobs of the terminal statuses are read for their expiry once a pass, not on
	// every sweep as the running jobs are (a finished job whose notification was lost is read
	// by every sweep all the same: Jobs.ScanUnnotified). A pass may take
	// several sweeps: each continues it from a cursor the store keeps, until its time is up (see
	// Sweep), so a pass always ends; the next one starts once ExpiryPassEvery has passed since
	// it started. A finished job is therefore expired within about ExpiryPassEvery and a sweep
	// interval (plus the sweeps a long pass takes) after its ExpirationTime.
	ExpiryPassEvery time.Duration
	// ExpiryRunJobs bounds the finished jobs one sweep reads for the expiry pass when its
	// context has no deadline (the local stack; default 2,000). A sweep whose context has one
	// (a Lambda invocation) reads until shortly before it instead.
	ExpiryRunJobs int
	// Locations renders keys as user-facing URIs.
	Locations layout.Locations
	// JobTopicPrefix, when set, allows jobs to name their own SNS topic (NotificationChannel),
	// a topic whose name starts with it: the deployment's functions may publish to such topics
	// only, never to any topic of the account (only a deployment whose notifier publishes to
	// SNS sets it; DefaultJobTopicPrefix on AWS).
	JobTopicPrefix string
	// JobTopicPerTenant narrows the topics a job may name to its tenant's: names starting with
	// JobTopicPrefix, then the tenant (TenantTopicPart), then "-", so that no tenant can make the
	// deployment publish into another tenant's topic.
	JobTopicPerTenant bool
	// PlanInWorker has a job created with an input location (an S3Uri: every Comprehend
	// Start…Job; not a drop rule's job, which ingest creates and plans) planned by a worker,
	// through a plan message on the shard queue, rather than inside the create request, whose function must answer within API Gateway's 30 s while
	// counting the lines of a multi-GB input can take longer (AWS sets it).
	PlanInWorker bool
	// JobTopicRegion and JobTopicAccount, when set, are the region and account a job's topic
	// must be in (the stack's: its functions may publish there only).
	JobTopicRegion, JobTopicAccount string
	// CodingRetentionHours is how long a coding operation's output is kept (default
	// DefaultCodingRetention(Retention), at least an hour).
	CodingRetentionHours int
	// StatsFanIn is the most shard statistics a TOPICS job's vocabulary reduce opens at once
	// (default 256); beyond it the reduce merges in a tree.
	StatsFanIn int
	// FitCPUs is the processor time a worker has, in cores, when it is less than the cores
	// its process sees (a Lambda function's share: its memory over 1,769 MB; 0: GOMAXPROCS).
	// A TOPICS job's initial fit runs its restarts side by side only as many as whole cores,
	// so that on a fraction of a core they finish, and are stored, one at a time.
	FitCPUs float64
}

func (c Config) withDefaults() Config {
	if c.ShardBytes <= 0 {
		c.ShardBytes = DefaultShardBytes
	}
	if c.MaxFilesPerShard <= 0 {
		c.MaxFilesPerShard = 100
	}
	if c.MaxInputBytes <= 0 {
		c.MaxInputBytes = DefaultMaxInputBytes
	}
	if c.UploadTTL <= 0 {
		c.UploadTTL = DefaultUploadTTL
	}
	if c.ResultsTTL <= 0 {
		c.ResultsTTL = time.Hour
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = DefaultStuckAfter
	}
	if c.ExpiryPassEvery <= 0 {
		c.ExpiryPassEvery = DefaultExpiryPassEvery
	}
	if c.ExpiryRunJobs <= 0 {
		c.ExpiryRunJobs = 2000
	}
	if c.CodingRetentionHours <= 0 {
		c.CodingRetentionHours = max(1, int(DefaultCodingRetention(c.Retention)/time.Hour))
	}
	if c.StatsFanIn < 2 {
		c.StatsFanIn = 256
	}
	return c
}

// DefaultRetention is how long a finished job is kept when Config.Retention is not set, and
// DefaultStuckAfter how long a running job may make no progress when Config.StuckAfter is not.
const (
	DefaultRetention  = 30 * 24 * time.Hour
	DefaultStuckAfter = 15 * time.Minute
	// DefaultExpiryPassEvery is how often the sweeper starts a pass over the finished jobs when
	// Config.ExpiryPassEvery is not set.
	DefaultExpiryPassEvery = time.Hour
	// DefaultShardBytes, DefaultMaxInputBytes and DefaultUploadTTL are Config.ShardBytes',
	// MaxInputBytes' (5 GB, as Comprehend's) and UploadTTL's defaults, which the local config and
	// the CDK construct (its contract test) take too.
	DefaultShardBytes    = 1 << 20
	DefaultMaxInputBytes = 5_000_000_000
	DefaultUploadTTL     = time.Hour
)

// DefaultCodingRetention is how long a coding operation's output is kept when its deployment
// does not say (Config.CodingRetentionHours; the local config's codingRetention): 24 hours, or
// retention (DefaultRetention when 0) when that is shorter, as a coding operation is kept no
// longer than a job may be.
func DefaultCodingRetention(retention time.Duration) time.Duration {
	return min(24*time.Hour, cmp.Or(retention, DefaultRetention))
}

// Service runs the use cases over the ports.
type Service struct {
	jobs      Jobs
	objects   Objects
	queue     Queue
	notifier  Notifier
	analyzers analysis.Registry
	models    Models
	rules     dropRules
	coders    coderCache
	shipped   shippedState
	cfg       Config
	now       func() time.Time
	newID     func() string
	log       *slog.Logger
	// hooks lets tests inject a crash between two steps; nil in production.
	hooks Hooks
	// afterErase is Deps.AfterErase.
	afterErase func(ctx context.Context, tenant, id string)
	// life is Deps.Lifetime: it ends the work detached from its request (detached).
	life context.Context
}

// Hooks are fault-injection points for tests. A non-nil error returned by a hook aborts the use
// case at that point, as if the process had died there.
type Hooks struct {
	// ShardStarted runs when a shard of a running job (an analysis shard, a shard of a TOPICS
	// job's stage, or a training job's one shard) is about to be read, while it still computes (before
	// pipeline.WithComputeDone's function is called): a test that holds a shard there keeps its
	// worker busy.
	ShardStarted func(msg ShardMessage) error
	// AfterShardWritten runs after a shard's results are stored and before it is recorded.
	AfterShardWritten func(msg ShardMessage) error
	// PlanStarted runs when a job whose input arrived is about to be planned (its input read
	// and split into shards), with the planning's context: a test that holds it there holds
	// that planning (until the context ends, as a long planning would).
	PlanStarted func(ctx context.Context, tenant, jobID string) error
	// InitCheckpointSaved runs after a TOPICS job's initial fit stored a checkpoint (a
	// finished restart, or a long restart's state), with its name: a test that ends the
	// delivery's context there cuts the fit as the worker's deadline would.
	InitCheckpointSaved func(name string)
	// SweepClock is the clock a sweep measures its context's deadline against (time.Now when
	// nil): a test that gives it a context whose Deadline is on this clock, and advances it as
	// its store works, holds a sweep's expiry pass to a budget without sleeping.
	SweepClock func() time.Time
}

// shardStarted runs Hooks.ShardStarted, if set, for a shard about to be read.
func (s *Service) shardStarted(msg ShardMessage) error {
	if s.hooks.ShardStarted == nil {
		return nil
	}
	return s.hooks.ShardStarted(msg)
}

// Deps are the adapters a Service runs on.
type Deps struct {
	Jobs      Jobs
	Objects   Objects
	Queue     Queue
	Notifier  Notifier
	Analyzers analysis.Registry
	// Models is the coding-model registry; nil leaves the deployment without batch coding.
	Models Models
	// DropRules is the drop rule store; nil leaves the deployment without drop rules.
	DropRules droprule.Store
	Config    Config
	// Now and NewID default to time.Now and random 128-bit hex ids.
	Now   func() time.Time
	NewID func() string
	Log   *slog.Logger
	Hooks Hooks
	// AfterErase, when set, runs after EraseJob deleted job id of tenant: the local stack
	// deletes the job's queue messages and scrubs the deleted rows out of its database's files
	// there, as it does after a sweep that expired jobs.
	AfterErase func(ctx context.Context, tenant, id string)
	// Lifetime, when set, ends with the process that serves the requests (the local stack's
	// Close cancels it once its grace is over): the work a request committed the service to
	// (detached) stops with it rather than outliving its store. Nil: only the request's
	// deadline bounds that work (a Lambda invocation's).
	Lifetime context.Context
}

// New builds a Service.
func New(d Deps) *Service {
	s := &Service{
		jobs: d.Jobs, objects: d.Objects, queue: d.Queue, notifier: d.Notifier,
		analyzers: d.Analyzers, models: d.Models, cfg: d.Config.withDefaults(), now: d.Now, newID: d.NewID,
		log: d.Log, hooks: d.Hooks, afterErase: d.AfterErase, life: d.Lifetime,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = randomID
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	folders, _ := d.Objects.(droprule.Folders)
	s.rules = droprule.New(d.DropRules, folders, s.cfg.Locations, s.now)
	return s
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Objects returns the service's object store, for the stores kept beside the jobs' objects
// (accesskeys.New).
func (s *Service) Objects() Objects { return s.objects }

// WarmAnalysers loads now what the analysers would load at their first document (see
// analysis.Registry.Warm); the processes that analyse shards call it at start.
func (s *Service) WarmAnalysers() error { return s.analyzers.Warm() }

// randomID is a random (version 4) GUID: job ids are the coding service's operation ids too.
func randomID() string { return uuid.NewString() }

// retention is how long after its end a job is kept: its RetentionHours, never longer than the
// deployment's retention as it is now (a job created before the retention was lowered asked for
// more than it allows today; on AWS the bucket's lifecycle deletes its output at that age
// whatever its ExpirationTime says).
func (s *Service) retention(j *job.Job) time.Duration {
	if j.RetentionHours > 0 {
		return min(time.Duration(j.RetentionHours)*time.Hour, s.cfg.Retention)
	}
	return s.cfg.Retention
}

// maxRetentionHours is the most RetentionHours a job may ask for here: the deployment's
// retention in whole hours (0 when it is under an hour: none may be asked for).
func (s *Service) maxRetentionHours() int { return int(s.cfg.Retention / time.Hour) }

// maxBytes is the per-document limit of analyser a in this deployment.
func (s *Service) maxBytes(a analysis.Analyzer) int {
	if n, ok := s.cfg.MaxDocumentBytes[a.Name()]; ok && n > 0 {
		return n
	}
	return a.DefaultMaxBytes()
}

func (s *Service) nowUTC() time.Time { return s.now().UTC() }

func ptr[T any](v T) *T { return &v }
