package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// tokenCall posts form to the token endpoint of o as a form, with HTTP Basic id:secret sent as
// they are (no encoding) when basic is set, and returns the status and the decoded body.
func tokenCall(t *testing.T, o *OAuth, form url.Values, basic bool, id, secret string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		r.SetBasicAuth(id, secret)
	}
	w := httptest.NewRecorder()
	o.TokenHandler().ServeHTTP(w, r)
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("%d %q: %v", w.Code, w.Body, err)
	}
	return w.Code, body
}

// TestTokenBasicCredentialsFormDecoded: RFC 6749 §2.3.1 has the client id and secret
// form-urlencoded before HTTP Basic encodes them (found from outside: a secret with '+', '/',
// '=' and '%' sent so was a 401). The raw form still works, as it did before.
func TestTokenBasicCredentialsFormDecoded(t *testing.T) {
	const secret = "p+q/r=s%41"
	o := NewOAuth([]OAuthClient{{ClientID: "clientc", ClientSecret: secret, Tenant: "t"}, {ClientID: "a b+c", ClientSecret: "plain", Tenant: "t"}}, []byte("0123456789abcdef0123456789abcdef"), nil)
	grant := url.Values{"grant_type": {"client_credentials"}}
	for _, tc := range []struct {
		name, id, secret string
		want             int
	}{
		{"RFC 6749 encoded", "clientc", url.QueryEscape(secret), http.StatusOK},
		{"encoded as the tester did", "clientc", "p%2Bq%2Fr%3Ds%2541", http.StatusOK},
		{"raw, as curl -u sends it (backward compatible)", "clientc", secret, http.StatusOK},
		{"encoded id too", url.QueryEscape("clientc"), url.QueryEscape(secret), http.StatusOK},
		{"an id with a space and '+', encoded", url.QueryEscape("a b+c"), "plain", http.StatusOK},
		{"the same id raw", "a b+c", "plain", http.StatusOK},
		{"'+' decodes to a space, not to the secret's '+'", "clientc", "p q/r=s%41", http.StatusUnauthorized},
		{"decoded once only", "clientc", url.QueryEscape(url.QueryEscape(secret)), http.StatusUnauthorized},
		{"wrong secret", "clientc", "p%2Bq", http.StatusUnauthorized},
		{"invalid encoding, not the secret raw", "clientc", "p+q/r=s%4", http.StatusUnauthorized},
	} {
		status, body := tokenCall(t, o, grant, true, tc.id, tc.secret)
		if status != tc.want {
			t.Errorf("%s (%s:%s): %d %v, want %d", tc.name, tc.id, tc.secret, status, body, tc.want)
		}
		if tc.want == http.StatusOK && body["access_token"] == "" {
			t.Errorf("%s: no token: %v", tc.name, body)
		}
		if tc.want == http.StatusUnauthorized && body["error"] != "invalid_client" {
			t.Errorf("%s: %v, want invalid_client", tc.name, body)
		}
	}
}

// TestTokenOneAuthenticationMethod: RFC 6749 §2.3 allows a client one authentication method per
// request: HTTP Basic and client_secret in the body together are a 400 invalid_request (found
// from outside: the body was ignored). The body alone (client_secret_post) still works.
func TestTokenOneAuthenticationMethod(t *testing.T) {
	o := NewOAuth([]OAuthClient{{ClientID: "c", ClientSecret: "s", Tenant: "t"}, {ClientID: "d", ClientSecret: "s2", Tenant: "t"}, {ClientID: "e", ClientSecret: "p+q/r=s%41", Tenant: "t"}}, []byte("0123456789abcdef0123456789abcdef"), nil)
	form := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tc := range []struct {
		name          string
		form          url.Values
		basic         bool
		id, secret    string
		status        int
		code, mention string
	}{
		{"Basic and body credentials", form("client_id", "c", "client_secret", "s"), true, "c", "s", http.StatusBadRequest, "invalid_request", "client_secret"},
		{"Basic and a body secret", form("client_secret", "s"), true, "c", "s", http.StatusBadRequest, "invalid_request", "client_secret"},
		{"Basic and another client's body credentials", form("client_id", "d", "client_secret", "s2"), true, "c", "s", http.StatusBadRequest, "invalid_request", "client_secret"},
		{"Basic and a wrong body secret", form("client_id", "c", "client_secret", "wrong"), true, "c", "s", http.StatusBadRequest, "invalid_request", "client_secret"},
		{"Basic and another client_id", form("client_id", "d"), true, "c", "s", http.StatusBadRequest, "invalid_request", "client_id"},
		{"Basic and the same client_id (an identifier, not a method)", form("client_id", "c"), true, "c", "s", http.StatusOK, "", ""},
		{"Basic alone", form(), true, "c", "s", http.StatusOK, "", ""},
		{"body alone (client_secret_post)", form("client_id", "c", "client_secret", "s"), false, "", "", http.StatusOK, "", ""},
		{"body alone, wrong secret", form("client_id", "c", "client_secret", "x"), false, "", "", http.StatusUnauthorized, "invalid_client", ""},
		{"body secret with '+' and '%' form-encoded", form("client_id", "e", "client_secret", "p+q/r=s%41"), false, "", "", http.StatusOK, "", ""},
		// A repeated parameter is a malformed request whoever sends it (found from outside: two
		// client_ids answered 401 invalid_client where the README says 400).
		{"two client_ids in the body", url.Values{"grant_type": {"client_credentials"}, "client_id": {"c", "d"}, "client_secret": {"s"}}, false, "", "", http.StatusBadRequest, "invalid_request", "client_id is repeated"},
		{"grant_type twice", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, true, "c", "s", http.StatusBadRequest, "invalid_request", "grant_type is repeated"},
	} {
		status, body := tokenCall(t, o, tc.form, tc.basic, tc.id, tc.secret)
		desc, _ := body["error_description"].(string)
		if status != tc.status || (tc.code != "" && body["error"] != tc.code) || !strings.Contains(desc, tc.mention) {
			t.Errorf("%s: %d %v, want %d %s mentioning %q", tc.name, status, body, tc.status, tc.code, tc.mention)
		}
	}
}

// TestTokenFollowsItsClient: a token is refused once its client is moved to another tenant or
// its secret changes (found from outside: a moved client's token still reached its old tenant
// after a restart with the new configuration); a restart with the same configuration keeps it.
func TestTokenFollowsItsClient(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	orig := OAuthClient{ClientID: "c", ClientSecret: "s1", Tenant: "ta"}
	_, body := tokenCall(t, NewOAuth([]OAuthClient{orig}, key, nil), url.Values{"grant_type": {"client_credentials"}}, true, "c", "s1")
	tok, _ := body["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", body)
	}
	for _, tc := range []struct {
		name   string
		client OAuthClient
		ok     bool
	}{
		{"same configuration", orig, true},
		{"moved to another tenant", OAuthClient{ClientID: "c", ClientSecret: "s1", Tenant: "tc"}, false},
		{"secret rotated", OAuthClient{ClientID: "c", ClientSecret: "s2", Tenant: "ta"}, false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/v1/topics", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		tenant, err := NewOAuth([]OAuthClient{tc.client}, key, nil).Tenant(r)
		if tc.ok && (err != nil || tenant != "ta") {
			t.Errorf("%s: %q %v, want ta", tc.name, tenant, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "get a new one")) {
			t.Errorf("%s: %q %v, want refused with advice", tc.name, tenant, err)
		}
	}
}

// TestTokenEndpointOneAuthorization: the token endpoint refuses two Authorization headers as
// every route does (found in review), and a token from before tokens carried their client's key
// is told to get a new one, not that its client changed.
func TestTokenEndpointOneAuthorization(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	o := NewOAuth([]OAuthClient{{ClientID: "c", ClientSecret: "s1", Tenant: "ta"}}, key, nil)
	r := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("c", "s1")
	r.Header.Add("Authorization", "Basic eDp5")
	w := httptest.NewRecorder()
	o.TokenHandler().ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "one Authorization header") {
		t.Errorf("two Authorization headers: %d %s, want 400 invalid_request", w.Code, w.Body)
	}
	old := o.sign(tokenClaims{ClientID: "c", Tenant: "ta", Scope: CodingScope, Expires: time.Now().Add(time.Hour).Unix()})
	req := httptest.NewRequest(http.MethodGet, "/v1/topics", nil)
	req.Header.Set("Authorization", "Bearer "+old)
	if _, err := o.Tenant(req); err == nil || !strings.Contains(err.Error(), "earlier version") {
		t.Errorf("a token without its client's key: %v, want told it is from an earlier version", err)
	}
}

// TestTokenOneSpelling: an access token is accepted only as issued: its signature's base64 with
// the unused bits of its last character set is another spelling of the same bytes, refused
// (found from outside: a token with its last character changed still worked).
func TestTokenOneSpelling(t *testing.T) {
	o := NewOAuth([]OAuthClient{{ClientID: "c", ClientSecret: "s", Tenant: "t"}}, []byte("0123456789abcdef0123456789abcdef"), nil)
	status, body := tokenCall(t, o, url.Values{"grant_type": {"client_credentials"}}, true, "c", "s")
	tok, _ := body["access_token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("token: %d %v", status, body)
	}
	call := func(tok string) error {
		r := httptest.NewRequest(http.MethodGet, "/v1/topics", nil)
		r.Header.Set("Authorization", tok)
		_, err := o.Tenant(r)
		return err
	}
	if err := call(tok); err != nil {
		t.Fatalf("the token as issued: %v", err)
	}
	// 32 bytes of HMAC are 43 characters of unpadded base64: the last one carries 4 bits and 2
	// unused ones; flipping the lowest changes the spelling, not the bytes.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	other := tok[:len(tok)-1] + string(alphabet[last^1])
	if err := call(other); err == nil {
		t.Errorf("the token with its last character %q for %q: accepted, want refused", alphabet[last^1], tok[len(tok)-1])
	}
}
