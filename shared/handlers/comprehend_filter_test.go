package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// TestComprehendListFilterCombinations: every combination of List's Filter members (JobName,
// JobStatus, SubmitTimeBefore, SubmitTimeAfter; AND-ed) lists exactly the jobs of the kind that
// pass each, in the order README states (newest first; oldest first under SubmitTimeBefore
// alone), paged by NextToken with no job repeated or skipped; the bounds are a job's own
// SubmitTime, as Describe shows it (which neither bound includes).
func TestComprehendListFilterCombinations(t *testing.T) {
	a, jobs := comprehendAPI(t)
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	type planted struct {
		id, name string
		kind     job.Analysis
		status   job.Status
		at       time.Time
	}
	var all []planted
	for i := range 18 {
		p := planted{id: fmt.Sprintf("%032x", i+1), name: []string{"alpha", "beta"}[i%2], kind: job.Sentiment,
			status: job.AllStatuses[i%len(job.AllStatuses)], at: base.Add(time.Duration(i) * 1234 * time.Millisecond)}
		if i%5 == 4 {
			p.kind = job.Entities // another kind's: never listed
		}
		j := &job.Job{JobId: p.id, Tenant: "tenant-a", JobName: p.name, Analyses: []job.Analysis{p.kind}, JobStatus: p.status,
			SubmitTime: p.at, UpdatedAt: p.at,
			InputDataConfig:  job.InputDataConfig{S3Uri: "s3://bucket/inputs/tenant-a/in.txt", InputFormat: job.OneDocPerLine},
			OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/tenant-a/" + p.id + "/"}}
		if p.status.Terminal() {
			j.EndTime = &p.at
		}
		if _, _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		all = append(all, p)
	}
	epoch := func(at time.Time) float64 { return float64(at.UnixMilli()) / 1000 }
	after, before := all[3].at, all[14].at
	for combo := range 16 {
		filter := map[string]any{}
		keep := func(p planted) bool { return p.kind == job.Sentiment }
		if combo&1 != 0 {
			filter["JobName"] = "alpha"
			k := keep
			keep = func(p planted) bool { return k(p) && p.name == "alpha" }
		}
		if combo&2 != 0 {
			filter["JobStatus"] = "COMPLETED" // Ream's COMPLETED and PARTIAL_SUCCESS
			k := keep
			keep = func(p planted) bool {
				return k(p) && (p.status == job.Completed || p.status == job.PartialSuccess)
			}
		}
		if combo&4 != 0 {
			filter["SubmitTimeBefore"] = epoch(before)
			k := keep
			keep = func(p planted) bool { return k(p) && p.at.Before(before) }
		}
		if combo&8 != 0 {
			filter["SubmitTimeAfter"] = epoch(after)
			k := keep
			keep = func(p planted) bool { return k(p) && p.at.After(after) }
		}
		var want []string
		for _, p := range all {
			if keep(p) {
				want = append(want, p.id)
			}
		}
		if combo&4 == 0 || combo&8 != 0 { // newest first
			slices.Reverse(want)
		}
		var got []string
		body := map[string]any{"MaxResults": 2}
		if len(filter) > 0 {
			body["Filter"] = filter
		}
		for pages := 0; ; pages++ {
			b, _ := json.Marshal(body)
			status, out := call(t, a, "ListSentimentDetectionJobs", string(b))
			if status != http.StatusOK {
				t.Fatalf("Filter %v: %d %v", filter, status, out)
			}
			for _, p := range out["SentimentDetectionJobPropertiesList"].([]any) {
				got = append(got, p.(map[string]any)["JobId"].(string))
			}
			next, _ := out["NextToken"].(string)
			if next == "" {
				break
			}
			if pages > 20 {
				t.Fatalf("Filter %v: NextToken never ends", filter)
			}
			body["NextToken"] = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("Filter %v listed\n%s\nwant\n%s", filter, strings.Join(got, " "), strings.Join(want, " "))
		}
	}
}
