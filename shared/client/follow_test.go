package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestFollowStalledStream: a stream on which nothing comes for StreamIdle ends Follow with
// ErrStreamEnded (the CLI then waits for the server again) instead of blocking forever (found
// from outside: --wait against a server stopped with SIGSTOP said nothing and never returned);
// comment lines (the server's keep-alives) count as something.
func TestFollowStalledStream(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "event: progress\ndata: {\"JobId\":\"j\",\"JobStatus\":\"IN_PROGRESS\"}\n\n")
		w.(http.Flusher).Flush()
		for range 4 { // keep-alives, each within StreamIdle, then silence
			time.Sleep(100 * time.Millisecond)
			fmt.Fprint(w, ": keep-alive\n\n")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c := &Client{Endpoint: srv.URL, APIKey: "k", StreamIdle: 250 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	events := 0
	_, err := c.Follow(ctx, "j", func(Event) { events++ })
	took := time.Since(start)
	if !errors.Is(err, ErrStreamEnded) || ctx.Err() != nil {
		t.Fatalf("Follow on a stalled stream: %v after %v; want ErrStreamEnded", err, took)
	}
	if took < 400*time.Millisecond || events != 1 {
		t.Errorf("Follow ended after %v with %d events; want the keep-alives to hold it open and one event", took, events)
	}
}

// TestFollowStalledBeforeHeaders: a server that takes the stream's request and never answers
// (still stopped with SIGSTOP when a --wait that lost it tries again) also ends Follow with
// ErrStreamEnded after StreamIdle. It ended with "context canceled" (the idle watchdog cut the
// request), which the CLI took for a refusal: `ream wait` against a server stalled for more
// than two minutes gave up, where the README says it waits for the server again (found from
// outside).
func TestFollowStalledBeforeHeaders(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c := &Client{Endpoint: srv.URL, APIKey: "k", StreamIdle: 250 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Follow(ctx, "j", nil)
	if !errors.Is(err, ErrStreamEnded) || ctx.Err() != nil {
		t.Fatalf("Follow on a server that never answers: %v; want ErrStreamEnded", err)
	}
}
