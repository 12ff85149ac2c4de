package aws

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ream-dev/ream/shared/job"
)

// kmsFakeS3 records the server-side encryption of the writes it gets; fail makes writes fail
// with that S3 error code. Other S3API methods are not expected (nil embedded interface).
type kmsFakeS3 struct {
	S3API
	mu     sync.Mutex
	writes map[string]string // key → "aws:kms <key id>", or "" without SSE
	size   int64             // HeadObject's ContentLength for every source
	fail   string
}

func sseOf(sse s3types.ServerSideEncryption, id *string) string {
	if sse == "" {
		return ""
	}
	return string(sse) + " " + sdkaws.ToString(id)
}

func (f *kmsFakeS3) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if _, err := io.Copy(io.Discard, in.Body); err != nil {
		return nil, err
	}
	if f.fail != "" {
		return nil, &smithy.GenericAPIError{Code: f.fail, Message: "refused"}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes[*in.Key] = sseOf(in.ServerSideEncryption, in.SSEKMSKeyId)
	return &s3.PutObjectOutput{}, nil
}

func (f *kmsFakeS3) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	f.mu.Lock()
	f.writes[*in.Key] = sseOf(in.ServerSideEncryption, in.SSEKMSKeyId)
	f.mu.Unlock()
	// Stop here: what the test checks is how the upload was created.
	return nil, &smithy.GenericAPIError{Code: f.fail, Message: "stop after create"}
}

func (f *kmsFakeS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return &s3.HeadObjectOutput{ContentLength: sdkaws.Int64(f.size)}, nil
}

func (f *kmsFakeS3) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader(strings.Repeat("x", int(f.size)))), ContentLength: sdkaws.Int64(f.size)}, nil
}

// TestWithKMSKeyView: a job's KMS key (WithKMSKey) encrypts what the view's Put and Compose write
// (single PUTs and multipart uploads), leaving the store's own key for everything else; a write
// the key refuses is ErrInvalid on the view (the job fails with the reason) and a plain error on
// the store.
func TestWithKMSKeyView(t *testing.T) {
	ctx := context.Background()
	const bucketKey, jobKey = "arn:aws:kms:eu-west-1:111122223333:key/bucket", "alias/team-outputs"
	fake := &kmsFakeS3{writes: map[string]string{}, size: 3}
	store := NewObjects(fake, nil, "bucket", WithKMSKey(bucketKey))
	view := store.WithKMSKey(jobKey)

	if err := store.Put(ctx, "work/t/j/shards/0", strings.NewReader("abc")); err != nil {
		t.Fatal(err)
	}
	if err := view.Put(ctx, "outputs/t/j/manifest.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if err := view.Compose(ctx, "outputs/t/j/output.tar.gz", []string{"work/t/j/a", "work/t/j/b"}); err != nil {
		t.Fatal(err) // 6 bytes in all: read and put in one PutObject
	}
	want := map[string]string{
		"work/t/j/shards/0":         "aws:kms " + bucketKey,
		"outputs/t/j/manifest.json": "aws:kms " + jobKey,
		"outputs/t/j/output.tar.gz": "aws:kms " + jobKey,
	}
	for k, w := range want {
		if fake.writes[k] != w {
			t.Errorf("%s written with %q, want %q", k, fake.writes[k], w)
		}
	}

	// A multipart compose (sources of 6 MiB) creates its upload under the job's key.
	fake.size, fake.fail = 6<<20, "KMS.NotFoundException"
	err := view.Compose(ctx, "outputs/t/j/big.tar.gz", []string{"work/t/j/a", "work/t/j/b"})
	if got := fake.writes["outputs/t/j/big.tar.gz"]; got != "aws:kms "+jobKey {
		t.Errorf("multipart upload created with %q, want the job's key", got)
	}
	if !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), jobKey) {
		t.Errorf("compose refused by the job's key: %v; want ErrInvalid naming the key", err)
	}
	fake.size = 3
	for _, code := range []string{"AccessDenied", "KMS.DisabledException"} {
		fake.fail = code
		if err := view.Put(ctx, "outputs/t/j/manifest.json", strings.NewReader("{}")); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("%s under the job's key: %v; want ErrInvalid", code, err)
		}
		if err := store.Put(ctx, "work/t/j/x", strings.NewReader("{}")); err == nil || errors.Is(err, job.ErrInvalid) {
			t.Errorf("%s under the store's key: %v; want a plain (retryable) error", code, err)
		}
	}
}
