package reamcdk

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// access is what one function's code may do. The L2 grant methods
// (bucket.GrantReadWrite, key.GrantEncryptDecrypt, topic.GrantPublish on a
// KMS topic, …) emit action wildcards such as "s3:GetObject*",
// "s3:Abort*", "kms:ReEncrypt*" and "kms:GenerateDataKey*", so every
// statement here is written out with exact actions and scoped to the
// object prefixes the function touches. The SQS event sources still use
// the L2 grant (queue.GrantConsumeMessages), whose actions are exact.
type access struct {
	readPrefixes   []string // s3:GetObject (GET, HEAD, ranged GET; presigned GET)
	writePrefixes  []string // s3:PutObject (PUT, multipart parts; presigned PUT), s3:AbortMultipartUpload
	deletePrefixes []string // s3:DeleteObject
	// listPrefixes: s3:ListBucket, only with an s3:prefix under these. Every read prefix must be
	// here too: S3 answers a GET or HEAD of a missing key with 404 only to a caller that may
	// list it (the check runs with s3:prefix = the key), and with 403 to anyone else, which
	// the code cannot tell from a refusal (TestMissingObjectsAre404).
	listPrefixes []string
	tableActions []string
	sendShards   bool // sqs:SendMessage (and SendMessageBatch) to the shard queue
	readBacklog  bool // sqs:GetQueueAttributes of the shard queue (how many messages wait)
	publish      bool // sns:Publish to the completion topic
}

var (
	// The adapter (shared/aws) calls GetItem, Query, PutItem, UpdateItem, DeleteItem and
	// TransactWriteItems, which IAM authorises item by item as the Put, Update and Delete it
	// holds (no ConditionCheck items): no batch or condition-check action is needed.
	tableRead  = []string{"dynamodb:GetItem", "dynamodb:Query"}
	tableWrite = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
	tableRW    = append(append([]string{}, tableRead...), tableWrite...)
	allAreas   = []string{InputsPrefix, WorkPrefix, OutputsPrefix}
)

// finalizing is what any function that may finalize a job needs: the last
// shard's worker, the deadletter consumer, the sweeper, but also the api
// (a stop of a job whose shards are all recorded finalizes it) and ingest
// (a job that fails while planning is finished, and notified, at once).
// Finalizing reads the plan and the shard results under work/ (and, for
// redaction, the inputs), writes output.tar.gz and manifest.json under
// outputs/, deletes work/ and publishes the notification. A coding
// operation's metadata names its model, looked up in the registry, whose
// first use in a process stores the shipped models (pipeline
// RegisterShippedModels: HEAD, then PUT when missing, under
// models/_shipped/), so every finalizer may read, list and write there.
// Every finalizer also sends to the shard queue: a TOPICS stage's finalize
// queues the next stage's shards, and a finalizer that finds the job
// claimed, or a stop, the sweeper and a restart, hand the finalization to a
// worker with a finalize message; the worker also plans an S3Uri job (its
// plan message) and sends its shards (an outside review found the worker's
// row without it: every S3Uri job and every TOPICS stage change waited for
// the sweeper's stuck-job rescue).
func finalizing(extra access) access {
	a := access{
		readPrefixes:   append(append([]string{}, allAreas...), ShippedModelsPrefix),
		writePrefixes:  []string{WorkPrefix, OutputsPrefix, ShippedModelsPrefix},
		deletePrefixes: []string{WorkPrefix},
		listPrefixes:   append(append([]string{}, allAreas...), ShippedModelsPrefix),
		tableActions:   tableRW,
		publish:        true,
		sendShards:     true,
		readBacklog:    extra.readBacklog,
	}
	a.readPrefixes = append(a.readPrefixes, extra.readPrefixes...)
	a.writePrefixes = append(a.writePrefixes, extra.writePrefixes...)
	a.deletePrefixes = append(a.deletePrefixes, extra.deletePrefixes...)
	a.listPrefixes = append(a.listPrefixes, extra.listPrefixes...)
	return a
}

// Access is the permission matrix, one row per function, following what
// shared/pipeline's use cases do. Changing what a handler does means
// changing its row here; the tests check the result has no wildcard action.
//
//   - api: everything finalizing needs; presigned PUTs under inputs/ (the
//     URL is signed with the api's credentials, so the api needs the
//     permission the client exercises); an existing input starts the job at
//     once (plan under work/, shards sent); it reads (and lists, so that an
//     unknown key is a 404) the access keys of the Comprehend-compatible API;
//     a DELETE of a finished job deletes what its expiry would (pipeline
//     EraseJob): its upload under inputs/ and its output folder under
//     outputs/ besides work/ (the table's DeleteItem it has already).
//   - ingest: reads the upload, writes the plan, sends the shards.
//   - worker: plans an S3Uri job (its plan message) and sends its shards;
//     reads shard input, writes shard results; finalizes. A coding
//     shard loads its model (GET under models/, a tenant's or a shipped one;
//     listed too, so a missing model is a 404 that fails the job with a
//     message); a training job stores the model it made under
//     models/<tenant>/. Models are never deleted.
//   - deadletter: writes a dead-lettered shard's records; finalizes.
//   - sweeper: re-enqueues stuck shards (unless the shard queue has a
//     backlog, which it reads) and deletes expired jobs' objects in all
//     three areas.
var Access = map[string]access{
	FnAPI: finalizing(access{writePrefixes: []string{InputsPrefix}, readPrefixes: []string{AccessKeysPrefix},
		listPrefixes: []string{AccessKeysPrefix}, deletePrefixes: []string{InputsPrefix, OutputsPrefix}}),
	FnIngest: finalizing(access{}),
	FnWorker: finalizing(access{readPrefixes: []string{ModelsPrefix}, writePrefixes: []string{ModelsPrefix},
		listPrefixes: []string{ModelsPrefix}}),
	FnDeadLetter: finalizing(access{}),
	FnSweeper:    finalizing(access{deletePrefixes: []string{InputsPrefix, OutputsPrefix}, readBacklog: true}),
}

func (p *pipeline) grants() {
	for _, name := range FunctionNames {
		a, role := Access[name], p.roles[name]
		add := func(props *awsiam.PolicyStatementProps) {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(props))
		}
		a.readPrefixes, a.writePrefixes = outermost(a.readPrefixes), outermost(a.writePrefixes)
		a.deletePrefixes, a.listPrefixes = outermost(a.deletePrefixes), outermost(a.listPrefixes)
		objects := func(prefixes []string) *[]*string {
			out := make([]*string, len(prefixes))
			for i, pf := range prefixes {
				out[i] = p.bucket.ArnForObjects(jsii.String(pf + "*"))
			}
			return &out
		}
		if len(a.readPrefixes) > 0 {
			add(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:GetObject"), Resources: objects(a.readPrefixes)})
		}
		if len(a.writePrefixes) > 0 {
			add(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:PutObject", "s3:AbortMultipartUpload"), Resources: objects(a.writePrefixes)})
		}
		if len(a.deletePrefixes) > 0 {
			add(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:DeleteObject"), Resources: objects(a.deletePrefixes)})
		}
		if len(a.listPrefixes) > 0 {
			like := make([]*string, len(a.listPrefixes))
			for i, pf := range a.listPrefixes {
				like[i] = jsii.String(pf + "*")
			}
			add(&awsiam.PolicyStatementProps{
				Actions:    jsii.Strings("s3:ListBucket"),
				Resources:  &[]*string{p.bucket.BucketArn()},
				Conditions: &map[string]interface{}{"StringLike": map[string]interface{}{"s3:prefix": like}},
			})
		}
		// Objects are SSE-KMS and the topic is KMS-encrypted: exactly the two
		// data-key actions, and only when S3 or SNS calls KMS on the
		// function's behalf.
		add(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
			Resources:  &[]*string{p.key.KeyArn()},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": []*string{viaService("s3"), viaService("sns")}}},
		})
		if p.outputKey != nil {
			// Jobs naming this key (OutputDataConfig.KmsKeyId) have their outputs written, and
			// read back through presigned URLs, under it: the same two actions, through S3.
			add(&awsiam.PolicyStatementProps{
				Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
				Resources:  &[]*string{p.outputKey.KeyArn()},
				Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": []*string{viaService("s3")}}},
			})
		}
		if len(a.tableActions) > 0 {
			add(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings(a.tableActions...),
				Resources: &[]*string{
					p.table.TableArn(),
					jsii.String(*p.table.TableArn() + "/index/" + IndexByTenant),
					jsii.String(*p.table.TableArn() + "/index/" + IndexByStatus),
				},
			})
		}
		if a.sendShards {
			add(&awsiam.PolicyStatementProps{Actions: jsii.Strings("sqs:SendMessage"), Resources: &[]*string{p.queue.QueueArn()}})
		}
		if a.readBacklog {
			add(&awsiam.PolicyStatementProps{Actions: jsii.Strings("sqs:GetQueueAttributes"), Resources: &[]*string{p.queue.QueueArn()}})
		}
		if a.publish {
			add(&awsiam.PolicyStatementProps{Actions: jsii.Strings("sns:Publish"), Resources: &[]*string{p.topic.TopicArn()}})
			// A job may name its own topic (NotificationChannel, as Textract's): a topic of this
			// account and region whose name starts with the prefix, which the API checks too, so
			// a caller cannot have the functions publish into other topics. The topic's own
			// policy (and KMS key) must allow it as well.
			add(&awsiam.PolicyStatementProps{Actions: jsii.Strings("sns:Publish"), Resources: &[]*string{jobTopicsArn(p.jobTopicPrefix)}})
		}
	}
}

// viaService is kms:ViaService for a service of the stack's region: its endpoint name,
// <service>.<region>.<the partition's URL suffix> (amazonaws.com, amazonaws.com.cn in China).
func viaService(service string) *string {
	return jsii.String(service + "." + *awscdk.Aws_REGION() + "." + *awscdk.Aws_URL_SUFFIX())
}

// jobTopicsArn covers the topics jobs may name as their NotificationChannel: the SNS topics of
// the stack's account and region whose names start with prefix.
func jobTopicsArn(prefix string) *string {
	return jsii.String("arn:" + *awscdk.Aws_PARTITION() + ":sns:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":" + prefix + "*")
}

// outermost drops the prefixes that another one of prefixes already covers (models/_shipped/
// beside models/, or a prefix given twice), keeping the order of the rest.
func outermost(prefixes []string) []string {
	var out []string
	for i, p := range prefixes {
		covered := false
		for j, q := range prefixes {
			if i != j && strings.HasPrefix(p, q) && (p != q || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return out
}
