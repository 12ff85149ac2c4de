package aws

import (
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
)

// TestDynamoDBRetries: the DynamoDB client tries a throttled request DynamoDBAttempts times, not
// the SDK's 3 (found from outside: a burst of shard records on one partition failed shards).
func TestDynamoDBRetries(t *testing.T) {
	c := ClientsFromConfig(sdkaws.Config{Region: "eu-west-1"}, Endpoints{})
	if got := c.DynamoDB.Options().RetryMaxAttempts; got != DynamoDBAttempts || DynamoDBAttempts <= 3 {
		t.Errorf("RetryMaxAttempts %d, want %d (more than the SDK's 3)", got, DynamoDBAttempts)
	}
}
