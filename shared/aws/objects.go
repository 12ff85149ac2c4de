package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// S3API is the part of the S3 client the Objects adapter calls: the object operations, listing,
// and the multipart calls of feature/s3/manager's Uploader.
type S3API interface {
	manager.UploadAPIClient // PutObject, UploadPart, CreateMultipartUpload, CompleteMultipartUpload, AbortMultipartUpload
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, opts ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error)
	s3.ListObjectsV2APIClient
}

// S3PresignAPI is the part of s3.PresignClient the Objects adapter calls.
type S3PresignAPI interface {
	PresignPutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// Objects is pipeline.Objects on one S3 bucket.
//
// Put streams through feature/s3/manager's Uploader: bodies smaller than one part go up in a
// single PutObject; larger ones in a multipart upload whose parts are buffered one at a time (a
// few parts in flight), so memory is bounded by PartSize×Concurrency whatever the body's size.
// S3 replaces an object atomically in both cases.
type Objects struct {
	s3      S3API
	presign S3PresignAPI
	bucket  string
	kmsKey  string
	// jobKey is set on a WithKMSKey view: kmsKey is a job's own key.
	jobKey bool
	up     *manager.Uploader
}

var _ pipeline.KMSObjects = (*Objects)(nil)

// ObjectsOption configures NewObjects.
type ObjectsOption func(*objectsConfig)

type objectsConfig struct {
	kmsKey      string
	partSize    int64
	concurrency int
}

// WithKMSKey encrypts every object Put writes with SSE-KMS under keyID, and binds presigned
// PUT URLs to it: the URL signs the x-amz-server-side-encryption headers, which are returned in
// Presigned.Headers and must be sent with the upload.
func WithKMSKey(keyID string) ObjectsOption { return func(c *objectsConfig) { c.kmsKey = keyID } }

// WithPartSize sets the multipart part size (at least 5 MiB; manager.DefaultUploadPartSize by
// default) and how many parts are uploaded at once (manager.DefaultUploadConcurrency).
func WithPartSize(size int64, concurrency int) ObjectsOption {
	return func(c *objectsConfig) { c.partSize, c.concurrency = size, concurrency }
}

// NewObjects returns the store on bucket. client is an *s3.Client (with UsePathStyle for
// MinIO) and presigner the s3.PresignClient built from it.
func NewObjects(client S3API, presigner S3PresignAPI, bucket string, opts ...ObjectsOption) *Objects {
	c := objectsConfig{partSize: manager.DefaultUploadPartSize, concurrency: manager.DefaultUploadConcurrency}
	for _, o := range opts {
		o(&c)
	}
	if c.partSize < manager.MinUploadPartSize {
		c.partSize = manager.MinUploadPartSize
	}
	if c.concurrency < 1 {
		c.concurrency = 1
	}
	return &Objects{
		s3: client, presign: presigner, bucket: bucket, kmsKey: c.kmsKey,
		up: manager.NewUploader(client, func(u *manager.Uploader) {
			u.PartSize = c.partSize
			u.Concurrency = c.concurrency
			u.LeavePartsOnError = false
		}),
	}
}

// WithKMSKey implements pipeline.KMSObjects: the same store (bucket, client, uploader) whose
// Put and Compose write with SSE-KMS under keyID, for a job's OutputDataConfig.KmsKeyId. A write
// the key refuses (KMS errors, or S3's AccessDenied for the key) wraps job.ErrInvalid, so the
// job fails with the reason instead of being retried. Presigned URLs are unchanged.
func (o *Objects) WithKMSKey(keyID string) pipeline.Objects {
	v := *o
	v.kmsKey = keyID
	v.jobKey = true
	return &v
}

// keyErr marks an error of a write under a job's KMS key that the key caused.
func (o *Objects) keyErr(err error) error {
	if !o.jobKey || err == nil {
		return err
	}
	code := apiCode(err)
	if strings.HasPrefix(code, "KMS.") || code == "AccessDenied" || code == "InvalidArgument" {
		return fmt.Errorf("%w: the job's KMS key %s cannot be used: %w", job.ErrInvalid, o.kmsKey, err)
	}
	return err
}

// Bucket returns the bucket the store writes to.
func (o *Objects) Bucket() string { return o.bucket }

// Put implements pipeline.Objects.
func (o *Objects) Put(ctx context.Context, key string, r io.Reader) error {
	in := &s3.PutObjectInput{Bucket: &o.bucket, Key: &key, Body: r}
	o.sse(in)
	if _, err := o.up.Upload(ctx, in); err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", o.bucket, key, o.keyErr(mapS3Err(err)))
	}
	return nil
}

func (o *Objects) sse(in *s3.PutObjectInput) {
	if o.kmsKey != "" {
		in.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = sdkaws.String(o.kmsKey)
	}
}

// Open implements pipeline.Objects with a ranged GetObject ("bytes=offset-"). An offset at or
// past the end of an existing object yields an empty body.
func (o *Objects) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("open s3://%s/%s at %d: negative offset: %w", o.bucket, key, offset, job.ErrInvalid)
	}
	in := &s3.GetObjectInput{Bucket: &o.bucket, Key: &key}
	if offset > 0 {
		in.Range = sdkaws.String("bytes=" + strconv.FormatInt(offset, 10) + "-")
	}
	out, err := o.s3.GetObject(ctx, in)
	if err != nil {
		if offset > 0 && apiCode(err) == "InvalidRange" {
			// The object exists but is shorter than offset.
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, fmt.Errorf("open s3://%s/%s: %w", o.bucket, key, mapS3Err(err))
	}
	return out.Body, nil
}

// OpenInfo implements pipeline.Objects with one GetObject: its Content-Length and ETag
// describe the version whose body it streams.
func (o *Objects) OpenInfo(ctx context.Context, key string) (io.ReadCloser, pipeline.ObjectInfo, error) {
	out, err := o.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &o.bucket, Key: &key})
	if err != nil {
		return nil, pipeline.ObjectInfo{}, fmt.Errorf("open s3://%s/%s: %w", o.bucket, key, mapS3Err(err))
	}
	info := pipeline.ObjectInfo{Key: key, Size: sdkaws.ToInt64(out.ContentLength), ETag: strings.Trim(sdkaws.ToString(out.ETag), `"`)}
	if out.LastModified != nil {
		info.LastModified = *out.LastModified
	}
	return out.Body, info, nil
}

// Head implements pipeline.Objects.
func (o *Objects) Head(ctx context.Context, key string) (pipeline.ObjectInfo, error) {
	out, err := o.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &o.bucket, Key: &key})
	if err != nil {
		return pipeline.ObjectInfo{}, fmt.Errorf("head s3://%s/%s: %w", o.bucket, key, mapS3Err(err))
	}
	info := pipeline.ObjectInfo{Key: key, Size: sdkaws.ToInt64(out.ContentLength), ETag: strings.Trim(sdkaws.ToString(out.ETag), `"`)}
	if out.LastModified != nil {
		info.LastModified = *out.LastModified
	}
	return info, nil
}

// List implements pipeline.Objects with the ListObjectsV2 paginator (S3 returns keys in UTF-8
// binary order, which is Go's string order).
func (o *Objects) List(ctx context.Context, prefix string, fn func(pipeline.ObjectInfo) error) error {
	p := s3.NewListObjectsV2Paginator(o.s3, &s3.ListObjectsV2Input{Bucket: &o.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", o.bucket, prefix, mapS3Err(err))
		}
		for _, obj := range page.Contents {
			info := pipeline.ObjectInfo{Key: sdkaws.ToString(obj.Key), Size: sdkaws.ToInt64(obj.Size), ETag: strings.Trim(sdkaws.ToString(obj.ETag), `"`)}
			if obj.LastModified != nil {
				info.LastModified = *obj.LastModified
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements pipeline.Objects (S3 answers 204 for a missing key too).
func (o *Objects) Delete(ctx context.Context, key string) error {
	if _, err := o.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &o.bucket, Key: &key}); err != nil {
		if errors.Is(mapS3Err(err), job.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("delete s3://%s/%s: %w", o.bucket, key, mapS3Err(err))
	}
	return nil
}

// maxDeleteKeys is the most keys one S3 DeleteObjects request takes.
const maxDeleteKeys = 1000

// DeleteKeys implements pipeline.Objects with one DeleteObjects request (quiet: only failures
// are answered) per 1,000 keys. S3 answers a missing key as deleted. A key XML cannot carry
// (xmlCarries) is deleted by Delete, its key in the URL: DeleteObjects names keys in an XML body,
// where the SDK's encoder replaces such a character by U+FFFD, so S3 would delete another,
// missing, key and answer success, leaving this one (found in review: an UploadFiles name with
// U+FFFF, which layout.CheckKey accepts, outlived its job's expiry).
func (o *Objects) DeleteKeys(ctx context.Context, keys []string) error {
	var errs []error
	var batchable []string
	for _, k := range keys {
		if xmlCarries(k) {
			batchable = append(batchable, k)
		} else if err := o.Delete(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	for batch := range slices.Chunk(batchable, maxDeleteKeys) {
		ids := make([]s3types.ObjectIdentifier, len(batch))
		for i := range batch {
			ids[i] = s3types.ObjectIdentifier{Key: &batch[i]}
		}
		out, err := o.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &o.bucket,
			Delete: &s3types.Delete{Objects: ids, Quiet: sdkaws.Bool(true)}})
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("delete %d objects of s3://%s: %w", len(batch), o.bucket, mapS3Err(err)))...)
		}
		for _, e := range out.Errors {
			if sdkaws.ToString(e.Code) == "NoSuchKey" {
				continue
			}
			errs = append(errs, fmt.Errorf("delete s3://%s/%s: %s: %s", o.bucket, sdkaws.ToString(e.Key), sdkaws.ToString(e.Code), sdkaws.ToString(e.Message)))
		}
	}
	return errors.Join(errs...)
}

// xmlCarries reports whether key can be named in an XML 1.0 document as it is: valid UTF-8 of
// characters in XML's Char production (tab, line feed, carriage return, U+0020–U+D7FF,
// U+E000–U+FFFD, U+10000–U+10FFFF). The others (C0 controls, U+FFFE, U+FFFF) cannot be
// written even as character references.
func xmlCarries(key string) bool {
	if !utf8.ValidString(key) {
		return false
	}
	for _, r := range key {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000:
		default:
			return false
		}
	}
	return true
}

// PresignPut implements pipeline.Objects: a SigV4 presigned PutObject URL. With a KMS key the
// SSE-KMS headers are signed and returned in Headers; an upload without them is refused.
func (o *Objects) PresignPut(ctx context.Context, key string, ttl time.Duration) (api.Presigned, error) {
	in := &s3.PutObjectInput{Bucket: &o.bucket, Key: &key}
	o.sse(in)
	req, err := o.presign.PresignPutObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return api.Presigned{}, fmt.Errorf("presign PUT s3://%s/%s: %w", o.bucket, key, err)
	}
	return presigned(req)
}

// PresignGet implements pipeline.Objects: a SigV4 presigned GetObject URL (Range requests
// work with it).
func (o *Objects) PresignGet(ctx context.Context, key string, ttl time.Duration) (api.Presigned, error) {
	req, err := o.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &o.bucket, Key: &key}, s3.WithPresignExpires(ttl))
	if err != nil {
		return api.Presigned{}, fmt.Errorf("presign GET s3://%s/%s: %w", o.bucket, key, err)
	}
	return presigned(req)
}

// presigned converts the SDK's request; the signed headers other than Host (which every HTTP
// client sets from the URL) must be sent by the client, so they are returned, named in lower
// case. Expires is the instant S3 stops taking the URL, read from the URL itself: its
// X-Amz-Date (the signing time, in whole seconds) plus its X-Amz-Expires (the ttl, in whole
// seconds). Found in the time review: it was the adapter's clock plus the ttl, with a fraction
// of a second, later than the URL really works, where the local store names the whole second
// its URL stops at.
func presigned(req *v4.PresignedHTTPRequest) (api.Presigned, error) {
	expires, err := presignedExpiry(req.URL)
	if err != nil {
		return api.Presigned{}, err
	}
	p := api.Presigned{URL: req.URL, Method: req.Method, Expires: expires}
	for name, vals := range req.SignedHeader {
		if strings.EqualFold(name, "Host") || len(vals) == 0 {
			continue
		}
		if p.Headers == nil {
			p.Headers = map[string]string{}
		}
		// Lower case, as the local store and the README write them (found from outside: a client
		// looking up "x-amz-server-side-encryption" found nothing on AWS).
		p.Headers[strings.ToLower(name)] = strings.Join(vals, ",")
	}
	return p, nil
}

// presignedExpiry is X-Amz-Date plus X-Amz-Expires of a SigV4 presigned URL.
func presignedExpiry(rawURL string) (time.Time, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return time.Time{}, fmt.Errorf("presigned URL: %w", err)
	}
	q := u.Query()
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return time.Time{}, fmt.Errorf("presigned URL: X-Amz-Date %q: %w", q.Get("X-Amz-Date"), err)
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 0 {
		return time.Time{}, fmt.Errorf("presigned URL: X-Amz-Expires %q is not a number of seconds", q.Get("X-Amz-Expires"))
	}
	return signed.Add(time.Duration(secs) * time.Second).UTC(), nil
}

// mapS3Err wraps "no such key" answers with job.ErrNotFound, and an archived object's
// InvalidObjectState with a *job.ArchivedError, keeping the SDK error in the chain.
func mapS3Err(err error) error {
	switch apiCode(err) {
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("%w: %w", job.ErrNotFound, err)
	case "InvalidObjectState":
		return fmt.Errorf("%w: %w", &job.ArchivedError{Class: archivedClass(err)}, err)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound && apiCode(err) != "NoSuchBucket" {
		return fmt.Errorf("%w: %w", job.ErrNotFound, err)
	}
	return err
}

// archivedClass names the storage class (and Intelligent-Tiering access tier) an
// InvalidObjectState answer gives, or "unknown" when it gives none.
func archivedClass(err error) string {
	var st *s3types.InvalidObjectState
	if !errors.As(err, &st) || st.StorageClass == "" {
		return "unknown"
	}
	if st.AccessTier != "" {
		return fmt.Sprintf("%s (%s tier)", st.StorageClass, st.AccessTier)
	}
	return string(st.StorageClass)
}

// apiCode returns the service's error code, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
