// Package pagetoken writes and reads the opaque NextToken of Ream's paged listings (jobs, a
// job's error records, the Comprehend surface's lists): a small struct as JSON, in unpadded
// base64url, so that it travels in a query string unescaped. Each listing checks the fields of
// its own token; this package only owns the encoding.
package pagetoken

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
)

// Owner is what a listing's token records of the caller it was returned to (the first 8 bytes
// of the tenant's SHA-256, in base64url: no tenant name in a token), so that a token passed to
// another caller is refused with a clear error rather than paging that caller's own listing
// from a position in someone else's. It is not a secret: every store filters by the caller's
// tenant whatever the token says.
func Owner(tenant string) string {
	h := sha256.Sum256([]byte(tenant))
	return base64.RawURLEncoding.EncodeToString(h[:8])
}

// Owned reports whether owner, as a token recorded it, is tenant's; a token without one (of a
// release before tokens recorded it) is anyone's.
func Owned(owner, tenant string) bool {
	return owner == "" || owner == Owner(tenant)
}

// Encode returns the token of v (a struct of plain fields, which JSON always encodes).
func Encode(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads token s into v; an error when s is not a token of this encoding.
func Decode(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
