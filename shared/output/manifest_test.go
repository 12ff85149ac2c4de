package output

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

func TestWriteManifest(t *testing.T) {
	submit := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	full := &Manifest{
		JobId: "j-1", JobName: "reviews <q1>", Tenant: "acme", JobStatus: job.PartialSuccess, Message: "2 documents failed",
		Analyses:         []AnalysisInfo{{Analysis: job.Sentiment, ModelVersion: "vader-1", MaxDocumentBytes: 5000}},
		InputDataConfig:  job.InputDataConfig{S3Uri: "s3://b/in.txt", InputFormat: job.OneDocPerLine},
		OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://b/out/"},
		LanguageCode:     "en",
		JobDetails:       job.Details{InputDocumentsCount: 10, ProcessedDocumentsCount: 10, DocumentsWithErrorsCount: 2, ShardsTotal: 2, ShardsDone: 2},
		SubmitTime:       submit, EndTime: submit.Add(time.Minute),
		Output: OutputInfo{ArchiveKey: "acme/jobs/j-1/output.tar.gz", Location: "s3://b/out/j-1/output.tar.gz", Lines: 10, Format: OutputFormat},
		Shards: []ShardInfo{
			{Index: 0, Start: 0, End: 100, Documents: 6, Errors: 0, Status: ShardProcessed},
			{Index: 1, Start: 100, End: 180, Documents: 4, Errors: 2, Status: ShardFailed},
		},
	}
	tests := []struct {
		name     string
		m        *Manifest
		contains []string
		absent   []string
	}{
		{
			name: "full",
			m:    full,
			contains: []string{
				"{\n  \"JobId\": \"j-1\",\n  \"JobName\": \"reviews <q1>\"",
				`"Tenant": "acme"`, `"JobStatus": "PARTIAL_SUCCESS"`, `"ModelVersion": "vader-1"`,
				`"MaxDocumentBytes": 5000`, `"InputFormat": "ONE_DOC_PER_LINE"`, `"EndTime": "2025-03-01T12:01:00Z"`,
				`"Format": "JSON Lines in output.tar.gz entry 'output'"`, `"Status": "FAILED"`, `"Start": 0`,
				`"InputDocumentsCount": 10`,
			},
		},
		{
			name:     "minimal: nil lists are [], zero end time omitted, format defaulted",
			m:        &Manifest{JobId: "j-2", Tenant: "t", JobStatus: job.Failed, SubmitTime: submit},
			contains: []string{`"Analyses": []`, `"Shards": []`, `"Format": "JSON Lines in output.tar.gz entry 'output'"`},
			absent:   []string{"EndTime", "JobName", "Message", "LanguageCode", "null"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteManifest(&buf, tt.m); err != nil {
				t.Fatal(err)
			}
			s := buf.String()
			for _, c := range tt.contains {
				if !strings.Contains(s, c) {
					t.Errorf("manifest lacks %q:\n%s", c, s)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(s, a) {
					t.Errorf("manifest has %q:\n%s", a, s)
				}
			}
			if !strings.HasSuffix(s, "}\n") {
				t.Errorf("manifest does not end with a newline")
			}
			var back Manifest
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if tt.m == full && !reflect.DeepEqual(&back, full) {
				t.Errorf("round trip:\n got %+v\nwant %+v", back, *full)
			}
		})
	}
	if err := WriteManifest(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteManifest(nil) succeeded")
	}
}
