package local

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// countingObjects counts the requests the pipeline sends to the object store by kind (a List
// is counted once, whatever it returns; Open and OpenInfo are both a get), for the keys under
// prefix ("" counts every key).
type countingObjects struct {
	pipeline.Objects
	prefix               string
	list, head, get, put atomic.Int64
}

func (c *countingObjects) reset() {
	c.list.Store(0)
	c.head.Store(0)
	c.get.Store(0)
	c.put.Store(0)
}

func (c *countingObjects) add(n *atomic.Int64, key string) {
	if strings.HasPrefix(key, c.prefix) {
		n.Add(1)
	}
}

func (c *countingObjects) List(ctx context.Context, prefix string, fn func(pipeline.ObjectInfo) error) error {
	c.add(&c.list, prefix)
	return c.Objects.List(ctx, prefix, fn)
}

func (c *countingObjects) Head(ctx context.Context, key string) (pipeline.ObjectInfo, error) {
	c.add(&c.head, key)
	return c.Objects.Head(ctx, key)
}

func (c *countingObjects) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	c.add(&c.get, key)
	return c.Objects.Open(ctx, key, offset)
}

func (c *countingObjects) OpenInfo(ctx context.Context, key string) (io.ReadCloser, pipeline.ObjectInfo, error) {
	c.add(&c.get, key)
	return c.Objects.OpenInfo(ctx, key)
}

func (c *countingObjects) Put(ctx context.Context, key string, r io.Reader) error {
	c.add(&c.put, key)
	return c.Objects.Put(ctx, key, r)
}

// startWrapped is startStack with the pipeline's object store wrapped by wrap.
func startWrapped(t *testing.T, cfg Config, wrap func(pipeline.Objects) pipeline.Objects) *Stack {
	t.Helper()
	cfg.DataDir, cfg.Addr, cfg.PollInterval = t.TempDir(), "127.0.0.1:0", Duration(10*time.Millisecond)
	s, err := Start(t.Context(), cfg, Options{Log: testLogger(t), WrapObjects: wrap})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSmallFilesOneReadEach: each file of a ONE_DOC_PER_FILE input, and each small file of a line
// input packed into a shard with others, costs the worker one read and no Head: the version it
// was listed with is checked on the read's own answer (it cost a Head and then a read, found by
// BenchmarkOneDocPerFileRequests: 1.000 head and 1.000 get a document).
func TestSmallFilesOneReadEach(t *testing.T) {
	ctx := testCtx(t)
	for _, format := range []job.Format{job.OneDocPerFile, job.OneDocPerLine} {
		counter := &countingObjects{prefix: "inputs/local/comprehend/"}
		s := startWrapped(t, Config{Workers: 1}, func(o pipeline.Objects) pipeline.Objects { counter.Objects = o; return counter })
		var uri string
		const files = 5
		for i := range files {
			uri = putInput(t, s, fmt.Sprintf("small/f%d.txt", i), []byte("A calm and pleasant day.\n"))
		}
		req := lineJob("small", format)
		req.InputDataConfig.S3Uri = uri[:strings.LastIndex(uri, "/")+1]
		res, err := defaultClient(s).CreateJob(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, j := follow(t, ctx, defaultClient(s), res.JobId); j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != files {
			t.Fatalf("%s: job %s (%s) %+v; want COMPLETED with %d documents", format, j.JobStatus, j.Message, j.JobDetails, files)
		}
		want := int64(files)
		if format.LineFormat() {
			want *= 2 // planning reads each file to count its lines
		}
		if h, g := counter.head.Load(), counter.get.Load(); h != 0 || g != want {
			t.Errorf("%s: %d Heads and %d reads of the %d input files; want 0 and %d", format, h, g, files, want)
		}
	}
}

// replaceAfter is an object store that replaces the file at path (as the local store's Put and
// most editors do: a new file renamed over it) right after the store first answers about key,
// by a Head or a read: the moment a check of the version and the read of the bytes could be
// told different versions.
type replaceAfter struct {
	pipeline.Objects
	key, path, text string
	once            sync.Once
}

func (r *replaceAfter) replace(key string) {
	if key != r.key {
		return
	}
	r.once.Do(func() {
		tmp := r.path + ".new"
		if err := os.WriteFile(tmp, []byte(r.text), 0o644); err == nil {
			_ = os.Rename(tmp, r.path)
		}
	})
}

func (r *replaceAfter) Head(ctx context.Context, key string) (pipeline.ObjectInfo, error) {
	info, err := r.Objects.Head(ctx, key)
	r.replace(key)
	return info, err
}

func (r *replaceAfter) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	rc, err := r.Objects.Open(ctx, key, offset)
	r.replace(key)
	return rc, err
}

func (r *replaceAfter) OpenInfo(ctx context.Context, key string) (io.ReadCloser, pipeline.ObjectInfo, error) {
	rc, info, err := r.Objects.OpenInfo(ctx, key)
	r.replace(key)
	return rc, info, err
}

// TestOneDocPerFileReadsTheVersionChecked: a ONE_DOC_PER_FILE file replaced between the check of
// its version and the read of its bytes is not analysed as its new text under the old version:
// the bytes read are the version checked (before, a Head checked it and a later read took
// whatever the file held then: the new, blank text was an EMPTY_DOCUMENT record of a
// PARTIAL_SUCCESS job).
func TestOneDocPerFileReadsTheVersionChecked(t *testing.T) {
	ctx := testCtx(t)
	race := &replaceAfter{text: "   \n"}
	s := startWrapped(t, Config{Workers: 1}, func(o pipeline.Objects) pipeline.Objects { race.Objects = o; return race })
	var uri string
	for _, f := range []string{"a.txt", "b.txt"} {
		uri = putInput(t, s, "race/"+f, []byte("A calm and pleasant day."))
	}
	race.key = "inputs/local/comprehend/race/b.txt"
	race.path = filepath.Join(s.cfg.DataDir, "objects", filepath.FromSlash(race.key))
	req := lineJob("race", job.OneDocPerFile)
	req.InputDataConfig.S3Uri = uri[:strings.LastIndex(uri, "/")+1]
	res, err := defaultClient(s).CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, defaultClient(s), res.JobId)
	completed := j.JobStatus == job.Completed && j.JobDetails.DocumentsWithErrorsCount == 0
	failed := j.JobStatus == job.Failed && strings.Contains(j.Message, "race/b.txt was replaced or deleted")
	if !completed && !failed {
		t.Errorf("job %s (%s) %+v; want COMPLETED from the versions planned, or FAILED naming race/b.txt", j.JobStatus, j.Message, j.JobDetails)
	}
}
