package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// OAuthClient is a client allowed the client-credentials grant (local stack configuration).
type OAuthClient struct {
	ClientID     string
	ClientSecret string
	Tenant       string
}

// OAuth issues and checks access tokens for the local stack, as Cognito does on AWS:
// POST /oauth2/token with the client-credentials grant and the client's credentials (HTTP Basic,
// or client_id and client_secret in the body) returns a signed, expiring token; requests send it as `Authorization: <token>` (with or without
// "Bearer"). A token is base64url(JSON claims) "." base64url(HMAC-SHA256), so it is checked
// without any state, and survives a restart when the secret does.
type OAuth struct {
	clients map[string]OAuthClient
	secret  []byte
	ttl     time.Duration
	now     func() time.Time
}

// TokenTTL is how long an access token is valid (Cognito's default for access tokens).
const TokenTTL = time.Hour

// NewOAuth builds the issuer for clients, signing with secret.
func NewOAuth(clients []OAuthClient, secret []byte, now func() time.Time) *OAuth {
	o := &OAuth{clients: map[string]OAuthClient{}, secret: secret, ttl: TokenTTL, now: now}
	if o.now == nil {
		o.now = time.Now
	}
	for _, c := range clients {
		o.clients[c.ClientID] = c
	}
	return o
}

type tokenClaims struct {
	ClientID string `json:"client_id"`
	Tenant   string `json:"tenant"`
	Scope    string `json:"scope"`
	Expires  int64  `json:"exp"`
	// Key fingerprints the client's secret when the token was issued (clientKey): a token stops
	// working when its client's secret changes, as it does when the client is removed.
	Key string `json:"key"`
}

// CodingScope is the scope a coding client's token carries.
const CodingScope = "ream/coding"

// tokenError is the OAuth 2.0 error body (RFC 6749 §5.2).
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// TokenHandler serves POST /oauth2/token.
func (o *OAuth) TokenHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, code, desc string) {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="ream"`)
			}
			api.WriteJSON(w, status, tokenError{Error: code, Description: desc})
		}
		if err := r.ParseForm(); err != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				fail(http.StatusBadRequest, "invalid_request", fmt.Sprintf("the body is larger than %d bytes", mbe.Limit))
				return
			}
			fail(http.StatusBadRequest, "invalid_request", "the body is not an application/x-www-form-urlencoded form: "+err.Error())
			return
		}
		// A body sent as another type was not read at all: say so, rather than that the client
		// or grant_type it holds is missing.
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		notForm := mt != "application/x-www-form-urlencoded" && r.ContentLength != 0
		failNotForm := func() {
			fail(http.StatusBadRequest, "invalid_request", fmt.Sprintf("the body must be sent as Content-Type: application/x-www-form-urlencoded (got %q)", r.Header.Get("Content-Type")))
		}
		if err := oneAuthorization(r); err != nil {
			fail(http.StatusBadRequest, "invalid_request", api.Message(err))
			return
		}
		// RFC 6749 §3.2: no parameter may be sent twice. Checked before the client is looked up,
		// so that two client_ids are a malformed request (400), not an unknown client (401).
		for name, vs := range r.PostForm {
			if len(vs) > 1 {
				fail(http.StatusBadRequest, "invalid_request", "the parameter "+name+" is repeated")
				return
			}
		}
		var c OAuthClient
		var known bool
		if id, secret, basic := r.BasicAuth(); basic {
			// RFC 6749 §2.3: a client uses one authentication method per request. A client_id
			// in the body that names the Basic client is only an identifier (some libraries
			// send it), not a second method; a client_secret in the body, or another client_id,
			// is refused rather than silently ignored.
			if r.PostForm.Get("client_secret") != "" {
				fail(http.StatusBadRequest, "invalid_request", "the client authenticated with both HTTP Basic and client_secret in the body; use one method only")
				return
			}
			if bodyID := r.PostForm.Get("client_id"); bodyID != "" && bodyID != id && bodyID != formDecoded(id) {
				fail(http.StatusBadRequest, "invalid_request", "the client_id in the body is not the HTTP Basic client's; use one authentication method only")
				return
			}
			c, known = o.basicClient(id, secret)
		} else {
			if notForm {
				failNotForm()
				return
			}
			// client_secret_post: the credentials as body parameters (form-decoded already).
			c, known = o.client(r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"))
		}
		if !known {
			fail(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret (send them with HTTP Basic authentication, each application/x-www-form-urlencoded, or as client_id and client_secret in the body)")
			return
		}
		// RFC 6749 §3.2: parameters sent without a value are as if omitted; a missing grant_type
		// is a malformed request, not an unsupported grant.
		if g := r.PostForm.Get("grant_type"); g == "" {
			if notForm {
				failNotForm()
				return
			}
			fail(http.StatusBadRequest, "invalid_request", "grant_type is missing (send grant_type=client_credentials)")
			return
		} else if g != "client_credentials" {
			fail(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
			return
		}
		if sc := r.PostForm.Get("scope"); sc != "" && sc != CodingScope {
			fail(http.StatusBadRequest, "invalid_scope", "the only scope is "+CodingScope)
			return
		}
		claims := tokenClaims{ClientID: c.ClientID, Tenant: c.Tenant, Scope: CodingScope, Expires: o.now().Add(o.ttl).Unix(), Key: o.clientKey(c)}
		w.Header().Set("Cache-Control", "no-store")
		api.WriteJSON(w, http.StatusOK, api.Token{AccessToken: o.sign(claims), TokenType: "Bearer", ExpiresIn: int(o.ttl / time.Second)})
	})
}

// client returns the client id names when secret is its secret.
func (o *OAuth) client(id, secret string) (OAuthClient, bool) {
	c, known := o.clients[id]
	if id == "" || !known || subtle.ConstantTimeCompare([]byte(secret), []byte(c.ClientSecret)) != 1 {
		return OAuthClient{}, false
	}
	return c, true
}

// basicClient returns the client of HTTP Basic credentials. RFC 6749 §2.3.1 has the client id
// and secret each application/x-www-form-urlencoded before Basic encodes them, so they are
// decoded first ("p%2Bq" is "p+q", and "+" is a space). For backward compatibility, credentials
// that do not match decoded are also tried as sent: many clients (curl -u id:secret, most HTTP
// libraries' Basic auth) send the secret raw, and a secret holding '+' or '%' worked so before;
// many servers accept both. Either form names the same secret, so accepting both weakens
// nothing.
func (o *OAuth) basicClient(id, secret string) (OAuthClient, bool) {
	did, errID := url.QueryUnescape(id)
	dsecret, errSecret := url.QueryUnescape(secret)
	if errID == nil && errSecret == nil {
		if c, ok := o.client(did, dsecret); ok {
			return c, true
		}
	}
	return o.client(id, secret)
}

// formDecoded is s application/x-www-form-urlencoded-decoded, or s when it is not valid encoding.
func formDecoded(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

func (o *OAuth) sign(c tokenClaims) string {
	b, _ := json.Marshal(c) // plain data: cannot fail
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(o.mac(payload))
}

// clientKey fingerprints c's secret with the signing secret (so the token does not reveal it):
// the Key claim of c's tokens.
func (o *OAuth) clientKey(c OAuthClient) string {
	return base64.RawURLEncoding.EncodeToString(o.mac("client-secret\x00" + c.ClientID + "\x00" + c.ClientSecret)[:12])
}

func (o *OAuth) mac(payload string) []byte {
	m := hmac.New(sha256.New, o.secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// errNoToken: the request carries no token (another authenticator may know it).
var errNoToken = fmt.Errorf("%w: send Authorization: <access token> from POST /oauth2/token", job.ErrUnauthorized)

// Tenant implements Authenticator: `Authorization: <token>` or `Authorization: Bearer <token>`.
func (o *OAuth) Tenant(r *http.Request) (string, error) {
	tok := strings.TrimSpace(r.Header.Get("Authorization"))
	if scheme, rest, ok := strings.Cut(tok, " "); ok && strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(rest)
	}
	payload, sig, ok := strings.Cut(tok, ".")
	if tok == "" || !ok {
		return "", errNoToken
	}
	// One spelling per token: Strict refuses base64 whose unused last bits are set (found from
	// outside: a token with its last character changed still worked).
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !hmac.Equal(got, o.mac(payload)) {
		return "", fmt.Errorf("%w: the access token is not valid", job.ErrUnauthorized)
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	var c tokenClaims
	if err != nil || json.Unmarshal(b, &c) != nil {
		return "", fmt.Errorf("%w: the access token is not valid", job.ErrUnauthorized)
	}
	if o.now().Unix() >= c.Expires {
		return "", fmt.Errorf("%w: the access token has expired; get a new one from POST /oauth2/token", job.ErrUnauthorized)
	}
	cl, ok := o.clients[c.ClientID]
	if !ok {
		return "", fmt.Errorf("%w: the token's client is no longer allowed", job.ErrUnauthorized)
	}
	// A token carries the tenant and secret its client had when it was issued; once the
	// configuration moves the client to another tenant or changes its secret, the client needs
	// a new token (found from outside: a moved client's old token still reached its old tenant).
	if c.Key == "" {
		// Issued by a version before tokens carried the key (found in review: it was told its
		// client had changed).
		return "", fmt.Errorf("%w: the access token was issued by an earlier version of the service; get a new one from POST /oauth2/token", job.ErrUnauthorized)
	}
	if c.Tenant != cl.Tenant || !hmac.Equal([]byte(c.Key), []byte(o.clientKey(cl))) {
		return "", fmt.Errorf("%w: the token's client has changed since it was issued; get a new one from POST /oauth2/token", job.ErrUnauthorized)
	}
	return c.Tenant, nil
}

// JWTAuth takes the tenant from the claims API Gateway's JWT authoriser verified (the coding
// routes on AWS, with Cognito's client-credentials access tokens): Tenants[client_id] when the
// deployment maps the client to a tenant (REAM_CODING_TENANTS), else the client_id itself.
type JWTAuth struct {
	Tenants map[string]string
}

// Tenant implements Authenticator.
func (a JWTAuth) Tenant(r *http.Request) (string, error) {
	ev := RequestEvent(r)
	if ev == nil || ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.JWT == nil {
		return "", errNoToken
	}
	id := ev.RequestContext.Authorizer.JWT.Claims["client_id"]
	if id == "" {
		return "", fmt.Errorf("%w: the token has no client_id claim", job.ErrUnauthorized)
	}
	if t := a.Tenants[id]; t != "" {
		return t, nil
	}
	return id, nil
}

// AnyAuth accepts a request that any of its authenticators accepts, tried in order; when all
// refuse, it returns the last refusal that is about the credentials sent (an unknown key, an
// expired token) rather than "no credentials of my kind".
type AnyAuth []Authenticator

// noCredentials is the refusal of a request that carries none of the credentials an AnyAuth
// takes: it names every kind (an OAuth client told only of API keys would not know its token
// is welcome), and is each of the refusals it joins.
type noCredentials []error

func (e noCredentials) Error() string {
	var msgs []string
	for _, err := range e {
		if m := api.Message(err); !slices.Contains(msgs, m) {
			msgs = append(msgs, m)
		}
	}
	return job.ErrUnauthorized.Error() + ": " + strings.Join(msgs, "; or ")
}

func (e noCredentials) Unwrap() []error { return e }

// Tenant implements Authenticator.
func (a AnyAuth) Tenant(r *http.Request) (string, error) {
	var specific error
	var none noCredentials // what each kind of credentials needs, when the request carries none
	for _, au := range a {
		t, err := au.Tenant(r)
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, errNoToken) && !errors.Is(err, errNoKey) && !errors.Is(err, errNoIAM) {
			specific = err
		} else {
			none = append(none, err)
		}
	}
	switch {
	case specific != nil:
		return "", specific
	case len(none) > 0:
		return "", none
	}
	return "", fmt.Errorf("%w: no authentication configured", job.ErrUnauthorized)
}
