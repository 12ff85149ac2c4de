package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// TestDeleteCommand: `ream delete JOB` deletes a finished job (DELETE /v1/jobs/{id}) and prints
// that it did; the job is then unknown, so describing or deleting it again is a 404; a job not
// finished is refused with the server's 409, and a missing id is a usage error.
func TestDeleteCommand(t *testing.T) {
	startStack(t)
	c, err := newClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := c.CreateJob(ctx, api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, "delete", res.JobId); err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("delete of a job awaiting its input: %v; want the 409 saying to stop it first", err)
	}
	if _, err := c.Stop(ctx, res.JobId); err != nil {
		t.Fatal(err)
	}
	if stdout, err := runCmd(t, "delete", res.JobId); err != nil || strings.TrimSpace(stdout) != res.JobId+" deleted" {
		t.Fatalf("delete: %v\n%s", err, stdout)
	}
	if _, err := c.Describe(ctx, res.JobId); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("describe after delete: %v; want 404", err)
	}
	if _, err := runCmd(t, "delete", res.JobId); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("delete again: %v; want 404", err)
	}
	if _, err := runCmd(t, "delete"); exitStatus(err) != exitUsage {
		t.Errorf("delete without a job id: %v; want a usage error", err)
	}
}
