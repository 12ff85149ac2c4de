package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Drop folders on the local stack. A file copied into <data>/objects/inputs/<tenant>/drop/<rule>/
// starts the rule's job, as an object created under that key does on S3. Three paths report it,
// and the job's idempotency token (the key and the local ETag: size and modification time) makes
// them start one job between them:
//
//   - the watcher (fsnotify: inotify on Linux, kqueue, ReadDirectoryChangesW) sees the file
//     created, written or renamed into place, and reports it once no event has touched it for
//     dropSettle (default 2 s), nor changed its modification time: a file still being copied
//     keeps producing write events and moving its time forward. A writer
//     that pauses longer than that mid-file would have its partial file analysed; such writers
//     should write under a name starting with "." and rename it into place when done (names
//     starting with "." are never inputs).
//   - a PUT of a presigned upload URL into the folder (POST /v1/drop-rules/{name}/uploads) queues
//     the S3 event S3 would send, with the same ETag;
//   - the sweep (at start, then every sweepInterval) lists the drop folders and reports every file
//     that arrived (the later of its modification and inode change times: `cp -p` keeps an old
//     modification time, not an old change time) more than dropSettle ago and within the
//     retention of the rule's jobs: a file copied while `ream serve` was down, or whose events
//     the watcher lost (an inotify queue overflow). Older files are not reported: their job, if
//     any, may have expired with its token, and reporting them would run them again.
//
// fsnotify is not recursive: the watcher watches <data>/objects/inputs, each tenant's folder in
// it (to see its drop folder appear) and every folder under a drop folder, adding folders as
// they are created (or moved in) and reporting the files that came with them. Files present when
// the stack starts are left to the sweep, which skips those too old to report.

// dropWatcher watches the drop folders of a data directory.
type dropWatcher struct {
	s      *Stack
	inputs string // <data>/objects/inputs
	settle time.Duration
	w      *fsnotify.Watcher
	// pending are the files seen changing, by path, with the time of their last event.
	pending map[string]time.Time
	// watches counts the folders watched (an upper bound: a removed folder's watch goes with it,
	// and the count is taken again from the watcher when it reaches maxDropWatches); full is
	// set once the budget is spent, to say so once.
	watches int
	full    bool
}

// maxDropWatches bounds the folders the watcher watches. Each is an inotify watch of the user
// running ream serve, and the kernel's limit (fs.inotify.max_user_watches) is shared by every
// process of that user: deep folder trees dropped through presigned uploads took the user's
// whole allowance (found from outside: 440 uploads, 192,522 watches). Files in folders beyond
// the budget are found by the sweep instead.
var maxDropWatches = 8192 // (a variable for tests)

// startDropWatcher starts watching; the goroutine ends with ctx.
func (s *Stack) startDropWatcher(ctx context.Context, objectsDir string) error {
	inputs := filepath.Join(objectsDir, strings.TrimSuffix(layout.InputsPrefix, "/"))
	// 0777 less the umask, as every folder under objects/ (README: other accounts can be let
	// into drop folders).
	if err := os.MkdirAll(inputs, 0o777); err != nil {
		return err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	dw := &dropWatcher{s: s, inputs: inputs, settle: time.Duration(s.cfg.DropSettle), w: w, pending: map[string]time.Time{}}
	// Files already there are the sweep's (it knows which are too old to report again).
	dw.watchTree(inputs, false)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer w.Close()
		dw.run(ctx)
	}()
	return nil
}

// rel splits p (under inputs) into its segments: [tenant], [tenant, "drop", …].
func (dw *dropWatcher) rel(p string) []string {
	r, err := filepath.Rel(dw.inputs, p)
	if err != nil || r == "." || strings.HasPrefix(r, "..") {
		return nil
	}
	return strings.Split(filepath.ToSlash(r), "/")
}

// watched reports whether the folder p is one the watcher needs: inputs, a tenant's folder, or
// a folder in or under a tenant's drop folder.
func (dw *dropWatcher) watched(p string) bool {
	parts := dw.rel(p)
	switch {
	case p == dw.inputs:
		return true
	case len(parts) == 1:
		return layout.ValidTenant(parts[0])
	default:
		return len(parts) >= 2 && parts[1] == "drop" && !hidden(parts)
	}
}

// dropFile reports whether p is a file that may be a drop rule's object, or one put directly
// in a drop folder (reported, so that the pipeline says it is in no rule's folder).
func (dw *dropWatcher) dropFile(p string) bool {
	parts := dw.rel(p)
	return len(parts) >= 3 && parts[1] == "drop" && !hidden(parts)
}

func hidden(parts []string) bool {
	for _, s := range parts {
		if strings.HasPrefix(s, ".") {
			return true
		}
	}
	return false
}

// watchTree adds watches on dir and the folders below it that the watcher needs; with mark, it
// also marks the drop files already there (a folder created or moved in: its files arrived with
// it, before its watch).
func (dw *dropWatcher) watchTree(dir string, mark bool) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if !dw.watched(p) {
				return filepath.SkipDir
			}
			if !dw.budget() {
				return filepath.SkipDir // the sweep finds what is below
			}
			if err := dw.w.Add(p); err != nil {
				dw.s.log.Warn("cannot watch a drop folder; the sweep will still find its files", "dir", p, "err", err)
				return nil
			}
			dw.watches++
			return nil
		}
		if mark && dw.dropFile(p) {
			if d.Type().IsRegular() {
				dw.pending[p] = time.Now()
			} else {
				dw.ignoredNonRegular(p, d.Type())
			}
		}
		return nil
	})
}

// budget reports whether one more folder may be watched, saying once (at WARN) when none may.
func (dw *dropWatcher) budget() bool {
	if dw.watches >= maxDropWatches {
		dw.watches = len(dw.w.WatchList()) // folders removed since give their watches back
	}
	if dw.watches < maxDropWatches {
		dw.full = false
		return true
	}
	if !dw.full {
		dw.full = true
		dw.s.log.Warn("drop folders: the watcher watches its maximum of folders; files in further folders start their jobs when the sweep finds them", "max", maxDropWatches, "sweepInterval", time.Duration(dw.s.cfg.SweepInterval).String())
	}
	return false
}

func (dw *dropWatcher) run(ctx context.Context) {
	tick := time.NewTicker(max(dw.settle/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-dw.w.Errors:
			if !ok {
				return
			}
			// An overflowed event queue loses events: the sweep finds what they named.
			dw.s.log.Warn("drop folder watcher error; the next sweep finds any file it missed", "err", err)
		case ev, ok := <-dw.w.Events:
			if !ok {
				return
			}
			dw.event(ev)
		case <-tick.C:
			dw.flush(ctx)
		}
	}
}

func (dw *dropWatcher) event(ev fsnotify.Event) {
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		delete(dw.pending, ev.Name) // gone (or moved away: its new name has its own event)
		return
	}
	if !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) && !ev.Has(fsnotify.Chmod) {
		return
	}
	fi, err := os.Lstat(ev.Name)
	if err != nil {
		return
	}
	if fi.IsDir() {
		if ev.Has(fsnotify.Create) && dw.watched(ev.Name) {
			dw.watchTree(ev.Name, true)
		}
		return
	}
	if !dw.dropFile(ev.Name) {
		return
	}
	if fi.Mode().IsRegular() {
		dw.pending[ev.Name] = time.Now()
	} else if ev.Has(fsnotify.Create) {
		dw.ignoredNonRegular(ev.Name, fi.Mode())
	}
}

// ignoredNonRegular says at WARN, once as it arrives, that a drop file which is not a regular
// file (a symbolic link, a FIFO, a socket, a device) starts nothing: the store neither follows
// links nor reads special files, and the sweep's listing leaves them out, so without this line
// nothing showed why the file was never analysed (found from outside: `ln -s` into a drop
// folder).
func (dw *dropWatcher) ignoredNonRegular(p string, mode fs.FileMode) {
	kind := "a special file"
	if mode&fs.ModeSymlink != 0 {
		kind = "a symbolic link"
	}
	dw.s.log.Warn("object dropped is not a regular file; ignored: the local store never follows symbolic links or reads special files (copy the file in instead)",
		"key", layout.InputsPrefix+strings.Join(dw.rel(p), "/"), "kind", kind)
}

// flush reports the files no event has touched for settle, and whose modification time is as
// old: a report can take a while (a burst of files, a busy machine), and meanwhile the events of
// a file still being written wait unread, so the time of its last event read may be stale; the
// file's own time is not.
func (dw *dropWatcher) flush(ctx context.Context) {
	for p, last := range dw.pending {
		now := time.Now()
		if now.Sub(last) < dw.settle {
			continue
		}
		// (A time in the future, from a copy off a machine whose clock runs ahead, says nothing.)
		if fi, err := os.Lstat(p); err == nil && !fi.ModTime().After(now) && now.Sub(fi.ModTime()) < dw.settle {
			dw.pending[p] = fi.ModTime() // still being written
			continue
		}
		key := layout.InputsPrefix + strings.Join(dw.rel(p), "/")
		if at, busy := batchArriving(dw.s.objectsDir, key, now, dw.settle); busy {
			dw.pending[p] = at // a batch's marker waits for the rest of its batch
			continue
		}
		delete(dw.pending, p)
		if err := dw.s.dropArrived(ctx, key); err != nil && ctx.Err() == nil {
			dw.s.log.Error("dropped file could not start its job; the next sweep retries", "key", key, "err", err)
		}
	}
}

// batchArriving reports whether key is a batch's marker (<rule>/<batch>/_SUCCESS) while files
// are still arriving in its batch folder: a file there (hidden ones included: a copy tool's
// temporary file) arrived less than settle ago. at is the latest such arrival. A marker is
// meant to be written last, but copies of a folder that already holds one (Spark's output) do
// not: rsync sends _SUCCESS before part-*, in name order, and cp in directory order; reported
// as it settled, the marker started a job over the part of the batch there then (none: FAILED,
// "no documents"), and the files that came after it started nothing. The watcher and the sweep
// both hold such a marker until the batch has settled.
func batchArriving(objectsDir, key string, now time.Time, settle time.Duration) (at time.Time, busy bool) {
	_, _, rel, ok := droprule.ParseKey(key)
	if !ok || path.Base(rel) != droprule.Marker || !strings.Contains(rel, "/") {
		return time.Time{}, false // not a batch's marker (one at a rule's top level closes no batch)
	}
	dir := filepath.Dir(filepath.Join(objectsDir, filepath.FromSlash(key)))
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		// (A time in the future, from a clock that runs ahead, says nothing, as in flush.)
		if t := fileArrived(fi); !t.After(now) && now.Sub(t) < settle && t.After(at) {
			at, busy = t, true
		}
		return nil
	})
	return at, busy
}

// dropArrived reports the drop object key with its current version to the pipeline.
func (s *Stack) dropArrived(ctx context.Context, key string) error {
	info, err := s.objects.Head(ctx, key)
	if errors.Is(err, job.ErrInvalid) {
		// Not a key the store serves: a symbolic link (ignored), or a file whose name no store
		// can hold (a backslash, bytes that are not UTF-8), which the listing still shows.
		// Reported now, as the sweep would report it later, its job FAILS saying why.
		info, err = s.listedDrop(ctx, key)
	}
	if errors.Is(err, job.ErrNotFound) {
		return nil // gone meanwhile, or a symbolic link
	}
	if err != nil {
		return err
	}
	return s.Service.ObjectCreated(ctx, pipeline.CreatedObject{Key: key, ETag: info.ETag})
}

// listedDrop is the object key as the listing shows it (the sweep's view), or ErrNotFound. The
// key itself is the listing's prefix: only the names of its folder that start with it are
// looked at (a batch of such files costs one folder read each, not a listing of the folder).
// A key whose folder's own name the store refuses lists nothing: the sweep reports it.
func (s *Stack) listedDrop(ctx context.Context, key string) (pipeline.ObjectInfo, error) {
	var found pipeline.ObjectInfo
	err := s.objects.List(ctx, key, func(o pipeline.ObjectInfo) error {
		if o.Key != key {
			return nil
		}
		found = o
		return errListed
	})
	switch {
	case errors.Is(err, errListed):
		return found, nil
	case err == nil:
		return found, job.ErrNotFound
	}
	return found, err
}

// errListed ends listedDrop's listing at the key.
var errListed = errors.New("listed")

// sweepDrops reports every file of every drop folder that may have no job yet (see above).
func (s *Stack) sweepDrops(ctx context.Context) {
	tenants, err := os.ReadDir(filepath.Join(s.objectsDir, strings.TrimSuffix(layout.InputsPrefix, "/")))
	if err != nil {
		return
	}
	now := time.Now()
	settle := time.Duration(s.cfg.DropSettle)
	for _, t := range tenants {
		tenant := t.Name()
		if !t.IsDir() || !layout.ValidTenant(tenant) {
			continue
		}
		rules := map[string]sweptRule{}
		err := s.objects.List(ctx, droprule.TenantPrefix(tenant), func(o pipeline.ObjectInfo) error {
			_, rule, rel, ok := droprule.ParseKey(o.Key)
			if !ok {
				return nil
			}
			r, seen := rules[rule]
			if !seen {
				r = s.sweptRule(ctx, tenant, rule)
				rules[rule] = r
			}
			if r.window <= 0 || r.markersOnly != (path.Base(rel) == droprule.Marker) {
				// No rule; or a document of a batch, which only its marker starts; or a marker
				// of a line-format rule, which starts nothing (said once, at its event).
				return nil
			}
			at := o.LastModified
			if fi, err := os.Stat(filepath.Join(s.objectsDir, filepath.FromSlash(o.Key))); err == nil {
				at = fileArrived(fi) // a copy that kept an old modification time arrived now
			}
			if now.Sub(at) < settle {
				return nil // the watcher reports files still settling
			}
			if _, busy := batchArriving(s.objectsDir, o.Key, now, settle); busy {
				return nil // a marker whose batch is still arriving: the watcher, or a later sweep, reports it
			}
			if now.Sub(at) > r.window || at.Before(r.since.Add(-clockSlack)) {
				// Its job has expired; or it arrived before the rule was put as it now stands
				// (in a folder without a rule, or under the rule's previous template): it was
				// ignored then, or had its job under that template, and is not started now.
				return nil
			}
			if err := s.Service.ObjectCreated(ctx, pipeline.CreatedObject{Key: o.Key, ETag: o.ETag}); err != nil {
				s.log.Error("dropped file could not start its job; the next sweep retries", "key", o.Key, "err", err)
			}
			return ctx.Err()
		})
		if err != nil && ctx.Err() == nil {
			s.log.Error("sweep of drop folders failed", "tenant", tenant, "err", err)
		}
	}
}

// fileArrived is arrived; tests that age a file with os.Chtimes, which cannot age its change
// time, read the modification time instead.
var fileArrived = arrived

// clockSlack is how far a file's times may run behind the clock: file systems stamp files
// from the kernel's coarse clock, a few milliseconds behind time.Now, so a file dropped at once
// after its rule was put can look older than the rule.
const clockSlack = time.Second

// sweptRule is what the sweep of drop folders needs of a rule: window, how long after a file
// was written its job is surely still stored (the retention of the rule's jobs: its template's
// RetentionHours, else the deployment's; 0 without a rule); since, when the rule was last put;
// markersOnly, whether only markers start its jobs (ONE_DOC_PER_FILE).
type sweptRule struct {
	window      time.Duration
	since       time.Time
	markersOnly bool
}

func (s *Stack) sweptRule(ctx context.Context, tenant, rule string) sweptRule {
	r, err := s.Service.GetDropRule(ctx, tenant, rule)
	if err != nil {
		if !errors.Is(err, job.ErrNotFound) && !errors.Is(err, job.ErrInvalid) {
			s.log.Error("sweep of drop folders: read rule", "tenant", tenant, "rule", rule, "err", err)
		}
		return sweptRule{}
	}
	out := sweptRule{window: s.Service.Config().Retention, since: r.UpdatedAt, markersOnly: r.Template.InputDataConfig.InputFormat == job.OneDocPerFile}
	if h := r.Template.RetentionHours; h != nil && *h > 0 {
		out.window = time.Duration(*h) * time.Hour
	}
	return out
}
