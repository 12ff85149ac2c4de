package aws

import (
	"context"
	"fmt"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// batchS3 records the DeleteObjects requests it gets and answers the keys in refuse as failed.
type batchS3 struct {
	S3API   // methods DeleteKeys does not use panic
	batches []int
	quiet   bool
	refuse  map[string]string // key → error code
}

func (b *batchS3) DeleteObjects(_ context.Context, in *s3.DeleteObjectsInput, _ ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	b.batches = append(b.batches, len(in.Delete.Objects))
	b.quiet = sdkaws.ToBool(in.Delete.Quiet)
	out := &s3.DeleteObjectsOutput{}
	for _, o := range in.Delete.Objects {
		if code, ok := b.refuse[*o.Key]; ok {
			out.Errors = append(out.Errors, s3types.Error{Key: o.Key, Code: sdkaws.String(code), Message: sdkaws.String("refused")})
		}
	}
	return out, nil
}

// A job's work objects are deleted 1,000 a request (found by the capacity count: the cleanup
// after a job sent one DeleteObject per shard member, one after another, ≈ 1,000 requests for
// README's 1 GB job).
func TestDeleteKeysBatches(t *testing.T) {
	keys := make([]string, 2500)
	for i := range keys {
		keys[i] = fmt.Sprintf("work/t/j/shards/%06d", i)
	}
	fake := &batchS3{refuse: map[string]string{keys[7]: "NoSuchKey", keys[2100]: "AccessDenied"}}
	o := NewObjects(fake, nil, "b")
	err := o.DeleteKeys(context.Background(), keys)
	if fmt.Sprint(fake.batches) != "[1000 1000 500]" || !fake.quiet {
		t.Errorf("DeleteObjects requests of %v keys (quiet %v), want [1000 1000 500], quiet", fake.batches, fake.quiet)
	}
	if err == nil || !strings.Contains(err.Error(), keys[2100]) || strings.Contains(err.Error(), keys[7]) {
		t.Errorf("DeleteKeys = %v; want the refused key's error only (a missing key is deleted)", err)
	}
	fake.batches = nil
	if err := o.DeleteKeys(context.Background(), nil); err != nil || len(fake.batches) != 0 {
		t.Errorf("DeleteKeys(none) = %v after %d requests, want nil after none", err, len(fake.batches))
	}
}
