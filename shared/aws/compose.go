package aws

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// S3's multipart limits: every part but the last holds at least 5 MiB, a copied part at most
// 5 GiB, an upload at most 10,000 parts.
const (
	minPartSize  = manager.MinUploadPartSize
	maxCopyPart  = 5 << 30
	maxParts     = int(manager.MaxUploadParts)
	copyParallel = 8 // UploadPartCopy calls in flight
	// uploadParallel bounds the uploaded parts being assembled at once: each is held in memory
	// (under 10 MiB), so at most about 40 MiB are.
	uploadParallel = 4
	// readParallel bounds the ranged GETs of one uploaded part in flight: a run of small
	// sources (1 MiB shards) is read a few at a time, not one after another.
	readParallel = 8
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
// the same way and stored with one PutObject. The parts are planned first (planParts), then
// copied and uploaded several at a time, the reads of an uploaded part's sources too.
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
		var all []byteRange
		for i, src := range srcs {
			all = append(all, byteRange{src, 0, sizes[i]})
		}
		b, err := o.readRanges(ctx, all)
		if err != nil {
			return st, fmt.Errorf("compose s3://%s/%s: %w", o.bucket, key, mapS3Err(err))
		}
		st.BytesThrough = int64(len(b))
		return st, o.Put(ctx, key, bytes.NewReader(b))
	}
	parts, err := planParts(srcs, sizes)
	if err != nil {
		return st, fmt.Errorf("compose s3://%s/%s: %w", o.bucket, key, err)
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
	completed, err := o.sendParts(ctx, key, up.UploadId, parts)
	if err == nil {
		_, err = o.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &o.bucket, Key: &key, UploadId: up.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: completed},
		})
	}
	if err != nil {
		_, _ = o.s3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &o.bucket, Key: &key, UploadId: up.UploadId})
		return st, fmt.Errorf("compose s3://%s/%s: %w", o.bucket, key, o.keyErr(mapS3Err(err)))
	}
	for _, p := range parts {
		if p.ranges == nil {
			st.CopyParts++
			continue
		}
		st.UploadParts++
		st.BytesThrough += p.size()
	}
	return st, nil
}

// sizes heads every source, a few at a time.
func (o *Objects) sizes(ctx context.Context, srcs []string) ([]int64, error) {
	sizes := make([]int64, len(srcs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(headParallel)
	for i, k := range srcs {
		g.Go(func() error {
			info, err := o.Head(gctx, k)
			sizes[i] = info.Size
			return err
		})
	}
	return sizes, g.Wait()
}

// byteRange is bytes [a, b) of the object src.
type byteRange struct {
	src  string
	a, b int64
}

// part is one part of the composed object: a server-side copy of copy, or (ranges set) the
// concatenation of ranges read and uploaded.
type part struct {
	copy   byteRange
	ranges []byteRange
}

func (p part) size() int64 {
	if p.ranges == nil {
		return p.copy.b - p.copy.a
	}
	var n int64
	for _, r := range p.ranges {
		n += r.b - r.a
	}
	return n
}

// planParts cuts the concatenation of srcs (of sizes) into parts S3 accepts: a source of at
// least 5 MiB that starts a part is copied (in slices of at most 5 GiB, all but the last at
// least 5 MiB); a run of smaller sources is read and uploaded as one part, topped up to 5 MiB
// with the beginning of the source after it. Every part but the last holds at least 5 MiB.
func planParts(srcs []string, sizes []int64) ([]part, error) {
	var parts []part
	var pending []byteRange
	var pendingLen int64
	flush := func() {
		parts = append(parts, part{ranges: pending})
		pending, pendingLen = nil, 0
	}
	for i, src := range srcs {
		size, off := sizes[i], int64(0)
		if pendingLen > 0 {
			// Fill the pending part up to the minimum from this source's beginning.
			take := min(minPartSize-pendingLen, size)
			if take > 0 {
				pending = append(pending, byteRange{src, 0, take})
				pendingLen += take
			}
			off = take
			if pendingLen >= minPartSize {
				flush()
			}
		}
		rest := size - off
		switch {
		case rest == 0:
		case pendingLen == 0 && rest >= minPartSize:
			// Copy [off, size) server-side in equal slices of at most 5 GiB.
			n := (rest + maxCopyPart - 1) / maxCopyPart
			for k := int64(0); k < n; k++ {
				parts = append(parts, part{copy: byteRange{src, off + rest*k/n, off + rest*(k+1)/n}})
			}
		default:
			pending = append(pending, byteRange{src, off, size})
			pendingLen += rest
			if pendingLen >= minPartSize {
				flush()
			}
		}
	}
	if pendingLen > 0 {
		flush() // the last part may be small
	}
	if len(parts) > maxParts {
		return nil, fmt.Errorf("the output needs %d parts, more than S3's %d", len(parts), maxParts)
	}
	return parts, nil
}

// sendParts copies and uploads parts as the parts of upload id of key, several at a time, and
// returns them completed in order; the first error cancels the rest.
func (o *Objects) sendParts(ctx context.Context, key string, id *string, parts []part) ([]s3types.CompletedPart, error) {
	completed := make([]s3types.CompletedPart, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(copyParallel + uploadParallel)
	uploads := make(chan struct{}, uploadParallel) // at most uploadParallel parts held in memory
	copies := make(chan struct{}, copyParallel)
	for i, p := range parts {
		n := int32(i + 1)
		slots := uploads
		if p.ranges == nil {
			slots = copies
		}
		select {
		case slots <- struct{}{}:
		case <-gctx.Done():
			return nil, cmp.Or(g.Wait(), gctx.Err())
		}
		g.Go(func() error {
			defer func() { <-slots }()
			if p.ranges == nil {
				out, err := o.s3.UploadPartCopy(gctx, &s3.UploadPartCopyInput{Bucket: &o.bucket, Key: &key, UploadId: id, PartNumber: sdkaws.Int32(n),
					CopySource:      sdkaws.String(o.bucket + "/" + escapeKeyPath(p.copy.src)),
					CopySourceRange: sdkaws.String(fmt.Sprintf("bytes=%d-%d", p.copy.a, p.copy.b-1))})
				if err != nil {
					return fmt.Errorf("copy part %d from %s: %w", n, p.copy.src, err)
				}
				completed[i] = s3types.CompletedPart{PartNumber: sdkaws.Int32(n)}
				if out.CopyPartResult != nil {
					completed[i].ETag = out.CopyPartResult.ETag
				}
				return nil
			}
			b, err := o.readRanges(gctx, p.ranges)
			if err != nil {
				return err
			}
			out, err := o.s3.UploadPart(gctx, &s3.UploadPartInput{Bucket: &o.bucket, Key: &key, UploadId: id,
				PartNumber: sdkaws.Int32(n), Body: bytes.NewReader(b), ContentLength: sdkaws.Int64(int64(len(b)))})
			if err != nil {
				return fmt.Errorf("upload part %d: %w", n, err)
			}
			completed[i] = s3types.CompletedPart{PartNumber: sdkaws.Int32(n), ETag: out.ETag}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return completed, nil
}

// readRanges reads ranges into one buffer, in their order, a few GETs at a time.
func (o *Objects) readRanges(ctx context.Context, ranges []byteRange) ([]byte, error) {
	offs := make([]int64, len(ranges)+1)
	for i, r := range ranges {
		offs[i+1] = offs[i] + max(r.b-r.a, 0)
	}
	buf := make([]byte, offs[len(ranges)])
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readParallel)
	for i, r := range ranges {
		if r.b <= r.a {
			continue
		}
		g.Go(func() error { return o.readRange(gctx, r, buf[offs[i]:offs[i+1]]) })
	}
	return buf, g.Wait()
}

// readRange reads r into dst (len(dst) = r.b - r.a).
func (o *Objects) readRange(ctx context.Context, r byteRange, dst []byte) error {
	out, err := o.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &o.bucket, Key: &r.src,
		Range: sdkaws.String(fmt.Sprintf("bytes=%d-%d", r.a, r.b-1))})
	if err != nil {
		return fmt.Errorf("read %s: %w", r.src, err)
	}
	defer out.Body.Close()
	if n, err := io.ReadFull(out.Body, dst); err != nil {
		return fmt.Errorf("read %s: %d bytes, want %d: %w", r.src, n, len(dst), err)
	}
	return nil
}

// escapeKeyPath URL-encodes a key for CopySource, keeping its slashes.
func escapeKeyPath(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
