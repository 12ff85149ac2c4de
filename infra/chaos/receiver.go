package chaos

// The webhook receiver: one HTTP server on loopback for the whole run, one path per round
// (sequence numbers are per data directory). It refuses first attempts at random, as a flaky
// subscriber would, and records every delivery with its X-Ream-Notification-Seq.

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxRefusals bounds the refusals per notification: delivery promises 5 attempts.
const maxRefusals = 4

type receiver struct {
	srv *http.Server
	url string

	mu     sync.Mutex
	rounds map[string]*hookLog
}

// delivery is one POST the receiver got.
type delivery struct {
	At      time.Time
	Seq     int64
	Attempt int // of this seq, as seen here
	Status  int // what the receiver answered
	Note    notification
	Problem string
}

// hookLog is what one round's webhook received.
type hookLog struct {
	mu         sync.Mutex
	rng        *rand.Rand
	refuseRate float64
	attempts   map[int64]int
	refusals   map[int64]int
	accepted   map[int64]notification // first accepted body of each seq
	all        []delivery
	problems   []string
	refused    chan string // job ids of refused deliveries, for the kill trigger
}

func startReceiver() (*receiver, error) {
	ln, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String(), rounds: map[string]*hookLog{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) close() { _ = r.srv.Close() }

// round registers a round and returns its webhook URL and log.
func (r *receiver) round(token string, seed int64, refuseRate float64) (string, *hookLog) {
	h := &hookLog{
		rng: rand.New(rand.NewSource(seed)), refuseRate: refuseRate,
		attempts: map[int64]int{}, refusals: map[int64]int{}, accepted: map[int64]notification{},
		refused: make(chan string, 64),
	}
	r.mu.Lock()
	r.rounds[token] = h
	r.mu.Unlock()
	return r.url + "/hook/" + token, h
}

func (r *receiver) forget(token string) {
	r.mu.Lock()
	delete(r.rounds, token)
	r.mu.Unlock()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	token, ok := strings.CutPrefix(req.URL.Path, "/hook/")
	r.mu.Lock()
	h := r.rounds[token]
	r.mu.Unlock()
	if !ok || h == nil || req.Method != http.MethodPost {
		http.Error(w, "no such hook", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(h.receive(req.Header.Get("X-Ream-Notification-Seq"), body))
}

// receive records one delivery and decides the answer: attempt 1 of a notification is refused
// with probability refuseRate, attempt 2 (after a refused first) with half that, never more
// than maxRefusals times in all.
func (h *hookLog) receive(seqHeader string, body []byte) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := delivery{At: time.Now()}
	seq, err := strconv.ParseInt(seqHeader, 10, 64)
	if err != nil || seq <= 0 {
		d.Problem = fmt.Sprintf("delivery without a valid X-Ream-Notification-Seq (%q)", seqHeader)
		h.problems = append(h.problems, d.Problem)
		d.Status = http.StatusOK
		h.all = append(h.all, d)
		return d.Status
	}
	d.Seq = seq
	if err := json.Unmarshal(body, &d.Note); err != nil || d.Note.JobId == "" {
		d.Problem = fmt.Sprintf("seq %d: body is not a notification: %.200q", seq, body)
		h.problems = append(h.problems, d.Problem)
	}
	h.attempts[seq]++
	d.Attempt = h.attempts[seq]
	refuse := false
	if h.refusals[seq] < maxRefusals {
		switch {
		case d.Attempt == 1:
			refuse = h.rng.Float64() < h.refuseRate
		case d.Attempt == 2 && h.refusals[seq] == 1:
			refuse = h.rng.Float64() < h.refuseRate/2
		}
	}
	if refuse {
		h.refusals[seq]++
		d.Status = http.StatusServiceUnavailable
		select {
		case h.refused <- d.Note.JobId:
		default:
		}
	} else {
		d.Status = http.StatusOK
		if prev, ok := h.accepted[seq]; !ok {
			h.accepted[seq] = d.Note
		} else if prev != d.Note {
			p := fmt.Sprintf("seq %d delivered twice with different bodies: %+v then %+v", seq, prev, d.Note)
			h.problems = append(h.problems, p)
		}
	}
	h.all = append(h.all, d)
	return d.Status
}

// forJob returns the distinct notifications (by seq) accepted for a job, in seq order, and how
// many POSTs of any answer were seen for it.
func (h *hookLog) forJob(id string) (seqs []int64, notes []notification, posts int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for seq, n := range h.accepted {
		if n.JobId == id {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	for _, s := range seqs {
		notes = append(notes, h.accepted[s])
	}
	for _, d := range h.all {
		if d.Note.JobId == id {
			posts++
		}
	}
	return seqs, notes, posts
}

// history renders a job's deliveries for a failure report.
func (h *hookLog) history(id string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var parts []string
	for _, d := range h.all {
		if d.Note.JobId == id {
			parts = append(parts, fmt.Sprintf("seq %d attempt %d → %d at %s", d.Seq, d.Attempt, d.Status, d.At.Format("15:04:05.000")))
		}
	}
	if len(parts) == 0 {
		return "no delivery attempt reached the receiver"
	}
	return strings.Join(parts, "; ")
}

func (h *hookLog) drainRefused() {
	for {
		select {
		case <-h.refused:
		default:
			return
		}
	}
}
