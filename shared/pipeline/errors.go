package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/errorrecord"
)

// Errors pages through the error records of a job, running or finished, without the archive:
// every shard writes its error records to an object of its own (ShardRecord.ErrorsKey) when it is
// recorded, and this reads them in shard order, filtered. Each record is returned exactly as its
// line in the output archive. While a job runs, a page covers the shards recorded so far.
func (s *Service) Errors(ctx context.Context, tenant, id string, f api.ErrorsFilter) (*api.ErrorsResponse, error) {
	f, tok, err := errorrecord.CheckRequest(id, f)
	if err != nil {
		return nil, err
	}
	j, err := s.jobs.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if j.Has(job.Topics) {
		// A CODING_TRAINING job's error records (the records it could not use) are served like
		// any job's: its shard writes them as every shard does.
		return nil, fmt.Errorf("%w: job %s is a %s job, whose error records are in errors.jsonl of its output archive (this route serves per-document jobs)", job.ErrInvalid, id, j.Analyses[0])
	}
	if f.Analysis != "" && !slices.Contains(j.Analyses, f.Analysis) {
		return nil, fmt.Errorf("%w: job %s does not run %s (it runs %v)", job.ErrInvalid, id, f.Analysis, j.Analyses)
	}
	recs, err := s.jobs.Shards(ctx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("list shard records: %w", err)
	}
	return errorrecord.Page(ctx, s.objects, j, recs, f, tok)
}
