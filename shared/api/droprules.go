package api

import "time"

// DropRule is a tenant's drop rule (PUT/GET /v1/drop-rules/{name}): every object created under
// its folder (Location) starts a job from Template.
type DropRule struct {
	Name string `json:"Name"`
	// Location is the rule's folder: s3://<bucket>/inputs/<tenant>/drop/<name>/ on AWS,
	// file://<data>/objects/inputs/<tenant>/drop/<name>/ locally.
	Location string `json:"Location"`
	// Template is the body of a create request without an input location (no
	// InputDataConfig.S3Uri, UploadFiles or ClientRequestToken); its JobName is the prefix of
	// the names of the jobs the rule starts.
	Template  CreateJobRequest `json:"Template"`
	UpdatedAt time.Time        `json:"UpdatedAt"`

	// Tenant owns the rule.
	Tenant string `json:"-"`
}

// DropRuleList is the body of GET /v1/drop-rules.
type DropRuleList struct {
	DropRules []DropRule `json:"DropRules"`
}

// DropUploadRequest is the body of POST /v1/drop-rules/{name}/uploads: the name, relative to
// the rule's folder, of the object to upload (for a ONE_DOC_PER_FILE rule, "<batch>/<file>" and
// last "<batch>/_SUCCESS").
type DropUploadRequest struct {
	File string `json:"File"`
}
