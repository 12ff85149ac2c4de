package functions_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/internal/procstatus"
)

// TestColdStartFootprint (REAM_FOOTPRINT=1, with -v) runs each bootstrap, built for the host as
// deployed, under the test's Runtime API with the memory size its function is deployed with (the
// stack's defaults, infra/reamcdk's defaultFunctions) and prints its init time (process start to
// its first request for an invocation: the cold start, models included for the worker) and its
// resident memory then (VmHWM of /proc/<pid>/status). The cold start makes no network call, so
// no emulator is needed. It measures; the README's "Lambda memory" table holds the figures.
func TestColdStartFootprint(t *testing.T) {
	if os.Getenv("REAM_FOOTPRINT") == "" {
		t.Skip("a measurement: REAM_FOOTPRINT=1 go test -count=1 -v -run TestColdStartFootprint ./functions/")
	}
	nowhere := "http://127.0.0.1:9" // discard port: a cold start makes no network call
	memoryMB := map[string]int{"api": 256, "ingest": 512, "worker": 1024, "deadletter": 512, "sweeper": 512}
	bootstrap(t, "worker") // builds every function: not on the clock below
	for _, name := range functionNames {
		f := startFunction(t, name, func(rt *runtimeAPI) []string {
			env := baseEnv(rt)
			for i, kv := range env {
				if strings.HasPrefix(kv, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=") {
					env[i] = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(memoryMB[name])
				}
			}
			return append(env,
				"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
				"REAM_BUCKET=ream-bucket", "REAM_TABLE=ream-jobs",
				"REAM_SHARD_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/ream-shards",
				"REAM_TOPIC_ARN=arn:aws:sns:eu-west-1:123456789012:ream-done", "REAM_LOG_LEVEL=warn",
				"REAM_S3_ENDPOINT="+nowhere, "REAM_DYNAMODB_ENDPOINT="+nowhere, "REAM_SQS_ENDPOINT="+nowhere, "REAM_SNS_ENDPOINT="+nowhere,
			)
		})
		start := time.Now() // startFunction returns once the process has started
		select {
		case <-f.rt.polled:
		case <-f.exited:
			t.Fatalf("%s exited during its cold start: %v\n%s", name, f.err, f.stderr.String())
		case <-time.After(5 * time.Minute):
			t.Fatalf("%s: no request for an invocation within 5 minutes", name)
		}
		initTime := time.Since(start)
		pid := strconv.Itoa(f.cmd.Process.Pid)
		hwm, err1 := procstatus.KB(pid, "VmHWM")
		rss, err2 := procstatus.KB(pid, "VmRSS")
		if err1 != nil || err2 != nil {
			t.Skipf("no /proc status (not linux?): %v %v", err1, err2)
		}
		t.Logf("%-10s memory %4d MB  init %6.2f s  peak resident %5.1f MiB (%4.1f %% of it)  resident %5.1f MiB",
			name, memoryMB[name], initTime.Seconds(), float64(hwm)/1024, 100*float64(hwm)/1024/float64(memoryMB[name]), float64(rss)/1024)
	}
}
