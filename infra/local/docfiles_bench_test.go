package local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// BenchmarkOneDocPerFileRequests runs a LANGUAGE job over a prefix of N ONE_DOC_PER_FILE files
// of about 200 bytes through the local stack and prints documents/s and the object-store
// requests per document by kind (a List is one page, whatever it returns).
//
//	go test -run '^$' -bench BenchmarkOneDocPerFileRequests -benchtime 1x ./infra/local/
func BenchmarkOneDocPerFileRequests(b *testing.B) {
	doc := strings.Repeat("The train was late again, and the platform was cold. ", 4)[:200]
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ctx := context.Background()
				counter := &countingObjects{}
				s, uri := startDocFiles(b, ctx, Config{Addr: "127.0.0.1:0"}, n, doc, func(o pipeline.Objects) pipeline.Objects {
					counter.Objects = o
					return counter
				})
				c := defaultClient(s)
				counter.reset()
				b.StartTimer()
				el, j := benchLanguageJob(b, ctx, c, job.OneDocPerFile, uri, n)
				per := func(v *atomic.Int64) float64 { return float64(v.Load()) / float64(n) }
				b.ReportMetric(float64(n)/el.Seconds(), "docs/s")
				fmt.Fprintf(os.Stderr, "ONE_DOC_PER_FILE: %d files in %.2fs = %6.0f documents/s, %d shards; requests a document: list %.4f head %.3f get %.3f put %.4f\n",
					n, el.Seconds(), float64(n)/el.Seconds(), j.JobDetails.ShardsTotal, per(&counter.list), per(&counter.head), per(&counter.get), per(&counter.put))
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// startDocFiles starts the local stack with cfg (in a temporary data directory) and its object
// store wrapped by wrap, and writes n files holding doc under a prefix; it returns the stack
// and the prefix's URI.
func startDocFiles(b *testing.B, ctx context.Context, cfg Config, n int, doc string, wrap func(pipeline.Objects) pipeline.Objects) (*Stack, string) {
	cfg.DataDir = b.TempDir()
	s, err := Start(ctx, cfg, Options{Log: slog.New(slog.DiscardHandler), WrapObjects: wrap})
	if err != nil {
		b.Fatal(err)
	}
	root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "docs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		b.Fatal(err)
	}
	for f := 0; f < n; f++ {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%05d.txt", f)), []byte(doc), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	base, _ := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
	return s, FileURI(base) + "/inputs/local/docs/"
}
