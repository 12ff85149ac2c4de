// Command api is the Lambda behind the API Gateway HTTP API (payload v2): the tenant is the
// caller's verified IAM principal (AWS_IAM routes) or the client of its Cognito access token
// (the coding routes, behind a JWT authoriser).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ream-dev/ream/functions/internal/coldstart"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
)

func main() {
	svc, log := coldstart.Service("api")
	// /v1/jobs… routes carry a verified IAM identity; the coding routes the claims of the
	// Cognito access token API Gateway's JWT authoriser verified.
	tenants, _ := reamaws.ParseCodingTenants(os.Getenv(reamaws.EnvCodingTenants)) // validated by the cold start
	h := handlers.NewAPI(svc, handlers.AnyAuth{handlers.IAMAuth{}, handlers.JWTAuth{Tenants: tenants}}, log)
	lambda.Start(h.HandleEvent)
}
