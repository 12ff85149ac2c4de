package local

import (
	"context"
	"io"
	"sync/atomic"

	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// spaceWatch is the object store the pipeline writes through, counting in full the writes that
// failed because the data directory's file system is full (sl.IsFull). The pollers read the
// count around each handler: a message whose handler failed while a write found no room is
// handed back uncounted, since the full disk is the machine's trouble, not the message's (found
// from outside: a disk full for a few minutes dead-lettered the shards that ran meanwhile, and
// their documents became SHARD_FAILED error records, though nothing was wrong with them).
//
// The pipeline looks for two more interfaces on its store: droprule.Folders, which spaceWatch
// serves from the local store under it (a drop rule's folder is made on its disk whatever wraps
// it), and pipeline.KMSObjects, kept when the store it wraps is one (kmsSpaceWatch; the local
// store is not, a test's wrapper can be).
type spaceWatch struct {
	pipeline.Objects
	folders droprule.Folders
	full    *atomic.Int64
}

// watchSpace wraps o, the pipeline's view of the local store folders, in a spaceWatch counting
// into full.
func watchSpace(o pipeline.Objects, folders droprule.Folders, full *atomic.Int64) pipeline.Objects {
	w := spaceWatch{Objects: o, folders: folders, full: full}
	if k, ok := o.(pipeline.KMSObjects); ok {
		return kmsSpaceWatch{w, k}
	}
	return w
}

// MakeFolder implements droprule.Folders.
func (w spaceWatch) MakeFolder(ctx context.Context, prefix string) error {
	return w.count(w.folders.MakeFolder(ctx, prefix))
}

// kmsSpaceWatch is a spaceWatch over a pipeline.KMSObjects, whose keyed views it watches too.
type kmsSpaceWatch struct {
	spaceWatch
	kms pipeline.KMSObjects
}

// WithKMSKey implements pipeline.KMSObjects.
func (w kmsSpaceWatch) WithKMSKey(keyID string) pipeline.Objects {
	return watchSpace(w.kms.WithKMSKey(keyID), w.folders, w.full)
}

func (w spaceWatch) count(err error) error {
	if sl.IsFull(err) {
		w.full.Add(1)
	}
	return err
}

// Put implements pipeline.Objects.
func (w spaceWatch) Put(ctx context.Context, key string, r io.Reader) error {
	return w.count(w.Objects.Put(ctx, key, r))
}

// Compose implements pipeline.Objects.
func (w spaceWatch) Compose(ctx context.Context, key string, srcs []string) error {
	return w.count(w.Objects.Compose(ctx, key, srcs))
}
