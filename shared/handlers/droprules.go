package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// mountDropRules registers the drop rule routes: a rule's template is the body of a create
// request without an input location.
func (a *API) mountDropRules() {
	a.HandleAuthed("GET /v1/drop-rules", func(w http.ResponseWriter, r *http.Request, tenant string) {
		rules, err := a.svc.ListDropRules(r.Context(), tenant)
		if rules == nil {
			rules = []api.DropRule{}
		}
		a.answer(w, r, api.DropRuleList{DropRules: rules}, err)
	})
	a.HandleAuthed("PUT /v1/drop-rules/{name}", func(w http.ResponseWriter, r *http.Request, tenant string) {
		var tmpl api.CreateJobRequest
		if err := decodeJSON(r.Body, &tmpl, "a valid job template", true); err != nil {
			a.Fail(w, r, err)
			return
		}
		// A 404 here is the template's (an unknown coding topic or model), as for a create.
		rule, err := a.svc.PutDropRule(r.Context(), tenant, r.PathValue("name"), tmpl)
		a.answer(w, r, rule, err)
	})
	a.HandleAuthed("GET /v1/drop-rules/{name}", func(w http.ResponseWriter, r *http.Request, tenant string) {
		rule, err := a.svc.GetDropRule(r.Context(), tenant, r.PathValue("name"))
		a.answerRule(w, r, rule, err)
	})
	a.HandleAuthed("DELETE /v1/drop-rules/{name}", func(w http.ResponseWriter, r *http.Request, tenant string) {
		err := a.svc.DeleteDropRule(r.Context(), tenant, r.PathValue("name"))
		if err != nil {
			a.answerRule(w, r, nil, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	a.HandleAuthed("POST /v1/drop-rules/{name}/uploads", func(w http.ResponseWriter, r *http.Request, tenant string) {
		var req api.DropUploadRequest
		if err := decodeJSON(r.Body, &req, `{"File": "<name>"}`, true); err != nil {
			a.Fail(w, r, err)
			return
		}
		up, err := a.svc.DropUpload(r.Context(), tenant, r.PathValue("name"), req.File)
		a.answerRule(w, r, up, err)
	})
}

// answerRule answers v, or err with "drop rule … not found" for an unknown rule.
func (a *API) answerRule(w http.ResponseWriter, r *http.Request, v any, err error) {
	if errors.Is(err, job.ErrNotFound) {
		api.WriteError(w, http.StatusNotFound, api.CodeResourceNotFound, fmt.Sprintf("drop rule %q not found", r.PathValue("name")))
		return
	}
	a.answer(w, r, v, err)
}
