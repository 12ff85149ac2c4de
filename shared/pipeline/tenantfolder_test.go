package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestTenantFoldersWithoutTheirSlash: the tenant's input and output folders named without the
// trailing slash (s3://bucket/inputs/local, s3://bucket/outputs/local) are those folders, as S3
// prefixes are (found from outside: boto3 code naming them so got a 400 "must be under
// s3://bucket/outputs/local/"); another tenant's folder, or a name that only starts like the
// tenant's, is still refused.
func TestTenantFoldersWithoutTheirSlash(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	if err := st.objects.Put(ctx, "inputs/local/a.txt", strings.NewReader("A fine day for a walk.")); err != nil {
		t.Fatal(err)
	}
	j, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment},
		InputDataConfig:  job.InputDataConfig{S3Uri: "s3://bucket/inputs/local", InputFormat: job.OneDocPerFile},
		OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/local"}})
	if err != nil {
		t.Fatal(err)
	}
	if j.InputDataConfig.S3Uri != "s3://bucket/inputs/local/" {
		t.Errorf("input %q, want the tenant's folder s3://bucket/inputs/local/", j.InputDataConfig.S3Uri)
	}
	if want := "s3://bucket/outputs/local/" + j.JobId + "/"; j.OutputDataConfig.S3Uri != want {
		t.Errorf("output %q, want %q", j.OutputDataConfig.S3Uri, want)
	}
	for _, bad := range []api.CreateJobRequest{
		{InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/localx", InputFormat: job.OneDocPerFile}},
		{InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/other", InputFormat: job.OneDocPerFile}},
		{InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/a.txt", InputFormat: job.OneDocPerFile},
			OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/localx"}},
		{InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/a.txt", InputFormat: job.OneDocPerFile},
			OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs"}},
	} {
		bad.Analyses = []job.Analysis{job.Sentiment}
		if _, err := st.svc.CreateJob(ctx, "local", bad); err == nil || !strings.Contains(err.Error(), "must be under") {
			t.Errorf("%+v: %v, want must be under", bad, err)
		}
	}
}
