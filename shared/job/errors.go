package job

import "errors"

// Sentinel errors. Every layer wraps them with context (fmt.Errorf("...: %w", ErrX)); only the
// edge (the HTTP API handler) maps them to status codes, with errors.Is.
var (
	// ErrNotFound: no such job, object or record for this tenant. Another tenant's job is
	// ErrNotFound too, never a permission error.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a conditional write lost (the record changed underneath, or a
	// ClientRequestToken was reused with a different request).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request is malformed or violates a limit.
	ErrInvalid = errors.New("invalid request")
	// ErrIllegalTransition: the job's state machine does not allow the move.
	ErrIllegalTransition = errors.New("illegal status transition")
	// ErrUnauthorized: no or unknown credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrExpired: a presigned URL or token is past its expiry.
	ErrExpired = errors.New("expired")
	// ErrAlreadyDone: an idempotent step was already applied (a duplicate delivery).
	ErrAlreadyDone = errors.New("already done")
)

// Error codes written in per-document error records (the "ErrorCode" output field).
const (
	CodeUnsupportedEncoding  = "UNSUPPORTED_ENCODING"
	CodeDocumentSizeExceeded = "DOCUMENT_SIZE_EXCEEDED"
	CodeEmptyDocument        = "EMPTY_DOCUMENT"
	CodeInvalidRecord        = "INVALID_RECORD"
	CodeUnsupportedLanguage  = "UNSUPPORTED_LANGUAGE"
	CodeInternalError        = "INTERNAL_SERVER_ERROR"
	CodeShardFailed          = "SHARD_FAILED"
	// CodeUnreadableFile: a ONE_DOC_PER_FILE file the store cannot open by its name (the local
	// store's keys: UTF-8, no backslash, at most 1,024 bytes).
	CodeUnreadableFile = "UNREADABLE_FILE"
)
