// Package accesskeys issues, looks up and revokes the AWS-style access keys of Ream's
// Comprehend-compatible API (requests signed with one, SigV4 service comprehend, act for its
// tenant). The keys are objects in the pipeline's object store, one each under Prefix.
package accesskeys

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Prefix is where the access keys are kept, one object each (access-keys/<AccessKeyId>.json).
// On AWS the bucket encrypts them with the stack's KMS key (SSE-KMS), so reading a secret takes
// s3:GetObject on this prefix and kms:Decrypt on that key; only the api function has both.
const Prefix = "access-keys/"

// Key is an AWS-style access key issued to a tenant: requests signed with it (SigV4, service
// comprehend) act for Tenant.
type Key struct {
	AccessKeyId     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey,omitempty"`
	Tenant          string    `json:"Tenant"`
	Created         time.Time `json:"Created"`
}

var accessKeyIDRE = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)

// Objects is the part of the object store (pipeline.Objects) the keys are kept in.
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader) error
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	List(ctx context.Context, prefix string, fn func(pipeline.ObjectInfo) error) error
	Delete(ctx context.Context, key string) error
}

var _ Objects = pipeline.Objects(nil)

// Store issues, looks up and revokes access keys in the object store.
type Store struct {
	objects Objects
	now     func() time.Time
}

// New returns the access-key store on objects (the service's: pipeline.Service.Objects).
func New(objects Objects) *Store {
	return &Store{objects: objects, now: time.Now}
}

func accessKeyObject(id string) string { return Prefix + id + ".json" }

// Issue creates a new key for tenant: an id of "AKIA" and 16 base-32 characters and a secret of
// 40 characters, both from crypto/rand. The secret is returned once, here.
func (k *Store) Issue(ctx context.Context, tenant string) (Key, error) {
	if !layout.ValidTenant(tenant) {
		return Key{}, fmt.Errorf("%w: tenant %q", job.ErrInvalid, tenant)
	}
	const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	key := Key{AccessKeyId: "AKIA" + randomText(16, idChars), SecretAccessKey: randomText(40, secretChars),
		Tenant: tenant, Created: k.now().UTC().Truncate(time.Second)}
	b, err := json.Marshal(key)
	if err != nil {
		return Key{}, err
	}
	if err := k.objects.Put(ctx, accessKeyObject(key.AccessKeyId), strings.NewReader(string(b))); err != nil {
		return Key{}, fmt.Errorf("store access key: %w", err)
	}
	return key, nil
}

// randomText returns n characters of alphabet (of 32 or 64 characters) from crypto/rand.
func randomText(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Get returns the key id with its secret, or ErrNotFound (also for an id that is not one Ream
// issues).
func (k *Store) Get(ctx context.Context, id string) (Key, error) {
	if !accessKeyIDRE.MatchString(id) {
		return Key{}, fmt.Errorf("access key %q: %w", id, job.ErrNotFound)
	}
	rc, err := k.objects.Open(ctx, accessKeyObject(id), 0)
	if err != nil {
		return Key{}, fmt.Errorf("access key %s: %w", id, err)
	}
	defer rc.Close()
	var key Key
	if err := json.NewDecoder(io.LimitReader(rc, 4096)).Decode(&key); err != nil || key.AccessKeyId != id || key.SecretAccessKey == "" {
		return Key{}, fmt.Errorf("access key %s: the stored key is unreadable", id)
	}
	return key, nil
}

// List returns tenant's keys (every tenant's when tenant is ""), without their secrets, oldest
// first.
func (k *Store) List(ctx context.Context, tenant string) ([]Key, error) {
	var ids []string
	if err := k.objects.List(ctx, Prefix, func(o pipeline.ObjectInfo) error {
		if id, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, Prefix), ".json"); ok {
			ids = append(ids, id)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []Key
	for _, id := range ids {
		key, err := k.Get(ctx, id)
		if errors.Is(err, job.ErrNotFound) {
			continue // revoked meanwhile
		}
		if err != nil {
			return nil, err
		}
		if tenant == "" || key.Tenant == tenant {
			key.SecretAccessKey = ""
			out = append(out, key)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Revoke deletes key id; ErrNotFound if there is no such key.
func (k *Store) Revoke(ctx context.Context, id string) error {
	if _, err := k.Get(ctx, id); err != nil {
		return err
	}
	return k.objects.Delete(ctx, accessKeyObject(id))
}
