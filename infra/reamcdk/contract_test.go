package reamcdk

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	reamaws "github.com/ream-dev/ream/shared/aws"
	reampipeline "github.com/ream-dev/ream/shared/pipeline"
)

// The construct and the Lambda code agree on names only by convention;
// these tests make the convention fail loudly when one side changes.

func TestContractNames(t *testing.T) {
	pairs := []struct{ what, infra, code string }{
		{"tenant index", IndexByTenant, reamaws.GSI1},
		{"status index", IndexByStatus, reamaws.GSI2},
		{"inputs prefix", InputsPrefix, reampipeline.InputsPrefix},
		{"work prefix", WorkPrefix, reampipeline.WorkPrefix},
		{"outputs prefix", OutputsPrefix, reampipeline.OutputsPrefix},
		{"access keys prefix", AccessKeysPrefix, reampipeline.AccessKeysPrefix},
	}
	for _, p := range pairs {
		if p.infra != p.code {
			t.Errorf("%s: construct says %q, code says %q", p.what, p.infra, p.code)
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
		if env.ShardBytes != 1<<20 || env.UploadTTL != time.Hour || env.Retention != 30*24*time.Hour ||
			env.StuckAfter != 23*time.Minute || env.LogLevel != slog.LevelWarn {
			t.Errorf("%s: parsed %+v", name, env)
		}
		for _, k := range reamaws.RequiredEnv {
			if vars[k] == nil {
				t.Errorf("%s: required %s not set", name, k)
			}
		}
	}
}
