package output

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// OutputFormat describes where and how the results are, for OutputInfo.Format.
const OutputFormat = "JSON Lines in output.tar.gz entry 'output'"

// Shard statuses in the manifest.
const (
	ShardProcessed = "PROCESSED"
	ShardSkipped   = "SKIPPED"
	ShardFailed    = "FAILED"
)

// Manifest is manifest.json, written beside output.tar.gz: what the job was, how it ended and
// where each output line came from.
type Manifest struct {
	JobId            string               `json:"JobId"`
	JobName          string               `json:"JobName,omitempty"`
	Tenant           string               `json:"Tenant"`
	JobStatus        job.Status           `json:"JobStatus"`
	Message          string               `json:"Message,omitempty"`
	Analyses         []AnalysisInfo       `json:"Analyses"`
	InputDataConfig  job.InputDataConfig  `json:"InputDataConfig"`
	OutputDataConfig job.OutputDataConfig `json:"OutputDataConfig"`
	LanguageCode     string               `json:"LanguageCode,omitempty"`
	JobDetails       job.Details          `json:"JobDetails"`
	SubmitTime       time.Time            `json:"SubmitTime"`
	EndTime          time.Time            `json:"EndTime,omitzero"`
	Output           OutputInfo           `json:"Output"`
	Shards           []ShardInfo          `json:"Shards"`
}

// AnalysisInfo records one analysis the job ran and with what.
type AnalysisInfo struct {
	Analysis         job.Analysis `json:"Analysis"`
	ModelVersion     string       `json:"ModelVersion"`
	MaxDocumentBytes int          `json:"MaxDocumentBytes"`
}

// OutputInfo says where the results are.
type OutputInfo struct {
	// ArchiveKey is the object key of output.tar.gz.
	ArchiveKey string `json:"ArchiveKey"`
	// Location is the user-facing location of the archive (an s3:// URI, or the local path).
	Location string `json:"Location,omitempty"`
	// Lines is the number of documents the archive accounts for: the lines of its "output"
	// entry (one per document), or for TOPICS the documents read (doc-topics.csv has a row per
	// topic of a document, and none for a document without a vocabulary term).
	Lines int64 `json:"Lines"`
	// Format is OutputFormat.
	Format string `json:"Format"`
}

// ShardInfo is one shard's account.
type ShardInfo struct {
	Index int `json:"Index"`
	// Start and End are the shard's byte range [Start, End) in the input (line formats; 0
	// for ONE_DOC_PER_FILE shards).
	Start int64 `json:"Start"`
	End   int64 `json:"End"`
	// Files is how many input objects the shard held (ONE_DOC_PER_FILE).
	Files int `json:"Files,omitempty"`
	// File is the input object of a line-format shard, and FirstFile and LastFile the first
	// and last of a ONE_DOC_PER_FILE shard's (in key order), each named as error records name
	// it (relative to the input's folder), so a shard maps back to the input.
	File      string `json:"File,omitempty"`
	FirstFile string `json:"FirstFile,omitempty"`
	LastFile  string `json:"LastFile,omitempty"`
	Documents int64  `json:"Documents"`
	Errors    int64  `json:"Errors"`
	// Status is ShardProcessed, ShardSkipped or ShardFailed.
	Status string `json:"Status"`
}

// WriteManifest writes m to w as indented JSON (two spaces, no HTML escaping, newline at the
// end). Nil lists are written as [].
func WriteManifest(w io.Writer, m *Manifest) error {
	if m == nil {
		return fmt.Errorf("output: nil manifest")
	}
	c := *m
	if c.Analyses == nil {
		c.Analyses = []AnalysisInfo{}
	}
	if c.Shards == nil {
		c.Shards = []ShardInfo{}
	}
	if c.Output.Format == "" {
		c.Output.Format = OutputFormat
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return fmt.Errorf("output: write manifest: %w", err)
	}
	return nil
}
