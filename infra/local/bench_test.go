package local

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
)

// benchEnv is the positive integer in the environment variable name, or def. The benchmarks'
// knobs: REAM_BENCH_DOCS, REAM_BENCH_LONG_DOCS and REAM_BENCH_TOPICS_DOCS (documents),
// REAM_BENCH_SHARD_BYTES and REAM_BENCH_WORKERS (the stack's ShardBytes and Workers; 0 keeps its
// defaults). Others: REAM_BENCH_TIMELINE, REAM_BENCH_PHASES (benchJob) and REAM_BENCH_CPUPROFILE
// (profileCPU).
func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchDocs is how many one-line documents the end-to-end benchmark runs.
func benchDocs() int { return benchEnv("REAM_BENCH_DOCS", 100_000) }

// writeLines writes n one-line documents made by line (from a generator seeded with seed) to
// the file name in a temporary directory, streaming, and returns its path; with keep it also
// returns the documents (for the raw benchmarks).
func writeLines(tb testing.TB, name string, seed uint64, n int, keep bool, line func(rng *rand.Rand, i int, dst []byte) []byte) (string, [][]byte) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	path := filepath.Join(tb.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	var docs [][]byte
	var buf []byte
	for i := 0; i < n; i++ {
		buf = line(rng, i, buf[:0])
		if keep {
			docs = append(docs, append([]byte(nil), buf...))
		}
		w.Write(buf)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, docs
}

var benchSentences = []string{
	"The delivery was quick and the product works exactly as described, very happy.",
	"Terrible support: nobody answered my emails for two weeks and the refund never came.",
	"The meeting is scheduled for Thursday afternoon in the main conference room.",
	"Le service était excellent et le personnel très aimable avec tous les clients.",
	"Das Hotel war sauber, aber das Frühstück war leider ziemlich enttäuschend.",
	"El envío llegó tarde y la caja estaba dañada, pero el producto funciona bien.",
	"Not bad at all for the price, although the battery could last a little longer.",
	"Questo libro è davvero meraviglioso, lo consiglio a tutti gli appassionati.",
}

// benchInput writes n one-line documents of about 100 bytes in 8 languages.
func benchInput(tb testing.TB, n int, keep bool) (string, [][]byte) {
	return writeLines(tb, "bench.txt", 1, n, keep, func(rng *rand.Rand, i int, dst []byte) []byte {
		dst = append(dst, benchSentences[rng.IntN(len(benchSentences))]...)
		dst = append(dst, " #"...)
		return strconv.AppendInt(dst, int64(i), 10)
	})
}

// peakHeap samples the heap in use every 20 ms until stop is closed and returns the largest
// value seen: the memory the whole stack needed while the job ran.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// benchJob runs one job of req over the file at path through a fresh local stack (the timer
// runs from create to notification only) and returns its notification, that time, the peak
// heap in use in MB and the stack's workers. onEvent (if any) sees the job's event stream with
// the time the job was created.
func benchJob(b *testing.B, req api.CreateJobRequest, path string, onEvent func(created time.Time, ev client.Event)) (*api.Notification, time.Duration, float64, int) {
	b.Helper()
	ctx := context.Background()
	b.StopTimer()
	stack, err := Start(ctx, Config{DataDir: b.TempDir(), Addr: "127.0.0.1:0", SweepInterval: Duration(time.Hour), ShardBytes: int64(benchEnv("REAM_BENCH_SHARD_BYTES", 0)), Workers: benchEnv("REAM_BENCH_WORKERS", 0)}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := stack.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}()
	c := &client.Client{Endpoint: stack.URL, APIKey: DefaultKey}
	runtime.GC()
	stopSampling := make(chan struct{})
	peak := peakHeap(stopSampling)
	if prof := os.Getenv("REAM_BENCH_CPUPROFILE"); prof != "" {
		defer profileCPU(b, prof)()
	}
	b.StartTimer()
	cpu0 := cpuTime()
	start := time.Now()
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Upload(ctx, res.Upload.Presigned, path); err != nil {
		b.Fatal(err)
	}
	timeline := os.Getenv("REAM_BENCH_TIMELINE") != ""
	if timeline {
		fmt.Fprintf(os.Stderr, "timeline: %6.3fs uploaded\n", time.Since(start).Seconds())
	}
	if os.Getenv("REAM_BENCH_PHASES") != "" {
		go printPhases(ctx, c, res.JobId, start)
	}
	note, err := c.Follow(ctx, res.JobId, func(ev client.Event) {
		if timeline && ev.Job != nil {
			fmt.Fprintf(os.Stderr, "timeline: %6.3fs %s %d/%d shards %d documents\n", time.Since(start).Seconds(), ev.Job.JobStatus, ev.Job.JobDetails.ShardsDone, ev.Job.JobDetails.ShardsTotal, ev.Job.JobDetails.InputDocumentsCount)
		}
		if onEvent != nil {
			onEvent(start, ev)
		}
	})
	if timeline {
		wall := time.Since(start)
		cpu := cpuTime() - cpu0
		fmt.Fprintf(os.Stderr, "timeline: %6.3fs notified; CPU %.3fs = %.0f%% of %d cores\n", wall.Seconds(), cpu.Seconds(), 100*cpu.Seconds()/wall.Seconds()/float64(runtime.GOMAXPROCS(0)), runtime.GOMAXPROCS(0))
	}
	if err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stopSampling)
	return note, elapsed, float64(<-peak) / (1 << 20), stack.cfg.Workers
}

// printPhases polls the job every 3 ms (REAM_BENCH_PHASES=1; the polling costs some CPU, so
// the run's figures are not the benchmark's) and prints when it was planned (its shards known),
// when its last shard was recorded and when it ended, from the job's create: the upload and
// planning, the shards, and finalize.
func printPhases(ctx context.Context, c *client.Client, id string, start time.Time) {
	var planned, analysed time.Duration
	for {
		j, err := c.Describe(ctx, id)
		if err != nil {
			return
		}
		el := time.Since(start)
		d := j.JobDetails
		if planned == 0 && d.ShardsTotal > 0 {
			planned = el
		}
		if analysed == 0 && d.ShardsTotal > 0 && d.ShardsDone == d.ShardsTotal {
			analysed = el
		}
		if j.JobStatus.Terminal() {
			fmt.Fprintf(os.Stderr, "phases: created, uploaded and planned %.3fs; %d shards %.3fs; finalized %.3fs (ended at %.3fs)\n",
				planned.Seconds(), d.ShardsTotal, (analysed - planned).Seconds(), (el - analysed).Seconds(), el.Seconds())
			return
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// profileCPU starts a CPU profile into path and returns the function that stops it.
// REAM_BENCH_CPUPROFILE=p profiles each end-to-end job alone, from create to notification, into
// p, and each raw run into p.raw: without the stack's start and the inputs' generation that
// -cpuprofile also records, so that the two can be compared (a later run overwrites an earlier).
func profileCPU(b *testing.B, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEndToEnd runs one job of benchDocs() one-line documents with LANGUAGE+SENTIMENT
// through the whole local stack (API, presigned upload, S3 event, queue, workers, finalize,
// notification) and reports end-to-end documents per second.
func BenchmarkEndToEnd(b *testing.B) {
	n := benchDocs()
	path, _ := benchInput(b, n, false)
	benchEndToEnd(b, "LANGUAGE+SENTIMENT", []job.Analysis{job.Language, job.Sentiment}, "", path, n)
}

// BenchmarkAnalysersRaw runs the same analysers directly over the same documents on every core,
// with no pipeline around them (LANGUAGE first, its language passed on, as the pipeline does): the
// ceiling the end-to-end figure is compared with.
func BenchmarkAnalysersRaw(b *testing.B) {
	n := benchDocs()
	_, docs := benchInput(b, n, true)
	benchRaw(b, "LANGUAGE+SENTIMENT", []job.Analysis{job.Language, job.Sentiment}, "", docs)
}

// benchLongDocs is how many one-KB documents the ENTITIES+KEY_PHRASES benchmarks run
// (REAM_BENCH_LONG_DOCS overrides it).
func benchLongDocs() int { return benchEnv("REAM_BENCH_LONG_DOCS", 20_000) }

var newsSentences = []string{
	"Shares of Acme Corporation rose 4 percent in New York on Tuesday after the company reported higher quarterly profits.",
	"The European Central Bank kept interest rates unchanged, President Christine Lagarde told reporters in Frankfurt.",
	"Manchester United beat Arsenal 2-1 at Old Trafford, with Marcus Rashford scoring the winning goal late in the second half.",
	"Heavy rain caused flooding across northern Italy, and officials in Milan closed several schools as a precaution.",
	"The United Nations Security Council will meet on Friday to discuss the humanitarian situation in the region.",
	"Microsoft announced a new partnership with the University of Cambridge to study energy efficient data centres.",
	"Farmers in Iowa expect a record corn harvest this year despite a dry summer, according to the Department of Agriculture.",
	"Prime Minister Justin Trudeau met business leaders in Toronto to discuss trade with the United States and Mexico.",
	"Scientists at the Max Planck Institute published new results on the formation of distant galaxies.",
	"Airline passengers faced long delays at Heathrow Airport after a computer failure affected check-in systems.",
}

// longInput writes n one-line documents of about 1 KB of news-like English.
func longInput(tb testing.TB, n int, keep bool) (string, [][]byte) {
	return writeLines(tb, "news.txt", 5, n, keep, func(rng *rand.Rand, _ int, dst []byte) []byte {
		for len(dst) < 1000 {
			if len(dst) > 0 {
				dst = append(dst, ' ')
			}
			dst = append(dst, newsSentences[rng.IntN(len(newsSentences))]...)
		}
		return dst
	})
}

// BenchmarkEndToEndLong runs benchLongDocs() one-KB documents with ENTITIES+KEY_PHRASES through
// the local stack.
func BenchmarkEndToEndLong(b *testing.B) {
	n := benchLongDocs()
	path, _ := longInput(b, n, false)
	benchEndToEnd(b, "ENTITIES+KEY_PHRASES, LanguageCode en", []job.Analysis{job.Entities, job.KeyPhrases}, "en", path, n)
}

// BenchmarkAnalysersRawLong is BenchmarkEndToEndLong's ceiling: the same analysers over the same
// documents on every core.
func BenchmarkAnalysersRawLong(b *testing.B) {
	n := benchLongDocs()
	_, docs := longInput(b, n, true)
	benchRaw(b, "ENTITIES+KEY_PHRASES, LanguageCode en", []job.Analysis{job.Entities, job.KeyPhrases}, "en", docs)
}

// benchEndToEnd runs one job of the analyses over the n documents at path (lang: the job's
// LanguageCode, "" for none) and prints documents per second and peak heap.
func benchEndToEnd(b *testing.B, label string, analyses []job.Analysis, lang, path string, n int) {
	for i := 0; i < b.N; i++ {
		note, elapsed, peakMB, workers := benchJob(b, api.CreateJobRequest{Analyses: analyses, LanguageCode: lang,
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}, path, nil)
		if note.InputDocumentsCount != int64(n) {
			b.Fatalf("job counted %d documents, want %d", note.InputDocumentsCount, n)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "docs/s")
		b.ReportMetric(elapsed.Seconds(), "s/job")
		b.ReportMetric(peakMB, "MB-peak-heap")
		fmt.Fprintf(os.Stderr, "end-to-end: %d documents in %.2fs = %.0f documents/s (%s, %d workers, peak heap in use %.0f MB)\n",
			n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), label, workers, peakMB)
	}
}

// benchRaw runs the analysers over docs on every core with no pipeline around them.
func benchRaw(b *testing.B, label string, analyses []job.Analysis, lang string, docs [][]byte) {
	reg, err := analysis.DefaultRegistry()
	if err == nil {
		err = reg.Warm() // as the stack does at start: no table is decoded in the timed loop
	}
	if err != nil {
		b.Fatal(err)
	}
	analyzers, err := reg.Lookup(analyses)
	if err != nil {
		b.Fatal(err)
	}
	workers := runtime.GOMAXPROCS(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stopProfile := func() {}
		if prof := os.Getenv("REAM_BENCH_CPUPROFILE"); prof != "" {
			b.StopTimer()
			stopProfile = profileCPU(b, prof+".raw")
			b.StartTimer()
		}
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := next.Add(1) - 1
					if k >= int64(len(docs)) {
						return
					}
					// As the pipeline does: LANGUAGE first, then the document's language as
					// analysis.DocumentLanguage decides it from LANGUAGE's candidates passed on.
					var r analysis.Result
					text := string(docs[k])
					opts := analysis.Options{LanguageCode: lang}
					for _, a := range analyzers {
						_ = a.Analyze(text, opts, &r)
						if a.Name() == job.Language && lang == "" {
							opts.LanguageCode = analysis.DocumentLanguage(text, r.Languages)
						}
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		stopProfile()
		b.ReportMetric(float64(len(docs))/elapsed.Seconds(), "docs/s")
		fmt.Fprintf(os.Stderr, "raw analysers: %d documents in %.2fs = %.0f documents/s (%s, %d goroutines)\n",
			len(docs), elapsed.Seconds(), float64(len(docs))/elapsed.Seconds(), label, workers)
	}
}

// reviewWords build synthetic one-line product reviews with topical structure for the TOPICS
// benchmark (no review corpus ships with the project): each review picks a product family and
// mixes its words with generic review words.
var reviewFamilies = [][]string{
	{"battery", "charger", "screen", "phone", "camera", "pixels", "apps", "signal", "case", "bluetooth"},
	{"hotel", "room", "breakfast", "staff", "pool", "beach", "check-in", "view", "bed", "lobby"},
	{"novel", "author", "chapter", "characters", "plot", "ending", "pages", "writing", "story", "series"},
	{"blender", "kitchen", "knife", "pan", "recipe", "oven", "dishwasher", "kettle", "toaster", "lid"},
	{"shoes", "size", "fabric", "jacket", "fit", "color", "stitching", "sleeves", "zipper", "laces"},
	{"laptop", "keyboard", "trackpad", "processor", "memory", "fan", "ports", "display", "drivers", "hinge"},
	{"restaurant", "waiter", "dessert", "menu", "table", "wine", "pasta", "steak", "reservation", "bill"},
	{"garden", "hose", "seeds", "soil", "mower", "plants", "shovel", "fence", "lawn", "sprinkler"},
	{"flight", "airline", "seat", "luggage", "boarding", "crew", "delay", "airport", "legroom", "gate"},
	{"game", "controller", "level", "graphics", "multiplayer", "console", "story", "boss", "servers", "patch"},
}

var reviewCommon = []string{"great", "terrible", "quality", "price", "recommend", "broke", "love", "cheap", "worth", "again", "excellent", "disappointed", "quick", "slow", "perfect"}

func reviewInput(tb testing.TB, n int) string {
	path, _ := writeLines(tb, "reviews.txt", 3, n, false, func(rng *rand.Rand, _ int, dst []byte) []byte {
		fam := reviewFamilies[rng.IntN(len(reviewFamilies))]
		dst = append(dst, "The"...)
		for k := 0; k < 10+rng.IntN(8); k++ {
			dst = append(dst, ' ')
			if rng.IntN(3) == 0 {
				dst = append(dst, reviewCommon[rng.IntN(len(reviewCommon))]...)
			} else {
				dst = append(dst, fam[rng.IntN(len(fam))]...)
			}
		}
		return append(dst, '.')
	})
	return path
}

// BenchmarkTopics runs one TOPICS job (K=20) over REAM_BENCH_TOPICS_DOCS (default 100,000)
// synthetic one-line reviews through the whole local stack and prints the time of each stage
// (from the job's live Stage) and the peak heap in use: run it at 100,000 and 1,000,000
// documents to see that memory does not grow with the collection.
func BenchmarkTopics(b *testing.B) {
	n := benchEnv("REAM_BENCH_TOPICS_DOCS", 100_000)
	path := reviewInput(b, n)
	for i := 0; i < b.N; i++ {
		seed := int64(1)
		stage, since := "upload and planning", time.Time{}
		var times []string
		note, elapsed, peakMB, _ := benchJob(b, api.CreateJobRequest{Analyses: []job.Analysis{job.Topics}, NumberOfTopics: new(20), RandomSeed: &seed,
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}, path, func(created time.Time, ev client.Event) {
			if since.IsZero() {
				since = created
			}
			if ev.Notification != nil {
				times = append(times, fmt.Sprintf("%s and finalize %.2fs", stage, time.Since(since).Seconds()))
				return
			}
			if ev.Job == nil || ev.Job.JobDetails.Stage == "" || ev.Job.JobDetails.Stage == stage {
				return
			}
			times = append(times, fmt.Sprintf("%s %.2fs", stage, time.Since(since).Seconds()))
			stage, since = ev.Job.JobDetails.Stage, time.Now()
		})
		if note.InputDocumentsCount != int64(n) {
			b.Fatalf("job counted %d documents, want %d (%s: %s)", note.InputDocumentsCount, n, note.JobStatus, note.Message)
		}
		b.ReportMetric(elapsed.Seconds(), "s/job")
		b.ReportMetric(peakMB, "MB-peak-heap")
		fmt.Fprintf(os.Stderr, "topics: %d reviews, K=20, %.2fs in all (%s), peak heap in use %.0f MB\n  stages: %s\n",
			n, elapsed.Seconds(), note.JobStatus, peakMB, strings.Join(times, "; "))
	}
}
