package handlers

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// TestAnyAuthNamesEveryCredential: a request without credentials is told every kind the route
// takes, not only the first (found from outside: OAuth clients of the coding API were told to
// send "Bearer <api key>").
func TestAnyAuthNamesEveryCredential(t *testing.T) {
	a := AnyAuth{NewKeyAuth(map[string]string{"k": "t"}), NewOAuth(nil, []byte("0123456789abcdef0123456789abcdef"), nil)}
	_, err := a.Tenant(httptest.NewRequest("GET", "/v1/topics", nil))
	msg := api.Message(err)
	if !errors.Is(err, job.ErrUnauthorized) || !errors.Is(err, errNoKey) || !strings.Contains(msg, "Bearer <api key>") || !strings.Contains(msg, "/oauth2/token") || strings.HasPrefix(msg, "unauthorized") {
		t.Errorf("no credentials: %v (message %q)", err, msg)
	}
	if status, _ := api.StatusOf(err); status != 401 {
		t.Errorf("status %d, want 401", status)
	}
}
