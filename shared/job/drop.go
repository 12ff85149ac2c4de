package job

// DropObject names the object version that started a job through a drop rule: its key (for a
// ONE_DOC_PER_FILE batch, the batch's marker), and the ETag and version id the store reported for
// it. Together they are the job's idempotency token, so a repeated ObjectCreated event for the
// same version starts nothing new.
type DropObject struct {
	Key       string `json:"Key"`
	ETag      string `json:"ETag,omitempty"`
	VersionId string `json:"VersionId,omitempty"`
}
