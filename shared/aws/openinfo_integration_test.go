package aws_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestOpenInfoMatchesListing: the version a worker reads a listed file with (OpenInfo: the size
// and ETag of GetObject's answer) is the one List gave at planning, for objects whose ETag is not
// a plain MD5 or that came in other ways than the adapter's Put: a multipart upload ("<md5>-N"),
// a multipart composition, a PUT through a presigned URL, and SSE-KMS (when the store has a KMS).
// Were they to differ, every such file would fail its job as "replaced or deleted".
func TestOpenInfoMatchesListing(t *testing.T) {
	c := clients(t, "S3")
	ctx := context.Background()
	bucket := newBucket(t, c)
	objs := reamaws.NewObjects(c.S3, c.Presign, bucket, reamaws.WithPartSize(5<<20, 2))
	prefix := "openinfo/" + uniq(t) + "/"
	const size = 12<<20 + 123
	if err := objs.Put(ctx, prefix+"multipart", &pattern{n: size}); err != nil {
		t.Fatalf("Put multipart: %v", err)
	}
	for _, k := range []string{"part1", "part2"} {
		if err := objs.Put(ctx, prefix+k, &pattern{n: 6 << 20}); err != nil {
			t.Fatalf("Put %s: %v", k, err)
		}
	}
	if err := objs.Compose(ctx, prefix+"composed", []string{prefix + "part1", prefix + "part2"}); err != nil {
		t.Fatalf("Compose: %v", err)
	}
	p, err := objs.PresignPut(ctx, prefix+"presigned", time.Minute)
	if err != nil {
		t.Fatalf("PresignPut: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.URL, strings.NewReader("uploaded through a presigned URL"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %v %v", resp, err)
	}
	resp.Body.Close()
	kmsKey := prefix + "kms"
	if _, err := c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &kmsKey, Body: bytes.NewReader([]byte("encrypted with SSE-KMS")),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms}); err != nil {
		t.Logf("SSE-KMS not checked: the store refuses it (%v)", err)
	}

	var listed []pipeline.ObjectInfo
	if err := objs.List(ctx, prefix, func(o pipeline.ObjectInfo) error { listed = append(listed, o); return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(listed) < 5 {
		t.Fatalf("listed %d objects, want 5 or 6", len(listed))
	}
	for _, o := range listed {
		rc, info, err := objs.OpenInfo(ctx, o.Key)
		if err != nil {
			t.Fatalf("OpenInfo(%s): %v", o.Key, err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != o.Size || info.Size != o.Size || info.ETag != o.ETag {
			t.Errorf("%s: listed size %d ETag %q; OpenInfo size %d ETag %q, read %d bytes (%v)", o.Key, o.Size, o.ETag, info.Size, info.ETag, n, err)
		}
		t.Logf("%s: %d bytes, ETag %s", strings.TrimPrefix(o.Key, prefix), o.Size, o.ETag)
	}
}
