package api

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// CORSRule is what a browser page of an allowed origin may do on one of Ream's two surfaces: the
// API (APICORS) and the presigned upload and download URLs (ObjectsCORS). Both stacks apply the
// same rules: the CDK stack as the HTTP API's CorsPreflight and the bucket's CORS rule, the local
// server itself (infra/local). The origins are the deployment's (CorsAllowedOrigins of the
// construct, corsAllowedOrigins of `ream serve`), checked by ValidCORSOrigin. Credentials
// (cookies) are never allowed: Ream's callers authenticate with headers, which a page sends
// itself (Authorization, SigV4's X-Amz-* headers), so Access-Control-Allow-Credentials is never
// sent and "*" stays a valid origin.
type CORSRule struct {
	// Methods a page may use.
	Methods []string
	// AllowHeaders a page may send, in lower case; "*" alone means any (S3's AllowedHeaders "*").
	AllowHeaders []string
	// ExposeHeaders a page's script may read besides the CORS-safelisted ones (Content-Type,
	// Content-Length, Last-Modified, …).
	ExposeHeaders []string
	// MaxAge is how long a browser may cache a preflight's answer.
	MaxAge time.Duration
}

// APICORS is the HTTP API's rule. Its headers are those a browser client sends: a bearer key or
// token, a JSON body, a SigV4 signature (execute-api, or comprehend on POST / as the AWS SDK for
// JavaScript signs it, with its own x-amz-user-agent and amz-sdk-* headers). Authorization is
// listed by name: a "*" in Access-Control-Allow-Headers does not cover it (Fetch standard).
var APICORS = CORSRule{
	Methods: []string{"GET", "POST", "PUT", "DELETE"},
	AllowHeaders: []string{"authorization", "content-type", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
		"x-amz-target", "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request"},
	// Retry-After on a 503 or 429, WWW-Authenticate on a 401, and the Comprehend surface's
	// request id and error type, which the AWS SDKs read.
	ExposeHeaders: []string{"retry-after", "www-authenticate", "x-amzn-requestid", "x-amzn-errortype"},
	MaxAge:        time.Hour,
}

// ObjectsCORS is the rule of the presigned URLs (the bucket's on AWS): PUT an upload with its
// signed SSE-KMS headers (and Content-Type or Content-MD5 when a page sends them), GET a download,
// resumed with Range; a page may read the upload's ETag, a ranged download's Content-Range and the
// SSE-KMS headers S3 answers with.
var ObjectsCORS = CORSRule{
	Methods:       []string{"PUT", "GET", "HEAD"},
	AllowHeaders:  []string{"*"},
	ExposeHeaders: []string{"ETag", "Content-Range", "x-amz-request-id", HeaderSSE, HeaderSSEKMSKeyID},
	MaxAge:        3000 * time.Second,
}

// ValidCORSOrigin checks one allowed origin: "*" (any page), or an origin as a browser sends it,
// scheme://host[:port] with scheme http or https and nothing after it (no path, not even "/": a
// browser's Origin never has one, so such an entry would match nothing).
func ValidCORSOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#") || o != strings.ToLower(o) {
		return fmt.Errorf("CORS origin %q: want * or an origin such as https://app.example.com or http://localhost:5173 (lower case, http or https, no path or trailing slash)", o)
	}
	return nil
}

// CORSAllowOrigin is the Access-Control-Allow-Origin a request from origin gets when allowed
// lists the deployment's origins: "*" when allowed holds "*", origin itself when allowed lists
// it, and ok false otherwise (no origin, or one not listed: no CORS headers).
func CORSAllowOrigin(allowed []string, origin string) (value string, ok bool) {
	switch {
	case origin == "":
		return "", false
	case slices.Contains(allowed, "*"):
		return "*", true
	case slices.Contains(allowed, origin):
		return origin, true
	}
	return "", false
}
