package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// expireInputs deletes the files under objects/inputs/ that arrived more than inputRetention
// before now, as the bucket's lifecycle rule deletes every inputs/ object InputRetentionDays
// after it was created on AWS: files in drop folders (a batch's documents and marker too),
// inputs named by S3Uri and presigned uploads. A file's arrival is the later of its
// modification and inode change times (arrived, as the drop folders' sweep reads it), so a copy
// that kept an old modification time (`cp -p`, `mv`) is as old as its arrival, not its source:
// it is not deleted before its drop rule has started its job. The folders it empties are
// removed (each one holds one of the drop watcher's watches, and the sweep reads them), except
// those files are copied into: inputs/ itself, each tenant's folder, its drop folder and every
// drop rule's folder (keptInputFolder). The store's listing does not follow symbolic links and
// lists regular files only, so a link and what it leads to are left alone; files being written
// by the store (its temporary files) are not listed either. Unlike the lifecycle rule, it keeps
// the input of every job not yet finished, however long ago it arrived (activeInputs): its
// shards still read it, and it goes at the first pass after the job ends.
//
// It runs when a sweep starts an expiry pass (once every expiryPassEvery; the pass's start is
// in the database, so a restart does not run it again early). It returns how many files it
// deleted; a file it cannot delete is logged and left for the next pass.
func (s *Stack) expireInputs(ctx context.Context, now time.Time) int {
	retention := time.Duration(s.cfg.InputRetention)
	deleted, failed := 0, 0
	var lastErr error
	active, err := s.activeInputs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("the expiry of old inputs could not read the running jobs; the next expiry pass tries again", "err", err)
		}
		return 0
	}
	err = s.objects.List(ctx, layout.InputsPrefix, func(o pipeline.ObjectInfo) error {
		fi, err := os.Lstat(filepath.Join(s.objectsDir, filepath.FromSlash(o.Key)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted meanwhile
		}
		if err != nil || !fi.Mode().IsRegular() || now.Sub(fileArrived(fi)) <= retention {
			return nil
		}
		for _, prefix := range active {
			if strings.HasPrefix(o.Key, prefix) {
				return nil // a job not yet finished reads it (a key or a prefix, as the job lists it)
			}
		}
		if err := s.objects.DeleteKeeping(ctx, o.Key, keptInputFolder); err != nil {
			failed, lastErr = failed+1, err
			return ctx.Err()
		}
		deleted++
		return ctx.Err()
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("the expiry of old inputs could not list objects/inputs; the next expiry pass tries again", "err", err)
	}
	if failed > 0 {
		s.log.Error("old inputs could not be deleted; the next expiry pass tries again", "files", failed, "err", lastErr)
	}
	if deleted > 0 {
		s.log.Info("old inputs deleted", "files", deleted, "inputRetention", retention.String())
	}
	return deleted
}

// activeInputs is the input key (or key prefix) of every job not yet finished: the files its
// shards read, which expireInputs keeps (found in review: a job whose input arrived more than
// inputRetention before a pass, queued or running for long, or submitted on an S3Uri file that
// was already old, had its input deleted under it and failed with its input changed).
func (s *Stack) activeInputs(ctx context.Context) ([]string, error) {
	var prefixes []string
	err := sl.NewJobs(s.db).Scan(ctx, job.ActiveStatuses, func(j *job.Job) error {
		if strings.HasPrefix(j.InputKey, layout.InputsPrefix) {
			prefixes = append(prefixes, j.InputKey)
		}
		return ctx.Err()
	})
	return prefixes, err
}

// keptInputFolder reports whether the folder prefix (a key prefix ending in "/") under
// objects/inputs/ stays when expireInputs deletes its last file: inputs/ itself, a tenant's
// folder, its drop folder and a drop rule's folder, which users copy files into (and the drop
// watcher watches to see new ones).
func keptInputFolder(prefix string) bool {
	rest, ok := strings.CutPrefix(prefix, layout.InputsPrefix)
	if !ok || rest == "" {
		return true // inputs/ (or outside it: never pruned from here)
	}
	if _, _, ok := droprule.InTenantFolder(prefix); ok {
		return true // a drop rule's folder
	}
	tenant, _, _ := strings.Cut(rest, "/")
	return prefix == layout.TenantInputs(tenant) || prefix == droprule.TenantPrefix(tenant)
}
