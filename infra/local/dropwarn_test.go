package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// TestDropIgnoredMarkerAndLooseFileWarn: a _SUCCESS marker under a line-format rule (which
// starts nothing: each object is its own job, markers close ONE_DOC_PER_FILE batches) and a file
// put directly in drop/, in no rule's folder, are said at WARN, the default level, once each, not
// again by the sweeps. Found from outside: the marker was logged at INFO, the loose file not at
// all locally (and at INFO as "not a job upload" on AWS), so nothing showed why nothing happened.
func TestDropIgnoredMarkerAndLooseFileWarn(t *testing.T) {
	s, logs := startStackLogging(t, dropConfig())
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "lines", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	marker := dropFile(t, s, "lines", "out/"+droprule.Marker, nil)
	loose := droprule.TenantPrefix("local") + "loose.txt"
	p := filepath.Join(s.objectsDir, filepath.FromSlash(loose))
	if err := os.WriteFile(filepath.Join(filepath.Dir(p), ".tmp-loose"), []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(filepath.Dir(p), ".tmp-loose"), p); err != nil {
		t.Fatal(err)
	}
	warnedOnce(t, ctx, s, logs, marker, "_SUCCESS marker under a ONE_DOC_PER_LINE drop rule; ignored: each object of a line-format rule starts its own job, and markers close batches only under ONE_DOC_PER_FILE rules")
	warnedOnce(t, ctx, s, logs, loose, "object dropped directly in the drop folder, outside every drop rule's folder; ignored (put it in drop/<rule>/)")
	if jobs := dropJobs(t, ctx, c, "lines"); len(jobs) != 0 {
		t.Errorf("the marker started %d jobs; want none", len(jobs))
	}
}

// TestDropSymlinkWarns: a symbolic link dropped into a drop rule's folder (to a file outside the
// store) starts no job, as the README says, and is said at WARN once, naming it: before, the
// watcher and the sweep's listing left it out without a word.
func TestDropSymlinkWarns(t *testing.T) {
	s, logs := startStackLogging(t, dropConfig())
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "lines", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "outside.txt")
	if err := os.WriteFile(target, []byte("I love it.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key := droprule.Prefix("local", "lines") + "linked.txt"
	if err := os.Symlink(target, filepath.Join(s.objectsDir, filepath.FromSlash(key))); err != nil {
		t.Fatal(err)
	}
	warnedOnce(t, ctx, s, logs, key, "object dropped is not a regular file; ignored: the local store never follows symbolic links or reads special files (copy the file in instead)")
	if recs := logs.matching(t, "object dropped is not a regular file; ignored: the local store never follows symbolic links or reads special files (copy the file in instead)", key); len(recs) == 1 && recs[0]["kind"] != "a symbolic link" {
		t.Errorf("kind %v; want a symbolic link", recs[0]["kind"])
	}
	if jobs := dropJobs(t, ctx, c, "lines"); len(jobs) != 0 {
		t.Errorf("the link started %d jobs; want none", len(jobs))
	}
}
