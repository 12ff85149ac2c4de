package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
)

// brokenAnalyzer fails every document with an error that is not a DocError (a bug), or panics.
type brokenAnalyzer struct {
	name   job.Analysis
	panics bool
}

func (b brokenAnalyzer) Name() job.Analysis { return b.name }
func (brokenAnalyzer) ModelVersion() string { return "test" }
func (brokenAnalyzer) DefaultMaxBytes() int { return 1 << 20 }
func (b brokenAnalyzer) Analyze(string, analysis.Options, *analysis.Result) error {
	if b.panics {
		panic("index out of range")
	}
	return errors.New("model not loaded")
}

// TestAnalyserFailureLogNamesJobAndDocument: an analyser that fails or panics on a document costs
// that document's analysis (INTERNAL_ERROR), and its log line, the only place the cause is told,
// names the tenant, job and shard and the document's file, line and record id, as the shard's
// other lines do (they said only the analysis, so an operator could not tell which job hit it).
func TestAnalyserFailureLogNamesJobAndDocument(t *testing.T) {
	for _, panics := range []bool{false, true} {
		var buf bytes.Buffer
		base := slog.New(slog.NewJSONHandler(&buf, nil))
		s := &Service{log: base}
		shardLog := base.With("tenant", "t1", "job", "j1", "shard", 3)
		j := &job.Job{Tenant: "t1", JobId: "j1", Analyses: []job.Analysis{job.Sentiment}}
		line := int64(41)
		rec := output.Record{File: "reviews.jsonl", Line: &line, RecordId: "r-7"}
		a := brokenAnalyzer{name: job.Sentiment, panics: panics}
		s.analyse(context.Background(), shardLog, []analysis.Analyzer{a}, nil, j, input.Document{Text: "fine", File: rec.File, RecordId: rec.RecordId}, &rec, nil)
		if rec.ErrorCode != job.CodeInternalError {
			t.Fatalf("panics=%v: ErrorCode %q, want %s", panics, rec.ErrorCode, job.CodeInternalError)
		}
		var got map[string]any
		if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &got); err != nil {
			t.Fatalf("panics=%v: log %q: %v", panics, buf.String(), err)
		}
		if msg, _ := got["msg"].(string); !strings.HasPrefix(msg, "analyser ") {
			t.Fatalf("panics=%v: line %v", panics, got)
		}
		want := map[string]any{"tenant": "t1", "job": "j1", "shard": 3.0, "file": "reviews.jsonl", "line": 41.0, "recordId": "r-7", "analysis": "SENTIMENT"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("panics=%v: %s = %v, want %v (line %v)", panics, k, got[k], v, got)
			}
		}
	}
}
