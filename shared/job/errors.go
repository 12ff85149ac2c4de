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

// ArchivedError: the object exists but its storage class keeps it from being read until it is
// restored (S3 answers GetObject 403 InvalidObjectState for S3 Glacier Flexible Retrieval and
// Deep Archive objects, and for Intelligent-Tiering's archive tiers). Reading it again does not
// help, so a reader makes it an error of that object rather than retrying.
type ArchivedError struct {
	// Class names the storage class as S3 does, with the tier for Intelligent-Tiering:
	// "GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING (ARCHIVE_ACCESS tier)".
	Class string
}

func (e *ArchivedError) Error() string {
	return "the object is archived in storage class " + e.Class + " and must be restored before it can be read"
}

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
