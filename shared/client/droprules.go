package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ream-dev/ream/shared/api"
)

// PutDropRule creates or replaces the drop rule name with the job template tmpl (a create
// request without an input location).
func (c *Client) PutDropRule(ctx context.Context, name string, tmpl api.CreateJobRequest) (*api.DropRule, error) {
	var r api.DropRule
	if err := c.do(ctx, http.MethodPut, "/v1/drop-rules/"+url.PathEscape(name), tmpl, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetDropRule returns the drop rule name.
func (c *Client) GetDropRule(ctx context.Context, name string) (*api.DropRule, error) {
	var r api.DropRule
	if err := c.do(ctx, http.MethodGet, "/v1/drop-rules/"+url.PathEscape(name), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ListDropRules returns the caller's drop rules by name.
func (c *Client) ListDropRules(ctx context.Context) ([]api.DropRule, error) {
	var l api.DropRuleList
	if err := c.do(ctx, http.MethodGet, "/v1/drop-rules", nil, &l); err != nil {
		return nil, err
	}
	return l.DropRules, nil
}

// DeleteDropRule deletes the drop rule name.
func (c *Client) DeleteDropRule(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/v1/drop-rules/"+url.PathEscape(name), nil, nil)
}

// DropUpload returns a presigned PUT of file (relative to the rule's folder) into the drop rule
// name's folder; uploading it (Upload) starts the rule's job as any object dropped there does.
func (c *Client) DropUpload(ctx context.Context, name, file string) (*api.Upload, error) {
	var u api.Upload
	if err := c.do(ctx, http.MethodPost, "/v1/drop-rules/"+url.PathEscape(name)+"/uploads", api.DropUploadRequest{File: file}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}
