package reamcdk

import (
	"reflect"
	"strings"
	"testing"
)

// s3Grants is what one function's role may do in the bucket, read back from the template:
// object patterns ("inputs/*") by action, and the s3:prefix patterns its s3:ListBucket is
// limited to.
type s3Grants struct {
	objects map[string][]string // action -> object key patterns
	list    []string            // s3:prefix patterns of s3:ListBucket on the bucket
}

// grantsOf reads the S3 statements of the named function's role policy.
func grantsOf(t *testing.T, f *fixture, fn string) s3Grants {
	t.Helper()
	p := f.stack.Pipeline.(*pipeline)
	role, bucket := f.id(p.roles[fn]), f.id(p.Bucket())
	bucketArn := getAtt(bucket, "Arn")
	g := s3Grants{objects: map[string][]string{}}
	found := false
	for _, pol := range f.resources("AWS::IAM::Policy") {
		if !reflect.DeepEqual(props(pol)["Roles"], arr{ref(role)}) {
			continue
		}
		found = true
		for _, s := range props(pol)["PolicyDocument"].(obj)["Statement"].([]any) {
			st := s.(obj)
			if st["Effect"] != "Allow" {
				continue
			}
			var actions []string
			switch a := st["Action"].(type) {
			case string:
				actions = []string{a}
			case []any:
				for _, x := range a {
					actions = append(actions, x.(string))
				}
			}
			var resources []any
			switch r := st["Resource"].(type) {
			case []any:
				resources = r
			default:
				resources = []any{r}
			}
			for _, a := range actions {
				if !strings.HasPrefix(a, "s3:") {
					continue
				}
				for _, r := range resources {
					if reflect.DeepEqual(r, bucketArn) {
						if a != "s3:ListBucket" {
							t.Errorf("%s: %s on the bucket itself", fn, a)
							continue
						}
						cond, _ := st["Condition"].(obj)
						like, _ := cond["StringLike"].(obj)
						pfx, ok := like["s3:prefix"].([]any)
						if !ok || len(cond) != 1 || len(like) != 1 {
							t.Errorf("%s: s3:ListBucket not limited to s3:prefix patterns: %v", fn, st["Condition"])
							continue
						}
						for _, x := range pfx {
							g.list = append(g.list, x.(string))
						}
						continue
					}
					join, _ := r.(obj)["Fn::Join"].([]any)
					if len(join) != 2 {
						t.Errorf("%s: %s on an unexpected resource %v", fn, a, r)
						continue
					}
					parts := join[1].([]any)
					tail, _ := parts[len(parts)-1].(string)
					if len(parts) != 2 || !reflect.DeepEqual(parts[0], bucketArn) || !strings.HasPrefix(tail, "/") {
						t.Errorf("%s: %s on an unexpected resource %v", fn, a, r)
						continue
					}
					g.objects[a] = append(g.objects[a], strings.TrimPrefix(tail, "/"))
				}
			}
		}
	}
	if !found {
		t.Fatalf("%s: no policy on role %s", fn, role)
	}
	return g
}

// matches reports whether pattern (a key, or a prefix followed by "*", as IAM's StringLike and
// resource ARNs read it here) matches key.
func matches(pattern, key string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(key, p)
	}
	return pattern == key
}

func anyMatches(patterns []string, key string) bool {
	for _, p := range patterns {
		if matches(p, key) {
			return true
		}
	}
	return false
}

// covers reports whether every key pattern sub matches is matched by one of patterns.
func covers(patterns []string, sub string) bool {
	return anyMatches(patterns, strings.TrimSuffix(sub, "*"))
}

// TestMissingObjectsAre404: S3 answers a GET or HEAD of a missing key with 404 only when the
// caller may also list that key (s3:ListBucket, whose s3:prefix is then the key); without it
// the answer is 403, which the code cannot tell from a real refusal (an unknown access key
// became a 500 instead of Comprehend's UnrecognizedClientException). So every prefix a
// function may read, it may list.
func TestMissingObjectsAre404(t *testing.T) {
	f := synth(t)
	for _, fn := range FunctionNames {
		g := grantsOf(t, f, fn)
		for _, p := range g.objects["s3:GetObject"] {
			if !covers(g.list, p) {
				t.Errorf("%s may read %s but not list it (s3:ListBucket s3:prefix %v): a missing key there is a 403, not a 404", fn, p, g.list)
			}
		}
	}
	api := grantsOf(t, f, FnAPI)
	if !anyMatches(api.objects["s3:GetObject"], AccessKeysPrefix+"AKIAEXAMPLE.json") ||
		!anyMatches(api.list, AccessKeysPrefix+"AKIAEXAMPLE.json") {
		t.Errorf("api: GetObject %v, ListBucket %v: must read and list %s* (an unknown access key is a 404)",
			api.objects["s3:GetObject"], api.list, AccessKeysPrefix)
	}
	for _, fn := range FunctionNames[1:] {
		g := grantsOf(t, f, fn)
		for a, ps := range g.objects {
			for _, p := range ps {
				if strings.HasPrefix(p, AccessKeysPrefix) {
					t.Errorf("%s: %s on %s; only the api function reads access keys", fn, a, p)
				}
			}
		}
		if anyMatches(g.list, AccessKeysPrefix+"AKIAEXAMPLE.json") {
			t.Errorf("%s may list %s", fn, AccessKeysPrefix)
		}
	}
}

// TestModelGrants: the coding service keeps its model files under models/. Every function may
// finalize a coding operation, whose metadata resolves the model through the registry, which
// first stores the shipped models (HEAD, then PUT if missing, under models/_shipped/); the
// worker also loads the model a coding shard names (GET of a tenant's or a shipped model; a
// missing one must be a 404, which fails the job with a message) and stores the models training
// jobs make (PUT under models/<tenant>/). Models are never deleted.
func TestModelGrants(t *testing.T) {
	f := synth(t)
	tenantModel := ModelsPrefix + "tenant-1/occupation/0000.bin"
	shippedModel := ShippedModelsPrefix + "occupation/0000.bin"
	for _, fn := range FunctionNames {
		g := grantsOf(t, f, fn)
		want := map[string]bool{"s3:GetObject": true, "s3:PutObject": true, "s3:ListBucket": true, "s3:DeleteObject": false}
		for action, allowed := range want {
			got := g.objects[action]
			if action == "s3:ListBucket" {
				got = g.list
			}
			if anyMatches(got, shippedModel) != allowed {
				t.Errorf("%s: %s on %s is %v, want %v (patterns %v)", fn, action, shippedModel, !allowed, allowed, got)
			}
			tenantWant := allowed && fn == FnWorker
			if anyMatches(got, tenantModel) != tenantWant {
				t.Errorf("%s: %s on %s is %v, want %v (patterns %v)", fn, action, tenantModel, !tenantWant, tenantWant, got)
			}
		}
	}
}

// TestJobTopicGrant: a function may sns:Publish to the completion topic and to the topics of
// the account and region whose names start with the job-topic prefix, never to every topic of
// the account (found from outside: any caller could have notifications published into any topic,
// a confused deputy); the prefix reaches the functions as REAM_JOB_TOPIC_PREFIX.
func TestJobTopicGrant(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline.(*pipeline)
	topic := ref(f.id(p.topic))
	for _, fn := range FunctionNames {
		role := f.id(p.roles[fn])
		jobTopics := 0
		for _, pol := range f.resources("AWS::IAM::Policy") {
			if !reflect.DeepEqual(props(pol)["Roles"], arr{ref(role)}) {
				continue
			}
			for _, s := range props(pol)["PolicyDocument"].(obj)["Statement"].([]any) {
				st := s.(obj)
				if st["Action"] != "sns:Publish" {
					continue
				}
				resources, ok := st["Resource"].([]any)
				if !ok {
					resources = []any{st["Resource"]}
				}
				for _, r := range resources {
					if reflect.DeepEqual(r, topic) {
						continue
					}
					m, _ := r.(obj)
					join, _ := m["Fn::Join"].([]any)
					if len(join) != 2 {
						t.Errorf("%s: sns:Publish on %v", fn, r)
						continue
					}
					parts := join[1].([]any)
					if tail, _ := parts[len(parts)-1].(string); tail != ":"+StageJobTopicPrefix("test")+"*" {
						t.Errorf("%s: sns:Publish on topics ending %q, want %q", fn, tail, ":"+StageJobTopicPrefix("test")+"*")
					}
					jobTopics++
				}
			}
		}
		if jobTopics != 1 {
			t.Errorf("%s: %d grants on the job topics, want 1", fn, jobTopics)
		}
	}
	for name, res := range ours(t, f) {
		if v := props(res)["Environment"].(obj)["Variables"].(obj)["REAM_JOB_TOPIC_PREFIX"]; v != StageJobTopicPrefix("test") {
			t.Errorf("%s: REAM_JOB_TOPIC_PREFIX %v", name, v)
		}
	}
}

// TestEveryFunctionMaySendShards: every function's code sends to the shard queue (the worker
// plans S3Uri jobs and queues their shards, and every finalizer may queue a TOPICS stage's
// shards or a finalize message), so every role may; found by an outside review: the worker's
// role could not, and on AWS every S3Uri job and every TOPICS stage change waited for the
// sweeper's stuck-job rescue (the emulators check no IAM).
func TestEveryFunctionMaySendShards(t *testing.T) {
	f := synth(t)
	p := f.stack.Pipeline.(*pipeline)
	queueArn := getAtt(f.id(p.queue), "Arn")
	for _, fn := range FunctionNames {
		role := f.id(p.roles[fn])
		ok := false
		for _, pol := range f.resources("AWS::IAM::Policy") {
			if !reflect.DeepEqual(props(pol)["Roles"], arr{ref(role)}) {
				continue
			}
			for _, s := range props(pol)["PolicyDocument"].(obj)["Statement"].([]any) {
				st := s.(obj)
				if st["Effect"] == "Allow" && strings.Contains(mustJSON(t, st["Action"]), `"sqs:SendMessage"`) && reflect.DeepEqual(st["Resource"], queueArn) {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("%s: its role may not send to the shard queue", fn)
		}
	}
}

// TestEraseGrants: DELETE /v1/jobs/{id} deletes a finished job's data in the api function
// (pipeline EraseJob, the expiry's deletion), so the gateway routes it, signed, and the api may
// delete, and list, what the sweeper's expiry deletes: the job's upload under inputs/, its output
// folder under outputs/ and its work folder; ingest, the worker and the dead-letter consumer
// still delete only under work/ (shard results at finalize). Models are never deleted.
func TestEraseGrants(t *testing.T) {
	f := synth(t)
	route := false
	for _, r := range f.resources("AWS::ApiGatewayV2::Route") {
		if p := props(r); p["RouteKey"] == "DELETE /v1/jobs/{id}" {
			route = true
			if p["AuthorizationType"] != "AWS_IAM" {
				t.Errorf("DELETE /v1/jobs/{id}: AuthorizationType %v, want AWS_IAM", p["AuthorizationType"])
			}
		}
	}
	if !route {
		t.Error("no route DELETE /v1/jobs/{id}")
	}
	keys := []string{InputsPrefix + "tenant-1/job-1/input", OutputsPrefix + "tenant-1/job-1/output.tar.gz", WorkPrefix + "tenant-1/job-1/plan.json"}
	for _, fn := range FunctionNames {
		g := grantsOf(t, f, fn)
		for _, k := range keys {
			want := fn == FnAPI || fn == FnSweeper || strings.HasPrefix(k, WorkPrefix)
			if got := anyMatches(g.objects["s3:DeleteObject"], k); got != want {
				t.Errorf("%s: s3:DeleteObject on %s is %v, want %v (patterns %v)", fn, k, got, want, g.objects["s3:DeleteObject"])
			}
			if want && !anyMatches(g.list, k) {
				t.Errorf("%s may delete %s but not list it (s3:ListBucket s3:prefix %v): expire lists a folder to delete it", fn, k, g.list)
			}
		}
		for _, m := range []string{ModelsPrefix + "tenant-1/occupation/0000.bin", AccessKeysPrefix + "AKIAEXAMPLE.json"} {
			if anyMatches(g.objects["s3:DeleteObject"], m) {
				t.Errorf("%s may delete %s", fn, m)
			}
		}
	}
}
