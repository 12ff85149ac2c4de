package local

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
)

// BenchmarkManyFileLineInput times a LANGUAGE job over the same N one-line documents given
// three ways: one line file, a prefix of N one-line files (ONE_DOC_PER_LINE), and a prefix of N
// files of one document each (ONE_DOC_PER_FILE), and prints documents/s and the time per file of
// each. Small files are packed into shards of up to MaxFilesPerShard files; before, a line input
// made one shard per file (2.8 ms a file here, against about 5 µs a document of one big file).
//
//	go test -run '^$' -bench BenchmarkManyFileLineInput -benchtime 1x ./infra/local/
func BenchmarkManyFileLineInput(b *testing.B) {
	const line = "The train was late again.\n"
	for _, n := range []int{1000, 10000} {
		for _, shape := range []string{"one-file", "line-files", "doc-files"} {
			b.Run(fmt.Sprintf("files=%d/%s", n, shape), func(b *testing.B) {
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
					uri := "/inputs/local/many/"
					format := job.OneDocPerLine
					switch shape {
					case "one-file":
						uri += "all.txt"
						if err := os.WriteFile(filepath.Join(root, "all.txt"), bytes.Repeat([]byte(line), n), 0o644); err != nil {
							b.Fatal(err)
						}
					default:
						if shape == "doc-files" {
							format = job.OneDocPerFile
						}
						for f := 0; f < n; f++ {
							if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%05d.txt", f)), []byte(line), 0o644); err != nil {
								b.Fatal(err)
							}
						}
					}
					base, _ := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
					c := defaultClient(s)
					b.StartTimer()
					el, j := benchLanguageJob(b, ctx, c, format, FileURI(base)+uri, n)
					b.ReportMetric(float64(n)/el.Seconds(), "docs/s")
					fmt.Fprintf(os.Stderr, "many-file input: %d documents as %-10s in %.2fs = %8.0f documents/s, %.3f ms a document, %d shards\n",
						n, shape, el.Seconds(), float64(n)/el.Seconds(), float64(el.Microseconds())/1000/float64(n), j.JobDetails.ShardsTotal)
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
		}
	}
}

// benchLanguageJob times a LANGUAGE job over the input at uri (n documents) from its creation to
// its COMPLETED notification, the benchmark's timer running, and returns the job as it ended.
func benchLanguageJob(b *testing.B, ctx context.Context, c *client.Client, format job.Format, uri string, n int) (time.Duration, *job.Job) {
	start := time.Now()
	res, err := c.CreateJob(ctx, api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: format, S3Uri: uri}})
	if err != nil {
		b.Fatal(err)
	}
	note, err := c.Follow(ctx, res.JobId, nil)
	if err != nil || note.JobStatus != job.Completed || note.InputDocumentsCount != int64(n) {
		b.Fatalf("job: %+v %v", note, err)
	}
	el := time.Since(start)
	b.StopTimer()
	j, err := c.Describe(ctx, res.JobId)
	if err != nil {
		b.Fatal(err)
	}
	return el, j
}
