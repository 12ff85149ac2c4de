package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SigV4 returns a Sign function that signs API requests with AWS Signature Version 4 for API
// Gateway (service "execute-api"), using the credentials of cfg: on AWS the HTTP API uses IAM
// authorisation and the caller's principal is the tenant. The signature's region is the API's,
// named in its execute-api host (ExecuteAPIRegion), and cfg's region only for another host (a
// custom domain): API Gateway refuses a signature scoped to any other region, so a stack in
// eu-west-2 called with a profile whose region is us-east-1 was refused every request.
func SigV4(cfg aws.Config) func(req *http.Request, body []byte) error {
	signer := v4.NewSigner()
	return func(req *http.Request, body []byte) error {
		if cfg.Credentials == nil {
			return fmt.Errorf("sigv4: no AWS credentials configured")
		}
		region := cfg.Region
		if r, ok := ExecuteAPIRegion(req.URL.Hostname()); ok {
			region = r
		}
		if region == "" {
			return fmt.Errorf("sigv4: no AWS region configured (set AWS_REGION)")
		}
		ctx := req.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return fmt.Errorf("sigv4: credentials: %w", err)
		}
		sum := sha256.Sum256(body)
		return signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", region, time.Now().UTC())
	}
}

// executeAPIHost is an API Gateway endpoint's default host name, <api id>.execute-api.<region>.
// <suffix>, the suffix amazonaws.com (aws, aws-us-gov) or amazonaws.com.cn (aws-cn).
var executeAPIHost = regexp.MustCompile(`^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// ExecuteAPIRegion returns the region of an API Gateway endpoint's default host name (the
// stack's ApiUrl), in any partition; ok is false for any other host.
func ExecuteAPIRegion(host string) (region string, ok bool) {
	m := executeAPIHost.FindStringSubmatch(strings.ToLower(host))
	if m == nil {
		return "", false
	}
	return m[1], true
}
