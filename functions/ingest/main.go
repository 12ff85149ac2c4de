// Command ingest is the Lambda that gets S3's ObjectCreated events for inputs/ (EventBridge
// events in the ingest queue's SQS batches, as the stack delivers them; HandleJSON also takes
// them, or S3 notifications, invoked directly): an upload moves its job to IN_PROGRESS and
// enqueues its shards; an object in a drop rule's folder starts the rule's job.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ream-dev/ream/functions/internal/coldstart"
	"github.com/ream-dev/ream/shared/handlers"
)

func main() {
	svc, log, rel := coldstart.Consumer("ingest")
	h := handlers.NewIngest(svc, log)
	h.Releaser = rel // batches hand back, visible at once, what the deadline cut
	lambda.Start(h.HandleJSON)
}
