package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/infra/local"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// startStack runs the local stack in-process on a free port with its defaults (API key
// local-dev-key, OAuth client local-coding-client) and points the client commands at it.
func startStack(t *testing.T) (dataDir string) {
	t.Helper()
	return startStackWith(t, local.Config{})
}

// startStackWith is startStack with cfg (its DataDir and Addr are set here).
func startStackWith(t *testing.T, cfg local.Config) (dataDir string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dataDir = t.TempDir()
	cfg.DataDir, cfg.Addr = dataDir, "127.0.0.1:0"
	s, err := local.Start(ctx, cfg,
		local.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		cancel()
	})
	t.Setenv("REAM_ENDPOINT", s.URL)
	t.Setenv("REAM_API_KEY", "")
	t.Setenv("REAM_AUTH", "")
	t.Setenv("REAM_CLIENT_ID", "")
	t.Setenv("REAM_CLIENT_SECRET", "")
	t.Setenv("REAM_TOKEN_URL", "")
	old := codingPollEvery
	codingPollEvery = 20 * time.Millisecond
	t.Cleanup(func() { codingPollEvery = old })
	return dataDir
}

// runCmd runs a ream command in-process and returns what it wrote to stdout (stderr, the
// progress, is kept for the test log) and its error.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errOut, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = out, errOut
	runErr := run(ctx, args)
	os.Stdout, os.Stderr = oldOut, oldErr
	out.Close()
	errOut.Close()
	stdout, _ := os.ReadFile(out.Name())
	stderr, _ := os.ReadFile(errOut.Name())
	t.Logf("ream %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout, stderr)
	return string(stdout), runErr
}

func testdata(name string) string { return filepath.Join("..", "..", "testdata", "coding", name) }

// TestCodingCommands runs the coding commands against the local stack: `code --wait --out`
// codes the 200 sample records and downloads coded.jsonl and metadata.json; `models` lists the
// shipped model with its held-out accuracy (with the API key and with an OAuth token);
// `train --wait` registers version 2, which `models` then lists as the tenant's own.
func TestCodingCommands(t *testing.T) {
	startStack(t)

	// The shipped model, as the API gives it, for comparing the table against.
	c, err := newClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := c.Model(context.Background(), "occupation", "latest")
	if err != nil {
		t.Fatal(err)
	}
	met := heldOut(*shipped)
	if !shipped.Shipped || met.Top1 == nil || met.Top3 == nil {
		t.Fatalf("shipped model %+v has no top-1/top-3 metrics", shipped)
	}

	t.Run("code", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		stdout, err := runCmd(t, "code", testdata("records.jsonl"), "--topic", "occupation", "--wait", "--out", dir)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, "status:     complete") || !strings.Contains(stdout, "records:    200 (0 with errors)") ||
			!strings.Contains(stdout, shipped.ModelId) {
			t.Errorf("summary:\n%s", stdout)
		}
		coded, err := os.ReadFile(filepath.Join(dir, api.CodedName))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(coded))
		for sc.Scan() {
			var r api.CodedRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Error != nil || len(r.Suggestions) == 0 {
				t.Fatalf("line %d %q: %v", n, sc.Text(), err)
			}
			n++
		}
		if n != 200 {
			t.Errorf("%d coded lines, want 200", n)
		}
		var meta api.CodingMetadata
		b, err := os.ReadFile(filepath.Join(dir, api.MetadataName))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &meta); err != nil || meta.Records != 200 || meta.Topic != "occupation" || meta.Model.ModelId != shipped.ModelId {
			t.Errorf("metadata %+v %v", meta, err)
		}
	})

	t.Run("code without wait", func(t *testing.T) {
		stdout, err := runCmd(t, "code", testdata("records.jsonl"), "--model", shipped.ModelId)
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(stdout)
		st, err := c.WaitCoding(context.Background(), "occupation", shipped.ModelId, id, 20*time.Millisecond, nil)
		if err != nil || st.OperationStatus != api.OpComplete {
			t.Fatalf("operation %q: %+v %v", id, st, err)
		}
	})

	t.Run("code errors", func(t *testing.T) {
		if _, err := runCmd(t, "code", t.TempDir()); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("a directory: %v", err)
		}
		if _, err := runCmd(t, "code", testdata("records.jsonl"), "--topic", "industry"); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("an unknown topic: %v", err)
		}
		// An empty file: the operation fails and the command says so.
		empty := filepath.Join(t.TempDir(), "empty.jsonl")
		if err := os.WriteFile(empty, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		stdout, err := runCmd(t, "code", empty, "--wait")
		if err == nil || !strings.Contains(err.Error(), "ended failed") || !strings.Contains(stdout, "error:") || exitStatus(err) != exitJob {
			t.Errorf("an empty file: %v (exit status %d; want %d)\n%s", err, exitStatus(err), exitJob, stdout)
		}
		// Every record bad: the operation fails, but its output holds an error line for each,
		// and --out downloads it before the command reports the failure.
		blank := filepath.Join(t.TempDir(), "blank.jsonl")
		if err := os.WriteFile(blank, []byte("\n\n  \n"), 0o644); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "out")
		stdout, err = runCmd(t, "code", blank, "--wait", "--out", dir)
		if err == nil || !strings.Contains(err.Error(), "ended failed") || !strings.Contains(stdout, "all 3 documents failed") {
			t.Errorf("a file of blank lines: %v\n%s", err, stdout)
		}
		coded, rerr := os.ReadFile(filepath.Join(dir, api.CodedName))
		if rerr != nil {
			t.Fatalf("a failed operation's error lines were not downloaded: %v", rerr)
		}
		if lines := strings.Split(strings.TrimSpace(string(coded)), "\n"); len(lines) != 3 || !strings.Contains(lines[0], "EMPTY_DOCUMENT") {
			t.Errorf("coded.jsonl of the blank file:\n%s", coded)
		}
		if _, err := os.Stat(filepath.Join(dir, api.MetadataName)); err != nil {
			t.Errorf("metadata.json: %v", err)
		}
	})

	t.Run("models", func(t *testing.T) {
		for _, auth := range []struct{ name, id, secret string }{{"api key", "", ""}, {"token", local.DefaultClientID, local.DefaultClientSecret}} {
			t.Setenv("REAM_CLIENT_ID", auth.id)
			t.Setenv("REAM_CLIENT_SECRET", auth.secret)
			stdout, err := runCmd(t, "models")
			if err != nil {
				t.Fatalf("%s: %v", auth.name, err)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "MODEL ID") {
				t.Fatalf("%s: table:\n%s", auth.name, stdout)
			}
			row := strings.Fields(lines[1])
			if row[0] != shipped.ModelId || row[1] != "1" || !strings.Contains(lines[1], "shipped") ||
				row[len(row)-2] != percent(met.Top1) || row[len(row)-1] != percent(met.Top3) {
				t.Errorf("%s: row %q", auth.name, lines[1])
			}
			// The shipped model was refit on its train and calibration parts, held out while
			// it was measured.
			if tr := shipped.Training; tr == nil || tr.RefitRecords == 0 ||
				row[len(row)-4] != strconv.Itoa(tr.RefitRecords) || row[len(row)-3] != strconv.Itoa(tr.HeldOutRecords) {
				t.Errorf("%s: row %q; want the records trained on and held out of %+v", auth.name, lines[1], shipped.Training)
			}
		}
		t.Setenv("REAM_CLIENT_ID", local.DefaultClientID)
		t.Setenv("REAM_CLIENT_SECRET", "wrong")
		if _, err := runCmd(t, "models"); err == nil || !strings.Contains(err.Error(), "invalid_client") {
			t.Errorf("a wrong client secret: %v", err)
		}
	})

	t.Run("train", func(t *testing.T) {
		stdout, err := runCmd(t, "train", testdata("train-sample.jsonl"), "--topic", "occupation", "--name", "occupation-v2", "--wait")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, "(version 2,") || !strings.Contains(stdout, "held out:   top-1 ") || !strings.Contains(stdout, "documents:  2946") {
			t.Fatalf("train output:\n%s", stdout)
		}
		latest, err := c.Model(context.Background(), "occupation", "latest")
		if err != nil || latest.ModelVersion != 2 || latest.Shipped || !strings.Contains(stdout, latest.ModelId) {
			t.Fatalf("latest after training: %+v %v", latest, err)
		}
		stdout, err = runCmd(t, "models", "--topic", "occupation")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 3 || strings.Fields(lines[2])[0] != latest.ModelId || strings.Fields(lines[2])[1] != "2" || !strings.Contains(lines[2], " own ") {
			t.Errorf("models after training:\n%s", stdout)
		}
	})
}

// TestTrainNoteOnPlainText: a training file whose first line is not a JSON object gets a note
// about what train reads; the note for submit --format JSONL points to --format
// ONE_DOC_PER_LINE, a flag train does not have (found from outside: train said so).
func TestTrainNoteOnPlainText(t *testing.T) {
	in := filepath.Join(t.TempDir(), "plain.txt")
	if err := os.WriteFile(in, []byte("Registered nurse\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	note := func(training bool) string {
		var err error
		said := stderrOf(t, func() { err = formatFits(job.JSONLines, true, in, training) })
		if err != nil {
			t.Fatal(err)
		}
		return said
	}
	// "every other line" read as every line but the first: it is every line that is no record
	if got := note(true); strings.Contains(got, "--format") || !strings.Contains(got, `train reads JSON Lines records {"code","occp_text","tasks_text"}`) ||
		!strings.Contains(got, "every line that is not one is an INVALID_RECORD error record") {
		t.Errorf("train's note: %q", got)
	}
	if got := note(false); !strings.Contains(got, "--format ONE_DOC_PER_LINE") {
		t.Errorf("submit --format JSONL's note: %q", got)
	}
}

// TestCodeWaitInterruptedSaysTheOperationGoesOn: Ctrl-C (or SIGTERM) during `code --wait` stops
// the waiting, not the operation, and says so with how to follow it again, as `submit --wait`
// does (it printed only "context canceled").
func TestCodeWaitInterruptedSaysTheOperationGoesOn(t *testing.T) {
	const id = "0f0e5d1c-1111-4222-8333-944445555670"
	polled := make(chan struct{}, 1)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batch-code"):
			fmt.Fprintf(w, `{"operationId":%q,"requestUploadUrl":%q}`, id, srv.URL+"/objects/put")
		case r.Method == http.MethodPut:
			io.Copy(io.Discard, r.Body)
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/operations/"+id):
			fmt.Fprintf(w, `{"operationId":%q,"operationStatus":"in_progress"}`, id)
			select {
			case polled <- struct{}{}:
			default:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	keyClient(t, srv.URL)
	in := filepath.Join(t.TempDir(), "records.jsonl")
	if err := os.WriteFile(in, []byte(`{"recordId":"r1","occp_text":"nurse","tasks_text":"care"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(t.Context())
	go func() {
		<-polled
		cancel(errors.New("interrupt signal received")) // as signal.NotifyContext on Ctrl-C
	}()
	err := run(ctx, []string{"code", in, "--wait"})
	if err == nil || exitStatus(err) != exitError || !strings.Contains(err.Error(), "operation "+id+" goes on running") || !strings.Contains(err.Error(), "ream wait "+id) {
		t.Fatalf("code --wait interrupted: %v; want status 1 saying the operation goes on and how to follow it", err)
	}
}
