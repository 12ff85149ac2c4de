package aws

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

type fakeSNS struct{ in []*sns.PublishInput }

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.in = append(f.in, in)
	return &sns.PublishOutput{MessageId: sdkaws.String("m")}, nil
}

func TestPublishAttributesAndJobTopic(t *testing.T) {
	f := &fakeSNS{}
	n := NewNotifier(f, "arn:default", WithTopicFor(func(n api.Notification) string {
		if n.Tenant == "textract-like" {
			return "arn:own"
		}
		return ""
	}))
	note := api.Notification{JobId: "j1", Tenant: "acme", JobStatus: job.PartialSuccess, InputDocumentsCount: 2}
	if err := n.Publish(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	if len(f.in) != 1 || sdkaws.ToString(f.in[0].TopicArn) != "arn:default" {
		t.Fatalf("published %d times", len(f.in))
	}
	attrs := f.in[0].MessageAttributes
	if sdkaws.ToString(attrs["status"].StringValue) != "PARTIAL_SUCCESS" || sdkaws.ToString(attrs["tenant"].StringValue) != "acme" ||
		sdkaws.ToString(attrs["status"].DataType) != "String" {
		t.Fatalf("attributes %+v", attrs)
	}
	if _, ok := attrs["jobName"]; ok {
		t.Fatal("empty jobName sent as an attribute (SNS refuses empty values)")
	}
	var back api.Notification
	if err := json.Unmarshal([]byte(sdkaws.ToString(f.in[0].Message)), &back); err != nil || back.JobId != "j1" || back.InputDocumentsCount != 2 {
		t.Fatalf("message %s: %v", sdkaws.ToString(f.in[0].Message), err)
	}

	note.Tenant, note.JobName = "textract-like", "named"
	if err := n.Publish(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	if len(f.in) != 3 || sdkaws.ToString(f.in[1].TopicArn) != "arn:default" || sdkaws.ToString(f.in[2].TopicArn) != "arn:own" {
		t.Fatalf("want the default topic then the job's own, got %d publishes", len(f.in))
	}
	if sdkaws.ToString(f.in[2].MessageAttributes["jobName"].StringValue) != "named" {
		t.Fatal("jobName attribute missing")
	}

	if err := NewNotifier(f, "").Publish(context.Background(), note); err == nil {
		t.Fatal("no topic at all was not an error")
	}
}

// refusingSNS fails publishes to one topic.
type refusingSNS struct {
	fakeSNS
	refuse string
}

func (f *refusingSNS) Publish(ctx context.Context, in *sns.PublishInput, o ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if sdkaws.ToString(in.TopicArn) == f.refuse {
		return nil, errors.New("AuthorizationError: not allowed")
	}
	return f.fakeSNS.Publish(ctx, in, o...)
}

// TestJobNotificationChannel: a job's NotificationChannel topic gets the notification after
// the deployment's topic; if only the job's topic refuses, Publish succeeds (a retry would
// publish twice to the deployment's topic); if the deployment's topic refuses, it fails.
func TestJobNotificationChannel(t *testing.T) {
	note := api.Notification{JobId: "j1", Tenant: "acme", JobStatus: job.Completed, TopicArn: "arn:aws:sns:eu-west-1:123456789012:mine"}
	f := &refusingSNS{}
	if err := NewNotifier(f, "arn:default").Publish(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	if len(f.in) != 2 || sdkaws.ToString(f.in[1].TopicArn) != note.TopicArn {
		t.Fatalf("want the default topic then the job's, got %d publishes", len(f.in))
	}
	f = &refusingSNS{refuse: note.TopicArn}
	if err := NewNotifier(f, "arn:default").Publish(context.Background(), note); err != nil {
		t.Fatalf("a refusing job topic failed the publish: %v", err)
	}
	if len(f.in) != 1 {
		t.Fatalf("%d publishes, want 1 (the default topic)", len(f.in))
	}
	f = &refusingSNS{refuse: "arn:default"}
	if err := NewNotifier(f, "arn:default").Publish(context.Background(), note); err == nil {
		t.Fatal("a refusing deployment topic must fail the publish")
	}
}

// TestFIFOTopic: a .fifo topic gets the job as its message group and a deduplication id that
// is the same for a republish of the same notification; a standard topic gets neither (SNS
// refuses them there).
func TestFIFOTopic(t *testing.T) {
	note := api.Notification{JobId: "j1", Tenant: "acme", JobStatus: job.Completed, Timestamp: 1796220559023,
		TopicArn: "arn:aws:sns:eu-west-1:123456789012:mine.fifo"}
	f := &refusingSNS{}
	for range 2 {
		if err := NewNotifier(f, "arn:aws:sns:eu-west-1:123456789012:default").Publish(context.Background(), note); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.in) != 4 {
		t.Fatalf("%d publishes, want 4", len(f.in))
	}
	if f.in[0].MessageGroupId != nil || f.in[0].MessageDeduplicationId != nil {
		t.Errorf("standard topic given a group or deduplication id")
	}
	fifo, again := f.in[1], f.in[3]
	if sdkaws.ToString(fifo.MessageGroupId) != "j1" || sdkaws.ToString(fifo.MessageDeduplicationId) == "" ||
		sdkaws.ToString(fifo.MessageDeduplicationId) != sdkaws.ToString(again.MessageDeduplicationId) {
		t.Errorf("FIFO publish: group %q, deduplication ids %q and %q", sdkaws.ToString(fifo.MessageGroupId),
			sdkaws.ToString(fifo.MessageDeduplicationId), sdkaws.ToString(again.MessageDeduplicationId))
	}
}
