package local

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestArchiveReadsWithTarToolchains: output.tar.gz is one gzip member concatenated from
// DEFLATE segments (framing written by the finalizer, one segment per shard written by its
// worker), and GNU tar, Python's tarfile (also in its streaming mode) and Go's archive/tar (reading
// one member) must each read it as one archive with the same entries and bytes: a line job split into many shards with redacted copies, and a ONE_DOC_PER_FILE job
// whose redacted copies are whole entries inside the shards' members.
func TestArchiveReadsWithTarToolchains(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{ShardBytes: 60}, pipeline.Hooks{})
	c := defaultClient(s)

	var lines []string
	for i := 0; i < 40; i++ {
		lines = append(lines, fmt.Sprintf("Write to jane%d@example.com or call (415) 555-01%02d, thank you.", i, i))
	}
	lines[7] = ""
	input := strings.Join(lines, "\n") + "\n"
	req := lineJob("tar-lines", job.OneDocPerLine)
	req.Analyses = []job.Analysis{job.PII}
	req.RedactionConfig = &job.RedactionConfig{MaskMode: "REPLACE_WITH_PII_ENTITY_TYPE"}
	res := createAndUpload(t, ctx, c, req, []byte(input))
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobDetails.ShardsTotal < 5 {
		t.Fatalf("%d shards; the test needs many members", j.JobDetails.ShardsTotal)
	}
	entries := checkToolchains(t, ctx, c, res.JobId)
	if got := strings.Count(entries["output"], "\n"); got != len(lines) {
		t.Fatalf("output has %d lines, want %d", got, len(lines))
	}
	for i := 0; i < len(lines); i++ {
		if !strings.Contains(entries["output"], fmt.Sprintf(`{"Line":%d,`, i)) {
			t.Fatalf("output lacks line %d", i)
		}
	}
	red := entries["redacted/input"]
	if strings.Count(red, "\n") != len(lines) || strings.Contains(red, "@example.com") {
		t.Fatalf("redacted copy: %q", red)
	}

	files := map[string]string{
		"a.txt": "Mail bob@example.com please.", "b.txt": "Nothing to hide here at all.",
		"c/d.txt": "Call (212) 555-0188 now.", "e.txt": "", strings.Repeat("long-name-", 12) + ".txt": "Card 4111 1111 1111 1111 used.",
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	fres, err := c.CreateJob(ctx, api.CreateJobRequest{JobName: "tar-files", Analyses: []job.Analysis{job.PII},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}, UploadFiles: names,
		RedactionConfig: &job.RedactionConfig{MaskMode: "MASK"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, u := range fres.Uploads {
		p := writeTempIn(t, dir, strings.ReplaceAll(u.File, "/", "_"), []byte(files[u.File]))
		if err := c.Upload(ctx, u.Presigned, p); err != nil {
			t.Fatal(err)
		}
	}
	follow(t, ctx, c, fres.JobId)
	entries = checkToolchains(t, ctx, c, fres.JobId)
	for _, n := range names {
		got, ok := entries["redacted/"+n]
		if !ok {
			t.Fatalf("no redacted entry for %s; entries %v", n, keys(entries))
		}
		if len(got) != len(files[n]) || strings.Contains(got, "@example.com") {
			t.Errorf("redacted/%s = %q", n, got)
		}
	}
	// A line input of several files under a prefix: one redacted entry per file, named as the
	// output's File, each with that file's lines (a file spans several shards; an empty file
	// has no documents and no entry).
	root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "many")
	lineFiles := map[string][]string{"a.txt": lines[:25], "sub/b.txt": {"Reach me at ann@example.org.", "No PII."}, "c.txt": lines[25:], "empty.txt": nil}
	for rel, ls := range lineFiles {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		text := ""
		if len(ls) > 0 {
			text = strings.Join(ls, "\n") + "\n"
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A file of only a byte-order mark has no documents either, and no entry (it had an empty
	// one, found from outside).
	if err := os.WriteFile(filepath.Join(root, "bom.txt"), []byte("\xef\xbb\xbf"), 0o644); err != nil {
		t.Fatal(err)
	}
	lineFiles["bom.txt"] = nil
	mreq := lineJob("tar-many", job.OneDocPerLine)
	mreq.Analyses = []job.Analysis{job.PII}
	mreq.RedactionConfig = &job.RedactionConfig{MaskMode: "MASK"}
	mreq.InputDataConfig.S3Uri = FileURI(filepath.Join(s.cfg.DataDir, "objects")) + "/inputs/local/many/"
	mres, err := c.CreateJob(ctx, mreq)
	if err != nil {
		t.Fatal(err)
	}
	_, mj := follow(t, ctx, c, mres.JobId)
	if mj.JobDetails.ShardsTotal < 4 {
		t.Fatalf("%d shards; the test needs files of several shards", mj.JobDetails.ShardsTotal)
	}
	entries = checkToolchains(t, ctx, c, mres.JobId)
	for rel, ls := range lineFiles {
		got, ok := entries["redacted/"+rel]
		if len(ls) == 0 {
			if ok {
				t.Errorf("an entry for the empty file %s: %q", rel, got)
			}
			continue
		}
		if !ok {
			t.Fatalf("no redacted entry for %s; entries %v", rel, keys(entries))
		}
		gotLines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(gotLines) != len(ls) || strings.Contains(got, "@example.") {
			t.Fatalf("redacted/%s: %d lines %q, want %d redacted", rel, len(gotLines), got, len(ls))
		}
		for i, l := range gotLines {
			if len([]rune(l)) != len([]rune(ls[i])) && ls[i] != "" {
				t.Errorf("redacted/%s line %d = %q, not the masked %q", rel, i, l, ls[i])
			}
		}
	}
}

// checkToolchains downloads the job's output.tar.gz and reads it with Go's archive/tar, GNU tar
// and Python's tarfile; all three must list the same entries with the same bytes. It returns the
// entries.
func checkToolchains(t *testing.T, ctx context.Context, c *client.Client, id string) map[string]string {
	t.Helper()
	links, err := c.Results(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Download(ctx, links.Output, &buf); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "output.tar.gz")
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	goEntries := map[string]string{}
	zr, err := gzip.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false) // one gzip member, which readers of one member read whole
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("archive/tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("archive/tar: %s: %v", h.Name, err)
		}
		goEntries[h.Name] = string(b)
	}
	if rest, err := io.ReadAll(zr); err != nil || len(bytes.Trim(rest, "\x00")) != 0 {
		t.Fatalf("archive/tar: after the tar end %d bytes, %v (the gzip trailer's CRC-32 and size are checked here)", len(rest), err)
	}

	if _, err := exec.LookPath("tar"); err != nil {
		t.Log("WARNING: GNU tar is not on PATH; the archive was not checked with it")
	} else {
		out := filepath.Join(t.TempDir(), "x")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command("tar", "-xzf", archive, "-C", out).CombinedOutput(); err != nil {
			t.Fatalf("GNU tar: %v: %s", err, b)
		}
		for name, want := range goEntries {
			got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
			if err != nil || string(got) != want {
				t.Fatalf("GNU tar: entry %s: %v (%d bytes, Go read %d)", name, err, len(got), len(want))
			}
		}
	}

	if _, err := exec.LookPath("python3"); err != nil {
		t.Log("WARNING: python3 is not on PATH; the archive was not checked with Python's tarfile")
	} else {
		// "r:gz" reads a file; "r|gz", the streaming mode boto3 users read a StreamingBody with,
		// reads one gzip member only (found from outside: it failed on the multi-member archives
		// written before); zlib.decompress with wbits 31 also stops after one member.
		script := `import sys, tarfile, hashlib, zlib
with tarfile.open(sys.argv[1], "r:gz") as tf:
    full = [(m.name, m.size, hashlib.sha256(tf.extractfile(m).read()).hexdigest()) for m in tf.getmembers()]
with open(sys.argv[1], "rb") as f, tarfile.open(fileobj=f, mode="r|gz") as tf:
    streamed = [(m.name, m.size, hashlib.sha256(tf.extractfile(m).read()).hexdigest()) for m in tf]
assert streamed == full, ("streaming mode", streamed, full)
with open(sys.argv[1], "rb") as f:
    blob = f.read()
d = zlib.decompressobj(31)
raw = d.decompress(blob) + d.flush()
assert d.eof and not d.unused_data, "one gzip member"
with tarfile.open(fileobj=__import__("io").BytesIO(raw), mode="r:") as tf:
    assert [m.name for m in tf.getmembers()] == [n for n, _, _ in full]
for n, size, h in full:
    print(n + "\t" + str(size) + "\t" + h)`
		b, err := exec.Command("python3", "-c", script, archive).CombinedOutput()
		if err != nil {
			t.Fatalf("python tarfile: %v: %s", err, b)
		}
		seen := 0
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.Split(line, "\t")
			want, ok := goEntries[f[0]]
			if len(f) != 3 || !ok || f[1] != fmt.Sprint(len(want)) || f[2] != sha256Hex(want) {
				t.Fatalf("python tarfile lists %q; Go read %d bytes for it", line, len(want))
			}
			seen++
		}
		if seen != len(goEntries) {
			t.Fatalf("python tarfile saw %d entries, Go %d", seen, len(goEntries))
		}
	}
	return goEntries
}
