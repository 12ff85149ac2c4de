// Package pagetoken writes and reads the opaque NextToken of Ream's paged listings (jobs, a
// job's error records, the Comprehend surface's lists): a small struct as JSON, in unpadded
// base64url, so that it travels in a query string unescaped. Each listing checks the fields of
// its own token; this package only owns the encoding.
package pagetoken

import (
	"encoding/base64"
	"encoding/json"
)

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
