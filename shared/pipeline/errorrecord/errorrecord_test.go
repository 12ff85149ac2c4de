package errorrecord

import (
	"errors"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

func TestDocumentCode(t *testing.T) {
	if c, err := DocumentCode("ErrorCode", "shard_failed"); err != nil || c != job.CodeShardFailed {
		t.Errorf("DocumentCode(shard_failed) = %q, %v", c, err)
	}
	if _, err := DocumentCode("ErrorCode", "NOPE"); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("DocumentCode(NOPE) = %v; want ErrInvalid", err)
	}
}

func TestMatcher(t *testing.T) {
	two := &job.Job{Analyses: []job.Analysis{job.Sentiment, job.PII}}
	rec := []byte(`{"File":"a","ErrorCode":"","Errors":[{"Analysis":"PII","ErrorCode":"` + job.CodeInternalError + `"}]}`)
	for _, tc := range []struct {
		j    *job.Job
		f    api.ErrorsFilter
		line []byte
		want bool
	}{
		{two, api.ErrorsFilter{}, []byte("not json"), true}, // no filter: every line
		{two, api.ErrorsFilter{ErrorCode: job.CodeInternalError}, rec, true},
		{two, api.ErrorsFilter{Analysis: job.PII}, rec, true},
		{two, api.ErrorsFilter{Analysis: job.Sentiment}, rec, false},
		{two, api.ErrorsFilter{ErrorCode: job.CodeShardFailed, Analysis: job.PII}, rec, false},
		{two, api.ErrorsFilter{ErrorCode: job.CodeInternalError}, []byte("not json"), false},
		{&job.Job{Analyses: []job.Analysis{job.PII}}, api.ErrorsFilter{ErrorCode: job.CodeEmptyDocument}, []byte(`{"ErrorCode":"EMPTY_DOCUMENT"}`), true},
		// A one-analysis job's every error record is that analysis's.
		{&job.Job{Analyses: []job.Analysis{job.PII}}, api.ErrorsFilter{Analysis: job.PII}, []byte(`{"ErrorCode":"EMPTY_DOCUMENT"}`), true},
		{&job.Job{Analyses: []job.Analysis{job.PII}}, api.ErrorsFilter{ErrorCode: job.CodeInternalError}, []byte(`{"ErrorCode":"EMPTY_DOCUMENT"}`), false},
		// In a job of several, a document-level error is no analysis's failure: an Analysis
		// filter does not match it, an ErrorCode filter alone does.
		{two, api.ErrorsFilter{Analysis: job.PII}, []byte(`{"File":"a","ErrorCode":"EMPTY_DOCUMENT"}`), false},
		{two, api.ErrorsFilter{Analysis: job.PII, ErrorCode: job.CodeEmptyDocument}, []byte(`{"File":"a","ErrorCode":"EMPTY_DOCUMENT"}`), false},
		{two, api.ErrorsFilter{ErrorCode: job.CodeEmptyDocument}, []byte(`{"File":"a","ErrorCode":"EMPTY_DOCUMENT"}`), true},
	} {
		if got := matcher(tc.j, tc.f)(tc.line); got != tc.want {
			t.Errorf("matcher(%v, %+v)(%s) = %v; want %v", tc.j.Analyses, tc.f, tc.line, got, tc.want)
		}
	}
}
