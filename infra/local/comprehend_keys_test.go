package local

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/comprehend"
	"github.com/aws/smithy-go"

	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
)

// TestComprehendIssuedKey: a key issued into the store (ream keys issue) signs Comprehend
// requests for its tenant beside the configured keys; a revoked key is refused.
func TestComprehendIssuedKey(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	key, err := accesskeys.New(s.Service.Objects()).Issue(ctx, "team-c")
	if err != nil {
		t.Fatal(err)
	}
	c := comprehendClient(s, key.AccessKeyId, key.SecretAccessKey)
	if _, err := c.ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{}); err != nil {
		t.Fatalf("ListSentimentDetectionJobs with an issued key: %v", err)
	}
	if _, err := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey).ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{}); err != nil {
		t.Fatalf("the configured key stopped working: %v", err)
	}
	if err := accesskeys.New(s.Service.Objects()).Revoke(ctx, key.AccessKeyId); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("revoked key: %v, want UnrecognizedClientException", err)
	}
}
