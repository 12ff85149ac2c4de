// Command evalcoding evaluates a batch-coding model on one part of the split of the ONS coding
// index titles (by default the untouched test part) and measures its speed:
//
//	go run ./shared/analysis/coding/internal/evalcoding -data ../shared/data/occupations-soc2010-train.tsv
//
// It prints top-1 and top-3 accuracy at the finest (3-digit) level, the coverage and accuracy
// of Model.Code's decisions at each level with the model's thresholds, the uncoded share,
// records per second on one goroutine (Model.Code over the part's records, repeated) and the
// model's size. -model evaluates a model file instead of the shipped (embedded) one.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/analysis/coding"
	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
)

func main() {
	data := flag.String("data", "../shared/data/occupations-soc2010-train.tsv", "labelled file, code<TAB>title lines")
	modelPath := flag.String("model", "", "model file (default: the shipped model)")
	part := flag.String("split", "test", "part of the split to evaluate: test, calibration or train")
	minTime := flag.Duration("time", 2*time.Second, "minimum duration of the speed measurement")
	flag.Parse()
	log.SetFlags(0)

	var m *coding.Model
	var size int
	var err error
	if *modelPath == "" {
		m, err = coding.Default()
		size = coding.DefaultModelSize()
	} else {
		var b []byte
		if b, err = os.ReadFile(*modelPath); err == nil {
			size = len(b)
			m, err = coding.Load(bytes.NewReader(b))
		}
	}
	if err != nil {
		log.Fatal(err)
	}
	var want coding.SplitPart
	switch *part {
	case "test":
		want = coding.SplitTest
	case "calibration":
		want = coding.SplitCalibration
	case "train":
		want = coding.SplitTrain
	default:
		log.Fatalf("unknown -split %q", *part)
	}

	f, err := os.Open(*data)
	if err != nil {
		log.Fatal(err)
	}
	var recs []coding.Example
	others := map[string]bool{} // wordsKey of every title outside the evaluated part
	read := map[string]bool{}   // coding.ReadKey of every title outside the evaluated part
	ex := coding.NewTSVExamples(f)
	for {
		e, ok, err := ex.Next()
		if err != nil {
			log.Fatal(err)
		}
		if !ok {
			break
		}
		if coding.SplitOf(e.Occp) == want {
			recs = append(recs, e)
		} else {
			others[wordsKey(e.Occp)] = true
			read[coding.ReadKey(e.Occp)] = true
		}
	}
	ex.Close()

	met, err := coding.Evaluate(context.Background(), m, coding.SliceExamples(recs))
	if err != nil {
		log.Fatal(err)
	}
	info := m.Info()
	fmt.Printf("model: %s %s, %s\n", info.TopicStandard, info.TopicVersion, info.ModelType)
	fmt.Printf("trained on: %s\n", info.TrainedOn)
	fmt.Printf("evaluated on: %s part of %s, %d records\n", *part, *data, met.Records)
	fmt.Printf("top-1 (minor group, 3-digit): %.4f\n", met.Top1)
	fmt.Printf("top-3 (minor group, 3-digit): %.4f\n", met.Top3)
	fmt.Printf("log-loss: %.4f\n", met.LogLoss)
	fmt.Printf("coding at thresholds (target precision %.2f on the calibration split):\n", info.Thresholds.TargetPrecision)
	for _, l := range met.Levels {
		fmt.Printf("  %d-digit: threshold %.3f  coverage %.4f  accuracy %.4f  (best %d-digit code right: %.4f)\n",
			l.Level, l.Threshold, l.Coverage, l.Accuracy, l.Level, l.Top1)
	}
	fmt.Printf("  uncoded: %.4f\n", met.Uncoded)

	// The split key folds case and white space only, so a title whose words are those of a
	// title in another part in another order (the index lists "civil engineer professional"
	// and "engineer professional civil") is on both sides: the figures without them.
	var unrepeated []coding.Example
	for _, r := range recs {
		if !others[wordsKey(r.Occp)] {
			unrepeated = append(unrepeated, r)
		}
	}
	if n := len(recs) - len(unrepeated); n > 0 && len(unrepeated) > 0 {
		um, err := coding.Evaluate(context.Background(), m, coding.SliceExamples(unrepeated))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("without the %d records whose title has the words of a title in another part, in any order (case and punctuation folded): %d records, top-1 %.4f, top-3 %.4f\n",
			n, um.Records, um.Top1, um.Top3)
	}
	// Nor does it fold what the model folds (plurals, stop words, accents, hyphens): the
	// figures without the titles the model reads as a title of another part, in any order.
	var unread []coding.Example
	for _, r := range recs {
		if !read[coding.ReadKey(r.Occp)] {
			unread = append(unread, r)
		}
	}
	if n := len(recs) - len(unread); n > 0 && len(unread) > 0 {
		um, err := coding.Evaluate(context.Background(), m, coding.SliceExamples(unread))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("without the %d records whose title the model reads as a title in another part (its words once normalised: plurals, stop words, accents, hyphens; any order): %d records, top-1 %.4f, top-3 %.4f\n",
			n, um.Records, um.Top1, um.Top3)
	}

	// Speed: one goroutine (GOMAXPROCS 1), Model.Code over the records, repeated for at least
	// -time. Records per second of wall time depend on what else the machine runs; records
	// per second of the process's CPU time (unix) are the cost on one core.
	prev := runtime.GOMAXPROCS(1)
	runtime.GC()
	n := 0
	cpu0, cpuOK := cpuTime()
	start := time.Now()
	for time.Since(start) < *minTime {
		for _, r := range recs {
			d := m.Code(r.Occp, r.Tasks)
			if len(d.Suggestions) == 0 {
				n-- // keep the result used
			}
			n++
		}
	}
	el := time.Since(start)
	cpu1, _ := cpuTime()
	runtime.GOMAXPROCS(prev)
	fmt.Printf("speed: %.0f records/s of wall time on one goroutine (Model.Code, %d records in %.2fs, GOMAXPROCS 1)\n",
		float64(n)/el.Seconds(), n, el.Seconds())
	if cpuOK && cpu1 > cpu0 {
		fmt.Printf("speed: %.0f records/s per core (CPU time %.2fs)\n", float64(n)/(cpu1-cpu0).Seconds(), (cpu1 - cpu0).Seconds())
	}
	fmt.Printf("model size: %d bytes\n", size)
}

// wordsKey is a title's words (evaltest.RepeatKey) in sorted order.
func wordsKey(title string) string {
	w := strings.Fields(evaltest.RepeatKey(title))
	slices.Sort(w)
	return strings.Join(w, " ")
}
