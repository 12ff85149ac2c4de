package aws

import (
	"context"
	"fmt"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Endpoints overrides the service endpoints, for emulators (empty: the AWS default for the
// region). S3PathStyle addresses buckets as http://host/bucket/key, as MinIO needs.
type Endpoints struct {
	S3          string
	S3PathStyle bool
	DynamoDB    string
	SQS         string
	SNS         string
}

// Clients are the SDK clients the adapters need, built once (at a Lambda's cold start).
type Clients struct {
	Config   sdkaws.Config
	S3       *s3.Client
	Presign  *s3.PresignClient
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	SNS      *sns.Client
}

// NewClients loads the default AWS configuration (environment, shared config, IAM role) with
// opts applied, and builds every client with the endpoint overrides in ep.
func NewClients(ctx context.Context, ep Endpoints, opts ...func(*config.LoadOptions) error) (*Clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("load AWS config: no region (set AWS_REGION)")
	}
	return ClientsFromConfig(cfg, ep), nil
}

// DynamoDBAttempts is how many times the DynamoDB client tries a request (the SDK's default is 3).
const DynamoDBAttempts = 10

// ClientsFromConfig builds every client from cfg with the endpoint overrides in ep.
func ClientsFromConfig(cfg sdkaws.Config, ep Endpoints) *Clients {
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if ep.S3 != "" {
			o.BaseEndpoint = sdkaws.String(ep.S3)
		}
		o.UsePathStyle = ep.S3PathStyle
		// Ranged and multipart GETs carry no whole-object checksum to validate; do not log
		// that at every Open.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &Clients{
		Config:  cfg,
		S3:      s3c,
		Presign: s3.NewPresignClient(s3c),
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			if ep.DynamoDB != "" {
				o.BaseEndpoint = sdkaws.String(ep.DynamoDB)
			}
			// A job's items share one partition: a burst of shard records is throttled until
			// adaptive capacity splits it. The SDK's 3 attempts then fail a shard that would
			// have been recorded a few seconds later (and it comes back only after the queue's
			// visibility timeout); DynamoDBAttempts ride it out (backoff up to 20 s each).
			o.RetryMaxAttempts = DynamoDBAttempts
		}),
		SQS: sqs.NewFromConfig(cfg, func(o *sqs.Options) {
			if ep.SQS != "" {
				o.BaseEndpoint = sdkaws.String(ep.SQS)
			}
		}),
		SNS: sns.NewFromConfig(cfg, func(o *sns.Options) {
			if ep.SNS != "" {
				o.BaseEndpoint = sdkaws.String(ep.SNS)
			}
		}),
	}
}
