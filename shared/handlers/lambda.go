package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/api"
)

type ctxKey int

const eventKey ctxKey = iota

// RequestEvent returns the API Gateway event a request was built from by LambdaHandler (with the
// identity API Gateway verified: IAM, JWT claims), or nil for a request that came over plain HTTP.
func RequestEvent(r *http.Request) *events.APIGatewayV2HTTPRequest {
	ev, _ := r.Context().Value(eventKey).(*events.APIGatewayV2HTTPRequest)
	return ev
}

// APIRequestID is API Gateway's id of the request whose context ctx is (or derives from), as the
// stage's access log names it (requestId), or "" outside an API Gateway event.
func APIRequestID(ctx context.Context) string {
	if ev, _ := ctx.Value(eventKey).(*events.APIGatewayV2HTTPRequest); ev != nil {
		return ev.RequestContext.RequestID
	}
	return ""
}

// LambdaHandler adapts an http.Handler to API Gateway HTTP API (payload v2) events: the event
// becomes an *http.Request carrying the event in its context (RequestEvent), and the handler's
// response becomes the event response. This is the only place the API meets Lambda's types.
func LambdaHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		rec := newRecorder()
		body := []byte(req.Body)
		if req.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(req.Body)
			if err != nil {
				api.WriteError(rec, http.StatusBadRequest, api.CodeInvalidRequest, "body is not valid base64")
				return rec.response(), nil
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
		// The request ends a little before the invocation does (a throttled store's retries
		// wait with the context), so that its answer (a 503 then) is sent, not cut off.
		ctx, cancel := beforeDeadline(ctx)
		defer cancel()
		hr, err := http.NewRequestWithContext(context.WithValue(ctx, eventKey, &req), method, u.String(), bytes.NewReader(body))
		if err != nil {
			api.WriteError(rec, http.StatusBadRequest, api.CodeInvalidRequest, "malformed request line")
			return rec.response(), nil
		}
		// The path as API Gateway gave it: u.String() of one that begins with "//" reads back
		// as a host ("//v1/topics" became host v1, path /topics).
		hr.URL, hr.Host = u, ""
		for k, v := range req.Headers {
			hr.Header.Set(k, v)
		}
		hr.RemoteAddr = req.RequestContext.HTTP.SourceIP
		h.ServeHTTP(rec, hr)
		return rec.response(), nil
	}
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
