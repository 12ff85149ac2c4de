package coldstart

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/ream-dev/ream/shared/handlers"
)

// lines decodes the JSON log lines in b.
func lines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestLogLinesCarryTheInvocationsIDs: every line logged with an invocation's context names
// Lambda's request id (the id of the invocation's START, END and REPORT lines), through loggers
// made With more attributes too, and the api function's lines also API Gateway's request id (the
// access log's requestId). Before, a line named neither: an error line could not be tied to its
// invocation's other lines, its duration, or the request in the access log.
func TestLogLinesCarryTheInvocationsIDs(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, slog.LevelInfo, "worker")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8f5c0b1e-lambda"})
	log.InfoContext(ctx, "direct")
	log.With("tenant", "t1", "job", "j1").WarnContext(ctx, "derived")
	log.Info("no context")
	got := lines(t, &buf)
	for i, want := range []string{"8f5c0b1e-lambda", "8f5c0b1e-lambda", ""} {
		if id, _ := got[i]["requestId"].(string); id != want {
			t.Errorf("line %d %v: requestId %q, want %q", i, got[i], id, want)
		}
		if got[i]["function"] != "worker" {
			t.Errorf("line %d %v: no function", i, got[i])
		}
	}
	if got[1]["job"] != "j1" {
		t.Errorf("derived line lost its attributes: %v", got[1])
	}

	buf.Reset()
	apiLog := newLogger(&buf, slog.LevelInfo, "api")
	h := handlers.LambdaHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiLog.ErrorContext(r.Context(), "request failed")
		w.WriteHeader(http.StatusInternalServerError)
	}))
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/jobs"}
	ev.RequestContext.RequestID = "Xy12AbCdIAMEJmA="
	ev.RequestContext.HTTP.Method = http.MethodGet
	if _, err := h(lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "api-invocation"}), ev); err != nil {
		t.Fatal(err)
	}
	line := lines(t, &buf)[0]
	if line["requestId"] != "api-invocation" || line["apiRequestId"] != "Xy12AbCdIAMEJmA=" {
		t.Errorf("api line %v: want requestId api-invocation and apiRequestId Xy12AbCdIAMEJmA=", line)
	}
}
