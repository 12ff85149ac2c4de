// Package api holds the wire types of Ream's HTTP API (requests, responses, notifications and
// error bodies) and the one mapping of errors to HTTP statuses. It is a leaf: it imports only the
// domain package, so the handlers, the pipeline, the Go client and the tests share these types
// without the client importing the use cases.
package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// Output object names inside a job's output location.
const (
	ArchiveName  = "output.tar.gz"
	ManifestName = "manifest.json"
	// CodedName and MetadataName are a coding operation's outputs in the coding service's
	// format: one coded line per record, and what it was coded with.
	CodedName    = "coded.jsonl"
	MetadataName = "metadata.json"
)

// CreateJobRequest is the body of POST /v1/jobs.
type CreateJobRequest struct {
	JobName            string               `json:"JobName,omitempty"`
	Analyses           []job.Analysis       `json:"Analyses"`
	InputDataConfig    job.InputDataConfig  `json:"InputDataConfig"`
	OutputDataConfig   job.OutputDataConfig `json:"OutputDataConfig,omitempty"`
	LanguageCode       string               `json:"LanguageCode,omitempty"`
	ClientRequestToken string               `json:"ClientRequestToken,omitempty"`
	Tags               []job.Tag            `json:"Tags,omitempty"`
	// DataAccessRoleArn is recorded and shown, never assumed: Ream reads and writes with its
	// own role (the Comprehend surface requires it, as Comprehend does).
	DataAccessRoleArn string               `json:"DataAccessRoleArn,omitempty"`
	RedactionConfig   *job.RedactionConfig `json:"RedactionConfig,omitempty"`
	// NotificationChannel names an SNS topic of the caller's to notify besides the
	// deployment's own (AWS deployments only).
	NotificationChannel *job.NotificationChannel `json:"NotificationChannel,omitempty"`
	// UploadFiles names the documents of a ONE_DOC_PER_FILE job to be uploaded through presigned
	// URLs (one URL each). The job starts when all of them have arrived.
	UploadFiles []string `json:"UploadFiles,omitempty"`
	// CodingConfig names the topic (and optionally the model) of a CODING or CODING_TRAINING
	// job.
	CodingConfig *job.CodingConfig `json:"CodingConfig,omitempty"`
	// NumberOfTopics (1–100, default 10 when absent) and RandomSeed are TOPICS's options.
	NumberOfTopics *int   `json:"NumberOfTopics,omitempty"`
	RandomSeed     *int64 `json:"RandomSeed,omitempty"`
	// RetentionHours keeps the job's output and record this many hours after it ends instead of
	// the deployment's retention (1 to that retention in hours; absent means that retention, an
	// explicit 0 is refused).
	RetentionHours *int `json:"RetentionHours,omitempty"`

	// JobTag is the caller's label for the job, as Textract's: 1–64 letters, digits and
	// _ . - :, shown on the job and in its notification (Textract's completion message has it).
	JobTag string `json:"JobTag,omitempty"`

	// DropRule and DropObject are set by the pipeline for a job a drop rule starts (never
	// from a request body): they become the job's fields of the same names.
	DropRule   string         `json:"-"`
	DropObject job.DropObject `json:"-"`
	// API names the operation that created the job (never from a request body): the
	// notification's API field. Empty means CreateJob.
	API string `json:"-"`
	// VolumeKmsKeyId and VpcConfig are set by the Comprehend surface (never from a /v1 body):
	// recorded on the job and echoed by its Describe, not used.
	VolumeKmsKeyId string         `json:"-"`
	VpcConfig      *job.VpcConfig `json:"-"`
}

// RetryRequest is the body of POST /v1/jobs/{id}/retry (every field optional).
type RetryRequest struct {
	// ErrorCodes are the error codes whose documents are re-run; default SHARD_FAILED and
	// INTERNAL_SERVER_ERROR.
	ErrorCodes         []string `json:"ErrorCodes,omitempty"`
	JobName            string   `json:"JobName,omitempty"`
	ClientRequestToken string   `json:"ClientRequestToken,omitempty"`
}

// Presigned is a URL that lets its holder perform one operation on one key until Expires,
// without other credentials. Headers must be sent with the request exactly as given.
type Presigned struct {
	URL     string            `json:"Url"`
	Method  string            `json:"Method"`
	Headers map[string]string `json:"Headers,omitempty"`
	Expires time.Time         `json:"Expires"`
}

// Upload is a presigned upload for one input object.
type Upload struct {
	File string `json:"File,omitempty"`
	Presigned
}

// CreateJobResult is what POST /v1/jobs returns: the job, and the upload URLs when the input
// is to be uploaded.
type CreateJobResult struct {
	*job.Job
	Upload  *Upload  `json:"Upload,omitempty"`
	Uploads []Upload `json:"Uploads,omitempty"`
}

// ListFilter narrows a job listing (the query of GET /v1/jobs). Zero values mean "no filter":
// set SubmittedBefore with BeforeBound. Jobs are listed newest first, or oldest first with
// Oldest (the order Comprehend's List… operations use under a SubmitTimeBefore filter).
type ListFilter struct {
	JobName         string
	Status          job.Status
	SubmittedBefore time.Time
	SubmittedAfter  time.Time
	MaxResults      int
	NextToken       string
	Oldest          bool
}

// BeforeBound returns a requested SubmitTimeBefore t as ListFilter.SubmittedBefore. The zero
// time (0001-01-01T00:00:00Z), which the filter reads as no bound, becomes the nanosecond after
// it, which bounds the same jobs (none): a client that asks for jobs before year 1 gets none,
// not all.
func BeforeBound(t time.Time) time.Time {
	if t.IsZero() {
		return t.Add(time.Nanosecond)
	}
	return t
}

// ParseTime reads a time a client gives in RFC 3339 (the SubmitTime filters of GET /v1/jobs and
// `ream list --before/--after`), with "T" and "Z" in either case, as RFC 3339 allows; name is
// what its error names. A "+" of an offset sent unescaped in a URL's query arrives as a space,
// and the error then says to send it as %2B: the time as typed was RFC 3339 (found in the time
// review: the answer said only "must be an RFC 3339 time").
func ParseTime(name, v string) (time.Time, error) {
	up := strings.ToUpper(v)
	t, err := time.Parse(time.RFC3339, up)
	if err == nil {
		return t, nil
	}
	msg := fmt.Sprintf("%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not %q", name, v)
	if i := strings.LastIndexByte(up, ' '); i > 0 {
		if _, err := time.Parse(time.RFC3339, up[:i]+"+"+up[i+1:]); err == nil {
			msg += ` (the "+" of its offset, unescaped in a URL's query, reads as a space: send it as %2B, or give the time in UTC with Z)`
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s", job.ErrInvalid, msg)
}

// ErrorsFilter narrows a job's error records (the query of GET /v1/jobs/{id}/errors). Zero
// values mean "no filter".
type ErrorsFilter struct {
	// ErrorCode keeps records whose ErrorCode, or one of whose per-analysis Errors, has it.
	ErrorCode string
	// Analysis keeps records that list this analysis in Errors (in a one-analysis job, every
	// error record is that analysis's).
	Analysis   job.Analysis
	MaxResults int
	NextToken  string
}

// ErrorsResponse is the body of GET /v1/jobs/{id}/errors: error records exactly as the output
// archive has them (by shard, then line), and a token for the next page.
type ErrorsResponse struct {
	JobId     string            `json:"JobId"`
	JobStatus job.Status        `json:"JobStatus"`
	Errors    []json.RawMessage `json:"Errors"`
	NextToken string            `json:"NextToken,omitempty"`
}

// MaxPageBytes bounds a page of a listing (the jobs, a job's error records): a page ends before
// the item that would take it past this many bytes, counted as the items weigh in the body of a
// Lambda response, a JSON string (escaped by encoding/json's rules), which must fit the 6 MB a
// Lambda may answer. A page holds one item at least.
const MaxPageBytes = 4 << 20

// ListResponse is the body of GET /v1/jobs.
type ListResponse struct {
	Jobs      []*job.Job `json:"Jobs"`
	NextToken string     `json:"NextToken,omitempty"`
}

// ResultLinks are presigned downloads of a finished job's output (GET /v1/jobs/{id}/results).
type ResultLinks struct {
	JobId     string     `json:"JobId"`
	JobStatus job.Status `json:"JobStatus"`
	Output    Presigned  `json:"Output"`
	Manifest  Presigned  `json:"Manifest"`
}

// Notification is published once per terminal job (SNS message, webhook body, event stream).
// Every field is always present ("" when a job has no name, message or output), so that
// receivers see the one shape README.md documents (TestNotificationMatchesREADME).
type Notification struct {
	JobId                    string     `json:"JobId"`
	JobName                  string     `json:"JobName"`
	Tenant                   string     `json:"Tenant"`
	JobStatus                job.Status `json:"JobStatus"`
	Message                  string     `json:"Message"`
	InputDocumentsCount      int64      `json:"InputDocumentsCount"`
	ProcessedDocumentsCount  int64      `json:"ProcessedDocumentsCount"`
	DocumentsWithErrorsCount int64      `json:"DocumentsWithErrorsCount"`
	OutputLocation           string     `json:"OutputLocation"`
	Time                     time.Time  `json:"Time"`
	// DropRule and DropObject name the drop rule and object version that started the job.
	DropRule   string         `json:"DropRule,omitempty"`
	DropObject job.DropObject `json:"DropObject,omitzero"`
	// CodingConfig is a CODING or CODING_TRAINING job's topic and model: the model it coded
	// with, or the model a training registered (none when it registered none), so that a
	// client learns the new model from the notification, without a Describe.
	CodingConfig *job.CodingConfig `json:"CodingConfig,omitempty"`
	// The fields of Textract's completion message, so that a consumer written for Textract's
	// NotificationChannel reads this one: Status (SUCCEEDED or FAILED: see TextractStatus), API (the operation that created the job: CreateJob,
	// a Comprehend Start…Job, BatchCode, RetryJob, DropRule), JobTag (the request's),
	// Timestamp (Time in Unix milliseconds) and DocumentLocation (the input).
	Status           string           `json:"Status"`
	API              string           `json:"API"`
	JobTag           string           `json:"JobTag"`
	Timestamp        int64            `json:"Timestamp"`
	DocumentLocation DocumentLocation `json:"DocumentLocation"`
	// TopicArn is the job's own SNS topic (its NotificationChannel), published to besides the
	// deployment's topic; empty when the job named none.
	TopicArn string `json:"-"`
}

// The event types of a job's event stream (GET /v1/jobs/{id}/events, server-sent events): a
// "progress" event carries the job, the one "notification" event its completion notification.
const (
	EventProgress     = "progress"
	EventNotification = "notification"
)

// DocumentLocation is a notification's input, as Textract's: the bucket and the key of the
// job's input object (or of its folder, for an input under a prefix; of the marker or object
// that started a drop job).
type DocumentLocation struct {
	S3Bucket     string `json:"S3Bucket"`
	S3ObjectName string `json:"S3ObjectName"`
}

// TextractStatus is a job's terminal status as Textract's completion message names it, within
// its values SUCCEEDED, FAILED and ERROR: COMPLETED and PARTIAL_SUCCESS (an output was written,
// with an error record for each document that failed) are SUCCEEDED; FAILED, TIMED_OUT and
// STOPPED (Textract has no stop) are FAILED. JobStatus beside it has Ream's own status (found
// from outside: PARTIAL_SUCCESS and STOPPED were sent as they are, outside Textract's values).
func TextractStatus(s job.Status) string {
	switch s {
	case job.Completed, job.PartialSuccess:
		return "SUCCEEDED"
	}
	return "FAILED"
}

// Model is one registered version of a coding model (GET /v1/topics/{topic}/models…). Models
// are immutable: a new version is a new model with its own ModelId.
type Model struct {
	ModelId          string    `json:"modelId"` // a GUID
	Topic            string    `json:"topic"`   // the coding scheme's uriName, e.g. "occupation"
	ModelVersion     int       `json:"modelVersion"`
	ModelReleaseDate time.Time `json:"modelReleaseDate"`
	ModelType        string    `json:"modelType"`
	TopicStandard    string    `json:"topicStandard"` // e.g. "SOC"
	TopicVersion     string    `json:"topicVersion"`  // e.g. "2010"
	// TrainedOn says what the model was trained on (data, rows, split).
	TrainedOn string `json:"trainedOn"`
	// Metrics are the model's held-out measures, as the trainer reports them.
	Metrics json.RawMessage `json:"metrics,omitempty"`
	// Training counts the records the model was trained on, held out and skipped, from its
	// model file's info; nil for a model registered before the registry kept them (absent
	// from the stored record, so such a record reads as it was written).
	Training *ModelTraining `json:"training,omitempty" dynamodbav:",omitempty"`
	// Shipped is true for a model that comes with Ream (every tenant's); false for one a tenant
	// trained (that tenant's alone).
	Shipped bool `json:"shipped"`
	// TrainingJobId is the job that trained it ("" for a shipped model).
	TrainingJobId string `json:"trainingJobId,omitempty"`
	SizeBytes     int64  `json:"sizeBytes"`

	// Tenant owns the model; "" for a shipped model.
	Tenant string `json:"-"`
	// Key is the model file's object key.
	Key string `json:"-"`
}

// ModelTraining is what a model was trained on, in records (Model.Training).
type ModelTraining struct {
	// TrainRecords were trained on; HeldOutRecords were held out to fit the temperature and
	// thresholds and to measure the metrics.
	TrainRecords   int `json:"trainRecords"`
	HeldOutRecords int `json:"heldOutRecords"`
	// RefitRecords, when not 0, is the number of records (training and held-out) the weights
	// were trained on again after calibration; the metrics stay those of the model trained on
	// TrainRecords alone. 0: the weights are those trained on TrainRecords.
	RefitRecords int                  `json:"refitRecords"`
	Skipped      ModelTrainingSkipped `json:"skipped"`
}

// ModelTrainingSkipped counts the input records training could not use.
type ModelTrainingSkipped struct {
	UnknownCode int `json:"unknownCode"` // no code, or not a finest-level code of the scheme
	Empty       int `json:"empty"`       // no word to learn from in either text
}

// Normalized returns m as a model registry stores and returns it (both adapters): the release
// date in UTC, Metrics and Training copied, and empty Metrics as none.
func (m Model) Normalized() Model {
	m.ModelReleaseDate = m.ModelReleaseDate.UTC()
	if m.Training != nil {
		t := *m.Training
		m.Training = &t
	}
	if len(m.Metrics) == 0 {
		m.Metrics = nil
	} else {
		m.Metrics = append(json.RawMessage(nil), m.Metrics...)
	}
	return m
}
