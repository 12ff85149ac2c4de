package main

import (
	"bytes"
	"github.com/ream-dev/ream/infra/local"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outputLines returns the lines of the unpacked output files under out (not the manifest).
func outputLines(t *testing.T, out string) string {
	t.Helper()
	var lines []byte
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, ".gz") {
			b, _ := os.ReadFile(p)
			lines = append(lines, b...)
		}
		return nil
	})
	return string(lines)
}

// TestSubmitDirSkipsHiddenNames: `submit DIR` uploads neither hidden files (.DS_Store) nor the
// files of hidden folders (.git/), which drop rules ignore too (found from outside: .DS_Store
// became a document); a link to a file, even outside DIR, is followed, and DIR may itself be a
// link to a directory.
func TestSubmitDirSkipsHiddenNames(t *testing.T) {
	startStack(t)
	dir, elsewhere := t.TempDir(), t.TempDir()
	for name, text := range map[string]string{
		"a.txt": "I love it.", "sub/b.txt": "It is great.", ".DS_Store": "\x00\x00\x00\x01Bud1",
		".git/config": "[core]", "sub/.b.txt.swp": "swap",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "c.txt"), []byte("A calm day."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "c.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	viaLink := filepath.Join(t.TempDir(), "dir-link")
	if err := os.Symlink(dir, viaLink); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, viaLink} {
		out := t.TempDir()
		stdout, err := runCmd(t, "submit", path, "--format", "ONE_DOC_PER_FILE", "--wait", "--out", out)
		if err != nil || !strings.Contains(stdout, "COMPLETED") || !strings.Contains(stdout, "documents:  3 (3 analysed") {
			t.Fatalf("submit %s: %v\n%s; want a.txt, sub/b.txt and link.txt analysed", path, err, stdout)
		}
		got := outputLines(t, out)
		for _, want := range []string{`"File":"a.txt"`, `"File":"sub/b.txt"`, `"File":"link.txt"`} {
			if !strings.Contains(got, want) {
				t.Errorf("submit %s: output lacks %s:\n%s", path, want, got)
			}
		}
	}
}

// TestSubmitDirLineFormat: `submit DIR --format JSONL` reads each file of DIR as a JSON Lines
// file, each record a document of its file (found from outside: it was refused and told to use
// ONE_DOC_PER_FILE, which would have analysed each file whole, braces and keys included).
func TestSubmitDirLineFormat(t *testing.T) {
	startStack(t)
	dir := t.TempDir()
	files := map[string]string{
		"a.jsonl": `{"recordId":"a1","text":"I love it."}` + "\n" + `{"recordId":"a2","text":"It is great."}` + "\n",
		"b.jsonl": `{"recordId":"b1","text":"A calm day."}` + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	stdout, err := runCmd(t, "submit", dir, "--format", "JSONL", "--wait", "--out", out)
	if err != nil || !strings.Contains(stdout, "COMPLETED") || !strings.Contains(stdout, "documents:  3 (3 analysed") {
		t.Fatalf("submit DIR --format JSONL: %v\n%s", err, stdout)
	}
	got := outputLines(t, out)
	for _, want := range []string{`"Line":1,"File":"a.jsonl","RecordId":"a2"`, `"Line":0,"File":"b.jsonl","RecordId":"b1"`} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %s:\n%s", want, got)
		}
	}
	if _, err := runCmd(t, "train", dir); err == nil || !strings.Contains(err.Error(), "a training input is one JSON Lines file") {
		t.Errorf("train DIR: %v; want an error saying a training input is one file", err)
	}
}

// TestSubmitJSONLWithoutFormat: a file of {"text": …} records submitted without --format would
// have its raw lines analysed as ONE_DOC_PER_LINE documents; submit refuses it before creating a
// job and names the flag to give. An explicit --format ONE_DOC_PER_LINE is taken as meant.
func TestSubmitJSONLWithoutFormat(t *testing.T) {
	startStack(t)
	in := filepath.Join(t.TempDir(), "reviews.jsonl")
	if err := os.WriteFile(in, []byte("\ufeff\n"+`{"text":"I love it."}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, "submit", in); err == nil || !strings.Contains(err.Error(), "give --format JSONL") {
		t.Errorf("submit of JSONL records without --format: %v; want an error naming --format JSONL", err)
	}
	if out, err := runCmd(t, "list"); err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("a job was created (or the list failed: %v):\n%s", err, out)
	}
	if stdout, err := runCmd(t, "submit", in, "--format", "one_doc_per_line", "--wait"); err != nil || !strings.Contains(stdout, "documents:  2") {
		t.Errorf("submit with an explicit --format ONE_DOC_PER_LINE: %v\n%s", err, stdout)
	}
}

// TestListAlignsWideNames: `ream list` lines its columns up by the width names take on a
// terminal: a Japanese name's characters take two columns each, a combining accent none (found
// from outside: text/tabwriter counted runes, so the columns after such a name were shifted).
func TestListAlignsWideNames(t *testing.T) {
	var tb table
	tb.row("JOB ID", "NAME", "STATUS")
	tb.row("1", "日本語のジョブ", "COMPLETED")
	tb.row("2", "cafe\u0301", "FAILED")
	tb.row("3", "plain-name", "STOPPED")
	var b bytes.Buffer
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	col := -1
	for _, l := range lines {
		i := strings.LastIndex(l, "  ") + 2 // where the STATUS column starts
		if w := displayWidth(l[:i]); col < 0 {
			col = w
		} else if w != col {
			t.Errorf("line %q: the last column starts at display column %d, want %d\n%s", l, w, col, b.String())
		}
	}
	if want := 6 + 2 + 14 + 2; col != want {
		t.Errorf("the last column starts at %d, want %d\n%s", col, want, b.String())
	}
	if strings.HasSuffix(lines[1], " ") {
		t.Errorf("the last cell is padded: %q", lines[1])
	}
}

// TestEmptyUploadNamesTheFile: the Message of a job whose uploaded line file is empty names the
// file as the client gave it, not the service's upload folder (found from outside: it named
// file:///…/objects/inputs/local/<job>/files/, a path into the server's data directory).
func TestEmptyUploadNamesTheFile(t *testing.T) {
	startStack(t)
	in := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, err := runCmd(t, "submit", in, "--wait")
	want := `message:    the uploaded file "empty.txt" is empty (0 bytes): there are no documents to analyse`
	if err == nil || !strings.Contains(stdout, want) || strings.Contains(stdout, "objects/inputs") {
		t.Errorf("submit of an empty file: %v\n%s\nwant it FAILED with %q", err, stdout, want)
	}
}

// TestLinePrefixUnreadableNameIsARecord: a file of a line-format prefix input whose name the
// store cannot read (here a backslash, put into the local store by hand) is one UNREADABLE_FILE
// error record, and the other files are analysed (found from outside: the whole job FAILED).
func TestLinePrefixUnreadableNameIsARecord(t *testing.T) {
	data := startStack(t)
	dir := filepath.Join(data, "objects", "inputs", "local", "mixed")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"a.txt": "I love it.\nIt is great.\n", `b\c.txt`: "Unread.\n", "d.txt": "A calm day.\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	stdout, err := runCmd(t, "submit", local.FileURI(filepath.Join(data, "objects"))+"/inputs/local/mixed/", "--wait", "--out", out)
	if err != nil || !strings.Contains(stdout, "PARTIAL_SUCCESS") || !strings.Contains(stdout, "documents:  4 (3 analysed, 1 with errors)") {
		t.Fatalf("submit of a prefix with an unreadable name: %v\n%s", err, stdout)
	}
	got := outputLines(t, out)
	if want := `"Line":0,"File":"b\\c.txt","ErrorCode":"UNREADABLE_FILE"`; !strings.Contains(got, want) {
		t.Errorf("output lacks %s:\n%s", want, got)
	}
	if want := `"Line":1,"File":"a.txt"`; !strings.Contains(got, want) {
		t.Errorf("output lacks %s:\n%s", want, got)
	}
}
