// Package message words what the pipeline tells a job's user in its Message and in a coding
// operation's error: the status a finished job ends in and why (TerminalStatus), a stopped
// coding operation's account (CodingStopped), what to do about an input that changed
// (InputChangedAdvice, NewInputAdvice), and the counts they give (Counted, plural).
package message

import (
	"fmt"
	"strings"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// TerminalStatus is the status a finished job ends in, with its Message: STOPPED when a stop
// skipped shards (or stopped a training job), FAILED when every document failed, PARTIAL_SUCCESS when some did, else COMPLETED.
func TerminalStatus(j *job.Job, shards, skipped, failedShards int64) (job.Status, string) {
	d := j.JobDetails
	switch {
	case j.JobStatus == job.StopRequested && (skipped > 0 || j.Has(job.CodingTraining) && (j.CodingConfig == nil || j.CodingConfig.ModelId == "")):
		// (A stop that skipped nothing came while the last shards ran: the output is complete,
		// and the job ends as it would have, as Comprehend's "completes before it can be
		// stopped". A training job stopped before it registered its model has none; one whose
		// model was registered before the stop took effect ends with it.)
		if j.Has(job.CodingTraining) {
			// (Found from outside: the shard Message said "0 were skipped" and nothing of the
			// model.)
			if j.CodingConfig != nil && j.CodingConfig.ModelId != "" {
				// Its shard registered the model, died before recording it, and its redelivery
				// was skipped by the stop (the finalizer adopted the model).
				return job.Stopped, fmt.Sprintf("stopped on request after its model %s was registered: the model stands (the job names it); the output has no lines, its shard being skipped", j.CodingConfig.ModelId)
			}
			lines := "the output has a line for each record read"
			if skipped > 0 {
				lines = "the output has no lines, its shard being skipped"
			}
			return job.Stopped, "stopped on request before its model was registered: no model was made, and the topic's latest model is unchanged; " + lines
		}
		return job.Stopped, fmt.Sprintf("stopped on request: %d of %s were processed and are in the output; %s skipped (listed in the manifest)", shards-skipped, Counted(shards, "shard"), plural(skipped, "was", "were"))
	case j.Has(job.CodingTraining) && (j.CodingConfig == nil || j.CodingConfig.ModelId == ""):
		// The records could not train a model (trainingFailed wrote why on the job).
		// (A dead-lettered shard said here too, as below: found by the chaos harness, a training
		// shard killed on every delivery ended "training registered no model".)
		msg := j.Message
		if msg == "" {
			msg = "training registered no model"
		}
		return job.Failed, msg + deadLettered(failedShards)
	case d.InputDocumentsCount == 1 && d.DocumentsWithErrorsCount == 1:
		return job.Failed, "the one document failed; the output has its error record" + deadLettered(failedShards)
	case d.InputDocumentsCount > 0 && d.DocumentsWithErrorsCount == d.InputDocumentsCount:
		// (The dead-lettered shards said here too: found by the chaos harness, a training
		// job whose one shard was killed on every delivery FAILED without saying why.)
		return job.Failed, fmt.Sprintf("all %d documents failed; the output has an error record for each", d.InputDocumentsCount) + deadLettered(failedShards)
	case d.DocumentsWithErrorsCount > 0 || d.AnalysisCounts.Failures() > 0:
		var parts []string
		if d.DocumentsWithErrorsCount > 0 {
			msg := fmt.Sprintf("%d of %d documents could not be analysed; the output has an error record for each", d.DocumentsWithErrorsCount, d.InputDocumentsCount)
			parts = append(parts, msg+deadLettered(failedShards))
		}
		if f := analysisFailures(j); f != "" {
			parts = append(parts, f)
		}
		return job.PartialSuccess, strings.Join(parts, "; ")
	}
	return job.Completed, ""
}

// analysisFailures says how many documents each analysis of a several-analysis job failed on
// ("" when none did), in the job's order of analyses: "SENTIMENT failed on 5 documents and
// ENTITIES on 2; each document lists its failed analyses in Errors".
func analysisFailures(j *job.Job) string {
	if len(job.RecordAnalyses(j.Analyses)) < 2 {
		return "" // a one-analysis job's failures are its error records
	}
	var parts []string
	for _, a := range j.Analyses {
		n := j.JobDetails.AnalysisCounts[a].Failed
		if n == 0 {
			continue
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%s failed on %s", a, Counted(n, "document")))
		} else {
			parts = append(parts, fmt.Sprintf("%s on %d", a, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + "; each document lists its failed analyses in Errors"
}

// Counted is "n noun" with the noun in the plural unless n is 1 ("1 document", "3 topics"), for
// the Messages the pipeline writes.
func Counted(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// deadLettered is the Message's note of the shards that failed on every delivery, if any.
func deadLettered(failedShards int64) string {
	if failedShards == 0 {
		return ""
	}
	if failedShards == 1 {
		return " (1 shard failed repeatedly and was dead-lettered)"
	}
	return fmt.Sprintf(" (%d shards failed repeatedly and were dead-lettered)", failedShards)
}

// CodingStopped is the error of a coding operation stopped while it coded. The job's
// Message speaks of shards and of the manifest, which a coding client cannot see (it has the
// coding API, not /v1/jobs' results): this one says, in the client's terms, how many records
// were coded, where they are, and how to code the rest. (An operation stopped before it started
// coding keeps the job's Message, which says so.)
func CodingStopped(j *job.Job) string {
	d := j.JobDetails
	again := fmt.Sprintf("a new batch-code operation (POST /v1/topics/%s/models/%s/batch-code, to code them with the same model)", j.CodingConfig.Topic, j.CodingConfig.ModelId)
	if d.InputDocumentsCount == 0 {
		return "stopped on request before any record was coded; to code the file, send it in " + again
	}
	msg := "stopped on request: " + plural(d.InputDocumentsCount, "record was", "records were") + " coded before the stop"
	if n := d.DocumentsWithErrorsCount; n > 0 {
		msg += fmt.Sprintf(" (%d of them error lines)", n)
	}
	msg += "; coded.jsonl (responseDownloadUrl) has a line for each, with its recordId; "
	if left := d.InputBytes - d.ProcessedBytes; d.InputBytes > 0 && left > 0 {
		msg += fmt.Sprintf("the rest of the file (%d of its %d bytes) was not coded", left, d.InputBytes)
	} else {
		msg += "the rest of the file was not coded"
	}
	return msg + ": to code those records (those whose recordId is not in coded.jsonl), send them in " + again
}

// plural is "1 <one>" or "<n> <many>".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// InputChangedAdvice ends the Message of a job whose input changed under it: what to do about
// the new input. A drop rule starts a job of its own for the new version of a dropped object; a
// coding operation's client starts a new operation (NewInputAdvice).
func InputChangedAdvice(j *job.Job) string {
	switch {
	case j.DropRule != "" && j.InputDataConfig.InputFormat == job.OneDocPerFile:
		// a batch's files start no job of their own: only its _SUCCESS marker does. The batch
		// is the marker's folder, so the command is one to copy (found from outside: it said
		// "BATCH", leaving the user to work out which batch from DropObject.Key).
		return "write the batch's " + droprule.Marker + " marker again (ream drop-rules close " + dashDash(j.DropRule) + j.DropRule + " " + batchArg(j) + ") to start a job over the batch as it is now"
	case j.DropRule != "":
		return "the new version starts a job of its own under drop rule " + j.DropRule
	case j.CodingOperation:
		return NewInputAdvice(j)
	}
	return "submit a new job for the new input"
}

// batchArg is the BATCH argument of `ream drop-rules close` for a drop batch's job: the folder
// of its marker relative to the rule's folder, quoted for a POSIX shell when it holds anything
// but letters, digits and ._/-, after "-- " when it starts with "-" (which quoting does not
// keep from being read as a flag); "BATCH" when the marker's key does not say.
func batchArg(j *job.Job) string {
	_, rule, rel, ok := droprule.ParseKey(j.DropObject.Key)
	batch, marked := strings.CutSuffix(rel, "/"+droprule.Marker)
	if !ok || !marked || rule != j.DropRule || batch == "" {
		return "BATCH"
	}
	dashes := dashDash(batch)
	if strings.IndexFunc(batch, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._/-", r))
	}) < 0 {
		return dashes + batch
	}
	return dashes + "'" + strings.ReplaceAll(batch, "'", `'\''`) + "'"
}

// dashDash is "-- " before a command-line argument that starts with "-" (a rule may be named
// "-x", a batch folder "-b1"), which ream would read as a flag, quoted or not; else "".
func dashDash(arg string) string {
	if strings.HasPrefix(arg, "-") {
		return "-- "
	}
	return ""
}

// NewInputAdvice tells the client of job j how to have another input analysed, in the terms of
// the API that made the job: a coding operation's client (POST …/batch-code) never made a job,
// so it is told to start a new batch-code operation; others to create a new job.
func NewInputAdvice(j *job.Job) string {
	if j.CodingOperation {
		topic := "{topic}"
		if j.CodingConfig != nil && j.CodingConfig.Topic != "" {
			topic = j.CodingConfig.Topic
		}
		return "start a new batch-code operation (POST /v1/topics/" + topic + "/batch-code) to code another file"
	}
	return "create a new job to analyse another input"
}
