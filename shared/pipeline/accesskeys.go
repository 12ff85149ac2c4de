package pipeline

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
)

// AccessKeysPrefix is where the access keys Ream issues for its Comprehend-compatible API are
// kept, one object each (access-keys/<AccessKeyId>.json). On AWS the bucket encrypts them with the
// stack's KMS key (SSE-KMS), so reading a secret takes s3:GetObject on this prefix and
// kms:Decrypt on that key; only the api function has both.
const AccessKeysPrefix = "access-keys/"

// AccessKey is an AWS-style access key issued to a tenant: requests signed with it (SigV4, service
// comprehend) act for Tenant.
type AccessKey struct {
	AccessKeyId     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey,omitempty"`
	Tenant          string    `json:"Tenant"`
	Created         time.Time `json:"Created"`
}

var accessKeyIDRE = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)

// AccessKeys issues, looks up and revokes access keys in the object store.
type AccessKeys struct {
	objects Objects
	now     func() time.Time
}

// NewAccessKeys returns the access-key store on objects.
func NewAccessKeys(objects Objects) *AccessKeys {
	return &AccessKeys{objects: objects, now: time.Now}
}

// AccessKeys is the access-key store on the service's object store.
func (s *Service) AccessKeys() *AccessKeys { return NewAccessKeys(s.objects) }

func accessKeyObject(id string) string { return AccessKeysPrefix + id + ".json" }

// Issue creates a new key for tenant: an id of "AKIA" and 16 base-32 characters and a secret of
// 40 characters, both from crypto/rand. The secret is returned once, here.
func (k *AccessKeys) Issue(ctx context.Context, tenant string) (AccessKey, error) {
	if !ValidTenant(tenant) {
		return AccessKey{}, fmt.Errorf("%w: tenant %q", job.ErrInvalid, tenant)
	}
	const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	key := AccessKey{AccessKeyId: "AKIA" + randomText(16, idChars), SecretAccessKey: randomText(40, secretChars),
		Tenant: tenant, Created: k.now().UTC().Truncate(time.Second)}
	b, err := json.Marshal(key)
	if err != nil {
		return AccessKey{}, err
	}
	if err := k.objects.Put(ctx, accessKeyObject(key.AccessKeyId), strings.NewReader(string(b))); err != nil {
		return AccessKey{}, fmt.Errorf("store access key: %w", err)
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
func (k *AccessKeys) Get(ctx context.Context, id string) (AccessKey, error) {
	if !accessKeyIDRE.MatchString(id) {
		return AccessKey{}, fmt.Errorf("access key %q: %w", id, job.ErrNotFound)
	}
	rc, err := k.objects.Open(ctx, accessKeyObject(id), 0)
	if err != nil {
		return AccessKey{}, fmt.Errorf("access key %s: %w", id, err)
	}
	defer rc.Close()
	var key AccessKey
	if err := json.NewDecoder(io.LimitReader(rc, 4096)).Decode(&key); err != nil || key.AccessKeyId != id || key.SecretAccessKey == "" {
		return AccessKey{}, fmt.Errorf("access key %s: the stored key is unreadable", id)
	}
	return key, nil
}

// List returns tenant's keys (every tenant's when tenant is ""), without their secrets, oldest
// first.
func (k *AccessKeys) List(ctx context.Context, tenant string) ([]AccessKey, error) {
	var ids []string
	if err := k.objects.List(ctx, AccessKeysPrefix, func(o ObjectInfo) error {
		if id, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, AccessKeysPrefix), ".json"); ok {
			ids = append(ids, id)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []AccessKey
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
func (k *AccessKeys) Revoke(ctx context.Context, id string) error {
	if _, err := k.Get(ctx, id); err != nil {
		return err
	}
	return k.objects.Delete(ctx, accessKeyObject(id))
}
