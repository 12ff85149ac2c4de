package handlers

import (
	"net/http"

	"github.com/ream-dev/ream/shared/api"
)

// The statistics office's coding API: a second surface over the same use cases (a coding
// operation is a Ream job). Routes, bodies and status words are those its clients already speak.
func (a *API) mountCoding() {
	a.HandleAuthed("GET /v1/topics", func(w http.ResponseWriter, r *http.Request, _ string) {
		api.WriteJSON(w, http.StatusOK, a.svc.Topics())
	})
	a.HandleAuthed("GET /v1/topics/{topic}", func(w http.ResponseWriter, r *http.Request, _ string) {
		t, err := a.svc.Topic(r.PathValue("topic"))
		a.answer(w, r, t, err)
	})
	a.HandleAuthed("GET /v1/topics/{topic}/models", func(w http.ResponseWriter, r *http.Request, tenant string) {
		ms, err := a.svc.Models(r.Context(), tenant, r.PathValue("topic"))
		if ms == nil {
			ms = []api.Model{}
		}
		a.answer(w, r, ms, err)
	})
	a.HandleAuthed("GET /v1/topics/{topic}/models/{model}", func(w http.ResponseWriter, r *http.Request, tenant string) {
		m, err := a.svc.Model(r.Context(), tenant, r.PathValue("topic"), r.PathValue("model"))
		a.answer(w, r, m, err)
	})
	batch := func(w http.ResponseWriter, r *http.Request, tenant string) {
		op, err := a.svc.StartCoding(r.Context(), tenant, r.PathValue("topic"), r.PathValue("model"))
		a.answer(w, r, op, err)
	}
	a.HandleAuthed("POST /v1/topics/{topic}/batch-code", batch)
	a.HandleAuthed("POST /v1/topics/{topic}/models/{model}/batch-code", batch)
	operation := func(w http.ResponseWriter, r *http.Request, tenant string) {
		st, err := a.svc.CodingOperation(r.Context(), tenant, r.PathValue("topic"), r.PathValue("model"), r.PathValue("operationId"))
		a.answer(w, r, st, err)
	}
	a.HandleAuthed("GET /v1/topics/{topic}/batch-code/operations/{operationId}", operation)
	a.HandleAuthed("GET /v1/topics/{topic}/models/{model}/batch-code/operations/{operationId}", operation)
}

// answer writes v with 200, or err.
func (a *API) answer(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		a.Fail(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, v)
}
