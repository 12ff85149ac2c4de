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

// TestNoncurrentVersionsExpire: both buckets delete noncurrent versions a day after they become
// noncurrent, and expired delete markers, so that on a bucket whose versioning was turned on
// outside the stack, what the sweeper, a DELETE of a job or the expiry rules delete does not stay
// as a noncurrent version for ever (found by reading the template: no rule removed versions). The
// stack itself does not turn versioning on.
func TestNoncurrentVersionsExpire(t *testing.T) {
	f := synth(t)
	buckets := f.resources("AWS::S3::Bucket")
	if len(buckets) != 2 {
		t.Fatalf("%d buckets, want the data and access-log buckets", len(buckets))
	}
	for id, b := range buckets {
		if v, ok := props(b)["VersioningConfiguration"]; ok {
			t.Errorf("%s: VersioningConfiguration %v; the stack does not version its buckets", id, v)
		}
		lc, _ := props(b)["LifecycleConfiguration"].(map[string]any)
		rules, _ := lc["Rules"].([]any)
		found := false
		for _, r := range rules {
			rule := r.(map[string]any)
			if rule["Id"] != "expire-noncurrent-versions" {
				continue
			}
			found = true
			nve, _ := rule["NoncurrentVersionExpiration"].(map[string]any)
			if nve["NoncurrentDays"] != float64(1) || rule["ExpiredObjectDeleteMarker"] != true || rule["Prefix"] != nil || rule["Status"] != "Enabled" {
				t.Errorf("%s: rule %v; want noncurrent versions expired after 1 day and expired delete markers removed, bucket-wide", id, rule)
			}
		}
		if !found {
			t.Errorf("%s: no expire-noncurrent-versions rule in %v", id, rules)
		}
	}
}
