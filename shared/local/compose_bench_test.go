package local_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/local"
)

// BenchmarkComposeFinalize times what finalize costs on the local store for a 10 MB and a 1 GB
// output: Objects.Compose of the shards' members (8 MiB each, as a large job's) into
// output.tar.gz. The kernel appends the files (copy_file_range), so no byte passes through the
// process; the time is the disk's copy, not compression.
func BenchmarkComposeFinalize(b *testing.B) {
	for _, total := range []int64{10 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("%dMB", total>>20), func(b *testing.B) {
			ctx := context.Background()
			o, err := local.NewObjects(b.TempDir(), "http://127.0.0.1:1", []byte("0123456789abcdef0123456789abcdef"))
			if err != nil {
				b.Fatal(err)
			}
			keys := writeMembers(b, func(key string, body []byte) error { return o.Put(ctx, key, bytes.NewReader(body)) }, total)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if err := o.Compose(ctx, "out/output.tar.gz", keys); err != nil {
					b.Fatal(err)
				}
				el := time.Since(start)
				b.ReportMetric(el.Seconds(), "s/finalize")
				fmt.Fprintf(os.Stderr, "finalize (local compose): %d MB output from %d shard members in %.3fs; 0 bytes through the process\n", total>>20, len(keys), el.Seconds())
			}
		})
	}
}

// writeMembers stores total bytes of incompressible members of 8 MiB (the last smaller) and
// returns their keys.
func writeMembers(b *testing.B, put func(string, []byte) error, total int64) []string {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	var keys []string
	buf := make([]byte, 8<<20)
	for off, i := int64(0), 0; off < total; i++ {
		n := min(int64(len(buf)), total-off)
		for k := 0; k < int(n); k += 8 {
			v := rng.Uint64()
			for j := 0; j < 8 && k+j < int(n); j++ {
				buf[k+j] = byte(v >> (8 * j))
			}
		}
		key := fmt.Sprintf("work/shards/%06d", i)
		if err := put(key, buf[:n]); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, key)
		off += n
	}
	return keys
}
