// Command api is the Lambda behind the API Gateway HTTP API (payload v2, AWS_IAM routes): the
// tenant is the caller's verified IAM principal.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ream-dev/ream/functions/internal/coldstart"
	"github.com/ream-dev/ream/shared/handlers"
)

func main() {
	svc, log := coldstart.Service("api")
	h := handlers.NewAPI(svc, handlers.IAMAuth{}, log)
	lambda.Start(h.HandleEvent)
}
