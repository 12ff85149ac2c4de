package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// TestDropRuleCommands: put, list, get, upload (which starts the rule's job), delete.
func TestDropRuleCommands(t *testing.T) {
	startStack(t)
	stdout, err := runCmd(t, "drop-rules", "put", "reviews", "--analyses", "language,sentiment", "--format", "one_doc_per_line", "--name", "nightly-", "--retention", "48")
	if err != nil || !strings.Contains(stdout, "drop rule reviews: objects created under file://") || !strings.Contains(stdout, "/inputs/local/drop/reviews/") {
		t.Fatalf("put: %v\n%s", err, stdout)
	}
	if _, err := runCmd(t, "drop-rules", "put", "bad name", "--analyses", "LANGUAGE"); err == nil || !strings.Contains(err.Error(), "drop rule name") {
		t.Errorf("put of a bad name: %v", err)
	}
	stdout, err = runCmd(t, "drop-rules", "list")
	if err != nil || !strings.Contains(stdout, "reviews") || !strings.Contains(stdout, "LANGUAGE,SENTIMENT") {
		t.Errorf("list: %v\n%s", err, stdout)
	}
	stdout, err = runCmd(t, "drop-rules", "get", "reviews")
	var r api.DropRule
	if err != nil || json.Unmarshal([]byte(stdout), &r) != nil || r.Template.JobName != "nightly-" || r.Template.RetentionHours == nil || *r.Template.RetentionHours != 48 {
		t.Errorf("get: %v %+v\n%s", err, r, stdout)
	}
	in := filepath.Join(t.TempDir(), "day1.txt")
	if err := os.WriteFile(in, []byte("I love it.\nI hate it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if stdout, err := runCmd(t, "drop-rules", "upload", "reviews", in, "--as", "2026/day1.txt"); err != nil || !strings.Contains(stdout, "uploaded") {
		t.Fatalf("upload: %v\n%s", err, stdout)
	}
	c, err := newClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var started *job.Job
	for started == nil {
		res, err := c.List(ctx, api.ListFilter{})
		if err != nil {
			t.Fatalf("list jobs (waiting for the dropped file's job): %v", err)
		}
		for _, j := range res.Jobs {
			if j.DropRule == "reviews" {
				started = j
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	n, err := c.Follow(ctx, started.JobId, nil)
	if err != nil || n.DropRule != "reviews" || !strings.HasSuffix(n.DropObject.Key, "/drop/reviews/2026/day1.txt") || n.InputDocumentsCount != 2 {
		t.Errorf("notification %+v, %v", n, err)
	}
	if started.JobName != "nightly-2026/day1.txt" {
		t.Errorf("job name %q", started.JobName)
	}
	if _, err := runCmd(t, "drop-rules", "delete", "reviews"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, "drop-rules", "get", "reviews"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("get after delete: %v", err)
	}
	if _, err := runCmd(t, "drop-rules", "frob"); err == nil {
		t.Error("unknown subcommand accepted")
	}
}

// TestDropRulePutDefaults: put without --analyses or --format takes submit's defaults
// (LANGUAGE, ONE_DOC_PER_LINE) and says so, since the rule goes on starting jobs with them.
func TestDropRulePutDefaults(t *testing.T) {
	startStack(t)
	stdout, err := runCmd(t, "drop-rules", "put", "plain")
	if err != nil || !strings.Contains(stdout, "start ONE_DOC_PER_LINE jobs of LANGUAGE") ||
		!strings.Contains(stdout, "(no --format given: ONE_DOC_PER_LINE, the default)") ||
		!strings.Contains(stdout, "(no --analyses given: LANGUAGE, the default)") {
		t.Errorf("put without --analyses and --format: %v\n%s", err, stdout)
	}
	stdout, err = runCmd(t, "drop-rules", "put", "docs", "--analyses", "SENTIMENT", "--format", "ONE_DOC_PER_FILE")
	if err != nil || !strings.Contains(stdout, "start ONE_DOC_PER_FILE jobs of SENTIMENT") || strings.Contains(stdout, "the default") {
		t.Errorf("put with --analyses and --format: %v\n%s", err, stdout)
	}
}

// TestDropRuleClose: `drop-rules close` writes the batch's marker with new content each time, so
// closing a batch again after adding files starts another job over the batch as it then is.
// Found from outside: uploading an empty _SUCCESS again (as the CLI's hint said) started nothing.
func TestDropRuleClose(t *testing.T) {
	startStack(t)
	if _, err := runCmd(t, "drop-rules", "put", "docs", "--analyses", "LANGUAGE", "--format", "ONE_DOC_PER_FILE"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c, err := newClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	batchJobs := func(want int) []*job.Job {
		t.Helper()
		for {
			res, err := c.List(ctx, api.ListFilter{})
			if err != nil {
				t.Fatalf("list jobs (waiting for %d batch jobs): %v", want, err)
			}
			var out []*job.Job
			for _, j := range res.Jobs {
				if j.DropRule == "docs" {
					out = append(out, j)
				}
			}
			if len(out) >= want {
				return out
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for i, text := range []string{"The first document.", "The second document."} {
		p := filepath.Join(dir, fmt.Sprintf("doc%d.txt", i))
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := runCmd(t, "drop-rules", "upload", "docs", p, "--as", fmt.Sprintf("b1/doc%d.txt", i)); err != nil {
			t.Fatal(err)
		}
		stdout, err := runCmd(t, "drop-rules", "close", "docs", "b1")
		if err != nil || !strings.Contains(stdout, "closed batch b1") {
			t.Fatalf("close %d: %v\n%s", i+1, err, stdout)
		}
		jobs := batchJobs(i + 1)
		if len(jobs) != i+1 {
			t.Fatalf("after close %d: %d jobs, want %d", i+1, len(jobs), i+1)
		}
		n, err := c.Follow(ctx, jobs[0].JobId, nil) // newest first
		if err != nil || n.InputDocumentsCount != int64(i+1) {
			t.Errorf("the job of close %d: %+v, %v; want %d documents", i+1, n, err, i+1)
		}
	}
	if _, err := runCmd(t, "drop-rules", "close", "docs", "/"); err == nil || !strings.Contains(err.Error(), "BATCH") {
		t.Errorf("close of the top level: %v", err)
	}
	if _, err := runCmd(t, "drop-rules", "put", "lines", "--format", "ONE_DOC_PER_LINE"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, "drop-rules", "close", "lines", "b1"); err == nil || !strings.Contains(err.Error(), "close is for ONE_DOC_PER_FILE batches") {
		t.Errorf("close of a line-format rule's folder: %v; want it refused (its marker starts nothing)", err)
	}
}

// TestDropRulePutCloseHintLeadingDash: the close command put prints for a ONE_DOC_PER_FILE
// rule whose name starts with "-" puts "--" before the name, and that command closes a batch
// (without it the name is read as a flag).
func TestDropRulePutCloseHintLeadingDash(t *testing.T) {
	startStack(t)
	stdout, err := runCmd(t, "drop-rules", "put", "--", "-x", "--analyses", "LANGUAGE", "--format", "ONE_DOC_PER_FILE")
	if err != nil || !strings.Contains(stdout, "`ream drop-rules close -- -x <batch>`") {
		t.Fatalf("put -x: %v; want the close command with -- before the name\n%s", err, stdout)
	}
	if _, err := runCmd(t, "drop-rules", "close", "--", "-x", "b1"); err != nil {
		t.Errorf("close -- -x b1: %v", err)
	}
}

// TestDropRulePutHelp: "drop-rules put -h" describes --format as a rule's format (what starts
// a job), not in submit's words, which speak of a directory PATH that put does not take.
func TestDropRulePutHelp(t *testing.T) {
	t.Setenv("REAM_ENDPOINT", "http://127.0.0.1:1")   // nothing listens: a call would fail
	help, err := runCmd(t, "drop-rules", "put", "-h") // (the flags are on standard output)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(help, "-format") {
		t.Fatalf("drop-rules put -h: %v\n%s", err, help)
	}
	_, flags, _ := strings.Cut(help, "Usage of ") // (the synopses above name upload's PATH)
	if strings.Contains(flags, "PATH") || !strings.Contains(flags, "_SUCCESS marker") {
		t.Errorf("drop-rules put -h describes --format in submit's words:\n%s", help)
	}
}

// TestSynopsesListEveryFlag: each command's synopsis (`ream CMD -h`, from the usage that the README's
// CLI section repeats) names every flag the command takes (found from outside: drop-rules put took
// --job-tag, which its synopsis left out).
func TestSynopsesListEveryFlag(t *testing.T) {
	t.Setenv("REAM_ENDPOINT", "http://127.0.0.1:1") // nothing listens: a call would fail
	for _, args := range [][]string{{"submit"}, {"list"}, {"results"}, {"errors"}, {"retry"}, {"code"}, {"models"}, {"train"},
		{"drop-rules", "put"}, {"drop-rules", "upload"}} {
		dir := t.TempDir()
		outF, _ := os.Create(filepath.Join(dir, "stdout"))
		errF, _ := os.Create(filepath.Join(dir, "stderr"))
		oldOut, oldErr := os.Stdout, os.Stderr
		os.Stdout, os.Stderr = outF, errF
		err := run(context.Background(), append(append([]string{}, args...), "-h"))
		os.Stdout, os.Stderr = oldOut, oldErr
		outF.Close()
		errF.Close()
		synopsis, _ := os.ReadFile(outF.Name())
		flags, _ := os.ReadFile(errF.Name())
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("ream %s -h: %v", strings.Join(args, " "), err)
			continue
		}
		for _, l := range strings.Split(string(flags), "\n") {
			if f, ok := strings.CutPrefix(l, "  -"); ok {
				name, _, _ := strings.Cut(f, " ")
				if !strings.Contains(string(synopsis), "--"+name+" ") && !strings.Contains(string(synopsis), "--"+name+"]") {
					t.Errorf("ream %s: the synopsis does not name --%s:\n%s", strings.Join(args, " "), name, synopsis)
				}
			}
		}
	}
}

// TestDropRuleGetDeleteUnknownFlag: drop-rules get and delete, which take a NAME and no flags,
// refuse an argument starting with "-" as an unknown flag, before any request, as describe,
// stop and wait do (found from outside: `ream drop-rules delete --x` sent DELETE
// /v1/drop-rules/--x).
func TestDropRuleGetDeleteUnknownFlag(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	t.Setenv("REAM_ENDPOINT", srv.URL)
	for _, args := range [][]string{{"drop-rules", "delete", "--x"}, {"drop-rules", "get", "-x"}, {"drop-rules", "get", "reviews", "--x"}} {
		_, err := runCmd(t, args...)
		if err == nil || err.Error() != "flag provided but not defined: -x" {
			t.Errorf("ream %s: %v; want the usage error flag provided but not defined: -x", strings.Join(args, " "), err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d requests sent; want none", n)
	}
}
