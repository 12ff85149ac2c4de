package aws

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ream-dev/ream/internal/loglevel"
	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Environment variables a Lambda function reads (EnvFromOS). The CDK construct
// (infra/reamcdk) sets the same names.
const (
	// Required.
	EnvBucket        = "REAM_BUCKET"          // S3 bucket for inputs/, work/ and outputs/
	EnvTable         = "REAM_TABLE"           // DynamoDB jobs table
	EnvShardQueueURL = "REAM_SHARD_QUEUE_URL" // SQS shard queue URL
	EnvTopicARN      = "REAM_TOPIC_ARN"       // SNS completion topic ARN

	// Optional.
	EnvKMSKeyID       = "REAM_KMS_KEY_ID"        // SSE-KMS key for objects and presigned PUTs
	EnvShardBytes     = "REAM_SHARD_BYTES"       // positive integer: nominal shard size
	EnvUploadTTL      = "REAM_UPLOAD_TTL"        // Go duration: presigned upload validity / input deadline
	EnvRetention      = "REAM_RETENTION"         // Go duration: how long a finished job is kept
	EnvStuckAfter     = "REAM_STUCK_AFTER"       // Go duration: no progress for this long → re-enqueue
	EnvExpiryPass     = "REAM_EXPIRY_PASS_EVERY" // Go duration: how often the sweeper starts a pass over the finished jobs
	EnvMaxInputBytes  = "REAM_MAX_INPUT_BYTES"   // positive integer: largest input a job accepts
	EnvLanguages      = "REAM_LANGUAGES"         // comma list of ISO 639-1 codes for LANGUAGE
	EnvCodingTenants  = "REAM_CODING_TENANTS"    // comma list of clientId=tenant (api function)
	EnvLogLevel       = loglevel.EnvVar          // debug, info, warn or error
	EnvAccountID      = "REAM_ACCOUNT_ID"        // the account's id, for job ARNs (api function)
	EnvJobTopicPrefix = "REAM_JOB_TOPIC_PREFIX"  // name prefix of the SNS topics jobs may name (default pipeline.DefaultJobTopicPrefix)
	// EnvJobTopicPerTenant, "true", binds the topics jobs may name to their tenants
	// (pipeline.Config.JobTopicPerTenant); "false" or unset does not.
	EnvJobTopicPerTenant = "REAM_JOB_TOPIC_PER_TENANT"

	// Endpoint overrides, for emulators (MinIO, DynamoDB Local, fauxqs).
	EnvS3Endpoint       = "REAM_S3_ENDPOINT" // implies path-style addressing
	EnvDynamoDBEndpoint = "REAM_DYNAMODB_ENDPOINT"
	EnvSQSEndpoint      = "REAM_SQS_ENDPOINT"
	EnvSNSEndpoint      = "REAM_SNS_ENDPOINT"
)

// RequiredEnv lists the variables EnvFromOS refuses to run without, in the order it reports them.
var RequiredEnv = []string{EnvBucket, EnvTable, EnvShardQueueURL, EnvTopicARN}

// Env is a Lambda function's configuration, read from its environment by EnvFromOS. Zero
// optional fields take the pipeline's defaults.
type Env struct {
	Bucket        string
	Table         string
	ShardQueueURL string
	TopicARN      string

	KMSKeyID   string
	ShardBytes int64
	UploadTTL  time.Duration
	Retention  time.Duration
	// ExpiryPassEvery is pipeline.Config.ExpiryPassEvery (REAM_EXPIRY_PASS_EVERY; 0: its default).
	ExpiryPassEvery time.Duration
	StuckAfter      time.Duration
	MaxInputBytes   int64
	// Languages restricts language detection (nil: the analyser's default set).
	Languages []string
	// JobTopicPrefix is the name prefix of the SNS topics a job may name as its
	// NotificationChannel (pipeline.DefaultJobTopicPrefix when unset).
	JobTopicPrefix string
	// JobTopicPerTenant binds those topics to tenants (EnvJobTopicPerTenant).
	JobTopicPerTenant bool
	// Region (AWS_REGION, set by Lambda) and AccountID (REAM_ACCOUNT_ID) are where a job's
	// topic must be; unset, the API does not check them (IAM still refuses other topics).
	Region, AccountID string
	// Partition is the deployment's AWS partition (aws, aws-cn, aws-us-gov), read from the
	// completion topic's ARN (REAM_TOPIC_ARN), for the ARNs the functions write (the
	// Comprehend surface's JobArn); "" when that is not an ARN.
	Partition string
	// MemoryMB is the function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, set by Lambda; 0
	// when unset or not a positive number). Lambda gives a function CPU in proportion to it,
	// one vCPU at 1,769 MB, while its process sees at least two cores.
	MemoryMB int
	// CodingTenants maps coding clients (Cognito app client ids) to tenants.
	CodingTenants map[string]string
	LogLevel      slog.Level

	Endpoints Endpoints
}

// EnvError is EnvFromOS's error: every missing required variable and every bad value, so that
// one failed cold start tells the operator everything to fix.
type EnvError struct {
	// Missing are the unset (or blank) required variables.
	Missing []string
	// Invalid holds one message per bad value, each starting with the variable's name.
	Invalid []string
}

func (e *EnvError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing required environment variables: "+strings.Join(e.Missing, ", "))
	}
	parts = append(parts, e.Invalid...)
	return "configuration: " + strings.Join(parts, "; ")
}

// EnvFromOS reads the configuration through getenv (os.Getenv in a main). Values are trimmed;
// blank counts as unset. The error, an *EnvError, names every missing and every bad variable.
func EnvFromOS(getenv func(string) string) (Env, error) {
	var e Env
	var errs EnvError
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	required := func(name string, dst *string) {
		if *dst = get(name); *dst == "" {
			errs.Missing = append(errs.Missing, name)
		}
	}
	bad := func(name, v, why string) {
		errs.Invalid = append(errs.Invalid, fmt.Sprintf("%s=%q: %s", name, v, why))
	}
	positiveInt := func(name string, dst *int64) {
		v := get(name)
		if v == "" {
			return
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			bad(name, v, "want a positive whole number of bytes")
			return
		}
		*dst = n
	}
	duration := func(name string, dst *time.Duration) {
		v := get(name)
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(name, v, `want a positive Go duration such as "90s", "15m" or "720h"`)
			return
		}
		*dst = d
	}
	endpoint := func(name string, dst *string) {
		v := get(name)
		if v == "" {
			return
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(name, v, "want an http:// or https:// URL such as http://127.0.0.1:9000")
			return
		}
		*dst = v
	}

	required(EnvBucket, &e.Bucket)
	required(EnvTable, &e.Table)
	required(EnvShardQueueURL, &e.ShardQueueURL)
	required(EnvTopicARN, &e.TopicARN)
	if a, err := arn.Parse(e.TopicARN); err == nil {
		e.Partition = a.Partition
	}

	e.KMSKeyID = get(EnvKMSKeyID)
	e.JobTopicPrefix = get(EnvJobTopicPrefix)
	e.Region, e.AccountID = get("AWS_REGION"), get(EnvAccountID)
	switch v := get(EnvJobTopicPerTenant); v {
	case "", "false":
	case "true":
		e.JobTopicPerTenant = true
	default:
		bad(EnvJobTopicPerTenant, v, "want true or false")
	}
	if e.JobTopicPrefix != "" && !pipeline.ValidJobTopicPrefix(e.JobTopicPrefix) {
		bad(EnvJobTopicPrefix, e.JobTopicPrefix, "want letters, digits, _ and - (the start of an SNS topic name)")
	}
	if n, err := strconv.Atoi(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); err == nil && n > 0 {
		e.MemoryMB = n // (Lambda's own variable: anything else leaves the CPU as the process sees it)
	}
	positiveInt(EnvShardBytes, &e.ShardBytes)
	duration(EnvUploadTTL, &e.UploadTTL)
	duration(EnvRetention, &e.Retention)
	duration(EnvExpiryPass, &e.ExpiryPassEvery)
	duration(EnvStuckAfter, &e.StuckAfter)
	positiveInt(EnvMaxInputBytes, &e.MaxInputBytes)

	if v := get(EnvLanguages); v != "" {
		langs, why := parseLanguages(v)
		if why != "" {
			bad(EnvLanguages, v, why)
		} else {
			e.Languages = langs
		}
	}

	if v := get(EnvCodingTenants); v != "" {
		if m, why := ParseCodingTenants(v); why != "" {
			bad(EnvCodingTenants, v, why)
		} else {
			e.CodingTenants = m
		}
	}

	e.LogLevel = slog.LevelInfo
	if v := get(EnvLogLevel); v != "" {
		if l, ok := loglevel.Parse(v); ok {
			e.LogLevel = l
		} else {
			bad(EnvLogLevel, v, "want "+loglevel.Names)
		}
	}

	endpoint(EnvS3Endpoint, &e.Endpoints.S3)
	e.Endpoints.S3PathStyle = e.Endpoints.S3 != ""
	endpoint(EnvDynamoDBEndpoint, &e.Endpoints.DynamoDB)
	endpoint(EnvSQSEndpoint, &e.Endpoints.SQS)
	endpoint(EnvSNSEndpoint, &e.Endpoints.SNS)

	if len(errs.Missing) > 0 || len(errs.Invalid) > 0 {
		return Env{}, &errs
	}
	return e, nil
}

// parseLanguages splits a comma list of language codes ("en, fr,de"); whether each code is
// supported is checked when the analyser is built (Build).
func parseLanguages(v string) ([]string, string) {
	var out []string
	for _, c := range strings.Split(v, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		if len(c) < 2 || len(c) > 5 || strings.Trim(c, "abcdefghijklmnopqrstuvwxyz-") != "" {
			return nil, fmt.Sprintf("%q is not an ISO 639-1 code; want a comma list such as en,fr,de", c)
		}
		out = append(out, c)
	}
	if len(out) < 2 {
		return nil, "language detection needs at least two languages, e.g. en,fr"
	}
	return out, ""
}

// Config returns the pipeline configuration env describes (zero fields take the pipeline's
// defaults); object locations render as s3://bucket/key.
func (e Env) Config() pipeline.Config {
	return pipeline.Config{
		ShardBytes:        e.ShardBytes,
		MaxInputBytes:     e.MaxInputBytes,
		UploadTTL:         e.UploadTTL,
		Retention:         e.Retention,
		ExpiryPassEvery:   e.ExpiryPassEvery,
		StuckAfter:        e.StuckAfter,
		Locations:         layout.Locations{Base: "s3://" + e.Bucket + "/"},
		JobTopicPrefix:    cmp.Or(e.JobTopicPrefix, pipeline.DefaultJobTopicPrefix),
		JobTopicPerTenant: e.JobTopicPerTenant,
		PlanInWorker:      true,
		JobTopicRegion:    e.Region,
		JobTopicAccount:   e.AccountID,
		FitCPUs:           float64(e.MemoryMB) / lambdaMBPerVCPU,
	}
}

// lambdaMBPerVCPU is the memory at which a Lambda function has the equivalent of one vCPU
// (AWS's Lambda guide, "Memory and computing power").
const lambdaMBPerVCPU = 1769

// Build is a Lambda function's cold start: it builds the SDK clients once (the default
// credential chain and region, with env's endpoint overrides), the four adapters, the analysers
// (language detection restricted to env.Languages when set) and the pipeline service. It makes
// no network call.
func Build(ctx context.Context, env Env, log *slog.Logger) (*pipeline.Service, error) {
	svc, _, err := BuildConsumer(ctx, env, log)
	return svc, err
}

// BuildConsumer is Build for a function an SQS event source invokes: it also returns the
// Releaser its handler gives the messages a batch hands back at the deadline (on the same SQS
// client).
func BuildConsumer(ctx context.Context, env Env, log *slog.Logger) (*pipeline.Service, *Releaser, error) {
	if log == nil {
		log = slog.Default()
	}
	clients, err := NewClients(ctx, env.Endpoints)
	if err != nil {
		return nil, nil, err
	}
	reg, err := Analyzers(env.Languages)
	if err != nil {
		return nil, nil, err
	}
	var objOpts []ObjectsOption
	if env.KMSKeyID != "" {
		objOpts = append(objOpts, WithKMSKey(env.KMSKeyID))
	}
	return pipeline.New(pipeline.Deps{
		Jobs:      NewJobs(clients.DynamoDB, env.Table),
		Objects:   NewObjects(clients.S3, clients.Presign, env.Bucket, objOpts...),
		Queue:     NewQueue(clients.SQS, env.ShardQueueURL),
		Notifier:  NewNotifier(clients.SNS, env.TopicARN),
		Analyzers: reg,
		Models:    NewModels(clients.DynamoDB, env.Table),
		DropRules: NewDropRules(clients.DynamoDB, env.Table),
		Config:    env.Config(),
		Log:       log,
	}), NewReleaser(clients.SQS), nil
}

// Analyzers builds the shipped analysers, with language detection restricted to languages when
// there are any (as the local stack does with its "languages" setting).
func Analyzers(languages []string) (analysis.Registry, error) {
	reg, err := analysis.NewRegistry(languages)
	if err != nil && len(languages) > 0 {
		return nil, fmt.Errorf("configuration: %s: %w", EnvLanguages, err)
	}
	if err != nil {
		return nil, fmt.Errorf("analysers: %w", err)
	}
	return reg, nil
}

// ParseCodingTenants parses REAM_CODING_TENANTS ("clientId=tenant,…"); why says what is wrong.
func ParseCodingTenants(v string) (m map[string]string, why string) {
	m = map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		id, tenant, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || id == "" || !layout.ValidTenant(tenant) {
			return nil, fmt.Sprintf("want clientId=tenant pairs separated by commas (tenants: letters, digits, '.', '_' or '-'), not %q", pair)
		}
		m[id] = tenant
	}
	return m, ""
}
