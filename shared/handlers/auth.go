package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ream-dev/ream/shared/job"
)

// The refusals that mean "no credentials of this kind" (AnyAuth tries the next authenticator).
var (
	errNoKey = fmt.Errorf("%w: send Authorization: Bearer <api key>", job.ErrUnauthorized)
	errNoIAM = fmt.Errorf("%w: the request carries no IAM identity (sign it with SigV4)", job.ErrUnauthorized)
)

// KeyAuth maps bearer API keys to tenants (the local stack's configuration).
type KeyAuth struct {
	// keys maps the SHA-256 of each key to its tenant, so lookups compare fixed-size digests.
	keys map[[32]byte]string
}

// NewKeyAuth builds a KeyAuth from key → tenant.
func NewKeyAuth(keys map[string]string) *KeyAuth {
	a := &KeyAuth{keys: make(map[[32]byte]string, len(keys))}
	for k, t := range keys {
		a.keys[sha256.Sum256([]byte(k))] = t
	}
	return a
}

// Tenant implements Authenticator: `Authorization: Bearer <key>`.
func (a *KeyAuth) Tenant(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
		return "", errNoKey
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	for k, tenant := range a.keys {
		if subtle.ConstantTimeCompare(k[:], sum[:]) == 1 {
			return tenant, nil
		}
	}
	return "", fmt.Errorf("%w: unknown API key", job.ErrUnauthorized)
}

// IAMAuth takes the tenant from the IAM identity API Gateway verified (routes with AWS_IAM
// authorisation): the caller's principal ARN, reduced to a key-safe id.
type IAMAuth struct{}

// Tenant implements Authenticator.
func (IAMAuth) Tenant(r *http.Request) (string, error) {
	req := RequestEvent(r)
	if req == nil || req.RequestContext.Authorizer == nil || req.RequestContext.Authorizer.IAM == nil || req.RequestContext.Authorizer.IAM.UserARN == "" {
		return "", errNoIAM
	}
	return TenantFromARN(req.RequestContext.Authorizer.IAM.UserARN), nil
}

// TenantFromARN turns a principal ARN into a tenant id: the account and a short hash of the
// principal, e.g. "123456789012-3f2a9c1b0d4e5f60". An assumed-role session counts as its role,
// so every session of one role is one tenant.
func TenantFromARN(arn string) string {
	parts := strings.Split(arn, ":")
	account := "unknown"
	if len(parts) >= 5 && parts[4] != "" {
		account = parts[4]
	}
	principal := arn
	if len(parts) >= 6 && strings.HasPrefix(parts[5], "assumed-role/") {
		seg := strings.Split(parts[5], "/")
		principal = "role/" + seg[1]
		principal = strings.Join(parts[:5], ":") + ":" + principal
	}
	sum := sha256.Sum256([]byte(principal))
	return account + "-" + hex.EncodeToString(sum[:8])
}

// The WWW-Authenticate challenges (RFC 9110 §11.6.1) of the credentials /v1 takes: a bearer
// token (an API key or an OAuth access token locally, a Cognito access token on AWS) or an
// AWS Signature Version 4 (the IAM-authorised routes on AWS). The realm is the token
// endpoint's (oauth.go).
const (
	bearerChallenge = `Bearer realm="ream"`
	sigV4Challenge  = `AWS4-HMAC-SHA256 realm="ream"`
)

// challenger is an Authenticator that names the scheme of the credentials it takes.
type challenger interface{ challenges() []string }

func (*KeyAuth) challenges() []string { return []string{bearerChallenge} }
func (IAMAuth) challenges() []string  { return []string{sigV4Challenge} }
func (*OAuth) challenges() []string   { return []string{bearerChallenge} }
func (JWTAuth) challenges() []string  { return []string{bearerChallenge} }

// challenges are its authenticators', in their order, each once.
func (a AnyAuth) challenges() []string {
	var cs []string
	for _, au := range a {
		for _, c := range challengesOf(au) {
			if !slices.Contains(cs, c) {
				cs = append(cs, c)
			}
		}
	}
	return cs
}

func challengesOf(au Authenticator) []string {
	if c, ok := au.(challenger); ok {
		return c.challenges()
	}
	return nil
}

// wwwAuthenticate is the WWW-Authenticate header of a 401 from au: its challenges, or a bearer
// token's for an authenticator that names none (a 401 must carry one).
func wwwAuthenticate(au Authenticator) string {
	cs := challengesOf(au)
	if len(cs) == 0 {
		return bearerChallenge
	}
	return strings.Join(cs, ", ")
}
