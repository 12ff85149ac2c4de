package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestComprehendKmsKeyIdLocal: the Comprehend-compatible surface goes through the same create
// use case, so OutputDataConfig.KmsKeyId on a store without KMS (the local one) is refused with
// InvalidRequestException rather than accepted and ignored.
func TestComprehendKmsKeyIdLocal(t *testing.T) {
	a, _ := comprehendAPI(t)
	out := `"OutputDataConfig":{"S3Uri":"s3://bucket/outputs/tenant-a/","KmsKeyId":"alias/team-outputs"}`
	status, body := call(t, a, "StartSentimentDetectionJob", "{"+strings.Join([]string{inURI, out, role, `"LanguageCode":"en"`}, ",")+"}")
	if msg, _ := body["Message"].(string); status != http.StatusBadRequest || body["__type"] != "InvalidRequestException" || !strings.Contains(msg, "omit KmsKeyId") {
		t.Errorf("StartSentimentDetectionJob with a KmsKeyId on the local store: %d %v", status, body)
	}
}
