package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
)

// AccessKey is an AWS-style access key of a tenant: requests signed with it (SigV4) act for
// Tenant. It is the record of the keys Ream issues (accesskeys.Key).
type AccessKey = accesskeys.Key

// SigV4Auth verifies AWS Signature Version 4 (header form, AWS4-HMAC-SHA256) against the access
// keys Ream issued, for one signing service (e.g. "comprehend"). The signature must cover
// exactly the headers its SignedHeaders lists (host and x-amz-date at least), the body's SHA-256
// (x-amz-content-sha256 when sent, which must then match the body) and a time within MaxSkew of
// the server's clock. Any region is accepted (the scope's region only enters the signing key).
type SigV4Auth struct {
	Service string
	// MaxSkew is the allowed difference between the request's X-Amz-Date and now (default 15
	// minutes, as AWS).
	MaxSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Public, when set, is the URL clients reach the service at through a reverse proxy (the
	// local stack's publicURL). A proxy may send its own Host (nginx's default) and strip a path
	// prefix, so a signature is also taken when it was made over Public's host and its path
	// followed by the request's (found from outside: behind such a proxy every signed request
	// was refused). The request's own Host and path are always taken.
	Public *url.URL
	keys   KeyStore
}

// KeyStore finds an access key by id; an unknown id is job.ErrNotFound.
type KeyStore interface {
	AccessKey(ctx context.Context, id string) (AccessKey, error)
}

// StaticKeys is a KeyStore of keys given up front (the local stack's configuration).
type StaticKeys map[string]AccessKey

// AccessKey implements KeyStore.
func (s StaticKeys) AccessKey(_ context.Context, id string) (AccessKey, error) {
	if k, ok := s[id]; ok {
		return k, nil
	}
	return AccessKey{}, fmt.Errorf("access key %q: %w", id, job.ErrNotFound)
}

// IssuedKeys is a KeyStore of the keys Ream issued (accesskeys.Store).
type IssuedKeys struct{ Keys *accesskeys.Store }

// AccessKey implements KeyStore.
func (s IssuedKeys) AccessKey(ctx context.Context, id string) (AccessKey, error) {
	return s.Keys.Get(ctx, id)
}

// KeyChain looks a key up in each store in turn.
type KeyChain []KeyStore

// AccessKey implements KeyStore.
func (c KeyChain) AccessKey(ctx context.Context, id string) (AccessKey, error) {
	for _, s := range c {
		k, err := s.AccessKey(ctx, id)
		if !errors.Is(err, job.ErrNotFound) {
			return k, err
		}
	}
	return AccessKey{}, fmt.Errorf("access key %q: %w", id, job.ErrNotFound)
}

// CachedKeys remembers the keys (and the unknown ids) Store returned for TTL, so that a process
// does not read the store on every request; a revoked key stops working within TTL.
type CachedKeys struct {
	Store KeyStore
	TTL   time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	entries map[string]cachedKey
}

type cachedKey struct {
	key     AccessKey
	err     error
	expires time.Time
}

// AccessKey implements KeyStore. Only found keys and ErrNotFound answers are cached; a failed
// read is not.
func (c *CachedKeys) AccessKey(ctx context.Context, id string) (AccessKey, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now().Before(e.expires) {
		return e.key, e.err
	}
	k, err := c.Store.AccessKey(ctx, id)
	if err == nil || errors.Is(err, job.ErrNotFound) {
		c.mu.Lock()
		if c.entries == nil || len(c.entries) > 10_000 {
			c.entries = map[string]cachedKey{} // bounded: unknown ids cannot grow it forever
		}
		c.entries[id] = cachedKey{key: k, err: err, expires: now().Add(c.TTL)}
		c.mu.Unlock()
	}
	return k, err
}

// NewStaticKeys indexes keys by id.
func NewStaticKeys(keys []AccessKey) StaticKeys {
	m := make(StaticKeys, len(keys))
	for _, k := range keys {
		m[k.AccessKeyId] = k
	}
	return m
}

// NewSigV4Auth builds a verifier for service over keys.
func NewSigV4Auth(service string, keys []AccessKey) *SigV4Auth {
	return NewSigV4AuthStore(service, NewStaticKeys(keys))
}

// NewSigV4AuthStore builds a verifier for service over the keys of store.
func NewSigV4AuthStore(service string, store KeyStore) *SigV4Auth {
	return &SigV4Auth{Service: service, MaxSkew: 15 * time.Minute, keys: store}
}

// SigV4Error is a refused signature, with the error type AWS services answer it with
// (UnrecognizedClientException, InvalidSignatureException, MissingAuthenticationTokenException,
// IncompleteSignatureException). It is an ErrUnauthorized.
type SigV4Error struct {
	Type    string
	Status  int
	Message string
}

func (e *SigV4Error) Error() string { return e.Message }
func (e *SigV4Error) Unwrap() error { return job.ErrUnauthorized }

func sigErr(typ string, status int, format string, a ...any) error {
	return &SigV4Error{Type: typ, Status: status, Message: fmt.Sprintf(format, a...)}
}

const (
	sigAlgorithm  = "AWS4-HMAC-SHA256"
	amzDateLayout = "20060102T150405Z"
)

// Tenant implements Authenticator. It reads (and restores) the request body to hash it.
func (a *SigV4Auth) Tenant(r *http.Request) (string, error) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return "", sigErr("MissingAuthenticationTokenException", http.StatusForbidden, "Missing Authentication Token: sign the request with AWS Signature Version 4 (service %s)", a.Service)
	}
	algo, rest, _ := strings.Cut(authz, " ")
	if algo != sigAlgorithm {
		return "", sigErr("IncompleteSignatureException", http.StatusBadRequest, "Authorization header must use %s", sigAlgorithm)
	}
	fields := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok {
			fields[k] = v
		}
	}
	cred, signed, sig := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	if cred == "" || signed == "" || sig == "" {
		return "", sigErr("IncompleteSignatureException", http.StatusBadRequest, "Authorization header requires Credential, SignedHeaders and Signature")
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return "", sigErr("IncompleteSignatureException", http.StatusBadRequest, "Credential must be <access key id>/<date>/<region>/<service>/aws4_request")
	}
	keyID, day, region, service := parts[0], parts[1], parts[2], parts[3]
	key, err := a.keys.AccessKey(r.Context(), keyID)
	if errors.Is(err, job.ErrNotFound) {
		return "", sigErr("UnrecognizedClientException", http.StatusBadRequest, "The security token included in the request is invalid.")
	}
	if err != nil {
		return "", fmt.Errorf("look up access key: %w", err)
	}
	if service != a.Service {
		return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "Credential should be scoped to correct service: '%s'.", a.Service)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return "", sigErr("IncompleteSignatureException", http.StatusBadRequest, "X-Amz-Date header is required")
	}
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return "", sigErr("IncompleteSignatureException", http.StatusBadRequest, "X-Amz-Date %q is not of the form %s", amzDate, amzDateLayout)
	}
	if day != t.Format("20060102") {
		return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "Credential should be scoped to a valid date: '%s'.", t.Format("20060102"))
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	skew := a.MaxSkew
	if skew <= 0 {
		skew = 15 * time.Minute
	}
	n := now().UTC()
	if t.Before(n.Add(-skew)) {
		return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "Signature expired: %s is now earlier than %s (%s - %d min.)", amzDate, n.Add(-skew).Format(amzDateLayout), n.Format(amzDateLayout), int(skew.Minutes()))
	}
	if t.After(n.Add(skew)) {
		return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "Signature not yet current: %s is still later than %s (%s + %d min.)", amzDate, n.Add(skew).Format(amzDateLayout), n.Format(amzDateLayout), int(skew.Minutes()))
	}
	headers := strings.Split(signed, ";")
	if !sort.StringsAreSorted(headers) || !contains(headers, "host") {
		return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "SignedHeaders must be sorted, lower-case and include host")
	}
	if !contains(headers, "x-amz-date") {
		return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "SignedHeaders must include x-amz-date")
	}
	// The operation is in X-Amz-Target: unsigned, a captured request could be replayed as another
	// operation with the same body (a Describe turned into a Stop; found from outside). The AWS
	// SDKs always sign it.
	if r.Header.Get("X-Amz-Target") != "" && !contains(headers, "x-amz-target") {
		return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "SignedHeaders must include x-amz-target")
	}
	body, err := readBody(r)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "The provided x-amz-content-sha256 header does not match what was computed.")
	}
	scope := strings.Join(parts[1:], "/")
	k := hmacSHA256([]byte("AWS4"+key.SecretAccessKey), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "aws4_request")
	for _, at := range a.signedAt(r) {
		canonical, err := canonicalRequest(r, headers, payloadHash, at.host, at.path)
		if err != nil {
			return "", err
		}
		crSum := sha256.Sum256([]byte(canonical))
		toSign := sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
		want := hex.EncodeToString(hmacSHA256(k, toSign))
		// The signature is lower-case hex (SigV4's Hex(), "lowercase base 16 encoding"), compared
		// as sent, as AWS does: folding its case let 2^64 spellings of one signature pass, each
		// request text new to anything that tells requests apart by their Authorization header.
		if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) == 1 {
			return key.Tenant, nil
		}
	}
	return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
}

// signedAt is where a client may have signed r for: the host and (escaped) path r arrived with
// ("" each: the request's own), then, with Public, Public's host (its scheme's default port left
// out, as clients sign it) and its path followed by r's, or Public's path alone for r's "/" (an
// SDK given the endpoint https://host/ream signs the path /ream, which the proxy forwards as /).
func (a *SigV4Auth) signedAt(r *http.Request) []signedPlace {
	places := []signedPlace{{}}
	if a.Public == nil {
		return places
	}
	host := a.Public.Host
	if p := a.Public.Port(); (p == "443" && a.Public.Scheme == "https") || (p == "80" && a.Public.Scheme == "http") {
		host = a.Public.Hostname()
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	prefix := strings.TrimSuffix(a.Public.EscapedPath(), "/")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	places = append(places, signedPlace{host, prefix + path})
	if path == "/" && prefix != "" {
		places = append(places, signedPlace{host, prefix})
	}
	return places
}

// signedPlace is a host and an escaped path a signature may cover ("": the request's own).
type signedPlace struct{ host, path string }

// readBody reads the whole body and puts it back for the handler.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, decodeError(err, "") // says the limit, not Go's words
		}
		return nil, fmt.Errorf("%w: reading the request body: %v", job.ErrInvalid, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// canonicalRequest is SigV4's canonical form of r over the signed headers, with host and path
// (escaped) in place of r's when they are not "".
func canonicalRequest(r *http.Request, signed []string, payloadHash, host, path string) (string, error) {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	if path == "" {
		path = r.URL.EscapedPath()
	}
	if path == "" {
		path = "/"
	}
	b.WriteString(escapePath(path) + "\n")
	b.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, h := range signed {
		var vals []string
		switch h {
		case "host": // net/http moves Host out of the header map; behind Lambda it stays in it
			if vals = r.Header.Values(h); host != "" {
				vals = []string{host}
			} else if r.Host != "" {
				vals = []string{r.Host}
			}
		case "content-length":
			if vals = r.Header.Values(h); len(vals) == 0 && r.ContentLength >= 0 {
				vals = []string{fmt.Sprint(r.ContentLength)}
			}
		default:
			vals = r.Header.Values(h)
		}
		vals = append([]string(nil), vals...) // never rewrite the request's own header values
		if len(vals) == 0 {
			return "", sigErr("InvalidSignatureException", http.StatusBadRequest, "signed header %s is not in the request", h)
		}
		for i, v := range vals {
			vals[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(h + ":" + strings.Join(vals, ",") + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String(), nil
}

// escapePath URI-encodes each segment of an (already escaped) path again, as SigV4 does for
// every service but S3.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = uriEncode(s)
	}
	return strings.Join(segs, "/")
}

func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(k)+"="+uriEncode(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode is SigV4's encoding: everything but A-Z a-z 0-9 - _ . ~ is %XX.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
