package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
)

// progressEvery is how often the event stream checks the job's live counters.
const progressEvery = 250 * time.Millisecond

// keepAliveEvery is how often a stream on which nothing else was sent gets a comment line, so
// that a client can tell a quiet stream (a job waiting behind another) from a stalled server
// (client.DefaultStreamIdle is four of them). A variable so that tests can shorten it.
var keepAliveEvery = 15 * time.Second

// maxStreamsPerTenant bounds a tenant's event streams open at once.
const maxStreamsPerTenant = 100

// streamReadsPerSecond bounds how often all the open event streams together read their jobs:
// with more than streamReadsPerSecond × progressEvery streams open, each reads its job less
// often than every progressEvery, so that the streams of many tenants, each within its cap,
// cannot take the cores from the API and the workers (found from outside: 20 tenants' 100
// idle streams each, 2,000 in all, took 1.55 of 2 cores, List's median went from 1 ms to
// 210 ms and a small job took 12.5 s instead of 0.3 s). A notification still ends a stream at
// once: it comes through the notifier's subscription, not the reads.
const streamReadsPerSecond = 400

// streamPollEvery is how often each stream reads its job while open streams are open in all.
func streamPollEvery(open int32) time.Duration {
	return max(progressEvery, time.Duration(open)*time.Second/streamReadsPerSecond)
}

// events serves GET /v1/jobs/{id}/events as server-sent events: a "progress" event with the job
// whenever its counters or status change, then one "notification" event when the job's
// completion notification is published (or was already), and the stream ends. The CLI's --wait
// returns on that notification. On AWS the same notification arrives through SNS instead. A
// stopping server ends the stream without a notification.
func (s *Stack) events(w http.ResponseWriter, r *http.Request, tenant string) {
	ctx := r.Context()
	id := r.PathValue("id")
	if r.Method == http.MethodHead {
		// The stream's headers, and no stream: a HEAD kept streaming (with no body to send)
		// until the job ended, holding one of the tenant's places and its connection (found in
		// review).
		if _, err := s.Service.Describe(ctx, tenant, id); err != nil {
			s.api.Fail(w, r, err)
			return
		}
		streamHeaders(w)
		w.WriteHeader(http.StatusOK)
		return
	}
	// Each stream reads its job every progressEvery: a tenant's streams are capped, so that one
	// tenant's idle streams cannot take the cores from the others (found from outside: 2,000
	// idle streams took 1.95 of 2 cores).
	n, _ := s.streams.LoadOrStore(tenant, new(atomic.Int32))
	open := n.(*atomic.Int32)
	if open.Add(1) > maxStreamsPerTenant {
		open.Add(-1)
		// RFC 6585 §4: a 429 may say when to come back. A place frees as soon as one of the
		// tenant's streams closes, so the wait is the 503's (api.go's Fail).
		w.Header().Set("Retry-After", "1")
		api.WriteError(w, http.StatusTooManyRequests, api.CodeTooManyRequests, fmt.Sprintf("at most %d event streams per tenant at once; close one, or poll GET /v1/jobs/{id}", maxStreamsPerTenant))
		return
	}
	defer open.Add(-1)
	s.streamsOpen.Add(1)
	defer s.streamsOpen.Add(-1)
	// Subscribe before reading the job so no notification can slip between the two.
	ch, cancel := s.Notifier.Subscribe(tenant)
	defer cancel()
	j, err := s.Service.Describe(ctx, tenant, id)
	if err != nil {
		s.api.Fail(w, r, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.api.Fail(w, r, errors.New("streaming unsupported by the response writer"))
		return
	}
	streamHeaders(w)
	w.WriteHeader(http.StatusOK)
	// Each write has a deadline, as a download's: a client that stops reading (a process stopped,
	// a script that never reads) is cut once the socket's buffers are full and it has taken
	// nothing for 60 s (sl.IdleDeadlineWriter), rather than holding its connection, its place
	// among the tenant's streams and a goroutine for as long as the job runs (found from outside:
	// nothing bounded the stream's writes). A reader that keeps reading, however slowly, is never
	// cut.
	bounded := sl.IdleDeadlineWriter(w)
	write := func(text string) bool {
		if _, err := io.WriteString(bounded, text); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	lastSent := time.Now()
	send := func(typ string, v any) bool {
		b, _ := json.Marshal(v)
		if !write(fmt.Sprintf("event: %s\ndata: %s\n\n", typ, b)) {
			return false
		}
		lastSent = time.Now()
		return true
	}
	last := ""
	progress := func(j *job.Job) bool {
		// The counters as the event shows them: %+v would print the rate's and the estimate's
		// pointers and the store's bookkeeping (RecentSince), which differ on every look (found
		// from outside: the same event was sent four times a second). The rate and the estimate
		// are left out too: they are worked out from the time of each look (a running job's
		// estimate moves with every one), so with them every look would be a change; an event
		// carries them as they are when the counters change.
		d := j.JobDetails
		d.DocumentsPerSecond, d.EstimatedCompletionTime = nil, nil
		shown, _ := json.Marshal(d)
		key := string(j.JobStatus) + "/" + string(shown)
		if key == last {
			return true
		}
		last = key
		return send(api.EventProgress, j)
	}
	if !progress(j) {
		return
	}
	if j.JobStatus.Terminal() {
		if n, ok := s.published(r, tenant, id); ok {
			send(api.EventNotification, n)
			return
		}
	}
	tick := time.NewTimer(streamPollEvery(s.streamsOpen.Load()))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.stopping:
			return // the server is stopping; the client waits for it again (README)
		case e, open := <-ch:
			if !open {
				return
			}
			if e.JobId == id {
				if j, err := s.Service.Describe(ctx, tenant, id); err == nil {
					progress(j)
				}
				send(api.EventNotification, e.Notification)
				return
			}
		case <-tick.C:
			tick.Reset(streamPollEvery(s.streamsOpen.Load()))
			j, err := s.Service.Describe(ctx, tenant, id)
			if err != nil || !progress(j) {
				return
			}
			if time.Since(lastSent) >= keepAliveEvery {
				// A comment line (the event-stream format's lines starting with ':'), which
				// readers skip.
				if !write(": keep-alive\n\n") {
					return
				}
				lastSent = time.Now()
			}
			// A notification published while our subscription lagged is in the database.
			if j.JobStatus.Terminal() && j.Notified {
				if n, ok := s.published(r, tenant, id); ok {
					send(api.EventNotification, n)
					return
				}
			}
		}
	}
}

// published finds the job's notification among those already persisted.
func (s *Stack) published(r *http.Request, tenant, id string) (api.Notification, bool) {
	ev, ok, err := s.Notifier.ForJob(r.Context(), tenant, id)
	if err != nil || !ok {
		return api.Notification{}, false
	}
	return ev.Notification, true
}

// streamHeaders are the event stream's response headers. X-Accel-Buffering asks nginx, which
// buffers a proxied answer by default, to pass each event on as it comes: behind it with its
// defaults nothing of a stream reached the client, not a keep-alive either, until the job ended
// (found through nginx 1.22 in front of ream serve).
func streamHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
}
