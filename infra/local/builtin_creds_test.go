package local

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/comprehend"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestOwnKeysDropTheBuiltInCredentials: a config that lists its own API keys gets no built-in
// OAuth client or access key pair (their secrets are in the README); found from outside: with
// the team's keys configured, local-coding-client / local-coding-secret still got a token for
// tenant "local" and ran jobs. Left out, keys and the built-in pair and client still work.
func TestOwnKeysDropTheBuiltInCredentials(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Keys: map[string]string{"team-key": "team"}}, pipeline.Hooks{})
	if tok, err := newClient(s.URL, "").Token(ctx, DefaultClientID, DefaultClientSecret); err == nil {
		t.Errorf("the built-in OAuth client got a token (%+v) from a config with its own keys", tok)
	}
	if _, err := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey).ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{}); err == nil {
		t.Error("the built-in access key pair was taken by a config with its own keys")
	}
	if _, err := newClient(s.URL, "team-key").List(ctx, api.ListFilter{}); err != nil {
		t.Errorf("the configured key: %v", err)
	}

	d := startStack(t, Config{}, pipeline.Hooks{})
	if _, err := newClient(d.URL, "").Token(ctx, DefaultClientID, DefaultClientSecret); err != nil {
		t.Errorf("the default config's built-in OAuth client: %v", err)
	}
	if _, err := comprehendClient(d, DefaultAccessKeyID, DefaultSecretAccessKey).ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{}); err != nil {
		t.Errorf("the default config's built-in access key pair: %v", err)
	}
}
