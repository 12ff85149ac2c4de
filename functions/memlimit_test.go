package functions_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestBootstrapSetsMemoryLimit: a bootstrap sets Go's soft memory limit from the memory Lambda
// gives it (AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 512 MB, a limit of 448 MiB), unless GOMEMLIMIT is
// set, which stays; its debug line "cold start done" names the limit in bytes. Before, no
// bootstrap set one (Lambda sets no GOMEMLIMIT): the limit was the runtime's "none"
// (math.MaxInt64), so the collector let the heap grow to twice what was live up to Lambda's
// Runtime.OutOfMemory.
func TestBootstrapSetsMemoryLimit(t *testing.T) {
	nowhere := "http://127.0.0.1:9" // discard port: a cold start makes no network call
	for _, tc := range []struct {
		name  string
		extra []string
		want  int64
	}{
		{"from AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512", nil, 448 << 20},
		{"GOMEMLIMIT=300MiB stays", []string{"GOMEMLIMIT=300MiB"}, 300 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFunction(t, "sweeper", func(rt *runtimeAPI) []string {
				return append(append(baseEnv(rt), // AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512
					"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
					"REAM_BUCKET=ream-bucket", "REAM_TABLE=ream-jobs",
					"REAM_SHARD_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/ream-shards",
					"REAM_TOPIC_ARN=arn:aws:sns:eu-west-1:123456789012:ream-done", "REAM_LOG_LEVEL=debug",
					"REAM_S3_ENDPOINT="+nowhere, "REAM_DYNAMODB_ENDPOINT="+nowhere, "REAM_SQS_ENDPOINT="+nowhere, "REAM_SNS_ENDPOINT="+nowhere,
				), tc.extra...)
			})
			select {
			case <-f.rt.polled:
			case <-f.exited:
				t.Fatalf("exited during its cold start: %v\n%s", f.err, f.stderr.String())
			case <-time.After(5 * time.Minute):
				t.Fatal("no request for an invocation within 5 minutes")
			}
			// The line was written before the request for an invocation, but into a pipe that
			// exec's goroutine copies into f.stderr on its own time: only Wait's return says it
			// is all copied.
			_ = f.cmd.Process.Kill()
			<-f.exited
			var got *int64
			for _, l := range strings.Split(f.stderr.String(), "\n") {
				var line struct {
					Msg         string `json:"msg"`
					MemoryLimit *int64 `json:"memoryLimit"`
				}
				if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "cold start done" {
					got = line.MemoryLimit
				}
			}
			if got == nil || *got != tc.want {
				t.Fatalf("cold start's memory limit %v; want %d\n%s", got, tc.want, f.stderr.String())
			}
		})
	}
}
