package reamcdk

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ream-dev/ream/internal/loglevel"
)

type obj = map[string]any
type arr = []any

func like(m obj) assertions.Matcher { return assertions.Match_ObjectLike(&m) }
func arrayWith(a ...any) assertions.Matcher {
	return assertions.Match_ArrayWith(&a)
}

// ours returns the five Ream functions by name, and fails on any other
// function (CDK's bucket-notifications handler included: S3 events reach
// ingest through EventBridge, with no custom resource).
func ours(t *testing.T, f *fixture) map[string]obj {
	t.Helper()
	byID := map[string]string{}
	for _, name := range FunctionNames {
		byID[f.id(f.stack.Pipeline.Function(name))] = name
	}
	out := map[string]obj{}
	for id, res := range f.resources("AWS::Lambda::Function") {
		name, ok := byID[id]
		switch {
		case ok:
			out[name] = res
		default:
			t.Errorf("unexpected function %s", id)
		}
	}
	if len(out) != len(FunctionNames) {
		t.Fatalf("found functions %v, want %v", keys(out), FunctionNames)
	}
	return out
}

func TestFunctionsAreArm64ProvidedAL2023(t *testing.T) {
	f := synth(t)
	for name, res := range ours(t, f) {
		p := props(res)
		if p["Runtime"] != "provided.al2023" {
			t.Errorf("%s: Runtime %v, want provided.al2023", name, p["Runtime"])
		}
		if !reflect.DeepEqual(p["Architectures"], arr{"arm64"}) {
			t.Errorf("%s: Architectures %v, want [arm64]", name, p["Architectures"])
		}
		if p["Handler"] != "bootstrap" {
			t.Errorf("%s: Handler %v, want bootstrap", name, p["Handler"])
		}
		if _, named := p["FunctionName"]; named {
			t.Errorf("%s: has a fixed FunctionName", name)
		}
		want := defaultFunctions[name]
		if p["MemorySize"] != float64(want.MemoryMB) || p["Timeout"] != want.Timeout.Seconds() {
			t.Errorf("%s: memory %v timeout %v, want defaults %d MB %v", name, p["MemorySize"], p["Timeout"], want.MemoryMB, want.Timeout)
		}
	}
	// And through the assertions package, for every function of ours at once.
	check(t, "runtime", func() {
		found := f.template.FindResources(jsii.String("AWS::Lambda::Function"), like(obj{
			"Properties": like(obj{"Runtime": "provided.al2023", "Architectures": arr{"arm64"}, "Handler": "bootstrap"}),
		}))
		if n := len(*found); n != len(FunctionNames) {
			t.Errorf("%d functions match provided.al2023/arm64/bootstrap, want %d", n, len(FunctionNames))
		}
	})
}

func TestFunctionEnvironment(t *testing.T) {
	f := synth(t)
	want := []string{"REAM_BUCKET", "REAM_TABLE", "REAM_SHARD_QUEUE_URL", "REAM_TOPIC_ARN", "REAM_KMS_KEY_ID",
		"REAM_SHARD_BYTES", "REAM_UPLOAD_TTL", "REAM_RETENTION", "REAM_STUCK_AFTER", "REAM_EXPIRY_PASS_EVERY", "REAM_LOG_LEVEL", "REAM_JOB_TOPIC_PREFIX",
		"REAM_JOB_TOPIC_PER_TENANT"}
	p := f.stack.Pipeline
	refs := map[string]any{
		"REAM_BUCKET":               ref(f.id(p.Bucket())),
		"REAM_TABLE":                ref(f.id(p.Table())),
		"REAM_SHARD_QUEUE_URL":      ref(f.id(p.ShardQueue())),
		"REAM_TOPIC_ARN":            ref(f.id(p.Topic())),
		"REAM_KMS_KEY_ID":           getAtt(f.id(p.Key()), "Arn"),
		"REAM_SHARD_BYTES":          "1048576",
		"REAM_UPLOAD_TTL":           "1h0m0s",
		"REAM_RETENTION":            "720h0m0s",
		"REAM_EXPIRY_PASS_EVERY":    "1h0m0s",
		"REAM_LOG_LEVEL":            "warn",
		"REAM_JOB_TOPIC_PREFIX":     StageJobTopicPrefix("test"), // the fixture's stage (NewStack)
		"REAM_JOB_TOPIC_PER_TENANT": "false",
	}
	queueVisibility := props(f.resources("AWS::SQS::Queue")[f.id(p.ShardQueue())])["VisibilityTimeout"].(float64)
	for name, res := range ours(t, f) {
		env, _ := props(res)["Environment"].(obj)["Variables"].(obj)
		want := want
		if name == FnAPI {
			// The api function also names the account in Comprehend job ARNs.
			want = append(append([]string{}, want...), "REAM_ACCOUNT_ID")
			if !reflect.DeepEqual(env["REAM_ACCOUNT_ID"], ref("AWS::AccountId")) {
				t.Errorf("api: REAM_ACCOUNT_ID = %v, want the account id", env["REAM_ACCOUNT_ID"])
			}
		}
		if got := keys(env); !reflect.DeepEqual(got, sorted(want)) {
			t.Errorf("%s: environment %v, want %v", name, got, sorted(want))
			continue
		}
		for k, v := range refs {
			if !reflect.DeepEqual(env[k], v) {
				t.Errorf("%s: %s = %v, want %v", name, k, env[k], v)
			}
		}
		for _, k := range []string{"REAM_UPLOAD_TTL", "REAM_RETENTION", "REAM_STUCK_AFTER"} {
			if _, err := time.ParseDuration(env[k].(string)); err != nil {
				t.Errorf("%s: %s=%v is not a Go duration: %v", name, k, env[k], err)
			}
		}
		stuck, _ := time.ParseDuration(env["REAM_STUCK_AFTER"].(string))
		if stuck <= time.Duration(queueVisibility)*time.Second {
			t.Errorf("%s: REAM_STUCK_AFTER %v is not above the shard queue's visibility timeout %vs", name, stuck, queueVisibility)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestEventSourcesReportBatchItemFailures(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline
	mappings := f.resources("AWS::Lambda::EventSourceMapping")
	if len(mappings) != 3 {
		t.Fatalf("%d event source mappings, want 3 (worker, deadletter, ingest)", len(mappings))
	}
	for id, m := range mappings {
		if !reflect.DeepEqual(props(m)["FunctionResponseTypes"], arr{"ReportBatchItemFailures"}) {
			t.Errorf("%s: FunctionResponseTypes %v", id, props(m)["FunctionResponseTypes"])
		}
	}
	check(t, "worker mapping", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), obj{
			"FunctionName":          ref(f.id(p.Function(FnWorker))),
			"EventSourceArn":        getAtt(f.id(p.ShardQueue()), "Arn"),
			"BatchSize":             10,
			"FunctionResponseTypes": arr{"ReportBatchItemFailures"},
			"ScalingConfig":         obj{"MaximumConcurrency": 10},
		})
	})
	check(t, "deadletter mapping", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), obj{
			"FunctionName":          ref(f.id(p.Function(FnDeadLetter))),
			"EventSourceArn":        getAtt(f.id(p.DeadLetterQueue()), "Arn"),
			"FunctionResponseTypes": arr{"ReportBatchItemFailures"},
		})
	})
}

func TestQueues(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline
	worker := defaultFunctions[FnWorker].Timeout
	check(t, "shard queue redrive, visibility and SSE", func() {
		f.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), obj{
			"RedrivePolicy": obj{
				"deadLetterTargetArn": getAtt(f.id(p.DeadLetterQueue()), "Arn"),
				"maxReceiveCount":     5,
			},
			"VisibilityTimeout":      (6 * worker).Seconds(),
			"SqsManagedSseEnabled":   true,
			"MessageRetentionPeriod": (4 * 24 * time.Hour).Seconds(),
		})
	})
	for id, q := range f.resources("AWS::SQS::Queue") {
		qp := props(q)
		if qp["SqsManagedSseEnabled"] != true && qp["KmsMasterKeyId"] == nil {
			t.Errorf("queue %s is not encrypted", id)
		}
		if _, named := qp["QueueName"]; named {
			t.Errorf("queue %s has a fixed name", id)
		}
	}
	dlqVisibility := props(f.resources("AWS::SQS::Queue")[f.id(p.DeadLetterQueue())])["VisibilityTimeout"].(float64)
	if min := 6 * defaultFunctions[FnDeadLetter].Timeout.Seconds(); dlqVisibility < min {
		t.Errorf("dead-letter queue visibility %vs is below 6 x the deadletter timeout (%vs)", dlqVisibility, min)
	}
	// enforceSSL: each queue's policy denies requests without TLS.
	check(t, "queue TLS-only policies", func() {
		f.template.ResourcePropertiesCountIs(jsii.String("AWS::SQS::QueuePolicy"), like(obj{
			"PolicyDocument": like(obj{"Statement": arrayWith(like(obj{
				"Effect":    "Deny",
				"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
			}))}),
		}), jsii.Number(4)) // shard queue, its dead-letter queue, ingest queue, its dead-letter queue
	})
}

func TestTopicsUseKMS(t *testing.T) {
	f := synth(t)
	keyRef := getAtt(f.id(f.stack.Pipeline.Key()), "Arn")
	topics := f.resources("AWS::SNS::Topic")
	if len(topics) != 2 {
		t.Fatalf("%d topics, want completion + alarm", len(topics))
	}
	for id, tp := range topics {
		if !reflect.DeepEqual(props(tp)["KmsMasterKeyId"], keyRef) {
			t.Errorf("topic %s: KmsMasterKeyId %v, want %v", id, props(tp)["KmsMasterKeyId"], keyRef)
		}
	}
	check(t, "topic TLS-only policies", func() {
		f.template.ResourcePropertiesCountIs(jsii.String("AWS::SNS::TopicPolicy"), like(obj{
			"PolicyDocument": like(obj{"Statement": arrayWith(like(obj{
				"Effect":    "Deny",
				"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
			}))}),
		}), jsii.Number(2))
	})
}

func TestBucket(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline
	key := getAtt(f.id(p.Key()), "Arn")
	check(t, "bucket encryption, BPA, lifecycle, CORS, logging", func() {
		f.template.HasResourceProperties(jsii.String("AWS::S3::Bucket"), obj{
			"BucketEncryption": obj{"ServerSideEncryptionConfiguration": arr{obj{
				"BucketKeyEnabled":              true,
				"ServerSideEncryptionByDefault": obj{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
			}}},
			"PublicAccessBlockConfiguration": obj{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"LifecycleConfiguration": obj{"Rules": assertions.Match_ArrayEquals(&[]any{
				like(obj{"Prefix": "outputs/", "ExpirationInDays": 30, "Status": "Enabled"}),
				like(obj{"Prefix": "work/", "ExpirationInDays": 30, "Status": "Enabled"}),
				like(obj{"Prefix": "inputs/", "ExpirationInDays": 30, "Status": "Enabled"}),
				like(obj{"AbortIncompleteMultipartUpload": obj{"DaysAfterInitiation": 1}, "Status": "Enabled"}),
				like(obj{"Id": "expire-noncurrent-versions", "NoncurrentVersionExpiration": obj{"NoncurrentDays": 1}, "ExpiredObjectDeleteMarker": true, "Status": "Enabled"}),
			})},
			"CorsConfiguration": obj{"CorsRules": arr{like(obj{
				"AllowedMethods": arr{"PUT", "GET", "HEAD"},
				"AllowedOrigins": arr{"*"},
			})}},
			"LoggingConfiguration": obj{
				"DestinationBucketName": ref(f.id(p.AccessLogBucket())),
				"LogFilePrefix":         "ream/",
			},
		})
	})
	check(t, "key rotation", func() {
		f.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), obj{"EnableKeyRotation": true})
	})
	for id, b := range f.resources("AWS::S3::Bucket") {
		if _, named := props(b)["BucketName"]; named {
			t.Errorf("bucket %s has a fixed name", id)
		}
		if b["DeletionPolicy"] != "Retain" {
			t.Errorf("bucket %s: DeletionPolicy %v, want Retain by default", id, b["DeletionPolicy"])
		}
	}
}

func TestBucketPoliciesDenyInsecureTransport(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline
	for _, b := range []string{f.id(p.Bucket()), f.id(p.AccessLogBucket())} {
		check(t, "TLS-only policy on "+b, func() {
			f.template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), obj{
				"Bucket": ref(b),
				"PolicyDocument": like(obj{"Statement": arrayWith(like(obj{
					"Effect":    "Deny",
					"Principal": obj{"AWS": "*"},
					"Action":    "s3:*",
					"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
				}))}),
			})
		})
	}
}

func TestTable(t *testing.T) {
	f := synth(t)
	index := func(name string) assertions.Matcher {
		return like(obj{
			"IndexName": name,
			"KeySchema": arr{
				obj{"AttributeName": name + "PK", "KeyType": "HASH"},
				obj{"AttributeName": name + "SK", "KeyType": "RANGE"},
			},
			"Projection": obj{"ProjectionType": "ALL"},
		})
	}
	check(t, "table", func() {
		f.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), obj{
			"KeySchema": arr{
				obj{"AttributeName": "PK", "KeyType": "HASH"},
				obj{"AttributeName": "SK", "KeyType": "RANGE"},
			},
			"BillingMode":                      "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": obj{"PointInTimeRecoveryEnabled": true},
			"TimeToLiveSpecification":          obj{"AttributeName": "ttl", "Enabled": true},
			"GlobalSecondaryIndexes":           assertions.Match_ArrayEquals(&[]any{index("GSI1"), index("GSI2")}),
		})
	})
	for id, tb := range f.resources("AWS::DynamoDB::Table") {
		if _, named := props(tb)["TableName"]; named {
			t.Errorf("table %s has a fixed name", id)
		}
		// Encrypted at rest with DynamoDB's AWS owned key, which costs nothing: the AWS managed
		// key (aws/dynamodb, SSEEnabled true) bills the KMS requests DynamoDB makes with it. Said
		// explicitly, SSEEnabled false (TableEncryption_DEFAULT), not by leaving the property out:
		// stacks deployed before have SSEEnabled true, and CloudFormation moves such a table to
		// the AWS owned key in place on an explicit false but fails the update that removes the
		// property (aws/aws-cdk#8286, the reason CDK writes the false for an explicit DEFAULT).
		if sse, ok := props(tb)["SSESpecification"].(map[string]any); !ok || len(sse) != 1 || sse["SSEEnabled"] != false {
			t.Errorf("table %s: SSESpecification %v, want {SSEEnabled: false} (the AWS owned key, no KMS charge, said explicitly so that a deployed table with the managed key is updated in place)", id, props(tb)["SSESpecification"])
		}
	}
}

// TestStoresKeptUnlessDestroy: by default the table and the coding user pool (whose client ids
// are tenants) are retained with the stack and protected against deletion from outside it;
// REMOVAL_POLICY=destroy deletes both and protects neither.
func TestStoresKeptUnlessDestroy(t *testing.T) {
	for _, c := range []struct {
		name    string
		policy  awscdk.RemovalPolicy
		keep    string
		protect bool
	}{
		{"kept", "", "Retain", true},
		{"throwaway", awscdk.RemovalPolicy_DESTROY, "Delete", false},
	} {
		f := synthWith(t, c.name, func(awscdk.App) PipelineProps { return PipelineProps{RemovalPolicy: c.policy} })
		for _, kind := range []struct {
			typ, flag string
			on, off   any // the flag's value when protected, and when not (nil: absent)
		}{
			{"AWS::DynamoDB::Table", "DeletionProtectionEnabled", true, false},
			{"AWS::Cognito::UserPool", "DeletionProtection", "ACTIVE", "INACTIVE"},
		} {
			rs := f.resources(kind.typ)
			if len(rs) != 1 {
				t.Fatalf("%s: %d %s, want 1", c.name, len(rs), kind.typ)
			}
			for id, r := range rs {
				if r["DeletionPolicy"] != c.keep || r["UpdateReplacePolicy"] != c.keep {
					t.Errorf("%s: %s DeletionPolicy %v, UpdateReplacePolicy %v, want %s", c.name, id, r["DeletionPolicy"], r["UpdateReplacePolicy"], c.keep)
				}
				got, want := props(r)[kind.flag], kind.on
				if !c.protect {
					want = kind.off
				}
				if got != want && !(got == nil && !c.protect) {
					t.Errorf("%s: %s %s = %v, want %v", c.name, id, kind.flag, got, want)
				}
			}
		}
		// A kept bucket keeps its policy: the data bucket's TLS-only (and TLS 1.2) denials and
		// the access-log bucket's log-delivery grant. CloudFormation deleted the policies with
		// the stack, so a torn-down stage's bucket, full of data, took plain-HTTP requests.
		buckets, policies := f.resources("AWS::S3::Bucket"), f.resources("AWS::S3::BucketPolicy")
		if len(buckets) != 2 || len(policies) != 2 {
			t.Fatalf("%s: %d buckets and %d bucket policies, want 2 and 2", c.name, len(buckets), len(policies))
		}
		for id, r := range buckets {
			if r["DeletionPolicy"] != c.keep || r["UpdateReplacePolicy"] != c.keep {
				t.Errorf("%s: bucket %s DeletionPolicy %v, UpdateReplacePolicy %v, want %s", c.name, id, r["DeletionPolicy"], r["UpdateReplacePolicy"], c.keep)
			}
		}
		for id, r := range policies {
			bucket, _ := props(r)["Bucket"].(obj)
			if _, ok := buckets[fmt.Sprint(bucket["Ref"])]; !ok {
				t.Errorf("%s: bucket policy %s is on %v, not one of the stack's buckets", c.name, id, bucket)
			}
			if got := r["DeletionPolicy"]; got != c.keep && !(got == nil && c.keep == "Delete") {
				t.Errorf("%s: bucket policy %s DeletionPolicy %v, want %s, as its bucket's", c.name, id, got, c.keep)
			}
		}
	}
}

// statements yields every statement of every identity policy in the
// template: AWS::IAM::Policy documents and inline policies of roles.
func (f *fixture) statements() map[string][]obj {
	out := map[string][]obj{}
	collect := func(where string, doc any) {
		d, _ := doc.(obj)
		switch st := d["Statement"].(type) {
		case []any:
			for _, s := range st {
				out[where] = append(out[where], s.(obj))
			}
		case obj:
			out[where] = append(out[where], st)
		}
	}
	for id, r := range f.resources("AWS::IAM::Policy") {
		collect(id, props(r)["PolicyDocument"])
	}
	for id, r := range f.resources("AWS::IAM::ManagedPolicy") {
		collect(id, props(r)["PolicyDocument"])
	}
	for id, r := range f.resources("AWS::IAM::Role") {
		if ps, ok := props(r)["Policies"].([]any); ok {
			for i, p := range ps {
				collect(fmt.Sprintf("%s.Policies[%d]", id, i), p.(obj)["PolicyDocument"])
			}
		}
	}
	return out
}

func TestNoWildcardActionsInIAMStatements(t *testing.T) {
	f := synth(t)
	stmts := f.statements()
	if len(stmts) < len(FunctionNames) {
		t.Fatalf("found %d policies, expected at least one per function", len(stmts))
	}
	n := 0
	for where, ss := range stmts {
		for _, s := range ss {
			if _, ok := s["NotAction"]; ok {
				t.Errorf("%s: NotAction is a wildcard in disguise: %v", where, s)
			}
			var actions []any
			switch a := s["Action"].(type) {
			case string:
				actions = []any{a}
			case []any:
				actions = a
			default:
				t.Errorf("%s: statement without Action: %v", where, s)
			}
			for _, a := range actions {
				n++
				if as, ok := a.(string); !ok || strings.ContainsAny(as, "*?") {
					t.Errorf("%s: wildcard action %v", where, a)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no actions found")
	}
	// No managed *FullAccess policy on any role.
	for id, r := range f.resources("AWS::IAM::Role") {
		if mp, ok := props(r)["ManagedPolicyArns"]; ok && strings.Contains(fmt.Sprint(mp), "FullAccess") {
			t.Errorf("role %s has a *FullAccess managed policy: %v", id, mp)
		}
	}
	// Our roles have no managed policy at all.
	for _, name := range FunctionNames {
		role := f.resources("AWS::IAM::Role")[f.id(f.stack.Pipeline.(*pipeline).roles[name])]
		if mp, ok := props(role)["ManagedPolicyArns"]; ok {
			t.Errorf("%s role has managed policies %v", name, mp)
		}
	}
}

func TestRoutesRequireIAM(t *testing.T) {
	f := synth(t)
	routes := f.resources("AWS::ApiGatewayV2::Route")
	coding := map[string]bool{} // JWT, tested in coding_auth_test.go
	for _, r := range CodingRoutes {
		coding[string(r.Method)+" "+r.Path] = true
	}
	comprehend := string(ComprehendRoute.Method) + " " + ComprehendRoute.Path
	found := false
	for _, r := range routes {
		if p := props(r); p["RouteKey"] == comprehend {
			found = true
			if p["AuthorizationType"] != "NONE" {
				t.Errorf("%s: AuthorizationType %v, want NONE (the function verifies the comprehend signature)", comprehend, p["AuthorizationType"])
			}
		}
	}
	if !found {
		t.Errorf("no route %s", comprehend)
	}
	coding[comprehend] = true // checked above
	var got []string
	for id, r := range routes {
		p := props(r)
		if coding[p["RouteKey"].(string)] {
			continue
		}
		got = append(got, p["RouteKey"].(string))
		if p["AuthorizationType"] != "AWS_IAM" {
			t.Errorf("route %s (%v): AuthorizationType %v, want AWS_IAM", id, p["RouteKey"], p["AuthorizationType"])
		}
	}
	var want []string
	for _, r := range Routes {
		want = append(want, string(r.Method)+" "+r.Path)
	}
	if !reflect.DeepEqual(sorted(got), sorted(want)) {
		t.Errorf("routes %v, want %v", sorted(got), sorted(want))
	}
	check(t, "every route but the coding routes AWS_IAM", func() {
		f.template.ResourcePropertiesCountIs(jsii.String("AWS::ApiGatewayV2::Route"), obj{"AuthorizationType": "AWS_IAM"},
			jsii.Number(float64(len(Routes))))
	})
	check(t, "payload v2 integration", func() {
		f.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), obj{
			"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0",
			"IntegrationUri": getAtt(f.id(f.stack.Pipeline.Function(FnAPI)), "Arn"),
		})
	})
	check(t, "stage access logs and throttling", func() {
		f.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), obj{
			"StageName":            "$default",
			"AutoDeploy":           true,
			"AccessLogSettings":    like(obj{"DestinationArn": assertions.Match_AnyValue()}),
			"DefaultRouteSettings": obj{"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 200},
		})
	})
}

// TestIngestEventBridgeRule: the bucket sends its events to EventBridge
// (CloudFormation's own NotificationConfiguration, no custom resource) and a
// rule sends Object Created events under inputs/ to the ingest queue, which
// ingest reads; what ingest fails on ten times waits in a dead-letter queue
// watched by an alarm (before, EventBridge invoked ingest, whose errors Lambda
// retried twice and then dropped).
func TestIngestEventBridgeRule(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline
	check(t, "bucket -> EventBridge", func() {
		f.template.HasResourceProperties(jsii.String("AWS::S3::Bucket"), obj{
			"NotificationConfiguration": obj{"EventBridgeConfiguration": obj{"EventBridgeEnabled": true}},
		})
	})
	check(t, "rule inputs/ -> ingest", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj{
			"State": "ENABLED",
			"EventPattern": obj{
				"source":      arr{"aws.s3"},
				"detail-type": arr{"Object Created"},
				"detail": obj{
					"bucket": obj{"name": arr{ref(f.id(p.Bucket()))}},
					"object": obj{"key": arr{obj{"prefix": "inputs/"}}},
				},
			},
			"Targets": arr{like(obj{
				"Arn":              getAtt(f.id(p.IngestQueue()), "Arn"),
				"RetryPolicy":      obj{"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
				"DeadLetterConfig": obj{"Arn": getAtt(f.id(p.IngestDeadLetterQueue()), "Arn")},
			})},
		})
	})
	check(t, "the ingest queue: 6 x ingest's timeout, dead-lettered after 10 receives", func() {
		f.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), obj{
			"VisibilityTimeout":      6 * 300,
			"SqsManagedSseEnabled":   true,
			"MessageRetentionPeriod": 4 * 86400,
			"RedrivePolicy":          obj{"deadLetterTargetArn": getAtt(f.id(p.IngestDeadLetterQueue()), "Arn"), "maxReceiveCount": 10},
		})
	})
	check(t, "EventBridge may send to the ingest queue and its dead-letter queue", func() {
		for _, q := range []string{f.id(p.IngestQueue()), f.id(p.IngestDeadLetterQueue())} {
			f.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), obj{
				"Queues": arr{ref(q)},
				"PolicyDocument": like(obj{"Statement": assertions.Match_ArrayWith(&[]any{like(obj{
					"Effect":    "Allow",
					"Principal": obj{"Service": "events.amazonaws.com"},
					"Resource":  getAtt(q, "Arn"),
					"Condition": obj{"ArnEquals": obj{"aws:SourceArn": assertions.Match_AnyValue()}},
				})})}),
			})
		}
	})
	check(t, "ingest reads the ingest queue and reports failed events", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), obj{
			"EventSourceArn":        getAtt(f.id(p.IngestQueue()), "Arn"),
			"FunctionName":          ref(f.id(p.Function(FnIngest))),
			"BatchSize":             10,
			"FunctionResponseTypes": arr{"ReportBatchItemFailures"},
			"ScalingConfig":         obj{"MaximumConcurrency": 20},
		})
	})
	check(t, "an alarm on the ingest dead-letter queue", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"MetricName": "ApproximateNumberOfMessagesVisible",
			"Dimensions": arr{obj{"Name": "QueueName", "Value": getAtt(f.id(p.IngestDeadLetterQueue()), "QueueName")}},
			"Threshold":  0,
		})
	})
	// Nothing invokes ingest but its event source: EventBridge no longer may.
	for _, perm := range f.resources("AWS::Lambda::Permission") {
		props, _ := perm["Properties"].(map[string]any)
		if props["Principal"] == "events.amazonaws.com" && reflect.DeepEqual(props["FunctionName"], getAtt(f.id(p.Function(FnIngest)), "Arn")) {
			t.Errorf("EventBridge may still invoke ingest directly: %v", props)
		}
	}
	// No S3 notification custom resource, and so no CDK-owned handler function.
	if n := len(f.resources("Custom::S3BucketNotifications")); n != 0 {
		t.Errorf("%d Custom::S3BucketNotifications resources, want none", n)
	}
	for id := range f.resources("AWS::Lambda::Function") {
		if strings.HasPrefix(id, "BucketNotificationsHandler") {
			t.Errorf("CDK's bucket notifications handler %s is in the template", id)
		}
	}
}

func TestSweeperSchedule(t *testing.T) {
	f := synth(t)
	check(t, "schedule", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj{
			"ScheduleExpression": "rate(5 minutes)",
			"State":              "ENABLED",
			"Targets":            arr{like(obj{"Arn": getAtt(f.id(f.stack.Pipeline.Function(FnSweeper)), "Arn")})},
		})
	})
}

func TestAlarms(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline
	alarmTopic := ref(f.id(p.AlarmTopic()))
	alarms := f.resources("AWS::CloudWatch::Alarm")
	if want := 10 + 2*len(FunctionNames); len(alarms) != want {
		t.Errorf("%d alarms, want %d", len(alarms), want)
	}
	for id, a := range alarms {
		if !reflect.DeepEqual(props(a)["AlarmActions"], arr{alarmTopic}) {
			t.Errorf("alarm %s: actions %v, want the alarm topic", id, props(a)["AlarmActions"])
		}
	}
	// The stack's own namespace: two stages of one account do not share the metric.
	ns := ShardFailuresNamespace(*f.stack.Stack.StackName())
	if ns != "Ream/"+*f.stack.Stack.StackName() || ns == ShardFailuresNamespace("Ream-other") {
		t.Errorf("namespace %s: want Ream/<stack name>, one per stack", ns)
	}
	check(t, "failed shards counted from the worker's log", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), obj{
			"LogGroupName":          ref(f.id(p.Function(FnWorker).LogGroup())),
			"FilterPattern":         `{ $.msg = "shard failed" }`,
			"MetricTransformations": arr{like(obj{"MetricNamespace": ns, "MetricName": "ShardFailures", "MetricValue": "1"})},
		})
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": ns, "MetricName": "ShardFailures", "Threshold": 0,
		})
	})
	// ingest answers the events it failed on as batch item failures too (its Errors alarm never
	// sees them, and the ingest dead-letter queue only after IngestMaxReceiveCount receives, hours
	// later): its log lines are counted like the worker's.
	check(t, "failed input events counted from ingest's log", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), obj{
			"LogGroupName":          ref(f.id(p.Function(FnIngest).LogGroup())),
			"FilterPattern":         `{ $.msg = "input event failed" }`,
			"MetricTransformations": arr{like(obj{"MetricNamespace": ns, "MetricName": "IngestFailures", "MetricValue": "1"})},
		})
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": ns, "MetricName": "IngestFailures", "Threshold": 0,
		})
	})
	// The sweeper logs a job it could not sweep (a notification it cannot publish, a rescue or
	// an expiry that fails) and ends its run without an error: its Errors alarm never saw them.
	check(t, "jobs the sweeper could not sweep counted from its log", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), obj{
			"LogGroupName":          ref(f.id(p.Function(FnSweeper).LogGroup())),
			"FilterPattern":         `{ $.msg = "sweep failed for job" }`,
			"MetricTransformations": arr{like(obj{"MetricNamespace": ns, "MetricName": "SweepFailures", "MetricValue": "1"})},
		})
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": ns, "MetricName": "SweepFailures", "Threshold": 0,
		})
	})
	check(t, "stuck jobs the sweeper rescued counted from its log", func() {
		f.template.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), obj{
			"LogGroupName":          ref(f.id(p.Function(FnSweeper).LogGroup())),
			"FilterPattern":         `{ $.msg = "job made no progress; re-enqueueing its unrecorded shards" }`,
			"MetricTransformations": arr{like(obj{"MetricNamespace": ns, "MetricName": "JobsRescued", "MetricValue": "1"})},
		})
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": ns, "MetricName": "JobsRescued", "Threshold": 0,
		})
	})
	// A job's own topic that refuses its notification is not retried: every function that may
	// end a job is counted.
	for _, name := range FunctionNames {
		check(t, name+": notifications a job's own topic refused counted from its log", func() {
			f.template.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), obj{
				"LogGroupName":          ref(f.id(p.Function(name).LogGroup())),
				"FilterPattern":         `{ $.msg = "publishing to the job's own topic failed" }`,
				"MetricTransformations": arr{like(obj{"MetricNamespace": ns, "MetricName": "NotificationFailures", "MetricValue": "1"})},
			})
		})
	}
	check(t, "an alarm on notifications a job's own topic refused", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": ns, "MetricName": "NotificationFailures", "Threshold": 0,
		})
	})
	check(t, "throttles and API 5xx", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": "AWS/Lambda", "MetricName": "Throttles",
			"Dimensions": arr{obj{"Name": "FunctionName", "Value": ref(f.id(p.Function(FnWorker)))}},
		})
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": "AWS/ApiGateway", "MetricName": "5xx", "Threshold": 0,
		})
	})
	check(t, "dead-letter queue not empty", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
			"Dimensions":         arr{obj{"Name": "QueueName", "Value": getAtt(f.id(p.DeadLetterQueue()), "QueueName")}},
			"Threshold":          0,
			"ComparisonOperator": "GreaterThanThreshold",
		})
	})
	check(t, "shards dead-lettered", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": "AWS/Lambda", "MetricName": "Invocations",
			"Dimensions": arr{obj{"Name": "FunctionName", "Value": ref(f.id(p.Function(FnDeadLetter)))}},
			"Threshold":  0,
		})
	})
	check(t, "job age", func() {
		f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
			"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
			"Dimensions": arr{obj{"Name": "QueueName", "Value": getAtt(f.id(p.ShardQueue()), "QueueName")}},
			"Threshold":  1800,
		})
	})
	for _, name := range FunctionNames {
		check(t, name+" errors", func() {
			f.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
				"Namespace": "AWS/Lambda", "MetricName": "Errors",
				"Dimensions": arr{obj{"Name": "FunctionName", "Value": ref(f.id(p.Function(name)))}},
				"Threshold":  0,
			})
		})
	}
	// CloudWatch may use the key that encrypts the alarm topic.
	check(t, "key policy for CloudWatch", func() {
		f.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), obj{
			"KeyPolicy": like(obj{"Statement": arrayWith(like(obj{
				"Principal": obj{"Service": "cloudwatch.amazonaws.com"},
				"Action":    arr{"kms:Decrypt", "kms:GenerateDataKey"},
			}))}),
		})
	})
}

func TestOutputs(t *testing.T) {
	f := synth(t)
	for _, o := range []string{OutputAPIURL, OutputBucketName, OutputTopicArn, OutputAlarmTopicArn, OutputTableName, OutputKeyArn, OutputFunctionRoleArns} {
		check(t, "output "+o, func() {
			f.template.HasOutput(jsii.String(o), obj{"Value": assertions.Match_AnyValue()})
		})
	}
}

func TestNoFixedPhysicalNames(t *testing.T) {
	f := synth(t)
	named := []string{"BucketName", "TableName", "QueueName", "TopicName", "FunctionName", "RoleName",
		"LogGroupName", "Name", "AliasName"}
	for id, r := range f.tmpl["Resources"].(obj) {
		res := r.(obj)
		typ := res["Type"].(string)
		if typ == "AWS::Lambda::Permission" ||
			typ == "AWS::S3::BucketPolicy" || typ == "AWS::Lambda::EventSourceMapping" {
			continue // these reference names of other resources
		}
		for _, k := range named {
			if v, ok := props(res)[k]; ok {
				if _, literal := v.(string); literal {
					t.Errorf("%s (%s) has a fixed %s %q", id, typ, k, v)
				}
			}
		}
	}
}

func TestCdkNagAwsSolutions(t *testing.T) {
	f := synth(t)
	var errs []string
	check(t, "annotations", func() {
		for _, m := range *f.annotations.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			errs = append(errs, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
		}
		for _, m := range *f.annotations.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			t.Logf("cdk-nag warning %s: %v", *m.Id, m.Entry.Data)
		}
	})
	for _, e := range errs {
		t.Errorf("unsuppressed cdk-nag error %s", e)
	}
}

// Every suppression in the template carries a reason.
func TestNagSuppressionsHaveReasons(t *testing.T) {
	f := synth(t)
	n := 0
	for id, r := range f.tmpl["Resources"].(obj) {
		md, _ := r.(obj)["Metadata"].(obj)
		nag, _ := md["cdk_nag"].(obj)
		rules, _ := nag["rules_to_suppress"].([]any)
		for _, rule := range rules {
			n++
			reason, _ := rule.(obj)["reason"].(string)
			if len(strings.TrimSpace(reason)) < 20 {
				t.Errorf("%s: suppression %v has no real reason", id, rule)
			}
		}
	}
	if n == 0 {
		t.Error("no suppressions found: the test would not notice a missing reason")
	}
}

func TestPropsValidation(t *testing.T) {
	dir := t.TempDir()
	if err := placeholderCode(dir); err != nil {
		t.Fatal(err)
	}
	r, err := resolve(&PipelineProps{CodeDir: dir})
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if r.visibilityTimeout != 18*time.Minute || r.StuckAfter != 23*time.Minute || r.WorkerMaxConcurrency != 10 {
		t.Errorf("defaults: visibility %v stuck %v concurrency %d", r.visibilityTimeout, r.StuckAfter, r.WorkerMaxConcurrency)
	}
	r, err = resolve(&PipelineProps{CodeDir: dir, Worker: FunctionSettings{Timeout: time.Minute}})
	if err != nil || r.visibilityTimeout != 6*time.Minute || r.StuckAfter != 11*time.Minute {
		t.Errorf("worker 1m: %v, visibility %v stuck %v", err, r.visibilityTimeout, r.StuckAfter)
	}
	bad := map[string]PipelineProps{
		"stuck below visibility":  {CodeDir: dir, StuckAfter: 10 * time.Minute},
		"concurrency 1":           {CodeDir: dir, WorkerMaxConcurrency: 1},
		"batch 11":                {CodeDir: dir, WorkerBatchSize: 11},
		"api 31s":                 {CodeDir: dir, API: FunctionSettings{Timeout: 31 * time.Second}},
		"memory 64":               {CodeDir: dir, Sweeper: FunctionSettings{MemoryMB: 64}},
		"fractional timeout":      {CodeDir: dir, Ingest: FunctionSettings{Timeout: 1500 * time.Millisecond}},
		"worker 3h":               {CodeDir: dir, Worker: FunctionSettings{Timeout: 3 * time.Hour}},
		"sweep 90s":               {CodeDir: dir, SweepRate: 90 * time.Second},
		"expiry pass below sweep": {CodeDir: dir, ExpiryPassEvery: 2 * time.Minute},
		"upload 8 days":           {CodeDir: dir, UploadTTL: 8 * 24 * time.Hour},
		"upload 13 hours":         {CodeDir: dir, UploadTTL: 13 * time.Hour},
		"log level":               {CodeDir: dir, LogLevel: "loud"},
		"unknown language":        {CodeDir: dir, Languages: []string{"en", "xx"}},
		"one language":            {CodeDir: dir, Languages: []string{"en"}},
		"missing bootstrap":       {CodeDir: t.TempDir()},
	}
	for name, p := range bad {
		if _, err := resolve(&p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Every level name the functions read from REAM_LOG_LEVEL is a LogLevel the construct takes.
	for _, level := range []string{"debug", "info", "warn", "warning", "error", "WARN", "Info"} {
		if _, ok := loglevel.Parse(level); !ok {
			t.Fatalf("loglevel.Parse(%q) refused it", level)
		}
		if _, err := resolve(&PipelineProps{CodeDir: dir, LogLevel: level}); err != nil {
			t.Errorf("LogLevel %q, which the functions read, was refused: %v", level, err)
		}
	}
	if _, err := resolve(&PipelineProps{CodeDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("missing bootstrap should say to run make build: %v", err)
	}
}

// TestAlarmTopicPolicyAllowsCloudWatch: a topic policy in the template replaces SNS's default
// policy, so the alarm topic's must allow CloudWatch (a service principal, which no identity
// policy covers) to publish, for this account's alarms only; the completion topic's need not.
func TestAlarmTopicPolicyAllowsCloudWatch(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline
	alarmTopic, completion := ref(f.id(p.AlarmTopic())), ref(f.id(p.Topic()))
	want := obj{
		"Effect":    "Allow",
		"Principal": obj{"Service": "cloudwatch.amazonaws.com"},
		"Action":    "sns:Publish",
		"Resource":  alarmTopic,
		"Condition": obj{
			"StringEquals": obj{"aws:SourceAccount": ref("AWS::AccountId")},
			"ArnLike": obj{"aws:SourceArn": obj{"Fn::Join": arr{"", arr{
				"arn:", ref("AWS::Partition"), ":cloudwatch:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":alarm:*",
			}}}},
		},
	}
	found := 0
	for id, pol := range f.resources("AWS::SNS::TopicPolicy") {
		topics := props(pol)["Topics"]
		allows := 0
		for _, s := range props(pol)["PolicyDocument"].(obj)["Statement"].([]any) {
			st := s.(obj)
			if st["Effect"] != "Allow" {
				continue
			}
			allows++
			if reflect.DeepEqual(topics, arr{alarmTopic}) {
				delete(st, "Sid")
				if !reflect.DeepEqual(st, want) {
					t.Errorf("%s: Allow statement %s, want %s", id, mustJSON(t, st), mustJSON(t, want))
				}
			}
		}
		switch {
		case reflect.DeepEqual(topics, arr{alarmTopic}):
			found++
			if allows != 1 {
				t.Errorf("alarm topic policy %s: %d Allow statements, want 1 (CloudWatch)", id, allows)
			}
		case reflect.DeepEqual(topics, arr{completion}):
			if allows != 0 {
				t.Errorf("completion topic policy %s: %d Allow statements, want none (publishers use their roles)", id, allows)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d policies for the alarm topic, want 1", found)
	}
}
