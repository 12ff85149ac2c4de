package pipeline_test

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// stopOnModelPut is an object store that calls stop the first time a model file is stored: a
// user's stop landing after training, as the model is about to be registered.
type stopOnModelPut struct {
	pipeline.Objects
	stop func()
	once sync.Once
}

func (o *stopOnModelPut) Put(ctx context.Context, key string, r io.Reader) error {
	if strings.HasPrefix(key, pipeline.ModelsPrefix) && !strings.HasPrefix(key, pipeline.ShippedModelsPrefix) {
		o.once.Do(o.stop)
	}
	return o.Objects.Put(ctx, key, r)
}

// TestTrainingStoppedAfterRegistration: a stop that lands once the training is done (the model
// is being stored and registered) is too late to keep the model out: the job records its model
// and ends COMPLETED with it, rather than STOPPED with a registered model no job names (found
// in review: the model became the tenant's latest while the job said STOPPED).
func TestTrainingStoppedAfterRegistration(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	var svc *pipeline.Service
	var id string
	deps := st.deps
	deps.Objects = &stopOnModelPut{Objects: st.objects, stop: func() {
		if j, err := svc.Stop(ctx, "local", id); err != nil || j.JobStatus != job.StopRequested {
			t.Errorf("stop as the model is stored: %v %v", j, err)
		}
	}}
	svc = pipeline.New(deps)
	data, err := os.ReadFile("../../testdata/coding/train-sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.objects.Put(ctx, "inputs/local/train.jsonl", strings.NewReader(string(data))); err != nil {
		t.Fatal(err)
	}
	created, err := svc.CreateJob(ctx, "local", api.CreateJobRequest{
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/train.jsonl", InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id = created.JobId
	processQueue(t, ctx, svc, st.queue)
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.Completed || j.CodingConfig == nil || j.CodingConfig.ModelId == "" {
		t.Fatalf("stopped as its model was stored: %s %q, model %+v; want COMPLETED naming its model", j.JobStatus, j.Message, j.CodingConfig)
	}
	ms, err := st.models.List(ctx, "local", "occupation")
	if err != nil || len(ms) == 0 || ms[len(ms)-1].ModelId != j.CodingConfig.ModelId || ms[len(ms)-1].TrainingJobId != id {
		t.Fatalf("the tenant's models: %+v %v; want the job's model %s last", ms, err, j.CodingConfig.ModelId)
	}
}
