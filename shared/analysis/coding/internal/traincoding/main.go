// Command traincoding trains the shipped batch-coding model (SOC 2010 minor groups) from the
// ONS coding index titles and writes it where package coding embeds it:
//
//	go run ./shared/analysis/coding/internal/traincoding -data ../shared/data/occupations-soc2010-train.tsv -out shared/analysis/coding/models/soc2010.bin
//
// The input's rows are split by coding.SplitOf (a hash of the title): the test part (10 %)
// is filtered out before coding.Train sees the data; Train holds out the calibration part
// (10 %, HeldOutShare 0.1, the same hash) for the temperature, the thresholds and the
// metrics recorded in the model, and trains on the rest (80 %); then (TrainOptions.Refit)
// it trains the shipped weights once more on both parts (90 %), keeping the temperature,
// thresholds and metrics of the first model (-norefit skips that). The run is deterministic:
// the same input gives a byte-identical model file.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ream-dev/ream/shared/analysis/coding"
)

func main() {
	data := flag.String("data", "../shared/data/occupations-soc2010-train.tsv", "training file, code<TAB>title lines")
	out := flag.String("out", "shared/analysis/coding/models/soc2010.bin", "model file to write")
	epochs := flag.Int("epochs", 0, "training epochs (0: the default)")
	lr := flag.Float64("lr", 0, "learning rate (0: the default)")
	bits := flag.Int("bits", 0, "hash bits (0: the default)")
	charMax := flag.Int("charmax", 0, "longest character n-gram (0: the default)")
	noRefit := flag.Bool("norefit", false, "do not retrain on the calibration part after calibrating")
	flag.Parse()
	log.SetFlags(0)

	rows, err := countRows(*data)
	if err != nil {
		log.Fatal(err)
	}
	open := func() (coding.Examples, error) {
		f, err := os.Open(*data)
		if err != nil {
			return nil, err
		}
		return coding.FilterExamples(coding.NewTSVExamples(f), func(e coding.Example) bool {
			return coding.SplitOf(e.Occp) != coding.SplitTest
		}), nil
	}
	opts := coding.TrainOptions{
		Epochs:       *epochs,
		LearningRate: *lr,
		HeldOutShare: 0.1,
		TitleSplit:   true, // the calibration split, as coding.SplitOf's
		Refit:        !*noRefit,
		TrainedOn: fmt.Sprintf("%s (ONS coding index titles, %d rows); split by coding.SplitOf: trained on the train part (80 %%), "+
			"temperature, thresholds and metrics on the calibration part (10 %%), then retrained on both (90 %%) keeping them; "+
			"the test part (10 %%) is not read",
			filepath.Base(*data), rows),
		Logf: log.Printf,
	}
	opts.Features = coding.DefaultFeatures
	if *bits > 0 {
		opts.Features.Bits = uint8(*bits)
	}
	if *charMax > 0 {
		opts.Features.CharMax = uint8(*charMax)
	}
	start := time.Now()
	m, err := coding.Train(context.Background(), open, opts)
	if err != nil {
		log.Fatal(err)
	}
	elapsed := time.Since(start)
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		log.Fatal(err)
	}
	info := m.Info()
	met := info.Metrics
	log.Printf("trained in %.1fs: %d training, %d calibration records", elapsed.Seconds(), info.TrainRecords, info.HeldOutRecords)
	if info.RefitRecords > 0 {
		log.Printf("retrained on %d records (train and calibration parts); the figures below are the model trained on the train part alone", info.RefitRecords)
	}
	log.Printf("calibration split (thresholds were fitted on it): top-1 %.4f, top-3 %.4f, log-loss %.4f", met.Top1, met.Top3, met.LogLoss)
	for _, l := range met.Levels {
		log.Printf("  level %d: threshold %.3f, coverage %.4f, accuracy %.4f", l.Level, l.Threshold, l.Coverage, l.Accuracy)
	}
	log.Printf("  uncoded %.4f", met.Uncoded)
	if *out == "" {
		return
	}
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s (%d bytes)", *out, buf.Len())
}

func countRows(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			n++
		}
	}
	return n, sc.Err()
}
