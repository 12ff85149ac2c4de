package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ream-dev/ream/shared/api"
)

// TestSigV4SignsAPIRequests checks the CLI's AWS mode: every API request carries a SigV4
// Authorization for execute-api in the configured region, the session token, and no bearer key.
func TestSigV4SignsAPIRequests(t *testing.T) {
	var got *http.Request
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"JobId":"j1","JobStatus":"AWAITING_INPUT"}`)
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token-1")}
	c := &Client{Endpoint: srv.URL, APIKey: "must-not-be-sent", Sign: SigV4(cfg)}
	if _, err := c.CreateJob(context.Background(), api.CreateJobRequest{JobName: "x"}); err != nil {
		t.Fatal(err)
	}
	auth := got.Header.Get("Authorization")
	for _, want := range []string{"AWS4-HMAC-SHA256", "Credential=AKIDEXAMPLE/", "/eu-west-1/execute-api/aws4_request", "SignedHeaders=", "Signature="} {
		if !strings.Contains(auth, want) {
			t.Errorf("Authorization %q lacks %q", auth, want)
		}
	}
	if got.Header.Get("X-Amz-Security-Token") != "token-1" || got.Header.Get("X-Amz-Date") == "" {
		t.Errorf("missing SigV4 headers: %v", got.Header)
	}
	if !strings.Contains(body, `"JobName":"x"`) {
		t.Errorf("body not sent: %q", body)
	}
	if _, err := (&Client{Endpoint: srv.URL, Sign: SigV4(aws.Config{})}).Describe(context.Background(), "j1"); err == nil {
		t.Error("signing without credentials must fail")
	}
}
