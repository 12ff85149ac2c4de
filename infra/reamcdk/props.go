package reamcdk

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/ream-dev/ream/internal/loglevel"
	"github.com/ream-dev/ream/shared/analysis/language"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// Function names. Each is built by `make build` to <CodeDir>/<name>/bootstrap.
const (
	FnAPI        = "api"
	FnIngest     = "ingest"
	FnWorker     = "worker"
	FnDeadLetter = "deadletter"
	FnSweeper    = "sweeper"
)

// FunctionNames lists the five functions in a stable order.
var FunctionNames = []string{FnAPI, FnIngest, FnWorker, FnDeadLetter, FnSweeper}

// Object key prefixes. Every key below them carries the tenant next:
// inputs/<tenant>/…, work/<tenant>/…, outputs/<tenant>/….
const (
	InputsPrefix  = "inputs/"
	WorkPrefix    = "work/"
	OutputsPrefix = "outputs/"
	// AccessKeysPrefix holds the access keys of the Comprehend-compatible API
	// (accesskeys.Prefix); only the api function reads it.
	AccessKeysPrefix = "access-keys/"
	// DefaultJobTopicPrefix is PipelineProps.JobTopicPrefix's default (the code's
	// pipeline.DefaultJobTopicPrefix, checked by TestContractNames).
	DefaultJobTopicPrefix = "ream-"
	// ModelsPrefix holds the coding service's model files (codingop.ModelsPrefix):
	// models/<tenant>/<topic>/<id>.bin for a tenant's trained models, and under
	// ShippedModelsPrefix (codingop.ShippedModelsPrefix) the models Ream ships,
	// which every process stores on first use of the model registry.
	ModelsPrefix        = "models/"
	ShippedModelsPrefix = ModelsPrefix + "_shipped/"
)

// Table key and index names: what shared/aws's Jobs adapter reads and
// writes (its CreateTable, for emulators, declares the same table).
const (
	TablePartitionKey = "PK"
	TableSortKey      = "SK"
	TableTTLAttribute = "ttl"  // epoch seconds of ExpirationTime + a week (aws.TTLGrace): the sweeper expires jobs first
	IndexByTenant     = "GSI1" // GSI1PK, GSI1SK: a tenant's jobs by submit time
	IndexByStatus     = "GSI2" // GSI2PK, GSI2SK: jobs by status, for the sweeper
)

// FunctionSettings sizes one function. Zero values take the defaults.
type FunctionSettings struct {
	MemoryMB int
	Timeout  time.Duration
}

// PipelineProps configures NewPipeline. Every field is optional: the zero
// value of a field means "use the default" written beside it.
type PipelineProps struct {
	// CodeDir is the directory holding <name>/bootstrap for each of the five
	// functions, as `make build` writes them. Default "dist" (relative to the
	// working directory, which is the repository root under `cdk synth`).
	// NewPipeline panics with a "run make build" message when a bootstrap is
	// missing: deploying a placeholder would be worse than failing the synth.
	CodeDir string

	// API, Ingest, Worker, DeadLetter, Sweeper size the functions.
	// Defaults: api 256 MB/20 s (the HTTP API integration gives up at 30 s);
	// ingest 512 MB/5 min (streams the whole input once to plan shards);
	// worker 1024 MB/3 min (one shard, or finalizing a job's archive);
	// deadletter 512 MB/3 min; sweeper 512 MB/5 min.
	API, Ingest, Worker, DeadLetter, Sweeper FunctionSettings

	// WorkerMaxConcurrency caps the concurrent worker invocations the SQS
	// event source starts (2..1000). Default 10.
	WorkerMaxConcurrency int
	// IngestMaxConcurrency caps the concurrent ingest invocations its SQS event source starts
	// (2..1000). Default DefaultIngestMaxConcurrency.
	IngestMaxConcurrency int
	// AccountConcurrency is the account's Lambda quota "Concurrent executions" in the region the
	// stack deploys to, as Service Quotas shows it (1,000 in most accounts; new accounts start
	// lower, as low as 10). Given, the synth fails unless the SQS event sources' maxima
	// (WorkerMaxConcurrency + IngestMaxConcurrency + DeadLetterMaxConcurrency) leave at least
	// OnDemandConcurrency of it for the api function and the sweeper, which no event source
	// bounds. Default 0: not checked. No function reserves concurrency (AWS keeps 100 of the
	// quota unreserved, so an account below 101 could reserve none: Lambda's "Configuring
	// reserved concurrency" guide), so the stack deploys on any quota; this check is about
	// whether the API keeps answering while a large job runs.
	AccountConcurrency int
	// WorkerBatchSize is the SQS batch size for the worker (1..10). Default 10.
	WorkerBatchSize int
	// MaxReceiveCount is how many times a shard is delivered before it is
	// dead-lettered. Default 5, the least AWS's Lambda guide advises for a
	// queue that feeds a function: a worker hands back the messages of a
	// batch it had no time to start, and each such receive counts.
	MaxReceiveCount int

	// RetentionDays: outputs/ and work/ objects are deleted by a lifecycle
	// rule this many days after they were written; the same figure is the
	// job's retention (REAM_RETENTION). Default 30.
	RetentionDays int
	// InputRetentionDays: inputs/ objects are deleted this many days after
	// upload. Default RetentionDays, so that a job's input (which a retry of
	// it reads again) is kept as long as the job.
	InputRetentionDays int
	// AccessLogRetentionDays: server access logs are kept this long. Default 90.
	AccessLogRetentionDays int

	// ShardBytes is the target input bytes per shard (REAM_SHARD_BYTES).
	// Default 1 MiB; at least 1 KiB, as the local config's shardBytes.
	ShardBytes int64
	// UploadTTL is how long a presigned upload URL is valid and a job may
	// wait for its input before it is TIMED_OUT (REAM_UPLOAD_TTL). Default 1h,
	// at least 1m, at most 12h: S3 honours a presigned URL only while the credentials that
	// signed it last, and the api function signs with its execution role's
	// session credentials (an STS session lasts at most 12 hours; Lambda's
	// may end sooner, so keep it short).
	UploadTTL time.Duration
	// StuckAfter is how long a running job may make no progress before the
	// sweeper re-enqueues its unrecorded shards (REAM_STUCK_AFTER). It must be
	// longer than the shard queue's visibility timeout, or the sweeper would
	// re-enqueue shards that are still being worked on. Default: the
	// visibility timeout plus 5 minutes.
	StuckAfter time.Duration
	// SweepRate is the sweeper's schedule. Default 5 minutes.
	SweepRate time.Duration
	// ExpiryPassEvery is how often the sweeper starts a pass over the finished
	// jobs, for their expiry (REAM_EXPIRY_PASS_EVERY). Default 1h; at least
	// SweepRate. Each run reads the running jobs and the finished jobs not yet
	// notified in full; the finished ones, which grow with jobs per day ×
	// retention, only in the pass, spread over runs.
	ExpiryPassEvery time.Duration

	// LogRetention for the functions' and the API's log groups. Default one month.
	LogRetention awslogs.RetentionDays
	// LogLevel is REAM_LOG_LEVEL: any name the functions read (loglevel.Parse: debug, info,
	// warn or warning, error, in any case). Default "warn".
	LogLevel string

	// JobAgeAlarmThreshold: alarm when the oldest shard message has waited
	// this long in the shard queue. Default 30 minutes.
	JobAgeAlarmThreshold time.Duration

	// CorsAllowedOrigins are the origins of the web pages that may call the HTTP API and
	// PUT/GET through presigned URLs from a browser (api.APICORS on the API, api.ObjectsCORS on
	// the bucket; never with credentials, as callers authenticate with headers): "*" or origins
	// such as "https://app.example.com" (api.ValidCORSOrigin). Default ["*"]: a presigned URL
	// is itself the credential, and an API call needs a SigV4 signature or an access token that
	// a page of another origin does not hold; narrow it to your web app's origin if you have one.
	CorsAllowedOrigins []string

	// APIThrottleRate and APIThrottleBurst limit the HTTP API's $default
	// stage (requests per second; bucket size). Defaults 100 and 200.
	APIThrottleRate  float64
	APIThrottleBurst int

	// CodingClients names the OAuth2 app clients (client-credentials grant,
	// with a secret) that may call the coding routes (/v1/topics…), one
	// Cognito app client each; the first one's id is the CodingClientId
	// output, the others' CodingClientId<Name> (the name in CamelCase).
	// Names: a letter, then letters, digits, '-' or '_' (at most 64).
	// The HTTP API's JWT authoriser accepts exactly these clients: a client
	// created outside the stack is refused until it is listed here.
	// Default ["coding"].
	CodingClients []string
	// CodingClientTenants maps a coding client's name to the tenant it acts
	// as (REAM_CODING_TENANTS of the api function), e.g. the tenant of the IAM
	// principal that trains models through /v1/jobs (the Tenant of its jobs'
	// notifications), so that its clients code with its models. A client not
	// listed is a tenant of its own: its client id.
	CodingClientTenants map[string]string
	// CodingDomainPrefix is the Cognito domain prefix of the token endpoint
	// (https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token, auth-fips in GovCloud). Prefixes
	// are unique across all AWS accounts of a region: lower-case letters,
	// digits and '-', without "aws", "amazon" or "cognito". Default: the
	// stack name in lower case plus "-" and the first 8 hex digits of the
	// stack's id, so stages and accounts never collide.
	CodingDomainPrefix string

	// OutputKmsKey is an existing KMS key (e.g. awskms.Key_FromKeyArn) that jobs may name as
	// OutputDataConfig.KmsKeyId: their output.tar.gz, manifest.json and coding files are then
	// written with SSE-KMS under it (shard results under work/ stay under the stack's key and
	// are deleted at finalize). Every function may finalize a job or presign its results, so
	// each gets kms:Decrypt and kms:GenerateDataKey on this key, through S3 only; the key's own
	// policy must allow the account's IAM principals (a key's default policy does). Default
	// none: a job naming a key the functions cannot use FAILS with a Message saying so.
	OutputKmsKey awskms.IKey

	// JobTopicPrefix is the start of the names of the SNS topics a job may name as its
	// NotificationChannel (REAM_JOB_TOPIC_PREFIX): the functions may sns:Publish to topics of
	// this account and region so named, and to no other (a job naming another is a 400).
	// Letters, digits, '_' and '-'. Default DefaultJobTopicPrefix, or under NewStack with a
	// Stage StageJobTopicPrefix(stage) (ream-<stage>_): give each stack of an account one that
	// starts no other's.
	JobTopicPrefix string
	// JobTopicPerTenant binds those topics to tenants (REAM_JOB_TOPIC_PER_TENANT): a job may
	// name only a topic whose name starts with JobTopicPrefix, its tenant and "-", so that no
	// tenant can have the stack publish into another's topic. Default false (any topic with
	// the prefix), for a deployment of one team.
	JobTopicPerTenant bool

	// Languages restricts LANGUAGE's detection to these ISO 639-1 codes (REAM_LANGUAGES): at
	// least two, each one the analyser supports (language.SupportedLanguages; checked here, so
	// that a wrong code fails the synth, not every function at its start). Default: the
	// analyser's default set.
	Languages []string

	// PermissionsBoundary, RolePath, SubnetIds and SecurityGroupIds fit the stack to a landing
	// zone whose SCPs and network rules every role and function must follow (landing.go).
	//
	// PermissionsBoundary is the managed policy every IAM role of the pipeline carries as its
	// permissions boundary: an ARN (arn:<partition>:iam::<account>:policy/<path><name>) or the
	// name of a policy of the stack's account at path "/". Default none.
	PermissionsBoundary string
	// RolePath is the IAM path of every role of the pipeline (e.g. "/app/ream/"): "/", or "/"
	// then characters ! to ~ ending in "/", 512 at most. Default "/".
	RolePath string
	// SubnetIds and SecurityGroupIds put every function in the VPC of those private subnets
	// (1..16 subnet-… ids) with those security groups (1..5 sg-… ids); give both or neither.
	// The subnets must reach S3, DynamoDB, SQS and SNS (gateway or interface endpoints, or a
	// NAT): README, "A new account, or a landing zone". Default: no VPC.
	SubnetIds        []string
	SecurityGroupIds []string

	// RemovalPolicy for the stateful resources (key, buckets, table).
	// Default RETAIN: `cdk destroy` never deletes a user's data. Pass
	// awscdk.RemovalPolicy_DESTROY for throwaway stages (S3 still refuses
	// to delete a non-empty bucket).
	RemovalPolicy awscdk.RemovalPolicy
}

// resolved is PipelineProps with every default filled in and checked.
type resolved struct {
	PipelineProps
	fns               map[string]FunctionSettings
	visibilityTimeout time.Duration
	dlqVisibility     time.Duration
	ingestVisibility  time.Duration
}

var defaultFunctions = map[string]FunctionSettings{
	FnAPI:        {MemoryMB: 256, Timeout: 20 * time.Second},
	FnIngest:     {MemoryMB: 512, Timeout: 5 * time.Minute},
	FnWorker:     {MemoryMB: 1024, Timeout: 3 * time.Minute},
	FnDeadLetter: {MemoryMB: 512, Timeout: 3 * time.Minute},
	FnSweeper:    {MemoryMB: 512, Timeout: 5 * time.Minute},
}

// maxUploadTTL bounds UploadTTL: the longest STS role session, beyond which a URL signed with the
// api function's role credentials is refused (ExpiredToken) before its X-Amz-Expires.
const maxUploadTTL = 12 * time.Hour

// visibilityFactor: AWS recommends a queue visibility timeout of at least
// six times the consuming function's timeout, so that the event source's
// retries on throttling do not make a message visible while a batch is
// still in flight.
const visibilityFactor = 6

func resolve(p *PipelineProps) (*resolved, error) {
	r := &resolved{fns: map[string]FunctionSettings{}}
	if p != nil {
		r.PipelineProps = *p
	}
	given := map[string]FunctionSettings{
		FnAPI: r.API, FnIngest: r.Ingest, FnWorker: r.Worker, FnDeadLetter: r.DeadLetter, FnSweeper: r.Sweeper,
	}
	for _, name := range FunctionNames {
		s, d := given[name], defaultFunctions[name]
		if s.MemoryMB == 0 {
			s.MemoryMB = d.MemoryMB
		}
		if s.Timeout == 0 {
			s.Timeout = d.Timeout
		}
		if s.MemoryMB < 128 || s.MemoryMB > 10240 {
			return nil, fmt.Errorf("reamcdk: %s memory %d MB is outside 128..10240", name, s.MemoryMB)
		}
		if s.Timeout < time.Second || s.Timeout > 15*time.Minute || s.Timeout%time.Second != 0 {
			return nil, fmt.Errorf("reamcdk: %s timeout %v must be whole seconds in 1s..15m", name, s.Timeout)
		}
		r.fns[name] = s
	}
	if r.fns[FnAPI].Timeout > 30*time.Second {
		return nil, fmt.Errorf("reamcdk: api timeout %v exceeds the HTTP API's 30s integration limit", r.fns[FnAPI].Timeout)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&r.WorkerMaxConcurrency, 10)
	def(&r.IngestMaxConcurrency, DefaultIngestMaxConcurrency)
	def(&r.WorkerBatchSize, 10)
	def(&r.MaxReceiveCount, 5)
	def(&r.RetentionDays, 30)
	def(&r.InputRetentionDays, r.RetentionDays)
	def(&r.AccessLogRetentionDays, 90)
	def(&r.APIThrottleBurst, 200)
	if r.APIThrottleRate == 0 {
		r.APIThrottleRate = 100
	}
	if r.ShardBytes == 0 {
		r.ShardBytes = 1 << 20
	}
	if r.UploadTTL == 0 {
		r.UploadTTL = time.Hour
	}
	if r.ExpiryPassEvery == 0 {
		r.ExpiryPassEvery = time.Hour
	}
	if r.SweepRate == 0 {
		r.SweepRate = 5 * time.Minute
	}
	if r.LogRetention == "" {
		r.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if r.LogLevel == "" {
		r.LogLevel = "warn"
	}
	if r.JobAgeAlarmThreshold == 0 {
		r.JobAgeAlarmThreshold = 30 * time.Minute
	}
	if len(r.CorsAllowedOrigins) == 0 {
		r.CorsAllowedOrigins = []string{"*"}
	}
	for _, o := range r.CorsAllowedOrigins {
		if err := api.ValidCORSOrigin(o); err != nil {
			return nil, fmt.Errorf("reamcdk: CorsAllowedOrigins: %w", err)
		}
	}
	if r.RemovalPolicy == "" {
		r.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	if r.CodeDir == "" {
		r.CodeDir = "dist"
	}
	if r.JobTopicPrefix == "" {
		r.JobTopicPrefix = DefaultJobTopicPrefix
	}
	if len(r.Languages) > 0 {
		if _, err := language.New(language.Config{Languages: r.Languages}); err != nil {
			return nil, fmt.Errorf("reamcdk: Languages: %s", strings.TrimPrefix(err.Error(), job.ErrInvalid.Error()+": "))
		}
	}
	// pipeline.ValidJobTopicPrefix's rule, kept here so as not to link the analysers into the
	// CDK app (TestContractJobTopicPrefix holds the two together).
	if len(r.JobTopicPrefix) > 200 || strings.Trim(r.JobTopicPrefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		return nil, fmt.Errorf("reamcdk: JobTopicPrefix %q: want letters, digits, _ and - (the start of an SNS topic name)", r.JobTopicPrefix)
	}

	r.visibilityTimeout = visibilityFactor * r.fns[FnWorker].Timeout
	r.dlqVisibility = visibilityFactor * r.fns[FnDeadLetter].Timeout
	r.ingestVisibility = visibilityFactor * r.fns[FnIngest].Timeout
	if r.visibilityTimeout > 12*time.Hour || r.dlqVisibility > 12*time.Hour || r.ingestVisibility > 12*time.Hour {
		return nil, fmt.Errorf("reamcdk: visibility timeout (6 x function timeout) exceeds SQS's 12h limit")
	}
	if r.StuckAfter == 0 {
		r.StuckAfter = r.visibilityTimeout + 5*time.Minute
	}

	switch {
	case r.WorkerMaxConcurrency < 2 || r.WorkerMaxConcurrency > 1000:
		return nil, fmt.Errorf("reamcdk: WorkerMaxConcurrency %d is outside 2..1000 (the SQS event source's limits)", r.WorkerMaxConcurrency)
	case r.IngestMaxConcurrency < 2 || r.IngestMaxConcurrency > 1000:
		return nil, fmt.Errorf("reamcdk: IngestMaxConcurrency %d is outside 2..1000 (the SQS event source's limits)", r.IngestMaxConcurrency)
	case r.AccountConcurrency < 0:
		return nil, fmt.Errorf("reamcdk: AccountConcurrency %d is negative", r.AccountConcurrency)
	case r.AccountConcurrency > 0 && leastEventSourceConcurrency+OnDemandConcurrency > r.AccountConcurrency:
		// No maxima fit: saying to lower them "to at most 1 together" (or -1) asked the impossible.
		return nil, fmt.Errorf("reamcdk: AccountConcurrency %d cannot hold the stack: its SQS event sources run at least %d functions at once "+
			"(WorkerMaxConcurrency, IngestMaxConcurrency and deadletter at their least, 2 each) and the api function and the sweeper need %d more: "+
			"check the figure, or have AWS raise the account's Lambda quota \"Concurrent executions\" (Service Quotas)",
			r.AccountConcurrency, leastEventSourceConcurrency, OnDemandConcurrency)
	case r.AccountConcurrency > 0 && r.eventSourceConcurrency()+OnDemandConcurrency > r.AccountConcurrency:
		return nil, fmt.Errorf("reamcdk: the SQS event sources may run %d functions at once (WorkerMaxConcurrency %d + IngestMaxConcurrency %d + deadletter %d), "+
			"which leaves fewer than %d of AccountConcurrency %d for the api function and the sweeper: lower WorkerMaxConcurrency or IngestMaxConcurrency "+
			"(each at least 2) to at most %d together, or have AWS raise the account's Lambda quota \"Concurrent executions\" (Service Quotas)",
			r.eventSourceConcurrency(), r.WorkerMaxConcurrency, r.IngestMaxConcurrency, DeadLetterMaxConcurrency,
			OnDemandConcurrency, r.AccountConcurrency, r.AccountConcurrency-OnDemandConcurrency-DeadLetterMaxConcurrency)
	case r.WorkerBatchSize < 1 || r.WorkerBatchSize > 10:
		return nil, fmt.Errorf("reamcdk: WorkerBatchSize %d is outside 1..10", r.WorkerBatchSize)
	case r.MaxReceiveCount < 1 || r.MaxReceiveCount > 1000:
		return nil, fmt.Errorf("reamcdk: MaxReceiveCount %d is outside 1..1000", r.MaxReceiveCount)
	case r.RetentionDays < 1 || r.InputRetentionDays < 1 || r.AccessLogRetentionDays < 1:
		return nil, fmt.Errorf("reamcdk: retention days must be at least 1")
	case r.ShardBytes < 1024:
		return nil, fmt.Errorf("reamcdk: ShardBytes %d is below 1 KiB", r.ShardBytes)
	case r.UploadTTL < time.Minute || r.UploadTTL > maxUploadTTL:
		return nil, fmt.Errorf("reamcdk: UploadTTL %v is outside 1m..12h (a presigned URL works only while the role session that signed it lasts: 12 hours at most)", r.UploadTTL)
	case r.StuckAfter <= r.visibilityTimeout:
		return nil, fmt.Errorf("reamcdk: StuckAfter %v must exceed the shard queue's visibility timeout %v", r.StuckAfter, r.visibilityTimeout)
	case r.SweepRate < time.Minute || r.SweepRate%time.Minute != 0:
		return nil, fmt.Errorf("reamcdk: SweepRate %v must be whole minutes, at least 1m", r.SweepRate)
	case r.ExpiryPassEvery < r.SweepRate:
		return nil, fmt.Errorf("reamcdk: ExpiryPassEvery %v is below SweepRate %v (a pass starts only in a sweep)", r.ExpiryPassEvery, r.SweepRate)
	case r.JobAgeAlarmThreshold < time.Minute:
		return nil, fmt.Errorf("reamcdk: JobAgeAlarmThreshold %v is below 1m", r.JobAgeAlarmThreshold)
	case r.APIThrottleRate <= 0 || r.APIThrottleBurst <= 0:
		return nil, fmt.Errorf("reamcdk: API throttling must be positive")
	}
	if _, ok := loglevel.Parse(r.LogLevel); !ok {
		// The functions' own reader of REAM_LOG_LEVEL decides (found by the audit of the README's rules: the construct
		// had a list of its own, which refused "warning" and "WARN", names the functions take).
		return nil, fmt.Errorf("reamcdk: LogLevel %q is not one of %s", r.LogLevel, loglevel.Names)
	}
	if err := resolveLandingZone(r); err != nil {
		return nil, err
	}
	if err := resolveCoding(r); err != nil {
		return nil, err
	}
	for _, name := range FunctionNames {
		b := filepath.Join(r.CodeDir, name, "bootstrap")
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("reamcdk: %s is missing: run `make build` first (or set PipelineProps.CodeDir): %w", b, err)
		}
	}
	return r, nil
}

// DefaultIngestMaxConcurrency is IngestMaxConcurrency's default; DeadLetterMaxConcurrency is the
// deadletter function's event source maximum, the least an SQS event source takes (its
// ScalingConfig.MaximumConcurrency is 2..1000: Lambda API reference, ScalingConfig).
// OnDemandConcurrency is what AccountConcurrency must leave beyond the event sources' maxima:
// one concurrent execution for the api function and one for the sweeper.
const (
	DefaultIngestMaxConcurrency = 20
	DeadLetterMaxConcurrency    = 2
	OnDemandConcurrency         = 2
)

// leastEventSourceConcurrency is eventSourceConcurrency with worker and ingest at their least (2
// each, the SQS minimum DeadLetterMaxConcurrency is at).
const leastEventSourceConcurrency = 3 * DeadLetterMaxConcurrency

// eventSourceConcurrency is the most functions the stack's SQS event sources run at once.
func (r *resolved) eventSourceConcurrency() int {
	return r.WorkerMaxConcurrency + r.IngestMaxConcurrency + DeadLetterMaxConcurrency
}

// goDuration renders d the way Go's time.ParseDuration reads it back.
func goDuration(d time.Duration) string { return d.String() }

func cdkDuration(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(float64(d / time.Second)))
}

func hoursOfDays(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
