// Package topicsjob is what a TOPICS job is made of apart from the Service that runs it (see
// shared/pipeline/topics.go for its stages): the stage kinds and how Describe and a stop's
// Message name them, the keys of its work objects, the fit's options and default seed, the
// documents a stage reads, and its error codes and model version.
package topicsjob

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"iter"
	"strconv"

	"github.com/ream-dev/ream/shared/analysis/topics"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Stage kinds (job.TopicsStage.Kind).
const (
	Count  = "count"
	Sample = "sample"
	Round  = "round"
	Assign = "assign"
)

// ModelVersion names the topic model's method (a mixture of von Mises–Fisher distributions
// over TF-IDF vectors, fitted by distributed EM rounds; see shared/analysis/topics).
const ModelVersion = "ream-vmf-1"

// Error codes of a document none of whose words is in the fitted vocabulary, and of a readable
// document of a collection no model could be fitted on (TopicsStage.Unfit says why).
const (
	CodeNoTerms = "NO_TOPIC_TERMS"
	CodeNoModel = "NO_TOPIC_MODEL"
)

// Key is the key of the job's TOPICS work object name (Key(j, "") is the folder of them all).
func Key(j *job.Job, name string) string {
	return layout.JobWork(j.Tenant, j.JobId) + "topics/" + name
}

// Part is the key of one shard's map output of a kind (a stage's, or "stats", "errors", …).
func Part(j *job.Job, kind string, shard int) string {
	return Key(j, fmt.Sprintf("%s/%06d", kind, shard))
}

// Parts are the keys of every shard's map output of a kind, in shard order.
func Parts(j *job.Job, kind string) []string {
	keys := make([]string, j.TopicsStage.Shards)
	for i := range keys {
		keys[i] = Part(j, kind, i)
	}
	return keys
}

// ModelKey is the key of the job's model after round (0: the initial model).
func ModelKey(j *job.Job, round int) string {
	return Key(j, fmt.Sprintf("model-%03d", round))
}

// InitCheckpointKey is the key of the initial fit's checkpoint name (a finished restart, or
// the state of one that ran long; see topics.Checkpoints): InitCheckpointKey(j, "") is their
// folder.
func InitCheckpointKey(j *job.Job, name string) string {
	return Key(j, "init/"+name)
}

// Options are the fit's options for the job.
func Options(j *job.Job) topics.FitOptions {
	o := topics.FitOptions{K: j.NumberOfTopics}
	if j.RandomSeed != nil {
		o.Seed = *j.RandomSeed
	}
	return o
}

// DefaultSeed is the seed of a TOPICS job that gave none: derived from its id (recorded on the
// job, so a restarted job keeps it). It is below 2^53, so that JSON tools that read numbers as
// doubles (jq, JavaScript) show it exactly and a user can pass it back.
func DefaultSeed(id string) int64 {
	h := fnv.New64a()
	io.WriteString(h, id)
	return int64(h.Sum64() >> 11)
}

// StageLabel is the stage as Describe shows it.
func StageLabel(ts *job.TopicsStage, maxRounds int) string {
	switch ts.Kind {
	case Count:
		return "counting"
	case Sample:
		return "sampling"
	case Round:
		if maxRounds <= 0 {
			maxRounds = topics.DefaultRounds
		}
		return fmt.Sprintf("fitting round %d of at most %d", ts.Round, maxRounds)
	default:
		return "assigning"
	}
}

// StoppedMessage is the Message of a TOPICS job stopped at stage ts: the stage as Describe
// showed it (the initial fit has a label of its own), and what the stop leaves.
func StoppedMessage(j *job.Job, ts *job.TopicsStage) string {
	stage := j.JobDetails.Stage
	if stage == "" {
		stage = StageLabel(ts, Options(j).Rounds)
	}
	if ts.Kind == Assign {
		return fmt.Sprintf("stopped on request while %s; the topic model was fitted, but a stopped TOPICS job writes no output", stage)
	}
	return fmt.Sprintf("stopped on request while %s; no topic model was produced", stage)
}

// LateCopy reports whether shard message index (stage·Shards + shard) belongs to a stage
// of the TOPICS job before ts, its current one: a late copy of a stage that was complete.
func LateCopy(ts *job.TopicsStage, index int) bool {
	return ts.Shards > 0 && index/ts.Shards < ts.Index
}

// Usable yields the readable documents of a shard as the topics package reads them.
func Usable(docs func(func(input.Document) error) error) iter.Seq2[topics.Document, error] {
	return func(yield func(topics.Document, error) bool) {
		stop := errors.New("stop")
		err := docs(func(d input.Document) error {
			if d.Failed() {
				return nil
			}
			if !yield(topics.Document{ID: docID(d), Text: d.Text}, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(topics.Document{}, err)
		}
	}
}

// docID identifies a document for the seeded sample: its file and its line within the file.
func docID(d input.Document) string { return d.File + ":" + strconv.FormatInt(d.Line, 10) }

// TopTermsShown is how many terms of each topic topic-terms.csv shows (Comprehend's 10).
const TopTermsShown = 10

// NextAfter is the stage after model m (fitted through round).
func NextAfter(m *topics.Model, round int) (string, int) {
	if m.Done() {
		return Assign, round
	}
	return Round, round + 1
}

// UnfitMessage says why no model was fitted: the job's Message and each document's error say it.
func UnfitMessage(reason string) string { return "no topic model could be fitted: " + reason }

// InitLabel is the stage Describe shows while the initial model is fitted.
const InitLabel = "fitting the initial model on a sample"
