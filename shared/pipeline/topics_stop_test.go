package pipeline

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// TestTopicsStoppedMessage: a stopped TOPICS job's Message names the stage Describe showed (the
// initial fit said "while sampling") and, stopped while assigning, does not claim that no
// model was produced (found from outside).
func TestTopicsStoppedMessage(t *testing.T) {
	fit := &job.Job{JobDetails: job.Details{Stage: stageInitLabel}}
	if m := topicsStoppedMessage(fit, &job.TopicsStage{Kind: stageSample}); !strings.Contains(m, "while "+stageInitLabel) || !strings.Contains(m, "no topic model was produced") {
		t.Errorf("stopped during the initial fit: %q", m)
	}
	assign := &job.Job{JobDetails: job.Details{Stage: "assigning"}}
	if m := topicsStoppedMessage(assign, &job.TopicsStage{Kind: stageAssign}); strings.Contains(m, "no topic model") || !strings.Contains(m, "writes no output") {
		t.Errorf("stopped while assigning: %q", m)
	}
	if m := topicsStoppedMessage(&job.Job{}, &job.TopicsStage{Kind: stageCount}); !strings.Contains(m, "while counting") {
		t.Errorf("stopped while counting, no Stage shown: %q", m)
	}
}

// stopLater is a job store whose one job is IN_PROGRESS until stopped is set, then
// STOP_REQUESTED (untilStopped only reads it).
type stopLater struct {
	Jobs
	stopped atomic.Bool
}

func (f *stopLater) Get(_ context.Context, tenant, id string) (*job.Job, error) {
	st := job.InProgress
	if f.stopped.Load() {
		st = job.StopRequested
	}
	return &job.Job{Tenant: tenant, JobId: id, JobStatus: st}, nil
}

// TestInitialFitSeesStopSoon: the README promises that a stop request ends a TOPICS job's
// initial fit within 2 seconds. The fit ends at its next EM iteration once its watch has seen
// the stop, so the watch must see it well within 2 seconds, wherever the request falls between
// two looks (found from outside: with a look every 2 seconds, a K=100 job on 25,000 IMDB
// reviews reached STOPPED 2.4 s after the request).
func TestInitialFitSeesStopSoon(t *testing.T) {
	jobs := &stopLater{}
	s := &Service{jobs: jobs}
	ctx, cancel := s.untilStopped(context.Background(), &job.Job{Tenant: "local", JobId: "j"}, fitStopPollInterval)
	defer cancel()
	// The request lands just after a look: the worst case.
	start := time.Now()
	jobs.stopped.Store(true)
	select {
	case <-ctx.Done():
		if waited := time.Since(start); waited > 1500*time.Millisecond {
			t.Errorf("the fit's watch saw the stop after %v; want at most 1.5 s, leaving time for the EM iteration that is running", waited)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the fit's watch never saw the stop")
	}
}
