package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SigV4 returns a Sign function that signs API requests with AWS Signature Version 4 for API
// Gateway (service "execute-api"), using the credentials and region of cfg: on AWS the HTTP API
// uses IAM authorisation and the caller's principal is the tenant.
func SigV4(cfg aws.Config) func(req *http.Request, body []byte) error {
	signer := v4.NewSigner()
	return func(req *http.Request, body []byte) error {
		if cfg.Credentials == nil {
			return fmt.Errorf("sigv4: no AWS credentials configured")
		}
		if cfg.Region == "" {
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
		return signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", cfg.Region, time.Now().UTC())
	}
}
