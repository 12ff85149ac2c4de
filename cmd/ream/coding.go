package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// The coding service's commands: code (a batch-code operation), models, train (a
// CODING_TRAINING job).

// defaultTopic is the coding scheme the commands use without --topic (the one Ream ships).
const defaultTopic = "occupation"

// codingPollEvery is how often `code --wait` asks for the operation's status.
var codingPollEvery = time.Second

func code(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("code", flag.ContinueOnError)
	topic := fset.String("topic", defaultTopic, "the coding scheme")
	model := fset.String("model", "", "the model id (default: the topic's latest)")
	wait := fset.Bool("wait", false, "show progress and return when the operation is complete, failed or timed out")
	out := fset.String("out", "", "download coded.jsonl and metadata.json into this directory (implies --wait)")
	path, err := parseOne(fset, args, "code needs exactly one FILE of JSON Lines records")
	if err != nil {
		return err
	}
	if err := regularFile(path, "code takes one JSON Lines file of records"); err != nil {
		return err
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	op, err := c.StartCoding(ctx, *topic, *model)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "operation %s started\n", op.OperationId)
	if err := c.UploadCodingRecords(ctx, op, path); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	fmt.Fprintf(os.Stderr, "uploaded %s\n", path)
	if !*wait && *out == "" {
		fmt.Println(op.OperationId)
		return nil
	}
	bar := newProgress(os.Stderr, isTerminal(os.Stderr))
	st, err := c.WaitCoding(ctx, *topic, *model, op.OperationId, codingPollEvery, func(st *api.CodingOperationStatus) {
		if st.Job != nil {
			bar.update(st.Job)
		}
	})
	bar.done()
	if err != nil && ctx.Err() != nil {
		// Ctrl-C (or SIGTERM) stops the waiting, not the operation, as for submit --wait
		// (follow): said, with how to go on (it printed only "context canceled").
		return fmt.Errorf("%v: stopped waiting; operation %s goes on running on the server: `ream wait %s` follows it", context.Cause(ctx), op.OperationId, op.OperationId)
	}
	if err != nil {
		return err
	}
	printOperation(os.Stdout, st)
	// A failed operation may have an output too (an error line per record): download it
	// before reporting the failure.
	if *out != "" && st.ResponseDownloadURL != "" {
		files, err := c.DownloadCoding(ctx, st, *out)
		if err != nil {
			return fmt.Errorf("download results: %w", err)
		}
		fmt.Printf("results:    %s\n", strings.Join(files, ", "))
	}
	if st.OperationStatus != api.OpComplete {
		return jobEndedError{fmt.Errorf("operation %s ended %s", st.OperationId, st.OperationStatus)}
	}
	return nil
}

func printOperation(w io.Writer, st *api.CodingOperationStatus) {
	fmt.Fprintf(w, "operation:  %s\n", st.OperationId)
	fmt.Fprintf(w, "status:     %s\n", st.OperationStatus)
	if st.Error != "" {
		fmt.Fprintf(w, "error:      %s\n", st.Error)
	}
	if j := st.Job; j != nil {
		if j.CodingConfig != nil && j.CodingConfig.ModelId != "" {
			fmt.Fprintf(w, "model:      %s\n", j.CodingConfig.ModelId)
		}
		fmt.Fprintf(w, "records:    %d (%d with errors)\n", j.JobDetails.InputDocumentsCount, j.JobDetails.DocumentsWithErrorsCount)
	}
}

func models(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("models", flag.ContinueOnError)
	topic := fset.String("topic", defaultTopic, "the coding scheme")
	pos, err := parse(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("models takes no arguments (got %q)", pos)
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	ms, err := c.Models(ctx, *topic)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL ID\tVERSION\tRELEASED\tTYPE\tOWNER\tTRAINED\tHELD-OUT\tTOP-1\tTOP-3")
	for _, m := range ms {
		owner := "own"
		if m.Shipped {
			owner = "shipped"
		}
		met := heldOut(m)
		trained, held := trainingCounts(m.Training)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ModelId, m.ModelVersion, m.ModelReleaseDate.Format(time.DateOnly),
			shortType(m.ModelType), owner, trained, held, percent(met.Top1), percent(met.Top3))
	}
	return tw.Flush()
}

// metrics are the held-out measures a model's Metrics hold (what the trainer reports:
// shared/analysis/coding.Metrics); absent ones stay nil.
type metrics struct {
	Records int      `json:"records"`
	Top1    *float64 `json:"top1"`
	Top3    *float64 `json:"top3"`
	Levels  []struct {
		Level     int      `json:"level"`
		Threshold float64  `json:"threshold"`
		Coverage  *float64 `json:"coverage"`
		Accuracy  *float64 `json:"accuracy"`
	} `json:"levels"`
}

// heldOut decodes a model's metrics; a model without (or with unreadable) metrics has none.
func heldOut(m api.Model) metrics {
	var met metrics
	if len(m.Metrics) > 0 && json.Unmarshal(m.Metrics, &met) != nil {
		return metrics{}
	}
	return met
}

// trainingCounts are the records a model's weights were trained on (after a refit, all of
// them) and the records held out to measure it, as the models table shows them; "-" for a model
// registered before descriptions carried them.
func trainingCounts(t *api.ModelTraining) (trained, held string) {
	if t == nil {
		return "-", "-"
	}
	n := t.TrainRecords
	if t.RefitRecords > 0 {
		n = t.RefitRecords
	}
	return strconv.Itoa(n), strconv.Itoa(t.HeldOutRecords)
}

func percent(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**v)
}

// shortType is a model type without its parenthesised details.
func shortType(t string) string {
	if i := strings.Index(t, " ("); i > 0 {
		return t[:i]
	}
	return t
}

func train(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("train", flag.ContinueOnError)
	topic := fset.String("topic", defaultTopic, "the coding scheme")
	name := fset.String("name", "", "job name")
	wait := fset.Bool("wait", false, "show progress, then print the registered model and its held-out metrics")
	path, err := parseOne(fset, args, `train needs exactly one FILE of labelled JSON Lines records {"code","occp_text","tasks_text"}`)
	if err != nil {
		return err
	}
	req := api.CreateJobRequest{
		JobName:         *name,
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: *topic},
	}
	c, id, err := submitJob(ctx, req, path, true, *wait, "")
	if err != nil || !*wait {
		return err
	}
	j, err := c.Describe(ctx, id)
	if err != nil {
		return err
	}
	if j.CodingConfig == nil || j.CodingConfig.ModelId == "" {
		return fmt.Errorf("job %s registered no model (%s)", j.JobId, j.JobStatus)
	}
	m, err := c.Model(ctx, *topic, j.CodingConfig.ModelId)
	if err != nil {
		return err
	}
	printModel(os.Stdout, m)
	return nil
}

func printModel(w io.Writer, m *api.Model) {
	fmt.Fprintf(w, "model:      %s (version %d, %s)\n", m.ModelId, m.ModelVersion, m.ModelReleaseDate.Format(time.DateOnly))
	met := heldOut(*m)
	if met.Top1 == nil && met.Top3 == nil {
		fmt.Fprintln(w, "held out:   no metrics")
		return
	}
	fmt.Fprintf(w, "held out:   top-1 %s, top-3 %s on %d records\n", percent(met.Top1), percent(met.Top3), met.Records)
	for _, l := range met.Levels {
		acc := percent(l.Accuracy)
		if l.Coverage != nil && *l.Coverage == 0 {
			acc = "- (codes nothing at this level)"
		}
		fmt.Fprintf(w, "  level %d:  threshold %.3f, coverage %s, accuracy %s\n", l.Level, l.Threshold, percent(l.Coverage), acc)
	}
}
