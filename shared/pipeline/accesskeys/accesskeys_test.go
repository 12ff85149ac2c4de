package accesskeys_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
)

// A key is issued with its secret once, found by its id, listed per tenant without its secret,
// and gone once revoked; an id Ream would not issue, or a bad tenant, is refused.
func TestIssueGetListRevoke(t *testing.T) {
	ctx := context.Background()
	objs, err := sl.NewObjects(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := accesskeys.New(objs)
	a, err := keys.Issue(ctx, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`).MatchString(a.AccessKeyId) || len(a.SecretAccessKey) != 40 || a.Tenant != "team-a" {
		t.Fatalf("issued %+v", a)
	}
	if _, err := keys.Issue(ctx, "team-b"); err != nil {
		t.Fatal(err)
	}
	got, err := keys.Get(ctx, a.AccessKeyId)
	if err != nil || got != a {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, a)
	}
	list, err := keys.List(ctx, "team-a")
	if err != nil || len(list) != 1 || list[0].AccessKeyId != a.AccessKeyId || list[0].SecretAccessKey != "" {
		t.Fatalf("List(team-a) = %+v, %v", list, err)
	}
	if all, err := keys.List(ctx, ""); err != nil || len(all) != 2 {
		t.Fatalf("List() = %+v, %v", all, err)
	}
	if err := keys.Revoke(ctx, a.AccessKeyId); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Get(ctx, a.AccessKeyId); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get after Revoke: %v", err)
	}
	if err := keys.Revoke(ctx, a.AccessKeyId); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Revoke twice: %v", err)
	}
	if _, err := keys.Get(ctx, "../"+strings.Repeat("A", 16)); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get of a bad id: %v", err)
	}
	if _, err := keys.Issue(ctx, "no/slash"); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("Issue for a bad tenant: %v", err)
	}
}
