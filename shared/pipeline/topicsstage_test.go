package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/topicsjob"
)

// stageStore is a job store holding one running TOPICS job; it counts the updates written.
type stageStore struct {
	Jobs
	j       *job.Job
	updates int
}

func (f *stageStore) Get(context.Context, string, string) (*job.Job, error) {
	return f.j.Clone(), nil
}

func (f *stageStore) Update(_ context.Context, j *job.Job, _ job.Status) error {
	f.updates++
	f.j = j.Clone()
	return nil
}

// TestInitLabelNeverMovesTheStageBack: the initial fit shows its own label while it runs, but
// a second reducer of the sample stage (a duplicate delivery, the sweeper's rescue of a claim
// gone stale) that reaches the label after the first one stored the model and moved the job on
// to round 1 must not show the initial fit again: a client polling Describe would see the stage go
// from "fitting round 1 of at most 20" back to "fitting the initial model on a sample", and
// stay there for the whole round.
func TestInitLabelNeverMovesTheStageBack(t *testing.T) {
	sample := job.TopicsStage{Shards: 4, Index: 1, Kind: topicsjob.Sample}
	round := job.TopicsStage{Shards: 4, Index: 2, Kind: topicsjob.Round, Round: 1}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	running := &job.Job{Tenant: "local", JobId: "j", JobStatus: job.InProgress, TopicsStage: &round,
		JobDetails: job.Details{ShardsTotal: 12, ShardsDone: 8, Stage: topicsjob.StageLabel(&round, 20)}}
	store := &stageStore{j: running}
	s := &Service{jobs: store, now: func() time.Time { return now }}

	stale := running.Clone() // the second reducer's copy, read at the sample stage
	stale.TopicsStage = &sample
	s.setStage(context.Background(), stale, topicsjob.InitLabel)
	if store.updates != 0 || store.j.JobDetails.Stage != "fitting round 1 of at most 20" {
		t.Errorf("stage after a late initial fit: %q (%d updates), want it left at round 1", store.j.JobDetails.Stage, store.updates)
	}

	// At the sample stage itself the label is shown.
	store.j.TopicsStage, store.j.JobDetails.Stage = &sample, topicsjob.StageLabel(&sample, 20)
	s.setStage(context.Background(), stale, topicsjob.InitLabel)
	if store.j.JobDetails.Stage != topicsjob.InitLabel {
		t.Errorf("stage during the initial fit: %q, want %q", store.j.JobDetails.Stage, topicsjob.InitLabel)
	}
}
