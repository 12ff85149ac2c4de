package aws

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ream-dev/ream/shared/job"
)

// archivedS3 answers every GetObject as S3 answers one of an object in an archive storage class:
// 403 InvalidObjectState with the object's StorageClass (and AccessTier for Intelligent-Tiering).
type archivedS3 struct{ class, tier string }

func (a archivedS3) RoundTrip(r *http.Request) (*http.Response, error) {
	body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidObjectState</Code><Message>The operation is not valid for the object's storage class</Message><StorageClass>` +
		a.class + `</StorageClass>`
	if a.tier != "" {
		body += `<AccessTier>` + a.tier + `</AccessTier>`
	}
	body += `<RequestId>R</RequestId><HostId>H</HostId></Error>`
	return &http.Response{StatusCode: http.StatusForbidden, Header: http.Header{"Content-Type": {"application/xml"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// TestOpenArchivedObject: an object in an archive storage class (GetObject's 403
// InvalidObjectState) is a *job.ArchivedError naming its class, at any offset, so the pipeline
// makes it an error of that object (a per-document record, or a failed job whose Message says to
// restore it) instead of an error of the store retried until the shard is dead-lettered (before,
// it was returned as the SDK's error alone).
func TestOpenArchivedObject(t *testing.T) {
	for _, tt := range []struct{ class, tier, want string }{
		{"GLACIER", "", "GLACIER"},
		{"DEEP_ARCHIVE", "", "DEEP_ARCHIVE"},
		{"INTELLIGENT_TIERING", "ARCHIVE_ACCESS", "INTELLIGENT_TIERING (ARCHIVE_ACCESS tier)"},
	} {
		c := s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: sdkaws.String("http://s3.test"), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), HTTPClient: &http.Client{Transport: archivedS3{tt.class, tt.tier}}})
		o := NewObjects(c, nil, "b")
		for _, offset := range []int64{0, 10} {
			_, err := o.Open(context.Background(), "inputs/t/dir/a.txt", offset)
			var a *job.ArchivedError
			if !errors.As(err, &a) || a.Class != tt.want || errors.Is(err, job.ErrNotFound) || !strings.Contains(err.Error(), "s3://b/inputs/t/dir/a.txt") {
				t.Errorf("%s at %d: Open = %v; want an ArchivedError of class %q naming the object", tt.class, offset, err, tt.want)
			}
		}
	}
}
