package aws

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// ReleaseAPI is what Releaser needs of the SQS client.
type ReleaseAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// Releaser makes messages of a Lambda SQS batch visible again at once (handlers.Releaser): a
// visibility timeout of 0 for each, by ChangeMessageVisibilityBatch (10 at a time) on the queue
// its EventSourceARN names, whose URL is looked up once (GetQueueUrl) and kept. The event
// source's role already may do both (queue.GrantConsumeMessages).
type Releaser struct {
	sqs  ReleaseAPI
	mu   sync.Mutex
	urls map[string]string // queue ARN → URL
}

// NewReleaser returns a Releaser over client.
func NewReleaser(client ReleaseAPI) *Releaser {
	return &Releaser{sqs: client, urls: map[string]string{}}
}

// Release sets the visibility timeout of msgs to 0.
func (r *Releaser) Release(ctx context.Context, msgs []events.SQSMessage) error {
	byQueue := map[string][]events.SQSMessage{}
	var order []string
	for _, m := range msgs {
		if _, ok := byQueue[m.EventSourceARN]; !ok {
			order = append(order, m.EventSourceARN)
		}
		byQueue[m.EventSourceARN] = append(byQueue[m.EventSourceARN], m)
	}
	var errs []error
	for _, queue := range order {
		url, err := r.url(ctx, queue)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ms := byQueue[queue]
		for start := 0; start < len(ms); start += 10 {
			batch := ms[start:min(start+10, len(ms))]
			entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(batch))
			for i, m := range batch {
				entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: sdkaws.String(strconv.Itoa(i)), ReceiptHandle: sdkaws.String(m.ReceiptHandle), VisibilityTimeout: 0}
			}
			out, err := r.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: sdkaws.String(url), Entries: entries})
			if err != nil {
				errs = append(errs, fmt.Errorf("change message visibility: %w", err))
				continue
			}
			for _, f := range out.Failed {
				errs = append(errs, fmt.Errorf("change message visibility of entry %s: %s", sdkaws.ToString(f.Id), sdkaws.ToString(f.Message)))
			}
		}
	}
	return errors.Join(errs...)
}

// url is the URL of the queue with ARN queueARN (arn:aws:sqs:<region>:<account>:<name>).
func (r *Releaser) url(ctx context.Context, queueARN string) (string, error) {
	r.mu.Lock()
	u, ok := r.urls[queueARN]
	r.mu.Unlock()
	if ok {
		return u, nil
	}
	a, err := arn.Parse(queueARN)
	if err != nil || a.Service != "sqs" || a.Resource == "" {
		return "", fmt.Errorf("event source %q is not an SQS queue ARN", queueARN)
	}
	out, err := r.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: sdkaws.String(a.Resource), QueueOwnerAWSAccountId: sdkaws.String(a.AccountID)})
	if err != nil {
		return "", fmt.Errorf("queue URL of %s: %w", queueARN, err)
	}
	u = sdkaws.ToString(out.QueueUrl)
	r.mu.Lock()
	r.urls[queueARN] = u
	r.mu.Unlock()
	return u, nil
}
