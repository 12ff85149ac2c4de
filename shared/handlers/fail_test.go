package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFailCancelledRequestNotAnError: a request whose client went away (its context cancelled)
// and whose handler failed on that is logged at INFO, not as an ERROR an operator must look at
// (found from outside: a restarting server logged "request failed … context canceled"); any
// other internal error is still an ERROR.
func TestFailCancelledRequestNotAnError(t *testing.T) {
	var logs bytes.Buffer
	a := NewAPI(nil, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/v1/jobs/x", nil).WithContext(ctx)
	a.Fail(httptest.NewRecorder(), r, fmt.Errorf("read job: %w", context.Canceled))
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "request cancelled") {
		t.Errorf("a cancelled request logged:\n%s", logs.String())
	}
	logs.Reset()
	a.Fail(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/jobs/x", nil), errors.New("disk on fire"))
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("an internal error logged:\n%s", logs.String())
	}
}
