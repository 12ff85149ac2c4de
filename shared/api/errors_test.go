package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestTimeIsUpIs503: a request that ran out of time (a throttled store's retries waited with the
// context) is a retryable 503 with a message that says so, not a 500 "internal error".
func TestTimeIsUpIs503(t *testing.T) {
	err := fmt.Errorf("get job: operation error DynamoDB: GetItem, %w", context.DeadlineExceeded)
	if status, code := StatusOf(err); status != http.StatusServiceUnavailable || code != CodeUnavailable {
		t.Errorf("StatusOf = %d %s, want 503 %s", status, code, CodeUnavailable)
	}
	if msg := Message(err); !strings.Contains(msg, "retry") || strings.Contains(msg, "DynamoDB") {
		t.Errorf("Message = %q, want a retry hint without the details", msg)
	}
}
