package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/codingop"
)

// trainModel creates a training job of tenant "local" on testdata/coding/train-sample.jsonl
// (stored under key), runs the queue, and returns the job, which must be COMPLETED naming its
// model.
func trainModel(t *testing.T, ctx context.Context, st localService, svc *pipeline.Service, key string) *job.Job {
	t.Helper()
	data, err := os.ReadFile("../../testdata/coding/train-sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.objects.Put(ctx, key, strings.NewReader(string(data))); err != nil {
		t.Fatal(err)
	}
	created, err := svc.CreateJob(ctx, "local", api.CreateJobRequest{
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/" + key, InputFormat: job.JSONLines},
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
	if j.JobStatus != job.Completed || j.CodingConfig == nil || j.CodingConfig.ModelId == "" {
		t.Fatalf("training job: %s %q, %+v; want COMPLETED naming its model", j.JobStatus, j.Message, j.CodingConfig)
	}
	return j
}

// rivalModels is a model registry on which, just before each registration of a model trained by
// a job, another training job of the same tenant registers its model at that very version (up
// to rivals times): the registrations of many training jobs finishing at the same moment.
type rivalModels struct {
	pipeline.Models
	rivals atomic.Int32
}

func (r *rivalModels) Register(ctx context.Context, m api.Model) (api.Model, bool, error) {
	if m.TrainingJobId != "" && !strings.HasPrefix(m.TrainingJobId, "rival-") && r.rivals.Add(-1) >= 0 {
		rival := m
		rival.ModelId = codingop.ModelID("rival", fmt.Sprint(r.rivals.Load()))
		rival.TrainingJobId = "rival-" + rival.ModelId
		if _, created, err := r.Models.Register(ctx, rival); err != nil || !created {
			return api.Model{}, false, fmt.Errorf("the rival's registration: created %v, %v", created, err)
		}
	}
	return r.Models.Register(ctx, m)
}

// TestTrainingRegistersPastManyRivals: a training job whose registration meets many others of
// its tenant registering at the same moment (more than the 20 tries the version's retries were
// bounded by) still registers its model in its one delivery, at the next free version, which is
// its tenant's highest and so its latest. Before, after 20 versions taken under it the delivery
// failed ("no free version after 20 tries") and the whole training ran again on the message's
// next delivery, a visibility timeout later (on AWS, 18 minutes), counting towards the shard's
// receive count.
func TestTrainingRegistersPastManyRivals(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	const rivals = 25
	reg := &rivalModels{Models: st.models}
	reg.rivals.Store(rivals)
	deps := st.deps
	deps.Models = reg
	svc := pipeline.New(deps)
	j := trainModel(t, ctx, st, svc, "inputs/local/train.jsonl") // one delivery: processQueue fails on a delivery's error
	m, err := svc.Model(ctx, "local", "occupation", j.CodingConfig.ModelId)
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.models.List(ctx, "local", "occupation")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != rivals+2 {
		t.Fatalf("%d models registered, want the shipped one, %d rivals and the job's", len(all), rivals)
	}
	seen := map[int]bool{}
	for _, o := range all {
		if o.Tenant != "" && seen[o.ModelVersion] {
			t.Errorf("version %d registered twice", o.ModelVersion)
		}
		seen[o.ModelVersion] = true
	}
	if want := rivals + 2; m.ModelVersion != want || j.ModelVersion != fmt.Sprintf("CODING_TRAINING=%s@v%d", m.ModelId, want) {
		t.Errorf("the job's model is version %d (job: %s); want %d, after the shipped model and the rivals' 2 to %d", m.ModelVersion, j.ModelVersion, want, rivals+1)
	}
	if latest, err := svc.Model(ctx, "local", "occupation", codingop.Latest); err != nil || latest.ModelId != m.ModelId {
		t.Errorf("latest = %s v%d, %v; want the job's model, the highest version", latest.ModelId, latest.ModelVersion, err)
	}
}

// refusingModels is a registry that refuses every registration with ErrConflict and registers
// nothing: a conflict that is not a version another model took (as for an id another tenant's
// model holds).
type refusingModels struct{ pipeline.Models }

func (refusingModels) Register(context.Context, api.Model) (api.Model, bool, error) {
	return api.Model{}, false, fmt.Errorf("refused: %w", job.ErrConflict)
}

// TestRegisterStopsOnAConflictWithoutRival: the retries of a taken version go on only while
// another model holds the version tried; a registry that refuses without one ends them with an
// error at once, rather than trying version after version.
func TestRegisterStopsOnAConflictWithoutRival(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	deps := st.deps
	deps.Models = refusingModels{st.models}
	err := pipeline.New(deps).RegisterShippedModels(ctx)
	if err == nil || !strings.Contains(err.Error(), "no other model holds it") {
		t.Fatalf("RegisterShippedModels on a registry refusing every model = %v; want the refusal", err)
	}
}

// TestDeletedTrainingJobLeavesItsModel: deleting a training job (DELETE /v1/jobs/{id}) deletes
// the job and its data, not the model it registered: the model's registry entry and file stay,
// it stays the tenant's latest, an operation pinned to it before the deletion codes with it, and
// one pinned after is accepted too; only its trainingJobId names a job that is now 404.
func TestDeletedTrainingJobLeavesItsModel(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	trained := trainModel(t, ctx, st, st.svc, "inputs/local/train.jsonl")
	id := trained.CodingConfig.ModelId
	pinned, err := st.svc.StartCoding(ctx, "local", "occupation", id)
	if err != nil {
		t.Fatal(err)
	}
	unpinned, err := st.svc.StartCoding(ctx, "local", "occupation", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.svc.EraseJob(ctx, "local", trained.JobId); err != nil {
		t.Fatal(err)
	}
	if _, err := st.svc.Describe(ctx, "local", trained.JobId); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("Describe of the deleted training job = %v; want ErrNotFound", err)
	}
	m, err := st.svc.Model(ctx, "local", "occupation", id)
	if err != nil {
		t.Fatalf("the model of the deleted training job: %v; want it kept", err)
	}
	if m.TrainingJobId != trained.JobId {
		t.Errorf("the model's trainingJobId = %q, want the deleted job's %s", m.TrainingJobId, trained.JobId)
	}
	if _, err := st.objects.Head(ctx, m.Key); err != nil {
		t.Fatalf("the model's file %s after its training job was deleted: %v", m.Key, err)
	}
	if latest, err := st.svc.Model(ctx, "local", "occupation", codingop.Latest); err != nil || latest.ModelId != id {
		t.Errorf("latest after the deletion = %s, %v; want the model %s still", latest.ModelId, err, id)
	}
	after, err := st.svc.StartCoding(ctx, "local", "occupation", id)
	if err != nil {
		t.Fatalf("an operation pinned to the model after the deletion: %v", err)
	}
	records := `{"recordId":"1","occp_text":"staff nurse","tasks_text":"caring for patients"}` + "\n"
	for _, op := range []string{pinned.OperationId, unpinned.OperationId, after.OperationId} {
		j, err := st.jobs.Get(ctx, "local", op)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.objects.Put(ctx, j.InputKey, strings.NewReader(records)); err != nil {
			t.Fatal(err)
		}
		if err := st.svc.InputArrived(ctx, j.InputKey); err != nil {
			t.Fatal(err)
		}
	}
	processQueue(t, ctx, st.svc, st.queue)
	for _, op := range []string{pinned.OperationId, unpinned.OperationId, after.OperationId} {
		status, err := st.svc.CodingOperation(ctx, "local", "occupation", id, op)
		if err != nil {
			t.Fatalf("operation %s, by the model's route: %v", op, err)
		}
		if status.OperationStatus != api.OpComplete || status.Job.ModelVersion != fmt.Sprintf("CODING=%s@v%d", id, m.ModelVersion) {
			t.Errorf("operation %s: %s %q, model %s; want complete, coded with %s", op, status.OperationStatus, status.Error, status.Job.ModelVersion, id)
		}
	}
}
