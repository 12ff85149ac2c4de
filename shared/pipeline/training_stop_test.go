package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/codingop"
)

// stopOnModelPut is an object store that calls stop the first time a model file is stored: a
// user's stop landing after training, as the model is about to be registered.
type stopOnModelPut struct {
	pipeline.Objects
	stop func()
	once sync.Once
}

func (o *stopOnModelPut) Put(ctx context.Context, key string, r io.Reader) error {
	if strings.HasPrefix(key, codingop.ModelsPrefix) && !strings.HasPrefix(key, codingop.ShippedModelsPrefix) {
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

// TestTrainingCutShortByStop: a stop that comes while a training runs cuts it short (the
// training looks for it every few seconds) rather than letting it run to its end, minutes for
// a large input (found from outside); the job ends STOPPED with no model. The input is the ONS
// coding index (23,567 titles, ten seconds or so of training), skipped when absent.
func TestTrainingCutShortByStop(t *testing.T) {
	data, err := os.ReadFile("../../../shared/data/occupations-soc2010-train.tsv")
	if err != nil {
		t.Skipf("the ONS training file is not beside the repository: %v", err)
	}
	var jsonl strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		code, title, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		b, _ := json.Marshal(map[string]string{"code": code, "occp_text": title, "tasks_text": ""})
		jsonl.Write(b)
		jsonl.WriteByte('\n')
	}
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	var logs bytes.Buffer
	var mu sync.Mutex
	var svc *pipeline.Service
	deps := st.deps
	deps.Log = slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	deps.Hooks = stopOnceHooks(t, ctx, &svc, nil)
	svc = pipeline.New(deps)
	if err := st.objects.Put(ctx, "inputs/local/ons.jsonl", strings.NewReader(jsonl.String())); err != nil {
		t.Fatal(err)
	}
	created, err := svc.CreateJob(ctx, "local", api.CreateJobRequest{
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/ons.jsonl", InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	})
	if err != nil {
		t.Fatal(err)
	}
	processQueue(t, ctx, svc, st.queue)
	j, err := st.jobs.Get(ctx, "local", created.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.Stopped || j.CodingConfig.ModelId != "" {
		t.Fatalf("stopped as it trained: %s %q, model %q; want STOPPED with no model", j.JobStatus, j.Message, j.CodingConfig.ModelId)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), `"cut_short":true`) {
		t.Fatalf("the training was not cut short by the stop; log:\n%s", logs.String())
	}
}

// lockedWriter serialises writes to w (a log written from several goroutines).
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestTrainingStoppedAfterLostModelRecord: a training shard that registered its model and died
// before recording it on the job, then a stop, leaves a STOPPED job that names the model it
// registered, not one saying "no model was made" while that model is the tenant's latest.
func TestTrainingStoppedAfterLostModelRecord(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	deps := st.deps
	deps.Jobs = loseModelRecord{st.jobs}
	killed := pipeline.New(deps)
	id, sm := startedTrainingShard(t, ctx, st)
	if err := killed.ProcessShard(ctx, sm); err == nil {
		t.Fatal("the shard whose model record was lost succeeded")
	}
	if _, err := st.svc.Stop(ctx, "local", id); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.ProcessShard(ctx, sm); err != nil { // the redelivery, skipped by the stop
		t.Fatal(err)
	}
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.models.List(ctx, "local", "occupation")
	if err != nil || len(ms) == 0 || ms[len(ms)-1].TrainingJobId != id {
		t.Fatalf("the tenant's models: %+v %v; want the job's model last", ms, err)
	}
	model := ms[len(ms)-1]
	if j.JobStatus != job.Stopped || j.CodingConfig == nil || j.CodingConfig.ModelId != model.ModelId ||
		!strings.Contains(j.Message, model.ModelId) || strings.Contains(j.Message, "no model") {
		t.Fatalf("stopped after its model %s was registered: %s %q, %+v; want STOPPED naming the model", model.ModelId, j.JobStatus, j.Message, j.CodingConfig)
	}
}
