package reamcdk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	reampipeline "github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
	"github.com/ream-dev/ream/shared/pipeline/codingop"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// The construct and the Lambda code agree on names only by convention;
// these tests make the convention fail loudly when one side changes.

func TestContractNames(t *testing.T) {
	pairs := []struct{ what, infra, code string }{
		{"tenant index", IndexByTenant, reamaws.GSI1},
		{"status index", IndexByStatus, reamaws.GSI2},
		{"inputs prefix", InputsPrefix, layout.InputsPrefix},
		{"work prefix", WorkPrefix, layout.WorkPrefix},
		{"outputs prefix", OutputsPrefix, layout.OutputsPrefix},
		{"access keys prefix", AccessKeysPrefix, accesskeys.Prefix},
		{"models prefix", ModelsPrefix, codingop.ModelsPrefix},
		{"shipped models prefix", ShippedModelsPrefix, codingop.ShippedModelsPrefix},
		{"job topic prefix", DefaultJobTopicPrefix, reampipeline.DefaultJobTopicPrefix},
		{"failed shard log message", ShardFailedLogMessage, handlers.LogShardFailed},
		{"failed input event log message", InputFailedLogMessage, handlers.LogInputFailed},
		{"failed sweep log message", SweepFailedLogMessage, reampipeline.LogSweepFailed},
		{"rescued job log message", JobRescuedLogMessage, reampipeline.LogJobRescued},
		{"own topic refused log message", OwnTopicFailedLogMessage, reamaws.LogOwnTopicFailed},
	}
	for _, p := range pairs {
		if p.infra != p.code {
			t.Errorf("%s: construct says %q, code says %q", p.what, p.infra, p.code)
		}
	}
}

// A coding client's access token is valid as long from Cognito as from the local stack's token
// endpoint (handlers.TokenTTL; the README says it once for both: "valid one hour").
func TestContractTokenLifetime(t *testing.T) {
	f := synth(t)
	clients := f.resources("AWS::Cognito::UserPoolClient")
	if len(clients) == 0 {
		t.Fatal("no user pool client")
	}
	unit := map[string]time.Duration{"seconds": time.Second, "minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour}
	for id, c := range clients {
		p := props(c)
		v, _ := p["AccessTokenValidity"].(float64)
		units, _ := p["TokenValidityUnits"].(obj)
		u, _ := units["AccessToken"].(string)
		if got := time.Duration(v) * unit[u]; got != handlers.TokenTTL {
			t.Errorf("%s: access tokens valid %v (%v %s); the local stack's are valid %v", id, got, v, u, handlers.TokenTTL)
		}
	}
}

// The construct takes exactly the JobTopicPrefix values the functions take
// (pipeline.ValidJobTopicPrefix, which reads REAM_JOB_TOPIC_PREFIX).
func TestContractJobTopicPrefix(t *testing.T) {
	dir := t.TempDir()
	if err := placeholderCode(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"ream-", "team_A-9", "ream.", "ream/", "ream ", "réam-", "ream-*", strings.Repeat("a", 200), strings.Repeat("a", 201)} {
		_, err := resolve(&PipelineProps{CodeDir: dir, JobTopicPrefix: p})
		if code := reampipeline.ValidJobTopicPrefix(p); (err == nil) != code {
			t.Errorf("JobTopicPrefix %.20q: the construct says %v, the functions take it: %v", p, err, code)
		}
	}
}

// Every function's environment, as synthesized, is accepted by the code's
// own reader, with the values the props meant.
func TestContractEnvironment(t *testing.T) {
	f := synth(t)
	for name, res := range ours(t, f) {
		vars := props(res)["Environment"].(obj)["Variables"].(obj)
		getenv := func(k string) string {
			switch v := vars[k].(type) {
			case nil:
				return ""
			case string:
				return v
			default: // a reference, resolved by CloudFormation at deploy time
				return fmt.Sprintf("resolved-%s", k)
			}
		}
		env, err := reamaws.EnvFromOS(getenv)
		if err != nil {
			t.Errorf("%s: the function would refuse its environment: %v", name, err)
			continue
		}
		// The construct's defaults are the code's (pipeline.Config's), which the local stack takes.
		if env.ShardBytes != reampipeline.DefaultShardBytes || env.UploadTTL != reampipeline.DefaultUploadTTL ||
			env.Retention != reampipeline.DefaultRetention || env.ExpiryPassEvery != reampipeline.DefaultExpiryPassEvery ||
			env.MaxInputBytes != 0 ||
			env.StuckAfter != 23*time.Minute || env.LogLevel != slog.LevelWarn || env.JobTopicPerTenant {
			t.Errorf("%s: parsed %+v", name, env)
		}
		for _, k := range reamaws.RequiredEnv {
			if vars[k] == nil {
				t.Errorf("%s: required %s not set", name, k)
			}
		}
	}
}

// recordingObjects is an object store that has nothing and records what is asked of it.
type recordingObjects struct {
	reampipeline.Objects // nil: any other call panics
	heads, puts          []string
}

func (o *recordingObjects) Head(_ context.Context, key string) (reampipeline.ObjectInfo, error) {
	o.heads = append(o.heads, key)
	return reampipeline.ObjectInfo{}, fmt.Errorf("%s: %w", key, job.ErrNotFound)
}

func (o *recordingObjects) Put(_ context.Context, key string, r io.Reader) error {
	o.puts = append(o.puts, key)
	_, err := io.Copy(io.Discard, r)
	return err
}

// acceptingModels is a model registry that registers anything.
type acceptingModels struct{ reampipeline.Models }

func (acceptingModels) Register(_ context.Context, m api.Model) (api.Model, bool, error) {
	return m, true, nil
}

// Get finds nothing: nothing was registered before.
func (acceptingModels) Get(context.Context, string, string) (api.Model, error) {
	return api.Model{}, job.ErrNotFound
}

// List lists nothing: nothing was registered before.
func (acceptingModels) List(context.Context, string, string) ([]api.Model, error) {
	return nil, nil
}

// TestContractShippedModelKeys: the keys the code's registration of the shipped models (run by
// every function that finalizes a coding operation) HEADs and PUTs are keys every function may
// HEAD (with a 404 when missing) and PUT.
func TestContractShippedModelKeys(t *testing.T) {
	objs := &recordingObjects{}
	svc := reampipeline.New(reampipeline.Deps{Objects: objs, Models: acceptingModels{}})
	if err := svc.RegisterShippedModels(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(objs.heads) == 0 || len(objs.puts) == 0 {
		t.Fatalf("registering the shipped models HEADed %v and PUT %v", objs.heads, objs.puts)
	}
	f := synth(t)
	for _, fn := range FunctionNames {
		g := grantsOf(t, f, fn)
		for _, k := range objs.heads {
			if !anyMatches(g.objects["s3:GetObject"], k) || !anyMatches(g.list, k) {
				t.Errorf("%s cannot HEAD %s with a 404 when missing (GetObject %v, ListBucket %v)", fn, k, g.objects["s3:GetObject"], g.list)
			}
		}
		for _, k := range objs.puts {
			if !anyMatches(g.objects["s3:PutObject"], k) {
				t.Errorf("%s cannot PUT %s (PutObject %v)", fn, k, g.objects["s3:PutObject"])
			}
		}
	}
}
