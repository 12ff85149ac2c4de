// Command worker is the Lambda on the shard queue (SQS event source with
// ReportBatchItemFailures): it analyses shards and finalises a job when its last shard lands.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ream-dev/ream/functions/internal/coldstart"
	"github.com/ream-dev/ream/shared/handlers"
)

func main() {
	svc, log, rel := coldstart.Consumer("worker")
	coldstart.Warm(svc, log) // the worker analyses: its first batch must not wait for models
	h := handlers.NewWorker(svc, log)
	h.Releaser = rel // batches hand back, visible at once, what the deadline cut
	lambda.Start(h.Handle)
}
