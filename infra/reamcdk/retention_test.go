package reamcdk

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// TestRetentionDaysCoversInputs: RetentionDays (make's RETENTION_DAYS) sets how long inputs/ is
// kept too, unless InputRetentionDays says otherwise (it stayed 30 days whatever the job
// retention: found from outside).
func TestRetentionDaysCoversInputs(t *testing.T) {
	expiry := func(f *fixture) map[string]float64 {
		out := map[string]float64{}
		for _, b := range f.resources("AWS::S3::Bucket") {
			lc, _ := props(b)["LifecycleConfiguration"].(map[string]any)
			rules, _ := lc["Rules"].([]any)
			for _, r := range rules {
				rule := r.(map[string]any)
				if p, ok := rule["Prefix"].(string); ok {
					if d, ok := rule["ExpirationInDays"].(float64); ok {
						out[p] = d
					}
				}
			}
		}
		return out
	}
	f := synthWith(t, "retention7", func(awscdk.App) PipelineProps { return PipelineProps{RetentionDays: 7} })
	got := expiry(f)
	for _, p := range []string{"outputs/", "work/", "inputs/"} {
		if got[p] != 7 {
			t.Errorf("RetentionDays 7: %s expires after %v days, want 7 (%v)", p, got[p], got)
		}
	}
	f = synthWith(t, "retention7in3", func(awscdk.App) PipelineProps { return PipelineProps{RetentionDays: 7, InputRetentionDays: 3} })
	if got := expiry(f); got["inputs/"] != 3 || got["outputs/"] != 7 {
		t.Errorf("InputRetentionDays 3: %v", got)
	}
}
