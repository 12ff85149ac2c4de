package aws_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/job"
)

// countingQueries counts the Query calls made through it.
type countingQueries struct {
	reamaws.DynamoDBAPI
	n *int
}

func (c countingQueries) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	*c.n++
	return c.DynamoDBAPI.Query(ctx, in, o...)
}

// TestListFilteredSmallPages: a JobStatus-filtered List with a small MaxResults reads the
// tenant's jobs in Queries of 100 at least, not of MaxResults+1 (found at volume: a FAILED job
// behind 3,000 COMPLETED ones took `MaxResults=1` 60 calls of 25 Queries of 2 items, each an
// empty page with a NextToken).
func TestListFilteredSmallPages(t *testing.T) {
	c := clients(t, "DYNAMODB")
	ctx := context.Background()
	table := "ream-jobs-" + uniq(t)
	if err := reamaws.CreateTable(ctx, c.DynamoDB, table); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := reamaws.DeleteTable(ctx, c.DynamoDB, table); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	queries := 0
	jobs := reamaws.NewJobs(countingQueries{c.DynamoDB, &queries}, table)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const completed = 120 // newer than the one FAILED job
	for i := range completed + 1 {
		status := job.Completed
		if i == 0 {
			status = job.Failed
		}
		j := &job.Job{JobId: fmt.Sprintf("j-%04d", i), Tenant: "t", Analyses: []job.Analysis{job.Sentiment},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}, JobStatus: status, SubmitTime: base.Add(time.Duration(i) * time.Second)}
		if _, _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	queries = 0
	got, next, err := jobs.List(ctx, "t", api.ListFilter{Status: job.Failed, MaxResults: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].JobId != "j-0000" || next != "" {
		t.Errorf("List(FAILED, MaxResults 1) behind %d COMPLETED jobs = %d jobs, NextToken %q; want j-0000 and no token", completed, len(got), next)
	}
	if queries > 2 {
		t.Errorf("List(FAILED, MaxResults 1) made %d Queries to read %d jobs, want at most 2", queries, completed+1)
	}
}
