package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// BenchmarkManyFileLineInput times a LANGUAGE job over a prefix of N one-line files (one shard
// each) and prints the time per file: flat when no step of a shard grows with the job's number
// of shards (it grew from 4 ms to 30 ms a shard between 1,000 and 10,000 files while the
// store's rate query and the queue's receive scanned every recent record or queued message).
//
//	go test -run '^$' -bench BenchmarkManyFileLineInput -benchtime 1x ./infra/local/
func BenchmarkManyFileLineInput(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ctx := context.Background()
				s, err := Start(ctx, Config{DataDir: b.TempDir(), Addr: "127.0.0.1:0"}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "many")
				if err := os.MkdirAll(root, 0o755); err != nil {
					b.Fatal(err)
				}
				for f := 0; f < n; f++ {
					if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%05d.txt", f)), []byte("The train was late again.\n"), 0o644); err != nil {
						b.Fatal(err)
					}
				}
				base, _ := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
				c := defaultClient(s)
				b.StartTimer()
				start := time.Now()
				res, err := c.CreateJob(ctx, api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
					InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine, S3Uri: FileURI(base) + "/inputs/local/many/"}})
				if err != nil {
					b.Fatal(err)
				}
				note, err := c.Follow(ctx, res.JobId, nil)
				if err != nil || note.JobStatus != job.Completed || note.InputDocumentsCount != int64(n) {
					b.Fatalf("job: %+v %v", note, err)
				}
				el := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(el.Milliseconds())/float64(n), "ms/file")
				fmt.Fprintf(os.Stderr, "many-file line input: %d files in %.1fs = %.2f ms a file\n", n, el.Seconds(), float64(el.Milliseconds())/float64(n))
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
