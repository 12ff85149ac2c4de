package porttest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// TestDropRules runs the conformance suite for droprule.Store. newStore is called once per
// subtest; stores may share a backend (every subtest uses its own tenants).
//
// Besides the port's doc comments, the suite pins down: every field of the rule round-trips
// (Tenant included; the template's pointers, slices and numbers as given; UpdatedAt in UTC,
// equal to the millisecond at least); Put of an existing name replaces the rule; List is by
// name and holds only the tenant's rules; another tenant's rule is ErrNotFound for Get and
// Delete, and survives them.
func TestDropRules(t *testing.T, newStore func(t *testing.T) droprule.Store) {
	t.Run("PutGetReplace", func(t *testing.T) { dropRulesPutGet(t, newStore(t)) })
	t.Run("ListByNameAndTenant", func(t *testing.T) { dropRulesList(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { dropRulesDelete(t, newStore(t)) })
}

func newDropRule(tenant, name string) api.DropRule {
	seed := int64(7)
	return api.DropRule{
		Name:     name,
		Tenant:   tenant,
		Location: "s3://bucket/inputs/" + tenant + "/drop/" + name + "/",
		Template: api.CreateJobRequest{
			JobName:             "nightly-",
			Analyses:            []job.Analysis{job.Language, job.Sentiment, job.PII},
			InputDataConfig:     job.InputDataConfig{InputFormat: job.OneDocPerLine},
			OutputDataConfig:    job.OutputDataConfig{S3Uri: "s3://bucket/outputs/" + tenant + "/nightly/"},
			LanguageCode:        "en",
			Tags:                []job.Tag{{Key: "team", Value: "support"}, {Key: "cost", Value: "42"}},
			RedactionConfig:     &job.RedactionConfig{MaskMode: "MASK", MaskCharacter: "#"},
			NotificationChannel: &job.NotificationChannel{SNSTopicArn: "arn:aws:sns:eu-west-1:123456789012:t"},
			CodingConfig:        &job.CodingConfig{Topic: "occupation"},
			RandomSeed:          &seed,
			RetentionHours:      new(48),
		},
		UpdatedAt: time.Date(2026, 11, 22, 17, 0, 0, 123_000_000, time.UTC),
	}
}

func sameDropRule(t *testing.T, what string, got, want api.DropRule) {
	t.Helper()
	if !got.UpdatedAt.Equal(want.UpdatedAt) || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("%s: UpdatedAt %v, want %v in UTC", what, got.UpdatedAt, want.UpdatedAt)
	}
	got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func dropRulesPutGet(t *testing.T, s droprule.Store) {
	ctx := context.Background()
	tenant := "t-" + uniq(t)
	r := newDropRule(tenant, "reviews_2026-11")
	if err := s.Put(ctx, r); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := s.Get(ctx, tenant, r.Name)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	sameDropRule(t, "Get", got, r)

	// Replace: the second Put wins, whole (fields it leaves out are gone).
	r2 := r
	r2.Template = api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}}
	r2.UpdatedAt = r.UpdatedAt.Add(time.Hour)
	if err := s.Put(ctx, r2); err != nil {
		t.Fatalf("Put again: %v", err)
	}
	got, err = s.Get(ctx, tenant, r.Name)
	if err != nil {
		t.Fatalf("Get after replace: %v", err)
	}
	sameDropRule(t, "Get after replace", got, r2)

	if _, err := s.Get(ctx, tenant, "missing"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get of an unknown name = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "other-"+uniq(t), r.Name); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get of another tenant's rule = %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, api.DropRule{Name: "x"}); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("Put without a tenant = %v, want ErrInvalid", err)
	}
}

func dropRulesList(t *testing.T, s droprule.Store) {
	ctx := context.Background()
	tenant, other := "t-"+uniq(t), "u-"+uniq(t)
	empty, err := s.List(ctx, tenant)
	if err != nil || len(empty) != 0 {
		t.Fatalf("List of a tenant without rules = %v, %v; want none", empty, err)
	}
	for _, n := range []string{"zeta", "Alpha", "beta-2", "beta_1", "a"} {
		if err := s.Put(ctx, newDropRule(tenant, n)); err != nil {
			t.Fatalf("Put %s: %v", n, err)
		}
	}
	if err := s.Put(ctx, newDropRule(other, "mine")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := s.List(ctx, tenant)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
		sameDropRule(t, "List "+r.Name, r, newDropRule(tenant, r.Name))
	}
	if want := []string{"Alpha", "a", "beta-2", "beta_1", "zeta"}; !reflect.DeepEqual(names, want) {
		t.Errorf("List names = %v, want %v (by name, this tenant's only)", names, want)
	}
}

func dropRulesDelete(t *testing.T, s droprule.Store) {
	ctx := context.Background()
	tenant, other := "t-"+uniq(t), "u-"+uniq(t)
	r := newDropRule(tenant, "gone")
	theirs := newDropRule(other, "gone")
	for _, x := range []api.DropRule{r, theirs} {
		if err := s.Put(ctx, x); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	if err := s.Delete(ctx, tenant, r.Name); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, tenant, r.Name); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, tenant, r.Name); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	got, err := s.Get(ctx, other, theirs.Name)
	if err != nil {
		t.Fatalf("another tenant's rule of the same name is gone: %v", err)
	}
	sameDropRule(t, "another tenant's rule", got, theirs)
	if rules, err := s.List(ctx, tenant); err != nil || len(rules) != 0 {
		t.Errorf("List after Delete = %v, %v; want none", rules, err)
	}
}
