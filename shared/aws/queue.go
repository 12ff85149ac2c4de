package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ream-dev/ream/shared/pipeline"
)

// SQSAPI is the part of the SQS client the Queue adapter calls: SendMessageBatch for Send, and
// the receive side (ReceiveMessage, DeleteMessage, ChangeMessageVisibility) that Lambda's event
// source mapping uses in AWS and that tests and the emulator poller use directly.
type SQSAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// SQS limits on one SendMessageBatch.
const (
	maxBatchEntries = 10
	maxBatchBytes   = 256 * 1024
)

// Queue is pipeline.Queue on an SQS queue, plus the receive side of the queue and its
// dead-letter queue.
type Queue struct {
	sqs      SQSAPI
	url      string
	dlq      string
	attempts int
	backoff  time.Duration
}

var _ pipeline.Queue = (*Queue)(nil)

// QueueOption configures NewQueue.
type QueueOption func(*Queue)

// WithDeadLetterQueue names the dead-letter queue DeadLetters reads.
func WithDeadLetterQueue(url string) QueueOption { return func(q *Queue) { q.dlq = url } }

// WithSendRetries sets how many times Send tries an entry SQS failed (at least 1; 5 by
// default) and the first backoff between tries (doubling, jittered; 50ms by default).
func WithSendRetries(attempts int, backoff time.Duration) QueueOption {
	return func(q *Queue) { q.attempts, q.backoff = max(attempts, 1), backoff }
}

// NewQueue returns the queue at queueURL (as CreateQueue or GetQueueUrl returned it).
func NewQueue(client SQSAPI, queueURL string, opts ...QueueOption) *Queue {
	q := &Queue{sqs: client, url: queueURL, attempts: 5, backoff: 50 * time.Millisecond}
	for _, o := range opts {
		o(q)
	}
	return q
}

// URL returns the queue's URL.
func (q *Queue) URL() string { return q.url }

// Waiting is the queue's ApproximateNumberOfMessages: messages waiting to be received (SQS's
// estimate; those in flight are not counted).
func (q *Queue) Waiting(ctx context.Context) (int64, error) {
	out, err := q.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &q.url,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return 0, fmt.Errorf("queue attributes: %w", err)
	}
	n, err := strconv.ParseInt(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("queue attributes: ApproximateNumberOfMessages: %w", err)
	}
	return n, nil
}

// Send implements pipeline.Queue: the messages go as JSON bodies in SendMessageBatch calls of
// at most 10 entries and 256 KiB. Entries SQS reports as failed are sent again (only those),
// with jittered exponential backoff, up to the configured attempts; a sender-fault failure
// (a malformed entry, which no retry can fix) is returned at once.
func (q *Queue) Send(ctx context.Context, msgs []pipeline.ShardMessage) error {
	var batch []types.SendMessageBatchRequestEntry
	size := 0
	for i, m := range msgs {
		body, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("send shard %d of job %s: %w", m.Index, m.JobId, err)
		}
		if len(body) > maxBatchBytes {
			return fmt.Errorf("send shard %d of job %s: message of %d bytes exceeds SQS's %d", m.Index, m.JobId, len(body), maxBatchBytes)
		}
		if len(batch) == maxBatchEntries || size+len(body) > maxBatchBytes {
			if err := q.sendBatch(ctx, batch); err != nil {
				return err
			}
			batch, size = nil, 0
		}
		// The job's group: an SQS fair queue (a standard queue given MessageGroupId) then keeps
		// one job's backlog from holding back the others', as the local queue does.
		batch = append(batch, types.SendMessageBatchRequestEntry{Id: sdkaws.String(strconv.Itoa(i)), MessageBody: sdkaws.String(string(body)), MessageGroupId: sdkaws.String(m.Group())})
		size += len(body)
	}
	if len(batch) > 0 {
		return q.sendBatch(ctx, batch)
	}
	return nil
}

func (q *Queue) sendBatch(ctx context.Context, entries []types.SendMessageBatchRequestEntry) error {
	backoff := q.backoff
	for attempt := 1; ; attempt++ {
		out, err := q.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q.url, Entries: entries})
		if err != nil {
			// The SDK already retried transient errors; the whole call failed.
			return fmt.Errorf("send %d shard messages: %w", len(entries), err)
		}
		if len(out.Failed) == 0 {
			return nil
		}
		failed := map[string]types.BatchResultErrorEntry{}
		var msgs []string
		for _, f := range out.Failed {
			id := sdkaws.ToString(f.Id)
			failed[id] = f
			msgs = append(msgs, fmt.Sprintf("%s: %s %s", id, sdkaws.ToString(f.Code), sdkaws.ToString(f.Message)))
			if f.SenderFault {
				return fmt.Errorf("send shard messages: entry refused: %s", strings.Join(msgs, "; "))
			}
		}
		if attempt >= q.attempts {
			return fmt.Errorf("send shard messages: %d entries still failing after %d attempts: %s", len(failed), attempt, strings.Join(msgs, "; "))
		}
		var retry []types.SendMessageBatchRequestEntry
		for _, e := range entries {
			if _, ok := failed[sdkaws.ToString(e.Id)]; ok {
				retry = append(retry, e)
			}
		}
		entries = retry
		if backoff > 0 {
			if err := sleep(ctx, backoff/2+rand.N(backoff)); err != nil {
				return err
			}
		}
		backoff *= 2
	}
}

// Message is one delivery from Receive or DeadLetters.
type Message struct {
	ID string
	// Receipt identifies this delivery (SQS's receipt handle).
	Receipt string
	Body    []byte
	// ReceiveCount is SQS's ApproximateReceiveCount: deliveries so far, this one included.
	ReceiveCount int
	// Attributes are the message's String and Number message attributes (for instance those
	// of an SNS notification delivered with raw message delivery).
	Attributes map[string]string
}

// Receive claims up to n (1..10) visible messages and hides them for visibility (rounded up
// to whole seconds). It does not wait for messages (WaitTimeSeconds 0).
func (q *Queue) Receive(ctx context.Context, n int, visibility time.Duration) ([]Message, error) {
	return q.receive(ctx, q.url, n, visibility)
}

func (q *Queue) receive(ctx context.Context, url string, n int, visibility time.Duration) ([]Message, error) {
	n = min(maxBatchEntries, max(1, n))
	out, err := q.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    &url,
		MaxNumberOfMessages:         int32(n),
		VisibilityTimeout:           seconds(visibility),
		WaitTimeSeconds:             0,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", url, err)
	}
	msgs := make([]Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		n, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		msg := Message{
			ID: sdkaws.ToString(m.MessageId), Receipt: sdkaws.ToString(m.ReceiptHandle),
			Body: []byte(sdkaws.ToString(m.Body)), ReceiveCount: n,
		}
		for k, v := range m.MessageAttributes {
			if v.StringValue != nil {
				if msg.Attributes == nil {
					msg.Attributes = map[string]string{}
				}
				msg.Attributes[k] = *v.StringValue
			}
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// seconds rounds d up to whole seconds, within SQS's 0..12h.
func seconds(d time.Duration) int32 {
	s := math.Ceil(d.Seconds())
	return int32(min(max(s, 0), 12*3600))
}

// Delete deletes the message the receipt was issued for.
func (q *Queue) Delete(ctx context.Context, receipt string) error {
	if _, err := q.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.url, ReceiptHandle: &receipt}); err != nil {
		return fmt.Errorf("delete message: %w", err)
	}
	return nil
}

// ChangeVisibility makes the in-flight message visible again after d (0: now).
func (q *Queue) ChangeVisibility(ctx context.Context, receipt string, d time.Duration) error {
	if _, err := q.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: &q.url, ReceiptHandle: &receipt, VisibilityTimeout: seconds(d),
	}); err != nil {
		return fmt.Errorf("change message visibility: %w", err)
	}
	return nil
}

// ErrNoDeadLetterQueue is returned by DeadLetters when the queue was built without
// WithDeadLetterQueue.
var ErrNoDeadLetterQueue = errors.New("no dead-letter queue configured")

// DeadLetters lists the messages in the dead-letter queue. It receives them all (hiding each
// for a moment so one listing sees each message once) and then makes them visible again, so
// listing does not consume them; it does raise their receive count in the dead-letter queue.
func (q *Queue) DeadLetters(ctx context.Context) ([]Message, error) {
	if q.dlq == "" {
		return nil, ErrNoDeadLetterQueue
	}
	var out []Message
	defer func() {
		for _, m := range out {
			_, _ = q.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: &q.dlq, ReceiptHandle: sdkaws.String(m.Receipt), VisibilityTimeout: 0,
			})
		}
	}()
	for {
		got, err := q.receive(ctx, q.dlq, maxBatchEntries, 30*time.Second)
		if err != nil {
			return nil, err
		}
		if len(got) == 0 {
			return out, nil
		}
		out = append(out, got...)
	}
}
