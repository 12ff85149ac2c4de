package aws_test

import (
	"context"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/job"
)

// TestUnnotifiedPartitionOnDynamoDB: a finished job not yet notified is in its status's
// S#<status>#UNNOTIFIED partition of GSI2, and moves to S#<status> with the write that marks it
// notified. An item an earlier release wrote finished and not notified (in S#<status>) is not
// found by ScanUnnotified but is by ScanPage, which the expiry pass reads; the sweeper's claim
// (a rewrite, still not notified) moves it to the unnotified partition.
func TestUnnotifiedPartitionOnDynamoDB(t *testing.T) {
	c := clients(t, "DYNAMODB")
	ctx := context.Background()
	table := "ream-unnotified-" + uniq(t)
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
	jobs := reamaws.NewJobs(c.DynamoDB, table)
	gsi2 := func(id string) string {
		t.Helper()
		out, err := c.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, ConsistentRead: sdkaws.Bool(true), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "T#t#J#" + id}, "SK": &types.AttributeValueMemberS{Value: "JOB"}}})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := out.Item["GSI2PK"].(*types.AttributeValueMemberS)
		if v == nil {
			t.Fatalf("job %s has no GSI2PK", id)
		}
		return v.Value
	}
	unnotified := func() map[string]bool {
		t.Helper()
		got := map[string]bool{}
		if err := jobs.ScanUnnotified(ctx, func(j *job.Job) error { got[j.JobId] = true; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	inWalk := func(id string) int {
		t.Helper()
		n, cursor := 0, ""
		for {
			page, next, err := jobs.ScanPage(ctx, job.Completed, cursor, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, sj := range page {
				if sj.Job.JobId == id {
					n++
				}
			}
			if next == "" {
				return n
			}
			cursor = next
		}
	}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

	// A job that ends: in the unnotified partition until marked notified.
	if _, _, err := jobs.Create(ctx, &job.Job{Tenant: "t", JobId: "ends", JobStatus: job.InProgress, SubmitTime: t0}); err != nil {
		t.Fatal(err)
	}
	if p := gsi2("ends"); p != "S#IN_PROGRESS" {
		t.Fatalf("running job's GSI2PK %q", p)
	}
	j, err := jobs.Get(ctx, "t", "ends")
	if err != nil {
		t.Fatal(err)
	}
	j.JobStatus = job.Completed
	if err := jobs.Update(ctx, j, job.InProgress); err != nil {
		t.Fatal(err)
	}
	if p := gsi2("ends"); p != "S#COMPLETED#UNNOTIFIED" {
		t.Fatalf("finished job not notified: GSI2PK %q, want S#COMPLETED#UNNOTIFIED", p)
	}
	if !unnotified()["ends"] || inWalk("ends") != 1 {
		t.Fatalf("finished job not notified: ScanUnnotified %v, in ScanPage's walk %d times; want found by both", unnotified(), inWalk("ends"))
	}
	j.Notified = true
	if err := jobs.Update(ctx, j, job.Completed); err != nil {
		t.Fatal(err)
	}
	if p := gsi2("ends"); p != "S#COMPLETED" {
		t.Fatalf("notified job: GSI2PK %q, want S#COMPLETED", p)
	}
	if unnotified()["ends"] || inWalk("ends") != 1 {
		t.Fatalf("notified job: ScanUnnotified %v, in ScanPage's walk %d times; want only in the walk", unnotified(), inWalk("ends"))
	}

	// An earlier release's item: finished, not notified, in S#COMPLETED.
	if _, _, err := jobs.Create(ctx, &job.Job{Tenant: "t", JobId: "old", JobStatus: job.Completed, Notified: true, SubmitTime: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table,
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "T#t#J#old"}, "SK": &types.AttributeValueMemberS{Value: "JOB"}},
		UpdateExpression:          sdkaws.String("SET Notified = :f"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberBOOL{Value: false}},
	}); err != nil {
		t.Fatal(err)
	}
	if unnotified()["old"] || inWalk("old") != 1 {
		t.Fatalf("an earlier release's item: ScanUnnotified %v, in ScanPage's walk %d times; want only in the walk (the expiry pass)", unnotified(), inWalk("old"))
	}
	old, err := jobs.Get(ctx, "t", "old")
	if err != nil || old.Notified {
		t.Fatalf("an earlier release's item: %+v, %v", old, err)
	}
	claimed := t0.Add(time.Hour)
	old.NotifyClaimed = &claimed
	if err := jobs.Update(ctx, old, job.Completed); err != nil {
		t.Fatal(err)
	}
	if p := gsi2("old"); p != "S#COMPLETED#UNNOTIFIED" || !unnotified()["old"] {
		t.Fatalf("an earlier release's item, rewritten by the claim: GSI2PK %q; want S#COMPLETED#UNNOTIFIED, found by ScanUnnotified", p)
	}
}
