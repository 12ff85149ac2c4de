// Package reamcdk is Ream's AWS deployment as a CDK construct: NewPipeline
// builds the whole data plane under any scope, so another team can put it in
// its own stack; NewStack wraps it with the stack outputs, and infra/app is
// the thin CDK app that `cdk synth` runs (cdk.json at the repository root).
//
// # What it builds
//
//   - A customer-managed KMS key with rotation, for the bucket (SSE-KMS with
//     an S3 Bucket Key), the completion topic and the alarm topic.
//   - The bucket: public access blocked, TLS-only policy (TLS 1.2 minimum),
//     bucket-owner-enforced ownership, CORS for PUT/GET/HEAD through
//     presigned URLs, lifecycle rules (outputs/ and work/ after
//     RetentionDays, inputs/ after InputRetentionDays, incomplete multipart
//     uploads after a day), server access logs to a second (SSE-S3: S3
//     delivers logs to nothing else) bucket.
//   - The table: PK/SK, GSI1 (a tenant's jobs), GSI2 (jobs by status), TTL
//     on "ttl", on-demand, point-in-time recovery, encrypted at rest with
//     DynamoDB's AWS owned key (no KMS charge, no key grants to keep in
//     step).
//   - The shard queue and its dead-letter queue (SSE-SQS, TLS-only): the
//     visibility timeout is six times the worker's timeout, as AWS
//     recommends for Lambda event sources, and REAM_STUCK_AFTER is checked to
//     be longer than it.
//   - The completion topic and the alarm topic (KMS, TLS-only); the alarm
//     topic's policy also lets CloudWatch publish, for this account's alarms
//     only (a topic policy replaces SNS's default one).
//   - Five functions (provided.al2023, arm64), each with its own role and
//     log group: api behind an HTTP API (payload v2, AWS_IAM on every route
//     but the coding routes, see below; CORS for CorsAllowedOrigins, the
//     bucket's origins too, with api.APICORS),
//     ingest on S3 ObjectCreated under inputs/, worker on the shard queue
//     (batch item failures, maximum concurrency), deadletter on the
//     dead-letter queue (batch item failures), sweeper on an EventBridge
//     schedule.
//   - Alarms on the alarm topic: dead-letter queues not empty, shards
//     dead-lettered, job age (oldest shard message), errors and throttles
//     per function, the API's 5xx, and the failures the worker and ingest
//     answer as batch item failures (which their Errors metric does not
//     count), the jobs the sweeper could not sweep, the stuck jobs it
//     rescued and the notifications a job's own topic refused, from their
//     log lines.
//   - OAuth2 for the coding routes (CodingRoutes, /v1/topics…): a Cognito
//     user pool for machine clients (no self sign-up, MFA required, strong
//     password policy), a resource server "ream" with the scope ream/coding,
//     a Cognito prefix domain for the token endpoint, one client-credentials
//     app client with a secret per PipelineProps.CodingClients name, and an
//     HTTP API JWT authoriser (issuer: the pool; audience: the client ids,
//     which Cognito access tokens carry as client_id) requiring ream/coding
//     on each coding route, integrated with the api function like the rest.
//
// # Decisions
//
// Code: each function's code is lambda.Code.fromAsset(<CodeDir>/<name>),
// the directory `make build` writes (dist/<name>/bootstrap, GOOS=linux
// GOARCH=arm64, -tags lambda.norpc). NewPipeline refuses to synthesize
// without the five bootstraps: a stack that synthesized with a stand-in
// would deploy functions that cannot run. Tests write tiny placeholder
// bootstraps into a temporary directory and pass it as CodeDir. The Go
// bundling construct was not used: it is an alpha module, and it would
// compile at every synth instead of reusing `make build`'s binaries.
//
// Permissions: every role is written out with exact actions scoped to the
// key prefixes each function uses (see Access); each prefix a function
// reads it may also list (s3:ListBucket with that s3:prefix), so a missing
// key is S3's 404 rather than 403. Model files: every function may read,
// list and write models/_shipped/ (the registry stores the shipped models
// on first use, and any function may finalize a coding operation); only
// the worker may read and write models/ (it loads the models coding shards
// name and stores those training jobs make). The L2 grant helpers emit
// action wildcards ("s3:GetObject*", "kms:GenerateDataKey*", …); only the
// SQS event sources' grant, whose actions are exact, is kept. KMS use is
// limited to kms:Decrypt and kms:GenerateDataKey via S3 and SNS. No role
// has a managed policy.
//
// /v1/health requires AWS_IAM like every /v1 route: API Gateway refuses an
// unsigned request before it can invoke (and bill) the function, and a
// signed health check proves the whole path a client uses. The one route
// without a gateway authoriser is POST /, the Comprehend-compatible API:
// its requests are signed for service comprehend, which the gateway's IAM
// authoriser cannot verify, so the api function verifies them against the
// access keys Ream issued.
//
// Suppressions (cdk-nag AwsSolutions), each with its reason in nag.go:
// IAM5 for the object-prefix resources (inputs/*, work/*, outputs/*,
// models/_shipped/*, models/* for the worker and access-keys/* for the api
// function; keys are made per tenant, job and model at run time) and for job-named SNS topics of this account; COG3 for the
// coding user pool (threat protection scores user sign-ins; the pool only
// serves the client-credentials grant); APIG4 on POST / (above); with SubnetIds, IAM5 on
// Resource::* for the network-interface actions Lambda needs in a VPC (landing.go).
//
// A landing zone (landing.go): PermissionsBoundary and RolePath on every role, SubnetIds and
// SecurityGroupIds on every function, StackProps.Tags on every taggable resource. S3 events
// reach ingest through EventBridge, so no CDK custom resource (and no
// Lambda runtime cdk-nag could flag) is deployed.
// No resource has a fixed physical name, so stages deploy side by side.
package reamcdk
