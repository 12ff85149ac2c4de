// Package job holds Ream's domain: the job a user submits, its status state machine and the
// sentinel errors every layer shares. It imports nothing from AWS or from the adapters.
package job

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Analysis names one analysis a job runs over every document.
type Analysis string

// The analyses Ream knows about. Which ones a deployment can run is decided by the analysis
// registry; the names follow Amazon Comprehend's.
const (
	Language   Analysis = "LANGUAGE"
	Sentiment  Analysis = "SENTIMENT"
	Entities   Analysis = "ENTITIES"
	KeyPhrases Analysis = "KEY_PHRASES"
	PII        Analysis = "PII"
	// Coding codes each record of a JSONL input ({"recordId", "occp_text", "tasks_text"}) to a
	// classification with a versioned model (CodingConfig).
	Coding Analysis = "CODING"
	// CodingTraining trains a new version of a coding model from a labelled JSONL input
	// ({"code", "occp_text", "tasks_text"}) and registers it.
	CodingTraining Analysis = "CODING_TRAINING"
	// Topics fits a topic model over the whole collection (Comprehend's topic detection) and
	// assigns each document its topics: a job of its own, in map–reduce stages.
	Topics Analysis = "TOPICS"
)

// Format is how the input is cut into documents.
type Format string

// Input formats.
const (
	OneDocPerLine Format = "ONE_DOC_PER_LINE"
	OneDocPerFile Format = "ONE_DOC_PER_FILE"
	JSONLines     Format = "JSONL"
)

// ValidFormat reports whether f is a known input format.
func ValidFormat(f Format) bool {
	switch f {
	case OneDocPerLine, OneDocPerFile, JSONLines:
		return true
	}
	return false
}

// LineFormat reports whether documents of format f are lines of one object (cut into byte
// ranges) rather than whole objects (grouped by file).
func (f Format) LineFormat() bool { return f == OneDocPerLine || f == JSONLines }

// InputDataConfig says where the input is and how to read it.
type InputDataConfig struct {
	// S3Uri is the input's location: an object (line formats) or a prefix (ONE_DOC_PER_FILE).
	// Empty when the input is uploaded through the presigned URL the job is created with.
	S3Uri       string `json:"S3Uri,omitempty"`
	InputFormat Format `json:"InputFormat"`
}

// OutputDataConfig says where results go.
type OutputDataConfig struct {
	S3Uri    string `json:"S3Uri,omitempty"`
	KmsKeyId string `json:"KmsKeyId,omitempty"`
}

// Tag is a user label on a job.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Details are the live counters of a job. They only ever grow, and when the job is terminal
// InputDocumentsCount equals the number of lines in its output.
type Details struct {
	InputDocumentsCount      int64 `json:"InputDocumentsCount"`
	ProcessedDocumentsCount  int64 `json:"ProcessedDocumentsCount"`
	DocumentsWithErrorsCount int64 `json:"DocumentsWithErrorsCount"`
	ShardsTotal              int   `json:"ShardsTotal"`
	ShardsDone               int   `json:"ShardsDone"`
	// Stage is a running TOPICS job's current stage: "counting", "sampling", "fitting round k
	// of at most n", "assigning" (its ShardsTotal grows by one pass over the shards per stage);
	// empty once the job is terminal.
	Stage string `json:"Stage,omitempty"`
	// AnalysisCounts counts, per analysis of the job, the documents it succeeded and failed on.
	// Documents with a document-level error (bad encoding, empty, invalid record) count in
	// neither: they are in DocumentsWithErrorsCount.
	AnalysisCounts AnalysisCounts `json:"AnalysisCounts,omitempty"`
	// InputBytes is the input's size (known at planning) and ProcessedBytes how much of it the
	// recorded shards covered (TOPICS jobs, which pass over the input once per stage, count no
	// bytes).
	InputBytes     int64 `json:"InputBytes,omitempty"`
	ProcessedBytes int64 `json:"ProcessedBytes,omitempty"`
	// DocumentsPerSecond is the rate of the last RateWindow (or of the time since the job
	// started, when shorter), and EstimatedCompletionTime when the rest of the input will be done
	// at the job's byte rate so far; both are worked out when a running job is described, and
	// absent otherwise.
	// (A pointer: a running job that recorded nothing lately shows a rate of 0, not none.)
	DocumentsPerSecond      *float64   `json:"DocumentsPerSecond,omitempty" dynamodbav:"-"`
	EstimatedCompletionTime *time.Time `json:"EstimatedCompletionTime,omitempty" dynamodbav:"-"`
	// RecentDocuments is how many documents the shards recorded within RateWindow before the
	// read held: what a store's Get fills in for a running job.
	RecentDocuments int64 `json:"-" dynamodbav:"-"`
	// RecentSince is when the buckets summed into RecentDocuments begin (RateSince of the
	// store's clock at the read), so the rate divides by the very span the count covers.
	RecentSince time.Time `json:"-" dynamodbav:"-"`
}

// MarshalJSON shows ProcessedBytes, zero included, whenever InputBytes is known (a job planned
// on a non-empty input, not TOPICS), so that a client reading the bytes done finds them from the
// first look at a running job; otherwise both are absent, as before planning.
func (d Details) MarshalJSON() ([]byte, error) {
	type plain Details // without this method
	if d.InputBytes == 0 {
		return json.Marshal(plain(d))
	}
	return json.Marshal(struct {
		plain
		ProcessedBytes int64 `json:"ProcessedBytes"` // shadows plain's, which omits zero
	}{plain(d), d.ProcessedBytes})
}

// RateWindow is the window of JobDetails.DocumentsPerSecond.
const RateWindow = time.Minute

// RateBucketSeconds is the width of the buckets in which the stores count the documents of
// recent shard records: a store sums the buckets from RateBucket(now - RateWindow) on, which
// cover RateWindow plus up to one bucket (see RateSince).
const RateBucketSeconds = 10

// RateBucket is the bucket of time t.
func RateBucket(t time.Time) int64 { return t.Unix() / RateBucketSeconds }

// RateSince is when the buckets a store sums into RecentDocuments at now begin.
func RateSince(now time.Time) time.Time {
	return RateBucketStart(RateBucket(now.Add(-RateWindow)))
}

// RateBucketStart is when bucket b begins.
func RateBucketStart(b int64) time.Time { return time.Unix(b*RateBucketSeconds, 0).UTC() }

// AnalysisCount is one analysis's outcomes over a job's documents.
type AnalysisCount struct {
	Succeeded int64 `json:"Succeeded"`
	Failed    int64 `json:"Failed"`
}

// AnalysisCounts are the per-analysis counts of a job or a shard.
type AnalysisCounts map[Analysis]AnalysisCount

// Add adds o's counts to c (allocating c when nil) and returns it.
func (c AnalysisCounts) Add(o AnalysisCounts) AnalysisCounts {
	if len(o) == 0 {
		return c
	}
	if c == nil {
		c = make(AnalysisCounts, len(o))
	}
	for a, n := range o {
		cur := c[a]
		cur.Succeeded += n.Succeeded
		cur.Failed += n.Failed
		c[a] = cur
	}
	return c
}

// Failures returns the total of Failed over every analysis.
func (c AnalysisCounts) Failures() int64 {
	var n int64
	for _, x := range c {
		n += x.Failed
	}
	return n
}

// Clone returns a copy of c.
func (c AnalysisCounts) Clone() AnalysisCounts {
	if c == nil {
		return nil
	}
	return AnalysisCounts(nil).Add(c)
}

// Job is one batch analysis job. Exported JSON fields are what a user sees; the fields tagged
// `json:"-"` are bookkeeping that adapters persist but the API never shows.
type Job struct {
	JobId              string           `json:"JobId"`
	JobName            string           `json:"JobName,omitempty"`
	Analyses           []Analysis       `json:"Analyses"`
	InputDataConfig    InputDataConfig  `json:"InputDataConfig"`
	OutputDataConfig   OutputDataConfig `json:"OutputDataConfig"`
	LanguageCode       string           `json:"LanguageCode,omitempty"`
	JobStatus          Status           `json:"JobStatus"`
	Message            string           `json:"Message,omitempty"`
	SubmitTime         time.Time        `json:"SubmitTime"`
	EndTime            *time.Time       `json:"EndTime,omitempty"`
	ExpirationTime     *time.Time       `json:"ExpirationTime,omitempty"`
	ClientRequestToken string           `json:"ClientRequestToken,omitempty"`
	Tags               []Tag            `json:"Tags,omitempty"`
	// DataAccessRoleArn is the role a request named (recorded and shown, never assumed).
	DataAccessRoleArn string `json:"DataAccessRoleArn,omitempty"`
	// VolumeKmsKeyId and VpcConfig are Comprehend's settings of its own compute, recorded and
	// shown as a request named them, never used (Ream analyses with its own resources).
	VolumeKmsKeyId string     `json:"VolumeKmsKeyId,omitempty"`
	VpcConfig      *VpcConfig `json:"VpcConfig,omitempty"`
	ModelVersion   string     `json:"ModelVersion,omitempty"`
	JobDetails     Details    `json:"JobDetails"`
	// NotificationChannel names the job's own SNS topic, notified besides the deployment's
	// completion topic (as Textract's NotificationChannel).
	NotificationChannel *NotificationChannel `json:"NotificationChannel,omitempty"`
	// RedactOutput asks PII jobs to also write redacted copies of the documents.
	RedactOutput *RedactionConfig `json:"RedactionConfig,omitempty"`
	// CodingConfig names the coding scheme ("topic") and the model of a CODING or
	// CODING_TRAINING job; ModelId is the model actually used (resolved from "latest" at
	// creation), or for a training job the model it registered.
	CodingConfig *CodingConfig `json:"CodingConfig,omitempty"`
	// NumberOfTopics is a TOPICS job's number of topics (1–100, default 10).
	NumberOfTopics int `json:"NumberOfTopics,omitempty"`
	// RandomSeed makes a TOPICS job reproducible: the same input and seed give byte-identical
	// output. Chosen at creation when not given, and shown.
	RandomSeed *int64 `json:"RandomSeed,omitempty"`
	// RetentionHours overrides the deployment's retention for this job: its output and record
	// are deleted this long after it ends (coding operations: 24 by default).
	RetentionHours int `json:"RetentionHours,omitempty"`
	// ParentJobId is the job whose failed documents a retry child re-runs, and
	// RetryErrorCodes the error codes it was asked to retry; ChildJobIds lists a job's retry
	// children, oldest first.
	ParentJobId     string   `json:"ParentJobId,omitempty"`
	RetryErrorCodes []string `json:"RetryErrorCodes,omitempty"`
	ChildJobIds     []string `json:"ChildJobIds,omitempty"`
	// ManifestFilePath is the job's manifest.json (Comprehend Medical's field) as a URI in the
	// store's form (s3://bucket/… on AWS, the local store's file:// form locally), set when the
	// finalizer wrote it: a job that ended without output (failed while planning, stopped or
	// timed out before its input arrived) has none.
	ManifestFilePath string `json:"ManifestFilePath,omitempty"`
	// DropRule and DropObject name the drop rule and the object version that started the job
	// (jobs started by an object dropped under a rule's folder; empty otherwise).
	DropRule   string     `json:"DropRule,omitempty"`
	DropObject DropObject `json:"DropObject,omitzero"`
	// JobTag is the request's label, as Textract's (its notification carries it).
	JobTag string `json:"JobTag,omitempty"`

	// Tenant owns the job (shown, so that a caller can learn the tenant it is: a job topic's
	// name under JobTopicPerTenant, a coding client's mapping, take it).
	Tenant string `json:"Tenant,omitempty"`
	// API is the operation that created the job (its notification's API field; "" is
	// CreateJob).
	API string `json:"-"`
	// InputKey is the object key (line formats) or key prefix (ONE_DOC_PER_FILE) of the input,
	// always under the tenant's space.
	InputKey string `json:"-"`
	// UploadDeadline is when the presigned upload URL expires; a job still AWAITING_INPUT
	// after it is TIMED_OUT by the sweeper.
	UploadDeadline *time.Time `json:"-"`
	// ExpectedFiles is how many documents a ONE_DOC_PER_FILE upload job waits for.
	ExpectedFiles int `json:"-"`
	// StartedBy is the key whose upload event (or sweep) moved the job from AWAITING_INPUT to
	// SUBMITTED: the events of a ONE_DOC_PER_FILE upload's other files are then ignored.
	StartedBy string `json:"-"`
	// RequestHash fingerprints the create request so that a retried ClientRequestToken with a
	// different body is refused.
	RequestHash string `json:"-"`
	// InputSize is the input's size in bytes (line formats) or the sum of its files' sizes.
	InputSize int64 `json:"-"`
	// InputVersion identifies the input object the job was planned on (size and modification
	// time), so a replaced input fails the job instead of mixing two inputs.
	InputVersion string `json:"-"`
	// InputObject is the one object the job's input was found to be when it was planned: its
	// own key, or the only document of the folder or key prefix it names ("" when it held
	// several, or was never planned). A retry child keeps its parent's. The notification's
	// DocumentLocation names it.
	InputObject string `json:"-"`
	// ShardBytes is the shard size the job was planned with, so a re-plan is identical.
	ShardBytes int64 `json:"-"`
	// StartedAt is when the job went IN_PROGRESS; the sweeper measures stuck shards from it.
	StartedAt *time.Time `json:"-"`
	// UpdatedAt is the time of the last write by the pipeline.
	UpdatedAt time.Time `json:"-"`
	// Notified is set once the terminal notification was published.
	Notified bool `json:"-"`
	// NotifyClaimed is when a finalizer claimed the right to publish the notification, so that
	// concurrent finalizers publish it once; a stale claim is retried by the sweeper.
	NotifyClaimed *time.Time `json:"-"`
	// FinalizeClaimed is when a finalizer claimed the step a job whose shards are all recorded
	// waits for (its output and terminal status, or a TOPICS job's reduce), so that two
	// finalizers never run it side by side; a claim older than the pipeline's StuckAfter is
	// taken to be a dead one's. Moving a TOPICS job to its next stage clears it.
	FinalizeClaimed *time.Time `json:"-"`
	// FinalizeClaimedBy names the claim's holder ("shard 12": the shard message whose record
	// completed the step; "" for the sweeper or a stop). A redelivery of that message means its
	// first delivery ended (its visibility timed out), so it takes the claim over at once.
	FinalizeClaimedBy string `json:"-"`
	// TopicsStage is a TOPICS job's map–reduce progress (see pipeline/topics.go).
	TopicsStage *TopicsStage `json:"-"`
	// CodingOperation marks a job created through the coding service's API
	// (/v1/topics/{topic}/batch-code): its finalizer also writes the coded records and the
	// metadata file in that service's format.
	CodingOperation bool `json:"-"`
	// Version increments on every write; adapters use it for optimistic concurrency.
	Version int64 `json:"-"`
}

// TopicsStage is where a TOPICS job's map–reduce stands: stage Index (0-based) of kind Kind
// ("count", "sample", "round", "assign"; Round for rounds) over Shards data shards. The shard
// records of stage s have indexes s*Shards … s*Shards+Shards-1. Unfit, set on the assign
// stage, says why no model could be fitted (the shards then write an error record for every
// document, and the job fails with that reason).
type TopicsStage struct {
	Shards int    `json:"Shards"`
	Index  int    `json:"Index"`
	Kind   string `json:"Kind"`
	Round  int    `json:"Round,omitempty"`
	Unfit  string `json:"Unfit,omitempty"`
}

// CodingConfig says what a coding job codes against.
type CodingConfig struct {
	// Topic is the coding scheme's uriName, e.g. "occupation".
	Topic string `json:"Topic"`
	// ModelId is a model's GUID; empty or "latest" at creation means the newest model of the
	// topic the tenant may use.
	ModelId string `json:"ModelId,omitempty"`
}

// VpcConfig is Comprehend's VpcConfig: the security groups and subnets of its compute.
type VpcConfig struct {
	SecurityGroupIds []string `json:"SecurityGroupIds"`
	Subnets          []string `json:"Subnets"`
}

// NotificationChannel is a job's own completion topic. RoleArn, which Textract requires (the
// role it publishes with), is optional here, checked as an IAM role ARN, recorded and shown, and
// never assumed: the stack's functions publish with their own role.
type NotificationChannel struct {
	SNSTopicArn string `json:"SNSTopicArn"`
	RoleArn     string `json:"RoleArn,omitempty"`
}

// RedactionConfig asks for redacted copies of the documents (PII jobs).
type RedactionConfig struct {
	// PiiEntityTypes are the PII types redacted in the copies (Comprehend's field); empty or
	// ["ALL"] redacts every type. The offsets output lists every type whatever it says.
	PiiEntityTypes []string `json:"PiiEntityTypes,omitempty"`
	// MaskMode is REPLACE_WITH_PII_ENTITY_TYPE or MASK.
	MaskMode      string `json:"MaskMode"`
	MaskCharacter string `json:"MaskCharacter,omitempty"`
}

// RedactsAll reports whether the copies redact every PII type (no PiiEntityTypes, or ALL).
func (c *RedactionConfig) RedactsAll() bool {
	return len(c.PiiEntityTypes) == 0 || slices.Contains(c.PiiEntityTypes, "ALL")
}

// ReadsCodingRecords reports whether the job's JSONL lines are the coding service's records
// ({"recordId", "occp_text", "tasks_text"}, a training record's "code" too) rather than
// {"recordId", "text"}: a CODING or CODING_TRAINING job's.
func (j *Job) ReadsCodingRecords() bool { return j.Has(Coding) || j.Has(CodingTraining) }

// Has reports whether the job runs analysis a.
func (j *Job) Has(a Analysis) bool {
	for _, x := range j.Analyses {
		if x == a {
			return true
		}
	}
	return false
}

// OutputLocation is where a terminal job's output is (its OutputDataConfig.S3Uri), or "" when
// it ended without output (ManifestFilePath unset): the notification's OutputLocation.
func (j *Job) OutputLocation() string {
	if j.ManifestFilePath == "" {
		return ""
	}
	return j.OutputDataConfig.S3Uri
}

// Transition moves the job to status to, or returns an ErrIllegalTransition wrapped error.
func (j *Job) Transition(to Status) error {
	if !CanTransition(j.JobStatus, to) {
		return fmt.Errorf("%w: %s → %s", ErrIllegalTransition, j.JobStatus, to)
	}
	j.JobStatus = to
	return nil
}

// Clone returns a deep copy, so that callers can mutate a job read from a store safely.
func (j *Job) Clone() *Job {
	c := *j
	c.Analyses = append([]Analysis(nil), j.Analyses...)
	c.Tags = append([]Tag(nil), j.Tags...)
	c.RetryErrorCodes = append([]string(nil), j.RetryErrorCodes...)
	c.ChildJobIds = append([]string(nil), j.ChildJobIds...)
	c.JobDetails.AnalysisCounts = j.JobDetails.AnalysisCounts.Clone()
	if t := j.JobDetails.EstimatedCompletionTime; t != nil {
		tt := *t
		c.JobDetails.EstimatedCompletionTime = &tt
	}
	if j.EndTime != nil {
		t := *j.EndTime
		c.EndTime = &t
	}
	if j.ExpirationTime != nil {
		t := *j.ExpirationTime
		c.ExpirationTime = &t
	}
	if j.UploadDeadline != nil {
		t := *j.UploadDeadline
		c.UploadDeadline = &t
	}
	if j.StartedAt != nil {
		t := *j.StartedAt
		c.StartedAt = &t
	}
	if j.NotifyClaimed != nil {
		t := *j.NotifyClaimed
		c.NotifyClaimed = &t
	}
	if j.FinalizeClaimed != nil {
		t := *j.FinalizeClaimed
		c.FinalizeClaimed = &t
	}
	if j.RedactOutput != nil {
		r := *j.RedactOutput
		c.RedactOutput = &r
	}
	if j.CodingConfig != nil {
		cc := *j.CodingConfig
		c.CodingConfig = &cc
	}
	if j.TopicsStage != nil {
		ts := *j.TopicsStage
		c.TopicsStage = &ts
	}
	if j.RandomSeed != nil {
		rs := *j.RandomSeed
		c.RandomSeed = &rs
	}
	if j.NotificationChannel != nil {
		n := *j.NotificationChannel
		c.NotificationChannel = &n
	}
	return &c
}
