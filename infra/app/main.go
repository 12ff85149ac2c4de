// Command app is the CDK app: `cdk synth` runs it through cdk.json
// ("go run ./infra/app"). It only wires: the stack is reamcdk.NewStack.
//
// Context (all optional): stage, codeDir (default dist), codingClients (comma-separated
// OAuth2 client names of the coding API, default "coding"), codingClientTenants
// (name=tenant pairs), permissionsBoundary, rolePath, subnetIds, securityGroupIds and tags (a
// landing zone's rules), removalPolicy
// (retain, the default, or destroy), jobTopicPrefix (the names of the SNS topics jobs may
// notify, default ream-<stage>_, reamcdk.StageJobTopicPrefix), jobTopicPerTenant (true: only the tenant's own such topics),
// languages (LANGUAGE's candidates, comma-separated), workerMaxConcurrency (default 10),
// ingestMaxConcurrency (default 20), accountConcurrency (the account's Lambda quota, checked against
// them), workerBatchSize (default 10), retentionDays (default 30; also how long inputs/ is kept) and
// logLevel (the functions' REAM_LOG_LEVEL, default warn). The make targets pass them from STAGE,
// CODING_CLIENTS, CODING_CLIENT_TENANTS, REMOVAL_POLICY, JOB_TOPIC_PREFIX, JOB_TOPIC_PER_TENANT,
// LANGUAGES, WORKER_MAX_CONCURRENCY, INGEST_MAX_CONCURRENCY, ACCOUNT_CONCURRENCY, WORKER_BATCH_SIZE,
// RETENTION_DAYS, LOG_LEVEL, PERMISSIONS_BOUNDARY, ROLE_PATH, SUBNET_IDS, SECURITY_GROUP_IDS and
// TAGS.
//
// The stage comes from the context (`-c stage=prod`) or REAM_STAGE, default
// "dev"; the stack is named Ream-<stage>. Account and region come from the
// CLI's environment (CDK_DEFAULT_ACCOUNT/REGION) when it has credentials;
// without them the stack is environment-agnostic and still synthesizes.
package main

import (
	"cmp"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/ream-dev/ream/infra/reamcdk"
)

var stageName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,31}$`)

// checkStage refuses a stage name stageName does not match, saying its whole rule: a name of
// 33 characters or more was told only "use letters, digits and '-', starting with a letter",
// which it did.
func checkStage(stage string) error {
	if !stageName.MatchString(stage) {
		return fmt.Errorf("stage %q: use a letter, then up to 31 letters, digits and '-' (32 characters at most)", stage)
	}
	return nil
}

func main() {
	if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
		os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20") // jsii prints a Node 20 end-of-life banner on every synth; Node 22+ needs no silencing
	}
	defer jsii.Close()
	defer func() {
		// NewPipeline panics, as constructs throw, on bad props or a missing
		// bootstrap; say why without a goroutine dump.
		if r := recover(); r != nil {
			fmt.Fprintln(os.Stderr, "ream infra:", r)
			jsii.Close()
			os.Exit(1)
		}
	}()
	app := awscdk.NewApp(nil)

	stage := os.Getenv("REAM_STAGE")
	if v := contextString(app, "stage"); v != "" {
		stage = v
	}
	if stage == "" {
		stage = "dev"
	}
	if err := checkStage(stage); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	codeDir := cmp.Or(contextString(app, "codeDir"), "dist")

	// Data is retained on `cdk destroy` unless the stage is throwaway:
	// -c removalPolicy=destroy (S3 still refuses to delete a non-empty bucket).
	removal := awscdk.RemovalPolicy_RETAIN
	switch v := contextString(app, "removalPolicy"); v {
	case "", "retain":
	case "destroy":
		removal = awscdk.RemovalPolicy_DESTROY
	default:
		fmt.Fprintf(os.Stderr, "removalPolicy %q: use retain or destroy\n", v)
		os.Exit(2)
	}

	// -c codingClients=statistics-office,census: one OAuth2 app client each for the coding API
	// (default: one client named "coding").
	codingClients := contextList(app, "codingClients")

	// -c codingClientTenants=statistics-office=123456789012-3f2a9c1b0d4e5f60: the tenant a
	// client acts as (default: its own client id).
	codingTenants, err := tenantPairs(contextList(app, "codingClientTenants"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "codingClientTenants:", err)
		os.Exit(2)
	}

	// -c jobTopicPrefix=ream-: the SNS topics jobs may name (PipelineProps.JobTopicPrefix; NewStack
	// defaults it to the stage's own, ream-<stage>_).
	jobTopicPrefix := contextString(app, "jobTopicPrefix")

	// -c jobTopicPerTenant=true: a job may name only its own tenant's topics
	// (PipelineProps.JobTopicPerTenant).
	var perTenant bool
	switch v := contextString(app, "jobTopicPerTenant"); v {
	case "", "false":
	case "true":
		perTenant = true
	default:
		fmt.Fprintf(os.Stderr, "jobTopicPerTenant %q: use true or false\n", v)
		os.Exit(2)
	}

	// -c languages=en,fr,de: LANGUAGE's candidate languages (PipelineProps.Languages).
	languages := contextList(app, "languages")

	// -c workerMaxConcurrency=1000, -c workerBatchSize=1, -c retentionDays=7 (PipelineProps; 0:
	// the default).
	concurrency, batch, retention := contextInt(app, "workerMaxConcurrency"), contextInt(app, "workerBatchSize"), contextInt(app, "retentionDays")

	// -c accountConcurrency=10 -c workerMaxConcurrency=4 -c ingestMaxConcurrency=2: a new
	// account's Lambda quota, and event sources that leave room in it for the api function
	// (PipelineProps.AccountConcurrency, IngestMaxConcurrency; checked by the construct).
	accountConcurrency, ingestConcurrency := contextInt(app, "accountConcurrency"), contextInt(app, "ingestMaxConcurrency")

	// -c logLevel=info: the functions' REAM_LOG_LEVEL (PipelineProps.LogLevel; checked by the
	// construct).
	logLevel := contextString(app, "logLevel")

	// -c corsAllowedOrigins=https://app.example.com,http://localhost:5173: the web pages that may
	// call the API and the presigned URLs from a browser (PipelineProps.CorsAllowedOrigins;
	// default *; checked by the construct).
	corsOrigins := contextList(app, "corsAllowedOrigins")

	// A landing zone's rules (PipelineProps.PermissionsBoundary, RolePath, SubnetIds,
	// SecurityGroupIds; StackProps.Tags; checked by the construct): -c
	// permissionsBoundary=arn:aws:iam::111122223333:policy/Boundary -c rolePath=/app/ream/ -c
	// subnetIds=subnet-…,subnet-… -c securityGroupIds=sg-… -c tags=CostCenter=1234,Owner=analytics.
	tags, err := keyValues(contextList(app, "tags"), "key=value", "CostCenter=1234")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tags:", err)
		os.Exit(2)
	}

	var env *awscdk.Environment
	if acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); acct != "" && region != "" {
		env = &awscdk.Environment{Account: jsii.String(acct), Region: jsii.String(region)}
	}
	reamcdk.NewStack(app, "Ream-"+stage, &reamcdk.StackProps{
		StackProps: awscdk.StackProps{Env: env},
		Stage:      stage,
		Tags:       tags,
		Pipeline: reamcdk.PipelineProps{PermissionsBoundary: contextString(app, "permissionsBoundary"), RolePath: contextString(app, "rolePath"),
			SubnetIds: contextList(app, "subnetIds"), SecurityGroupIds: contextList(app, "securityGroupIds"), CodeDir: codeDir, RemovalPolicy: removal, CodingClients: codingClients, CodingClientTenants: codingTenants,
			JobTopicPrefix: jobTopicPrefix, JobTopicPerTenant: perTenant, Languages: languages,
			WorkerMaxConcurrency: concurrency, IngestMaxConcurrency: ingestConcurrency, AccountConcurrency: accountConcurrency, WorkerBatchSize: batch, RetentionDays: retention, LogLevel: logLevel,
			CorsAllowedOrigins: corsOrigins},
	})
	reamcdk.CheckAwsSolutions(app)
	app.Synth(nil)
}

// tenantPairs reads codingClientTenants' name=tenant pairs; a pair without both is an error (it
// was dropped, and the client silently acted as its own tenant).
func tenantPairs(pairs []string) (map[string]string, error) {
	return keyValues(pairs, "name=tenant", "statistics-office=123456789012-3f2a9c1b")
}

// keyValues reads key=value pairs (form names them, example is one); a pair without both is an
// error.
func keyValues(pairs []string, form, example string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range pairs {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("%q is not a %s pair (give pairs such as %s, comma-separated)", pair, form, example)
		}
		out[k] = v
	}
	return out, nil
}

// contextString is a context value given as a string (-c key=value), "" when absent.
func contextString(app awscdk.App, key string) string {
	switch v := app.Node().TryGetContext(jsii.String(key)).(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// contextList is a comma-separated context value's items, each trimmed of spaces, empty ones
// left out (nil when absent).
func contextList(app awscdk.App, key string) []string {
	var out []string
	for _, item := range strings.Split(contextString(app, key), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// contextInt is a whole-number context value, 0 when absent; anything else ends the app.
func contextInt(app awscdk.App, key string) int {
	v := contextString(app, key)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "%s %q: want a positive whole number\n", key, v)
		os.Exit(2)
	}
	return n
}
