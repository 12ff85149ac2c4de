package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ream-dev/ream/shared/job"
)

// ErrorBody is the JSON body of every error response of Ream's own API.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes of the sentinel errors (StatusOf).
const (
	CodeUnauthorized     = "Unauthorized"     // job.ErrUnauthorized
	CodeResourceNotFound = "ResourceNotFound" // job.ErrNotFound
	CodeInvalidRequest   = "InvalidRequest"   // job.ErrInvalid
	CodeConflict         = "Conflict"         // job.ErrConflict, job.ErrIllegalTransition
	CodeExpired          = "Expired"          // job.ErrExpired
	// CodeTooManyRequests is a 429's: a per-tenant bound (the event streams) is reached.
	CodeTooManyRequests = "TooManyRequests"
)

// Error codes that are not derived from an error value.
const (
	CodeNotFound        = "NotFound"        // no such route or method
	CodePayloadTooLarge = "PayloadTooLarge" // body over the route's limit
	CodeAccessDenied    = "AccessDenied"    // a bad, tampered or expired presigned URL
	CodeInternal        = "InternalError"
	// CodeUnavailable is a 503's: the request did not finish in its time; retry it.
	CodeUnavailable = "ServiceUnavailable"
)

// StatusOf maps an error to an HTTP status and error code. It is the one place where errors
// become statuses: the API's routes, the event stream and the local object server all use it.
func StatusOf(err error) (int, string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, CodePayloadTooLarge
	case errors.Is(err, job.ErrUnauthorized):
		return http.StatusUnauthorized, CodeUnauthorized
	case errors.Is(err, job.ErrNotFound):
		return http.StatusNotFound, CodeResourceNotFound
	case errors.Is(err, job.ErrInvalid):
		return http.StatusBadRequest, CodeInvalidRequest
	case errors.Is(err, job.ErrConflict), errors.Is(err, job.ErrIllegalTransition):
		return http.StatusConflict, CodeConflict
	case errors.Is(err, job.ErrExpired):
		return http.StatusForbidden, CodeExpired
	case errors.Is(err, context.DeadlineExceeded):
		// The request ran out of time (the store throttled and its retries waited): retryable.
		return http.StatusServiceUnavailable, CodeUnavailable
	}
	return http.StatusInternalServerError, CodeInternal
}

// sentinels are the error prefixes a message for the user need not repeat: its code says it.
var sentinels = []error{job.ErrInvalid, job.ErrConflict, job.ErrNotFound, job.ErrUnauthorized}

// Message is err's text for the user: without the sentinel prefix its code already says, and
// never the details of an internal error (those go to the server's log).
func Message(err error) string {
	switch status, _ := StatusOf(err); status {
	case http.StatusInternalServerError:
		return "internal error; the service logged the details"
	case http.StatusServiceUnavailable:
		return "the request did not finish in time (the service's store may be throttled); retry it"
	}
	msg := err.Error()
	for _, s := range sentinels {
		msg = strings.TrimPrefix(msg, s.Error()+": ")
	}
	return msg
}

// WriteError writes the JSON error body every route answers with.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, ErrorBody{Code: code, Message: msg})
}

// WriteJSON writes v as the JSON body of a response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
