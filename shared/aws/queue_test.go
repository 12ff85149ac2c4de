package aws

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// fakeSQS records SendMessageBatch calls and fails the entries fail says to.
type fakeSQS struct {
	SQSAPI // the receive side is not used by these tests
	mu     sync.Mutex
	calls  [][]string // entry ids per call
	bodies map[string]int
	groups map[string]string // body → its MessageGroupId
	// fail decides, per call number (from 0) and entry id, whether the entry fails and
	// whether the failure is the sender's fault.
	fail func(call int, id string) (failed, sender bool)
}

func (f *fakeSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := len(f.calls)
	var ids []string
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		id := sdkaws.ToString(e.Id)
		ids = append(ids, id)
		if e.MessageGroupId != nil && !validMessageGroupId(*e.MessageGroupId) {
			// As SQS: at most 128 characters, alphanumeric and punctuation.
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: sdkaws.String("InvalidParameterValue"), SenderFault: true,
				Message: sdkaws.String("MessageGroupId " + *e.MessageGroupId + " is invalid")})
			continue
		}
		if failed, sender := f.fail(call, id); failed {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: sdkaws.String("InternalError"), SenderFault: sender})
			continue
		}
		f.bodies[sdkaws.ToString(e.MessageBody)]++
		if f.groups != nil {
			f.groups[sdkaws.ToString(e.MessageBody)] = sdkaws.ToString(e.MessageGroupId)
		}
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
	}
	f.calls = append(f.calls, ids)
	return out, nil
}

// validMessageGroupId is SQS's rule for a MessageGroupId: 1 to 128 characters, each
// alphanumeric or ASCII punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~).
func validMessageGroupId(g string) bool {
	if len(g) < 1 || len(g) > 128 {
		return false
	}
	for _, c := range g {
		if c > '~' || c <= ' ' {
			return false
		}
	}
	return true
}

func msgs(n int) []pipeline.ShardMessage {
	out := make([]pipeline.ShardMessage, n)
	for i := range out {
		out[i] = pipeline.ShardMessage{Tenant: "t", JobId: "j", Index: i, Key: "inputs/t/j", Start: int64(i), End: int64(i + 1)}
	}
	return out
}

func TestSendChunksAndRetriesOnlyFailedEntries(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		fail      func(call int, id string) (bool, bool)
		wantCalls []int // entries per call
		wantErr   string
	}{
		{"chunks of ten", 25, func(int, string) (bool, bool) { return false, false }, []int{10, 10, 5}, ""},
		{"empty", 0, func(int, string) (bool, bool) { return false, false }, nil, ""},
		{"partial failure retried", 12,
			// The first call fails entries 3 and 7; the retry (call 1) fails 7 again; call 2
			// succeeds; then the second chunk.
			func(call int, id string) (bool, bool) {
				return (call == 0 && (id == "3" || id == "7")) || (call == 1 && id == "7"), false
			}, []int{10, 2, 1, 2}, ""},
		{"sender fault not retried", 3, func(call int, id string) (bool, bool) { return id == "1", true }, []int{3}, "entry refused"},
		{"bounded retries", 2, func(call int, id string) (bool, bool) { return id == "0", false }, []int{2, 1, 1}, "still failing after 3 attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSQS{bodies: map[string]int{}, groups: map[string]string{}, fail: tt.fail}
			q := NewQueue(f, "https://sqs/q", WithSendRetries(3, 0))
			err := q.Send(context.Background(), msgs(tt.n))
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Send: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Send = %v, want an error containing %q", err, tt.wantErr)
			}
			var sizes []int
			for _, c := range f.calls {
				sizes = append(sizes, len(c))
			}
			if !equalInts(sizes, tt.wantCalls) {
				t.Fatalf("calls of %v entries, want %v", sizes, tt.wantCalls)
			}
			if tt.wantErr != "" {
				return
			}
			// Every message sent exactly once, as a ShardMessage JSON body.
			if len(f.bodies) != tt.n {
				t.Fatalf("%d distinct bodies sent, want %d", len(f.bodies), tt.n)
			}
			for body, count := range f.bodies {
				var m pipeline.ShardMessage
				if err := json.Unmarshal([]byte(body), &m); err != nil || count != 1 {
					t.Fatalf("body %q sent %d times (%v)", body, count, err)
				}
				// Each in its job's group, which an SQS fair queue delivers fairly against
				// other jobs'.
				if g := f.groups[body]; g != "t/j" {
					t.Fatalf("body %q sent with MessageGroupId %q, want the job's group t/j", body, g)
				}
			}
		})
	}
}

// TestSendGroupOfEveryTenant: every tenant id Ream accepts (up to 128 characters) gives its
// jobs' messages a MessageGroupId SQS takes (at most 128 characters), one per job.
func TestSendGroupOfEveryTenant(t *testing.T) {
	f := &fakeSQS{bodies: map[string]int{}, groups: map[string]string{}, fail: func(int, string) (bool, bool) { return false, false }}
	q := NewQueue(f, "https://sqs/q")
	long := strings.Repeat("t", 128)
	if !layout.ValidTenant(long) {
		t.Fatalf("a tenant of 128 characters is not valid; the test needs the longest tenant id")
	}
	jobs := []string{"0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
	var sent []pipeline.ShardMessage
	for _, tenant := range []string{"t", strings.Repeat("t", 91), strings.Repeat("t", 92), long} {
		for _, id := range jobs {
			sent = append(sent, pipeline.ShardMessage{Tenant: tenant, JobId: id})
		}
	}
	if err := q.Send(context.Background(), sent); err != nil {
		t.Fatalf("Send: %v", err)
	}
	seen := map[string]bool{}
	for body, g := range f.groups {
		if !validMessageGroupId(g) {
			t.Errorf("body %s sent with MessageGroupId %q (%d characters)", body, g, len(g))
		}
		if seen[g] {
			t.Errorf("two jobs share MessageGroupId %q", g)
		}
		seen[g] = true
	}
	if len(f.groups) != len(sent) {
		t.Errorf("%d messages sent, want %d", len(f.groups), len(sent))
	}
}

func TestSendChunksBySize(t *testing.T) {
	f := &fakeSQS{bodies: map[string]int{}, fail: func(int, string) (bool, bool) { return false, false }}
	q := NewQueue(f, "https://sqs/q")
	big := msgs(4)
	for i := range big {
		// Each body is about 100 KiB: at most two fit in one 256 KiB batch.
		big[i].Files = []string{strings.Repeat("f", 100*1024)}
	}
	if err := q.Send(context.Background(), big); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 2 || len(f.calls[0]) != 2 || len(f.calls[1]) != 2 {
		t.Fatalf("calls %v, want two batches of two", f.calls)
	}
	huge := msgs(1)
	huge[0].Files = []string{strings.Repeat("f", 300*1024)}
	if err := q.Send(context.Background(), huge); err == nil {
		t.Fatal("a message over 256 KiB was accepted")
	}
}

func TestSeconds(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want int32
	}{{0, 0}, {0.2, 1}, {1, 1}, {1.5, 2}, {-3, 0}, {1e9, 43200}} {
		if got := seconds(secondsDur(tt.in)); got != tt.want {
			t.Errorf("seconds(%vs) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func secondsDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
