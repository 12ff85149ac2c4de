package api

import (
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// The coding service's wire types (/oauth2/token, /v1/topics/…): field names as its clients
// already speak them.

// HeaderSSEKMSKeyID is the upload header that names the bucket's KMS key; presigned uploads
// sign it (with x-amz-server-side-encryption: aws:kms) on S3 and locally alike.
const (
	HeaderSSE         = "x-amz-server-side-encryption"
	HeaderSSEKMSKeyID = "x-amz-server-side-encryption-aws-kms-key-id"
)

// HeaderValue returns the value of header name in h, whatever the case of its key (the S3 adapter
// names signed headers in canonical case, the local store in lower case).
func HeaderValue(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Operation statuses of the coding service.
const (
	OpAwaitingInput = "awaiting_input"
	OpInProgress    = "in_progress"
	OpComplete      = "complete"
	OpTimedOut      = "timed_out"
	OpFailed        = "failed"
)

// Token is the answer of POST /oauth2/token (client-credentials grant).
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// Topic is a coding scheme (GET /v1/topics).
type Topic struct {
	URIName       string `json:"uriName"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	TopicStandard string `json:"topicStandard"`
	TopicVersion  string `json:"topicVersion"`
}

// TopicDetail is a topic with its classification (GET /v1/topics/{topic}).
type TopicDetail struct {
	Topic
	Codes []Code `json:"codes"`
}

// Code is one code of a classification: its level (1 = coarsest) and its parent ("" at level 1).
type Code struct {
	Code   string `json:"code"`
	Label  string `json:"label"`
	Level  int    `json:"level"`
	Parent string `json:"parent,omitempty"`
}

// CodeResult is one code given to a record, with the model's confidence.
type CodeResult struct {
	CodeCategory   string  `json:"codeCategory"`
	CodeLabel      string  `json:"codeLabel"`
	CodeConfidence float64 `json:"codeConfidence"`
}

// Coding is a record's coding: Result when a code at some level is confident enough (fewer
// digits when only a coarser level is), and always the three most likely finest-level codes.
type Coding struct {
	Result      *CodeResult  `json:"result,omitempty"`
	Suggestions []CodeResult `json:"suggestions"`
}

// CodingError is the error of a record that could not be coded.
type CodingError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// CodedRecord is one line of a coding operation's output, in input order.
type CodedRecord struct {
	RecordId    string       `json:"recordId"`
	Result      *CodeResult  `json:"result,omitempty"`
	Suggestions []CodeResult `json:"suggestions,omitempty"`
	Error       *CodingError `json:"error,omitempty"`
}

// CodingOperationStarted is the answer of POST …/batch-code.
type CodingOperationStarted struct {
	RequestUploadURL string `json:"requestUploadUrl"`
	OperationId      string `json:"operationId"`
	BucketKmsKeyArn  string `json:"bucketKmsKeyArn"`
	// UploadHeaders are the headers the PUT must send exactly (the two SSE-KMS headers).
	UploadHeaders map[string]string `json:"uploadHeaders,omitempty"`
}

// CodingOperationStatus is the answer of GET …/batch-code/operations/{operationId}.
type CodingOperationStatus struct {
	OperationId         string `json:"operationId"`
	OperationStatus     string `json:"operationStatus"`
	ResponseDownloadURL string `json:"responseDownloadUrl,omitempty"`
	MetadataDownloadURL string `json:"metadataDownloadUrl,omitempty"`
	Error               string `json:"error,omitempty"`
	// Job is the Ream job behind the operation (live counters), for clients that want them.
	Job *job.Job `json:"job,omitempty"`
}

// Classification names a classification and its version.
type Classification struct {
	Standard string `json:"standard"`
	Version  string `json:"version"`
}

// ModelRef names the model an operation used.
type ModelRef struct {
	ModelId          string    `json:"modelId"`
	ModelVersion     int       `json:"modelVersion"`
	ModelReleaseDate time.Time `json:"modelReleaseDate"`
	ModelType        string    `json:"modelType"`
}

// CodingMetadata is the metadata file of a finished coding operation.
type CodingMetadata struct {
	OperationId       string         `json:"operationId"`
	Topic             string         `json:"topic"`
	Classification    Classification `json:"classification"`
	Model             ModelRef       `json:"model"`
	Records           int64          `json:"records"`
	RecordsWithErrors int64          `json:"recordsWithErrors"`
	SubmitTime        time.Time      `json:"submitTime"`
}
