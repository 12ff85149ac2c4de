package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSAdminAPI is the part of the SQS client CreateQueues and DeleteQueues call.
type SQSAdminAPI interface {
	CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, opts ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	DeleteQueue(ctx context.Context, in *sqs.DeleteQueueInput, opts ...func(*sqs.Options)) (*sqs.DeleteQueueOutput, error)
}

// Queues are a queue and its dead-letter queue.
type Queues struct {
	URL, ARN       string
	DLQURL, DLQARN string
}

// CreateQueues creates the queue name and its dead-letter queue name+"-dlq", wired with a
// RedrivePolicy: a message received maxReceive times moves to the dead-letter queue on its next
// receive. It is meant for tests and emulators; deployments create the queues with CDK.
func CreateQueues(ctx context.Context, client SQSAdminAPI, name string, maxReceive int) (Queues, error) {
	var q Queues
	var err error
	if q.DLQURL, q.DLQARN, err = createQueue(ctx, client, name+"-dlq", nil); err != nil {
		return q, err
	}
	policy, err := json.Marshal(map[string]string{
		"deadLetterTargetArn": q.DLQARN,
		"maxReceiveCount":     strconv.Itoa(maxReceive),
	})
	if err != nil {
		return q, err
	}
	q.URL, q.ARN, err = createQueue(ctx, client, name, map[string]string{
		string(types.QueueAttributeNameRedrivePolicy): string(policy),
	})
	return q, err
}

func createQueue(ctx context.Context, client SQSAdminAPI, name string, attrs map[string]string) (url, arn string, err error) {
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: attrs})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	url = sdkaws.ToString(out.QueueUrl)
	arn, err = QueueARN(ctx, client, url)
	return url, arn, err
}

// QueueARN returns the ARN of the queue at url.
func QueueARN(ctx context.Context, client SQSAdminAPI, url string) (string, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("queue ARN of %s: %w", url, err)
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", fmt.Errorf("queue ARN of %s: not returned", url)
	}
	return arn, nil
}

// DeleteQueues deletes both queues (tests' cleanup).
func DeleteQueues(ctx context.Context, client SQSAdminAPI, q Queues) error {
	for _, url := range []string{q.URL, q.DLQURL} {
		if url == "" {
			continue
		}
		if _, err := client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: sdkaws.String(url)}); err != nil {
			return fmt.Errorf("delete queue %s: %w", url, err)
		}
	}
	return nil
}
