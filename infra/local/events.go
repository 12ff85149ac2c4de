package local

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// progressEvery is how often the event stream checks the job's live counters.
const progressEvery = 250 * time.Millisecond

// events serves GET /v1/jobs/{id}/events as server-sent events: a "progress" event with the job
// whenever its counters or status change, then one "notification" event when the job's
// completion notification is published (or was already), and the stream ends. The CLI's --wait
// returns on that notification. On AWS the same notification arrives through SNS instead.
func (s *Stack) events(w http.ResponseWriter, r *http.Request) {
	ev, err := handlers.EventFromHTTP(r, 0)
	if err != nil {
		handlers.WriteError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	tenant, err := s.auth.Tenant(&ev)
	if err != nil {
		handlers.WriteError(w, http.StatusUnauthorized, "Unauthorized", err.Error())
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	// Subscribe before reading the job so no notification can slip between the two.
	ch, cancel := s.Notifier.Subscribe(tenant)
	defer cancel()
	j, err := s.Service.Describe(ctx, tenant, id)
	if err != nil {
		status, code := handlers.StatusOf(err)
		msg := fmt.Sprintf("job %s not found", id)
		if status != http.StatusNotFound {
			msg = "internal error; the service logged the details"
			s.log.ErrorContext(ctx, "event stream: describe failed", "job", id, "err", err)
		}
		handlers.WriteError(w, status, code, msg)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		handlers.WriteError(w, http.StatusInternalServerError, "InternalError", "streaming unsupported")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(typ string, v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	last := ""
	progress := func(j *job.Job) bool {
		key := fmt.Sprintf("%s/%+v", j.JobStatus, j.JobDetails)
		if key == last {
			return true
		}
		last = key
		return send("progress", j)
	}
	if !progress(j) {
		return
	}
	if j.JobStatus.Terminal() {
		if n, ok := s.published(r, tenant, id); ok {
			send("notification", n)
			return
		}
	}
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, open := <-ch:
			if !open {
				return
			}
			if e.JobId == id {
				if j, err := s.Service.Describe(ctx, tenant, id); err == nil {
					progress(j)
				}
				send("notification", e.Notification)
				return
			}
		case <-tick.C:
			j, err := s.Service.Describe(ctx, tenant, id)
			if err != nil || !progress(j) {
				return
			}
			// A notification published while our subscription lagged is in the database.
			if j.JobStatus.Terminal() && j.Notified {
				if n, ok := s.published(r, tenant, id); ok {
					send("notification", n)
					return
				}
			}
		}
	}
}

// published finds the job's notification among those already persisted.
func (s *Stack) published(r *http.Request, tenant, id string) (pipeline.Notification, bool) {
	ev, ok, err := s.Notifier.ForJob(r.Context(), tenant, id)
	if err != nil || !ok {
		return pipeline.Notification{}, false
	}
	return ev.Notification, true
}
