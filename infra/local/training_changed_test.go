package local

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestCodingTrainingInputChanged: a CODING_TRAINING job's input replaced or deleted after the
// job was planned (here as its one shard starts, before the trainer reads it) fails the job with
// the Message every other analysis gives (the object by its s3:// name, "was replaced or deleted
// while the job was running" and what to do), and registers no model. Before, training never
// checked its input's version: a replaced input trained and registered a model from its new
// text (the job PARTIAL_SUCCESS), a deleted one FAILED with the store's words about an internal
// key ("training failed: coding: read training data: input: open inputs/…: not found").
func TestCodingTrainingInputChanged(t *testing.T) {
	ctx := testCtx(t)
	data := readTestdata(t, "train-sample.jsonl")
	lines := bytes.SplitAfter(data, []byte("\n"))
	for _, change := range []string{"replaced", "deleted"} {
		var root string
		var once sync.Once
		hooks := pipeline.Hooks{ShardStarted: func(msg pipeline.ShardMessage) error {
			once.Do(func() {
				p := filepath.Join(root, "b.jsonl")
				if change == "deleted" {
					_ = os.Remove(p)
				} else {
					_ = os.WriteFile(p, bytes.Join(lines[len(lines)/2:], nil), 0o644)
				}
			})
			return nil
		}}
		s := startStack(t, Config{Workers: 1}, hooks)
		c := defaultClient(s)
		uri := putInput(t, s, "train/b.jsonl", data)
		root = filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "comprehend", "train")
		req := lineJob("train", job.JSONLines)
		req.Analyses = []job.Analysis{job.CodingTraining}
		req.CodingConfig = &job.CodingConfig{Topic: "occupation"}
		req.InputDataConfig.S3Uri = uri // deleted: the object named
		if change == "replaced" {
			req.InputDataConfig.S3Uri = uri[:strings.LastIndex(uri, "/")+1] // the folder holding it
		}
		res, err := c.CreateJob(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		_, j := follow(t, ctx, c, res.JobId)
		want := "input s3://" + bucketName + "/inputs/local/comprehend/train/b.jsonl was replaced or deleted while the job was running"
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, want) || strings.Contains(j.Message, "file:") {
			t.Errorf("%s file: job %s (%s); want FAILED with %q", change, j.JobStatus, j.Message, want)
		}
		if j.CodingConfig != nil && j.CodingConfig.ModelId != "" {
			t.Errorf("%s file: the job names model %s", change, j.CodingConfig.ModelId)
		}
	}
}
