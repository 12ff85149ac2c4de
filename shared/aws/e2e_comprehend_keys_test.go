package aws_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
)

// TestE2EComprehendIssuedKeys: on the AWS adapters, an access key issued into the bucket
// (access-keys/, as `ream keys issue --bucket` does) signs a Comprehend request (SigV4, service
// comprehend) that reaches the api function as API Gateway delivers it (a payload v2 event on the
// unauthenticated POST / route); the function verifies it against the issued key and starts the
// job. A wrong secret, an expired signature and a revoked key are refused with Comprehend's
// errors.
func TestE2EComprehendIssuedKeys(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := newE2EStack(t, ctx, 1<<20)
	keys := accesskeys.New(s.objects)
	key, err := keys.Issue(ctx, "tenant-cmp")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.objects.Put(ctx, "inputs/tenant-cmp/reviews.txt", strings.NewReader("I love it.\nTerrible service.\n")); err != nil {
		t.Fatal(err)
	}
	api := handlers.NewAPI(s.svc, handlers.IAMAuth{}, nil).WithComprehend(
		handlers.NewSigV4AuthStore("comprehend", &handlers.CachedKeys{Store: handlers.IssuedKeys{Keys: keys}, TTL: 0}),
		handlers.ComprehendConfig{Bucket: s.bucket, Region: "us-east-1", Account: "123456789012"})

	call := func(op string, body any, id, secret string, at time.Time) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, "https://abc123.execute-api.us-east-1.amazonaws.com/", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Comprehend_20171127."+op)
		sum := sha256.Sum256(b)
		if err := v4.NewSigner().SignHTTP(ctx, sdkaws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req,
			hex.EncodeToString(sum[:]), "comprehend", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		// As API Gateway (HTTP API, payload v2) delivers it: lower-case headers, host among them.
		hdr := map[string]string{"host": req.Host}
		for k, v := range req.Header {
			hdr[strings.ToLower(k)] = strings.Join(v, ",")
		}
		hdr["content-length"] = strconv.Itoa(len(b))
		ev := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: "POST /", RawPath: "/", Headers: hdr, Body: string(b),
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/", SourceIP: "203.0.113.9"}},
		}
		resp, err := api.HandleEvent(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.Unmarshal([]byte(resp.Body), &out)
		return resp.StatusCode, out
	}
	start := map[string]any{
		"JobName": "issued", "LanguageCode": "en", "DataAccessRoleArn": "arn:aws:iam::123456789012:role/R",
		"InputDataConfig":  map[string]any{"S3Uri": "s3://" + s.bucket + "/inputs/tenant-cmp/reviews.txt", "InputFormat": "ONE_DOC_PER_LINE"},
		"OutputDataConfig": map[string]any{"S3Uri": "s3://" + s.bucket + "/outputs/tenant-cmp/"},
	}
	status, out := call("StartSentimentDetectionJob", start, key.AccessKeyId, key.SecretAccessKey, time.Now())
	if status != 200 || out["JobId"] == nil || !strings.HasPrefix(out["JobArn"].(string), "arn:aws:comprehend:us-east-1:123456789012:sentiment-detection-job/") {
		t.Fatalf("StartSentimentDetectionJob with the issued key: %d %v", status, out)
	}
	cid := out["JobId"].(string) // Comprehend's form: the UUID without its dashes
	if len(cid) != 32 {
		t.Fatalf("JobId %q, want 32 characters", cid)
	}
	j, err := s.svc.Describe(ctx, "tenant-cmp", cid[:8]+"-"+cid[8:12]+"-"+cid[12:16]+"-"+cid[16:20]+"-"+cid[20:])
	if err != nil || j.Tenant != "tenant-cmp" {
		t.Fatalf("the job is not the key's tenant's: %v %v", j, err)
	}
	for name, tc := range map[string]struct {
		id, secret string
		at         time.Time
		want       string
	}{
		"wrong secret":      {key.AccessKeyId, key.SecretAccessKey + "x", time.Now(), "InvalidSignatureException"},
		"expired signature": {key.AccessKeyId, key.SecretAccessKey, time.Now().Add(-20 * time.Minute), "InvalidSignatureException"},
		"unknown key":       {"AKIAAAAAAAAAAAAAAAAA", "x", time.Now(), "UnrecognizedClientException"},
	} {
		if status, out := call("ListSentimentDetectionJobs", map[string]any{}, tc.id, tc.secret, tc.at); status != 400 || out["__type"] != tc.want {
			t.Errorf("%s: %d %v, want 400 %s", name, status, out, tc.want)
		}
	}
	if err := keys.Revoke(ctx, key.AccessKeyId); err != nil {
		t.Fatal(err)
	}
	if status, out := call("ListSentimentDetectionJobs", map[string]any{}, key.AccessKeyId, key.SecretAccessKey, time.Now()); status != 400 || out["__type"] != "UnrecognizedClientException" {
		t.Errorf("revoked key: %d %v, want 400 UnrecognizedClientException", status, out)
	}
}
