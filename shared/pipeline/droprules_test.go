package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/message"
	"github.com/ream-dev/ream/shared/pipeline/request"
)

func TestDropToken(t *testing.T) {
	a := DropToken(CreatedObject{Key: "inputs/t/drop/r/a.txt", ETag: "e1"})
	if request.CheckNameAndToken("", a) != nil || !strings.HasPrefix(a, "drop-") {
		t.Fatalf("token %q is not a valid ClientRequestToken", a)
	}
	if a != DropToken(CreatedObject{Key: "inputs/t/drop/r/a.txt", ETag: "e1"}) {
		t.Error("the same object version gave two tokens")
	}
	for _, o := range []CreatedObject{
		{Key: "inputs/t/drop/r/a.txt", ETag: "e2"},
		{Key: "inputs/t/drop/r/a.txt", ETag: "e1", VersionId: "v1"},
		{Key: "inputs/t/drop/r/b.txt", ETag: "e1"},
		{Key: "inputs/t/drop/r/a.txte", ETag: "1"}, // fields are separated
	} {
		if DropToken(o) == a {
			t.Errorf("%+v has the token of another version", o)
		}
	}
}

// TestCheckJobTopic: a job may name as its NotificationChannel only a topic whose name starts
// with the deployment's prefix, so that the stack's functions need sns:Publish on those topics
// alone (found from outside: they could publish to any topic of the account, a confused deputy).
func TestCheckJobTopic(t *testing.T) {
	cfg := Config{JobTopicPrefix: "ream-", JobTopicRegion: "eu-west-1", JobTopicAccount: "123456789012"}
	topic := func(region, account, name string) *job.NotificationChannel {
		return &job.NotificationChannel{SNSTopicArn: "arn:aws:sns:" + region + ":" + account + ":" + name}
	}
	if err := checkJobTopic(cfg, "t", nil); err != nil {
		t.Errorf("no channel: %v", err)
	}
	if err := checkJobTopic(cfg, "t", topic("eu-west-1", "123456789012", "ream-done")); err != nil {
		t.Errorf("a topic with the prefix: %v", err)
	}
	// Textract's shape, with the RoleArn it requires (recorded, never assumed).
	withRole := topic("eu-west-1", "123456789012", "ream-done")
	withRole.RoleArn = "arn:aws:iam::123456789012:role/TextractSNS"
	if err := checkJobTopic(cfg, "t", withRole); err != nil {
		t.Errorf("a topic with a RoleArn: %v", err)
	}
	for _, nc := range []*job.NotificationChannel{
		topic("eu-west-1", "123456789012", "alarms"), topic("eu-west-1", "123456789012", "other-team-ream-x"),
		topic("eu-west-1", "123456789012", "Ream-done"), topic("us-east-1", "123456789012", "ream-done"),
		topic("eu-west-1", "999999999999", "ream-done"),
	} {
		if err := checkJobTopic(cfg, "t", nc); !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), `"ream-"`) {
			t.Errorf("%s: %v, want a 400 naming the prefix", nc.SNSTopicArn, err)
		}
	}
	if err := checkJobTopic(Config{JobTopicPrefix: "ream-"}, "t", topic("us-east-1", "999999999999", "ream-done")); err != nil {
		t.Errorf("region and account unknown: %v", err)
	}
	if err := checkJobTopic(Config{}, "t", topic("eu-west-1", "123456789012", "ream-done")); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("a deployment without SNS: %v", err)
	}
	// Bound to tenants, a job may name only its own tenant's topics (any tenant could name
	// another's before, found from outside).
	per := cfg
	per.JobTopicPerTenant = true
	const tenant = "123456789012-0a1b2c3d4e5f6a7b"
	if err := checkJobTopic(per, tenant, topic("eu-west-1", "123456789012", "ream-"+tenant+"-done")); err != nil {
		t.Errorf("the tenant's own topic: %v", err)
	}
	if err := checkJobTopic(per, "team.a", topic("eu-west-1", "123456789012", "ream-team-a-done")); err != nil {
		t.Errorf("a tenant with a dot: %v", err)
	}
	for _, name := range []string{"ream-done", "ream-123456789012-ffffffffffffffff-done", "ream-" + tenant} {
		if err := checkJobTopic(per, tenant, topic("eu-west-1", "123456789012", name)); !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), `"ream-`+tenant+`-"`) {
			t.Errorf("%s: %v, want a 400 naming the tenant's prefix", name, err)
		}
	}
}

// TestInputChangedAdvice: a job whose input changed under it says what to do about the new
// input; for a drop job, the new version already started a job of its own (found from outside:
// a drop job's Message said to submit one).
func TestInputChangedAdvice(t *testing.T) {
	if got := message.InputChangedAdvice(&job.Job{}); got != "submit a new job for the new input" {
		t.Errorf("a job's advice: %q", got)
	}
	if got := message.InputChangedAdvice(&job.Job{DropRule: "nightly"}); got != "the new version starts a job of its own under drop rule nightly" {
		t.Errorf("a drop job's advice: %q", got)
	}
}
