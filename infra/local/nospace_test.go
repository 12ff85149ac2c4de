package local

import (
	"context"
	"io"
	"io/fs"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestFullDiskDeadLettersNothing: while the data directory's file system is full, a shard that
// cannot write its results fails, and is delivered again without counting that delivery, so
// that once there is room it runs and the job ends with every document analysed. Found from
// outside on a 20 MB tmpfs: the shards that ran during a few minutes of a full disk were
// dead-lettered after maxReceiveCount deliveries, and their documents became SHARD_FAILED
// error records, though nothing was wrong with them.
func TestFullDiskDeadLettersNothing(t *testing.T) {
	ctx := testCtx(t)
	full := &fullDisk{}
	full.left.Store(4) // twice maxReceiveCount: failures a counted delivery would dead-letter
	// The visibility timeout is the least a config may set (a failed delivery comes back after
	// it): the 50 ms this test had left the heartbeat, which extends a running message every
	// third of it, 33 ms of slack, less than a loaded machine under -race delays a goroutine or
	// a write waits for SQLite's lock, and the message came back while its handler still ran, a
	// counted delivery that dead-lettered it (go test -race -count=10 with two CPU burners
	// failed every run).
	cfg := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", PollInterval: Duration(10 * time.Millisecond), Workers: 2,
		MaxReceiveCount: 2, VisibilityTimeout: Duration(minVisibility)}
	s, err := Start(t.Context(), cfg, Options{Log: testLogger(t),
		WrapObjects: func(o pipeline.Objects) pipeline.Objects { return fullDiskObjects{o, full} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := defaultClient(s)
	res := createAndUpload(t, ctx, c, lineJob("full disk", job.OneDocPerLine), []byte("I love it.\nI hate it.\nIt rained all day.\n"))
	n, j := follow(t, ctx, c, res.JobId)
	if full.left.Load() > 0 {
		t.Fatalf("the shard results' writes were failed %d times fewer than injected", full.left.Load())
	}
	if n.JobStatus != job.Completed || j.JobDetails.ProcessedDocumentsCount != 3 || j.JobDetails.DocumentsWithErrorsCount != 0 {
		t.Fatalf("job ended %s, %d documents analysed, %d with errors (%s); want COMPLETED with 3 and none",
			n.JobStatus, j.JobDetails.ProcessedDocumentsCount, j.JobDetails.DocumentsWithErrorsCount, n.Message)
	}
	if dead, err := s.Shards.DeadLetters(ctx); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %d, %v; want none", len(dead), err)
	}
}

// fullDisk fails the next left writes of shard results as a full file system does.
type fullDisk struct{ left atomic.Int64 }

type fullDiskObjects struct {
	pipeline.Objects
	full *fullDisk
}

func (f fullDiskObjects) Put(ctx context.Context, key string, r io.Reader) error {
	if strings.Contains(key, "/shards/") && f.full.left.Add(-1) >= 0 {
		return &fs.PathError{Op: "write", Path: key, Err: syscall.ENOSPC}
	}
	return f.Objects.Put(ctx, key, r)
}
