package aws

import (
	"errors"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestCancellationRetryable: a transaction cancelled only because it met another or was
// throttled (TransactionConflict, ThrottlingError, ProvisionedThroughputExceeded) is retried;
// one whose condition failed, or that can never pass (ValidationError), is not. (Found in
// review: a ThrottlingError cancellation on a fresh partition failed a create with a 5xx,
// which the SDK's own retries do not cover.)
func TestCancellationRetryable(t *testing.T) {
	cancelled := func(codes ...string) error {
		var rs []types.CancellationReason
		for _, c := range codes {
			rs = append(rs, types.CancellationReason{Code: sdkaws.String(c)})
		}
		return &types.TransactionCanceledException{CancellationReasons: rs}
	}
	for _, tc := range []struct {
		codes []string
		retry bool
	}{
		{[]string{"None", "TransactionConflict"}, true},
		{[]string{"ThrottlingError", "None"}, true},
		{[]string{"None", "ProvisionedThroughputExceeded"}, true},
		{[]string{"ConditionalCheckFailed", "TransactionConflict"}, false},
		{[]string{"ThrottlingError", "ConditionalCheckFailed"}, false},
		{[]string{"ValidationError", "None"}, false},
		{[]string{"ThrottlingError", "ValidationError"}, false},
		{[]string{"None", "None"}, false},
	} {
		reasons, retry, ok := cancellationReasons(cancelled(tc.codes...))
		if !ok || retry != tc.retry || len(reasons) != len(tc.codes) {
			t.Errorf("cancellation %v: reasons %v, retry %v, ok %v; want retry %v", tc.codes, reasons, retry, ok, tc.retry)
		}
	}
	if _, _, ok := cancellationReasons(errors.New("other")); ok {
		t.Error("a plain error was read as a cancellation")
	}
}
