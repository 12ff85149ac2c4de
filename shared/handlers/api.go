// Package handlers adapts AWS event payloads (aws-lambda-go's events types) to the pipeline's use
// cases: the HTTP API (API Gateway HTTP API v2), ingest (S3 ObjectCreated), the worker and the
// dead-letter consumer (SQS batches with partial failures) and the sweeper (EventBridge
// schedule). The Lambda mains and the local runtime call the same handlers. Errors become status
// codes here and only here.
package handlers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/internal/jsonkeys"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// Authenticator finds the tenant a request acts for, or returns an ErrUnauthorized error. It
// reads the request itself (a key or token in its headers) or the identity API Gateway verified
// (RequestEvent).
type Authenticator interface {
	Tenant(r *http.Request) (string, error)
}

// maxBody bounds a request body (API Gateway's own limit is 10 MB).
const maxBody = 1 << 20

// API is Ream's HTTP API: one http.Handler for every route, behind a plain net/http server (the
// local stack) or behind API Gateway through LambdaHandler. Errors become statuses in one place
// (api.StatusOf).
type API struct {
	svc  *pipeline.Service
	auth Authenticator
	log  *slog.Logger
	mux  *http.ServeMux
	// authed lists the patterns HandleAuthed registered (AuthedRoutes).
	authed []string
}

// NewAPI builds the API handler with Ream's job routes.
func NewAPI(svc *pipeline.Service, auth Authenticator, log *slog.Logger) *API {
	a := &API{svc: svc, auth: auth, log: orDefault(log), mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /v1/health", a.health)
	a.HandleAuthed("POST /v1/jobs", a.create)
	a.HandleAuthed("GET /v1/jobs", a.list)
	a.HandleAuthed("GET /v1/jobs/{id}", a.describe)
	a.HandleAuthed("DELETE /v1/jobs/{id}", a.erase)
	a.HandleAuthed("POST /v1/jobs/{id}/stop", a.stop)
	a.HandleAuthed("GET /v1/jobs/{id}/results", a.results)
	a.HandleAuthed("GET /v1/jobs/{id}/errors", a.errors)
	a.HandleAuthed("POST /v1/jobs/{id}/retry", a.retry)
	a.mountCoding()
	a.mountDropRules()
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, http.StatusNotFound, api.CodeNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return a
}

// WithTokens serves POST /oauth2/token from o (the local stack; on AWS Cognito serves it).
func (a *API) WithTokens(o *OAuth) *API {
	a.mux.Handle("POST /oauth2/token", o.TokenHandler())
	return a
}

// AuthedRoutes returns the patterns ("METHOD /path") of the authenticated routes, in the order
// they were registered: what a deployment's gateway must route to this handler.
func (a *API) AuthedRoutes() []string { return slices.Clone(a.authed) }

// Handle registers a route that needs no authentication.
func (a *API) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// HandleAuthed registers a route whose handler gets the authenticated tenant; a request without
// a valid identity is answered 401 before it.
func (a *API) HandleAuthed(pattern string, h func(w http.ResponseWriter, r *http.Request, tenant string)) {
	a.authed = append(a.authed, pattern)
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		tenant, err := authTenant(a.auth, r)
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		h(w, r, tenant)
	})
}

// authTenant is the tenant auth finds in r, which must carry at most one Authorization header
// (oneAuthorization).
func authTenant(auth Authenticator, r *http.Request) (string, error) {
	if err := oneAuthorization(r); err != nil {
		return "", err
	}
	return auth.Tenant(r)
}

// oneAuthorization refuses (job.ErrInvalid) a request with more than one Authorization header:
// with two, the authenticators and the token endpoint would read the first and ignore the other
// (found from outside), so the request is a 400 rather than answered for whichever comes first.
func oneAuthorization(r *http.Request) error {
	if n := len(r.Header.Values("Authorization")); n > 1 {
		return fmt.Errorf("%w: send one Authorization header, not %d", job.ErrInvalid, n)
	}
	return nil
}

// ServeHTTP implements http.Handler: bodies are bounded (413 above maxBody) and routed with
// net/http patterns; a path not in canonical form is no route (404), never redirected.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// net/http's ServeMux answers a path that is not in canonical form ("//v1/topics",
	// "/v1/jobs/./x", "/v1/../v1/jobs") with a 307 HTML redirect to its cleaned form. No route
	// has such a path: it is answered as every unknown route is, 404 NotFound JSON, on every
	// route alike, rather than served as another path.
	if p := r.URL.EscapedPath(); p != "" {
		if c := cleanPath(p); c != p {
			api.WriteError(w, http.StatusNotFound, api.CodeNotFound, fmt.Sprintf("no route %s %s (the path is not in canonical form; did you mean %s?)", r.Method, p, c))
			return
		}
	}
	if r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A body (at most 1 MiB of JSON or form) must arrive within bodyReadTimeout, or the
		// request holds its connection for as long as the client likes (found from outside:
		// `Content-Length: 1000` and one byte, still open after 90 s). The deadline is
		// cleared once the body has been read to its end: net/http then reads the connection
		// in the background, and a deadline passing there would cancel a long handler's
		// context. (Lambda's writer has no deadlines; API Gateway bounds requests there.)
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(bodyReadTimeout)) == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, clear: func() { _ = rc.SetReadDeadline(time.Time{}) }}
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	a.mux.ServeHTTP(w, r)
}

// bodyReadTimeout is how long a request body may take to arrive (a variable for the tests).
var bodyReadTimeout = 30 * time.Second

// deadlineBody clears its connection's read deadline once the body has been read to its end.
type deadlineBody struct {
	io.ReadCloser
	clear func()
	once  sync.Once
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.clear)
	}
	return n, err
}

// cleanPath is the canonical form net/http's ServeMux gives p (path.Clean, rooted, keeping a
// trailing slash).
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// HandleEvent is the Lambda handler of the API function (LambdaHandler over ServeHTTP).
func (a *API) HandleEvent(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return LambdaHandler(a)(ctx, req)
}

func (a *API) health(w http.ResponseWriter, _ *http.Request) {
	api.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) create(w http.ResponseWriter, r *http.Request, tenant string) {
	var req api.CreateJobRequest
	if err := decodeJSON(r.Body, &req, "a valid job", true); err != nil {
		a.Fail(w, r, err)
		return
	}
	res, err := a.svc.CreateJob(r.Context(), tenant, req)
	if err != nil {
		a.Fail(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, res)
}

func (a *API) describe(w http.ResponseWriter, r *http.Request, tenant string) {
	j, err := a.svc.Describe(r.Context(), tenant, r.PathValue("id"))
	a.answer(w, r, j, err)
}

func (a *API) list(w http.ResponseWriter, r *http.Request, tenant string) {
	q, err := queryOf(r, "JobName", "JobStatus", "SubmitTimeBefore", "SubmitTimeAfter", "MaxResults", "NextToken")
	if err != nil {
		a.Fail(w, r, err)
		return
	}
	f := api.ListFilter{JobName: q.Get("JobName"), Status: job.Status(q.Get("JobStatus")), NextToken: q.Get("NextToken")}
	parseTime := func(name string, into *time.Time) {
		if v := q.Get(name); v != "" && err == nil {
			*into, err = api.ParseTime(name, v)
		}
	}
	parseTime("SubmitTimeBefore", &f.SubmittedBefore)
	parseTime("SubmitTimeAfter", &f.SubmittedAfter)
	if q.Get("SubmitTimeBefore") != "" {
		f.SubmittedBefore = api.BeforeBound(f.SubmittedBefore)
	}
	if err == nil {
		f.MaxResults, err = maxResults(q)
	}
	if err != nil {
		a.Fail(w, r, err)
		return
	}
	jobs, next, err := a.svc.List(r.Context(), tenant, f)
	if err != nil {
		a.Fail(w, r, err)
		return
	}
	if jobs == nil {
		jobs = []*job.Job{}
	}
	api.WriteJSON(w, http.StatusOK, api.ListResponse{Jobs: jobs, NextToken: next})
}

func (a *API) stop(w http.ResponseWriter, r *http.Request, tenant string) {
	j, err := a.svc.Stop(r.Context(), tenant, r.PathValue("id"))
	a.answer(w, r, j, err)
}

// erase deletes a finished job and its data now (pipeline.EraseJob) → 204.
func (a *API) erase(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := a.svc.EraseJob(r.Context(), tenant, r.PathValue("id")); err != nil {
		a.Fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) results(w http.ResponseWriter, r *http.Request, tenant string) {
	res, err := a.svc.Results(r.Context(), tenant, r.PathValue("id"))
	a.answer(w, r, res, err)
}

func (a *API) errors(w http.ResponseWriter, r *http.Request, tenant string) {
	q, err := queryOf(r, "ErrorCode", "Analysis", "MaxResults", "NextToken")
	if err != nil {
		a.Fail(w, r, err)
		return
	}
	f := api.ErrorsFilter{ErrorCode: q.Get("ErrorCode"), Analysis: job.Analysis(q.Get("Analysis")), NextToken: q.Get("NextToken")}
	if f.MaxResults, err = maxResults(q); err != nil {
		a.Fail(w, r, err)
		return
	}
	res, err := a.svc.Errors(r.Context(), tenant, r.PathValue("id"), f)
	a.answer(w, r, res, err)
}

func (a *API) retry(w http.ResponseWriter, r *http.Request, tenant string) {
	var req api.RetryRequest
	// The body is optional: decoded as the other routes' bodies unless it is empty (or white
	// space), so that one that is not JSON is a 400 whatever its size, as everywhere. Its
	// encoding is judged first, as decodeJSON's is, so that a UTF-8 byte-order mark alone (or
	// before white space) is an empty body too (found in review: a 400 "the body is empty").
	body := bufio.NewReader(http.MaxBytesReader(w, r.Body, maxBody))
	if err := bodyEncoding(body, "a retry request"); err != nil {
		a.Fail(w, r, err)
		return
	}
	if !blank(body) {
		if err := decodeJSON(body, &req, "a retry request", true); err != nil {
			a.Fail(w, r, err)
			return
		}
		// [] names no code: it is not taken as the defaults, which omitting the field (or
		// null) asks for, lest documents of codes the caller did not name be re-run.
		if req.ErrorCodes != nil && len(req.ErrorCodes) == 0 {
			a.Fail(w, r, fmt.Errorf("%w: ErrorCodes must name at least one code, or be omitted for the defaults (%s)", job.ErrInvalid, strings.Join(pipeline.DefaultRetryCodes, ", ")))
			return
		}
	}
	res, err := a.svc.Retry(r.Context(), tenant, r.PathValue("id"), req)
	if err != nil {
		a.Fail(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, res)
}

// queryOf parses a request's query string, which may name only the parameters known, each at
// most once (names are case-sensitive): "?JobStatus=FAILED;x" or "?jobstatus=FAILED" used to be
// answered as if unfiltered.
func queryOf(r *http.Request, known ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: the query string cannot be parsed: %v", job.ErrInvalid, err)
	}
	for name, vs := range q {
		if len(name) > 6 && strings.EqualFold(name[:6], "X-Amz-") {
			continue // a SigV4 signature in the query (query-string authentication)
		}
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("%w: unknown query parameter %q (this route takes %s)", job.ErrInvalid, name, strings.Join(known, ", "))
		}
		if len(vs) > 1 {
			return nil, fmt.Errorf("%w: query parameter %s given %d times", job.ErrInvalid, name, len(vs))
		}
	}
	return q, nil
}

// maxResults reads a route's MaxResults query parameter: 0 (the route's default) when it is
// absent; else decimal digits without a sign, spaces or leading zeros, at least 1 (the service
// checks the route's upper bound). An empty value is a 400 too, not the default.
func maxResults(q url.Values) (int, error) {
	vs, ok := q["MaxResults"]
	if !ok {
		return 0, nil
	}
	v := vs[0] // queryOf took it once
	switch {
	case v == "":
		return 0, fmt.Errorf("%w: MaxResults is empty: give a whole number, or omit it for the default", job.ErrInvalid)
	case v[0] == '+' || v[0] == '-':
		return 0, fmt.Errorf("%w: MaxResults must be written in decimal digits without a sign (got %q)", job.ErrInvalid, truncate(v, maxEchoedID))
	case strings.Trim(v, "0123456789") != "":
		hint := ""
		if v[0] == ' ' {
			hint = "; a + in a query string is a space" // (found from outside: `got " 5"` for +5)
		}
		return 0, fmt.Errorf("%w: MaxResults must be a whole number in decimal digits (got %q%s)", job.ErrInvalid, truncate(v, maxEchoedID), hint)
	case len(v) > 1 && v[0] == '0':
		return 0, fmt.Errorf("%w: MaxResults must be written without leading zeros (got %q)", job.ErrInvalid, truncate(v, maxEchoedID))
	case v == "0":
		return 0, fmt.Errorf("%w: MaxResults must be at least 1", job.ErrInvalid)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		n = math.MaxInt // digits past int's range: over the route's bound, which the service says
	}
	return n, nil
}

// blank reads the white space at the start of r and reports whether r ends there; otherwise the
// first other byte is left to read (a read error also answers false, for the decoder to report).
func blank(r *bufio.Reader) bool {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return errors.Is(err, io.EOF)
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			_ = r.UnreadByte()
			return false
		}
	}
}

// decodeJSON decodes the one JSON value of a request body into v (what names it in messages),
// refusing data after it, a key that names a field of v only when case is ignored or names one
// twice in the same object (jsonkeys.Check: encoding/json would take the one and keep the last of the
// other, silently) and, when strict, fields v does not have. Every route's body goes through it,
// so the same mistake gets the same answer everywhere.
func decodeJSON(body io.Reader, v any, what string, strict bool) error {
	br := bufio.NewReader(body)
	if err := bodyEncoding(br, what); err != nil {
		return err
	}
	var read bytes.Buffer // what the decoder read: judged for UTF-8 when the body is over the limit
	dec := json.NewDecoder(io.TeeReader(br, &read))
	// The value is read whole first (a syntax error or a body over the limit is reported as
	// Decode reports it into any type), its keys checked, then decoded into v.
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			// Over the limit, but its first maxBody bytes (all that is read) are already not
			// UTF-8: a 400 whatever its size, as a body that is not JSON there is (the
			// decoder's syntax error). JSON so far, it is a 413.
			if at := invalidUTF8Before(bytes.TrimLeft(read.Bytes(), " \t\r\n")); at >= 0 {
				return notUTF8(what, at)
			}
		}
		return decodeError(err, what)
	}
	if at := input.InvalidUTF8At(raw); at >= 0 {
		// encoding/json would turn the bytes into U+FFFD silently: two file names that differ
		// in such bytes would become one.
		return notUTF8(what, at)
	}
	check := jsonkeys.Check
	if strict {
		check = jsonkeys.CheckKnown
	}
	if err := check(raw, reflect.TypeOf(v)); err != nil {
		return decodeError(err, what)
	}
	vdec := json.NewDecoder(bytes.NewReader(raw))
	if strict {
		vdec.DisallowUnknownFields()
	}
	if err := vdec.Decode(v); err != nil {
		return decodeError(err, what)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) { // white space past the limit: too large, not trailing data
			return decodeError(err, what)
		}
		return fmt.Errorf("%w: request body has data after its JSON object", job.ErrInvalid)
	}
	return nil
}

// bodyEncoding looks at the first bytes of a request body: it consumes a UTF-8 byte-order mark
// (RFC 8259 lets a parser ignore one; Windows editors and PowerShell write it, and Ream's inputs
// strip it too), and refuses a UTF-16 or UTF-32 body by name, which the JSON decoder would
// report as an invalid character 'ÿ' or '\x00'.
func bodyEncoding(br *bufio.Reader, what string) error {
	head, _ := br.Peek(4) // a shorter body, or a read error, is left to the decoder
	if bytes.HasPrefix(head, input.BOM) {
		br.Discard(len(input.BOM))
		return nil
	}
	enc := ""
	switch input.Marked(head) {
	case input.MarkUTF32:
		enc = "UTF-32 (it starts with a UTF-32 byte-order mark, bytes 0xFF 0xFE 0x00 0x00)"
	case input.MarkUTF16:
		enc = fmt.Sprintf("UTF-16 (it starts with a UTF-16 byte-order mark, bytes 0x%02X 0x%02X)", head[0], head[1])
	case input.MarkGzip:
		// Found from outside: `curl --data-binary @job.json.gz` (or Content-Encoding: gzip,
		// which the API does not take) was "invalid character '\x1f'".
		return fmt.Errorf("%w: request body is not %s: it is gzip-compressed (it starts with gzip's bytes 0x1F 0x8B); the API takes no Content-Encoding: send the JSON uncompressed", job.ErrInvalid, what)
	default:
		if bytes.IndexByte(head, 0) < 0 {
			return nil
		}
		// JSON text starts with an ASCII character: in UTF-16 or UTF-32 a NUL byte is beside it.
		enc = "UTF-16 or UTF-32 (it has NUL bytes at its start)"
	}
	return fmt.Errorf("%w: request body is not %s: it is %s; JSON text is UTF-8: send it as UTF-8", job.ErrInvalid, what, enc)
}

// notUTF8 is the error of a request body that is not UTF-8 from byte at of its JSON value.
func notUTF8(what string, at int) error {
	return fmt.Errorf("%w: request body is not %s: it is not UTF-8 (byte %d of the JSON value); JSON text is UTF-8", job.ErrInvalid, what, at)
}

// invalidUTF8Before is input.InvalidUTF8At of b, the start of a body cut at the size limit,
// but for a last character the cut split (the rest of it was not read).
func invalidUTF8Before(b []byte) int {
	for k := 1; k < utf8.UTFMax && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				b = b[:len(b)-k]
			}
			break
		}
	}
	return input.InvalidUTF8At(b)
}

// decodeError is the error for a request body that did not decode as what: 413 when it was over
// the limit, 400 otherwise.
func decodeError(err error, what string) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return bodyTooLarge{tooBig}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: the request body did not arrive within %s", job.ErrInvalid, bodyReadTimeout)
	}
	return fmt.Errorf("%w: request body is not %s: %s", job.ErrInvalid, what, jsonProblem(err))
}

// bodyTooLarge is a *http.MaxBytesError (413) said in the request's terms, not Go's.
type bodyTooLarge struct{ err *http.MaxBytesError }

func (e bodyTooLarge) Error() string {
	return fmt.Sprintf("request body is larger than %d bytes", e.err.Limit)
}

func (e bodyTooLarge) Unwrap() error { return e.err }

// jsonProblem describes a JSON decoding error in the request's terms, without Go's type names
// (jsonkeys.Problem, which the configuration file's errors use too).
func jsonProblem(err error) string {
	if errors.Is(err, io.EOF) {
		return "the body is empty; send a JSON object" // (found from outside: "EOF")
	}
	return jsonkeys.Problem(err, "the body")
}

// Fail answers err with its status and code (api.StatusOf) and a message for the user;
// internal errors are logged with their details and answered without them.
func (a *API) Fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := api.StatusOf(err)
	msg := api.Message(err)
	switch {
	case status >= http.StatusInternalServerError && errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away (or the server is stopping): nothing failed that an operator
		// must look at, and the client reads no answer.
		a.log.InfoContext(r.Context(), "request cancelled", "method", r.Method, "path", r.URL.Path, "err", err)
	case status >= http.StatusInternalServerError:
		a.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	switch status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", wwwAuthenticate(a.auth)) // RFC 9110 §15.5.2
	}
	if status == http.StatusNotFound && errors.Is(err, job.ErrNotFound) && r.PathValue("id") != "" {
		msg = fmt.Sprintf("job %s not found", truncate(r.PathValue("id"), maxEchoedID))
	}
	api.WriteError(w, status, code, msg)
}
