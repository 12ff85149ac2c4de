package local

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ream-dev/ream/shared/api"
)

// apiCORS answers the API's CORS preflights and adds the CORS headers to its answers, as API
// Gateway does with the CorsPreflight the CDK stack gives it (api.APICORS, the deployment's
// origins): a preflight (OPTIONS with Origin and Access-Control-Request-Method) on any path is a
// 204, with the rule's headers when its origin is allowed and without them otherwise (the
// browser then refuses the request); any other request from an allowed origin gets
// Access-Control-Allow-Origin and Access-Control-Expose-Headers. With no origins configured
// (the default) the API answers as before: an OPTIONS request is no route, a 404, as API
// Gateway without CORS answers it.
func apiCORS(next http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return next
	}
	rule := api.APICORS
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow, ok := api.CORSAllowOrigin(origins, r.Header.Get("Origin"))
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" && r.Header.Get("Origin") != "" {
			varyOrigin(w, origins)
			if ok {
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", allow)
				h.Set("Access-Control-Allow-Methods", strings.Join(rule.Methods, ","))
				h.Set("Access-Control-Allow-Headers", strings.Join(rule.AllowHeaders, ","))
				h.Set("Access-Control-Max-Age", strconv.Itoa(int(rule.MaxAge.Seconds())))
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if ok {
			corsAnswerHeaders(w, allow, rule, origins)
		}
		next.ServeHTTP(w, r)
	})
}

// objectsCORS answers the presigned URLs' CORS preflights and adds the CORS headers to their
// answers, as S3 does with the bucket's CORS rule (api.ObjectsCORS, the deployment's origins).
// Every OPTIONS request to /objects/ is a preflight, its URL's signature unchecked, as on S3: one
// without Origin or Access-Control-Request-Method is a 400; one whose origin, method or headers
// the rule does not allow (every one when no origins are configured, as S3 answers a bucket
// without CORS) a 403 AccessForbidden; an allowed one a 200 echoing the requested headers.
// Before, a preflight was checked as a request of method OPTIONS and refused 403
// SignatureDoesNotMatch, and no answer carried Access-Control-Allow-Origin, so a page could not
// upload to or download from the local stack at all, while it could from the bucket (found by
// the web front-end review).
func objectsCORS(next http.Handler, origins []string) http.Handler {
	rule := api.ObjectsCORS
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allow, ok := api.CORSAllowOrigin(origins, origin)
		if r.Method != http.MethodOptions {
			if ok {
				corsAnswerHeaders(w, allow, rule, origins)
			}
			next.ServeHTTP(w, r)
			return
		}
		method := r.Header.Get("Access-Control-Request-Method")
		if origin == "" || method == "" {
			api.WriteError(w, http.StatusBadRequest, api.CodeInvalidRequest,
				"insufficient information: a CORS preflight (OPTIONS) needs the Origin and Access-Control-Request-Method headers")
			return
		}
		varyOrigin(w, origins)
		requested := requestedHeaders(r)
		if len(origins) == 0 {
			api.WriteError(w, http.StatusForbidden, "AccessForbidden",
				"CORSResponse: CORS is not enabled for this server: list the page's origin in corsAllowedOrigins")
			return
		}
		if !ok || !slices.Contains(rule.Methods, method) || !headersAllowed(rule, requested) {
			api.WriteError(w, http.StatusForbidden, "AccessForbidden",
				"CORSResponse: this CORS request is not allowed: origin "+origin+", method "+method+
					" (allowed: origins in corsAllowedOrigins, methods "+strings.Join(rule.Methods, ", ")+")")
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Allow-Methods", strings.Join(rule.Methods, ", "))
		if len(requested) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
		}
		h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(rule.MaxAge.Seconds())))
		w.WriteHeader(http.StatusOK)
	})
}

// corsAnswerHeaders are the CORS headers of an answer (not a preflight's) to an allowed origin.
func corsAnswerHeaders(w http.ResponseWriter, allow string, rule api.CORSRule, origins []string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", allow)
	h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	varyOrigin(w, origins)
}

// varyOrigin marks an answer that depends on the request's Origin (any list but "*"), so that a
// cache does not serve one origin's answer to another.
func varyOrigin(w http.ResponseWriter, origins []string) {
	if !slices.Contains(origins, "*") {
		w.Header().Add("Vary", "Origin")
	}
}

// requestedHeaders are a preflight's Access-Control-Request-Headers, in lower case.
func requestedHeaders(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
				out = append(out, h)
			}
		}
	}
	return out
}

func headersAllowed(rule api.CORSRule, requested []string) bool {
	if slices.Equal(rule.AllowHeaders, []string{"*"}) {
		return true
	}
	for _, h := range requested {
		if !slices.Contains(rule.AllowHeaders, h) {
			return false
		}
	}
	return true
}
