package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
)

// BenchmarkList10000Jobs prints what listing a tenant's 10,000 jobs costs on the local store (a
// second tenant holds as many): every page of 100 in each order and under each filter, and the
// slowest page. The figures are printed, not asserted (TestListQueryUsesIndex holds the plan).
func BenchmarkList10000Jobs(b *testing.B) {
	ctx := context.Background()
	db, err := local.OpenDB(filepath.Join(b.TempDir(), "ream.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := local.NewJobs(db)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10000 {
		status := job.Completed
		if i%100 == 0 {
			status = job.Failed
		}
		for _, tenant := range []string{"a", "b"} {
			j := &job.Job{JobId: fmt.Sprintf("%s-%05d", tenant, i), JobName: fmt.Sprintf("nightly-%d", i%50), Tenant: tenant,
				Analyses: []job.Analysis{job.Sentiment}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
				JobStatus: status, SubmitTime: base.Add(time.Duration(i) * time.Minute)}
			if _, _, err := s.Create(ctx, j); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name string
		f    api.ListFilter
	}{
		{"newest", api.ListFilter{}},
		{"oldest", api.ListFilter{Oldest: true}},
		{"before", api.ListFilter{SubmittedBefore: base.Add(5000 * time.Minute)}},
		{"status", api.ListFilter{Status: job.Failed}},
		{"name", api.ListFilter{JobName: "nightly-7"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				f := c.f
				f.MaxResults = 100
				start := time.Now()
				pages, n := 0, 0
				var slowest time.Duration
				for {
					t0 := time.Now()
					jobs, next, err := s.List(ctx, "a", f)
					if err != nil {
						b.Fatal(err)
					}
					slowest = max(slowest, time.Since(t0))
					pages++
					n += len(jobs)
					if next == "" {
						break
					}
					f.NextToken = next
				}
				el := time.Since(start)
				b.ReportMetric(float64(el.Microseconds())/float64(pages), "µs/page")
				fmt.Fprintf(os.Stderr, "list %s: %d jobs in %d pages of 100 in %v (%v a page, slowest %v)\n",
					c.name, n, pages, el.Round(time.Millisecond), (el / time.Duration(pages)).Round(time.Microsecond), slowest.Round(time.Microsecond))
			}
		})
	}
}
