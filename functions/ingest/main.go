// Command ingest is the Lambda S3 notifies of every object created under inputs/: it moves the
// job to IN_PROGRESS and enqueues its shards.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ream-dev/ream/functions/internal/coldstart"
	"github.com/ream-dev/ream/shared/handlers"
)

func main() {
	svc, log := coldstart.Service("ingest")
	h := handlers.NewIngest(svc, log)
	lambda.Start(h.Handle)
}
