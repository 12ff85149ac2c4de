package reamcdk

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// StackProps configures NewStack.
type StackProps struct {
	awscdk.StackProps
	// Stage names the deployment (dev, prod, …); it is tagged on every
	// resource. Physical names are generated, so stages never collide. It
	// also sets the default Pipeline.JobTopicPrefix (StageJobTopicPrefix), so
	// that no stage's functions may publish to another stage's job topics.
	Stage string
	// Tags are tagged on every taggable resource and on the stack, beside ream:app and
	// ream:stage (e.g. a landing zone's cost-allocation tags: CostCenter=1234). Keys are
	// 1..128 characters, not starting with aws:; values 256 at most.
	Tags     map[string]string
	Pipeline PipelineProps
}

// Stack is the deployable unit: the pipeline plus its stack outputs.
type Stack struct {
	awscdk.Stack
	Pipeline Pipeline
}

// Output ids, as `cdk deploy --outputs-file` writes them.
const (
	OutputAPIURL        = "ApiUrl"
	OutputBucketName    = "BucketName"
	OutputTopicArn      = "TopicArn"
	OutputAlarmTopicArn = "AlarmTopicArn"
	OutputTableName     = "TableName"
	OutputKeyArn        = "KeyArn"
	// OutputFunctionRoleArns lists the functions' role ARNs, comma-separated: the principals
	// a job's own notification topic (and its KMS key) must let publish.
	OutputFunctionRoleArns = "FunctionRoleArns"

	// The coding routes' OAuth2 (client credentials): token endpoint, user
	// pool, app client id (CodingClientOutputID names the others') and the
	// scope to ask for. Client secrets are never outputs: the operator reads
	// one with `aws cognito-idp describe-user-pool-client`.
	OutputCodingTokenURL   = "CodingTokenUrl"
	OutputCodingUserPoolID = "CodingUserPoolId"
	OutputCodingClientID   = "CodingClientId"
	OutputCodingScope      = "CodingScope"
)

// NewStack builds the Ream stack. infra/app is a thin main around it.
func NewStack(scope constructs.Construct, id string, props *StackProps) *Stack {
	if props == nil {
		props = &StackProps{}
	}
	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("Ream: asynchronous batch document analysis (stage " + props.Stage + ")")
	}
	if err := checkTags(props.Tags); err != nil {
		panic(err)
	}
	if len(props.Tags) > 0 {
		// The stack's own tags (with the explicitStackTags flag of cdk.json, Tags.of(stack) tags
		// only its resources).
		tags := map[string]*string{}
		if sp.Tags != nil {
			for k, v := range *sp.Tags {
				tags[k] = v
			}
		}
		for k, v := range props.Tags {
			tags[k] = jsii.String(v)
		}
		sp.Tags = &tags
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &sp)
	if props.Stage != "" {
		awscdk.Tags_Of(stack).Add(jsii.String(tagStage), jsii.String(props.Stage), nil)
	}
	awscdk.Tags_Of(stack).Add(jsii.String(tagApp), jsii.String("ream"), nil)
	tagAll(stack, props.Tags)

	pp := props.Pipeline
	if pp.JobTopicPrefix == "" && props.Stage != "" {
		pp.JobTopicPrefix = StageJobTopicPrefix(props.Stage)
	}
	p := NewPipeline(stack, jsii.String("Ream"), &pp)
	out := func(id, desc string, v *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
	}
	out(OutputAPIURL, "HTTP API endpoint (SigV4, service execute-api)", p.API().ApiEndpoint())
	out(OutputBucketName, "Bucket for inputs/, outputs/ and work/", p.Bucket().BucketName())
	out(OutputTopicArn, "SNS topic with one notification per finished job", p.Topic().TopicArn())
	out(OutputAlarmTopicArn, "SNS topic for the CloudWatch alarms", p.AlarmTopic().TopicArn())
	out(OutputTableName, "DynamoDB table of jobs and shards", p.Table().TableName())
	out(OutputKeyArn, "KMS key of the bucket and topics (SSE-KMS uploads, subscriber queues)", p.Key().KeyArn())
	roles := make([]*string, len(FunctionNames))
	for i, n := range FunctionNames {
		roles[i] = p.Function(n).Role().RoleArn()
	}
	out(OutputFunctionRoleArns, "The functions' IAM roles, comma-separated: a job topic's policy and KMS key must let them publish", awscdk.Fn_Join(jsii.String(","), &roles))
	c := p.CodingAuth()
	out(OutputCodingTokenURL, "OAuth2 token endpoint of the coding routes (grant_type=client_credentials)", c.TokenURL())
	out(OutputCodingUserPoolID, "Cognito user pool of the coding API's app clients", c.UserPool.UserPoolId())
	for i, cl := range c.Clients {
		out(CodingClientOutputID(i, cl.Name), "App client "+cl.Name+" of the coding API (its secret: aws cognito-idp describe-user-pool-client)",
			cl.Client.UserPoolClientId())
	}
	out(OutputCodingScope, "OAuth2 scope the coding routes require", jsii.String(CodingScope))
	return &Stack{Stack: stack, Pipeline: p}
}

// StageJobTopicPrefix is a stage's default JobTopicPrefix (NewStack's, when the pipeline's is
// not given): DefaultJobTopicPrefix, the stage and '_', a character stage names never hold, so
// that no stage's prefix starts another's (ream-prod_ does not cover ream-prod-eu_…) and no
// stage's functions may publish to the topics another stage's jobs name.
func StageJobTopicPrefix(stage string) string { return DefaultJobTopicPrefix + stage + "_" }

// The stack's own tags, on every taggable resource: ream:app, and ream:stage when the stack has a
// stage. A user's Tags may not give them again (checkTags).
const (
	tagApp   = "ream:app"
	tagStage = "ream:stage"
)

var stackTagKeys = []string{tagApp, tagStage}
