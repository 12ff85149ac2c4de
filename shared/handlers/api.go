// Package handlers adapts AWS event payloads (aws-lambda-go's events types) to the pipeline's use
// cases: the HTTP API (API Gateway HTTP API v2), ingest (S3 ObjectCreated), the worker and the
// dead-letter consumer (SQS batches with partial failures) and the sweeper (EventBridge
// schedule). The Lambda mains and the local runtime call the same handlers. Errors become status
// codes here and only here.
package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// Authenticator finds the tenant a request acts for, or returns an ErrUnauthorized error.
type Authenticator interface {
	Tenant(req *events.APIGatewayV2HTTPRequest) (string, error)
}

// maxBody bounds a request body (API Gateway's own limit is 10 MB).
const maxBody = 1 << 20

// API serves the REST API under /v1 from API Gateway HTTP API (payload v2) events.
type API struct {
	svc  *pipeline.Service
	auth Authenticator
	log  *slog.Logger
	mux  *http.ServeMux
}

// NewAPI builds the API handler.
func NewAPI(svc *pipeline.Service, auth Authenticator, log *slog.Logger) *API {
	a := &API{svc: svc, auth: auth, log: orDefault(log), mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /v1/health", a.health)
	a.mux.HandleFunc("POST /v1/jobs", a.authed(a.create))
	a.mux.HandleFunc("GET /v1/jobs", a.authed(a.list))
	a.mux.HandleFunc("GET /v1/jobs/{id}", a.authed(a.describe))
	a.mux.HandleFunc("POST /v1/jobs/{id}/stop", a.authed(a.stop))
	a.mux.HandleFunc("GET /v1/jobs/{id}/results", a.authed(a.results))
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return a
}

type ctxKey int

const (
	eventKey ctxKey = iota
	tenantKey
)

// Handle is the Lambda handler: it routes the event with net/http patterns and returns the
// response as API Gateway expects it.
func (a *API) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return errorResponse(http.StatusBadRequest, "BadRequest", "body is not valid base64"), nil
		}
		body = b
	}
	path := req.RawPath
	if path == "" {
		path = "/"
	}
	u := &url.URL{Path: path, RawQuery: req.RawQueryString}
	method := req.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	hr, err := http.NewRequestWithContext(context.WithValue(ctx, eventKey, &req), method, u.String(), bytes.NewReader(body))
	if err != nil {
		return errorResponse(http.StatusBadRequest, "BadRequest", "malformed request line"), nil
	}
	for k, v := range req.Headers {
		hr.Header.Set(k, v)
	}
	rec := newRecorder()
	a.mux.ServeHTTP(rec, hr)
	return rec.response(), nil
}

// ServeHTTP lets the same API run behind a plain net/http server (the local stack): the request
// is turned into the API Gateway v2 event Lambda would receive and handled by Handle.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ev, err := EventFromHTTP(r, maxBody)
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", err.Error())
		return
	}
	resp, _ := a.Handle(r.Context(), ev)
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.WriteString(w, resp.Body)
}

// EventFromHTTP builds the API Gateway HTTP API v2 event for an HTTP request, as API Gateway
// does: lower-case headers, raw path and query, base64 for non-text bodies.
func EventFromHTTP(r *http.Request, limit int64) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("request body is larger than %d bytes", limit)
	}
	headers := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "$default",
		RawPath:        r.URL.Path,
		RawQueryString: r.URL.RawQuery,
		Headers:        headers,
		Body:           string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:  "$default",
			Stage:     "$default",
			RequestID: strconv.FormatInt(time.Now().UnixNano(), 36),
			TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: r.RemoteAddr, UserAgent: r.UserAgent(),
			},
		},
	}
	return ev, nil
}

func (a *API) authed(h func(w http.ResponseWriter, r *http.Request, tenant string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ev, _ := r.Context().Value(eventKey).(*events.APIGatewayV2HTTPRequest)
		if ev == nil {
			ev = &events.APIGatewayV2HTTPRequest{Headers: map[string]string{"authorization": r.Header.Get("Authorization")}}
		}
		tenant, err := a.auth.Tenant(ev)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		h(w, r, tenant)
	}
}

func (a *API) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) create(w http.ResponseWriter, r *http.Request, tenant string) {
	var req pipeline.CreateJobRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		a.fail(w, r, fmt.Errorf("%w: request body is not a valid job: %s", job.ErrInvalid, jsonProblem(err)))
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		a.fail(w, r, fmt.Errorf("%w: request body has data after the job's JSON object", job.ErrInvalid))
		return
	}
	res, err := a.svc.CreateJob(r.Context(), tenant, req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

func (a *API) describe(w http.ResponseWriter, r *http.Request, tenant string) {
	j, err := a.svc.Describe(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// ListResponse is the body of GET /v1/jobs.
type ListResponse struct {
	Jobs      []*job.Job `json:"Jobs"`
	NextToken string     `json:"NextToken,omitempty"`
}

func (a *API) list(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	f := pipeline.ListFilter{JobName: q.Get("JobName"), Status: job.Status(q.Get("JobStatus")), NextToken: q.Get("NextToken")}
	var err error
	parseTime := func(name string, into *time.Time) {
		if v := q.Get(name); v != "" && err == nil {
			t, perr := time.Parse(time.RFC3339, v)
			if perr != nil {
				err = fmt.Errorf("%w: %s must be an RFC 3339 time such as 2026-01-02T15:04:05Z", job.ErrInvalid, name)
			}
			*into = t
		}
	}
	parseTime("SubmitTimeBefore", &f.SubmittedBefore)
	parseTime("SubmitTimeAfter", &f.SubmittedAfter)
	if v := q.Get("MaxResults"); v != "" && err == nil {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 {
			err = fmt.Errorf("%w: MaxResults must be a positive integer", job.ErrInvalid)
		}
		f.MaxResults = n
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	jobs, next, err := a.svc.List(r.Context(), tenant, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if jobs == nil {
		jobs = []*job.Job{}
	}
	writeJSON(w, http.StatusOK, ListResponse{Jobs: jobs, NextToken: next})
}

func (a *API) stop(w http.ResponseWriter, r *http.Request, tenant string) {
	j, err := a.svc.Stop(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (a *API) results(w http.ResponseWriter, r *http.Request, tenant string) {
	res, err := a.svc.Results(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// StatusOf maps a pipeline error to an HTTP status and error code.
func StatusOf(err error) (int, string) {
	switch {
	case errors.Is(err, job.ErrUnauthorized):
		return http.StatusUnauthorized, "Unauthorized"
	case errors.Is(err, job.ErrNotFound):
		return http.StatusNotFound, "ResourceNotFound"
	case errors.Is(err, job.ErrInvalid):
		return http.StatusBadRequest, "InvalidRequest"
	case errors.Is(err, job.ErrConflict), errors.Is(err, job.ErrIllegalTransition):
		return http.StatusConflict, "Conflict"
	case errors.Is(err, job.ErrExpired):
		return http.StatusForbidden, "Expired"
	}
	return http.StatusInternalServerError, "InternalError"
}

// jsonProblem describes a JSON decoding error in the request's terms, without Go's type names.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "the body"
		}
		return fmt.Sprintf("%s must not be a JSON %s", field, typeErr.Value)
	}
	return err.Error()
}

// sentinels are the error prefixes a message for the user need not repeat: its code says it.
var sentinels = []error{job.ErrInvalid, job.ErrConflict, job.ErrNotFound, job.ErrUnauthorized}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := StatusOf(err)
	msg := err.Error()
	for _, s := range sentinels {
		msg = strings.TrimPrefix(msg, s.Error()+": ")
	}
	if status == http.StatusInternalServerError {
		a.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error; the service logged the details"
	}
	if status == http.StatusNotFound && errors.Is(err, job.ErrNotFound) && r.PathValue("id") != "" {
		msg = fmt.Sprintf("job %s not found", r.PathValue("id"))
	}
	WriteError(w, status, code, msg)
}

// WriteError writes the JSON error body every route answers with.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func errorResponse(status int, code, msg string) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(ErrorBody{Code: code, Message: msg})
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}

// recorder collects a handler's response for the API Gateway response.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) response() events.APIGatewayV2HTTPResponse {
	h := make(map[string]string, len(r.header))
	for k, v := range r.header {
		h[k] = strings.Join(v, ",")
	}
	status := r.status
	if status == 0 {
		status = http.StatusOK
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: h, Body: r.body.String()}
}
