package reamcdk

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ream-dev/ream/internal/loglevel"
	"github.com/ream-dev/ream/shared/api"
)

// Pipeline is Ream's whole AWS data plane as one construct: the bucket, the
// table, the shard queue and the ingest queue with their dead-letter queues,
// the completion topic, the five functions and their triggers, the HTTP API
// and the alarms.
type Pipeline interface {
	constructs.Construct
	// Key encrypts the bucket and both topics (REAM_KMS_KEY_ID).
	Key() awskms.Key
	Bucket() awss3.Bucket
	// AccessLogBucket receives the bucket's server access logs.
	AccessLogBucket() awss3.Bucket
	Table() awsdynamodb.Table
	ShardQueue() awssqs.Queue
	DeadLetterQueue() awssqs.Queue
	// IngestQueue holds the bucket's Object Created events under inputs/ until ingest has
	// handled them; IngestDeadLetterQueue those it failed IngestMaxReceiveCount times.
	IngestQueue() awssqs.Queue
	IngestDeadLetterQueue() awssqs.Queue
	// Topic receives one notification per terminal job.
	Topic() awssns.Topic
	// AlarmTopic receives the CloudWatch alarms' state changes.
	AlarmTopic() awssns.Topic
	API() awsapigatewayv2.HttpApi
	// Function returns one of FnAPI, FnIngest, FnWorker, FnDeadLetter, FnSweeper.
	Function(name string) awslambda.Function
	Alarms() []awscloudwatch.Alarm
	// CodingAuth is the user pool, app clients and JWT authoriser of the
	// coding routes (CodingRoutes).
	CodingAuth() *CodingAuth
}

type pipeline struct {
	constructs.Construct
	key       awskms.Key
	outputKey awskms.IKey // PipelineProps.OutputKmsKey, or nil
	// comprehendRoute is POST / (see ComprehendRoute).
	comprehendRoute awsapigatewayv2.HttpRoute
	bucket          awss3.Bucket
	logBucket       awss3.Bucket
	table           awsdynamodb.Table
	queue           awssqs.Queue
	dlq             awssqs.Queue
	ingestQueue     awssqs.Queue
	ingestDLQ       awssqs.Queue
	topic           awssns.Topic
	alarmTopic      awssns.Topic
	api             awsapigatewayv2.HttpApi
	fns             map[string]awslambda.Function
	logs            map[string]awslogs.LogGroup
	roles           map[string]awsiam.Role
	alarms          []awscloudwatch.Alarm
	coding          *CodingAuth
	jobTopicPrefix  string // PipelineProps.JobTopicPrefix
}

func (p *pipeline) Key() awskms.Key                      { return p.key }
func (p *pipeline) Bucket() awss3.Bucket                 { return p.bucket }
func (p *pipeline) AccessLogBucket() awss3.Bucket        { return p.logBucket }
func (p *pipeline) Table() awsdynamodb.Table             { return p.table }
func (p *pipeline) ShardQueue() awssqs.Queue             { return p.queue }
func (p *pipeline) DeadLetterQueue() awssqs.Queue        { return p.dlq }
func (p *pipeline) IngestQueue() awssqs.Queue            { return p.ingestQueue }
func (p *pipeline) IngestDeadLetterQueue() awssqs.Queue  { return p.ingestDLQ }
func (p *pipeline) Topic() awssns.Topic                  { return p.topic }
func (p *pipeline) AlarmTopic() awssns.Topic             { return p.alarmTopic }
func (p *pipeline) API() awsapigatewayv2.HttpApi         { return p.api }
func (p *pipeline) Alarms() []awscloudwatch.Alarm        { return p.alarms }
func (p *pipeline) Function(n string) awslambda.Function { return p.fns[n] }
func (p *pipeline) CodingAuth() *CodingAuth              { return p.coding }

// NewPipeline builds the pipeline under scope. It panics, as CDK constructs
// do, when props are invalid or a function's bootstrap is missing.
//
// No resource gets a fixed physical name, so any number of stages (stacks)
// deploy side by side in one account and region.
func NewPipeline(scope constructs.Construct, id *string, props *PipelineProps) Pipeline {
	r, err := resolve(props)
	if err != nil {
		panic(err)
	}
	p := &pipeline{
		Construct:      constructs.NewConstruct(scope, id),
		fns:            map[string]awslambda.Function{},
		logs:           map[string]awslogs.LogGroup{},
		roles:          map[string]awsiam.Role{},
		jobTopicPrefix: r.JobTopicPrefix,
	}
	p.storage(r)
	p.messaging(r)
	p.functions(r)
	p.triggers(r)
	p.httpAPI(r)
	p.outputKey = r.OutputKmsKey
	p.grants()
	p.alarmsOn(r)
	p.suppressions()
	rolesFollow(r, p.Construct)
	return p
}

func (p *pipeline) storage(r *resolved) {
	p.key = awskms.NewKey(p.Construct, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Ream: objects, completion and alarm topics"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     r.RemovalPolicy,
	})
	// CloudWatch publishes alarm notifications to the KMS-encrypted alarm
	// topic, so the key must let the service use it (exact actions only).
	p.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToUseTheKey"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"), // in a key policy "*" means this key
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
		},
	}), jsii.Bool(false))

	// Server access logs: S3 delivers them only to SSE-S3 buckets.
	p.logBucket = awss3.NewBucket(p.Construct, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		// ObjectOwnership left to CDK: with the serverAccessLogsUseBucketPolicy
		// feature flag (cdk.json) log delivery is granted by bucket policy;
		// without it CDK falls back to the log-delivery ACL, which needs
		// ObjectWriter. Either way the construct synthesizes in any app.
		RemovalPolicy: r.RemovalPolicy,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-access-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(float64(r.AccessLogRetentionDays))),
		}, noncurrentVersionsRule()},
	})

	origins := make([]*string, len(r.CorsAllowedOrigins))
	for i, o := range r.CorsAllowedOrigins {
		origins[i] = jsii.String(o)
	}
	var bucketMethods []awss3.HttpMethods
	for _, m := range api.ObjectsCORS.Methods {
		bucketMethods = append(bucketMethods, awss3.HttpMethods(m))
	}
	days := func(n int) awscdk.Duration { return awscdk.Duration_Days(jsii.Number(float64(n))) }
	p.bucket = awss3.NewBucket(p.Construct, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     p.key,
		// An S3 Bucket Key cuts KMS requests (and their cost) by orders of
		// magnitude for many small objects.
		BucketKeyEnabled:       jsii.Bool(true),
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:          r.RemovalPolicy,
		ServerAccessLogsBucket: p.logBucket,
		ServerAccessLogsPrefix: jsii.String("ream/"),
		// The presigned URLs' CORS rule, the one the local store applies too (api.ObjectsCORS).
		Cors: &[]*awss3.CorsRule{{
			AllowedMethods: &bucketMethods,
			AllowedOrigins: &origins,
			AllowedHeaders: jsii.Strings(api.ObjectsCORS.AllowHeaders...),
			ExposedHeaders: jsii.Strings(api.ObjectsCORS.ExposeHeaders...),
			MaxAge:         jsii.Number(api.ObjectsCORS.MaxAge.Seconds()),
		}},
		LifecycleRules: &[]*awss3.LifecycleRule{
			{Id: jsii.String("expire-outputs"), Prefix: jsii.String(OutputsPrefix), Expiration: days(r.RetentionDays)},
			{Id: jsii.String("expire-work"), Prefix: jsii.String(WorkPrefix), Expiration: days(r.RetentionDays)},
			{Id: jsii.String("expire-inputs"), Prefix: jsii.String(InputsPrefix), Expiration: days(r.InputRetentionDays)},
			{Id: jsii.String("abort-incomplete-multipart-uploads"), AbortIncompleteMultipartUploadAfter: days(1)},
			noncurrentVersionsRule(),
		},
	})
	// A kept bucket keeps its policy (the data bucket's TLS-only denials, the access-log bucket's
	// log-delivery grant): CDK leaves bucket policies deleted with the stack, so a torn-down
	// stage's retained bucket took plain-HTTP requests. Both exist by now (EnforceSSL; the access
	// logs' grant is added when the data bucket names its log bucket).
	for _, b := range []awss3.Bucket{p.bucket, p.logBucket} {
		b.Policy().ApplyRemovalPolicy(r.RemovalPolicy)
	}

	p.table = awsdynamodb.NewTable(p.Construct, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(TablePartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(TableSortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// Encrypted at rest with DynamoDB's AWS owned key: no charge and no key grants to keep in
		// step with the table's principals. (The AWS managed key, aws/dynamodb, which this was
		// before, bills the KMS requests DynamoDB makes with it: found by the FinOps review.)
		// Keep it explicit: DEFAULT writes SSEEnabled false, which moves a deployed table off the
		// managed key in place; leaving Encryption out drops the property, and CloudFormation
		// fails that update (TestTable).
		Encryption:          awsdynamodb.TableEncryption_DEFAULT,
		TimeToLiveAttribute: jsii.String(TableTTLAttribute),
		RemovalPolicy:       r.RemovalPolicy,
		// A kept table also refuses DeleteTable from outside the stack.
		DeletionProtection: jsii.Bool(r.RemovalPolicy != awscdk.RemovalPolicy_DESTROY),
	})
	for _, ix := range []string{IndexByTenant, IndexByStatus} {
		p.table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(ix + "PK"), Type: awsdynamodb.AttributeType_STRING},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(ix + "SK"), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
}

func (p *pipeline) messaging(r *resolved) {
	p.queue, p.dlq = p.queueWithDeadLetters("ShardQueue", "DeadLetterQueue", r.visibilityTimeout, r.dlqVisibility, r.MaxReceiveCount)
	// The bucket's Object Created events wait here for ingest: an event ingest fails on comes
	// back after the visibility timeout, and after IngestMaxReceiveCount receives waits in the
	// ingest dead-letter queue (an alarm fires) to be redriven. Invoked by EventBridge
	// directly, ingest's errors were retried twice by Lambda and then dropped: a dropped file
	// lost that way would never have been analysed.
	p.ingestQueue, p.ingestDLQ = p.queueWithDeadLetters("IngestQueue", "IngestDeadLetterQueue", r.ingestVisibility, 0, IngestMaxReceiveCount)
	p.topic = awssns.NewTopic(p.Construct, jsii.String("CompletionTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Ream job completions"),
		MasterKey:   p.key,
		EnforceSSL:  jsii.Bool(true),
	})
	p.alarmTopic = awssns.NewTopic(p.Construct, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Ream alarms"),
		MasterKey:   p.key,
		EnforceSSL:  jsii.Bool(true),
	})
	// The topic policy (EnforceSSL's) replaces SNS's default policy, and CloudWatch is a service
	// principal that no identity policy covers: without this statement no alarm could publish.
	// Only this account's alarms may.
	p.alarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{p.alarmTopic.TopicArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike": map[string]interface{}{"aws:SourceArn": jsii.String("arn:" + *awscdk.Aws_PARTITION() + ":cloudwatch:" +
				*awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":alarm:*")},
		},
	}))
}

// queueWithDeadLetters makes a queue (id) whose messages move to its dead-letter queue (dlqID)
// after maxReceive receives. SSE-SQS: encrypted at rest at no charge and with no KMS permissions
// for the event sources or the senders; messages hold only ids, keys and byte ranges, never
// document text. The queue keeps messages 4 days, the dead-letter queue 14; dlqVisibility 0
// leaves the dead-letter queue SQS's default (no consumer reads it).
func (p *pipeline) queueWithDeadLetters(id, dlqID string, visibility, dlqVisibility time.Duration, maxReceive int) (awssqs.Queue, awssqs.Queue) {
	dlqProps := &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	}
	if dlqVisibility > 0 {
		dlqProps.VisibilityTimeout = cdkDuration(dlqVisibility)
	}
	dlq := awssqs.NewQueue(p.Construct, jsii.String(dlqID), dlqProps)
	q := awssqs.NewQueue(p.Construct, jsii.String(id), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		VisibilityTimeout: cdkDuration(visibility),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(float64(maxReceive))},
	})
	return q, dlq
}

func (p *pipeline) functions(r *resolved) {
	env := map[string]*string{
		"REAM_BUCKET":               p.bucket.BucketName(),
		"REAM_TABLE":                p.table.TableName(),
		"REAM_SHARD_QUEUE_URL":      p.queue.QueueUrl(),
		"REAM_TOPIC_ARN":            p.topic.TopicArn(),
		"REAM_KMS_KEY_ID":           p.key.KeyArn(),
		"REAM_SHARD_BYTES":          jsii.String(strconv.FormatInt(r.ShardBytes, 10)),
		"REAM_UPLOAD_TTL":           jsii.String(goDuration(r.UploadTTL)),
		"REAM_RETENTION":            jsii.String(goDuration(hoursOfDays(r.RetentionDays))),
		"REAM_STUCK_AFTER":          jsii.String(goDuration(r.StuckAfter)),
		"REAM_EXPIRY_PASS_EVERY":    jsii.String(goDuration(r.ExpiryPassEvery)),
		loglevel.EnvVar:             jsii.String(r.LogLevel),
		"REAM_JOB_TOPIC_PREFIX":     jsii.String(r.JobTopicPrefix),
		"REAM_JOB_TOPIC_PER_TENANT": jsii.String(strconv.FormatBool(r.JobTopicPerTenant)),
	}
	if len(r.Languages) > 0 {
		env["REAM_LANGUAGES"] = jsii.String(strings.Join(r.Languages, ","))
	}
	descriptions := map[string]string{
		FnAPI:        "Ream HTTP API (API Gateway HTTP API, payload v2, IAM auth; JWT on the coding routes)",
		FnIngest:     "Ream ingest: S3 Object Created under inputs/ (EventBridge) to shard messages, or to a drop rule's job",
		FnWorker:     "Ream worker: analyses shards from the shard queue",
		FnDeadLetter: "Ream dead letters: records dead-lettered shards as failed documents",
		FnSweeper:    "Ream sweeper: deadlines, stuck shards, expiry",
	}
	for _, name := range FunctionNames {
		s := r.fns[name]
		logs := awslogs.NewLogGroup(p.Construct, jsii.String(title(name)+"Logs"), &awslogs.LogGroupProps{
			Retention:     r.LogRetention,
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		// An explicit role without the AWSLambdaBasicExecutionRole managed
		// policy: it may write to its own log group and nothing else until
		// grants() adds exactly what the function's code needs.
		role := awsiam.NewRole(p.Construct, jsii.String(title(name)+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("Ream " + name + " function"),
		})
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{logs.LogGroupArn()},
		}))
		fn := awslambda.NewFunction(p.Construct, jsii.String(title(name)+"Function"), &awslambda.FunctionProps{
			Description:  jsii.String(descriptions[name]),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(r.CodeDir, name)), nil),
			MemorySize:   jsii.Number(float64(s.MemoryMB)),
			Timeout:      cdkDuration(s.Timeout),
			Environment:  &env,
			LogGroup:     logs,
			Role:         role,
		})
		inVPC(r, fn, role)
		p.fns[name] = fn
		p.logs[name] = logs
		p.roles[name] = role
	}
}

// IngestMaxEventAge and IngestRetryAttempts bound how long EventBridge keeps retrying to deliver
// an Object Created event to the ingest queue (EventBridge's own maxima); an event it cannot
// deliver goes to the ingest dead-letter queue. IngestMaxReceiveCount is how many times ingest
// gets an event (6 × its timeout apart) before the event is dead-lettered; IngestBatchSize and
// PipelineProps.IngestMaxConcurrency bound ingest's batches and concurrent invocations (a burst
// of dropped files waits in the queue instead of taking the account's concurrency).
const (
	IngestMaxEventAge     = 24 * time.Hour
	IngestRetryAttempts   = 185
	IngestMaxReceiveCount = 10
	IngestBatchSize       = 10
)

func (p *pipeline) triggers(r *resolved) {
	// S3 → EventBridge → the ingest queue → ingest for every object created under inputs/
	// (uploads and drop rules' folders). The bucket sends its events to EventBridge through
	// CloudFormation's own NotificationConfiguration (set on the L1 bucket: the L2
	// eventBridgeEnabled and addEventNotification both deploy CDK's BucketNotificationsHandler
	// custom resource, a Lambda function of CDK's whose runtime this stack does not control),
	// and a rule matches the bucket's Object Created events by key prefix and sends them to the
	// ingest queue. ingest takes the queue's batches of EventBridge events and reports the
	// events it failed on (handlers.Ingest.HandleJSON).
	cfnBucket := p.bucket.Node().DefaultChild().(awss3.CfnBucket)
	cfnBucket.AddPropertyOverride(jsii.String("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled"), true)
	awsevents.NewRule(p.Construct, jsii.String("InputCreated"), &awsevents.RuleProps{
		Description: jsii.String("Ream ingest: S3 Object Created under " + InputsPrefix + " (job uploads and drop rules' folders)"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.s3"),
			DetailType: jsii.Strings("Object Created"),
			Detail: &map[string]interface{}{
				"bucket": map[string]interface{}{"name": []*string{p.bucket.BucketName()}},
				"object": map[string]interface{}{"key": []interface{}{map[string]interface{}{"prefix": InputsPrefix}}},
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSqsQueue(p.ingestQueue, &awseventstargets.SqsQueueProps{
			MaxEventAge:     cdkDuration(IngestMaxEventAge),
			RetryAttempts:   jsii.Number(IngestRetryAttempts),
			DeadLetterQueue: p.ingestDLQ,
		})},
	})
	p.fns[FnIngest].AddEventSource(awslambdaeventsources.NewSqsEventSource(p.ingestQueue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(IngestBatchSize),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(float64(r.IngestMaxConcurrency)),
	}))

	p.fns[FnWorker].AddEventSource(awslambdaeventsources.NewSqsEventSource(p.queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(float64(r.WorkerBatchSize)),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(float64(r.WorkerMaxConcurrency)),
	}))
	p.fns[FnDeadLetter].AddEventSource(awslambdaeventsources.NewSqsEventSource(p.dlq, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(10),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(DeadLetterMaxConcurrency),
	}))

	awsevents.NewRule(p.Construct, jsii.String("SweepSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Ream sweeper schedule"),
		Schedule:    awsevents.Schedule_Rate(cdkDuration(r.SweepRate)),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(p.fns[FnSweeper], &awseventstargets.LambdaFunctionProps{
			RetryAttempts: jsii.Number(2),
		})},
	})
}

// Routes of the HTTP API (besides CodingRoutes, which take OAuth2 access
// tokens). Every one, /v1/health included, requires AWS_IAM:
// an unsigned request is refused by API Gateway before it can invoke (and
// bill) the function, and a health check that a monitor can sign proves
// the whole path including authorization.
var Routes = []struct {
	Method awsapigatewayv2.HttpMethod
	Path   string
}{
	{awsapigatewayv2.HttpMethod_POST, "/v1/jobs"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/jobs"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/jobs/{id}"},
	{awsapigatewayv2.HttpMethod_DELETE, "/v1/jobs/{id}"},
	{awsapigatewayv2.HttpMethod_POST, "/v1/jobs/{id}/stop"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/jobs/{id}/results"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/jobs/{id}/errors"},
	{awsapigatewayv2.HttpMethod_POST, "/v1/jobs/{id}/retry"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/health"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/drop-rules"},
	{awsapigatewayv2.HttpMethod_GET, "/v1/drop-rules/{name}"},
	{awsapigatewayv2.HttpMethod_PUT, "/v1/drop-rules/{name}"},
	{awsapigatewayv2.HttpMethod_DELETE, "/v1/drop-rules/{name}"},
	{awsapigatewayv2.HttpMethod_POST, "/v1/drop-rules/{name}/uploads"},
}

// ComprehendRoute is the Comprehend-compatible API's one route: no authoriser at the gateway,
// the signature is checked by the function.
var ComprehendRoute = struct {
	Method awsapigatewayv2.HttpMethod
	Path   string
}{awsapigatewayv2.HttpMethod_POST, "/"}

// apiCORS is the HTTP API's CorsPreflight: api.APICORS for origins, without credentials.
func apiCORS(origins []string) *awsapigatewayv2.CorsPreflightOptions {
	methods := make([]awsapigatewayv2.CorsHttpMethod, len(api.APICORS.Methods))
	for i, m := range api.APICORS.Methods {
		methods[i] = awsapigatewayv2.CorsHttpMethod(m)
	}
	return &awsapigatewayv2.CorsPreflightOptions{
		AllowOrigins:     jsii.Strings(origins...),
		AllowMethods:     &methods,
		AllowHeaders:     jsii.Strings(api.APICORS.AllowHeaders...),
		ExposeHeaders:    jsii.Strings(api.APICORS.ExposeHeaders...),
		MaxAge:           awscdk.Duration_Seconds(jsii.Number(api.APICORS.MaxAge.Seconds())),
		AllowCredentials: jsii.Bool(false),
	}
}

func (p *pipeline) httpAPI(r *resolved) {
	p.api = awsapigatewayv2.NewHttpApi(p.Construct, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		// Not a fixed name: API names need not be unique, but one per stack
		// keeps stages apart in the console.
		ApiName:           jsii.String(*awscdk.Aws_STACK_NAME() + "-api"),
		Description:       jsii.String("Ream batch analysis API (SigV4, the caller's IAM principal is the tenant; coding routes: OAuth2 client credentials)"),
		DefaultAuthorizer: awsapigatewayv2authorizers.NewHttpIamAuthorizer(),
		// A browser page of an allowed origin may call the API (api.APICORS, the rule the local
		// server applies too): API Gateway answers the preflights itself, before any authoriser,
		// and adds the headers to every answer. Before, the API had no CORS at all, so a web
		// app could upload to the bucket (its CORS rule) but not create the job.
		CorsPreflight: apiCORS(r.CorsAllowedOrigins),
	})
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiIntegration"), p.fns[FnAPI],
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
		})
	for _, rt := range Routes {
		p.api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(rt.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{rt.Method},
			Integration: integration,
			Authorizer:  awsapigatewayv2authorizers.NewHttpIamAuthorizer(),
		})
	}
	p.codingAuth(r, integration)
	// Comprehend's protocol (POST /, X-Amz-Target): unauthenticated at the gateway, whose IAM
	// authoriser only accepts execute-api signatures; the function verifies the SigV4
	// signature (service comprehend) against the access keys Ream issued.
	p.comprehendRoute = (*p.api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String(ComprehendRoute.Path),
		Methods:     &[]awsapigatewayv2.HttpMethod{ComprehendRoute.Method},
		Integration: integration,
		Authorizer:  awsapigatewayv2.NewHttpNoneAuthorizer(),
	}))[0]
	p.fns[FnAPI].AddEnvironment(jsii.String("REAM_ACCOUNT_ID"), awscdk.Aws_ACCOUNT_ID(), nil)

	// Access logs and throttling on the $default stage, through the L1
	// stage (the L2 default stage exposes neither).
	accessLogs := awslogs.NewLogGroup(p.Construct, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     r.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	format := `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller",` +
		`"userArn":"$context.identity.userArn","requestTime":"$context.requestTime","routeKey":"$context.routeKey",` +
		`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
		`"latency":"$context.responseLatency","integrationError":"$context.integrationErrorMessage",` +
		`"authorizerError":"$context.authorizer.error","clientId":"$context.authorizer.claims.client_id"}`
	stage := p.api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(format),
	})
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit:  jsii.Number(r.APIThrottleRate),
		ThrottlingBurstLimit: jsii.Number(float64(r.APIThrottleBurst)),
	})
}

func (p *pipeline) alarmsOn(r *resolved) {
	action := awscloudwatchactions.NewSnsAction(p.alarmTopic)
	add := func(id, desc string, metric awscloudwatch.IMetric, threshold float64) {
		a := awscloudwatch.NewAlarm(p.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(desc),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		p.alarms = append(p.alarms, a)
	}
	five := awscdk.Duration_Minutes(jsii.Number(5))
	add("DeadLetterQueueNotEmpty",
		"Shard messages are waiting in the dead-letter queue: a shard failed "+strconv.Itoa(r.MaxReceiveCount)+
			" times, or the deadletter function cannot record it (see its errors)",
		p.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}), 0)
	add("ShardsDeadLettered",
		"The deadletter function ran: a poison shard was dead-lettered and its documents recorded as SHARD_FAILED "+
			"(the job ends PARTIAL_SUCCESS); see the worker's errors for the cause",
		p.fns[FnDeadLetter].MetricInvocations(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
	add("IngestDeadLetterQueueNotEmpty",
		"Object Created events wait in the ingest dead-letter queue: ingest failed on them "+strconv.Itoa(IngestMaxReceiveCount)+
			" times (see its errors), or EventBridge could not deliver them; their uploads or dropped files have not started a job. "+
			"Fix the cause, then redrive the ingest dead-letter queue to the ingest queue (a DLQ redrive with the ingest queue as a custom destination: "+
			"events EventBridge could not deliver have no source queue)",
		p.ingestDLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}), 0)
	add("JobAge",
		fmt.Sprintf("The oldest shard has waited more than %v in the shard queue: workers are throttled, failing or far behind", r.JobAgeAlarmThreshold),
		p.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}),
		r.JobAgeAlarmThreshold.Seconds())
	for _, name := range FunctionNames {
		add(title(name)+"Errors", "The "+name+" function returned errors (see its log group)",
			p.fns[name].MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
		add(title(name)+"Throttles", "Invocations of the "+name+" function were throttled: the account's Lambda concurrency is used up",
			p.fns[name].MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
	}
	// The worker answers failed shards as batch item failures, not errors, so its Errors alarm
	// does not see them: its log lines do (ShardFailedLogMessage, one per failed delivery).
	failures := p.logMetric("ShardFailuresFilter", FnWorker, ShardFailedLogMessage, "ShardFailures")
	add("ShardFailures", "Shards failed in the worker and will be delivered again ("+strconv.Itoa(r.MaxReceiveCount)+
		" deliveries, then the dead-letter queue): see the worker's log lines \""+ShardFailedLogMessage+"\" for the cause",
		failures.Metric(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
	// ingest, too, answers the events it failed on as batch item failures (its Errors alarm never
	// sees them, and the ingest dead-letter queue only after IngestMaxReceiveCount receives, 6 x
	// its timeout apart: hours later): its log lines do (InputFailedLogMessage).
	ingestFailures := p.logMetric("IngestFailuresFilter", FnIngest, InputFailedLogMessage, "IngestFailures")
	add("IngestFailures", "ingest failed on S3 Object Created events under "+InputsPrefix+"; they will be delivered again ("+
		strconv.Itoa(IngestMaxReceiveCount)+" deliveries, then the ingest dead-letter queue) and their uploads or dropped files "+
		"have not started a job yet: see ingest's log lines \""+InputFailedLogMessage+"\" for the cause",
		ingestFailures.Metric(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
	// The sweeper logs a job it could not sweep and goes on with the others; its run ends
	// without an error, so its Errors alarm never sees a notification that fails to publish on
	// every sweep, or a rescue or expiry that keeps failing.
	sweepFailures := p.logMetric("SweepFailuresFilter", FnSweeper, SweepFailedLogMessage, "SweepFailures")
	add("SweepFailures", "The sweeper could not sweep a job (publish its notification, rescue, time out or expire it); it tries again on its next run: "+
		"see the sweeper's log lines \""+SweepFailedLogMessage+"\" (tenant, job, err) for the cause",
		sweepFailures.Metric(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
	// A job with no progress for StuckAfter has its unrecorded shards enqueued again by the
	// sweeper: the job goes on, but a shard message was lost, which should not happen.
	rescues := p.logMetric("JobsRescuedFilter", FnSweeper, JobRescuedLogMessage, "JobsRescued")
	add("JobsRescued", fmt.Sprintf("A running job made no progress for %v and the sweeper enqueued its unrecorded shards again (a shard or finalize message was lost): "+
		"see the sweeper's log lines \"%s\" (tenant, job) and follow the job", r.StuckAfter, JobRescuedLogMessage),
		rescues.Metric(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
	// A job's own topic (NotificationChannel) that refuses a publish is not retried (the
	// deployment's topic has the notification): the job's owner is told nothing. Any function
	// that ends a job may publish, so every log group is counted.
	var ownTopic []awslogs.MetricFilter
	for _, name := range FunctionNames {
		ownTopic = append(ownTopic, p.logMetric(title(name)+"NotificationFailuresFilter", name, OwnTopicFailedLogMessage, "NotificationFailures"))
	}
	add("NotificationFailures", "A job's own SNS topic (its NotificationChannel) refused its notification, which is not retried there "+
		"(the completion topic has it): see the log lines \""+OwnTopicFailedLogMessage+"\" (tenant, job, topic, err)",
		ownTopic[0].Metric(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
	add("ApiServerErrors", "The HTTP API answered 5xx (see the api function's log group)",
		p.api.MetricServerError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 0)
}

// logMetric counts the log lines of function fn whose msg is msg into metric (value 1 a line) in
// the stack's namespace (one per stack: two stages in one account must not share a metric, and
// so each other's alarm).
func (p *pipeline) logMetric(id, fn, msg, metric string) awslogs.MetricFilter {
	return awslogs.NewMetricFilter(p.Construct, jsii.String(id), &awslogs.MetricFilterProps{
		LogGroup:        p.logs[fn],
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.msg"), jsii.String("="), jsii.String(msg)),
		MetricNamespace: jsii.String(ShardFailuresNamespace(*awscdk.Stack_Of(p.Construct).StackName())),
		MetricName:      jsii.String(metric),
		MetricValue:     jsii.String("1"),
	})
}

// ShardFailuresNamespace is the CloudWatch namespace of a stack's metrics counted from log
// lines (ShardFailures, IngestFailures, SweepFailures, JobsRescued, NotificationFailures).
func ShardFailuresNamespace(stackName string) string { return "Ream/" + stackName }

// ShardFailedLogMessage is the msg of the worker's log line for a failed shard
// (handlers.LogShardFailed), counted by the ShardFailures alarm's metric filter.
const ShardFailedLogMessage = "shard failed"

// SweepFailedLogMessage is the msg of the sweeper's log line for a job it could not sweep
// (pipeline.LogSweepFailed), counted by the SweepFailures alarm's metric filter.
const SweepFailedLogMessage = "sweep failed for job"

// JobRescuedLogMessage is the msg of the sweeper's log line for a stuck job whose shards it
// enqueues again (pipeline.LogJobRescued), counted by the JobsRescued alarm's metric filter.
const JobRescuedLogMessage = "job made no progress; re-enqueueing its unrecorded shards"

// OwnTopicFailedLogMessage is the msg of the log line for a notification a job's own topic
// refused (reamaws.LogOwnTopicFailed), counted by the NotificationFailures alarm's metric filters.
const OwnTopicFailedLogMessage = "publishing to the job's own topic failed"

// InputFailedLogMessage is the msg of ingest's log line for an input event it failed on
// (handlers.LogInputFailed), counted by the IngestFailures alarm's metric filter.
const InputFailedLogMessage = "input event failed"

func title(s string) string {
	if s == FnDeadLetter {
		return "DeadLetter"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// noncurrentVersionsRule deletes what a deletion leaves behind in a bucket whose versioning
// someone turned on (the stack does not: a compliance rule, a backup or a replication may): the
// object's noncurrent version a day after it became noncurrent, and the delete marker once no
// version is left under it. Without it, on such a bucket every object the sweeper, a DELETE of a
// job or the expiry rules deleted stayed as a noncurrent version for ever, erased data included.
// On a bucket without versioning it does nothing.
func noncurrentVersionsRule() *awss3.LifecycleRule {
	return &awss3.LifecycleRule{
		Id:                          jsii.String("expire-noncurrent-versions"),
		NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1)),
		ExpiredObjectDeleteMarker:   jsii.Bool(true),
	}
}
