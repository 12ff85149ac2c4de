package aws

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// A job a drop rule started is published with the rule as the dropRule attribute (subscribers
// can filter on it) and with DropRule and DropObject in the message.
func TestPublishDropRule(t *testing.T) {
	f := &fakeSNS{}
	note := api.Notification{JobId: "j1", Tenant: "acme", JobStatus: job.Completed, DropRule: "nightly",
		DropObject: job.DropObject{Key: "inputs/acme/drop/nightly/a.txt", ETag: "abc"}}
	if err := NewNotifier(f, "arn:default").Publish(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	if len(f.in) != 1 || sdkaws.ToString(f.in[0].MessageAttributes[AttrDropRule].StringValue) != "nightly" {
		t.Fatalf("attributes %+v", f.in[0].MessageAttributes)
	}
	var back api.Notification
	if err := json.Unmarshal([]byte(sdkaws.ToString(f.in[0].Message)), &back); err != nil || back.DropRule != "nightly" || back.DropObject != note.DropObject {
		t.Fatalf("message %s: %v", sdkaws.ToString(f.in[0].Message), err)
	}
	// Other jobs carry neither.
	note.DropRule, note.DropObject = "", job.DropObject{}
	if err := NewNotifier(f, "arn:default").Publish(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.in[1].MessageAttributes[AttrDropRule]; ok {
		t.Error("an empty dropRule attribute was sent (SNS refuses empty values)")
	}
	if msg := sdkaws.ToString(f.in[1].Message); json.Valid([]byte(msg)) && (strings.Contains(msg, "DropRule") || strings.Contains(msg, "DropObject")) {
		t.Errorf("a job without a drop rule is published with drop fields: %s", msg)
	}
}
