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

// FuzzOAuth sends arbitrary token requests (form body, content type, HTTP Basic credentials) to
// POST /oauth2/token and arbitrary Authorization headers to the API: the token endpoint always
// answers RFC 6749 JSON (never a 5xx), grants a token only to a client's own id and secret (as
// sent, or form-decoded), and the API accepts exactly the tokens it issued (with or without
// "Bearer ", surrounding space aside), each for its client's tenant.
func FuzzOAuth(f *testing.F) {
	clients := []OAuthClient{
		{ClientID: "clientc", ClientSecret: "p+q/r=s%41", Tenant: "tenant-c"},
		{ClientID: "a b+c", ClientSecret: "plain", Tenant: "tenant-d"},
	}
	now := time.Unix(1_800_000_000, 0)
	o := NewOAuth(clients, []byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	issued := map[string]string{} // token → tenant
	for _, c := range clients {
		issued[o.sign(tokenClaims{ClientID: c.ClientID, Tenant: c.Tenant, Scope: CodingScope, Expires: now.Add(time.Hour).Unix(), Key: o.clientKey(c)})] = c.Tenant
	}
	var tok string
	for t := range issued {
		tok = t
	}
	f.Add("grant_type=client_credentials", "application/x-www-form-urlencoded", true, "clientc", "p%2Bq%2Fr%3Ds%2541", "Bearer "+tok)
	f.Add("grant_type=client_credentials&client_id=a+b%2Bc&client_secret=plain&scope=ream%2Fcoding", "application/x-www-form-urlencoded; charset=utf-8", false, "", "", tok)
	f.Add("grant_type=client_credentials&grant_type=x", "application/x-www-form-urlencoded", true, "clientc", "p+q/r=s%41", "bearer  "+tok+" ")
	f.Add(`{"grant_type":"client_credentials"}`, "application/json", true, "clientc", "wrong", tok[:len(tok)-1]+"A")
	f.Add("%zz=1", "", false, "", "", "Bearer .")
	f.Add("client_id=clientc&client_secret=p%2Bq%2Fr%3Ds%2541&grant_type=client_credentials", "application/x-www-form-urlencoded", true, "clientc", "x", strings.Replace(tok, ".", "..", 1))
	f.Fuzz(func(t *testing.T, body, ctype string, basic bool, id, secret, authz string) {
		r, err := http.NewRequest(http.MethodPost, "http://ream.example/oauth2/token", strings.NewReader(body))
		if err != nil {
			return
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if basic {
			r.SetBasicAuth(id, secret)
		}
		w := httptest.NewRecorder()
		o.TokenHandler().ServeHTTP(w, r)
		var ans map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || w.Code >= 500 {
			t.Fatalf("token %q: %d %q (%v)", body, w.Code, w.Body, err)
		}
		if w.Code == http.StatusOK {
			granted := false
			form, _ := url.ParseQuery(body)
			for _, c := range clients {
				if basic && (id == c.ClientID || formDecoded(id) == c.ClientID) && (secret == c.ClientSecret || formDecoded(secret) == c.ClientSecret) ||
					!basic && form.Get("client_id") == c.ClientID && form.Get("client_secret") == c.ClientSecret {
					granted = true
				}
			}
			if !granted {
				t.Fatalf("token granted to basic=%v %q:%q body %q", basic, id, secret, body)
			}
		} else if ans["error"] == nil {
			t.Fatalf("token %q: %d without an error code: %s", body, w.Code, w.Body)
		}

		r = httptest.NewRequest(http.MethodGet, "/v1/topics", nil)
		r.Header["Authorization"] = []string{authz}
		tenant, err := o.Tenant(r)
		if err != nil {
			return
		}
		sent := strings.TrimSpace(authz)
		if scheme, rest, ok := strings.Cut(sent, " "); ok && strings.EqualFold(scheme, "Bearer") {
			sent = strings.TrimSpace(rest)
		}
		if want, ok := issued[sent]; !ok || tenant != want {
			t.Fatalf("Authorization %q accepted for tenant %q; issued: %v", authz, tenant, ok)
		}
	})
}
