package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/pipeline"
)

// SNSAPI is the part of the SNS client the Notifier calls.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Message attribute names set on every notification, so that subscriptions can filter with a
// FilterPolicy such as {"status": ["FAILED", "PARTIAL_SUCCESS"], "tenant": ["acme"]}.
const (
	AttrStatus  = "status"
	AttrTenant  = "tenant"
	AttrJobName = "jobName"
	// AttrDropRule is the drop rule that started the job (absent for other jobs).
	AttrDropRule = "dropRule"
)

// Notifier is pipeline.Notifier on SNS: each notification is published as its JSON
// (api.Notification's fields) with the message attributes status, tenant and jobName
// (String; jobName only when the job has a name, since SNS refuses empty attribute values).
type Notifier struct {
	sns      SNSAPI
	topic    string
	topicFor func(api.Notification) string
}

var _ pipeline.Notifier = (*Notifier)(nil)

// NotifierOption configures NewNotifier.
type NotifierOption func(*Notifier)

// WithTopicFor names, per notification, a job's own topic (as Textract's NotificationChannel
// does): when fn returns a non-empty ARN other than the default topic, the notification is
// published there too. The default is the notification's TopicArn (the job's
// NotificationChannel).
func WithTopicFor(fn func(api.Notification) string) NotifierOption {
	return func(n *Notifier) { n.topicFor = fn }
}

// NewNotifier returns the notifier publishing to topicARN (which may be empty if every
// notification goes to a topic named by WithTopicFor).
func NewNotifier(client SNSAPI, topicARN string, opts ...NotifierOption) *Notifier {
	n := &Notifier{sns: client, topic: topicARN, topicFor: func(note api.Notification) string { return note.TopicArn }}
	for _, o := range opts {
		o(n)
	}
	return n
}

// LogOwnTopicFailed is the message of the log line for a notification the job's own topic
// (NotificationChannel) refused: it is not retried (the deployment's topic has it already), so
// the deployment counts these lines, in every function's log group, into its
// NotificationFailures alarm.
const LogOwnTopicFailed = "publishing to the job's own topic failed"

// Publish implements pipeline.Notifier.
func (n *Notifier) Publish(ctx context.Context, note api.Notification) error {
	body, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("notify job %s: %w", note.JobId, err)
	}
	attrs := map[string]types.MessageAttributeValue{}
	str := func(name, v string) {
		if v != "" {
			attrs[name] = types.MessageAttributeValue{DataType: sdkaws.String("String"), StringValue: sdkaws.String(v)}
		}
	}
	str(AttrStatus, string(note.JobStatus))
	str(AttrTenant, note.Tenant)
	str(AttrJobName, note.JobName)
	str(AttrDropRule, note.DropRule)
	topics := []string{}
	if n.topic != "" {
		topics = append(topics, n.topic)
	}
	if n.topicFor != nil {
		if own := n.topicFor(note); own != "" && own != n.topic {
			topics = append(topics, own)
		}
	}
	if len(topics) == 0 {
		return fmt.Errorf("notify job %s: no topic configured", note.JobId)
	}
	for i, arn := range topics {
		in := &sns.PublishInput{
			TopicArn:          sdkaws.String(arn),
			Message:           sdkaws.String(string(body)),
			MessageAttributes: attrs,
		}
		if strings.HasSuffix(arn, ".fifo") {
			// A FIFO topic refuses a publish without a group (found from outside: a job's .fifo
			// NotificationChannel was accepted and never notified). One group per job; the
			// deduplication id is the job and its end, so a republish of the same notification
			// (the sweeper's, after a lost claim) is dropped by SNS within its 5-minute window.
			in.MessageGroupId = sdkaws.String(note.JobId)
			in.MessageDeduplicationId = sdkaws.String(note.JobId + "-" + strconv.FormatInt(note.Timestamp, 10))
		}
		_, err := n.sns.Publish(ctx, in)
		if err != nil && i > 0 && n.topic != "" {
			// The job's own topic (NotificationChannel) refused: the deployment's topic has the
			// notification already, so a retry must not publish it twice. Logged, not retried.
			slog.WarnContext(ctx, LogOwnTopicFailed, "tenant", note.Tenant, "job", note.JobId, "topic", arn, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("notify job %s on %s: %w", note.JobId, arn, err)
		}
	}
	return nil
}
