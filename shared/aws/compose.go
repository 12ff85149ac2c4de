package aws

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3's multipart limits: every part but the last holds at least 5 MiB, a copied part at most
// 5 GiB, an upload at most 10,000 parts.
const (
	minPartSize  = 5 << 20 // manager.MinUploadPartSize
	maxCopyPart  = 5 << 30
	maxParts     = 10_000
	copyParallel = 8 // UploadPartCopy calls in flight
	headParallel = 16
)

// ComposeStats counts what one Compose did: the requests, and the bytes that passed through this
// process (only the beginnings and ends of sources smaller than a part).
type ComposeStats struct {
	CopyParts, UploadParts int
	BytesThrough           int64
}

// Compose implements pipeline.Objects with a multipart upload whose parts are, wherever S3
// allows it, UploadPartCopy of a source (or of a byte range of it): S3 copies those bytes itself.
// Sources smaller than 5 MiB cannot be parts of their own (except the last), so consecutive small
// sources, and the first bytes of the source after them, are read and uploaded as one part of at
// least 5 MiB: at most about 5 MiB goes through this process per run of small sources. With
// shards of several MiB each, the finalizer moves almost nothing. A total below 5 MiB is read
// the same way and stored with one PutObject.
func (o *Objects) Compose(ctx context.Context, key string, srcs []string) error {
	_, err := o.ComposeCounted(ctx, key, srcs)
	return err
}

// ComposeCounted is Compose, returning what it did.
func (o *Objects) ComposeCounted(ctx context.Context, key string, srcs []string) (ComposeStats, error) {
	var st ComposeStats
	sizes, err := o.sizes(ctx, srcs)
	if err != nil {
		return st, err
	}
	var total int64
	for _, n := range sizes {
		total += n
	}
	if total < minPartSize {
		// Too small for a multipart upload: read it all (less than one part) and put it.
		c := &composer{o: o}
		for i, src := range srcs {
			if err := c.read(ctx, src, 0, sizes[i]); err != nil {
				return c.stats, fmt.Errorf("compose s3://%s/%s: %w", o.bucket, key, mapS3Err(err))
			}
		}
		return c.stats, o.Put(ctx, key, bytes.NewReader(c.pending.Bytes()))
	}
	create := &s3.CreateMultipartUploadInput{Bucket: &o.bucket, Key: &key}
	if o.kmsKey != "" {
		create.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
		create.SSEKMSKeyId = sdkaws.String(o.kmsKey)
	}
	up, err := o.s3.CreateMultipartUpload(ctx, create)
	if err != nil {
		return st, fmt.Errorf("compose s3://%s/%s: %w", o.bucket, key, o.keyErr(mapS3Err(err)))
	}
	c := &composer{o: o, key: key, id: up.UploadId, sem: make(chan struct{}, copyParallel)}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = c.run(cctx, srcs, sizes)
	c.wg.Wait()
	if err == nil {
		err = c.firstErr()
	}
	if err == nil {
		_, err = o.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &o.bucket, Key: &key, UploadId: up.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: c.parts},
		})
	}
	if err != nil {
		_, _ = o.s3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &o.bucket, Key: &key, UploadId: up.UploadId})
		return c.stats, fmt.Errorf("compose s3://%s/%s: %w", o.bucket, key, o.keyErr(mapS3Err(err)))
	}
	return c.stats, nil
}

// sizes heads every source, a few at a time.
func (o *Objects) sizes(ctx context.Context, srcs []string) ([]int64, error) {
	sizes := make([]int64, len(srcs))
	errs := make([]error, len(srcs))
	sem := make(chan struct{}, headParallel)
	var wg sync.WaitGroup
	for i, k := range srcs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			info, err := o.Head(ctx, k)
			sizes[i], errs[i] = info.Size, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sizes, nil
}

// composer builds the parts of one multipart upload, in order.
type composer struct {
	o       *Objects
	key     string
	id      *string
	parts   []s3types.CompletedPart
	pending bytes.Buffer // bytes of the next uploaded part
	stats   ComposeStats
	sem     chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
}

func (c *composer) run(ctx context.Context, srcs []string, sizes []int64) error {
	for i, src := range srcs {
		size, off := sizes[i], int64(0)
		if c.pending.Len() > 0 {
			// Fill the pending part up to the minimum from this source's beginning.
			take := min(int64(minPartSize-c.pending.Len()), size)
			if err := c.read(ctx, src, 0, take); err != nil {
				return err
			}
			off = take
			if c.pending.Len() >= minPartSize {
				if err := c.flush(ctx); err != nil {
					return err
				}
			}
		}
		rest := size - off
		switch {
		case rest == 0:
		case c.pending.Len() == 0 && rest >= minPartSize:
			// Copy [off, size) server-side, in parts of at most 5 GiB, all but the last at least
			// 5 MiB: equal slices.
			n := (rest + maxCopyPart - 1) / maxCopyPart
			for k := int64(0); k < n; k++ {
				a, b := off+rest*k/n, off+rest*(k+1)/n
				if err := c.copy(ctx, src, a, b); err != nil {
					return err
				}
			}
		default:
			if err := c.read(ctx, src, off, size); err != nil {
				return err
			}
			if c.pending.Len() >= minPartSize {
				if err := c.flush(ctx); err != nil {
					return err
				}
			}
		}
	}
	if c.pending.Len() > 0 {
		return c.flush(ctx) // the last part may be small
	}
	return nil
}

func (c *composer) next() (int32, error) {
	if len(c.parts) >= maxParts {
		return 0, fmt.Errorf("the output needs more than %d parts", maxParts)
	}
	n := int32(len(c.parts) + 1)
	c.parts = append(c.parts, s3types.CompletedPart{PartNumber: sdkaws.Int32(n)})
	return n, nil
}

// read appends bytes [a, b) of src to the pending part.
func (c *composer) read(ctx context.Context, src string, a, b int64) error {
	if b <= a {
		return nil
	}
	out, err := c.o.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &c.o.bucket, Key: &src,
		Range: sdkaws.String(fmt.Sprintf("bytes=%d-%d", a, b-1))})
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	defer out.Body.Close()
	n, err := io.Copy(&c.pending, io.LimitReader(out.Body, b-a))
	if err == nil && n != b-a {
		err = fmt.Errorf("read %s: %d bytes, want %d", src, n, b-a)
	}
	c.stats.BytesThrough += n
	return err
}

// flush uploads the pending bytes as the next part.
func (c *composer) flush(ctx context.Context) error {
	n, err := c.next()
	if err != nil {
		return err
	}
	out, err := c.o.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: &c.o.bucket, Key: &c.key, UploadId: c.id,
		PartNumber: sdkaws.Int32(n), Body: bytes.NewReader(c.pending.Bytes()), ContentLength: sdkaws.Int64(int64(c.pending.Len()))})
	if err != nil {
		return fmt.Errorf("upload part %d: %w", n, err)
	}
	c.parts[n-1].ETag = out.ETag
	c.stats.UploadParts++
	c.pending.Reset()
	return nil
}

// copy adds bytes [a, b) of src as the next part, copied by S3 (in the background, a few at a
// time).
func (c *composer) copy(ctx context.Context, src string, a, b int64) error {
	n, err := c.next()
	if err != nil {
		return err
	}
	c.stats.CopyParts++
	in := &s3.UploadPartCopyInput{Bucket: &c.o.bucket, Key: &c.key, UploadId: c.id, PartNumber: sdkaws.Int32(n),
		CopySource:      sdkaws.String(c.o.bucket + "/" + escapeKeyPath(src)),
		CopySourceRange: sdkaws.String(fmt.Sprintf("bytes=%d-%d", a, b-1))}
	c.sem <- struct{}{}
	c.wg.Add(1)
	go func() {
		defer func() { <-c.sem; c.wg.Done() }()
		out, err := c.o.s3.UploadPartCopy(ctx, in)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			if c.err == nil {
				c.err = fmt.Errorf("copy part %d from %s: %w", n, src, err)
			}
			return
		}
		if out.CopyPartResult != nil {
			c.parts[n-1].ETag = out.CopyPartResult.ETag
		}
	}()
	return c.firstErr()
}

func (c *composer) firstErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// escapeKeyPath URL-encodes a key for CopySource, keeping its slashes.
func escapeKeyPath(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
