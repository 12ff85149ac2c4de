package aws

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

func offlineS3(t *testing.T) *Clients {
	t.Helper()
	cfg := sdkaws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	return ClientsFromConfig(cfg, Endpoints{S3: "http://127.0.0.1:1", S3PathStyle: true})
}

// TestPresignPutBindsKMS checks, without any network, that a KMS key puts the SSE-KMS headers
// into the signature and into Presigned.Headers, which the client must send.
func TestPresignPutBindsKMS(t *testing.T) {
	c := offlineS3(t)
	objs := NewObjects(c.S3, c.Presign, "bucket", WithKMSKey("arn:aws:kms:eu-west-1:111122223333:key/abc"))
	p, err := objs.PresignPut(context.Background(), "inputs/t/j/input.txt", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if p.Method != http.MethodPut {
		t.Fatalf("presigned %+v", p)
	}
	if got := p.Headers["x-amz-server-side-encryption"]; got != "aws:kms" {
		t.Fatalf("Headers = %v, want x-amz-server-side-encryption: aws:kms", p.Headers)
	}
	if got := p.Headers["x-amz-server-side-encryption-aws-kms-key-id"]; got != "arn:aws:kms:eu-west-1:111122223333:key/abc" {
		t.Fatalf("Headers = %v, want the KMS key id", p.Headers)
	}
	if _, ok := p.Headers["host"]; ok {
		t.Fatalf("Headers include Host: %v", p.Headers)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	signed := u.Query().Get("X-Amz-SignedHeaders")
	for _, h := range []string{"x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"} {
		if !strings.Contains(signed, h) {
			t.Errorf("X-Amz-SignedHeaders %q lacks %s", signed, h)
		}
	}
	if u.Query().Get("X-Amz-Expires") != "900" || !strings.HasSuffix(u.Path, "/bucket/inputs/t/j/input.txt") {
		t.Errorf("URL %s", p.URL)
	}

	// Without a key, no header is required.
	plain := NewObjects(c.S3, c.Presign, "bucket")
	p, err = plain.PresignPut(context.Background(), "k", time.Minute)
	if err != nil || len(p.Headers) != 0 {
		t.Fatalf("PresignPut without KMS: headers %v, %v", p.Headers, err)
	}
	g, err := plain.PresignGet(context.Background(), "k", time.Minute)
	if err != nil || g.Method != http.MethodGet || len(g.Headers) != 0 {
		t.Fatalf("PresignGet: %+v, %v", g, err)
	}
}

// TestPresignedExpiresIsWhenS3StopsTakingIt: Presigned.Expires is the URL's X-Amz-Date plus its
// X-Amz-Expires, both whole seconds, the instant S3 stops taking it, as the local store's Expires
// is its URL's X-Ream-Expires. It was the adapter's clock plus the ttl: a fraction of a second
// (and up to two seconds) later than the URL works, and not a whole second. Signed offline.
func TestPresignedExpiresIsWhenS3StopsTakingIt(t *testing.T) {
	c := offlineS3(t)
	objs := NewObjects(c.S3, c.Presign, "bucket")
	for _, ttl := range []time.Duration{time.Hour, 90*time.Second + 700*time.Millisecond} {
		put, err := objs.PresignPut(context.Background(), "inputs/t/drop/f.txt", ttl)
		if err != nil {
			t.Fatal(err)
		}
		get, err := objs.PresignGet(context.Background(), "outputs/t/j/output.tar.gz", ttl)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []api.Presigned{put, get} {
			u, err := url.Parse(p.URL)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := time.Parse("20060102T150405Z", u.Query().Get("X-Amz-Date"))
			if err != nil {
				t.Fatal(err)
			}
			want := signed.Add(ttl.Truncate(time.Second))
			if u.Query().Get("X-Amz-Expires") != strconv.Itoa(int(ttl/time.Second)) || !p.Expires.Equal(want) || p.Expires.Location() != time.UTC {
				t.Errorf("%s ttl %v: Expires %s, URL X-Amz-Date %s X-Amz-Expires %s; want Expires %s (UTC)",
					p.Method, ttl, p.Expires.Format(time.RFC3339Nano), u.Query().Get("X-Amz-Date"), u.Query().Get("X-Amz-Expires"), want.Format(time.RFC3339Nano))
			}
		}
	}
	if _, err := presignedExpiry("https://bucket.s3/k?X-Amz-Date=20260101T000000Z"); err == nil {
		t.Error("presignedExpiry of a URL without X-Amz-Expires: no error")
	}
}

func TestMapS3Err(t *testing.T) {
	resp404 := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 404}}, Err: errors.New("x")}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"NoSuchKey", &s3types.NoSuchKey{}, true},
		{"NotFound", &s3types.NotFound{}, true},
		{"bare 404", resp404, true},
		{"NoSuchBucket", &smithy.GenericAPIError{Code: "NoSuchBucket"}, false},
		{"AccessDenied", &smithy.GenericAPIError{Code: "AccessDenied"}, false},
	}
	for _, tt := range tests {
		if got := errors.Is(mapS3Err(tt.err), job.ErrNotFound); got != tt.want {
			t.Errorf("%s: ErrNotFound = %v, want %v", tt.name, got, tt.want)
		}
	}
}
