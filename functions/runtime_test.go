package functions_test

// These tests build the real Lambda binaries (for the host, with -tags lambda.norpc as
// deployed) and run them under a small Lambda Runtime API server, so that what they prove is
// the path Lambda takes: process start, environment, cold start, lambda.Start's invoke loop
// (next → handler → response or error), and the JSON the runtime exchanges.
//
// TestBootstrapConfigErrors always runs. TestBootstrapsOnEmulators runs when the emulators are
// configured (scripts/emulators.sh start; eval "$(scripts/emulators.sh env)").

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/internal/syncbuf"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

var functionNames = []string{"api", "ingest", "worker", "deadletter", "sweeper"}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// bootstrap returns the path of function name's binary, building all of them on first use in
// one `go build` (linux/amd64 here: the host, so that the test can run them).
func bootstrap(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ream-bootstrap-")
		if buildErr != nil {
			return
		}
		buildErr = buildBootstraps(binDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// buildBootstraps builds every function into dir. -buildvcs=false, as make build: else go build
// asks git for the commit to stamp, and fails ("error obtaining VCS status") in a clone git will
// not read, as one owned by another user.
func buildBootstraps(dir string) error {
	args := []string{"build", "-buildvcs=false", "-tags", "lambda.norpc", "-o", dir + string(os.PathSeparator)}
	for _, n := range functionNames {
		args = append(args, "./"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// TestBootstrapsBuildOutsideGit: the bootstraps build in a clone git will not read (GIT_DIR
// naming no repository stands for one owned by another user: git exits 128 either way), whatever
// the machine's go env says (-buildvcs=auto, go's default, in GOFLAGS); they failed with "error
// obtaining VCS status" where the machine had no GOFLAGS=-buildvcs=false.
func TestBootstrapsBuildOutsideGit(t *testing.T) {
	t.Setenv("GOFLAGS", "-buildvcs=auto")
	t.Setenv("GIT_DIR", t.TempDir())
	if err := buildBootstraps(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

// ---- a small Lambda Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)

type invocation struct {
	id      string
	payload []byte
}

// outcome is what the function posted: kind "response" or "error" for an invocation, "init"
// for /runtime/init/error.
type outcome struct {
	id        string
	kind      string
	body      []byte
	errorType string
}

type runtimeAPI struct {
	function string
	srv      *httptest.Server
	queue    chan invocation
	outcomes chan outcome
	initErrs chan outcome
	// polled receives a value when the function asks for its next invocation, i.e. it got
	// through its cold start into lambda.Start's loop.
	polled chan struct{}
	done   chan struct{}
	seq    atomic.Int64
	// intercept, when set (by an option of newRuntimeAPI), sees every invocation response or
	// error the function posts before it is recorded; if it returns false the post is dropped,
	// neither recorded nor answered (kill_test.go kills the function at that moment).
	intercept func(outcome) bool
}

const runtimePrefix = "/2018-06-01/runtime"

// newRuntimeAPI starts the server; opts adjust it before it serves.
func newRuntimeAPI(t *testing.T, function string, opts ...func(*runtimeAPI)) *runtimeAPI {
	t.Helper()
	rt := &runtimeAPI{
		function: function,
		queue:    make(chan invocation, 16),
		outcomes: make(chan outcome, 16),
		initErrs: make(chan outcome, 4),
		polled:   make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	for _, o := range opts {
		o(rt)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimePrefix+"/invocation/next", rt.next)
	mux.HandleFunc("POST "+runtimePrefix+"/invocation/{id}/response", rt.record("response"))
	mux.HandleFunc("POST "+runtimePrefix+"/invocation/{id}/error", rt.record("error"))
	mux.HandleFunc("POST "+runtimePrefix+"/init/error", rt.record("init"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("runtime API: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	rt.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	return rt
}

// addr is the value of AWS_LAMBDA_RUNTIME_API.
func (rt *runtimeAPI) addr() string { return strings.TrimPrefix(rt.srv.URL, "http://") }

// close releases a blocked next and stops the server; call it after the process is gone.
func (rt *runtimeAPI) close() {
	close(rt.done)
	rt.srv.Close()
}

// next hands out the next queued event, or blocks until there is one or the test ends.
func (rt *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	select {
	case rt.polled <- struct{}{}:
	default:
	}
	select {
	case inv := <-rt.queue:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(15*time.Minute).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:ream-"+rt.function)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-rt.done:
		http.Error(w, "runtime shutting down", http.StatusServiceUnavailable)
	case <-r.Context().Done():
	}
}

// record stores what the function posted, before answering 202 as the Runtime API does: once
// the function has its answer, the outcome is in the channel.
func (rt *runtimeAPI) record(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o := outcome{id: r.PathValue("id"), kind: kind, body: body, errorType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
		if kind != "init" && rt.intercept != nil && !rt.intercept(o) {
			return
		}
		if kind == "init" {
			rt.initErrs <- o
		} else {
			rt.outcomes <- o
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
	}
}

// ---- the function process

type function struct {
	name   string
	rt     *runtimeAPI
	cmd    *exec.Cmd
	stderr syncbuf.Buffer
	exited chan struct{}
	err    error // cmd.Wait's result, once exited is closed
}

// baseEnv is what the Lambda service itself sets (and what isolates the process from this
// machine's AWS configuration); the REAM_* variables come on top.
func baseEnv(rt *runtimeAPI) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_RUNTIME_API=" + rt.addr(),
		"AWS_LAMBDA_FUNCTION_NAME=ream-" + rt.function,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"_HANDLER=bootstrap",
		"TZ=:UTC",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// startFunction runs function name's bootstrap under its own Runtime API (adjusted by opts)
// with env; the process is killed and the server closed when the test ends.
func startFunction(t *testing.T, name string, env func(rt *runtimeAPI) []string, opts ...func(*runtimeAPI)) *function {
	t.Helper()
	bin := bootstrap(t, name)
	rt := newRuntimeAPI(t, name, opts...)
	f := &function{name: name, rt: rt, exited: make(chan struct{})}
	f.cmd = exec.Command(bin)
	f.cmd.Env = env(rt)
	f.cmd.Stdout = &f.stderr // Lambda sends both to CloudWatch; keep them together for the log
	f.cmd.Stderr = &f.stderr
	if err := f.cmd.Start(); err != nil {
		rt.close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		f.err = f.cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		_ = f.cmd.Process.Kill()
		<-f.exited
		rt.close()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, f.stderr.String())
		}
	})
	return f
}

// send queues payload as the next invocation and returns its request id.
func (f *function) send(payload []byte) string {
	id := fmt.Sprintf("%08x-0000-4000-8000-%012d", f.rt.seq.Add(1), os.Getpid())
	f.rt.queue <- invocation{id: id, payload: payload}
	return id
}

// invoke queues payload and returns what the function answered.
func (f *function) invoke(t *testing.T, payload []byte) outcome {
	t.Helper()
	id := f.send(payload)
	select {
	case o := <-f.rt.outcomes:
		if o.id != id {
			t.Fatalf("%s answered invocation %q, want %q", f.name, o.id, id)
		}
		return o
	case o := <-f.rt.initErrs:
		t.Fatalf("%s reported an init error: %s", f.name, o.body)
	case <-f.exited:
		t.Fatalf("%s exited during an invocation: %v", f.name, f.err)
	}
	return outcome{} // not reached: t.Fatalf stops the test
}

// response invokes and requires a successful response, decoded into v.
func (f *function) response(t *testing.T, payload []byte, v any) {
	t.Helper()
	o := f.invoke(t, payload)
	if o.kind != "response" {
		t.Fatalf("%s: %s (%s): %s", f.name, o.kind, o.errorType, o.body)
	}
	if v != nil {
		if err := json.Unmarshal(o.body, v); err != nil {
			t.Fatalf("%s response %s: %v", f.name, o.body, err)
		}
	}
}

// ---- Test 1: configuration errors

// TestBootstrapConfigErrors starts every function with a missing or bad configuration: each
// exits with status 1 before asking for an invocation, without a panic, and both its log
// (stderr) and the init error it reports to the Runtime API name every variable to fix.
func TestBootstrapConfigErrors(t *testing.T) {
	required := []string{"REAM_BUCKET", "REAM_TABLE", "REAM_SHARD_QUEUE_URL", "REAM_TOPIC_ARN"}
	cases := []struct {
		name    string
		env     []string
		want    []string // every one must be named
		notWant []string // set correctly: must not be blamed
	}{
		{name: "nothing set", want: required},
		{
			name: "some missing, some bad",
			env: []string{
				"REAM_BUCKET=b", "REAM_TABLE=t", "REAM_SHARD_BYTES=lots", "REAM_UPLOAD_TTL=1 day",
				"REAM_S3_ENDPOINT=localhost:9000", "REAM_LOG_LEVEL=chatty",
			},
			want:    []string{"REAM_SHARD_QUEUE_URL", "REAM_TOPIC_ARN", "REAM_SHARD_BYTES", "REAM_UPLOAD_TTL", "REAM_S3_ENDPOINT", "REAM_LOG_LEVEL"},
			notWant: []string{"REAM_BUCKET", "REAM_TABLE"},
		},
	}
	for _, name := range functionNames {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				f := startFunction(t, name, func(rt *runtimeAPI) []string {
					return append(append(baseEnv(rt), "AWS_REGION=us-east-1"), tc.env...)
				})
				select {
				case <-f.exited:
				case <-f.rt.polled:
					t.Fatalf("%s asked for an invocation despite its configuration", name)
				}
				var exit *exec.ExitError
				if !errors.As(f.err, &exit) || exit.ExitCode() != 1 {
					t.Fatalf("exit: %v, want status 1", f.err)
				}
				log := f.stderr.String()
				if strings.Contains(log, "panic") || strings.Contains(log, "goroutine ") {
					t.Errorf("the process panicked:\n%s", log)
				}
				var line map[string]any
				if err := json.Unmarshal([]byte(firstLine(log)), &line); err != nil || line["level"] != "ERROR" {
					t.Errorf("stderr does not start with a JSON ERROR line:\n%s", log)
				}
				var initErr outcome
				select {
				case initErr = <-f.rt.initErrs:
				default:
					t.Fatal("no init error was reported to the Runtime API")
				}
				var body struct{ ErrorMessage, ErrorType string }
				if err := json.Unmarshal(initErr.body, &body); err != nil || body.ErrorType == "" || initErr.errorType != body.ErrorType {
					t.Errorf("init error %s (header %q): %v", initErr.body, initErr.errorType, err)
				}
				for _, v := range tc.want {
					if !strings.Contains(log, v) {
						t.Errorf("stderr does not name %s:\n%s", v, log)
					}
					if !strings.Contains(body.ErrorMessage, v) {
						t.Errorf("init error does not name %s: %s", v, body.ErrorMessage)
					}
				}
				for _, v := range tc.notWant {
					if strings.Contains(body.ErrorMessage, v) {
						t.Errorf("init error blames %s, which is set: %s", v, body.ErrorMessage)
					}
				}
			})
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestBootstrapInvokeLoop runs functions with a complete configuration whose endpoints lead
// nowhere (a cold start makes no network call) and invokes them with events they answer
// without AWS: the health route, a batch of malformed shard messages, and an event that does
// not decode, which must go to the error endpoint and leave the process serving.
func TestBootstrapInvokeLoop(t *testing.T) {
	nowhere := "http://127.0.0.1:9" // discard port: nothing listens
	env := func(rt *runtimeAPI) []string {
		return append(baseEnv(rt),
			"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
			"REAM_BUCKET=ream-bucket", "REAM_TABLE=ream-jobs",
			"REAM_SHARD_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/ream-shards",
			"REAM_TOPIC_ARN=arn:aws:sns:eu-west-1:123456789012:ream-done",
			"REAM_LANGUAGES=en,fr,de", "REAM_LOG_LEVEL=warn",
			"REAM_S3_ENDPOINT="+nowhere, "REAM_DYNAMODB_ENDPOINT="+nowhere, "REAM_SQS_ENDPOINT="+nowhere, "REAM_SNS_ENDPOINT="+nowhere,
		)
	}

	apiH := startFunction(t, "api", env)
	var health map[string]string
	apiCall(t, apiH, fixtureJSON(t, "apigw-v2-describe-job.json", func(m map[string]any) {
		m["routeKey"], m["rawPath"] = "GET /v1/health", "/v1/health"
		delete(m, "pathParameters")
	}), http.StatusOK, &health)
	if health["status"] != "ok" {
		t.Fatalf("health: %v", health)
	}

	worker := startFunction(t, "worker", env)
	o := worker.invoke(t, []byte(`["not", "an", "SQS", "event"]`))
	var lambdaErr struct{ ErrorMessage, ErrorType string }
	if o.kind != "error" || json.Unmarshal(o.body, &lambdaErr) != nil || lambdaErr.ErrorMessage == "" || lambdaErr.ErrorType == "" {
		t.Fatalf("undecodable event: %s %s, want an error with a message and a type", o.kind, o.body)
	}
	var resp events.SQSEventResponse
	worker.response(t, sqsEvent(t, "arn:aws:sqs:eu-west-1:123456789012:ream-shards", map[string]string{
		"m1": "", "m2": `{"tenant":"t"}`, "m3": `{"tenant":"t","jobId":"j","shard":0,"extra":1}`,
	}), &resp)
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if !slices.Equal(failed, []string{"m1", "m2", "m3"}) {
		t.Fatalf("malformed batch: failures %v, want [m1 m2 m3]", failed)
	}
}

// ---- Test 2: the functions on the emulators

// emulatorStack is a uniquely named bucket, table, shard queue (with its dead-letter queue) and
// topic on the emulators, all deleted when the test ends.
type emulatorStack struct {
	ep       map[string]string // the emulators' endpoints by service: S3, DYNAMODB, SQS, SNS
	c        *reamaws.Clients
	name     string // of the table, the queues and the topic
	bucket   string
	queues   reamaws.Queues
	topicARN string
}

// newEmulatorStack creates the stack, with maxReceive as the shard queue's maxReceiveCount. It
// skips the test when the emulators are not configured.
func newEmulatorStack(t *testing.T, maxReceive int) *emulatorStack {
	t.Helper()
	ep := map[string]string{}
	for _, svc := range []string{"S3", "DYNAMODB", "SQS", "SNS"} {
		v := os.Getenv("REAM_TEST_" + svc + "_ENDPOINT")
		if v == "" {
			t.Skipf("REAM_TEST_%s_ENDPOINT is not set (scripts/emulators.sh start; eval \"$(scripts/emulators.sh env)\")", svc)
		}
		ep[svc] = v
	}
	ctx := context.Background()
	c, err := reamaws.NewClients(ctx, reamaws.Endpoints{S3: ep["S3"], S3PathStyle: true, DynamoDB: ep["DYNAMODB"], SQS: ep["SQS"], SNS: ep["SNS"]})
	if err != nil {
		t.Fatal(err)
	}
	name := "ream-fn-" + uniq(t)
	bucket := newBucket(t, c, name)
	if err := reamaws.CreateTable(ctx, c.DynamoDB, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reamaws.DeleteTable(context.Background(), c.DynamoDB, name); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	queues, err := reamaws.CreateQueues(ctx, c.SQS, name, maxReceive)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reamaws.DeleteQueues(context.Background(), c.SQS, queues); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	topic, err := c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := c.SNS.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: topic.TopicArn}); err != nil {
			t.Logf("cleanup: delete topic: %v", err)
		}
	})
	return &emulatorStack{ep: ep, c: c, name: name, bucket: bucket, queues: queues, topicARN: sdkaws.ToString(topic.TopicArn)}
}

// env is the functions' environment on the stack. The extra variables come last: one that is
// already set takes their value (os/exec keeps the last value of a duplicated name).
func (s *emulatorStack) env(extra ...string) func(rt *runtimeAPI) []string {
	return func(rt *runtimeAPI) []string {
		env := append(baseEnv(rt),
			"AWS_REGION="+os.Getenv("AWS_REGION"),
			"AWS_ACCESS_KEY_ID="+os.Getenv("AWS_ACCESS_KEY_ID"),
			"AWS_SECRET_ACCESS_KEY="+os.Getenv("AWS_SECRET_ACCESS_KEY"),
			"REAM_BUCKET="+s.bucket,
			"REAM_TABLE="+s.name,
			"REAM_SHARD_QUEUE_URL="+s.queues.URL,
			"REAM_TOPIC_ARN="+s.topicARN,
			"REAM_SHARD_BYTES=64", // several shards from a small input
			"REAM_LOG_LEVEL=debug",
			"REAM_S3_ENDPOINT="+s.ep["S3"],
			"REAM_DYNAMODB_ENDPOINT="+s.ep["DYNAMODB"],
			"REAM_SQS_ENDPOINT="+s.ep["SQS"],
			"REAM_SNS_ENDPOINT="+s.ep["SNS"],
		)
		return append(env, extra...)
	}
}

func TestBootstrapsOnEmulators(t *testing.T) {
	s := newEmulatorStack(t, 3)
	ep, c, bucket, queues, env := s.ep, s.c, s.bucket, s.queues, s.env()
	apiH := startFunction(t, "api", env)

	// Create, with the API Gateway v2 fixture: 201 and an upload URL on the emulated S3.
	var created struct {
		JobId     string
		JobStatus job.Status
		Upload    *api.Upload
	}
	apiCall(t, apiH, fixtureJSON(t, "apigw-v2-create-job.json", nil), http.StatusCreated, &created)
	if created.JobId == "" || created.JobStatus != job.AwaitingInput || created.Upload == nil || created.Upload.Method != http.MethodPut {
		t.Fatalf("create: %+v", created)
	}
	if want := ep["S3"] + "/" + bucket + "/"; !strings.HasPrefix(created.Upload.URL, want) {
		t.Fatalf("upload URL %s is not a path-style URL under %s", created.Upload.URL, want)
	}

	// Describe it, with the describe fixture naming the new job: 200, from the same (warm) process.
	describe := func(want job.Status) job.Job {
		t.Helper()
		var j job.Job
		apiCall(t, apiH, apiGetEvent(t, "/v1/jobs/"+created.JobId, created.JobId), http.StatusOK, &j)
		if j.JobId != created.JobId || j.JobStatus != want {
			t.Fatalf("describe: job %s status %s, want %s %s", j.JobId, j.JobStatus, created.JobId, want)
		}
		return j
	}
	describe(job.AwaitingInput)

	// The sweeper with the EventBridge fixture answers its report, not an error.
	sweeper := startFunction(t, "sweeper", env)
	var report map[string]any
	sweeper.response(t, fixtureJSON(t, "eventbridge-schedule.json", nil), &report)

	// The worker drops a shard of a job that does not exist and reports a malformed message as
	// a batch item failure, alone.
	worker := startFunction(t, "worker", env)
	ghost := `{"tenant":"123456789012-3f2a9c1b0d4e5f60","jobId":"00000000000000000000000000000000","shard":0,"key":"inputs/123456789012-3f2a9c1b0d4e5f60/00000000000000000000000000000000/input","end":10}`
	var resp events.SQSEventResponse
	worker.response(t, sqsEvent(t, queues.ARN, map[string]string{"ghost-1": ghost}), &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("shard of an unknown job: failures %+v, want none (dropped)", resp.BatchItemFailures)
	}
	resp = events.SQSEventResponse{}
	worker.response(t, sqsEvent(t, queues.ARN, map[string]string{"ghost-2": ghost, "malformed-1": `{"not":"a shard"`}), &resp)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "malformed-1" {
		t.Fatalf("malformed message: failures %+v, want exactly malformed-1", resp.BatchItemFailures)
	}

	// The dead-letter consumer drops what it cannot use (nothing to retry).
	dead := startFunction(t, "deadletter", env)
	resp = events.SQSEventResponse{}
	dead.response(t, sqsEvent(t, queues.DLQARN, map[string]string{"ghost-3": ghost, "malformed-2": "not json"}), &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("dead letters: failures %+v, want none", resp.BatchItemFailures)
	}

	// And the whole lifecycle through the binaries: upload through the presigned URL, the
	// ingest function with the S3 fixture naming the object, the worker with the shard
	// messages ingest enqueued, and the job completes.
	input := "I love this product, it works well.\nCustomer support answered quickly and kindly.\nThe delivery was late and the box was broken.\n"
	putPresigned(t, created.Upload, input)
	key := layout.UploadKey(handlers.TenantFromARN(fixtureCaller), created.JobId)
	ingest := startFunction(t, "ingest", env)
	ingest.response(t, s3CreatedEvent(t, bucket, key, len(input)), nil)
	running := describe(job.InProgress)
	total := running.JobDetails.ShardsTotal
	if total < 2 {
		t.Fatalf("want several shards with REAM_SHARD_BYTES=64, got %d", total)
	}
	msgs := receive(t, c.SQS, queues.URL, total)
	resp = events.SQSEventResponse{}
	worker.response(t, sqsEvent(t, queues.ARN, msgs), &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("worker: failures %+v", resp.BatchItemFailures)
	}
	done := describe(job.Completed)
	if d := done.JobDetails; d.InputDocumentsCount != 3 || d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount != 3 || d.ShardsDone != total {
		t.Fatalf("completed job details %+v, want 3 documents in %d shards", d, total)
	}
}

// apiCall invokes the api function with an API Gateway v2 event and checks the status code.
func apiCall(t *testing.T, f *function, ev []byte, status int, v any) {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	f.response(t, ev, &resp)
	if resp.StatusCode != status {
		t.Fatalf("api: status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		t.Fatalf("api body %s: %v", resp.Body, err)
	}
}

// fixtureCaller is the IAM identity of the API Gateway fixtures (userArn).
const fixtureCaller = "arn:aws:sts::123456789012:assumed-role/ream-client/session-1"

// apiGetEvent is the describe fixture aimed at rawPath, a GET route whose {id} is id (the api
// routes on rawPath; routeKey stays the fixture's).
func apiGetEvent(t *testing.T, rawPath, id string) []byte {
	t.Helper()
	return fixtureJSON(t, "apigw-v2-describe-job.json", func(m map[string]any) {
		m["rawPath"] = rawPath
		m["pathParameters"] = map[string]any{"id": id}
		m["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = rawPath
	})
}

// s3CreatedEvent is the S3 fixture naming the object key (size bytes) in bucket.
func s3CreatedEvent(t *testing.T, bucket, key string, size int) []byte {
	t.Helper()
	return fixtureJSON(t, "s3-object-created.json", func(m map[string]any) {
		rec := m["Records"].([]any)[0].(map[string]any)["s3"].(map[string]any)
		rec["bucket"].(map[string]any)["name"] = bucket
		rec["bucket"].(map[string]any)["arn"] = "arn:aws:s3:::" + bucket
		obj := rec["object"].(map[string]any)
		obj["key"] = url.QueryEscape(key)
		obj["size"] = size
	})
}

// fixtureJSON reads events/name, lets edit change it, and returns it as JSON.
func fixtureJSON(t *testing.T, name string, edit func(map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return mustJSON(t, m)
}

// sqsEvent builds the SQS batch Lambda's event source would deliver (fields as in
// events/sqs-shard-batch.json), messages in id order.
func sqsEvent(t *testing.T, queueARN string, bodies map[string]string) []byte {
	t.Helper()
	var ev events.SQSEvent
	for _, id := range slices.Sorted(maps.Keys(bodies)) {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: id, ReceiptHandle: "rh-" + id, Body: bodies[id],
			Attributes: map[string]string{
				"ApproximateReceiveCount": "1", "SentTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10),
				"SenderId": "AROAEXAMPLEROLEID:ream-ingest", "ApproximateFirstReceiveTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10),
			},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs", EventSourceARN: queueARN, AWSRegion: os.Getenv("AWS_REGION"),
		})
	}
	return mustJSON(t, ev)
}

// receive takes n messages off the queue (as Lambda's event source would), keyed by message id.
func receive(t *testing.T, client *sqs.Client, queueURL string, n int) map[string]string {
	t.Helper()
	got := map[string]string{}
	for len(got) < n {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: &queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300,
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			got[sdkaws.ToString(m.MessageId)] = sdkaws.ToString(m.Body)
		}
	}
	if len(got) != n {
		t.Fatalf("received %d shard messages, want %d", len(got), n)
	}
	return got
}

func putPresigned(t *testing.T, up *api.Upload, body string) {
	t.Helper()
	req, err := http.NewRequest(up.Method, up.URL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT through the presigned URL: %s: %s", resp.Status, b)
	}
}

func newBucket(t *testing.T, c *reamaws.Clients, name string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	t.Cleanup(func() {
		p := s3.NewListObjectsV2Paginator(c.S3, &s3.ListObjectsV2Input{Bucket: &name})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Logf("cleanup: list %s: %v", name, err)
				return
			}
			for _, o := range page.Contents {
				if _, err := c.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &name, Key: o.Key}); err != nil {
					t.Logf("cleanup: delete %s: %v", sdkaws.ToString(o.Key), err)
				}
			}
		}
		if _, err := c.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &name}); err != nil {
			t.Logf("cleanup: delete bucket %s: %v", name, err)
		}
	})
	return name
}

func uniq(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
