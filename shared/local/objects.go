package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/hashx"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Objects is the object store on files: key k is the file root/objects/k, so a data directory
// can be browsed with ordinary tools. Presigned URLs are HMAC-SHA256 signed and expire; Handler
// serves them.
//
// One difference from S3: a key cannot be both an object and a "directory" of other keys (both
// "a" and "a/b"); the second Put is ErrInvalid. Ream's own key layout never does that; an
// OutputDataConfig.S3Uri below an object does, and its job fails with that error.
type Objects struct {
	dir       string // root/objects
	baseURL   string
	secret    []byte
	now       func() time.Time
	maxUpload int64
	putGuard  func(ctx context.Context, key string) error
	log       *slog.Logger
	// afterStore (tests) runs when a presigned PUT's new object is in place, before its event
	// is queued: a test holds the PUT there while another writes the key.
	afterStore func(key string)
	// commits serialises, per key (striped), a checked write's last check and its move into
	// place: two uploads to one presigned URL at once are then one after the other, so the
	// second sees the first's object (the same bytes: 200; other bytes: 409), never both 200
	// with one body lost.
	commits [64]sync.Mutex
}

var _ pipeline.Objects = (*Objects)(nil)

// Presigned URL query parameters.
const (
	ParamMethod    = "X-Ream-Method"
	ParamExpires   = "X-Ream-Expires"
	ParamSignature = "X-Ream-Signature"
)

// tmpPrefix names in-progress uploads; keys may not have a segment starting with it.
const tmpPrefix = layout.ReservedSegmentPrefix + "tmp-"

// The modes objects and their folders are created with, less the umask: the files under
// objects/ follow it, so that other accounts can be let into drop folders (os.CreateTemp's
// 0600 and folders of 0755 kept them out whatever the umask; found from outside).
const (
	objectFileMode = 0o666
	objectDirMode  = 0o777
)

// The objects under accesskeys.Prefix hold the issued access keys' secrets: they and their
// folder are readable by the server's user alone, whatever the umask, as ream.db and the
// signing secrets are (found in review: `ream keys issue` wrote them 0644 in a 0755 folder, so
// any local account could read a secret and sign requests as its tenant).
const (
	secretFileMode = 0o600
	secretDirMode  = 0o700
)

// secretKey reports whether key is one of the objects kept private (secretFileMode).
func secretKey(key string) bool { return strings.HasPrefix(key, accesskeys.Prefix) }

// modes are the file and folder modes key is created with.
func modes(key string) (file, dir fs.FileMode) {
	if secretKey(key) {
		return secretFileMode, secretDirMode
	}
	return objectFileMode, objectDirMode
}

// createTemp creates a new temporary file in dir for an object being written, as
// os.CreateTemp does but with mode (less the umask), since it is renamed into place.
func createTemp(dir string, mode fs.FileMode) (*os.File, error) {
	for try := 0; ; try++ {
		f, err := os.OpenFile(filepath.Join(dir, tmpPrefix+rand.Text()), os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
		if errors.Is(err, fs.ErrExist) && try < 10 {
			continue
		}
		return f, err
	}
}

// NewObjects returns the object store under root. baseURL is where Handler is served (e.g.
// "http://127.0.0.1:8080"); presigned URLs are baseURL+"/objects/<key>?…". With a nil secret
// the one in root/secret is used, created (32 random bytes) if missing, so URLs survive
// restarts. Options: WithClock, WithMaxUploadSize, BesideServer (which keeps it from removing
// the temporary files of interrupted writes, as it does otherwise).
func NewObjects(root, baseURL string, secret []byte, opts ...Option) (*Objects, error) {
	c := newConfig(opts)
	dir := filepath.Join(root, "objects")
	if err := os.MkdirAll(dir, objectDirMode); err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	if len(secret) == 0 {
		var err error
		if secret, err = LoadSecret(filepath.Join(root, "secret")); err != nil {
			return nil, err
		}
	}
	o := &Objects{dir: dir, baseURL: strings.TrimSuffix(baseURL, "/"), secret: secret, now: c.now, maxUpload: c.maxUpload,
		putGuard: c.putGuard, log: c.log}
	if !c.beside {
		o.removeStaleTemp()
	}
	if err := o.restrictSecrets(); err != nil {
		return nil, err
	}
	return o, nil
}

// restrictSecrets gives the secrets' folder and files, as an earlier version may have left
// them, their private modes.
func (o *Objects) restrictSecrets() error {
	dir := filepath.Join(o.dir, filepath.FromSlash(strings.TrimSuffix(accesskeys.Prefix, "/")))
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return fmt.Errorf("objects: %w", err)
		case d.Type()&fs.ModeSymlink != 0:
			return nil // not followed (path refuses keys through links)
		}
		mode := fs.FileMode(secretFileMode)
		if d.IsDir() {
			mode = secretDirMode
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("objects: %w", err)
		}
		return nil
	})
}

// removeStaleTemp deletes the temporary files of uploads a crash interrupted: nothing is being
// written while the server's store opens (it holds the data directory's lock), and listings
// never show them, so nothing else would. A store opened BesideServer does not call it.
func (o *Objects) removeStaleTemp() {
	_ = filepath.WalkDir(o.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), tmpPrefix) {
			if rerr := os.Remove(p); rerr == nil {
				o.log.Info("removed the temporary file of an interrupted write (an upload, or an object the pipeline was writing)", "path", p)
			}
		}
		return nil
	})
}

// LoadSecret reads the hex secret at path, creating it atomically if it does not exist (the
// presigned URLs' and the local access tokens' signing keys live in the data directory, so they
// survive a restart).
func LoadSecret(path string) ([]byte, error) {
	read := func() ([]byte, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		s, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(s) < 16 {
			return nil, fmt.Errorf("%s is not a hex secret of at least 16 bytes", path)
		}
		return s, nil
	}
	if s, err := read(); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*")
	if err != nil {
		return nil, fmt.Errorf("create secret %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(hex.EncodeToString(secret) + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("create secret %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("create secret %s: %w", path, err)
	}
	// Link fails if another process created the secret first; then theirs wins.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create secret %s: %w", path, err)
	}
	return read()
}

// checkKey refuses keys that could escape the store or cannot be files.
func checkKey(key string) error {
	if key == "" || len(key) > layout.MaxKeyBytes || !utf8.ValidString(key) || strings.ContainsAny(key, "\x00\\") {
		return fmt.Errorf("object key %q: %w", key, job.ErrInvalid)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, tmpPrefix) {
			return fmt.Errorf("object key %q: %w", key, job.ErrInvalid)
		}
	}
	return nil
}

// errSymlink is why a key through a symbolic link is refused: read, the object is not there
// (ErrNotFound); written, the key cannot be written (writeChecked: ErrInvalid, so the job fails
// at once saying why instead of retrying; found from outside: an output folder that was a link
// was retried for nine minutes, then failed with a dead-letter Message).
var errSymlink = fmt.Errorf("%w", job.ErrNotFound)

func (o *Objects) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	// No component of the key may be a symbolic link: files dropped into the store by hand must
	// not lead a tenant's key to another tenant's data, or out of the store.
	p := o.dir
	for _, seg := range strings.Split(key, "/") {
		p = filepath.Join(p, seg)
		fi, err := os.Lstat(p)
		if err != nil {
			break // the rest does not exist yet
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("object key %q: a symbolic link in the store is not followed: %w", key, errSymlink)
		}
	}
	return filepath.Join(o.dir, filepath.FromSlash(key)), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Put implements pipeline.Objects: it streams r into a temporary file next to the object and
// renames it into place.
func (o *Objects) Put(ctx context.Context, key string, r io.Reader) error {
	return o.write(key, func(f *os.File) error {
		_, err := io.Copy(&fileWriter{f: f}, ctxReader{ctx, r})
		return err
	})
}

// Compose implements pipeline.Objects by appending the source files to a temporary file (the
// kernel copies them: copy_file_range, no bytes through this process) and renaming it into
// place.
func (o *Objects) Compose(ctx context.Context, key string, srcs []string) error {
	return o.write(key, func(f *os.File) error {
		var off int64
		for _, src := range srcs {
			if err := ctx.Err(); err != nil {
				return err
			}
			in, _, err := o.openFile(src)
			if err != nil {
				return err
			}
			n, err := f.ReadFrom(in)
			in.Close()
			if err != nil {
				return fmt.Errorf("append %s: %w", src, err)
			}
			startWriteback(f, off, n) // the disk writes this part while the next is copied
			off += n
		}
		return nil
	})
}

// write creates the object key with fill writing its content into a temporary file next to it,
// synced, then renamed into place: readers see the old or the new object, never a mix.
func (o *Objects) write(key string, fill func(*os.File) error) error {
	_, err := o.writeChecked(key, fill, nil)
	return err
}

// writeChecked is write with a last check (when not nil) run after the content is synced and
// just before it is renamed into place: its error stores nothing.
func (o *Objects) writeChecked(key string, fill func(*os.File) error, check func() error) (pipeline.ObjectInfo, error) {
	p, err := o.path(key)
	if errors.Is(err, errSymlink) {
		return pipeline.ObjectInfo{}, fmt.Errorf("put %s: a folder of the key is a symbolic link, which the local store does not follow: %w", key, job.ErrInvalid)
	}
	if err != nil {
		return pipeline.ObjectInfo{}, err
	}
	dir := filepath.Dir(p)
	fileMode, dirMode := modes(key)
	var f *os.File
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(dir, dirMode); err != nil {
			if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
				return pipeline.ObjectInfo{}, fmt.Errorf("put %s: a prefix of the key is an object (the local store cannot hold a key below another object): %w", key, job.ErrInvalid)
			}
			return pipeline.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
		f, err = createTemp(dir, fileMode)
		if err == nil {
			break
		}
		// A concurrent Delete may have pruned the empty directory in between.
		if !errors.Is(err, fs.ErrNotExist) || attempt >= 5 {
			return pipeline.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
	}
	tmp := f.Name()
	fail := func(err error) (pipeline.ObjectInfo, error) {
		f.Close()
		os.Remove(tmp)
		return pipeline.ObjectInfo{}, err
	}
	if err := fill(f); err != nil {
		return fail(fmt.Errorf("put %s: %w", key, err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("put %s: %w", key, err))
	}
	// The version this write stores (its size and time, which the rename keeps), as its
	// upload's event must name it: a Head after the rename could see a concurrent PUT's.
	fi, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("put %s: %w", key, err))
	}
	if check != nil {
		mu := &o.commits[hashx.FNV(key)%uint64(len(o.commits))]
		mu.Lock()
		defer mu.Unlock()
		if err := check(); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return pipeline.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		if fi, serr := os.Stat(p); serr == nil && fi.IsDir() {
			return pipeline.ObjectInfo{}, fmt.Errorf("put %s: the key is a prefix of other objects (the local store cannot hold an object above other keys): %w", key, job.ErrInvalid)
		}
		return pipeline.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	return objectInfo(key, fi), nil
}

// Open implements pipeline.Objects.
func (o *Objects) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("open %s: negative offset: %w", key, job.ErrInvalid)
	}
	f, _, err := o.openFile(key)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: %w", key, err)
		}
	}
	return f, nil
}

// OpenInfo implements pipeline.Objects: the file opened, and its size and ETag read from the
// open file (not from its path again), so they describe the bytes read.
func (o *Objects) OpenInfo(ctx context.Context, key string) (io.ReadCloser, pipeline.ObjectInfo, error) {
	f, fi, err := o.openFile(key)
	if err != nil {
		return nil, pipeline.ObjectInfo{}, err
	}
	return f, objectInfo(key, fi), nil
}

func (o *Objects) openFile(key string) (*os.File, fs.FileInfo, error) {
	p, err := o.path(key)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil, fmt.Errorf("object %s: %w", key, job.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("object %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("object %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("object %s: %w", key, job.ErrNotFound)
	}
	return f, fi, nil
}

// Head implements pipeline.Objects.
func (o *Objects) Head(ctx context.Context, key string) (pipeline.ObjectInfo, error) {
	p, err := o.path(key)
	if err != nil {
		return pipeline.ObjectInfo{}, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || (err == nil && !fi.Mode().IsRegular()) {
		return pipeline.ObjectInfo{}, fmt.Errorf("object %s: %w", key, job.ErrNotFound)
	}
	if err != nil {
		return pipeline.ObjectInfo{}, fmt.Errorf("object %s: %w", key, err)
	}
	return objectInfo(key, fi), nil
}

// objectInfo describes the file fi stored under key.
func objectInfo(key string, fi fs.FileInfo) pipeline.ObjectInfo {
	return pipeline.ObjectInfo{Key: key, Size: fi.Size(), LastModified: fi.ModTime(), ETag: ETag(fi.Size(), fi.ModTime())}
}

// ETag is the local store's version of an object: its size and modification time in hex
// ("<size>-<mtime ns>"), read from the file's metadata without reading its content, so the
// file watcher, an upload's event and a sweep compute the same value for the same file. A file
// rewritten (or touched) is a new version; S3's ETag is a content hash instead.
func ETag(size int64, mtime time.Time) string {
	return strconv.FormatInt(size, 16) + "-" + strconv.FormatInt(mtime.UnixNano(), 16)
}

// List implements pipeline.Objects. It walks only the directories that can hold keys under
// prefix, visiting entries in the order their keys sort (a directory "d" sorts as "d/").
func (o *Objects) List(ctx context.Context, prefix string, fn func(pipeline.ObjectInfo) error) error {
	dirPart := prefix[:strings.LastIndex(prefix, "/")+1]
	if dirPart == "" {
		return o.walk(ctx, o.dir, dirPart, prefix, fn)
	}
	dir, err := o.path(strings.TrimSuffix(dirPart, "/"))
	if err != nil {
		return nil // no valid key has this prefix (or it runs through a symbolic link)
	}
	return o.walk(ctx, dir, dirPart, prefix, fn)
}

func (o *Objects) walk(ctx context.Context, dir, keyPrefix, prefix string, fn func(pipeline.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	type entry struct {
		name, sortKey string
		dir           bool
	}
	list := make([]entry, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		switch {
		case e.IsDir():
			list = append(list, entry{name, name + "/", true})
		case e.Type().IsRegular():
			list = append(list, entry{name, name, false})
		}
	}
	sort.Slice(list, func(i, k int) bool { return list[i].sortKey < list[k].sortKey })
	for _, e := range list {
		key := keyPrefix + e.name
		if e.dir {
			sub := key + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				if err := o.walk(ctx, filepath.Join(dir, e.name), sub, prefix, fn); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, e.name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		if err := fn(objectInfo(key, fi)); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements pipeline.Objects; it also prunes directories left empty.
func (o *Objects) Delete(ctx context.Context, key string) error {
	return o.DeleteKeeping(ctx, key, nil)
}

// DeleteKeys implements pipeline.Objects: each key in turn (a file's removal is no request),
// going on past a key it cannot delete and returning every failure, as the S3 adapter does, so
// that one bad key does not leave the rest of a job's objects behind.
func (o *Objects) DeleteKeys(ctx context.Context, keys []string) error {
	var errs []error
	for _, k := range keys {
		if err := o.Delete(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DeleteKeeping is Delete, except that the directories left empty are pruned only up to the
// first one keep (when not nil) names, by its key prefix ("inputs/t/drop/"): folders made for
// files to be copied into, such as a drop rule's, stay when their last file goes.
func (o *Objects) DeleteKeeping(ctx context.Context, key string, keep func(prefix string) bool) error {
	p, err := o.path(key)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || (err == nil && fi.IsDir()) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	// A top-level folder (inputs/, outputs/, work/) stays: the drop watcher watches inputs/ and
	// cannot see it made again (found in review: a job's expiry deleting the last upload of the
	// last tenant removed inputs/, and drop files were then found by the sweep alone).
	for d := filepath.Dir(p); d != o.dir && filepath.Dir(d) != o.dir && strings.HasPrefix(d, o.dir); d = filepath.Dir(d) {
		if keep != nil {
			if rel, err := filepath.Rel(o.dir, d); err == nil && keep(filepath.ToSlash(rel)+"/") {
				break
			}
		}
		if os.Remove(d) != nil { // not empty (or gone): stop
			break
		}
	}
	return nil
}

// PresignPut implements pipeline.Objects.
func (o *Objects) PresignPut(ctx context.Context, key string, ttl time.Duration) (api.Presigned, error) {
	return o.presign(http.MethodPut, key, ttl)
}

// PresignGet implements pipeline.Objects.
func (o *Objects) PresignGet(ctx context.Context, key string, ttl time.Duration) (api.Presigned, error) {
	return o.presign(http.MethodGet, key, ttl)
}

func (o *Objects) presign(method, key string, ttl time.Duration) (api.Presigned, error) {
	if err := checkKey(key); err != nil {
		return api.Presigned{}, err
	}
	if ttl <= 0 {
		return api.Presigned{}, fmt.Errorf("presign %s: ttl must be positive: %w", key, job.ErrInvalid)
	}
	exp := o.now().Add(ttl)
	unix := exp.Unix()
	if time.Unix(unix, 0).Before(exp) {
		unix++ // round up to the second
	}
	expires := strconv.FormatInt(unix, 10)
	q := url.Values{}
	q.Set(ParamMethod, method)
	q.Set(ParamExpires, expires)
	q.Set(ParamSignature, o.sign(method, key, expires))
	p := api.Presigned{
		URL:     o.baseURL + "/objects/" + escapeKey(key) + "?" + q.Encode(),
		Method:  method,
		Expires: time.Unix(unix, 0).UTC(),
	}
	if method == http.MethodPut {
		p.Headers = uploadHeaders()
	}
	return p, nil
}

// KMSKeyARN is what the local store calls its bucket key: uploads name it in the SSE-KMS headers
// as they do on S3 (the local store does not encrypt; the data directory is the user's).
const KMSKeyARN = "arn:aws:kms:local:000000000000:key/ream-local"

// uploadHeaders are the headers a presigned PUT must send, as S3 with SSE-KMS requires them.
func uploadHeaders() map[string]string {
	return map[string]string{api.HeaderSSE: "aws:kms", api.HeaderSSEKMSKeyID: KMSKeyARN}
}

func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// sign is the URL's signature. A PUT's covers its SSE-KMS headers too: the server checks that
// the request sends them (on S3 they are part of the SigV4 signature).
func (o *Objects) sign(method, key, expires string) string {
	m := hmac.New(sha256.New, o.secret)
	io.WriteString(m, method+"\n"+key+"\n"+expires)
	if method == http.MethodPut {
		for _, h := range []string{api.HeaderSSE, api.HeaderSSEKMSKeyID} {
			io.WriteString(m, "\n"+h+":"+uploadHeaders()[h])
		}
	}
	return hex.EncodeToString(m.Sum(nil))
}

var _ droprule.Folders = (*Objects)(nil)

// MakeFolder implements droprule.Folders: it creates the folder prefix (a key prefix
// ending in "/") and its parents, so that files can be copied into it by hand.
func (o *Objects) MakeFolder(ctx context.Context, prefix string) error {
	p, err := o.path(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p, objectDirMode); err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			// A file holds the folder's name, or a parent's: a file copied to the rule's
			// folder name before the rule existed (`cp f drop/reviews`). The caller's request
			// conflicts with the store as it is, so it is a 409 saying which file, not a 500
			// (found from outside).
			key := ""
			for seg := range strings.SplitSeq(strings.TrimSuffix(prefix, "/"), "/") {
				key = strings.TrimPrefix(key+"/"+seg, "/")
				if fi, serr := os.Lstat(filepath.Join(o.dir, filepath.FromSlash(key))); serr == nil && !fi.IsDir() {
					break
				}
			}
			return fmt.Errorf("%w: the folder %s cannot be made: %s is a file; move it out of the way and try again", job.ErrConflict, prefix, key)
		}
		return fmt.Errorf("make folder %s: %w", prefix, err)
	}
	return nil
}

// Handler serves presigned URLs at /objects/<key>: GET (and HEAD, with Range support) with a
// GET URL, PUT with a PUT URL. A bad, tampered or expired signature is 403 AccessDenied; a
// method the URL was not signed for is 403 SignatureDoesNotMatch (as on S3); a body over the maximum upload size is 413. A PUT
// body is streamed to disk. After a successful PUT, onCreated (if not nil) is called; if it
// fails the answer is 500 so that the client retries (the object stays).
func (o *Objects) Handler(onCreated func(ctx context.Context, info pipeline.ObjectInfo) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w = closeOnRefusal{w}
		}
		const prefix = "/objects/"
		if !strings.HasPrefix(r.URL.Path, prefix) {
			writeErr(w, http.StatusNotFound, api.CodeNotFound, "no such resource")
			return
		}
		key := strings.TrimPrefix(r.URL.Path, prefix)
		q, qerr := url.ParseQuery(r.URL.RawQuery) // URL.Query would drop a pair it cannot parse
		method, expires, sig := q.Get(ParamMethod), q.Get(ParamExpires), q.Get(ParamSignature)
		// The signature is compared as the lower-case hex it was written in: one spelling per
		// URL (found from outside: upper-case hex was accepted). As SigV4 signs the whole query
		// string, any parameter added or repeated (a second X-Ream-Expires after the signed one)
		// does not match.
		if qerr != nil || sig == "" || !hmac.Equal([]byte(sig), []byte(o.sign(method, key, expires))) || !onlySignedParams(q) {
			writeErr(w, http.StatusForbidden, api.CodeAccessDenied, "the request signature does not match")
			return
		}
		unix, err := strconv.ParseInt(expires, 10, 64)
		if err != nil || !o.now().Before(time.Unix(unix, 0)) {
			writeErr(w, http.StatusForbidden, api.CodeAccessDenied, "the presigned URL has expired")
			return
		}
		// A request of another method is answered as such first (below), headers aside.
		if extra := unsignedAmzHeaders(r.Header, method); len(extra) > 0 && r.Method == method {
			writeErr(w, http.StatusForbidden, api.CodeAccessDenied,
				"there were headers present in the request which were not signed: "+strings.Join(extra, ", ")+
					"; send only the x-amz- headers the URL was signed with")
			return
		}
		switch {
		case method == http.MethodGet && r.Method == http.MethodGet: // a HEAD is another method, refused as on S3
			o.serveGet(w, r, key)
		case method == http.MethodPut && r.Method == http.MethodPut:
			var wrong []string // every header not sent once as signed, named in one answer
			for h, v := range uploadHeaders() {
				if vs := r.Header.Values(h); len(vs) != 1 || vs[0] != v {
					wrong = append(wrong, h+": "+v)
				}
			}
			if len(wrong) > 0 {
				sort.Strings(wrong)
				writeErr(w, http.StatusForbidden, api.CodeAccessDenied, "the upload must send the headers it was signed with: "+strings.Join(wrong, "; "))
				return
			}
			o.servePut(w, r, key, time.Unix(unix, 0), onCreated)
		default:
			// S3 signs the method into a presigned URL: any other method does not match the
			// signature, and S3 answers 403 SignatureDoesNotMatch. So does this store.
			writeErr(w, http.StatusForbidden, "SignatureDoesNotMatch",
				fmt.Sprintf("this presigned URL is signed for %s; a %s request does not match its signature", method, r.Method))
		}
	})
}

// unsignedAmzHeaders names, in lower case and sorted, the x-amz- headers of a request to a URL
// signed for method that the URL does not sign (a PUT URL signs its SSE-KMS headers, a GET URL
// none). S3 refuses a presigned request that carries any (403 AccessDenied, "There were headers
// present in the request which were not signed", naming them), and so does this store: it took
// them (x-amz-acl, x-amz-meta-*, x-amz-storage-class, x-amz-checksum-crc32 with any value, …), so
// an upload that worked locally failed on AWS (found by sending the same PUTs to the local store
// and to MinIO, which refuses unsigned x-amz-meta-*). x-amz-content-sha256 is taken unsigned, as
// S3 and MinIO take it.
func unsignedAmzHeaders(h http.Header, method string) []string {
	var extra []string
	var signed map[string]string // a GET URL signs no header
	if method == http.MethodPut {
		signed = uploadHeaders()
	}
	for name := range h {
		l := strings.ToLower(name)
		if !strings.HasPrefix(l, "x-amz-") || l == "x-amz-content-sha256" {
			continue
		}
		if _, ok := signed[l]; ok {
			continue
		}
		extra = append(extra, l)
	}
	sort.Strings(extra)
	return extra
}

// onlySignedParams reports whether a presigned URL's query holds its three parameters, once
// each, and nothing else.
func onlySignedParams(q url.Values) bool {
	if len(q) != 3 {
		return false
	}
	for _, p := range []string{ParamMethod, ParamExpires, ParamSignature} {
		if len(q[p]) != 1 {
			return false
		}
	}
	return true
}

func (o *Objects) serveGet(w http.ResponseWriter, r *http.Request, key string) {
	f, fi, err := o.openFile(key)
	if err != nil {
		status, code := errStatus(err)
		writeErr(w, status, code, "cannot read "+key)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	// The object's version (ETag, as Head and List report it) as its entity tag, as S3 answers a
	// GET with its ETag: ServeContent then honours If-None-Match, If-Match and an If-Range that
	// names it, so a client resuming a download with the ETag it was given gets the rest (206),
	// and the whole object (200) once it has been replaced. Before, no ETag was sent: a client
	// had only Last-Modified, whole seconds, to resume on (found by the web front-end review).
	w.Header().Set("ETag", `"`+ETag(fi.Size(), fi.ModTime())+`"`)
	if rs := r.Header.Values("Range"); len(rs) > 1 || len(rs) == 1 && !s3ServesRange(rs[0]) {
		r.Header.Del("Range") // answered as S3 answers it: the whole object, 200
	}
	http.ServeContent(IdleDeadlineWriter(w), r, "", fi.ModTime(), f)
}

// s3ServesRange reports whether S3 honours the Range header value v: one range of bytes,
// "bytes=first-last" (last not before first), "bytes=first-" or "bytes=-suffix". S3 answers any
// other (several ranges, another unit, a malformed or reversed range) with the whole object and
// 200, as RFC 9110 allows a server to ignore such a Range (and requires for an unknown unit);
// net/http answered a list with a multipart/byteranges 206, which AWS never sends, and the others
// with a 416 (found by the HTTP-semantics audit). A range S3 honours that starts past the end is
// still a 416.
func s3ServesRange(v string) bool {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return false
	}
	digits := func(s string) bool {
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return s != ""
	}
	switch {
	case first == "":
		return digits(last)
	case !digits(first) || last != "" && !digits(last):
		return false
	case last == "":
		return true
	}
	f, ferr := strconv.ParseUint(first, 10, 64)
	l, lerr := strconv.ParseUint(last, 10, 64)
	return ferr == nil && lerr == nil && l >= f
}

// downloadIdleTimeout is how long a download's client may take nothing before it is cut: one
// that stops reading (a process stopped, a script that never reads its responses) must not hold
// its connection, a file and a goroutine for ever (found from outside: nothing bounded a
// response's writes). It bounds each write, not the download: a slow reader that keeps reading
// takes as long as it needs.
var downloadIdleTimeout = 60 * time.Second

// IdleDeadlineWriter is w with a deadline of downloadIdleTimeout on each write: the writer of
// a long response whose client may stop reading, a download's or the local stack's event
// streams'. It has no ReadFrom, so net/http copies a file through it a buffer at a time (not
// with sendfile), each write bounded.
func IdleDeadlineWriter(w http.ResponseWriter) http.ResponseWriter {
	return idleDeadlineWriter{w, http.NewResponseController(w)}
}

type idleDeadlineWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (d idleDeadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(downloadIdleTimeout)) // unsupported by a test recorder: no deadline
	return d.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the connection's writer.
func (d idleDeadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

func (o *Objects) servePut(w http.ResponseWriter, r *http.Request, key string, expires time.Time, onCreated func(context.Context, pipeline.ObjectInfo) error) {
	if len(r.TransferEncoding) > 0 {
		// S3 takes no PUT body of unknown length: a Transfer-Encoding (chunked, as Node's fetch
		// sends a stream body, or Go's net/http a reader whose size it cannot tell) is its 501
		// NotImplemented naming the header. This store took it, so an upload that worked
		// locally failed on AWS (found from outside with the AWS SDK for JavaScript's users'
		// fetch). The body is not read.
		writeErr(w, http.StatusNotImplemented, "NotImplemented",
			"a header you provided implies functionality that is not implemented: Transfer-Encoding; send the body with a Content-Length")
		return
	}
	if r.ContentLength == 0 && r.Header.Get("Content-Length") == "" {
		// Neither a length nor a Transfer-Encoding (`curl -X PUT <url>` with no file, a client
		// that forgot its body): net/http reads that as an empty body, and this store stored 0
		// bytes, whose job then failed as empty, where S3 answers 411 MissingContentLength and
		// stores nothing (found by the HTTP-semantics audit). The job still waits for its input.
		writeErr(w, http.StatusLengthRequired, "MissingContentLength",
			"you must provide the Content-Length HTTP header (the body's size; 0 for an empty file); nothing was stored")
		return
	}
	upload := &uploadBody{ReadCloser: r.Body, rc: http.NewResponseController(w), expires: expires,
		deadline: time.Now().Add(expires.Sub(o.now()))}
	r.Body = upload
	if o.putGuard != nil {
		if err := o.putGuard(r.Context(), key); err != nil {
			// A retry of an upload whose answer was lost (the connection or the process died
			// after the object was stored) sends the same bytes: that is success, and the
			// object's event is queued again in case it was lost too. Other bytes are refused.
			if !errors.Is(err, job.ErrConflict) {
				o.guardUnavailable(w, key, err)
				return
			}
			if sum, same := o.sameAsStored(r, key); same {
				var digest digestError
				if err := checkContentMD5(r.Header, sum); errors.As(err, &digest) {
					writeErr(w, http.StatusBadRequest, digest.code, digest.msg) // checked as for any body
					return
				}
				o.created(w, r, key, sum, requeue(err, onCreated))
				return
			}
			if upload.expired {
				writeUploadExpired(w, expires)
				return
			}
			writeErr(w, http.StatusConflict, api.CodeConflict, api.Message(err))
			return
		}
	}
	if o.maxUpload > 0 && r.ContentLength > o.maxUpload {
		writeErr(w, http.StatusRequestEntityTooLarge, "EntityTooLarge", fmt.Sprintf("the body exceeds %d bytes", o.maxUpload))
		return
	}
	body := io.Reader(r.Body)
	if o.maxUpload > 0 {
		body = http.MaxBytesReader(w, r.Body, o.maxUpload)
	}
	sum := md5.New()
	var size int64
	stored, err := o.writeChecked(key, func(f *os.File) error {
		fw := &fileWriter{f: f}
		defer func() { size = fw.off }()
		var err error
		if r.ContentLength >= 0 && r.ContentLength < hashChunk {
			_, err = io.Copy(fw, ctxReader{r.Context(), io.TeeReader(body, sum)})
		} else {
			err = copyHashing(r.Context(), fw, body, sum)
		}
		if err == nil && r.ContentLength >= 0 && fw.off != r.ContentLength {
			err = io.ErrUnexpectedEOF
		}
		return err
	}, func() error {
		if err := checkContentMD5(r.Header, sum.Sum(nil)); err != nil {
			return err
		}
		if o.holds(key, size, sum.Sum(nil)) {
			return errSameObject // before the guard: two PUTs of the same bytes at once are both fine
		}
		// The job may have stopped taking input while the body arrived (its upload URL
		// expired mid-transfer): then the object is not stored, and the client is told so,
		// rather than answered 200 for an input nothing will read.
		if o.putGuard != nil {
			if err := o.putGuard(r.Context(), key); err != nil {
				return putRefused{err}
			}
		}
		return nil
	})
	if errors.Is(err, errSameObject) {
		// The same bytes again (a client retrying a PUT whose answer it lost): as on S3, where
		// they make the same ETag, the object is unchanged, and its event is queued again,
		// unless its job has taken its input already.
		if o.putGuard != nil {
			onCreated = requeue(o.putGuard(r.Context(), key), onCreated)
		}
		o.created(w, r, key, sum.Sum(nil), onCreated)
		return
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeErr(w, http.StatusRequestEntityTooLarge, "EntityTooLarge", fmt.Sprintf("the body exceeds %d bytes", o.maxUpload))
			return
		}
		var digest digestError
		if errors.As(err, &digest) {
			writeErr(w, http.StatusBadRequest, digest.code, digest.msg)
			return
		}
		if errors.Is(err, errUploadExpired) {
			writeUploadExpired(w, expires)
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// As S3's RequestTimeout: the client stopped sending.
			writeErr(w, http.StatusBadRequest, "RequestTimeout", fmt.Sprintf("no byte of the body arrived for %s; nothing was stored", uploadIdleTimeout))
			return
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			// The client (or the network) cut the body short: S3's answer, and nothing stored.
			writeErr(w, http.StatusBadRequest, "IncompleteBody", fmt.Sprintf("the body ended before the %d bytes its Content-Length announced; nothing was stored", r.ContentLength))
			return
		}
		var refused putRefused
		if errors.As(err, &refused) {
			if !errors.Is(refused.err, job.ErrConflict) {
				o.guardUnavailable(w, key, refused.err)
				return
			}
			writeErr(w, http.StatusConflict, api.CodeConflict, api.Message(refused.err))
			return
		}
		status, code := errStatus(err)
		if status >= 500 {
			o.log.Error("presigned upload failed", "key", key, "err", err)
		}
		writeErr(w, status, code, "cannot store "+key)
		return
	}
	// The event names the version this PUT stored, not the one a Head finds now: of two PUTs
	// of other bytes to one key at once (two uploads of one name into a drop folder, two
	// `ream drop-rules close` of one batch), the second's rename can come before the first's
	// Head, and both events then named the second version, which started one job between them
	// (found by racing closes of one batch: three closes, two jobs), as S3's events never do.
	if o.afterStore != nil {
		o.afterStore(key)
	}
	o.stored(w, r, key, stored, nil, sum.Sum(nil), onCreated)
}

// uploadIdleTimeout is how long an upload's body may send nothing before it is cut (S3 cuts an
// idle upload too, with RequestTimeout): a client that announced a body and sends none must
// not hold its connection, a file and a descriptor for ever.
var uploadIdleTimeout = 60 * time.Second

// uploadBody is an upload's body, read with a deadline from each read: uploadIdleTimeout later,
// or the URL's expiry when that comes first, so that a body sent a byte at a time cannot outlive
// its URL (found from outside: a byte every 59 s kept an upload going past Expires; only a
// minute of silence cut it). There is no grace: the body must have arrived whole by Expires.
// The deadline is cleared at the body's end.
type uploadBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	expires  time.Time // the URL's expiry, on the store's clock
	deadline time.Time // expires on the wall clock the connection's deadlines are set by
	expired  bool      // a read ended at expires
}

// errUploadExpired is a read of an upload's body cut at its URL's expiry.
var errUploadExpired = errors.New("the presigned URL expired before the body had arrived")

func (b *uploadBody) Read(p []byte) (int, error) {
	d, atExpiry := time.Now().Add(uploadIdleTimeout), false
	if b.deadline.Before(d) {
		d, atExpiry = b.deadline, true
	}
	_ = b.rc.SetReadDeadline(d) // unsupported by a test recorder: no deadline
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	if atExpiry && errors.Is(err, os.ErrDeadlineExceeded) {
		b.expired = true
		return n, errUploadExpired
	}
	return n, err
}

// writeUploadExpired answers an upload whose body was cut at its URL's expiry.
func writeUploadExpired(w http.ResponseWriter, expires time.Time) {
	writeErr(w, http.StatusForbidden, api.CodeAccessDenied,
		fmt.Sprintf("the presigned URL expired at %s before the body had arrived; nothing was stored", expires.UTC().Format(time.RFC3339)))
}

// closeOnRefusal closes the connection after a refusal (a status of 400 or more) of a request
// with a body: net/http would otherwise read up to 256 KiB of the unread body before answering,
// and a client that announced a body and sends none would hold the connection, unanswered,
// without even a valid signature.
type closeOnRefusal struct{ http.ResponseWriter }

func (c closeOnRefusal) WriteHeader(status int) {
	if status >= http.StatusBadRequest {
		c.Header().Set("Connection", "close")
	}
	c.ResponseWriter.WriteHeader(status)
}

// Unwrap gives http.ResponseController the connection's writer.
func (c closeOnRefusal) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// requeue is the onCreated of a retried upload of the same bytes, given the guard's answer: none
// when the guard says the job has left AWAITING_INPUT (pipeline.ErrNoLongerWaiting), whose
// upload event was handled, so that the retry does not plan or enqueue the job again.
func requeue(guard error, onCreated func(context.Context, pipeline.ObjectInfo) error) func(context.Context, pipeline.ObjectInfo) error {
	if errors.Is(guard, pipeline.ErrNoLongerWaiting) {
		return nil
	}
	return onCreated
}

// created answers an upload of the bytes already stored under key: its event is queued
// (onCreated) for the object as it is (see stored).
func (o *Objects) created(w http.ResponseWriter, r *http.Request, key string, md5sum []byte, onCreated func(context.Context, pipeline.ObjectInfo) error) {
	info, err := o.Head(r.Context(), key)
	o.stored(w, r, key, info, err, md5sum, onCreated)
}

// stored answers a stored upload of the object version info (or the error that found none):
// its event is queued (onCreated), then 200 with the body's MD5 as ETag; 500 if the event could
// not be queued (the client retries; see sameAsStored).
func (o *Objects) stored(w http.ResponseWriter, r *http.Request, key string, info pipeline.ObjectInfo, err error, md5sum []byte, onCreated func(context.Context, pipeline.ObjectInfo) error) {
	if err == nil && onCreated != nil {
		// The object is stored: its event is owed whether or not the client stays for the
		// answer. A client gone once its body was in (Ctrl-C at the end of an upload, a tab
		// closed) cancelled the request's context, and the event was not queued: the job waited
		// with its input stored until a sweep found it.
		err = onCreated(context.WithoutCancel(r.Context()), info)
	}
	if err != nil {
		o.log.Error("upload stored but its event could not be queued", "key", key, "err", err)
		writeErr(w, http.StatusInternalServerError, api.CodeInternal, "the object was stored but could not be processed; retry the upload")
		return
	}
	w.Header().Set("ETag", `"`+hex.EncodeToString(md5sum)+`"`)
	w.WriteHeader(http.StatusOK)
}

// sameAsStored reports whether the request's body is byte for byte the object stored under key
// (streamed and compared, never buffered), with the body's MD5.
func (o *Objects) sameAsStored(r *http.Request, key string) ([]byte, bool) {
	f, fi, err := o.openFile(key)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if r.ContentLength >= 0 && r.ContentLength != fi.Size() {
		return nil, false
	}
	sum := md5.New()
	body := io.TeeReader(io.LimitReader(r.Body, fi.Size()+1), sum)
	stored := bufio.NewReaderSize(f, 64<<10)
	buf := make([]byte, 64<<10)
	want := make([]byte, 64<<10)
	var n int64
	for {
		k, rerr := io.ReadFull(body, buf)
		if k > 0 {
			if n+int64(k) > fi.Size() {
				return nil, false
			}
			if _, err := io.ReadFull(stored, want[:k]); err != nil || !bytes.Equal(buf[:k], want[:k]) {
				return nil, false
			}
			n += int64(k)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return nil, false
		}
	}
	return sum.Sum(nil), n == fi.Size()
}

// errSameObject: the body is the object already stored under the key, which stays as it is.
var errSameObject = errors.New("the same bytes are already stored")

// holds reports whether the object stored under key is size bytes with that MD5.
func (o *Objects) holds(key string, size int64, md5sum []byte) bool {
	f, fi, err := o.openFile(key)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi.Size() != size {
		return false
	}
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return bytes.Equal(h.Sum(nil), md5sum)
}

// guardUnavailable answers an upload the guard could not check (its store did not answer): 503,
// as S3 answers when it cannot take a request now, so that the client retries it.
func (o *Objects) guardUnavailable(w http.ResponseWriter, key string, err error) {
	o.log.Error("cannot check an upload against its job", "key", key, "err", err)
	w.Header().Set("Retry-After", "1")
	writeErr(w, http.StatusServiceUnavailable, api.CodeUnavailable, "cannot check this upload against its job now; retry it")
}

// putRefused is the upload guard's answer to a body that arrived: a refusal (409) or an error
// that kept it from deciding (503); the body is not stored either way.
type putRefused struct{ err error }

func (e putRefused) Error() string { return e.err.Error() }

// digestError is a Content-MD5 header that is not the body's (400, with S3's codes).
type digestError struct{ code, msg string }

func (e digestError) Error() string { return e.code + ": " + e.msg }

// checkContentMD5 checks the Content-MD5 header, when sent, against the body's MD5 as S3 does:
// InvalidDigest when it is not a base64 MD5, BadDigest when it is another body's.
func checkContentMD5(h http.Header, sum []byte) error {
	vs := h.Values("Content-MD5")
	if len(vs) == 0 {
		return nil
	}
	want, err := base64.StdEncoding.DecodeString(vs[0])
	if len(vs) != 1 || err != nil || len(want) != md5.Size {
		return digestError{"InvalidDigest", "the Content-MD5 you specified is not valid (a base64 MD5 of the body)"}
	}
	if !bytes.Equal(want, sum) {
		return digestError{"BadDigest", "the Content-MD5 you specified did not match what was received"}
	}
	return nil
}

// errStatus is api.StatusOf with the S3 code for a missing object.
func errStatus(err error) (int, string) {
	status, code := api.StatusOf(err)
	if status == http.StatusNotFound {
		code = "NoSuchKey"
	}
	return status, code
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	api.WriteError(w, status, code, msg)
}

// writebackEvery is how many bytes written to an object's file are handed to the kernel's
// writeback at once (startWriteback), so that the Sync ending the Put waits for the last of
// them only.
const writebackEvery = 1 << 20

// fileWriter writes to an object's temporary file, starting the writeback of every
// writebackEvery bytes as they are written.
type fileWriter struct {
	f         *os.File
	off, done int64 // bytes written; bytes handed to writeback
}

func (w *fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.done >= writebackEvery {
		startWriteback(w.f, w.done, w.off-w.done)
		w.done = w.off
	}
	return n, err
}

// hashChunk is the chunk copyHashing hashes aside; a smaller upload is hashed as it is copied.
const hashChunk = 1 << 20

// copyHashing copies r into w in chunks of hashChunk bytes, hashing each chunk into h on another
// goroutine while the next is read and the chunk itself is written: a large upload's MD5 then
// costs no time of its own. It returns once h holds the hash of everything copied.
func copyHashing(ctx context.Context, w io.Writer, r io.Reader, h hash.Hash) error {
	bufs := [2][]byte{make([]byte, hashChunk), make([]byte, hashChunk)}
	free := make(chan struct{}, 1) // h is idle (and the chunk it hashed last is no longer read)
	free <- struct{}{}
	defer func() { <-free }() // the last hash has finished
	for i := 0; ; i ^= 1 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := fill(r, bufs[i])
		if n > 0 {
			b := bufs[i][:n]
			<-free
			go func() {
				h.Write(b)
				free <- struct{}{}
			}()
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr // a body cut short is io.ErrUnexpectedEOF: an error, not an end
		}
	}
}

// fill reads r into b until b is full (nil) or r ends (io.EOF) or fails (its error, which
// io.ReadFull would have turned into io.ErrUnexpectedEOF after a partial read, like a clean
// end's).
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
