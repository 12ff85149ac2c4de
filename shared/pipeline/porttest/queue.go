package porttest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/pipeline"
)

// Received is one message handed out by a queue's receive side.
type Received struct {
	ID string
	// Receipt identifies this delivery; only the latest delivery's receipt deletes the message
	// or changes its visibility.
	Receipt string
	Body    []byte
	// ReceiveCount is how many times the message has been delivered, this time included.
	ReceiveCount int
}

// QueueUnderTest is a pipeline.Queue plus the receive side that workers (or the Lambda event
// source mapping) use. The local SQLite queue and the SQS adapter each provide one.
type QueueUnderTest interface {
	pipeline.Queue
	// Receive claims up to max visible messages (max is at most 10) and hides them for
	// visibility. It returns at once, possibly with no messages.
	Receive(ctx context.Context, max int, visibility time.Duration) ([]Received, error)
	// Delete removes the message the receipt was issued for. A receipt from an earlier delivery
	// of a message that has been delivered again since does not delete it.
	Delete(ctx context.Context, receipt string) error
	// ChangeVisibility makes the in-flight message visible again after d (0: now).
	ChangeVisibility(ctx context.Context, receipt string, d time.Duration) error
	// DeadLetters lists the messages moved to the dead-letter queue.
	DeadLetters(ctx context.Context) ([]Received, error)
	// Waiting is how many messages wait to be received (not those in flight); SQS's figure is
	// approximate, so the tests allow it a moment to settle.
	Waiting(ctx context.Context) (int64, error)
}

// TestQueue runs the conformance suite for a queue. newQueue is called once per subtest and must
// return an empty queue whose messages are moved to its dead-letter queue once they have been
// received maxReceive times (SQS's maxReceiveCount). If the queue implements TimeTraveler,
// visibility timeouts elapse by advancing its clock; otherwise the suite sleeps.
func TestQueue(t *testing.T, newQueue func(t *testing.T, maxReceive int) QueueUnderTest) {
	t.Run("SendReceiveDelete", func(t *testing.T) { qSendReceiveDelete(t, newQueue(t, 3)) })
	t.Run("ReappearsAfterVisibilityTimeout", func(t *testing.T) { qReappears(t, newQueue(t, 5)) })
	t.Run("ChangeVisibilityZero", func(t *testing.T) { qChangeVisibility(t, newQueue(t, 5)) })
	t.Run("StaleReceiptDoesNotDelete", func(t *testing.T) { qStaleReceipt(t, newQueue(t, 5)) })
	t.Run("DeadLetterAfterMaxReceives", func(t *testing.T) { qDeadLetter(t, newQueue(t, 2)) })
	t.Run("BatchDeliveredOnce", func(t *testing.T) { qBatch(t, newQueue(t, 3)) })
}

// long is a visibility timeout no test outlives.
const long = 5 * time.Minute

func shardMsgs(n int, tag string) []pipeline.ShardMessage {
	out := make([]pipeline.ShardMessage, n)
	for i := range out {
		out[i] = pipeline.ShardMessage{Tenant: "t-" + tag, JobId: "job-" + tag, Index: i, Key: "inputs/t/" + tag, Start: int64(i * 100), End: int64(i*100 + 100)}
	}
	return out
}

func decode(t *testing.T, r Received) pipeline.ShardMessage {
	t.Helper()
	var m pipeline.ShardMessage
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("message body %q is not a ShardMessage: %v", r.Body, err)
	}
	return m
}

func send(t *testing.T, q QueueUnderTest, msgs []pipeline.ShardMessage) {
	t.Helper()
	if err := q.Send(context.Background(), msgs); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

func receive(t *testing.T, q QueueUnderTest, max int, vis time.Duration) []Received {
	t.Helper()
	got, err := q.Receive(context.Background(), max, vis)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(got) > max {
		t.Fatalf("Receive(%d) returned %d messages", max, len(got))
	}
	return got
}

// receiveOne polls until one message arrives (queues such as SQS may take a moment to make a
// sent message visible); it fails after patience.
func receiveOne(t *testing.T, q QueueUnderTest, vis time.Duration) Received {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		if got := receive(t, q, 1, vis); len(got) == 1 {
			return got[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message became visible within %v", patience)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expectNone checks that nothing is visible right now.
func expectNone(t *testing.T, q QueueUnderTest, why string) {
	t.Helper()
	if got := receive(t, q, 10, long); len(got) != 0 {
		t.Fatalf("%s: received %d message(s), want none (first: %s, count %d)", why, len(got), got[0].Body, got[0].ReceiveCount)
	}
}

func qSendReceiveDelete(t *testing.T, q QueueUnderTest) {
	ctx := context.Background()
	if err := q.Send(ctx, nil); err != nil {
		t.Fatalf("Send(nil): %v", err)
	}
	want := shardMsgs(1, uniq(t))[0]
	want.Files = []string{"a.txt", "b.txt"}
	send(t, q, []pipeline.ShardMessage{want})
	waiting(t, q, 1, "after one Send")
	r := receiveOne(t, q, long)
	if r.ID == "" || r.Receipt == "" || r.ReceiveCount != 1 {
		t.Fatalf("received %+v, want an id, a receipt and ReceiveCount 1", r)
	}
	got := decode(t, r)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("received %+v, want %+v", got, want)
	}
	expectNone(t, q, "while the message is in flight")
	waiting(t, q, 0, "while the message is in flight")
	if err := q.Delete(ctx, r.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := q.ChangeVisibility(ctx, r.Receipt, 0); err == nil {
		// Some implementations accept it for a deleted message; what matters is that it does
		// not come back.
		t.Logf("ChangeVisibility on a deleted message succeeded")
	}
	expectNone(t, q, "after Delete")
}

// waiting checks that q's Waiting settles at want within a few seconds.
func waiting(t *testing.T, q QueueUnderTest, want int64, when string) {
	t.Helper()
	var n int64
	var err error
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if n, err = q.Waiting(context.Background()); err == nil && n == want || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || n != want {
		t.Fatalf("Waiting %s = %d, %v; want %d", when, n, err, want)
	}
}

func qReappears(t *testing.T, q QueueUnderTest) {
	tag := uniq(t)
	send(t, q, shardMsgs(1, tag))
	first := receiveOne(t, q, time.Second)
	passTime(q, 1500*time.Millisecond)
	again := receiveOne(t, q, long)
	if again.ID != first.ID || decode(t, again).JobId != "job-"+tag {
		t.Fatalf("a different message came back: %+v", again)
	}
	if again.ReceiveCount != 2 {
		t.Fatalf("ReceiveCount after a redelivery = %d, want 2", again.ReceiveCount)
	}
	if again.Receipt == first.Receipt {
		t.Fatalf("the redelivery reused the receipt %q", first.Receipt)
	}
	if err := q.Delete(context.Background(), again.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	expectNone(t, q, "after Delete")
}

func qChangeVisibility(t *testing.T, q QueueUnderTest) {
	send(t, q, shardMsgs(1, uniq(t)))
	first := receiveOne(t, q, long)
	expectNone(t, q, "while the message is in flight")
	if err := q.ChangeVisibility(context.Background(), first.Receipt, 0); err != nil {
		t.Fatalf("ChangeVisibility(0): %v", err)
	}
	again := receiveOne(t, q, long)
	if again.ID != first.ID || again.ReceiveCount != 2 {
		t.Fatalf("after ChangeVisibility(0): %+v, want %s with ReceiveCount 2", again, first.ID)
	}
	// Extending works too: the message stays hidden.
	if err := q.ChangeVisibility(context.Background(), again.Receipt, long); err != nil {
		t.Fatalf("ChangeVisibility(long): %v", err)
	}
	expectNone(t, q, "after extending the visibility")
	if err := q.Delete(context.Background(), again.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}
}

func qStaleReceipt(t *testing.T, q QueueUnderTest) {
	ctx := context.Background()
	send(t, q, shardMsgs(1, uniq(t)))
	first := receiveOne(t, q, long)
	if err := q.ChangeVisibility(ctx, first.Receipt, 0); err != nil {
		t.Fatalf("ChangeVisibility(0): %v", err)
	}
	second := receiveOne(t, q, long)
	// The first delivery's worker finishes late: its receipt must not delete the message that
	// another worker now holds. (SQS accepts the call but keeps the message; an error is fine too.)
	_ = q.Delete(ctx, first.Receipt)
	if err := q.ChangeVisibility(ctx, second.Receipt, 0); err != nil {
		t.Fatalf("the stale receipt deleted the redelivered message: ChangeVisibility with the current receipt: %v", err)
	}
	third := receiveOne(t, q, long)
	if third.ID != first.ID || third.ReceiveCount != 3 {
		t.Fatalf("after a stale Delete: %+v, want %s again with ReceiveCount 3", third, first.ID)
	}
	if err := q.Delete(ctx, third.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	expectNone(t, q, "after Delete with the current receipt")
}

func qDeadLetter(t *testing.T, q QueueUnderTest) {
	ctx := context.Background()
	tag := uniq(t)
	send(t, q, shardMsgs(1, tag))
	var id string
	for i := 1; i <= 2; i++ {
		r := receiveOne(t, q, long)
		if r.ReceiveCount != i {
			t.Fatalf("delivery %d has ReceiveCount %d", i, r.ReceiveCount)
		}
		id = r.ID
		// The worker fails: the message becomes visible again.
		if err := q.ChangeVisibility(ctx, r.Receipt, 0); err != nil {
			t.Fatalf("ChangeVisibility(0): %v", err)
		}
	}
	// The third receive attempt moves it to the dead-letter queue instead of delivering it.
	deadline := time.Now().Add(patience)
	for {
		if got := receive(t, q, 10, long); len(got) != 0 {
			t.Fatalf("a message received maxReceive times was delivered again (ReceiveCount %d)", got[0].ReceiveCount)
		}
		dead, err := q.DeadLetters(ctx)
		if err != nil {
			t.Fatalf("DeadLetters: %v", err)
		}
		if len(dead) == 1 {
			if dead[0].ID != id || decode(t, dead[0]).JobId != "job-"+tag {
				t.Fatalf("dead letter %+v is not the poison message %s", dead[0], id)
			}
			break
		}
		if len(dead) > 1 {
			t.Fatalf("DeadLetters returned %d messages, want 1", len(dead))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message never reached the dead-letter queue")
		}
		time.Sleep(100 * time.Millisecond)
	}
	expectNone(t, q, "after dead-lettering")
}

func qBatch(t *testing.T, q QueueUnderTest) {
	const n = 25
	tag := uniq(t)
	send(t, q, shardMsgs(n, tag))
	seen := map[int]int{}
	ids := map[string]bool{}
	deadline := time.Now().Add(patience)
	for len(seen) < n {
		got := receive(t, q, 10, long)
		for _, r := range got {
			m := decode(t, r)
			if m.JobId != "job-"+tag {
				t.Fatalf("foreign message %+v", m)
			}
			seen[m.Index]++
			if ids[r.ID] {
				t.Fatalf("message %s delivered twice", r.ID)
			}
			ids[r.ID] = true
			if err := q.Delete(context.Background(), r.Receipt); err != nil {
				t.Fatalf("Delete: %v", err)
			}
		}
		if len(got) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d messages delivered", len(seen), n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for i := 0; i < n; i++ {
		if seen[i] != 1 {
			t.Errorf("message %d delivered %d times", i, seen[i])
		}
	}
	expectNone(t, q, "after deleting the whole batch")
}
