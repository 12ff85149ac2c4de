// Command sweeper is the Lambda on an EventBridge schedule: it times out uploads never made,
// re-enqueues stuck shards and expires old jobs.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ream-dev/ream/functions/internal/coldstart"
	"github.com/ream-dev/ream/shared/handlers"
)

func main() {
	svc, log := coldstart.Service("sweeper")
	h := handlers.NewSweeper(svc, log)
	lambda.Start(h.Handle)
}
