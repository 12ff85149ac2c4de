// Package coldstart is the cold start every Ream Lambda main shares: logger, configuration
// from the environment, adapters and pipeline built once. A configuration error is logged,
// reported to the Lambda Runtime API's init/error endpoint, and ends the process with status
// 1; it never panics.
package coldstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/pipeline"
)

// Service runs function name's cold start and returns the pipeline service and the logger its
// handler should use. On any error it does not return: see the package comment.
func Service(name string) (*pipeline.Service, *slog.Logger) {
	svc, log, _, _ := start(name)
	return svc, log
}

// ServiceEnv is Service that also returns the configuration read from the environment (for a
// main that wires more than the service: the api function's Comprehend surface and tenants).
func ServiceEnv(name string) (*pipeline.Service, *slog.Logger, reamaws.Env) {
	svc, log, _, env := start(name)
	return svc, log, env
}

// Consumer is Service for a function an SQS event source invokes: it also returns the Releaser
// its handler sets (handlers' Releaser field), which makes messages handed back at the
// invocation's deadline visible again at once.
func Consumer(name string) (*pipeline.Service, *slog.Logger, *reamaws.Releaser) {
	svc, log, rel, _ := start(name)
	return svc, log, rel
}

// start is the cold start itself.
func start(name string) (*pipeline.Service, *slog.Logger, *reamaws.Releaser, reamaws.Env) {
	level := new(slog.LevelVar) // Info until the environment says otherwise
	log := newLogger(os.Stderr, level, name)
	slog.SetDefault(log)

	env, err := reamaws.EnvFromOS(os.Getenv)
	if err != nil {
		fail(log, err)
	}
	level.Set(env.LogLevel)
	if limit := memoryLimit(env.MemoryMB, os.Getenv("GOMEMLIMIT")); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	svc, rel, err := reamaws.BuildConsumer(context.Background(), env, log)
	if err != nil {
		fail(log, err)
	}
	log.Debug("cold start done", "bucket", env.Bucket, "table", env.Table, "memoryLimit", debug.SetMemoryLimit(-1))
	return svc, log, rel, env
}

// memoryLimit is the soft limit on the Go runtime's memory (debug.SetMemoryLimit) of a function
// given memoryMB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MiB): that memory less an eighth of it, and
// at least 64 MiB, for what the runtime's limit does not count (the binary's mapped pages) and for
// the runtime overshooting it. Lambda ends a function that uses more than its memory
// (Runtime.OutOfMemory) and sets no GOMEMLIMIT, so without a limit the collector let the heap grow
// to twice what is live (GOGC=100) whatever the memory was: near the memory, it now collects more
// often instead. 0 (no limit set) when memoryMB is not known or the environment sets GOMEMLIMIT
// itself, which the runtime has read and which stays.
func memoryLimit(memoryMB int, goMemLimit string) int64 {
	if memoryMB <= 0 || goMemLimit != "" {
		return 0
	}
	const mib = 1 << 20
	return int64(memoryMB)*mib - max(64*mib, int64(memoryMB)*mib/8)
}

// newLogger is the functions' logger: JSON lines on w at level, each naming the function and,
// when logged with an invocation's context, its ids (invocationIDs).
func newLogger(w io.Writer, level slog.Leveler, name string) *slog.Logger {
	return slog.New(invocationIDs{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})}).With("function", name)
}

// invocationIDs adds to every record logged with an invocation's context the ids that tie it to
// the invocation: requestId, Lambda's (the one its START, END and REPORT lines name, so that a
// Logs Insights query on an error line finds the invocation's other lines and its duration),
// and in the api function apiRequestId, API Gateway's (the stage's access log line of the
// request names it as requestId).
type invocationIDs struct{ slog.Handler }

func (h invocationIDs) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	if id := handlers.APIRequestID(ctx); id != "" {
		r.AddAttrs(slog.String("apiRequestId", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h invocationIDs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return invocationIDs{h.Handler.WithAttrs(attrs)}
}

func (h invocationIDs) WithGroup(name string) slog.Handler {
	return invocationIDs{h.Handler.WithGroup(name)}
}

// Warm loads the analysers' lazily loaded models (analysis.Registry.Warm) during the cold
// start, for the functions that analyse documents; on failure it reports the init error and
// exits.
func Warm(svc *pipeline.Service, log *slog.Logger) {
	if err := svc.WarmAnalysers(); err != nil {
		fail(log, err)
	}
}

// fail logs err, reports it as the init error and exits.
func fail(log *slog.Logger, err error) {
	var attrs []any
	var ee *reamaws.EnvError
	switch {
	case errors.As(err, &ee):
		if len(ee.Missing) > 0 {
			attrs = append(attrs, "missing", ee.Missing)
		}
		if len(ee.Invalid) > 0 {
			attrs = append(attrs, "invalid", ee.Invalid)
		}
	default:
		attrs = append(attrs, "err", err.Error())
	}
	log.Error("cannot start: "+err.Error(), attrs...)
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
		if rerr := reportInitError(api, err); rerr != nil {
			log.Warn("could not report the init error to the Runtime API", "err", rerr.Error())
		}
	}
	os.Exit(1)
}

// errorType is the Lambda error type of a failed cold start.
const errorType = "Runtime.ConfigurationError"

// reportInitError posts err to the Runtime API, so that the invocation that triggered the cold
// start fails with this message rather than a bare "Runtime.ExitError".
func reportInitError(api string, err error) error {
	body, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": errorType})
	req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return rerr
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, rerr := client.Do(req)
	if rerr != nil {
		return rerr
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return errors.New("init/error: unexpected status " + resp.Status)
	}
	return nil
}
