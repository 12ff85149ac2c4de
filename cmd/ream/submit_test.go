package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ream-dev/ream/infra/local"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
)

// TestSubmitOneFileOneDocPerFile: a single file submitted as ONE_DOC_PER_FILE is the job's one
// document, named by its base name (it was a 400 about a "." path segment).
func TestSubmitOneFileOneDocPerFile(t *testing.T) {
	startStack(t)
	in := filepath.Join(t.TempDir(), "review.txt")
	if err := os.WriteFile(in, []byte("I love it.\nIt is great.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	stdout, err := runCmd(t, "submit", in, "--analyses", "LANGUAGE", "--format", "ONE_DOC_PER_FILE", "--wait", "--out", out)
	if err != nil || !strings.Contains(stdout, "COMPLETED") || !strings.Contains(stdout, "documents:  1 (1 analysed") {
		t.Fatalf("submit of one file as ONE_DOC_PER_FILE: %v\n%s", err, stdout)
	}
	var lines []byte
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, ".gz") {
			b, _ := os.ReadFile(p)
			lines = append(lines, b...)
		}
		return nil
	})
	if !strings.Contains(string(lines), `"File":"review.txt"`) {
		t.Errorf("output %s; want the document named review.txt", lines)
	}
}

// TestSubmitTokenOtherInput: resubmitting the same file with the same token is a harmless retry
// (exit 0); another file with that token fails (non-zero exit), since that file is not analysed.
func TestSubmitTokenOtherInput(t *testing.T) {
	startStack(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "kp.txt")
	if err := os.WriteFile(a, []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("Key phrases here.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := runCmd(t, "submit", a, "--analyses", "LANGUAGE", "--token", "t-cli-1")
	if err != nil {
		t.Fatalf("first submit: %v", err)
	}
	again, err := runCmd(t, "submit", a, "--analyses", "LANGUAGE", "--token", "t-cli-1")
	if err != nil || again != first {
		t.Errorf("same file, same token: %v, job %q; want exit 0 and job %q", err, again, first)
	}
	if _, err := runCmd(t, "submit", b, "--analyses", "LANGUAGE", "--token", "t-cli-1"); err == nil || !strings.Contains(err.Error(), "kp.txt was not submitted") {
		t.Errorf("other file, same token: %v; want an error saying kp.txt was not submitted", err)
	}
}

// TestSubmitTokenOfEarlierRelease: a job an earlier release's `ream submit --token` created (its
// request as that release sent it: no UploadFiles, the digest of the unnamed file) is found by
// this release's submit of the same file with the same token, which uploads the input the job
// still waits for (an upload cut by the upgrade); it answered 409 "names a job with another input
// or other options", and the job waited for its upload to time out. Another file with the token
// is still refused.
func TestSubmitTokenOfEarlierRelease(t *testing.T) {
	startStack(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	if err := os.WriteFile(a, []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("Something else.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The body the release of 2 December 2026 sent for `ream submit a.txt --analyses LANGUAGE
	// --token t-old` (captured from it).
	body := `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"OutputDataConfig":{},"ClientRequestToken":"t-old","Tags":[{"Key":"ream:input-sha256","Value":"8ef53c961f9db9dbe7bfbaccf8f6e235d612871b93f8ff86d9acc0d6fccca7f3"}]}`
	req, err := http.NewRequest(http.MethodPost, os.Getenv("REAM_ENDPOINT")+"/v1/jobs", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer local-dev-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created api.CreateJobResult
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || created.JobStatus != job.AwaitingInput {
		t.Fatalf("the earlier release's create: %d %+v %v", resp.StatusCode, created.Job, err)
	}
	out, err := runCmd(t, "submit", a, "--analyses", "LANGUAGE", "--token", "t-old", "--wait")
	if err != nil || !strings.Contains(out, created.JobId) || !strings.Contains(out, "COMPLETED") || !strings.Contains(out, "documents:  1 (1 analysed") {
		t.Fatalf("submit with the earlier release's token: %v\n%s; want job %s uploaded and COMPLETED", err, out, created.JobId)
	}
	again, err := runCmd(t, "submit", a, "--analyses", "LANGUAGE", "--token", "t-old")
	if err != nil || strings.TrimSpace(again) != created.JobId {
		t.Errorf("submit again: %v, %q; want job %s", err, again, created.JobId)
	}
	if _, err := runCmd(t, "submit", b, "--analyses", "LANGUAGE", "--token", "t-old"); err == nil || !strings.Contains(err.Error(), "b.txt was not submitted") {
		t.Errorf("other file, the earlier release's token: %v; want an error saying b.txt was not submitted", err)
	}
}

// TestHelpFlags: -h and --help print a command's synopsis and never reach the service: "describe
// -h" took "-h" for a job id and called the API ("stop -h" POSTed /v1/jobs/-h/stop); commands
// with flags also print them and end with flag.ErrHelp, which main turns into exit status 0.
func TestHelpFlags(t *testing.T) {
	t.Setenv("REAM_ENDPOINT", "http://127.0.0.1:1") // nothing listens: a call would fail
	for _, args := range [][]string{{"describe", "-h"}, {"stop", "--help"}, {"wait", "-h"}, {"keys", "-h"}, {"drop-rules", "-h"}} {
		out, err := runCmd(t, args...)
		if err != nil || !strings.Contains(out, "ream "+args[0]) {
			t.Errorf("ream %s: %v, stdout %q; want the synopsis and no error", strings.Join(args, " "), err, out)
		}
	}
	// Their flags are on standard output too, under the synopsis (they were on standard error).
	for _, c := range []struct {
		args []string
		flag string
	}{{[]string{"submit", "-h"}, "-token"}, {[]string{"results", "--help"}, "-out"}, {[]string{"keys", "issue", "-h"}, "-tenant"},
		{[]string{"drop-rules", "put", "-h"}, "-retention"}, {[]string{"drop-rules", "upload", "--help"}, "-as"}, {[]string{"list", "-h"}, "-json"}} {
		out, err := runCmd(t, c.args...)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "ream "+c.args[0]) || !strings.Contains(out, "Usage of ") || !strings.Contains(out, "\n  "+c.flag) {
			t.Errorf("ream %s: %v, stdout %q; want the synopsis, the flags (%s among them) and flag.ErrHelp", strings.Join(c.args, " "), err, out, c.flag)
		}
	}
	// A synopsis of two lines is shown whole (found from outside: submit's second line, with
	// --topic … --out, was left out), and stops before the next command's.
	out, _ := runCmd(t, "submit", "-h")
	if !strings.Contains(out, "[--seed S] [--wait] [--out DIR]") || strings.Contains(out, "ream describe") {
		t.Errorf("ream submit -h: stdout %q; want both lines of its synopsis and no other command's", out)
	}
}

// TestSubmitOutImpliesWait: `submit --out DIR` without --wait waits for the job and downloads
// its results into DIR, as `code --out` and `retry --out` do (--out was silently ignored: the
// job id was printed and DIR stayed empty).
func TestSubmitOutImpliesWait(t *testing.T) {
	startStack(t)
	in := filepath.Join(t.TempDir(), "reviews.txt")
	if err := os.WriteFile(in, []byte("I love it.\nIt is great.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "results")
	stdout, err := runCmd(t, "submit", in, "--analyses", "LANGUAGE", "--out", out)
	if err != nil || !strings.Contains(stdout, "COMPLETED") {
		t.Fatalf("submit --out: %v\n%s; want it to wait for the job", err, stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Errorf("submit --out downloaded no manifest.json: %v", err)
	}
}

// TestStrayArguments: a command refuses positional arguments it does not take (`ream serve
// extra` started the server, `ream list extra` listed every job, `ream keys list extra` listed
// the keys), before it does anything.
func TestStrayArguments(t *testing.T) {
	t.Setenv("REAM_ENDPOINT", "http://127.0.0.1:1") // nothing listens: a call would fail otherwise
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a server that started anyway stops at once
	data := t.TempDir()
	for _, args := range [][]string{
		{"serve", "--data", filepath.Join(data, "serve"), "--addr", "127.0.0.1:0", "extra"},
		{"list", "extra"},
		{"list", "--max", "3", "extra"},
		{"keys", "list", "--data", data, "extra"},
	} {
		err := run(ctx, args)
		if err == nil || !strings.Contains(err.Error(), `"extra"`) {
			t.Errorf("ream %s: %v; want a usage error naming the stray argument", strings.Join(args, " "), err)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "serve")); err == nil {
		t.Error("serve with a stray argument created its data directory")
	}
}

// TestUsageErrorPrintedOnce: a usage error's message is printed once, by main (exitStatus), last,
// with exit status 2 (found from outside: a flag mistake such as `ream submit --bogus` printed
// its message twice, the flag package's copy above the flags and main's below; an unknown
// command printed its message above the whole usage; every usage error exited 1, as a server's
// refusal does); a flag mistake still lists the command's flags.
func TestUsageErrorPrintedOnce(t *testing.T) {
	t.Setenv("REAM_ENDPOINT", "http://127.0.0.1:1") // nothing listens: a call would fail
	for _, c := range []struct {
		args  []string
		flags bool // a flag mistake: the flags are listed
	}{
		{[]string{"submit", "--bogus"}, true},
		{[]string{"retry", "--codes"}, true},
		{[]string{"code", "--bogus", "records.jsonl"}, true},
		{[]string{"list", "--max", "many"}, true},
		{[]string{"serve", "--bogus"}, true},
		{[]string{"keys", "issue", "--bogus"}, true},
		{[]string{"drop-rules", "put", "--bogus", "r"}, true},
		{[]string{"retry"}, false},
		{[]string{"list", "extra"}, false},
		{[]string{"describe", "--x"}, false}, // no flags to list: no bare "Usage of describe:" line
		{[]string{"drop-rules", "get", "--x"}, false},
		{[]string{"bogus"}, false},
		{[]string{}, false},
		{[]string{"describe"}, false},
		{[]string{"errors", "--max", "-1", "j"}, false},
		{[]string{"list", "--before", "yesterday"}, false},
		{[]string{"keys", "bogus"}, false},
		{[]string{"drop-rules", "upload", "r"}, false},
		{[]string{"models", "extra"}, false},
	} {
		var runErr error
		var status int
		stderr := stderrOf(t, func() {
			runErr = run(context.Background(), c.args)
			status = exitStatus(runErr)
		})
		if runErr == nil || status != 2 {
			t.Errorf("ream %s: %v, exit status %d; want a usage error and status 2", strings.Join(c.args, " "), runErr, status)
			continue
		}
		if n := strings.Count(string(stderr), runErr.Error()); n != 1 || !strings.HasSuffix(string(stderr), "ream: "+runErr.Error()+"\n") {
			t.Errorf("ream %s: the message %q is printed %d times; want once, last:\n%s", strings.Join(c.args, " "), runErr, n, stderr)
		}
		if c.flags && !strings.Contains(string(stderr), "Usage of ") {
			t.Errorf("ream %s: the flags are not listed:\n%s", strings.Join(c.args, " "), stderr)
		}
		if !c.flags && strings.Contains(string(stderr), "Usage of ") {
			t.Errorf("ream %s: a usage header with no flags under it:\n%s", strings.Join(c.args, " "), stderr)
		}
	}
}

// TestWaitOutlivesTheServer: `ream wait` (and `submit --wait`) whose server stops mid-job
// waits for it again instead of failing while the job still runs (found from outside: exit 1
// with "event stream ended before the job finished" after a clean stop of `ream serve`).
func TestWaitOutlivesTheServer(t *testing.T) {
	defer func(d time.Duration) { followRetry = d }(followRetry)
	followRetry = 10 * time.Millisecond
	var calls atomic.Int32
	const id = "0f0e5d1c-1111-4222-8333-944445555666"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/jobs/"+id+"/events" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		switch calls.Add(1) {
		case 1: // the server stops mid-job: the stream ends without the notification
			fmt.Fprintf(w, "event: progress\ndata: {\"JobId\":%q,\"JobStatus\":\"IN_PROGRESS\"}\n\n", id)
		case 2: // the server is down
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"message":"starting"}`)
		default:
			fmt.Fprintf(w, "event: notification\ndata: {\"JobId\":%q,\"JobStatus\":\"COMPLETED\",\"InputDocumentsCount\":3,\"ProcessedDocumentsCount\":3}\n\n", id)
		}
	}))
	defer srv.Close()
	t.Setenv("REAM_ENDPOINT", srv.URL)
	t.Setenv("REAM_API_KEY", "k")
	stdout, err := runCmd(t, "wait", id)
	if err != nil || !strings.Contains(stdout, "COMPLETED") || calls.Load() != 3 {
		t.Fatalf("wait across a server stop: %v after %d streams\n%s", err, calls.Load(), stdout)
	}
}

// TestWaitGivesUpOnABadEndpoint: only a server that went away is waited for; an endpoint that
// cannot work fails at once instead of being retried forever.
func TestWaitGivesUpOnABadEndpoint(t *testing.T) {
	defer func(d time.Duration) { followRetry = d }(followRetry)
	followRetry = 10 * time.Millisecond
	t.Setenv("REAM_ENDPOINT", "127.0.0.1:1") // no scheme
	t.Setenv("REAM_API_KEY", "k")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := run(ctx, []string{"wait", "0f0e5d1c-1111-4222-8333-944445555666"}); err == nil || ctx.Err() != nil {
		t.Fatalf("wait on an endpoint without a scheme: %v (context: %v); want an error at once", err, ctx.Err())
	}
	if !lostServer(&net.OpError{Op: "dial", Err: errors.New("connection refused")}) || !lostServer(client.ErrStreamEnded) {
		t.Error("a refused connection or an ended stream is not taken for a server that went away")
	}
	if lostServer(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "no-such-host.invalid", IsNotFound: true}}) {
		t.Error("an unknown host is waited on (found in review: forever)")
	}
}

// TestWaitPollingOutlivesTheServer: against a stack without an event stream (a deployed one:
// 404) the wait polls, and a server that goes away meanwhile is waited for by polling again,
// not by asking for the stream (found in review: the retry asked for the stream and ended on
// its 404 while the job ran).
func TestWaitPollingOutlivesTheServer(t *testing.T) {
	defer func(d time.Duration) { followRetry = d }(followRetry)
	followRetry = 10 * time.Millisecond
	const id = "0f0e5d1c-1111-4222-8333-944445555667"
	var describes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/jobs/" + id:
			switch describes.Add(1) {
			case 1:
				fmt.Fprintf(w, `{"JobId":%q,"JobStatus":"IN_PROGRESS"}`, id)
			case 2:
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, `{"message":"down"}`)
			default:
				fmt.Fprintf(w, `{"JobId":%q,"JobStatus":"COMPLETED","JobDetails":{"InputDocumentsCount":2,"ProcessedDocumentsCount":2}}`, id)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	t.Setenv("REAM_ENDPOINT", srv.URL)
	t.Setenv("REAM_API_KEY", "k")
	stdout, err := runCmd(t, "wait", id)
	if err != nil || !strings.Contains(stdout, "COMPLETED") {
		t.Fatalf("polled wait across a 503: %v after %d lookups\n%s", err, describes.Load(), stdout)
	}
}

// TestSubmitUnreadableFileCreatesNoJob: a directory holding a dangling link, or a link to a
// directory, is refused before any job is created (the job was created and left waiting for
// the files after the bad one, found from outside).
func TestSubmitUnreadableFileCreatesNoJob(t *testing.T) {
	startStack(t)
	for name, link := range map[string]string{"dangling.txt": "no-such-file", "loop": "."} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("I love it.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, link)
		if link == "." {
			target = dir
		}
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if out, err := runCmd(t, "submit", dir, "--analyses", "LANGUAGE", "--format", "ONE_DOC_PER_FILE"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v (%q); want an error naming it", name, err, out)
		}
	}
	// A named pipe is refused at once (opening it would block until someone writes to it).
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, "submit", dir, "--analyses", "LANGUAGE", "--format", "ONE_DOC_PER_FILE"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a named pipe: %v (%q); want an error saying it is not a regular file", err, out)
	}
	// So is a named pipe given as the PATH of a ONE_DOC_PER_FILE job (`<(producer)`), with or
	// without --token, whose digest read the pipe before the upload (found from outside: its
	// job was created, and the upload sent no size, or with --token an empty document).
	for _, extra := range [][]string{nil, {"--token", "t-pipe"}} {
		args := append([]string{"submit", filepath.Join(dir, "pipe"), "--format", "ONE_DOC_PER_FILE"}, extra...)
		if out, err := runCmd(t, args...); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("ream %s: %v (%q); want an error saying it is not a regular file", strings.Join(args, " "), err, out)
		}
	}
	if list, err := runCmd(t, "list", "--json"); err != nil || list != "" {
		t.Errorf("after the refusals: %v; jobs created:\n%s", err, list)
	}
	// A file name that is not UTF-8 (Latin-1 "café") is refused, named as not UTF-8: it was
	// sent as U+FFFD and the upload then could not find the file.
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "caf\xe9.txt"), []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, filepath.Join(dir, "caf\xe9.txt")} {
		if out, err := runCmd(t, "submit", path, "--analyses", "LANGUAGE", "--format", "ONE_DOC_PER_FILE"); err == nil || !strings.Contains(err.Error(), "not UTF-8") {
			t.Errorf("%q: %v (%q); want an error saying the name is not UTF-8", path, err, out)
		}
	}
	if out, err := runCmd(t, "list"); err != nil || len(strings.Split(strings.TrimSpace(out), "\n")) != 1 {
		t.Errorf("jobs were created (or the list failed: %v):\n%s", err, out)
	}
}

// TestListBeforeYearOne: `ream list --before 0001-01-01T00:00:00Z` lists no job, as the API does
// for that bound (the CLI sent no bound for Go's zero time and listed every job).
func TestListBeforeYearOne(t *testing.T) {
	startStack(t)
	in := filepath.Join(t.TempDir(), "one.txt")
	if err := os.WriteFile(in, []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, "submit", in, "--analyses", "LANGUAGE", "--name", "listed", "--wait"); err != nil {
		t.Fatalf("submit: %v\n%s", err, out)
	}
	for args, want := range map[string]bool{"": true, "--before 0001-01-01T00:00:00Z": false, "--after 0001-01-01T00:00:00Z": true,
		// RFC 3339's lower-case t and z, which the API takes: the CLI refused them (time review)
		"--after 2000-01-01t00:00:00z": true, "--before 2000-01-01t00:00:00z": false} {
		out, err := runCmd(t, append([]string{"list"}, strings.Fields(args)...)...)
		if err != nil || strings.Contains(out, "listed") != want {
			t.Errorf("ream list %s: %v\n%s\nwant the job listed: %v", args, err, out, want)
		}
	}
	if out, err := runCmd(t, "list", "--after", "yesterday"); err == nil || !strings.Contains(err.Error()+out, `--after must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not "yesterday"`) {
		t.Errorf("ream list --after yesterday: %v\n%s\nwant the API's message, naming the flag", err, out)
	}
}

// TestSubmitStoreURI: `ream submit s3://…` (or file://… locally) creates a job on an input
// already in the store and uploads nothing: the way past UploadFiles' 1,000 files (found from
// outside: a folder of 20,000 files could not be submitted with the CLI).
func TestSubmitStoreURI(t *testing.T) {
	data := startStack(t)
	dir := filepath.Join(data, "objects", "inputs", "local", "many")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 1001 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("doc-%04d.txt", i)), []byte("I love it."), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, uri := range []string{"s3://ream-local/inputs/local/many/", local.FileURI(dir)} {
		out, err := runCmd(t, "submit", uri, "--format", "ONE_DOC_PER_FILE", "--analyses", "LANGUAGE", "--wait")
		if err != nil || !strings.Contains(out, "COMPLETED") || !strings.Contains(out, "documents:  1001") {
			t.Errorf("submit %s: %v\n%s", uri, err, out)
		}
	}
}

// TestSubmitRedactionFlags: --mask-char and --pii-types set the redaction's MaskCharacter and
// PiiEntityTypes (found from outside: the CLI could not set them).
func TestSubmitRedactionFlags(t *testing.T) {
	startStack(t)
	in := filepath.Join(t.TempDir(), "contacts.txt")
	if err := os.WriteFile(in, []byte("Mail jane@example.com or call 202-456-1111 today.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	stdout, err := runCmd(t, "submit", in, "--analyses", "PII", "--language", "en", "--redact", "mask", "--mask-char", "#", "--pii-types", "email", "--wait", "--out", out)
	if err != nil || !strings.Contains(stdout, "COMPLETED") {
		t.Fatalf("submit: %v\n%s", err, stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "redacted", "contacts.txt")) // the file keeps its name
	if want := "Mail ################ or call 202-456-1111 today.\n"; err != nil || string(b) != want {
		t.Errorf("redacted copy %q, %v; want %q (the e-mail alone, masked with #)", b, err, want)
	}
	// --mask-char without --redact masks with it (found from outside: the job was made
	// REPLACE_WITH_PII_ENTITY_TYPE and the character ignored).
	out = t.TempDir()
	stdout, err = runCmd(t, "submit", in, "--analyses", "PII", "--language", "en", "--mask-char", "#", "--wait", "--out", out)
	if err != nil || !strings.Contains(stdout, "COMPLETED") {
		t.Fatalf("submit --mask-char alone: %v\n%s", err, stdout)
	}
	b, err = os.ReadFile(filepath.Join(out, "redacted", "contacts.txt"))
	if want := "Mail ################ or call ############ today.\n"; err != nil || string(b) != want {
		t.Errorf("--mask-char alone: redacted copy %q, %v; want %q", b, err, want)
	}
}

// TestNoCommandIsAnError: a bare `ream` is a usage mistake, not a success (found from outside:
// it printed the usage and exited 0); `ream help` still succeeds.
func TestNoCommandIsAnError(t *testing.T) {
	if err := run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "no command given") {
		t.Errorf("ream with no command: %v; want an error", err)
	}
	if err := run(context.Background(), []string{"help"}); err != nil {
		t.Errorf("ream help: %v", err)
	}
}

// TestSubmitJobTag: --job-tag sets the job's JobTag (Textract's), shown by describe (found from
// outside: the CLI had no way to set it).
func TestSubmitJobTag(t *testing.T) {
	startStack(t)
	in := filepath.Join(t.TempDir(), "r.txt")
	if err := os.WriteFile(in, []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, err := runCmd(t, "submit", in, "--job-tag", "batch-7", "--wait")
	if err != nil {
		t.Fatalf("submit --job-tag: %v\n%s", err, stdout)
	}
	id := ""
	for _, f := range strings.Fields(stdout) {
		if len(f) == 36 && strings.Count(f, "-") == 4 {
			id = f
			break
		}
	}
	desc, err := runCmd(t, "describe", id)
	if err != nil || !strings.Contains(desc, `"JobTag": "batch-7"`) {
		t.Errorf("describe %s: %v\n%s", id, err, desc)
	}
}

// TestSubmitStopsTheJobOfAFailedUpload: when the input cannot be uploaded (here over the
// deployment's input limit, a 413), submit stops the job it created instead of leaving it
// AWAITING_INPUT until its upload URL expires (found from outside), and exits non-zero.
func TestSubmitStopsTheJobOfAFailedUpload(t *testing.T) {
	startStackWith(t, local.Config{MaxUploadBytes: 64})
	in := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(in, []byte(strings.Repeat("A calm and pleasant day.\n", 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, err := runCmd(t, "submit", in)
	if err == nil {
		t.Fatalf("submit of an input over the limit succeeded:\n%s", stdout)
	}
	list, lerr := runCmd(t, "list")
	if lerr != nil || !strings.Contains(list, "STOPPED") || strings.Contains(list, "AWAITING_INPUT") {
		t.Errorf("after the failed upload (%v): %v\n%s", err, lerr, list)
	}
}

// TestMaxNegative: --max below 0 is refused saying what it takes, 0 (all) or more; the message
// said "a positive number" although 0, the default, is allowed (found from outside).
func TestMaxNegative(t *testing.T) {
	for _, args := range [][]string{{"list", "--max", "-1"}, {"errors", "--max", "-1", "0f8fad5b-d9cb-469f-a165-70867728950e"}} {
		_, err := runCmd(t, args...)
		if err == nil || !strings.Contains(err.Error(), "--max must be 0 (all") || !strings.Contains(err.Error(), "not -1") {
			t.Errorf("%q: %v; want --max must be 0 (all …) or more, not -1", args, err)
		}
	}
}

// TestRetryEmptyCodes: `retry --codes ""` (or only commas and spaces) is a usage error that says
// what --codes takes, before any call, as the API's `"ErrorCodes": []` is a 400 (found from
// outside: the empty list was not sent, so the child silently re-ran the default codes).
func TestRetryEmptyCodes(t *testing.T) {
	t.Setenv("REAM_ENDPOINT", "http://127.0.0.1:1") // nothing listens: a call would fail otherwise
	for _, codes := range []string{"", " , "} {
		_, err := runCmd(t, "retry", "0f8fad5b-d9cb-469f-a165-70867728950e", "--codes", codes)
		if err == nil || !strings.Contains(err.Error(), "names no error code") || !strings.Contains(err.Error(), "SHARD_FAILED,INTERNAL_SERVER_ERROR") {
			t.Errorf("retry --codes %q: %v; want a usage error saying --codes needs at least one error code", codes, err)
		}
	}
}

// TestSummaryJobLine: the summary's job line ends with the job's name, or with its id when it
// has none (it ended with a space; found from outside).
func TestSummaryJobLine(t *testing.T) {
	for _, c := range []struct{ name, want string }{{"", "job:        j1\n"}, {"sample", "job:        j1 sample\n"}} {
		var b strings.Builder
		printSummary(&b, &api.Notification{JobId: "j1", JobName: c.name, JobStatus: job.Completed})
		if line, _, _ := strings.Cut(b.String(), "status:"); line != c.want {
			t.Errorf("name %q: %q; want %q", c.name, line, c.want)
		}
	}
}

// TestJobCommandsUnknownFlag: describe, stop and wait, which take a JOB id and no flags, refuse
// an argument starting with "-" as an unknown flag, before any request, as every other command
// does (found from outside: `ream stop --x` was taken for the job id "--x" and POSTed).
func TestJobCommandsUnknownFlag(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	t.Setenv("REAM_ENDPOINT", srv.URL)
	for _, args := range [][]string{{"stop", "--x"}, {"describe", "-x"}, {"wait", "--x", "0f0e5d1c-1111-4222-8333-944445555666"}} {
		_, err := runCmd(t, args...)
		if err == nil || err.Error() != "flag provided but not defined: -x" {
			t.Errorf("ream %s: %v; want the usage error flag provided but not defined: -x", strings.Join(args, " "), err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d requests sent; want none", n)
	}
}

// TestWaitInterruptedSaysTheJobGoesOn: Ctrl-C during `ream wait` (or `submit --wait`) stops
// the waiting, not the job, and the error says so, naming the job and the commands that follow
// or stop it (found from outside: only "interrupt signal received" was printed).
func TestWaitInterruptedSaysTheJobGoesOn(t *testing.T) {
	const id = "0f0e5d1c-1111-4222-8333-944445555668"
	streaming := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/jobs/"+id+"/events" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: progress\ndata: {\"JobId\":%q,\"JobStatus\":\"IN_PROGRESS\"}\n\n", id)
		w.(http.Flusher).Flush()
		streaming <- struct{}{}
		<-r.Context().Done() // the job runs on
	}))
	defer srv.Close()
	t.Setenv("REAM_ENDPOINT", srv.URL)
	t.Setenv("REAM_API_KEY", "k")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-streaming
		cancel(errors.New("interrupt signal received")) // as signal.NotifyContext on Ctrl-C
	}()
	err := run(ctx, []string{"wait", id})
	for _, w := range []string{"interrupt signal received", "job " + id + " goes on running on the server", "`ream wait " + id + "`", "`ream stop " + id + "`"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("wait interrupted: %v; want %q in it", err, w)
		}
	}
}

// TestExitStatuses: a script tells apart from the exit status alone a job that ended without its
// work done (3: FAILED, TIMED_OUT, STOPPED; a coding operation failed or timed out), a usage
// error (2, TestUsageErrorPrintedOnce) and any other error (1: here a refusal and a server that
// is not there), while a finished job whose every document is in its output is 0 (COMPLETED,
// PARTIAL_SUCCESS); they were all 1 (found from outside). (`code --wait`'s failed operation:
// TestCodingCommands.)
func TestExitStatuses(t *testing.T) {
	const id = "0f0e5d1c-1111-4222-8333-94444555566a"
	var status atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/jobs/"+id+"/events" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"code":"ResourceNotFound","message":"job not found"}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: notification\ndata: {\"JobId\":%q,\"JobStatus\":%q}\n\n", id, status.Load())
	}))
	defer srv.Close()
	t.Setenv("REAM_ENDPOINT", srv.URL)
	t.Setenv("REAM_API_KEY", "k")
	for _, c := range []struct {
		status job.Status
		want   int
	}{{job.Completed, 0}, {job.PartialSuccess, 0}, {job.Failed, 3}, {job.TimedOut, 3}, {job.Stopped, 3}} {
		status.Store(string(c.status))
		_, err := runCmd(t, "wait", id)
		if got := exitStatus(err); got != c.want {
			t.Errorf("wait for a job that ended %s: %v, exit status %d; want %d", c.status, err, got, c.want)
		}
	}
	if _, err := runCmd(t, "describe", "0f0e5d1c-1111-4222-8333-000000000000"); exitStatus(err) != 1 {
		t.Errorf("describe refused 404: %v, exit status %d; want 1", err, exitStatus(err))
	}
	t.Setenv("REAM_ENDPOINT", "http://127.0.0.1:1") // nothing listens
	if _, err := runCmd(t, "list"); exitStatus(err) != 1 {
		t.Errorf("list without a server: %v, exit status %d; want 1", err, exitStatus(err))
	}
}

// TestListJSON: `list --json` prints one line of JSON per job, the job object, so that a script
// reads a name with spaces, or none, and the status after it (found from outside: the table's
// columns, split by spaces, shifted under such names).
func TestListJSON(t *testing.T) {
	startStack(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, name := range []string{"nightly run 1", ""} {
		stdout, err := runCmd(t, "submit", in, "--name", name)
		if err != nil {
			t.Fatal(err)
		}
		ids[strings.TrimSpace(stdout)] = name
	}
	stdout, err := runCmd(t, "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(ids) {
		t.Fatalf("list --json: %d lines for %d jobs:\n%s", len(lines), len(ids), stdout)
	}
	for _, l := range lines {
		var j job.Job
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatalf("a line of list --json is not a job: %v\n%s", err, l)
		}
		if name, ok := ids[j.JobId]; !ok || j.JobName != name || j.JobStatus == "" {
			t.Errorf("list --json: job %q named %q, status %q; want one of the submitted jobs, named %q", j.JobId, j.JobName, j.JobStatus, name)
		}
	}
}

// TestStdinPathIsAUsageError: "-" as a PATH or FILE, the usual name of standard input, is a
// usage error saying that input is read from files only, for every command that uploads one
// (found from outside: "stat -: no such file or directory"), before any request.
func TestStdinPathIsAUsageError(t *testing.T) {
	t.Setenv("REAM_ENDPOINT", "http://127.0.0.1:1") // nothing listens: a call would fail otherwise
	t.Chdir(t.TempDir())                            // no file named "-"
	for _, args := range [][]string{{"submit", "-"}, {"submit", "-", "--format", "ONE_DOC_PER_FILE"}, {"code", "-"}, {"train", "-"}, {"drop-rules", "upload", "r", "-"}} {
		_, err := runCmd(t, args...)
		if exitStatus(err) != exitUsage || !strings.Contains(err.Error(), "standard input") {
			t.Errorf("ream %s: %v; want a usage error saying standard input is not read", strings.Join(args, " "), err)
		}
	}
}

// TestErrorsWriteFailure: `ream errors` whose standard output cannot be written (here /dev/full,
// as a redirect to a full disk) fails, as `list` does; it ignored its writes' and its last
// flush's errors and exited 0 with none of the records written.
func TestErrorsWriteFailure(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	startStack(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("I love it.\n\xff\xfe broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id, err := runCmd(t, "submit", in, "--analyses", "LANGUAGE")
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(id)
	if _, err := runCmd(t, "wait", id); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, "errors", id); err != nil || !strings.Contains(out, "UNSUPPORTED_ENCODING") {
		t.Fatalf("errors: %v\n%s; want the UNSUPPORTED_ENCODING record", err, out)
	}
	old := os.Stdout
	os.Stdout = full
	err = run(context.Background(), []string{"errors", id})
	os.Stdout = old
	if err == nil {
		t.Fatal("errors into a full standard output: no error")
	}
}
