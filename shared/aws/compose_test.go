package aws

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// memS3 is the part of S3 Compose uses, in memory, checking what S3 checks of a multipart
// upload: every part but the last at least 5 MiB, every completed part with its ETag. Copy
// answers are delayed a little, so that copies finish out of order and after later parts began.
type memS3 struct {
	S3API // methods Compose does not use panic
	mu    sync.Mutex
	objs  map[string][]byte
	parts map[string]map[int32][]byte // upload id → part number → bytes
	gets  atomic.Int32
	// inFlight and maxInFlight count concurrent GETs.
	inFlight, maxInFlight atomic.Int32
}

func newMemS3() *memS3 {
	return &memS3{objs: map[string][]byte{}, parts: map[string]map[int32][]byte{}}
}

// etag stands for S3's ETag of b (a checksum, cheaper than MD5).
func etag(b []byte) *string {
	return sdkaws.String(fmt.Sprintf(`"%08x-%d"`, crc32.ChecksumIEEE(b), len(b)))
}

func (m *memS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[*in.Key]
	if !ok {
		return nil, &s3types.NotFound{}
	}
	return &s3.HeadObjectOutput{ContentLength: sdkaws.Int64(int64(len(b))), ETag: etag(b)}, nil
}

// rangeOf parses "bytes=a-b".
func rangeOf(r string) (int64, int64) {
	a, b, _ := strings.Cut(strings.TrimPrefix(r, "bytes="), "-")
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	return x, y + 1
}

func (m *memS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	n := m.inFlight.Add(1)
	defer m.inFlight.Add(-1)
	for old := m.maxInFlight.Load(); n > old && !m.maxInFlight.CompareAndSwap(old, n); old = m.maxInFlight.Load() {
	}
	m.gets.Add(1)
	time.Sleep(time.Millisecond) // a GET's latency: concurrent GETs overlap
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[*in.Key]
	if !ok {
		return nil, &s3types.NoSuchKey{}
	}
	if in.Range != nil {
		a, z := rangeOf(*in.Range)
		b = b[a:z]
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(bytes.Clone(b)))}, nil
}

func (m *memS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[*in.Key] = b
	return &s3.PutObjectOutput{ETag: etag(b)}, nil
}

func (m *memS3) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := fmt.Sprintf("up-%d", len(m.parts)+1)
	m.parts[id] = map[int32][]byte{}
	return &s3.CreateMultipartUploadOutput{UploadId: &id}, nil
}

func (m *memS3) UploadPart(_ context.Context, in *s3.UploadPartInput, _ ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.parts[*in.UploadId][*in.PartNumber] = b
	return &s3.UploadPartOutput{ETag: etag(b)}, nil
}

func (m *memS3) UploadPartCopy(_ context.Context, in *s3.UploadPartCopyInput, _ ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	time.Sleep(time.Duration(2+rand.IntN(4)) * time.Millisecond)
	m.mu.Lock()
	defer m.mu.Unlock()
	_, src, _ := strings.Cut(*in.CopySource, "/")
	b := m.objs[src]
	a, z := rangeOf(*in.CopySourceRange)
	m.parts[*in.UploadId][*in.PartNumber] = b[a:z]
	return &s3.UploadPartCopyOutput{CopyPartResult: &s3types.CopyPartResult{ETag: etag(b[a:z])}}, nil
}

func (m *memS3) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	parts := m.parts[*in.UploadId]
	var all []byte
	for i, p := range in.MultipartUpload.Parts {
		n := int32(i + 1)
		b, ok := parts[n]
		switch {
		case sdkaws.ToInt32(p.PartNumber) != n:
			return nil, fmt.Errorf("InvalidPartOrder: part %d listed as %d", n, sdkaws.ToInt32(p.PartNumber))
		case !ok || p.ETag == nil || *p.ETag != *etag(b):
			return nil, fmt.Errorf("InvalidPart: part %d has ETag %v", n, p.ETag)
		case i < len(in.MultipartUpload.Parts)-1 && int64(len(b)) < minPartSize:
			return nil, fmt.Errorf("EntityTooSmall: part %d holds %d bytes", n, len(b))
		}
		all = append(all, b...)
	}
	m.objs[*in.Key] = all
	delete(m.parts, *in.UploadId)
	return &s3.CompleteMultipartUploadOutput{}, nil
}

func (m *memS3) AbortMultipartUpload(_ context.Context, in *s3.AbortMultipartUploadInput, _ ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.parts, *in.UploadId)
	return &s3.AbortMultipartUploadOutput{}, nil
}

// TestComposeParts: Compose of sources of many sizes (runs of small ones, ones of 5 MiB and
// more, empty ones) gives their exact concatenation, with parts S3 accepts and every ETag in
// the completion, whatever order the copies finish in (a part's ETag could be lost before:
// the list of parts grew while copies wrote into it); the small sources' GETs overlap.
func TestComposeParts(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	fill := rand.NewChaCha8([32]byte{1})
	for round := range 4 {
		m := newMemS3()
		objs := NewObjects(m, nil, "b")
		var srcs []string
		var want []byte
		for i := range 30 {
			var size int
			switch rng.IntN(5) {
			case 0:
				size = int(minPartSize) + rng.IntN(3<<20) // a part of its own
			case 1:
				size = 0
			default:
				size = rng.IntN(1 << 20) // a shard of under 1 MiB
			}
			b := make([]byte, size)
			fill.Read(b)
			k := fmt.Sprintf("work/t/j/shards/%06d", i)
			m.objs[k] = b
			srcs = append(srcs, k)
			want = append(want, b...)
		}
		st, err := objs.ComposeCounted(ctx, "outputs/t/j/output.tar.gz", srcs)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got := m.objs["outputs/t/j/output.tar.gz"]; !bytes.Equal(got, want) {
			t.Fatalf("round %d: composed %d bytes, not the %d of the sources in order", round, len(got), len(want))
		}
		if st.CopyParts == 0 || st.UploadParts == 0 {
			t.Errorf("round %d: %+v, want both copied and uploaded parts", round, st)
		}
	}
	m := newMemS3()
	var srcs []string
	for i := range 64 { // 64 shards of 256 KiB: 16 MiB read and uploaded
		k := fmt.Sprintf("s/%d", i)
		m.objs[k] = bytes.Repeat([]byte{byte(i)}, 256<<10)
		srcs = append(srcs, k)
	}
	if err := NewObjects(m, nil, "b").Compose(ctx, "out", srcs); err != nil {
		t.Fatal(err)
	}
	if n := m.maxInFlight.Load(); n < 2 {
		t.Errorf("at most %d GET in flight: the small sources were read one after another", n)
	}
}

// TestPlanParts: the plan's parts cover the sources in order, all but the last of at least
// 5 MiB, sources of 5 MiB or more that start a part copied.
func TestPlanParts(t *testing.T) {
	srcs := []string{"a", "b", "c", "d", "e"}
	sizes := []int64{1 << 20, minPartSize + 10, 2 << 20, 0, 7 << 20}
	parts, err := planParts(srcs, sizes)
	if err != nil {
		t.Fatal(err)
	}
	// a (1 MiB) and the first 4 MiB of b; the rest of b (1 MiB + 10) and c (2 MiB), topped up
	// to 5 MiB from e; the rest of e (5 MiB + 10) copied.
	topUp := int64(minPartSize - (1<<20 + 10) - 2<<20)
	want := []part{
		{ranges: []byteRange{{"a", 0, 1 << 20}, {"b", 0, 4 << 20}}},
		{ranges: []byteRange{{"b", 4 << 20, minPartSize + 10}, {"c", 0, 2 << 20}, {"e", 0, topUp}}},
		{copy: byteRange{"e", topUp, 7 << 20}},
	}
	if fmt.Sprint(parts) != fmt.Sprint(want) {
		t.Errorf("plan\n%v\nwant\n%v", parts, want)
	}
	if _, err := planParts([]string{"x"}, []int64{int64(maxParts+1) * maxCopyPart}); err == nil {
		t.Error("a plan of more than 10,000 parts was accepted")
	}
}
