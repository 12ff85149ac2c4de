package local_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
)

// TestPresignedRequestsFollowS3Rules sends the local store's presigned URLs the requests a
// client's upload code may send, and checks each is answered as S3 answers it (the status and
// code; S3's bodies are XML), so that code written against `ream serve` works on AWS. S3's
// answers are those of its documentation and issue threads and of MinIO where it agrees.
func TestPresignedRequestsFollowS3Rules(t *testing.T) {
	clock := newFakeClock()
	objs := objectsServer(t, t.TempDir(), nil, local.WithClock(clock.Now))
	ctx := context.Background()
	const doc = "hello world\n"
	sum := md5.Sum([]byte(doc))
	other := md5.Sum([]byte("other"))
	b64 := base64.StdEncoding.EncodeToString
	for i, tc := range []struct {
		name       string
		method     string // of the request; the URL is a PUT URL unless getURL
		getURL     bool
		headers    map[string]string
		noSigned   bool // the signed SSE-KMS headers are not sent
		wantStatus int
		wantCode   string
	}{
		{name: "plain upload", wantStatus: 200},
		{name: "Content-Type", headers: map[string]string{"Content-Type": "text/plain"}, wantStatus: 200},
		{name: "Content-MD5 of the body", headers: map[string]string{"Content-MD5": b64(sum[:])}, wantStatus: 200},
		{name: "Content-MD5 of another body", headers: map[string]string{"Content-MD5": b64(other[:])}, wantStatus: 400, wantCode: "BadDigest"},
		{name: "Content-MD5 not base64", headers: map[string]string{"Content-MD5": "not base64!"}, wantStatus: 400, wantCode: "InvalidDigest"},
		{name: "Expect: 100-continue", headers: map[string]string{"Expect": "100-continue"}, wantStatus: 200},
		{name: "x-amzn-trace-id (not x-amz-)", headers: map[string]string{"X-Amzn-Trace-Id": "Root=1-abc"}, wantStatus: 200},
		{name: "x-amz-content-sha256 unsigned", headers: map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}, wantStatus: 200},
		// S3 refuses every x-amz- header a presigned URL does not sign.
		{name: "x-amz-meta-foo unsigned", headers: map[string]string{"X-Amz-Meta-Foo": "bar"}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "x-amz-acl unsigned", headers: map[string]string{"X-Amz-Acl": "private"}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "x-amz-storage-class unsigned", headers: map[string]string{"X-Amz-Storage-Class": "STANDARD"}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "x-amz-checksum-crc32 unsigned (right)", headers: map[string]string{"X-Amz-Checksum-Crc32": "rwg7LQ=="}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "x-amz-checksum-crc32 unsigned (wrong)", headers: map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "x-amz-checksum-sha256 unsigned", headers: map[string]string{"X-Amz-Checksum-Sha256": b64(make([]byte, 32))}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "x-amz-sdk-checksum-algorithm unsigned", headers: map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "without the signed SSE-KMS headers", noSigned: true, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "POST to a PUT URL", method: http.MethodPost, wantStatus: 403, wantCode: "SignatureDoesNotMatch"},
		{name: "GET to a PUT URL", method: http.MethodGet, noSigned: true, wantStatus: 403, wantCode: "SignatureDoesNotMatch"},
		{name: "GET URL with x-amz-checksum-mode unsigned", method: http.MethodGet, getURL: true, noSigned: true, headers: map[string]string{"X-Amz-Checksum-Mode": "ENABLED"}, wantStatus: 403, wantCode: "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("inputs/t/s3rules/%d", i)
			if tc.getURL {
				if err := objs.Put(ctx, key, strings.NewReader(doc)); err != nil {
					t.Fatal(err)
				}
			}
			presign := objs.PresignPut
			if tc.getURL {
				presign = objs.PresignGet
			}
			p, err := presign(ctx, key, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			method, body := tc.method, io.Reader(strings.NewReader(doc))
			if method == "" {
				method = http.MethodPut
			}
			if method == http.MethodGet {
				body = nil
			}
			req, err := http.NewRequestWithContext(ctx, method, p.URL, body)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.noSigned {
				for k, v := range p.Headers {
					req.Header.Set(k, v)
				}
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct{ Code, Message string }
			b, _ := io.ReadAll(resp.Body)
			if tc.wantCode != "" {
				_ = json.Unmarshal(b, &e)
			}
			if resp.StatusCode != tc.wantStatus || e.Code != tc.wantCode {
				t.Fatalf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, b, tc.wantStatus, tc.wantCode)
			}
			if tc.wantCode == "AccessDenied" && tc.headers != nil {
				for h := range tc.headers {
					if !strings.Contains(e.Message, strings.ToLower(h)) {
						t.Errorf("message %q does not name %s", e.Message, strings.ToLower(h))
					}
				}
			}
			if _, err := objs.Head(ctx, key); !tc.getURL && (tc.wantStatus == 200) != (err == nil) {
				t.Errorf("stored: %v, want stored only when answered 200", err)
			} else if !tc.getURL && tc.wantStatus != 200 && !errors.Is(err, job.ErrNotFound) {
				t.Errorf("Head after a refusal: %v", err)
			}
		})
	}
	// A second PUT of other bytes replaces the object, as on S3 (the stack's upload guard refuses
	// it with 409 once a job has its input; see the README); a PUT after Expires is refused.
	p, err := objs.PresignPut(ctx, "inputs/t/s3rules/again", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	put := func(body string) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, p.URL, strings.NewReader(body))
		for k, v := range p.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if a, b := put(doc), put("other bytes\n"); a != 200 || b != 200 {
		t.Errorf("two PUTs of other bytes: %d, %d, want 200, 200", a, b)
	}
	if info, err := objs.Head(ctx, "inputs/t/s3rules/again"); err != nil || info.Size != int64(len("other bytes\n")) {
		t.Errorf("after the second PUT: %+v, %v", info, err)
	}
	clock.Advance(time.Minute + time.Second) // past Expires, which is rounded up to the second
	if code := put(doc); code != http.StatusForbidden {
		t.Errorf("PUT after Expires: %d, want 403", code)
	}
}
