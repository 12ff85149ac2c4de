// Command deadletter is the Lambda on the shard queue's dead-letter queue: each poison shard's
// documents are recorded as failed, so its job still completes with every document accounted for.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ream-dev/ream/functions/internal/coldstart"
	"github.com/ream-dev/ream/shared/handlers"
)

func main() {
	svc, log, rel := coldstart.Consumer("deadletter")
	h := handlers.NewDeadLetters(svc, log)
	h.Releaser = rel // batches hand back, visible at once, what the deadline cut
	lambda.Start(h.Handle)
}
