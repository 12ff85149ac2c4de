package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// countingOpener opens in-memory files, counting the readers it opened and closed; a key
// absent from files is ErrNotFound, and errs makes a key's open (or, with a text, its read
// after that text) fail.
type countingOpener struct {
	files          map[string]string
	openErrs       map[string]error
	readErrs       map[string]error
	opened, closed atomic.Int64
}

type countedReader struct {
	io.Reader
	o    *countingOpener
	once sync.Once
}

func (r *countedReader) Close() error {
	r.once.Do(func() { r.o.closed.Add(1) })
	return nil
}

func (o *countingOpener) open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := o.openErrs[key]; err != nil {
		return nil, err
	}
	s, ok := o.files[key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, job.ErrNotFound)
	}
	var r io.Reader = iotest.HalfReader(strings.NewReader(s[offset:]))
	if err := o.readErrs[key]; err != nil {
		r = io.MultiReader(r, iotest.ErrReader(err))
	}
	o.opened.Add(1)
	return &countedReader{Reader: r, o: o}, nil
}

// prefetchCase is a shard of every kind of file ReadFiles meets: text, bad documents, a file
// longer than what is read ahead, a name the store refuses, an archived file, a read failing
// part way, and then a missing file (which fails the shard) followed by more files.
func prefetchCase() (*countingOpener, []string) {
	o := &countingOpener{files: map[string]string{}, openErrs: map[string]error{}, readErrs: map[string]error{}}
	var keys []string
	add := func(key, text string) {
		o.files[key] = text
		keys = append(keys, key)
	}
	for i := range 30 {
		add(fmt.Sprintf("in/%02d.txt", i), strings.Repeat(fmt.Sprintf("doc %d ", i), i+1))
	}
	add("in/bom", "\xEF\xBB\xBFwith BOM")
	add("in/empty", "")
	add("in/latin1", "caf\xe9")
	add("in/long", strings.Repeat("long text ", prefetchBytes/5)) // 2 × prefetchBytes: opened again at its turn
	add("in/edge", strings.Repeat("e", prefetchBytes))
	add("in/bad\\name", "x")
	o.openErrs["in/bad\\name"] = fmt.Errorf("bad key: %w", job.ErrInvalid)
	add("in/archived", "x")
	o.openErrs["in/archived"] = fmt.Errorf("open: %w", &job.ArchivedError{Class: "GLACIER"})
	for i := range 12 {
		add(fmt.Sprintf("in/more%02d.txt", i), fmt.Sprintf("more %d", i))
	}
	return o, keys
}

// sequentialRead reads keys one shard of one file each (Prefetch opens nothing ahead for a
// single file): what readFiles gave before it read ahead.
func sequentialRead(o *countingOpener, keys []string, lim Limits, bufSize int) ([]Document, error) {
	var docs []Document
	for _, k := range keys {
		err := readFiles(context.Background(), o.open, Shard{Files: []FileRef{{Key: k}}}, nil, lim,
			func(d Document) error { docs = append(docs, d); return nil }, bufSize)
		if err != nil {
			return docs, err
		}
	}
	return docs, nil
}

// TestReadFilesPrefetchSameDocuments: reading a shard's files ahead gives exactly the
// documents, in the order, and the error, at the same document, that reading them one after
// another gives, and closes every reader it opened.
func TestReadFilesPrefetchSameDocuments(t *testing.T) {
	o, keys := prefetchCase()
	cases := map[string][]string{
		"all":          keys,
		"missing file": append(append(keys[:20:20], "in/nope"), keys[20:]...),
		"read error":   keys,
	}
	for name, ks := range cases {
		for _, bufSize := range []int{16, readBufferSize} {
			for _, lim := range []Limits{{}, {MaxDocumentBytes: 50}} {
				if name == "read error" {
					o.readErrs["in/05.txt"] = errors.New("connection reset")
				} else {
					clear(o.readErrs)
				}
				want, wantErr := sequentialRead(o, ks, lim, bufSize)
				var sh Shard
				for _, k := range ks {
					sh.Files = append(sh.Files, FileRef{Key: k})
				}
				o.opened.Store(0)
				o.closed.Store(0)
				var got []Document
				err := readFiles(context.Background(), o.open, sh, nil, lim, func(d Document) error { got = append(got, d); return nil }, bufSize)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Fatalf("%s: err %v, want %v", name, err, wantErr)
				}
				if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
					t.Fatalf("%s, bufSize %d, %+v: documents\n%+v\nwant\n%+v", name, bufSize, lim, got, want)
				}
				if o.opened.Load() != o.closed.Load() {
					t.Fatalf("%s: opened %d readers, closed %d", name, o.opened.Load(), o.closed.Load())
				}
			}
		}
	}
}

// TestReadFilesOpensAhead: while a shard's first document is analysed, the next PrefetchFiles
// files are being opened, and never more than that. Before, each file was opened only after
// the previous one's document was delivered, so a store's first-byte latency was paid once a
// file (found by BenchmarkOneDocPerFileLatency: 20 ms a read made a 100-file shard take 2.5 s).
func TestReadFilesOpensAhead(t *testing.T) {
	o := &countingOpener{files: map[string]string{}}
	var sh Shard
	for i := range 40 {
		k := fmt.Sprintf("f%02d", i)
		o.files[k] = "text " + k
		sh.Files = append(sh.Files, FileRef{Key: k})
	}
	i := int64(0)
	err := ReadFiles(context.Background(), o.open, sh, nil, Limits{}, func(d Document) error {
		i++
		if i == 1 {
			// Not a timing assertion: the guard only ends a wait that never succeeds.
			for deadline := time.Now().Add(time.Minute); o.opened.Load() < 1+PrefetchFiles; {
				if time.Now().After(deadline) {
					return fmt.Errorf("%d files opened while the first was analysed, want %d", o.opened.Load(), 1+PrefetchFiles)
				}
				runtime.Gosched()
				time.Sleep(time.Millisecond)
			}
		}
		if n := o.opened.Load(); n > i+PrefetchFiles {
			return fmt.Errorf("%d files opened at document %d, more than %d ahead", n, i, PrefetchFiles)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.opened.Load() != 40 || o.closed.Load() != 40 {
		t.Fatalf("opened %d, closed %d of 40", o.opened.Load(), o.closed.Load())
	}
}

// TestReadFilesPrefetchNoLeak: when fn fails or ctx is cancelled part way, every reader opened
// ahead is closed and no goroutine is left behind.
func TestReadFilesPrefetchNoLeak(t *testing.T) {
	o, keys := prefetchCase()
	var sh Shard
	for _, k := range keys {
		sh.Files = append(sh.Files, FileRef{Key: k})
	}
	before := runtime.NumGoroutine()
	stopAt := errors.New("stop")
	for _, at := range []int{1, 2, 5, 33, 40} {
		for _, cancelled := range []bool{false, true} {
			o.opened.Store(0)
			o.closed.Store(0)
			ctx, cancel := context.WithCancel(context.Background())
			n := 0
			err := ReadFiles(ctx, o.open, sh, nil, Limits{}, func(Document) error {
				n++
				if n == at {
					if cancelled {
						cancel()
						return nil
					}
					return stopAt
				}
				return nil
			})
			cancel()
			if want := map[bool]error{false: stopAt, true: context.Canceled}[cancelled]; !errors.Is(err, want) || n != at {
				t.Fatalf("at %d: err %v after %d documents, want %v", at, err, n, want)
			}
			if o.opened.Load() != o.closed.Load() {
				t.Fatalf("at %d (cancelled %v): opened %d readers, closed %d", at, cancelled, o.opened.Load(), o.closed.Load())
			}
		}
	}
	// Goroutines that have returned may take a moment to be gone from the count.
	for deadline := time.Now().Add(time.Minute); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}
