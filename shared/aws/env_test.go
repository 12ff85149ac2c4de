package aws_test

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// required is a complete minimal environment.
var required = map[string]string{
	"REAM_BUCKET":          "ream-bucket",
	"REAM_TABLE":           "ream-jobs",
	"REAM_SHARD_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/ream-shards",
	"REAM_TOPIC_ARN":       "arn:aws:sns:eu-west-1:123456789012:ream-done",
}

func envOf(base map[string]string, over map[string]string) func(string) string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range over {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestEnvFromOS(t *testing.T) {
	tests := []struct {
		name string
		base map[string]string
		over map[string]string
		want func(e *reamaws.Env) // expected fields beyond the required ones
		// on error: every string must appear in the message; missing is the exact Missing list.
		errHas  []string
		missing []string
	}{
		{
			name: "required only: defaults",
			base: required,
			want: func(e *reamaws.Env) { e.LogLevel = slog.LevelInfo },
		},
		{
			name: "everything set",
			base: required,
			over: map[string]string{
				"REAM_KMS_KEY_ID":        " arn:aws:kms:eu-west-1:123456789012:key/abc ",
				"REAM_SHARD_BYTES":       "2097152",
				"REAM_UPLOAD_TTL":        "30m",
				"REAM_RETENTION":         "720h",
				"REAM_STUCK_AFTER":       "20m",
				"REAM_EXPIRY_PASS_EVERY": "2h",
				"REAM_MAX_INPUT_BYTES":   "1000000",
				"REAM_LANGUAGES":         "en, FR,,de",
				"REAM_LOG_LEVEL":         "WARN",
				"REAM_S3_ENDPOINT":       "http://127.0.0.1:9000",
				"REAM_DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
				"REAM_SQS_ENDPOINT":      "http://127.0.0.1:4566",
				"REAM_SNS_ENDPOINT":      "https://sns.local:4566",
			},
			want: func(e *reamaws.Env) {
				e.KMSKeyID = "arn:aws:kms:eu-west-1:123456789012:key/abc"
				e.ShardBytes = 2 << 20
				e.UploadTTL = 30 * time.Minute
				e.Retention = 720 * time.Hour
				e.StuckAfter = 20 * time.Minute
				e.ExpiryPassEvery = 2 * time.Hour
				e.MaxInputBytes = 1_000_000
				e.Languages = []string{"en", "fr", "de"}
				e.LogLevel = slog.LevelWarn
				e.Endpoints = reamaws.Endpoints{
					S3: "http://127.0.0.1:9000", S3PathStyle: true,
					DynamoDB: "http://127.0.0.1:8000", SQS: "http://127.0.0.1:4566", SNS: "https://sns.local:4566",
				}
			},
		},
		{
			name: "job topics bound to tenants",
			base: required,
			over: map[string]string{"REAM_JOB_TOPIC_PER_TENANT": "true"},
			want: func(e *reamaws.Env) { e.LogLevel = slog.LevelInfo; e.JobTopicPerTenant = true },
		},
		{
			name:   "job topics per tenant: a bad value",
			base:   required,
			over:   map[string]string{"REAM_JOB_TOPIC_PER_TENANT": "yes"},
			errHas: []string{`REAM_JOB_TOPIC_PER_TENANT="yes"`, "true or false"},
		},
		{
			name: "log level aliases",
			base: required,
			over: map[string]string{"REAM_LOG_LEVEL": "warning"},
			want: func(e *reamaws.Env) { e.LogLevel = slog.LevelWarn },
		},
		{
			name: "debug",
			base: required,
			over: map[string]string{"REAM_LOG_LEVEL": "debug"},
			want: func(e *reamaws.Env) { e.LogLevel = slog.LevelDebug },
		},
		{
			name:    "nothing set: every required variable named",
			errHas:  []string{"REAM_BUCKET", "REAM_TABLE", "REAM_SHARD_QUEUE_URL", "REAM_TOPIC_ARN"},
			missing: []string{"REAM_BUCKET", "REAM_TABLE", "REAM_SHARD_QUEUE_URL", "REAM_TOPIC_ARN"},
		},
		{
			name:    "blank counts as missing",
			base:    required,
			over:    map[string]string{"REAM_TABLE": "  ", "REAM_TOPIC_ARN": ""},
			errHas:  []string{"REAM_TABLE", "REAM_TOPIC_ARN"},
			missing: []string{"REAM_TABLE", "REAM_TOPIC_ARN"},
		},
		{
			name: "missing and bad values reported together",
			over: map[string]string{
				"REAM_BUCKET":      "b",
				"REAM_SHARD_BYTES": "1MiB",
				"REAM_UPLOAD_TTL":  "60",
			},
			errHas:  []string{"REAM_TABLE", "REAM_SHARD_QUEUE_URL", "REAM_TOPIC_ARN", `REAM_SHARD_BYTES="1MiB"`, `REAM_UPLOAD_TTL="60"`},
			missing: []string{"REAM_TABLE", "REAM_SHARD_QUEUE_URL", "REAM_TOPIC_ARN"},
		},
		{
			name: "coding tenants",
			base: required,
			over: map[string]string{"REAM_CODING_TENANTS": "abc123=team-a, def456=123456789012-3f2a9c1b0d4e5f60"},
			want: func(e *reamaws.Env) {
				e.LogLevel = slog.LevelInfo
				e.CodingTenants = map[string]string{"abc123": "team-a", "def456": "123456789012-3f2a9c1b0d4e5f60"}
			},
		},
		{name: "coding tenants without a tenant", base: required, over: map[string]string{"REAM_CODING_TENANTS": "abc123"}, errHas: []string{"REAM_CODING_TENANTS"}},
		{name: "coding tenant with a slash", base: required, over: map[string]string{"REAM_CODING_TENANTS": "abc=a/b"}, errHas: []string{"REAM_CODING_TENANTS"}},
		{name: "shard bytes zero", base: required, over: map[string]string{"REAM_SHARD_BYTES": "0"}, errHas: []string{"REAM_SHARD_BYTES"}},
		{name: "shard bytes negative", base: required, over: map[string]string{"REAM_SHARD_BYTES": "-5"}, errHas: []string{"REAM_SHARD_BYTES"}},
		{name: "max input not a number", base: required, over: map[string]string{"REAM_MAX_INPUT_BYTES": "5GB"}, errHas: []string{"REAM_MAX_INPUT_BYTES"}},
		{name: "negative retention", base: required, over: map[string]string{"REAM_RETENTION": "-1h"}, errHas: []string{"REAM_RETENTION"}},
		{name: "zero stuck after", base: required, over: map[string]string{"REAM_STUCK_AFTER": "0s"}, errHas: []string{"REAM_STUCK_AFTER"}},
		{name: "days are not a Go duration", base: required, over: map[string]string{"REAM_RETENTION": "30d"}, errHas: []string{"REAM_RETENTION"}},
		{name: "bad log level", base: required, over: map[string]string{"REAM_LOG_LEVEL": "loud"}, errHas: []string{"REAM_LOG_LEVEL"}},
		{name: "one language", base: required, over: map[string]string{"REAM_LANGUAGES": "en"}, errHas: []string{"REAM_LANGUAGES", "two"}},
		{name: "bad language code", base: required, over: map[string]string{"REAM_LANGUAGES": "en,english!"}, errHas: []string{"REAM_LANGUAGES"}},
		{name: "endpoint without scheme", base: required, over: map[string]string{"REAM_S3_ENDPOINT": "127.0.0.1:9000"}, errHas: []string{"REAM_S3_ENDPOINT"}},
		{name: "endpoint bad scheme", base: required, over: map[string]string{"REAM_SQS_ENDPOINT": "ftp://x"}, errHas: []string{"REAM_SQS_ENDPOINT"}},
		{name: "endpoint no host", base: required, over: map[string]string{"REAM_DYNAMODB_ENDPOINT": "http://"}, errHas: []string{"REAM_DYNAMODB_ENDPOINT"}},
		{name: "endpoint garbage", base: required, over: map[string]string{"REAM_SNS_ENDPOINT": "http://[::1"}, errHas: []string{"REAM_SNS_ENDPOINT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reamaws.EnvFromOS(envOf(tt.base, tt.over))
			if tt.errHas != nil {
				if err == nil {
					t.Fatalf("no error; got %+v", got)
				}
				var ee *reamaws.EnvError
				if !errors.As(err, &ee) {
					t.Fatalf("error %T is not an *EnvError: %v", err, err)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				if !reflect.DeepEqual(ee.Missing, tt.missing) {
					t.Errorf("Missing = %q, want %q", ee.Missing, tt.missing)
				}
				return
			}
			if err != nil {
				t.Fatalf("EnvFromOS: %v", err)
			}
			want := reamaws.Env{
				Bucket: "ream-bucket", Table: "ream-jobs",
				ShardQueueURL: required["REAM_SHARD_QUEUE_URL"], TopicARN: required["REAM_TOPIC_ARN"],
				Partition: "aws", // the completion topic's
			}
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestEnvConfig(t *testing.T) {
	e, err := reamaws.EnvFromOS(envOf(required, map[string]string{"REAM_SHARD_BYTES": "4096", "REAM_UPLOAD_TTL": "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	c := e.Config()
	if c.ShardBytes != 4096 || c.UploadTTL != 2*time.Minute || c.Locations.Base != "s3://ream-bucket/" {
		t.Fatalf("Config() = %+v", c)
	}
	if got := c.Locations.URI("outputs/t/j/output.tar.gz"); got != "s3://ream-bucket/outputs/t/j/output.tar.gz" {
		t.Fatalf("URI = %s", got)
	}
	// Jobs may name SNS topics with the deployment's prefix only (the stack grants sns:Publish
	// on those alone): the default, or REAM_JOB_TOPIC_PREFIX.
	if c.JobTopicPrefix != pipeline.DefaultJobTopicPrefix {
		t.Errorf("JobTopicPrefix %q, want the default %q", c.JobTopicPrefix, pipeline.DefaultJobTopicPrefix)
	}
	e, err = reamaws.EnvFromOS(envOf(required, map[string]string{"REAM_JOB_TOPIC_PREFIX": "team-a-", "AWS_REGION": "eu-west-1", "REAM_ACCOUNT_ID": "123456789012"}))
	if c := e.Config(); err != nil || c.JobTopicPrefix != "team-a-" || c.JobTopicRegion != "eu-west-1" || c.JobTopicAccount != "123456789012" {
		t.Errorf("REAM_JOB_TOPIC_PREFIX, AWS_REGION, REAM_ACCOUNT_ID: %+v, %v", e, err)
	}
	// The partition the functions write ARNs in (the Comprehend surface's JobArn) is the
	// deployment's, read from its completion topic's ARN: aws-cn in China, aws-us-gov in GovCloud.
	for topic, want := range map[string]string{
		"arn:aws-cn:sns:cn-north-1:123456789012:Ream-CompletionTopic":        "aws-cn",
		"arn:aws-us-gov:sns:us-gov-west-1:123456789012:Ream-CompletionTopic": "aws-us-gov",
		"arn:aws:sns:eu-west-2:123456789012:Ream-CompletionTopic":            "aws",
		"not-an-arn": "",
	} {
		if e, err := reamaws.EnvFromOS(envOf(required, map[string]string{"REAM_TOPIC_ARN": topic})); err != nil || e.Partition != want {
			t.Errorf("REAM_TOPIC_ARN=%s: Partition %q, %v; want %q", topic, e.Partition, err, want)
		}
	}
	if _, err := reamaws.EnvFromOS(envOf(required, map[string]string{"REAM_JOB_TOPIC_PREFIX": "bad*"})); err == nil || !strings.Contains(err.Error(), "REAM_JOB_TOPIC_PREFIX") {
		t.Errorf("a prefix with * accepted: %v", err)
	}
	// The CPU a TOPICS fit can use is the function's share (one vCPU at 1,769 MB), so that on
	// the default 1,024 MB its restarts run, and are stored, one at a time.
	e, err = reamaws.EnvFromOS(envOf(required, map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}))
	if c := e.Config(); err != nil || c.FitCPUs < 0.57 || c.FitCPUs > 0.58 {
		t.Errorf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024: FitCPUs %v, %v; want 0.58", c.FitCPUs, err)
	}
	for _, v := range []string{"", "lots", "-5"} {
		e, err = reamaws.EnvFromOS(envOf(required, map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": v}))
		if c := e.Config(); err != nil || c.FitCPUs != 0 {
			t.Errorf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%q: FitCPUs %v, %v; want 0 (the cores the process sees)", v, c.FitCPUs, err)
		}
	}
}

// TestBuild builds the whole service from an environment, as a cold start does, without
// touching the network; an unsupported language fails naming REAM_LANGUAGES.
func TestBuild(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	ctx := context.Background()

	e, err := reamaws.EnvFromOS(envOf(required, map[string]string{
		"REAM_LANGUAGES": "en,fr", "REAM_STUCK_AFTER": "20m", "REAM_KMS_KEY_ID": "alias/ream",
		"REAM_S3_ENDPOINT": "http://127.0.0.1:1", "REAM_EXPIRY_PASS_EVERY": "3h",
	}))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := reamaws.Build(ctx, e, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if c := svc.Config(); c.StuckAfter != 20*time.Minute || c.ExpiryPassEvery != 3*time.Hour || c.Locations.Base != "s3://ream-bucket/" || c.ShardBytes != 1<<20 {
		t.Fatalf("service config = %+v", c)
	}

	e.Languages = []string{"en", "xx"}
	_, err = reamaws.Build(ctx, e, nil)
	if err == nil || !strings.Contains(err.Error(), "REAM_LANGUAGES") || !errors.Is(err, job.ErrInvalid) {
		t.Fatalf("Build with an unknown language: %v", err)
	}
}

func TestAnalyzersRestrictLanguages(t *testing.T) {
	reg, err := reamaws.Analyzers([]string{"en", "de"})
	if err != nil {
		t.Fatal(err)
	}
	lang, ok := reg[job.Language].(interface{ Languages() []string })
	if !ok {
		t.Fatalf("LANGUAGE analyser %T does not list its languages", reg[job.Language])
	}
	if got := lang.Languages(); !reflect.DeepEqual(got, []string{"de", "en"}) {
		t.Fatalf("languages = %v, want [de en]", got)
	}
	if len(reg) < 2 {
		t.Fatalf("restricting languages dropped the other analysers: %v", reg.Names())
	}
}
