package input

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
)

// LineOffsets returns, for each line shard of the object key (as PlanLines cut it, in order),
// the 0-based line number of the first document it owns: the number of documents that start
// before its Start. Knowing them when the job is planned lets every worker write global line
// numbers itself, so that the output archive is a plain concatenation of the shards' results.
//
// Documents start at 0 and after every terminator (see the package documentation), so for a
// shard with Start = P > 0 the offset is 1 + the number of terminators that end before P: the
// LF bytes and the CR bytes not followed by LF at indexes below P-1 (a CRLF counts once, by its
// LF). Each shard's range is read once, with at most parallel readers at a time; memory is one
// buffer per reader.
//
// It returns len(shards)+1 numbers: the last is the object's number of documents, so shard i
// owns offsets[i+1]-offsets[i] documents.
func LineOffsets(ctx context.Context, open Opener, key string, shards []Shard, parallel int) ([]int64, error) {
	counts := make([]int64, len(shards))
	parallel = max(parallel, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int)
	)
	// A reader reads at most a shard's bytes and one more (countTerminators), so a small object's
	// buffer is its size, not readBufferSize: planning a prefix of 100,000 small files allocated
	// 64 KiB for each (6.5 GB in all).
	bufSize := 16 // bufio's least
	for _, sh := range shards {
		bufSize = max(bufSize, int(min(sh.End-sh.Start+1, readBufferSize)))
	}
	for w := 0; w < min(parallel, len(shards)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReaderSize(nil, bufSize)
			for i := range next {
				n, err := countTerminators(ctx, open, key, shards[i], br)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					continue
				}
				counts[i] = n
			}
		}()
	}
	for i := range shards {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	offsets := make([]int64, len(shards)+1)
	var before int64
	for i, sh := range shards {
		if sh.Start > 0 {
			offsets[i] = 1 + before
		}
		before += counts[i]
	}
	if len(shards) > 0 {
		// A document starts at 0 unless the object is only a byte order mark.
		offsets[len(shards)] = 1 + before
		if size := shards[len(shards)-1].End; size == int64(len(BOM)) {
			only, err := onlyBOM(ctx, open, key)
			if err != nil {
				return nil, err
			}
			if only {
				offsets[len(shards)] = 0
			}
		}
	}
	return offsets, nil
}

func onlyBOM(ctx context.Context, open Opener, key string) (bool, error) {
	rc, err := open(ctx, key, 0)
	if err != nil {
		return false, fmt.Errorf("input: count lines of %s: %w", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(len(BOM))+1))
	if err != nil {
		return false, fmt.Errorf("input: count lines of %s: %w", key, err)
	}
	return bytes.Equal(b, BOM), nil
}

// countTerminators counts the terminators ending at an index in [Start-1, End-1) of sh (from 0
// for the first shard): the ones the next shards' offsets add up. It reads up to End to see
// whether a CR at End-2 is followed by LF.
func countTerminators(ctx context.Context, open Opener, key string, sh Shard, br *bufio.Reader) (int64, error) {
	from := max(sh.Start-1, 0)
	to := sh.End - 1 // count indexes in [from, to)
	if to <= from {
		return 0, nil
	}
	rc, err := open(ctx, key, from)
	if err != nil {
		return 0, fmt.Errorf("input: count lines of %s at byte %d: %w", key, from, err)
	}
	defer rc.Close()
	br.Reset(io.LimitReader(rc, to-from+1))
	var (
		n      int64
		pos    = from
		prevCR bool // the byte before pos was a CR not yet counted
	)
	for pos < to {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		chunk, err := br.Peek(max(br.Buffered(), 1))
		if len(chunk) == 0 {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // the object is shorter than the plan says
			}
			return 0, fmt.Errorf("input: count lines of %s at byte %d: %w", key, pos, err)
		}
		if prevCR {
			if chunk[0] != '\n' {
				n++ // a lone CR ends a line
			}
			prevCR = false
		}
		use := chunk
		if rest := to - pos; int64(len(use)) > rest {
			use = use[:rest]
		}
		n += int64(bytes.Count(use, []byte{'\n'}))
		for k := 0; ; {
			j := bytes.IndexByte(use[k:], '\r')
			if j < 0 {
				break
			}
			k += j + 1
			switch {
			case k < len(use):
				if use[k] != '\n' {
					n++
				}
			case k < len(chunk):
				if chunk[k] != '\n' {
					n++
				}
			default:
				prevCR = true // decided by the next byte
			}
		}
		br.Discard(len(use))
		pos += int64(len(use))
	}
	if prevCR {
		// The CR at to-1 is counted only if the byte at to (End-1) is not LF; it exists, since
		// the shard ends at End.
		b, err := br.Peek(1)
		if len(b) == 0 {
			return 0, fmt.Errorf("input: count lines of %s at byte %d: %w", key, pos, err)
		}
		if b[0] != '\n' {
			n++
		}
	}
	return n, nil
}
