package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHungServerTimesOut: against a server that takes the request and never answers, a command
// fails with an error after responseHeaderTimeout instead of waiting forever (found from
// outside: `ream describe` against a wedged server hung until it was killed).
func TestHungServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	keyClient(t, srv.URL)
	old := responseHeaderTimeout
	responseHeaderTimeout = 200 * time.Millisecond
	t.Cleanup(func() { responseHeaderTimeout = old })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := run(ctx, []string{"describe", "00000000-0000-0000-0000-000000000000"})
	if took := time.Since(start); err == nil || took > 5*time.Second || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("describe against a server that never answers: %v after %v; want a timeout error within seconds", err, took)
	}
}

// TestWaitOutlivesAHungServer: `wait` takes a server that stopped answering for one that went
// away, and keeps asking (every followRetry) until the job ends or the wait is interrupted.
func TestWaitOutlivesAHungServer(t *testing.T) {
	release := make(chan struct{})
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	keyClient(t, srv.URL)
	defer func(d, r time.Duration) { followRetry, responseHeaderTimeout = d, r }(followRetry, responseHeaderTimeout)
	followRetry, responseHeaderTimeout = 10*time.Millisecond, 100*time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	err := run(ctx, []string{"wait", "0f0e5d1c-1111-4222-8333-944445555666"})
	if ctx.Err() == nil || asked.Load() < 3 {
		t.Fatalf("wait against a server that never answers: %v after %d requests; want it to keep asking until interrupted", err, asked.Load())
	}
}

// TestSubmitSaysWhenTheStopFails: when the upload fails and so does the stop of the job it was
// for, submit says that the job was left as it is and how to stop it (it said nothing, and the
// job could start later: on a full disk the upload had been stored, only its event was lost).
func TestSubmitSaysWhenTheStopFails(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/jobs":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"JobId":"0f0e5d1c-1111-4222-8333-944445555666","JobStatus":"AWAITING_INPUT","Upload":{"Url":%q,"Method":"PUT"}}`, srv.URL+"/objects/put")
		default: // the upload and the stop
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"code":"InternalError","message":"disk I/O error"}`)
		}
	}))
	defer srv.Close()
	keyClient(t, srv.URL)
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	said := stderrOf(t, func() { err = run(context.Background(), []string{"submit", in}) })
	if err == nil || !strings.Contains(said, "could not be stopped") || !strings.Contains(said, "ream stop 0f0e5d1c-1111-4222-8333-944445555666") {
		t.Fatalf("submit whose upload and stop fail: %v; stderr:\n%s\nwant it to say the job could not be stopped", err, said)
	}
}

// TestSubmitInterruptedUploadStopsTheJob: Ctrl-C (or SIGTERM) during submit's upload still stops
// the job it created, as a failed upload does (found from outside: the stop was sent with the
// interrupted context, failed at once, and the job waited AWAITING_INPUT for its URL to expire).
func TestSubmitInterruptedUploadStopsTheJob(t *testing.T) {
	const id = "0f0e5d1c-1111-4222-8333-944445555669"
	uploading := make(chan struct{}, 1)
	var stops atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/jobs":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"JobId":%q,"JobStatus":"AWAITING_INPUT","Upload":{"Url":%q,"Method":"PUT"}}`, id, srv.URL+"/objects/put")
		case r.Method == http.MethodPut:
			io.Copy(io.Discard, r.Body) // (read: the server then sees the client go)
			uploading <- struct{}{}
			<-r.Context().Done() // the upload's answer is slow: the user interrupts it
		case r.Method == http.MethodPost && r.URL.Path == "/v1/jobs/"+id+"/stop":
			stops.Add(1)
			fmt.Fprintf(w, `{"JobId":%q,"JobStatus":"STOPPED"}`, id)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	keyClient(t, srv.URL)
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-uploading
		cancel(errors.New("interrupt signal received")) // as signal.NotifyContext on Ctrl-C
	}()
	err := run(ctx, []string{"submit", in})
	if err == nil || stops.Load() != 1 {
		t.Fatalf("submit interrupted while uploading: %v, %d stops sent; want an error and the job stopped", err, stops.Load())
	}
}

// TestWaitWithoutAServerFails: `ream wait` whose first request cannot connect (nothing listens
// at REAM_ENDPOINT: a mistyped port, a server not started) fails at once with exit status 1,
// instead of waiting forever for a server it never reached (found from outside: a CI job hung
// until its own time limit); a server that goes away once reached is still waited for
// (TestWaitOutlivesTheServer, TestWaitOutlivesAHungServer).
func TestWaitWithoutAServerFails(t *testing.T) {
	defer func(d time.Duration) { followRetry = d }(followRetry)
	followRetry = 10 * time.Millisecond
	keyClient(t, "http://127.0.0.1:1") // nothing listens
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := run(ctx, []string{"wait", "0f0e5d1c-1111-4222-8333-944445555666"})
	if err == nil || ctx.Err() != nil || exitStatus(err) != exitError || !strings.Contains(err.Error(), "no server answers at http://127.0.0.1:1") {
		t.Fatalf("wait with no server at the endpoint: %v (context: %v); want an error at once saying no server answers", err, ctx.Err())
	}
}

// TestNoServerIsSaidAlikeByEveryCommand: a command whose request cannot connect (nothing
// listens at REAM_ENDPOINT) says that no server answers at the endpoint, as `ream wait` does,
// and what to do (start `ream serve`, check REAM_ENDPOINT), with exit status 1 (found from
// outside: every command but wait printed Go's `Get "…/v1/jobs": dial tcp …: connect:
// connection refused`, naming neither).
func TestNoServerIsSaidAlikeByEveryCommand(t *testing.T) {
	keyClient(t, "http://127.0.0.1:1") // nothing listens
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"list"}, {"describe", "0f0e5d1c-1111-4222-8333-944445555666"}, {"stop", "0f0e5d1c-1111-4222-8333-944445555666"},
		{"submit", in}, {"models"},
	} {
		err := run(t.Context(), args)
		if err == nil || !strings.Contains(err.Error(), "no server answers at http://127.0.0.1:1 (") || strings.Contains(err.Error(), `Get "`) {
			t.Errorf("ream %s with no server: %v; want it to say no server answers at the endpoint", strings.Join(args, " "), err)
			continue
		}
		var status int
		printed := stderrOf(t, func() { status = exitStatus(err) })
		if status != exitError || !strings.Contains(printed, "ream serve") || !strings.Contains(printed, "REAM_ENDPOINT") {
			t.Errorf("ream %s with no server: exit status %d, printed %q; want 1 and what to do (ream serve, REAM_ENDPOINT)", strings.Join(args, " "), status, printed)
		}
	}
}

// TestSubmitInterruptedCreateSaysTheJobMayRun: Ctrl-C (or SIGTERM) while submit's create is
// sent (a job on an input in the store, which the local stack plans inside the create) leaves a
// job that the server may have stored and then runs; submit says so and how to find and stop it,
// rather than print only the request's error as if nothing had been created.
func TestSubmitInterruptedCreateSaysTheJobMayRun(t *testing.T) {
	creating := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/jobs" {
			io.Copy(io.Discard, r.Body)
			creating <- struct{}{}
			<-r.Context().Done() // planning a large input: the user interrupts
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	keyClient(t, srv.URL)
	ctx, cancel := context.WithCancelCause(t.Context())
	go func() {
		<-creating
		cancel(errors.New("interrupt signal received")) // as signal.NotifyContext on Ctrl-C
	}()
	err := run(ctx, []string{"submit", "s3://ream-local/inputs/local/big.txt"})
	for _, w := range []string{"interrupt signal received", "may have been created, and then runs", "ream list"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("submit interrupted while creating: %v; want %q in it", err, w)
		}
	}
	if exitStatus(err) != exitError {
		t.Errorf("exit status %d, want %d", exitStatus(err), exitError)
	}

	// A local file's job, interrupted as it is created, waits for an upload that is not made:
	// it does not run (the message said it did).
	ctx, cancel = context.WithCancelCause(t.Context())
	go func() {
		<-creating
		cancel(errors.New("interrupt signal received"))
	}()
	file := filepath.Join(t.TempDir(), "reviews.txt")
	if err := os.WriteFile(file, []byte("A calm day.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"submit", file})
	for _, w := range []string{"may have been created, waiting for its input", "AWAITING_INPUT", "TIMED_OUT"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("submit of a local file interrupted while creating: %v; want %q in it", err, w)
		}
	}
	if err != nil && strings.Contains(err.Error(), "and then runs") {
		t.Errorf("submit of a local file interrupted while creating says its job runs: %v", err)
	}
}

// TestEndpointWithV1SaysSo: a REAM_ENDPOINT that ends in /v1 (the routes' own first segment)
// makes every route a 404 "no route … /v1/v1/…"; the CLI then says to drop it, and says
// nothing of it for a 404 through an endpoint without it (an unknown job).
func TestEndpointWithV1SaysSo(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"code":"NotFound","message":"no route %s %s"}`, r.Method, r.URL.Path)
	}))
	defer srv.Close()
	printed := func(endpoint string) string {
		t.Helper()
		keyClient(t, endpoint)
		err := run(t.Context(), []string{"list"})
		if err == nil {
			t.Fatalf("ream list against a server answering 404: no error")
		}
		var status int
		out := stderrOf(t, func() { status = exitStatus(err) })
		if status != exitError {
			t.Errorf("REAM_ENDPOINT %s: exit status %d, want %d", endpoint, status, exitError)
		}
		return out
	}
	for _, endpoint := range []string{srv.URL + "/v1", srv.URL + "/v1/"} {
		if out := printed(endpoint); !strings.Contains(out, "REAM_ENDPOINT ends in /v1") {
			t.Errorf("REAM_ENDPOINT %s (requests %v): printed %q; want it to say to drop /v1", endpoint, paths, out)
		}
	}
	if out := printed(srv.URL); strings.Contains(out, "/v1, which") {
		t.Errorf("REAM_ENDPOINT %s: printed %q; want no word of /v1", srv.URL, out)
	}
}
