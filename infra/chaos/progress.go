package chaos

// What a client polling Describe relies on, checked on every pair of consecutive observations
// of a job: its counters only grow, they add up at every look, and a TOPICS job's stage only
// moves forward.

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// progressProblems lists what is wrong with cur, the job as Describe showed it, and with cur
// after prev, the previous look at it (nil for the first).
func progressProblems(prev, cur *jobView) []string {
	var out []string
	d := cur.JobDetails
	if d.ShardsDone > d.ShardsTotal {
		out = append(out, fmt.Sprintf("ShardsDone %d > ShardsTotal %d", d.ShardsDone, d.ShardsTotal))
	}
	if d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount > d.InputDocumentsCount {
		out = append(out, fmt.Sprintf("Processed %d + WithErrors %d > Input %d", d.ProcessedDocumentsCount, d.DocumentsWithErrorsCount, d.InputDocumentsCount))
	}
	if d.InputBytes > 0 && d.ProcessedBytes > d.InputBytes {
		out = append(out, fmt.Sprintf("ProcessedBytes %d > InputBytes %d", d.ProcessedBytes, d.InputBytes))
	}
	for _, a := range slices.Sorted(maps.Keys(d.AnalysisCounts)) {
		if c := d.AnalysisCounts[a]; c.Succeeded+c.Failed > d.InputDocumentsCount {
			out = append(out, fmt.Sprintf("%s Succeeded %d + Failed %d > Input %d", a, c.Succeeded, c.Failed, d.InputDocumentsCount))
		}
	}
	if stageRank(d.Stage) < -1 {
		out = append(out, fmt.Sprintf("unknown Stage %q", d.Stage))
	}
	if terminal(cur.JobStatus) && d.Stage != "" {
		out = append(out, fmt.Sprintf("Stage %q on a %s job", d.Stage, cur.JobStatus))
	}
	if prev == nil {
		return out
	}
	a := prev.JobDetails
	for _, c := range []struct {
		name       string
		was, isNow int64
	}{
		{"InputDocumentsCount", a.InputDocumentsCount, d.InputDocumentsCount},
		{"ProcessedDocumentsCount", a.ProcessedDocumentsCount, d.ProcessedDocumentsCount},
		{"DocumentsWithErrorsCount", a.DocumentsWithErrorsCount, d.DocumentsWithErrorsCount},
		{"ShardsTotal", int64(a.ShardsTotal), int64(d.ShardsTotal)},
		{"ShardsDone", int64(a.ShardsDone), int64(d.ShardsDone)},
		{"ProcessedBytes", a.ProcessedBytes, d.ProcessedBytes},
	} {
		if c.isNow < c.was {
			out = append(out, fmt.Sprintf("%s went down from %d to %d", c.name, c.was, c.isNow))
		}
	}
	if a.InputBytes != 0 && d.InputBytes != a.InputBytes {
		out = append(out, fmt.Sprintf("InputBytes changed from %d to %d", a.InputBytes, d.InputBytes))
	}
	for _, name := range slices.Sorted(maps.Keys(a.AnalysisCounts)) {
		was := a.AnalysisCounts[name]
		now, ok := d.AnalysisCounts[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s left AnalysisCounts (it was %+v)", name, was))
		case now.Succeeded < was.Succeeded || now.Failed < was.Failed:
			out = append(out, fmt.Sprintf("%s counts went down from %+v to %+v", name, was, now))
		}
	}
	// A terminal job shows no stage; while it runs, the stage only moves forward.
	if !terminal(cur.JobStatus) && stageRank(d.Stage) < stageRank(a.Stage) {
		out = append(out, fmt.Sprintf("Stage went back from %q to %q", a.Stage, d.Stage))
	}
	return out
}

var roundStage = regexp.MustCompile(`^fitting round ([1-9][0-9]*) of at most [1-9][0-9]*$`)

// stageRank orders a TOPICS job's stages as the README lists them: counting, sampling, the
// initial fit, rounds 1…n, assigning. -1 is no stage, -2 one the README does not name.
func stageRank(stage string) int {
	switch {
	case stage == "":
		return -1
	case stage == "counting":
		return 0
	case stage == "sampling":
		return 1
	case strings.HasPrefix(stage, "fitting the initial model"):
		return 2
	case stage == "assigning":
		return 1 << 20
	}
	if m := roundStage.FindStringSubmatch(stage); m != nil {
		k, err := strconv.Atoi(m[1])
		if err == nil && k < 1<<19 {
			return 2 + k
		}
	}
	return -2
}
