// Package functions holds Ream's Lambda functions, one thin main per function under
// functions/<name>; `make build` cross-compiles each to dist/<name>/bootstrap for the
// provided.al2023 runtime (linux/arm64, -tags lambda.norpc):
//
//	api         API Gateway HTTP API (payload v2, AWS_IAM auth) → handlers.API
//	ingest      S3 ObjectCreated under inputs/                  → handlers.Ingest
//	worker      SQS shard queue, ReportBatchItemFailures        → handlers.Worker
//	deadletter  SQS dead-letter queue                           → handlers.DeadLetters
//	sweeper     EventBridge schedule                            → handlers.Sweeper
//
// Every main does the same cold start (internal/coldstart): a JSON slog logger on stderr, the
// configuration from the environment (shared/aws.EnvFromOS), the SDK clients, adapters,
// analysers and pipeline built once (shared/aws.Build), then lambda.Start. A missing or bad
// variable is not a panic: the function logs one line naming every variable to fix, reports it
// to the Runtime API's init/error endpoint, and exits with status 1.
//
// Environment (set by the CDK construct in infra/reamcdk):
//
//	REAM_BUCKET, REAM_TABLE, REAM_SHARD_QUEUE_URL, REAM_TOPIC_ARN   required
//	REAM_KMS_KEY_ID                                                 SSE-KMS key for objects and presigned PUTs
//	REAM_SHARD_BYTES, REAM_MAX_INPUT_BYTES                          positive integers (bytes)
//	REAM_UPLOAD_TTL, REAM_RETENTION, REAM_STUCK_AFTER               Go durations ("1h", "720h", "20m")
//	REAM_LANGUAGES                                                  comma list of ISO 639-1 codes (at least two)
//	REAM_LOG_LEVEL                                                  debug, info (default), warn, error
//	REAM_S3_ENDPOINT (path-style), REAM_DYNAMODB_ENDPOINT,
//	REAM_SQS_ENDPOINT, REAM_SNS_ENDPOINT                            endpoint overrides for emulators
//
// plus the AWS SDK's own (AWS_REGION and the credentials Lambda provides).
//
// runtime_test.go builds the real binaries and runs them under a small Lambda Runtime API
// server, so that the lambda.Start path and the environment handling are tested as deployed.
package functions
