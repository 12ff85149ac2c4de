// Command evaltopics measures the topics model: quality on the labelled DEP-11 descriptions,
// and time and memory per stage at scale.
//
// Quality (default): the file is split once, by FNV-1a of each text (even: tuning half, odd:
// reporting half); each half is fitted on its own documents alone (unsupervised) at K=10 and
// scored by NMI and purity of each document's argmax topic against its category, for several
// seeds (the first, 1, is the default seed and is timed). -half all fits the whole file.
// -half quarters fits each half of the tuning half on its own (split by the next bit of the
// same hash): a check of a choice on other documents that still leaves the reporting half
// untouched (a gain on the tuning half alone may be that half's luck).
//
//	go run ./shared/analysis/topics/internal/evaltopics -seeds 1,2,3,4,5,6,7,8,9,10
//
// Scale: -docs N fits N one-line documents at -k K over -shards shards and prints the time
// of each stage and the peak heap of the whole in-process run (documents and every state
// object included). The documents are synthetic product reviews generated deterministically
// (a small vocabulary: a floor for time and memory), or one-line reviews cut from the IMDB
// set (-imdb DIR: the first two sentences of each review, then the next two), or the lines
// of -file.
//
//	go run ./shared/analysis/topics/internal/evaltopics -docs 100000 -k 20 -shards 20
//	go run ./shared/analysis/topics/internal/evaltopics -docs 100000 -k 20 -shards 20 -imdb "$(go env GOMODCACHE)/github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10/datasets"
package main

import (
	"bufio"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ream-dev/ream/shared/analysis/topics"
)

func main() {
	var (
		data     = flag.String("data", "shared/analysis/topics/testdata/topics-dep11.tsv", "labelled file: category<TAB>text")
		half     = flag.String("half", "both", "which half to fit and score: tuning, reporting, both, quarters (each half of the tuning half), or all (the whole file, not split)")
		seedsF   = flag.String("seeds", "1,2,3,4,5", "comma-separated seeds (the first is timed; 1 is the default seed)")
		k        = flag.Int("k", 10, "number of topics")
		shards   = flag.Int("shards", 4, "shards")
		workers  = flag.Int("workers", 1, "shards mapped at once")
		docsN    = flag.Int("docs", 0, "scale mode: number of one-line documents")
		file     = flag.String("file", "", "scale mode: one document a line (else synthetic reviews)")
		imdb     = flag.String("imdb", "", "scale mode: make one-line reviews from the IMDB set in this datasets directory (github.com/cdipaolo/sentiment)")
		rounds   = flag.Int("rounds", 0, "max rounds (0: default)")
		tol      = flag.Float64("tol", 0, "convergence tolerance (0: default, <0: never)")
		kappas   = flag.String("anneal", "", "annealing schedule of κ, comma-separated (empty: default)")
		annealIt = flag.Int("annealiters", 0, "EM iterations per κ on the sample (0: default)")
		prior    = flag.Float64("prior", 0, "mixing-weight smoothing λ (0: default, <0: none)")
		sample   = flag.Int("sample", 0, "sample size (0: default)")
		restarts = flag.Int("restarts", 0, "annealing restarts of the initialisation, the best by log-likelihood kept (0: default)")
		minDF    = flag.Int64("mindf", 0, "vocabulary MinDF (0: default)")
		maxDF    = flag.Float64("maxdf", 0, "vocabulary MaxDFShare (0: default)")
		maxTerms = flag.Int("maxterms", 0, "vocabulary MaxTerms (0: default)")
		terms    = flag.Bool("terms", false, "print each topic's top terms (default seed)")
	)
	flag.Parse()
	seeds, err := parseSeeds(*seedsF)
	if err != nil {
		fail(err)
	}
	opts := topics.DriverOptions{
		Vocab:   topics.VocabOptions{MinDF: *minDF, MaxDFShare: *maxDF, MaxTerms: *maxTerms},
		Fit:     topics.FitOptions{K: *k, Rounds: *rounds, Tol: *tol, AnnealIters: *annealIt, PriorWeight: *prior, SampleSize: *sample, Restarts: *restarts},
		Workers: *workers,
	}
	if *kappas != "" {
		for _, f := range strings.Split(*kappas, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				fail(fmt.Errorf("bad κ %q", f))
			}
			opts.Fit.Anneal = append(opts.Fit.Anneal, x)
		}
	}
	if *docsN > 0 {
		scale(*docsN, *file, *imdb, seeds[0], *shards, opts)
		return
	}
	rows, err := load(*data)
	if err != nil {
		fail(err)
	}
	var tune, report []row
	for _, r := range rows {
		if isTuning(r.text) {
			tune = append(tune, r)
		} else {
			report = append(report, r)
		}
	}
	fmt.Printf("%s: %d documents; tuning half %d, reporting half %d (split by FNV-1a of the text)\n", *data, len(rows), len(tune), len(report))
	fmt.Printf("K=%d, %d shards\n", *k, *shards)
	if *half == "all" {
		quality("whole file (both halves)", rows, seeds, *shards, opts, *terms)
	}
	if *half == "quarters" {
		var q [2][]row
		for _, r := range tune {
			q[quarter(r.text)] = append(q[quarter(r.text)], r)
		}
		quality("tuning quarter 0", q[0], seeds, *shards, opts, *terms)
		quality("tuning quarter 1", q[1], seeds, *shards, opts, *terms)
	}
	if *half == "tuning" || *half == "both" {
		quality("tuning half (choices were made here)", tune, seeds, *shards, opts, *terms)
	}
	if *half == "reporting" || *half == "both" {
		quality("REPORTING half", report, seeds, *shards, opts, *terms)
	}
}

type row struct{ label, text string }

// isTuning is the fixed split: FNV-1a (64-bit) of the text, even → tuning half.
func isTuning(text string) bool {
	h := fnv.New64a()
	h.Write([]byte(text))
	return h.Sum64()%2 == 0
}

// quarter splits the tuning half in two by the next bit of the same hash.
func quarter(text string) int {
	h := fnv.New64a()
	h.Write([]byte(text))
	return int(h.Sum64()>>1) & 1
}

func load(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l, t, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("%s: no tab in %q", path, line)
		}
		out = append(out, row{l, t})
	}
	return out, sc.Err()
}

func quality(name string, rows []row, seeds []int64, shards int, opts topics.DriverOptions, showTerms bool) {
	docs := make([]topics.Document, len(rows))
	labels := make([]string, len(rows))
	for i, r := range rows {
		docs[i] = topics.Document{ID: fmt.Sprintf("doc%05d", i), Text: r.text}
		labels[i] = r.label
	}
	fmt.Printf("\n== %s: %d documents ==\n", name, len(docs))
	var nmis, purs []float64
	for si, seed := range seeds {
		o := opts
		o.Fit.Seed = seed
		var mem peak
		mem.start()
		res, err := topics.Fit(docs, shards, o)
		mem.stop()
		if err != nil {
			fail(err)
		}
		cl := make([]int, len(docs))
		empty := 0
		for i, p := range res.Proportions {
			cl[i] = topics.Argmax(p)
			if p == nil {
				empty++
			}
		}
		nmi, pur := topics.NMI(labels, cl), topics.Purity(labels, cl)
		nmis, purs = append(nmis, nmi), append(purs, pur)
		fmt.Printf("seed %d: NMI %.4f  purity %.4f  (%d rounds, converged %v, %d docs without topics, vocabulary %d, log-likelihood %.5f)\n",
			seed, nmi, pur, res.Model.Round, res.Model.Converged, empty, res.Model.V, res.Model.LogLik[len(res.Model.LogLik)-1])
		if si == 0 {
			printTiming(res, &mem)
			if showTerms {
				contingency(labels, cl, res.Model.K)
				for t, ts := range topics.TopTerms(res.Model, 10) {
					var ws []string
					for _, x := range ts {
						ws = append(ws, x.Term)
					}
					fmt.Printf("  %s: %s\n", topics.TopicName(t), strings.Join(ws, " "))
				}
			}
		}
	}
	fmt.Printf("%s over %d seeds: NMI mean %.4f min %.4f max %.4f; purity mean %.4f min %.4f\n",
		name, len(seeds), mean(nmis), slices.Min(nmis), slices.Max(nmis), mean(purs), slices.Min(purs))
}

// contingency prints, for every category, how its documents spread over the topics.
func contingency(labels []string, cl []int, k int) {
	cats := slices.Sorted(func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, l := range labels {
			if !seen[l] {
				seen[l] = true
				if !yield(l) {
					return
				}
			}
		}
	})
	fmt.Printf("  %-12s", "category")
	for t := 0; t < k; t++ {
		fmt.Printf(" %4s", topics.TopicName(t))
	}
	fmt.Println("  none")
	for _, c := range cats {
		row := make([]int, k+1)
		for i, l := range labels {
			if l == c {
				if cl[i] < 0 {
					row[k]++
				} else {
					row[cl[i]]++
				}
			}
		}
		fmt.Printf("  %-12s", c)
		for _, n := range row {
			fmt.Printf(" %4d", n)
		}
		fmt.Println()
	}
}

func printTiming(res *topics.FitResult, mem *peak) {
	t := res.Timing
	var rounds time.Duration
	var each []string
	for _, d := range t.Rounds {
		rounds += d
		each = append(each, ms(d))
	}
	fmt.Printf("  time: stats map (tokenise) %s, vocabulary %s, sample map %s, init %s, %d rounds %s [%s], assign %s\n",
		ms(t.Stats), ms(t.Vocab), ms(t.Sample), ms(t.Init), len(t.Rounds), ms(rounds), strings.Join(each, " "), ms(t.Assign))
	fmt.Printf("  peak heap in use %.1f MiB, total allocated %.1f MiB; largest objects: stats %s, vocabulary %s, sample %s, model %s, round statistics %s\n",
		mib(mem.maxInuse.Load()), mib(mem.totalAlloc), kb(res.Sizes.Stats), kb(res.Sizes.Vocab), kb(res.Sizes.Sample), kb(res.Sizes.Model), kb(res.Sizes.RoundStats))
}

func scale(n int, file, imdb string, seed int64, shards int, opts topics.DriverOptions) {
	var docs []topics.Document
	var labels []string
	src := "synthetic reviews (generated, deterministic)"
	if imdb != "" {
		src = "one-line IMDB reviews (the first two sentences, then the next two, of each review in " + imdb + ")"
		docs = imdbLines(imdb, n)
	} else if file != "" {
		src = file
		f, err := os.Open(file)
		if err != nil {
			fail(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() && len(docs) < n {
			line := sc.Text()
			if _, t, ok := strings.Cut(line, "\t"); ok {
				line = t
			}
			docs = append(docs, topics.Document{ID: fmt.Sprintf("%s:%d", file, len(docs)+1), Text: line})
		}
		f.Close()
	} else {
		docs, labels = syntheticReviews(n)
	}
	opts.Fit.Seed = seed
	fmt.Printf("scale: %d documents (%s), K=%d, %d shards, %d workers, GOMAXPROCS %d\n", len(docs), src, opts.Fit.K, shards, opts.Workers, runtime.GOMAXPROCS(0))
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	fmt.Printf("  heap in use before fitting (documents loaded) %.1f MiB\n", mib(base.HeapInuse))
	var mem peak
	mem.start()
	t0 := time.Now()
	opts.Progress = func(stage string, d time.Duration) { fmt.Printf("  %-10s %s\n", stage, ms(d)) }
	res, err := topics.Fit(docs, shards, opts)
	mem.stop()
	if err != nil {
		fail(err)
	}
	fmt.Printf("  total %s; %d rounds, converged %v, vocabulary %d terms\n", ms(time.Since(t0)), res.Model.Round, res.Model.Converged, res.Model.V)
	printTiming(res, &mem)
	if labels != nil {
		cl := make([]int, len(docs))
		for i, p := range res.Proportions {
			cl[i] = topics.Argmax(p)
		}
		fmt.Printf("  synthetic generating-category NMI %.4f (sanity check only)\n", topics.NMI(labels, cl))
	}
}

// imdbLines makes up to n one-line reviews from the IMDB set (train then test, pos then neg,
// files in name order): each review's first two sentences, then its next two.
func imdbLines(dir string, n int) []topics.Document {
	var docs []topics.Document
	for pass := 0; pass < 2 && len(docs) < n; pass++ {
		for _, sub := range []string{"train/pos", "train/neg", "test/pos", "test/neg"} {
			ents, err := os.ReadDir(filepath.Join(dir, sub))
			if err != nil {
				fail(err)
			}
			for _, e := range ents {
				if len(docs) >= n {
					return docs
				}
				b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
				if err != nil {
					fail(err)
				}
				text := strings.ReplaceAll(string(b), "<br />", " ")
				var sents []string
				for len(text) > 0 {
					i := strings.IndexAny(text, ".!?")
					if i < 0 {
						sents = append(sents, text)
						break
					}
					sents = append(sents, text[:i+1])
					text = text[i+1:]
				}
				if len(sents) > 2*pass {
					line := strings.TrimSpace(strings.Join(sents[2*pass:min(len(sents), 2*pass+2)], ""))
					if line != "" {
						docs = append(docs, topics.Document{ID: fmt.Sprintf("%s/%s#%d", sub, e.Name(), pass), Text: line})
					}
				}
			}
		}
	}
	return docs
}

// peak samples the heap while a fit runs.
type peak struct {
	maxInuse   atomic.Uint64
	totalAlloc float64
	startAlloc uint64
	done       chan struct{}
	wg         sync.WaitGroup
}

func (p *peak) start() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.startAlloc = ms.TotalAlloc
	p.done = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > p.maxInuse.Load() {
				p.maxInuse.Store(ms.HeapInuse)
			}
			select {
			case <-p.done:
				return
			case <-tick.C:
			}
		}
	}()
}

func (p *peak) stop() {
	close(p.done)
	p.wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.totalAlloc = float64(ms.TotalAlloc - p.startAlloc)
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/1e6) }

func mib[T uint64 | float64](x T) float64 { return float64(x) / (1 << 20) }

func kb(n int64) string { return fmt.Sprintf("%.0fKiB", float64(n)/1024) }

func parseSeeds(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad seed %q", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no seed")
	}
	return out, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "evaltopics:", err)
	os.Exit(1)
}

// Synthetic reviews: one line each, about a product category, with the category's words,
// general review words and function words. Generated from a fixed seed.

var reviewTopics = [][]string{
	{"battery", "charger", "phone", "screen", "charging", "cable", "usb", "case", "bluetooth", "headphones", "sound", "volume", "earbuds", "speaker", "wireless"},
	{"book", "author", "story", "characters", "plot", "chapter", "novel", "reading", "pages", "writing", "ending", "series", "kindle", "edition", "read"},
	{"blender", "kitchen", "cook", "pan", "pot", "knife", "coffee", "maker", "mug", "dishwasher", "recipe", "oven", "lid", "handle", "stainless"},
	{"shirt", "fit", "size", "fabric", "color", "wash", "sleeves", "jeans", "waist", "shoes", "comfortable", "wear", "dress", "small", "large"},
	{"dog", "cat", "pet", "food", "treats", "toy", "chew", "litter", "collar", "leash", "puppy", "kitten", "bowl", "vet", "smell"},
	{"game", "play", "graphics", "level", "controller", "console", "multiplayer", "fun", "gameplay", "online", "players", "character", "missions", "xbox", "playstation"},
	{"movie", "film", "actor", "scene", "dvd", "acting", "director", "watch", "drama", "comedy", "cast", "season", "episode", "blu", "ray"},
	{"cream", "skin", "hair", "shampoo", "lotion", "scent", "face", "dry", "oily", "moisturizer", "brush", "makeup", "smell", "sensitive", "apply"},
	{"drill", "tool", "screw", "battery", "saw", "blade", "bit", "wood", "garage", "torque", "wrench", "cut", "cordless", "metal", "handle"},
	{"tent", "camping", "hike", "backpack", "water", "bottle", "sleeping", "bag", "trail", "rain", "waterproof", "outdoor", "lightweight", "zipper", "stakes"},
	{"printer", "ink", "paper", "scan", "wifi", "cartridge", "print", "setup", "driver", "laptop", "computer", "software", "install", "windows", "mac"},
	{"baby", "diaper", "stroller", "car", "seat", "bottle", "crib", "toddler", "infant", "monitor", "formula", "nursery", "blanket", "pacifier", "son"},
	{"vitamin", "supplement", "protein", "taste", "powder", "energy", "capsules", "health", "diet", "daily", "pills", "flavor", "workout", "muscle", "sugar"},
	{"song", "album", "music", "band", "track", "lyrics", "vocals", "guitar", "cd", "voice", "concert", "melody", "listen", "rock", "sound"},
	{"chair", "desk", "assemble", "instructions", "screws", "sturdy", "wood", "furniture", "table", "drawer", "cushion", "assembly", "pieces", "legs", "shelf"},
	{"watch", "band", "strap", "time", "wrist", "display", "steps", "tracker", "sleep", "heart", "rate", "fitness", "app", "sync", "notifications"},
	{"toy", "kids", "son", "daughter", "christmas", "gift", "lego", "pieces", "birthday", "age", "puzzle", "doll", "fun", "build", "plays"},
	{"camera", "lens", "photos", "pictures", "zoom", "tripod", "video", "focus", "flash", "memory", "card", "shots", "image", "quality", "sensor"},
	{"car", "tire", "engine", "oil", "wiper", "mount", "dash", "vehicle", "truck", "install", "headlight", "seat", "cover", "floor", "mats"},
	{"tea", "chocolate", "snack", "coffee", "flavor", "taste", "sweet", "beans", "bag", "fresh", "organic", "salt", "cookies", "candy", "box"},
}

var reviewGeneral = strings.Fields(`great good love excellent bad poor worked broke price quality recommend returned
product bought purchase months weeks days arrived shipping amazon seller star stars disappointed happy perfect
cheap expensive money worth value easy hard problem item order received better best worst nice awesome terrible`)

var reviewFunction = strings.Fields(`the a and it this i was is for to of my in but not with very so would as on have
had after just one they it's than too really all`)

func syntheticReviews(n int) ([]topics.Document, []string) {
	docs := make([]topics.Document, n)
	labels := make([]string, n)
	s := uint64(0x5eed)
	next := func() uint64 {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	var sb strings.Builder
	for i := range docs {
		t := int(next() % uint64(len(reviewTopics)))
		t2 := int(next() % uint64(len(reviewTopics)))
		words := 6 + int(next()%20)
		sb.Reset()
		for w := 0; w < words; w++ {
			if w > 0 {
				sb.WriteByte(' ')
			}
			r := next() % 100
			switch {
			case r < 40:
				sb.WriteString(reviewTopics[t][next()%uint64(len(reviewTopics[t]))])
			case r < 45:
				sb.WriteString(reviewTopics[t2][next()%uint64(len(reviewTopics[t2]))])
			case r < 70:
				sb.WriteString(reviewGeneral[next()%uint64(len(reviewGeneral))])
			default:
				sb.WriteString(reviewFunction[next()%uint64(len(reviewFunction))])
			}
		}
		sb.WriteString(".")
		docs[i] = topics.Document{ID: fmt.Sprintf("reviews.txt:%d", i+1), Text: sb.String()}
		labels[i] = strconv.Itoa(t)
	}
	return docs, labels
}
