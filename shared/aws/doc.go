// Package aws holds the AWS adapters for the pipeline ports, on aws-sdk-go-v2:
//
//	Objects  → S3        (NewObjects)   streaming multipart Put, ranged Open, SigV4 presigned URLs, SSE-KMS
//	Jobs     → DynamoDB  (NewJobs)      one table, conditional writes, TransactWriteItems, two GSIs, TTL
//	Queue    → SQS       (NewQueue)     SendMessageBatch in chunks, retrying failed entries
//	Notifier → SNS       (NewNotifier)  JSON message with filterable message attributes
//
// Every adapter takes the narrowest SDK interface it calls (S3API, DynamoDBAPI, SQSAPI, SNSAPI),
// so that a Lambda main builds each SDK client once at cold start (NewClients) and tests can pass
// small fakes. Endpoints are overridable (Endpoints) for emulators: MinIO, DynamoDB Local, fauxqs.
//
// The package is named aws after its directory; import the SDK's own aws package under another
// name (this package uses sdkaws) when both are needed.
package aws
