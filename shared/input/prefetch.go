package input

import (
	"bytes"
	"context"
	"io"
	"sync"
)

// PrefetchFiles is how many files of a shard are opened ahead of the one being read (Prefetch):
// a store's first-byte latency (S3: 10–50 ms a GET) is then paid by up to this many files at
// once instead of by each file in turn.
const PrefetchFiles = 8

// prefetchBytes is how much of a file opened ahead is read into memory before its turn: a file
// that ends within it is kept whole; a longer one is closed and opened again at its turn, and
// then streamed as without Prefetch (an open store reader left unread while the files before
// it are analysed could be dropped by the store). Reading ahead thus holds at most
// PrefetchFiles × prefetchBytes (512 KiB) a shard.
const prefetchBytes = 64 << 10

// Prefetch returns an Opener for reading keys one after another, in that order, each from
// offset 0, that opens each key up to PrefetchFiles keys ahead of the one being read and reads
// up to prefetchBytes of it meanwhile. What a call returns is what open returned for that key:
// the same error, or the same bytes followed by the same read error or end (a file longer than
// prefetchBytes is opened again by that call). A call for any
// other key or offset, or out of that order, is passed to open. open must be safe for
// concurrent use; the returned Opener must not be called concurrently.
//
// stop must be called when reading is done (or abandoned): it cancels the opens ahead, waits
// for them and closes every reader they opened that no call returned.
func Prefetch(ctx context.Context, open Opener, keys []string) (opener Opener, stop func()) {
	if len(keys) < 2 {
		return open, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetcher{res: make([]chan fetched, len(keys)), sem: make(chan struct{}, PrefetchFiles)}
	for i := range p.res {
		p.res[i] = make(chan fetched, 1)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for i, k := range keys {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.res[i] <- fetch(ctx, open, k)
			}()
		}
	}()
	next := 0
	opener = func(callCtx context.Context, key string, offset int64) (io.ReadCloser, error) {
		if next >= len(keys) || key != keys[next] || offset != 0 {
			return open(callCtx, key, offset)
		}
		i := next
		next++
		select {
		case f := <-p.res[i]:
			<-p.sem
			if f.reopen {
				return open(callCtx, key, offset)
			}
			if f.err != nil {
				return nil, f.err
			}
			return f.rc, nil
		case <-callCtx.Done():
			return nil, callCtx.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			p.wg.Wait()
			for _, ch := range p.res {
				select {
				case f := <-ch:
					if f.rc != nil {
						f.rc.Close()
					}
				default:
				}
			}
		})
	}
	return opener, stop
}

type prefetcher struct {
	res []chan fetched // res[i]: key i as fetched; taken by the call for it, else by stop
	sem chan struct{}  // a token for each key fetched and not yet taken
	wg  sync.WaitGroup
}

type fetched struct {
	rc     io.ReadCloser
	err    error
	reopen bool // longer than prefetchBytes: opened again at its turn
}

// fetch opens key and reads up to prefetchBytes of it: a file that ends within them, or whose
// read fails, is closed at once and replayed from memory (then its error); a longer one is
// closed, to be opened again at its turn.
func fetch(ctx context.Context, open Opener, key string) fetched {
	rc, err := open(ctx, key, 0)
	if err != nil {
		return fetched{err: err}
	}
	head, err := io.ReadAll(io.LimitReader(rc, prefetchBytes))
	switch {
	case err != nil:
		rc.Close()
		return fetched{rc: io.NopCloser(io.MultiReader(bytes.NewReader(head), errReader{err}))}
	case len(head) < prefetchBytes:
		rc.Close()
		return fetched{rc: io.NopCloser(bytes.NewReader(head))}
	}
	rc.Close()
	return fetched{reopen: true}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
