package pipeline_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// TestUploadLongAfterStopKeepsTheMessage: a job stopped before its input arrived keeps its
// Message (the one its notification carried) when an upload is stored well after the stop,
// which S3 cannot refuse (found from outside on AWS: a PUT 5 s after the stop made it "its input
// had arrived and was not analysed"); an upload stored as the stop landed still changes it.
func TestUploadLongAfterStopKeepsTheMessage(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shift time.Duration // the service's clock against the store's
		want  string
	}{
		{"stored 10 s after the stop", -10 * time.Second, "stopped on request before its input arrived"},
		{"stored as the stop landed", 0, "its input had arrived and was not analysed"},
	} {
		shift := tc.shift
		st := newLocalService(t, pipeline.Config{}, func() time.Time { return time.Now().Add(shift) })
		res, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
		if err != nil {
			t.Fatal(err)
		}
		if j, err := st.svc.Stop(ctx, "local", res.JobId); err != nil || j.Message != "stopped on request before its input arrived" {
			t.Fatalf("%s: stop: %v %+v", tc.name, err, j)
		}
		key := layout.UploadKey("local", res.JobId)
		if err := st.objects.Put(ctx, key, strings.NewReader("Hello there.\n")); err != nil {
			t.Fatal(err)
		}
		if err := st.svc.InputArrived(ctx, key); err != nil {
			t.Fatal(err)
		}
		j, err := st.jobs.Get(ctx, "local", res.JobId)
		if err != nil || j.JobStatus != job.Stopped || !strings.Contains(j.Message, tc.want) {
			t.Errorf("%s: %s %q (%v); want STOPPED saying %q", tc.name, j.JobStatus, j.Message, err, tc.want)
		}
	}
}

// stopRace is a job store that holds the stop of job id between its move to STOPPED and its
// notification's claim until the upload's event has read the job, and holds that event, once it
// has read the job, until the claim is written: the two writes then meet.
type stopRace struct {
	pipeline.Jobs
	id        string
	stopped   chan struct{} // closed once the job is STOPPED (its claim is held)
	read      chan struct{} // closed once the event read the STOPPED job (the claim goes on)
	claimed   chan struct{} // closed once the claim is written (the event goes on)
	readOnce  sync.Once
	claimOnce sync.Once
}

func (s *stopRace) Update(ctx context.Context, j *job.Job, expect job.Status) error {
	if j.JobId == s.id && expect == job.Stopped && j.NotifyClaimed != nil && !j.Notified {
		<-s.read
		err := s.Jobs.Update(ctx, j, expect)
		s.claimOnce.Do(func() { close(s.claimed) })
		return err
	}
	err := s.Jobs.Update(ctx, j, expect)
	if err == nil && j.JobId == s.id && j.JobStatus == job.Stopped && expect == job.AwaitingInput {
		close(s.stopped)
	}
	return err
}

func (s *stopRace) Get(ctx context.Context, tenant, id string) (*job.Job, error) {
	j, err := s.Jobs.Get(ctx, tenant, id)
	if err == nil && id == s.id && j.JobStatus == job.Stopped && j.NotifyClaimed == nil {
		select {
		case <-s.stopped:
			s.readOnce.Do(func() { close(s.read); <-s.claimed })
		default:
		}
	}
	return j, err
}

// TestUploadAsStopLandsWhileNotifiedCorrectsTheMessage: the event of an upload stored as its
// job was stopped (before its input arrived) meets the stop's notification being claimed. The
// Message still becomes "its input had arrived and was not analysed", as the README says of an
// upload answered 200; before, the correction's write lost to the claim and was dropped, so
// Describe denied an upload it had accepted.
func TestUploadAsStopLandsWhileNotifiedCorrectsTheMessage(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	res, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
	if err != nil {
		t.Fatal(err)
	}
	race := &stopRace{Jobs: st.jobs, id: res.JobId, stopped: make(chan struct{}), read: make(chan struct{}), claimed: make(chan struct{})}
	rec := &countingNotifier{Notifier: st.deps.Notifier, sent: map[string]int{}}
	deps := st.deps
	deps.Jobs, deps.Notifier = race, rec
	svc := pipeline.New(deps)
	stopErr := make(chan error, 1)
	go func() {
		_, err := svc.Stop(ctx, "local", res.JobId)
		stopErr <- err
	}()
	<-race.stopped
	key := layout.UploadKey("local", res.JobId)
	if err := st.objects.Put(ctx, key, strings.NewReader("Hello there.\n")); err != nil {
		t.Fatal(err)
	}
	if err := svc.InputArrived(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := <-stopErr; err != nil {
		t.Fatal(err)
	}
	j, err := st.jobs.Get(ctx, "local", res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.Stopped || !strings.Contains(j.Message, "its input had arrived and was not analysed") {
		t.Errorf("%s %q; want STOPPED saying its input had arrived", j.JobStatus, j.Message)
	}
	if n := rec.count(res.JobId); n != 1 || !j.Notified {
		t.Errorf("notification published %d times, job marked notified %v; want once, marked", n, j.Notified)
	}
}
