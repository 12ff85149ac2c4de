package aws_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/pipeline/porttest"
)

// conflictDDB is the DynamoDB client with real DynamoDB's transaction conflicts put back.
// DynamoDB Local serialises every request, so concurrent transactions on one item never
// conflict there; on real DynamoDB they do. conflictDDB reproduces the documented rules
// (Developer Guide, "Transaction conflict handling in DynamoDB"):
//
//   - a TransactWriteItems one of whose items (Put.Item / Update.Key / Delete.Key /
//     ConditionCheck.Key, identified by table, PK and SK) is part of another ongoing
//     TransactWriteItems is cancelled: a *types.TransactionCanceledException with one
//     CancellationReason per item, "TransactionConflict" on the items in flight elsewhere and
//     "None" on the others, and real DynamoDB's message;
//   - a PutItem, UpdateItem or DeleteItem of an item that is part of an ongoing
//     TransactWriteItems fails with a *types.TransactionConflictException.
//
// Rejected calls are not forwarded. A forwarded TransactWriteItems holds its items in flight for
// the call's duration plus hold, so that concurrent callers really overlap (DynamoDB Local
// answers in about a millisecond). Two single-item writes of one item never conflict (DynamoDB
// serialises them), and by default a single-item write holds nothing, so a transaction arriving
// during it is not cancelled (the documented rules do not list that case); singleWritesHold
// makes single-item writes hold their item too, the stricter model. Reads (GetItem, Query and
// any method the wrapper does not override) pass through.
type conflictDDB struct {
	// DynamoDBAPI passes through every method not overridden below, including any the
	// interface gains later (untracked).
	reamaws.DynamoDBAPI
	raw *dynamodb.Client // for single-item writes the interface may not (yet) have

	hold             time.Duration
	singleWritesHold bool

	mu       sync.Mutex
	inflight map[itemID]int // holders of each item (transactions, and single writes if singleWritesHold)

	// Counters.
	txCalls        atomic.Int64 // TransactWriteItems calls received
	txConflicts    atomic.Int64 // of which cancelled with TransactionConflict by the wrapper
	singleCalls    atomic.Int64 // PutItem/UpdateItem/DeleteItem calls received
	singleRejected atomic.Int64 // of which rejected with TransactionConflictException
}

func newConflictDDB(client *dynamodb.Client, hold time.Duration) *conflictDDB {
	return &conflictDDB{DynamoDBAPI: client, raw: client, hold: hold, inflight: map[itemID]int{}}
}

// conflicts is the number of calls the wrapper rejected.
func (w *conflictDDB) conflicts() int64 { return w.txConflicts.Load() + w.singleRejected.Load() }

type itemID struct{ table, pk, sk string }

func keyText(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return "B:" + string(v.Value)
	case nil:
		return ""
	default:
		return fmt.Sprintf("%T:%v", v, v)
	}
}

func idOf(table *string, key map[string]types.AttributeValue) itemID {
	return itemID{sdkaws.ToString(table), keyText(key["PK"]), keyText(key["SK"])}
}

func txItems(in *dynamodb.TransactWriteItemsInput) []itemID {
	ids := make([]itemID, len(in.TransactItems))
	for i, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			ids[i] = idOf(it.Put.TableName, it.Put.Item)
		case it.Update != nil:
			ids[i] = idOf(it.Update.TableName, it.Update.Key)
		case it.Delete != nil:
			ids[i] = idOf(it.Delete.TableName, it.Delete.Key)
		case it.ConditionCheck != nil:
			ids[i] = idOf(it.ConditionCheck.TableName, it.ConditionCheck.Key)
		}
	}
	return ids
}

// release drops one hold of each id after w.hold.
func (w *conflictDDB) release(ids []itemID) {
	done := func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, id := range ids {
			if w.inflight[id]--; w.inflight[id] <= 0 {
				delete(w.inflight, id)
			}
		}
	}
	if w.hold <= 0 {
		done()
		return
	}
	time.AfterFunc(w.hold, done)
}

// attemptsKey carries a *callStats through a context so that the wrapper can count the
// write calls and conflicts of one RecordShard.
type attemptsKey struct{}

type callStats struct{ writes, conflicts atomic.Int32 }

func statsOf(ctx context.Context) *callStats {
	s, _ := ctx.Value(attemptsKey{}).(*callStats)
	return s
}

func (w *conflictDDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	w.txCalls.Add(1)
	st := statsOf(ctx)
	if st != nil {
		st.writes.Add(1)
	}
	ids := txItems(in)
	w.mu.Lock()
	reasons := make([]types.CancellationReason, len(ids))
	codes := make([]string, len(ids))
	conflict := false
	for i, id := range ids {
		if w.inflight[id] > 0 {
			conflict = true
			reasons[i] = types.CancellationReason{Code: sdkaws.String("TransactionConflict"), Message: sdkaws.String("Transaction is ongoing for the item")}
			codes[i] = "TransactionConflict"
		} else {
			reasons[i] = types.CancellationReason{Code: sdkaws.String("None")}
			codes[i] = "None"
		}
	}
	if !conflict {
		for _, id := range ids {
			w.inflight[id]++
		}
	}
	w.mu.Unlock()
	if conflict {
		w.txConflicts.Add(1)
		if st != nil {
			st.conflicts.Add(1)
		}
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "TransactWriteItems", Err: &types.TransactionCanceledException{
			Message:             sdkaws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"),
			CancellationReasons: reasons,
		}}
	}
	defer w.release(ids)
	return w.DynamoDBAPI.TransactWriteItems(ctx, in, opts...)
}

// single admits a single-item write of id: nil if it may go ahead (the caller must then call
// done), or the TransactionConflictException real DynamoDB returns.
func (w *conflictDDB) single(ctx context.Context, op string, id itemID) (done func(), err error) {
	w.singleCalls.Add(1)
	st := statsOf(ctx)
	if st != nil {
		st.writes.Add(1)
	}
	w.mu.Lock()
	// Without singleWritesHold every holder is a transaction; with it a holder may also be
	// another single write, which real DynamoDB would serialise rather than reject, but the
	// stricter model rejects it too.
	busy := w.inflight[id] > 0
	if !busy && w.singleWritesHold {
		w.inflight[id]++
	}
	w.mu.Unlock()
	if busy {
		w.singleRejected.Add(1)
		if st != nil {
			st.conflicts.Add(1)
		}
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: &types.TransactionConflictException{
			Message: sdkaws.String("Transaction is ongoing for the item"),
		}}
	}
	if w.singleWritesHold {
		return func() { w.release([]itemID{id}) }, nil
	}
	return func() {}, nil
}

func (w *conflictDDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	done, err := w.single(ctx, "PutItem", idOf(in.TableName, in.Item))
	if err != nil {
		return nil, err
	}
	defer done()
	return w.raw.PutItem(ctx, in, opts...)
}

func (w *conflictDDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	done, err := w.single(ctx, "UpdateItem", idOf(in.TableName, in.Key))
	if err != nil {
		return nil, err
	}
	defer done()
	return w.raw.UpdateItem(ctx, in, opts...)
}

func (w *conflictDDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	done, err := w.single(ctx, "DeleteItem", idOf(in.TableName, in.Key))
	if err != nil {
		return nil, err
	}
	defer done()
	return w.raw.DeleteItem(ctx, in, opts...)
}

// contentionHold is how long the wrapper keeps a transaction's items in flight after the call
// returns: REAM_CONTENTION_HOLD (a Go duration) or 10ms. A transaction on real DynamoDB holds
// its items for roughly its own latency (typically around ten milliseconds); DynamoDB Local
// answers in one or two, so the hold brings the time an item is busy near the real figure.
func contentionHold(t *testing.T) time.Duration {
	t.Helper()
	if v := os.Getenv("REAM_CONTENTION_HOLD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			t.Fatalf("REAM_CONTENTION_HOLD=%q: want a Go duration", v)
		}
		return d
	}
	return 10 * time.Millisecond
}

// workerFleetClient is client with the retry budget of a fleet of workers rather than of one.
// On AWS every worker has its own client, so its own retry quota (the SDK's token bucket); here
// one client stands for a thousand workers at once, and with the default retryer their shared
// bucket drains within a second when the emulator, swamped by a thousand connections, resets some
// of them ("retry quota exceeded, 0 available"): failures of the test's shape, not of the code
// under test. The client keeps the standard retryer's backoff and only drops the shared quota and
// allows more attempts, as many workers with a quota each would have.
func workerFleetClient(client *dynamodb.Client) *dynamodb.Client {
	return dynamodb.New(client.Options(), func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.RateLimiter = ratelimit.None
			so.MaxAttempts = 10
		})
	})
}

// TestRecordShardContention runs the port's contention scenario (porttest.RecordShardContention:
// a thousand recorders of one job at once, duplicates included) through a client that fails
// overlapping transactions as real DynamoDB does, and prints what was injected.
func TestRecordShardContention(t *testing.T) {
	c := clients(t, "DYNAMODB")
	table := "ream-contention-" + uniq(t)
	if err := reamaws.CreateTable(context.Background(), c.DynamoDB, table); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := reamaws.DeleteTable(ctx, c.DynamoDB, table); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	report := func(format string, args ...any) {
		t.Helper()
		t.Logf(format, args...)
		fmt.Printf("TestRecordShardContention: "+format+"\n", args...)
	}

	n := porttest.ContentionRecorders(t)
	hold := contentionHold(t)
	w := newConflictDDB(workerFleetClient(c.DynamoDB), hold)
	calls, elapsed := porttest.RecordShardContention(t, reamaws.NewJobs(w, table), n, func(ctx context.Context) context.Context {
		return context.WithValue(ctx, attemptsKey{}, new(callStats))
	})

	var failed int
	var maxWrites, maxConflicts int32
	var maxTook time.Duration
	for _, c := range calls {
		if c.Err != nil {
			failed++
		}
		st := statsOf(c.Ctx)
		maxWrites = max(maxWrites, st.writes.Load())
		maxConflicts = max(maxConflicts, st.conflicts.Load())
		maxTook = max(maxTook, c.Took)
	}
	report("%d shards, %d RecordShard calls (%d duplicates), hold %v: %v elapsed (%.0f calls/s), slowest call %v",
		n, len(calls), len(calls)-n, hold, elapsed.Round(time.Millisecond),
		float64(len(calls))/elapsed.Seconds(), maxTook.Round(time.Millisecond))
	report("injected conflicts: %d (%d of %d TransactWriteItems cancelled, %d of %d single-item writes rejected); per RecordShard: at most %d write calls, at most %d conflicts",
		w.conflicts(), w.txConflicts.Load(), w.txCalls.Load(), w.singleRejected.Load(), w.singleCalls.Load(), maxWrites, maxConflicts)
	report("recorders that failed: %d of %d", failed, len(calls))
}
