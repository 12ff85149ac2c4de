package handlers

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

type countingKeys struct {
	calls int
	keys  StaticKeys
	err   error
}

func (c *countingKeys) AccessKey(ctx context.Context, id string) (AccessKey, error) {
	c.calls++
	if c.err != nil {
		return AccessKey{}, c.err
	}
	return c.keys.AccessKey(ctx, id)
}

// TestCachedKeys: found keys and unknown ids are remembered for TTL, failed reads are not.
func TestCachedKeys(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	store := &countingKeys{keys: NewStaticKeys([]AccessKey{{AccessKeyId: "A", SecretAccessKey: "s", Tenant: "t"}})}
	c := &CachedKeys{Store: store, TTL: time.Minute, Now: func() time.Time { return now }}
	for range 3 {
		if k, err := c.AccessKey(ctx, "A"); err != nil || k.Tenant != "t" {
			t.Fatalf("A: %+v %v", k, err)
		}
		if _, err := c.AccessKey(ctx, "B"); !errors.Is(err, job.ErrNotFound) {
			t.Fatalf("B: %v", err)
		}
	}
	if store.calls != 2 {
		t.Errorf("%d store reads within the TTL, want 2", store.calls)
	}
	now = now.Add(2 * time.Minute)
	delete(store.keys, "A") // revoked
	if _, err := c.AccessKey(ctx, "A"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("A after the TTL and a revoke: %v", err)
	}
	store.err = errors.New("s3 is down")
	for range 2 {
		if _, err := c.AccessKey(ctx, "C"); err == nil || errors.Is(err, job.ErrNotFound) {
			t.Errorf("C with the store failing: %v", err)
		}
	}
	if store.calls != 5 {
		t.Errorf("%d store reads, want 5 (a failed read is not cached)", store.calls)
	}
	chain := KeyChain{NewStaticKeys([]AccessKey{{AccessKeyId: "X", Tenant: "x"}}), NewStaticKeys([]AccessKey{{AccessKeyId: "Y", Tenant: "y"}})}
	if k, err := chain.AccessKey(ctx, "Y"); err != nil || k.Tenant != "y" {
		t.Errorf("chain Y: %+v %v", k, err)
	}
	if _, err := chain.AccessKey(ctx, "Z"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("chain Z: %v", err)
	}
}
