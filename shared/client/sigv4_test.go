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

// The signature is scoped to the API's own region, named in its execute-api host, whatever the
// profile's region, in every partition (found by the review of deployments outside us-east-1:
// a stack in eu-west-2 called with AWS_REGION=us-east-1, the default of many profiles, was
// refused every request, and a China endpoint, …amazonaws.com.cn, was not signed at all). Any
// other host (a custom domain, the test server) is signed for the configured region.
func TestSigV4RegionOfTheAPI(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	for _, tt := range []struct{ url, scope string }{
		{"https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com/v1/jobs", "/eu-west-2/execute-api/aws4_request"},
		{"https://a1b2c3d4e5.execute-api.ap-southeast-2.amazonaws.com/v1/jobs", "/ap-southeast-2/execute-api/aws4_request"},
		{"https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/v1/jobs", "/cn-north-1/execute-api/aws4_request"},
		{"https://a1b2c3d4e5.execute-api.us-gov-west-1.amazonaws.com/v1/jobs", "/us-gov-west-1/execute-api/aws4_request"},
		{"https://api.example.com/v1/jobs", "/us-east-1/execute-api/aws4_request"},
	} {
		req, err := http.NewRequest(http.MethodGet, tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := SigV4(cfg)(req, nil); err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		if auth := req.Header.Get("Authorization"); !strings.Contains(auth, tt.scope) {
			t.Errorf("%s: Authorization %q, want the scope %s", tt.url, auth, tt.scope)
		}
	}
	// With no region configured, an execute-api host still says which.
	req, _ := http.NewRequest(http.MethodGet, "https://a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com/v1/health", nil)
	if err := SigV4(aws.Config{Credentials: cfg.Credentials})(req, nil); err != nil || !strings.Contains(req.Header.Get("Authorization"), "/eu-west-2/") {
		t.Errorf("no configured region: %v, %q", err, req.Header.Get("Authorization"))
	}
	for host, want := range map[string]string{
		"abc123.execute-api.eu-west-2.amazonaws.com":              "eu-west-2",
		"ABC123.EXECUTE-API.CN-NORTHWEST-1.AMAZONAWS.COM.CN":      "cn-northwest-1",
		"abc123.execute-api.eu-west-2.amazonaws.com.evil.example": "",
		"execute-api.eu-west-2.amazonaws.com":                     "",
		"127.0.0.1":                                               "",
	} {
		if got, ok := ExecuteAPIRegion(host); got != want || ok != (want != "") {
			t.Errorf("ExecuteAPIRegion(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}
