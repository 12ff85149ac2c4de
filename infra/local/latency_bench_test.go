package local

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// slowObjects is an object store whose reads of input objects (Open, OpenInfo) each wait
// latency before they answer, as S3's first byte does (10–50 ms), without any network.
type slowObjects struct {
	pipeline.Objects
	latency time.Duration
}

func (s *slowObjects) wait(ctx context.Context, key string) error {
	if s.latency <= 0 || !strings.HasPrefix(key, "inputs/") {
		return nil
	}
	t := time.NewTimer(s.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slowObjects) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if err := s.wait(ctx, key); err != nil {
		return nil, err
	}
	return s.Objects.Open(ctx, key, offset)
}

func (s *slowObjects) OpenInfo(ctx context.Context, key string) (io.ReadCloser, pipeline.ObjectInfo, error) {
	if err := s.wait(ctx, key); err != nil {
		return nil, pipeline.ObjectInfo{}, err
	}
	return s.Objects.OpenInfo(ctx, key)
}

// BenchmarkOneDocPerFileLatency runs a LANGUAGE job over 1,000 ONE_DOC_PER_FILE files of 200
// bytes through the local stack (2 workers) with every read of an input file waiting an
// injected first-byte latency, and prints documents/s and the seconds a shard took
// (elapsed × workers ÷ shards). REAM_BENCH_ADDR sets the server's address (default: a free port).
//
//	go test -run '^$' -bench BenchmarkOneDocPerFileLatency -benchtime 1x ./infra/local/
func BenchmarkOneDocPerFileLatency(b *testing.B) {
	const n, workers = 1000, 2
	doc := strings.Repeat("The train was late again, and the platform was cold. ", 4)[:200]
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%s", latency), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ctx := context.Background()
				addr := cmp.Or(os.Getenv("REAM_BENCH_ADDR"), "127.0.0.1:0")
				s, uri := startDocFiles(b, ctx, Config{Addr: addr, Workers: workers}, n, doc, func(o pipeline.Objects) pipeline.Objects {
					return &slowObjects{Objects: o, latency: latency}
				})
				c := defaultClient(s)
				b.StartTimer()
				el, j := benchLanguageJob(b, ctx, c, job.OneDocPerFile, uri, n)
				b.ReportMetric(float64(n)/el.Seconds(), "docs/s")
				shards := j.JobDetails.ShardsTotal
				fmt.Fprintf(os.Stderr, "ONE_DOC_PER_FILE, %s a read: %d files in %.2fs = %6.0f documents/s, %d shards, %.2f s a shard\n",
					latency, n, el.Seconds(), float64(n)/el.Seconds(), shards, el.Seconds()*workers/float64(shards))
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
