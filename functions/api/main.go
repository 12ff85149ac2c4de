// Command api is the Lambda behind the API Gateway HTTP API (payload v2): the tenant is the
// caller's verified IAM principal (AWS_IAM routes), the client of its Cognito access token (the
// coding routes, behind a JWT authoriser), or the owner of the access key that signed a
// Comprehend-compatible request (POST /, verified here: see handlers.SigV4Auth).
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ream-dev/ream/functions/internal/coldstart"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
)

// keyCacheTTL is how long the function remembers an access key (or an unknown id): a revoked key
// stops working within it.
const keyCacheTTL = 5 * time.Minute

func main() {
	svc, log, env := coldstart.ServiceEnv("api")
	// /v1/jobs… routes carry a verified IAM identity; the coding routes the claims of the
	// Cognito access token API Gateway's JWT authoriser verified.
	h := handlers.NewAPI(svc, handlers.AnyAuth{handlers.IAMAuth{}, handlers.JWTAuth{Tenants: env.CodingTenants}}, log)
	// POST / (Comprehend's protocol) is unauthenticated at the gateway, whose IAM authoriser only
	// takes execute-api signatures: the signature (service comprehend) is verified here against
	// the access keys Ream issued (access-keys/ in the bucket, SSE-KMS under the stack's key).
	keys := &handlers.CachedKeys{Store: handlers.IssuedKeys{Keys: accesskeys.New(svc.Objects())}, TTL: keyCacheTTL}
	h.WithComprehend(handlers.NewSigV4AuthStore(handlers.ComprehendService, keys), handlers.ComprehendConfig{
		Bucket: env.Bucket, Partition: env.Partition, Region: env.Region, Account: env.AccountID,
	})
	lambda.Start(h.HandleEvent)
}
