package local

import (
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// TestListQueryUsesIndex: a page of List after the first searches an index from the page's
// first job on, in the listing's order, for every filter (found at volume: the position was an
// OR the plan could not search, so the k-th page walked the k-1 pages before it, and a JobStatus
// or JobName filter read every job of the tenant: 66 ms for a page at 10,000 jobs).
func TestListQueryUsesIndex(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := &pageToken{T: at.UnixNano(), ID: "j"}
	const newer, older = "(submit_time,id)<(?,?)", "(submit_time,id)>(?,?)"
	for _, c := range []struct {
		name  string
		f     api.ListFilter
		index string
		want  []string
	}{
		{"all", api.ListFilter{}, "jobs_by_time", []string{newer}},
		{"oldest", api.ListFilter{Oldest: true}, "jobs_by_time", []string{older}},
		{"before", api.ListFilter{SubmittedBefore: at.Add(time.Hour)}, "jobs_by_time", []string{newer}},
		{"after", api.ListFilter{SubmittedAfter: at.Add(-time.Hour)}, "jobs_by_time", []string{newer, "submit_time>?"}},
		{"window oldest", api.ListFilter{SubmittedAfter: at.Add(-time.Hour), SubmittedBefore: at.Add(time.Hour), Oldest: true}, "jobs_by_time", []string{older, "submit_time<?"}},
		{"status", api.ListFilter{Status: job.Failed}, "jobs_by_tenant_status", []string{"status=?", newer}},
		{"status oldest", api.ListFilter{Status: job.Failed, Oldest: true}, "jobs_by_tenant_status", []string{"status=?", older}},
		{"name", api.ListFilter{JobName: "nightly"}, "jobs_by_tenant_name", []string{"name=?", newer}},
	} {
		q, args := listQuery("t", c.f, tok, 100)
		p := queryPlan(t, q, args...)
		ok := strings.Contains(p, "USING INDEX "+c.index+" (tenant=?") && !strings.Contains(p, "TEMP B-TREE")
		for _, w := range c.want {
			ok = ok && strings.Contains(p, w)
		}
		if !ok {
			t.Errorf("%s: query plan %q does not search %s by %q in order", c.name, p, c.index, c.want)
		}
	}
}
