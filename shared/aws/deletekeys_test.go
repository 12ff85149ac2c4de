package aws

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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

// wireS3 answers the S3 client's requests in process, recording the keys each DeleteObjects XML
// body and each DeleteObject URL names, as S3 would read them.
type wireS3 struct {
	batched, single []string
	unsummed        int // DeleteObjects requests with neither Content-MD5 nor x-amz-checksum-*
}

func (w *wireS3) RoundTrip(r *http.Request) (*http.Response, error) {
	answer := func(status int, body string) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Query().Has("delete"):
		var del struct {
			Objects []struct{ Key string } `xml:"Object"`
		}
		if err := xml.NewDecoder(r.Body).Decode(&del); err != nil {
			return answer(http.StatusBadRequest, "<Error><Code>MalformedXML</Code></Error>")
		}
		if r.Header.Get("Content-MD5") == "" && !slices.ContainsFunc(slices.Collect(maps.Keys(r.Header)), func(h string) bool {
			return strings.HasPrefix(strings.ToLower(h), "x-amz-checksum-")
		}) {
			w.unsummed++
		}
		for _, o := range del.Objects {
			w.batched = append(w.batched, o.Key)
		}
		return answer(http.StatusOK, "<DeleteResult></DeleteResult>")
	case r.Method == http.MethodDelete:
		key, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/b/"))
		if err != nil {
			return nil, err
		}
		w.single = append(w.single, key)
		return answer(http.StatusNoContent, "")
	}
	return answer(http.StatusNotImplemented, "")
}

// Every key DeleteKeys is given is the key S3 deletes, whatever its characters (found in review:
// a key with U+FFFF or U+FFFE, which XML 1.0 cannot carry, was sent in DeleteObjects' body as
// U+FFFD, so S3 deleted another, missing, key, answered success, and the object stayed). Each
// DeleteObjects request carries the checksum S3 requires of it (the SDK adds a CRC32).
func TestDeleteKeysAsS3ReadsThem(t *testing.T) {
	wire := &wireS3{}
	c := s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: sdkaws.String("http://s3.test"), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), HTTPClient: &http.Client{Transport: wire}})
	keys := []string{"work/t/j/shards/000001.seg", "inputs/t/j/files/a&b<c>'\"d.txt", "inputs/t/j/files/café 文档.txt",
		"inputs/t/j/files/ends in space ", "inputs/t/j/files/tab\there.txt", "inputs/t/j/files/non\uffffchar.txt",
		"inputs/t/j/files/\ufffe.txt", "inputs/t/j/files/bell\a.txt", "inputs/t/j/files/\U0001F600.txt"}
	if err := NewObjects(c, nil, "b").DeleteKeys(context.Background(), keys); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(append(slices.Clone(wire.batched), wire.single...)))
	if want := slices.Sorted(slices.Values(keys)); !slices.Equal(got, want) {
		t.Errorf("S3 was asked to delete %q, want %q", got, want)
	}
	if len(wire.batched) < len(keys)-3 || wire.unsummed != 0 {
		t.Errorf("%d keys in DeleteObjects (%d requests without a checksum), want all but the 3 XML cannot carry, summed",
			len(wire.batched), wire.unsummed)
	}
}
