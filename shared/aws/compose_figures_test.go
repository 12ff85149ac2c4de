package aws_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	reamaws "github.com/ream-dev/ream/shared/aws"
)

// TestComposeFinalizeFigures prints what finalize costs on S3 (MinIO here) for a 10 MB and a 1 GB
// output made of 8 MiB shard members, and a 1 GB output of 1 MiB members (below S3's part
// minimum, so read and uploaded again): the requests, the seconds, and the bytes that pass
// through the finalizer (none for 8 MiB members of 1 GB: every part is an UploadPartCopy). It runs only with
// REAM_BENCH_COMPOSE=1 (`make bench` sets it); the only assertion is on the bytes, never on time.
func TestComposeFinalizeFigures(t *testing.T) {
	if os.Getenv("REAM_BENCH_COMPOSE") == "" {
		t.Skip("figures only: set REAM_BENCH_COMPOSE=1")
	}
	c := clients(t, "S3")
	objs := reamaws.NewObjects(c.S3, c.Presign, newBucket(t, c))
	ctx := context.Background()
	for _, tc := range []struct{ total, member int64 }{{10 << 20, 8 << 20}, {1 << 30, 8 << 20}, {1 << 30, 1 << 20}} {
		total := tc.total
		rng := rand.New(rand.NewPCG(1, 1))
		buf := make([]byte, tc.member)
		var keys []string
		for off, i := int64(0), 0; off < total; i++ {
			n := min(int64(len(buf)), total-off)
			for k := range buf[:n] {
				buf[k] = byte(rng.Uint32())
			}
			key := fmt.Sprintf("bench/%d-%d/shards/%06d", total, tc.member, i)
			if err := objs.Put(ctx, key, bytes.NewReader(buf[:n])); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, key)
			off += n
		}
		start := time.Now()
		st, err := objs.ComposeCounted(ctx, fmt.Sprintf("bench/%d-%d/output.tar.gz", total, tc.member), keys)
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		fmt.Fprintf(os.Stderr, "finalize (S3 compose): %d MB output from %d shard members of %d MiB in %.3fs: %d UploadPartCopy + %d UploadPart, %d bytes through the finalizer\n",
			total>>20, len(keys), tc.member>>20, el.Seconds(), st.CopyParts, st.UploadParts, st.BytesThrough)
		if tc.member >= 5<<20 && total%tc.member == 0 && st.BytesThrough != 0 {
			t.Errorf("%d bytes went through the finalizer for whole members of at least 5 MiB", st.BytesThrough)
		}
	}
}
