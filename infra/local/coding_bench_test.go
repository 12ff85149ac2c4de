package local

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/analysis/coding"
	"github.com/ream-dev/ream/shared/client"
)

// benchCodingRecords is how many records the coding benchmarks code (REAM_BENCH_CODING_RECORDS).
func benchCodingRecords() int { return benchEnv("REAM_BENCH_CODING_RECORDS", 200_000) }

// codingInput writes n coding records as a statistics office sends them: job titles of the ONS
// coding index (../shared/data; the benchmark is skipped without it) with generated tasks texts
// of 0–300 characters, 8 % with the title alone, 4 % with the tasks alone, and 1 in 1,000 a bad
// line (not JSON, no tasks_text, both blank). With keep it also returns the good records' texts.
func codingInput(tb testing.TB, n int, keep bool) (string, [][2]string) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "occupations-soc2010-train.tsv"))
	if err != nil {
		tb.Skip("no ../shared/data/occupations-soc2010-train.tsv: ", err)
	}
	var titles, words []string
	for _, l := range strings.Split(string(data), "\n") {
		if _, t, ok := strings.Cut(l, "\t"); ok && t != "" {
			titles = append(titles, t)
			words = append(words, strings.Fields(t)...)
		}
	}
	verbs := []string{"manage", "prepare", "check", "maintain", "deliver", "organise", "operate", "supervise", "teach", "repair", "advise", "record", "clean", "sell", "drive", "plan", "inspect", "care for"}
	var recs [][2]string
	path, _ := writeLines(tb, "records.jsonl", 11, n, false, func(rng *rand.Rand, i int, dst []byte) []byte {
		title := titles[rng.IntN(len(titles))]
		var tasks []byte
		for size := rng.IntN(301); len(tasks) < size; {
			if len(tasks) > 0 {
				tasks = append(tasks, ", "...)
			}
			tasks = append(tasks, verbs[rng.IntN(len(verbs))]+" "+words[rng.IntN(len(words))]+" "+words[rng.IntN(len(words))]...)
		}
		t := strings.TrimSpace(string(tasks[:min(len(tasks), 300)]))
		id := "r" + strconv.Itoa(i)
		switch r := rng.IntN(1000); {
		case r == 0:
			return append(dst, `{"recordId":"`+id+`","occp_text":"nurse"`...)
		case r == 1:
			return append(dst, `{"recordId":"`+id+`","occp_text":"nurse"}`...)
		case r == 2:
			return append(dst, `{"recordId":"`+id+`","occp_text":" ","tasks_text":""}`...)
		case r < 80:
			t = ""
		case r < 120:
			title = ""
		}
		if strings.TrimSpace(title+t) == "" {
			title = "nurse"
		}
		if keep {
			recs = append(recs, [2]string{title, t})
		}
		o, _ := json.Marshal(title)
		k, _ := json.Marshal(t)
		return append(dst, `{"recordId":"`+id+`","occp_text":`+string(o)+`,"tasks_text":`+string(k)+`}`...)
	})
	return path, recs
}

// BenchmarkCodingEndToEnd codes benchCodingRecords() records through a batch-code operation of
// the local stack (create, PUT with the KMS headers, coding, finalize, coded.jsonl written) and
// prints records per second, from the create until the operation is complete.
func BenchmarkCodingEndToEnd(b *testing.B) {
	n := benchCodingRecords()
	path, _ := codingInput(b, n, false)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		stack, err := Start(ctx, Config{DataDir: b.TempDir(), Addr: "127.0.0.1:0", SweepInterval: Duration(time.Hour), Workers: benchEnv("REAM_BENCH_WORKERS", 0)}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		c := &client.Client{Endpoint: stack.URL, APIKey: DefaultKey}
		runtime.GC()
		stopSampling := make(chan struct{})
		peak := peakHeap(stopSampling)
		stopProfile := func() {}
		if prof := os.Getenv("REAM_BENCH_CPUPROFILE"); prof != "" {
			stopProfile = profileCPU(b, prof)
		}
		b.StartTimer()
		cpu0, start := cpuTime(), time.Now()
		op, err := c.StartCoding(ctx, "occupation", "")
		if err == nil {
			err = c.UploadCodingRecords(ctx, op, path)
		}
		if err != nil {
			b.Fatal(err)
		}
		st, err := c.WaitCoding(ctx, "occupation", "", op.OperationId, 20*time.Millisecond, nil)
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		stopProfile()
		close(stopSampling)
		if err != nil {
			b.Fatal(err)
		}
		if st.Job == nil || st.Job.JobDetails.InputDocumentsCount != int64(n) || st.ResponseDownloadURL == "" {
			b.Fatalf("operation %s ended %s with %+v", op.OperationId, st.OperationStatus, st.Job)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
		fmt.Fprintf(os.Stderr, "coding end-to-end: %d records in %.2fs = %.0f records/s (%d workers; %.1f CPU-seconds = %.0f records per CPU-second; peak heap in use %.0f MB)\n",
			n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), stack.cfg.Workers, cpu.Seconds(), float64(n)/cpu.Seconds(), float64(<-peak)/(1<<20))
		if err := stack.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodingModelRaw is BenchmarkCodingEndToEnd's ceiling: the shipped model's Code over the
// same good records, one goroutine per core, with no pipeline around it.
func BenchmarkCodingModelRaw(b *testing.B) {
	_, recs := codingInput(b, benchCodingRecords(), true)
	m, err := coding.Default()
	if err != nil {
		b.Fatal(err)
	}
	workers := runtime.GOMAXPROCS(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cpu0, start := cpuTime(), time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := next.Add(1) - 1; k < int64(len(recs)); k = next.Add(1) - 1 {
					m.Code(recs[k][0], recs[k][1])
				}
			}()
		}
		wg.Wait()
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		b.ReportMetric(float64(len(recs))/elapsed.Seconds(), "records/s")
		fmt.Fprintf(os.Stderr, "coding model alone: %d records in %.2fs = %.0f records/s (%d goroutines; %.1f CPU-seconds = %.0f records per CPU-second)\n",
			len(recs), elapsed.Seconds(), float64(len(recs))/elapsed.Seconds(), workers, cpu.Seconds(), float64(len(recs))/cpu.Seconds())
	}
}
