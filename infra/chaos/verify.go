package chaos

// Verification of one finished job against a clean reference run of the same input: every
// document exactly once, each record as the reference has it (except in dead-lettered shards),
// counters, manifest and notification consistent with each other.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Failure categories, as the summary line names them.
const (
	kLost         = "lost"
	kDoubled      = "doubled"
	kStuck        = "stuck"
	kWrong        = "wrong"
	kCounters     = "counters"
	kNotifLost    = "notifications_lost"
	kNotifDoubled = "notifications_doubled"
	kManifest     = "manifest"
	kStatus       = "status"
	kServer       = "server"
	kReference    = "reference"
)

// Shard statuses in the manifest.
const (
	shardProcessed = "PROCESSED"
	shardSkipped   = "SKIPPED"
	shardFailed    = "FAILED"
)

// outRec is one output line: the fields the harness reads, and the line itself.
type outRec struct {
	Line         *int64 `json:"Line"`
	File         string `json:"File"`
	RecordId     string `json:"RecordId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
	raw          string
}

type shardInfo struct {
	Index     int    `json:"Index"`
	Start     int64  `json:"Start"`
	End       int64  `json:"End"`
	Files     int    `json:"Files"`
	Documents int64  `json:"Documents"`
	Errors    int64  `json:"Errors"`
	Status    string `json:"Status"`
}

type manifest struct {
	JobId      string     `json:"JobId"`
	JobStatus  string     `json:"JobStatus"`
	JobDetails jobDetails `json:"JobDetails"`
	Output     struct {
		Lines int64 `json:"Lines"`
	} `json:"Output"`
	Shards []shardInfo `json:"Shards"`
}

// parseOutput reads the archive's output entry: one JSON object per line.
func parseOutput(b []byte) ([]outRec, error) {
	var recs []outRec
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		var r outRec
		if err := json.Unmarshal(line, &r); err != nil {
			return recs, fmt.Errorf("output line %d is not a JSON object: %v: %.200q", len(recs), err, line)
		}
		r.raw = string(line)
		recs = append(recs, r)
	}
	return recs, nil
}

// findings accumulates one job's failures by category, with a few examples of each.
type findings struct {
	mu      sync.Mutex
	counts  map[string]int
	details map[string][]string
	more    map[string]int
}

const examplesPerKind = 4

func newFindings() *findings {
	return &findings{counts: map[string]int{}, details: map[string][]string{}, more: map[string]int{}}
}

func (f *findings) add(kind string, n int, format string, args ...any) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[kind] += n
	if len(f.details[kind]) < examplesPerKind {
		f.details[kind] = append(f.details[kind], fmt.Sprintf(format, args...))
	} else {
		f.more[kind]++
	}
}

func (f *findings) empty() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.counts) == 0
}

// reference is the clean run of an input.
type reference struct {
	Status  string
	Details jobDetails
	Recs    []outRec
	Entries map[string][]byte // TOPICS: the output.tar.gz entries
	Coded   []byte            // coding: coded.jsonl
	Message string            // training: the job's Message (why it FAILED)
	Output  []byte            // training: the output entry of output.tar.gz
	Model   *modelView        // training: the model it registered (nil when none)
	ModelB  []byte            // training: the model file's body, its job id masked
	byLine  []int             // line formats: Line → index in Recs
	byFile  map[string]int    // ONE_DOC_PER_FILE: File → index in Recs
}

// index builds the lookups and checks the reference itself: one record per document of the
// input, no dead-lettered shard. Problems make the reference unusable.
func (ref *reference) index(spec *jobSpec) error {
	if ref.Status == "STOPPED" || !terminal(ref.Status) {
		return fmt.Errorf("reference run ended %s", ref.Status)
	}
	if len(ref.Recs) != spec.Docs {
		return fmt.Errorf("reference output has %d records, the input has %d documents", len(ref.Recs), spec.Docs)
	}
	if spec.Format == formatFile {
		ref.byFile = make(map[string]int, len(ref.Recs))
		for i, r := range ref.Recs {
			if _, dup := ref.byFile[r.File]; dup {
				return fmt.Errorf("reference output has file %q twice", r.File)
			}
			ref.byFile[r.File] = i
		}
		for _, f := range spec.Files {
			if _, ok := ref.byFile[f.Name]; !ok {
				return fmt.Errorf("reference output lacks file %q", f.Name)
			}
		}
	} else {
		ref.byLine = make([]int, spec.Docs)
		for i := range ref.byLine {
			ref.byLine[i] = -1
		}
		for i, r := range ref.Recs {
			if r.Line == nil || *r.Line < 0 || *r.Line >= int64(spec.Docs) || ref.byLine[*r.Line] >= 0 {
				return fmt.Errorf("reference record %d has a bad or repeated Line: %.120s", i, r.raw)
			}
			ref.byLine[*r.Line] = i
		}
	}
	for _, r := range ref.Recs {
		if r.ErrorCode == "SHARD_FAILED" {
			return fmt.Errorf("reference run dead-lettered a shard: %.120s", r.raw)
		}
	}
	return nil
}

// inputError reports whether code is one the reader gives (so a dead-lettered shard keeps it).
func inputError(code string) bool {
	switch code {
	case "UNSUPPORTED_ENCODING", "EMPTY_DOCUMENT", "INVALID_RECORD", "DOCUMENT_SIZE_EXCEEDED":
		return true
	}
	return false
}

// impliedStatus is the terminal status a finished, not stopped job must have for its counters.
func impliedStatus(d jobDetails) string {
	switch {
	case d.InputDocumentsCount > 0 && d.DocumentsWithErrorsCount == d.InputDocumentsCount:
		return "FAILED"
	case d.DocumentsWithErrorsCount > 0:
		return "PARTIAL_SUCCESS"
	}
	return "COMPLETED"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// verifyOutput checks a terminal job's output and manifest. stopState is "none", "accepted",
// "refused" or "unknown".
func verifyOutput(f *findings, spec *jobSpec, ref *reference, v *jobView, recs []outRec, m *manifest) (failedShards int) {
	d := v.JobDetails
	stopped := v.JobStatus == "STOPPED"
	lineFmt := spec.Format != formatFile

	// Counters against the output.
	var errOut int64
	for _, r := range recs {
		if r.ErrorCode != "" {
			errOut++
		}
	}
	if d.InputDocumentsCount != d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount {
		f.add(kCounters, 1, "InputDocumentsCount %d != Processed %d + WithErrors %d", d.InputDocumentsCount, d.ProcessedDocumentsCount, d.DocumentsWithErrorsCount)
	}
	if d.InputDocumentsCount != int64(len(recs)) {
		f.add(kCounters, 1, "InputDocumentsCount %d, output has %d lines", d.InputDocumentsCount, len(recs))
	}
	if d.DocumentsWithErrorsCount != errOut {
		f.add(kCounters, 1, "DocumentsWithErrorsCount %d, output has %d error records", d.DocumentsWithErrorsCount, errOut)
	}
	if d.ShardsDone != d.ShardsTotal {
		f.add(kCounters, 1, "ShardsDone %d != ShardsTotal %d in a terminal job", d.ShardsDone, d.ShardsTotal)
	}
	if !stopped && d.InputDocumentsCount != int64(spec.Docs) {
		f.add(kCounters, 1, "InputDocumentsCount %d, the input has %d documents", d.InputDocumentsCount, spec.Docs)
	}

	// The manifest, shard by shard.
	var docs []lineDoc
	if lineFmt {
		docs = splitDocs(spec.Data)
	}
	shardOK := false // the shard layout is sound enough to attribute records to shards
	if m == nil {
		f.add(kManifest, 1, "no manifest")
	} else {
		if m.JobId != v.JobId {
			f.add(kManifest, 1, "manifest is for job %q", m.JobId)
		}
		if m.JobStatus != v.JobStatus {
			f.add(kManifest, 1, "manifest JobStatus %s, job %s", m.JobStatus, v.JobStatus)
		}
		if !reflect.DeepEqual(m.JobDetails, d) {
			f.add(kManifest, 1, "manifest JobDetails %+v, job %+v", m.JobDetails, d)
		}
		if m.Output.Lines != int64(len(recs)) {
			f.add(kManifest, 1, "manifest Output.Lines %d, output has %d lines", m.Output.Lines, len(recs))
		}
		if len(m.Shards) != d.ShardsTotal {
			f.add(kManifest, 1, "manifest lists %d shards, ShardsTotal %d", len(m.Shards), d.ShardsTotal)
		}
		var sumDocs, sumErrs, next int64
		var files int
		shardOK = true
		for i, sh := range m.Shards {
			if sh.Index != i {
				f.add(kManifest, 1, "shard %d has Index %d", i, sh.Index)
				shardOK = false
			}
			switch sh.Status {
			case shardProcessed:
			case shardFailed:
				failedShards++
				if sh.Errors != sh.Documents {
					f.add(kManifest, 1, "dead-lettered shard %d has %d documents but %d errors", i, sh.Documents, sh.Errors)
				}
			case shardSkipped:
				if !stopped {
					f.add(kManifest, 1, "shard %d SKIPPED in a %s job", i, v.JobStatus)
				}
				if sh.Errors != 0 {
					f.add(kManifest, 1, "skipped shard %d has %d errors", i, sh.Errors)
				}
			default:
				f.add(kManifest, 1, "shard %d has status %q", i, sh.Status)
			}
			if lineFmt {
				if sh.Start != next || sh.End <= sh.Start {
					f.add(kManifest, 1, "shard %d covers [%d, %d); want a range starting at %d", i, sh.Start, sh.End, next)
					shardOK = false
				}
				next = sh.End
				lo := sort.Search(len(docs), func(k int) bool { return docs[k].Start >= sh.Start })
				hi := sort.Search(len(docs), func(k int) bool { return docs[k].Start >= sh.End })
				if own := int64(hi - lo); sh.Documents != own {
					f.add(kManifest, 1, "shard %d [%d, %d) has %d documents, want %d", i, sh.Start, sh.End, sh.Documents, own)
				}
			} else {
				files += sh.Files
				if sh.Status != shardSkipped && sh.Documents != int64(sh.Files) {
					f.add(kManifest, 1, "shard %d holds %d files but %d documents", i, sh.Files, sh.Documents)
				}
			}
			if sh.Status != shardSkipped {
				sumDocs += sh.Documents
				sumErrs += sh.Errors
			}
		}
		if lineFmt && next != int64(len(spec.Data)) && len(m.Shards) > 0 {
			f.add(kManifest, 1, "shards end at byte %d, the input has %d bytes", next, len(spec.Data))
			shardOK = false
		}
		if !lineFmt && files != len(spec.Files) && len(m.Shards) > 0 {
			f.add(kManifest, 1, "shards hold %d files, the input has %d", files, len(spec.Files))
		}
		if sumDocs != d.InputDocumentsCount || sumDocs != int64(len(recs)) {
			f.add(kManifest, 1, "shards hold %d documents; InputDocumentsCount %d, output %d lines", sumDocs, d.InputDocumentsCount, len(recs))
			if !lineFmt {
				shardOK = false
			}
		}
		if sumErrs != d.DocumentsWithErrorsCount {
			f.add(kManifest, 1, "shards hold %d errors, DocumentsWithErrorsCount %d", sumErrs, d.DocumentsWithErrorsCount)
		}
	}

	// Which shard each record belongs to (-1: unknown).
	shardOf := func(pos int, r outRec) int { return -1 }
	if shardOK && lineFmt {
		shardOf = func(_ int, r outRec) int {
			if r.Line == nil || *r.Line < 0 || *r.Line >= int64(len(docs)) {
				return -1
			}
			start := docs[*r.Line].Start
			k := sort.Search(len(m.Shards), func(k int) bool { return m.Shards[k].End > start })
			if k < len(m.Shards) && m.Shards[k].Start <= start {
				return k
			}
			return -1
		}
	} else if shardOK {
		// Files: the output is the non-skipped shards' records in shard order.
		owner := make([]int, 0, len(recs))
		for k, sh := range m.Shards {
			if sh.Status == shardSkipped {
				continue
			}
			for n := int64(0); n < sh.Documents; n++ {
				owner = append(owner, k)
			}
		}
		shardOf = func(pos int, _ outRec) int {
			if pos < len(owner) {
				return owner[pos]
			}
			return -1
		}
	}
	status := func(k int) string {
		if k < 0 {
			return shardProcessed
		}
		return m.Shards[k].Status
	}

	// Record by record against the reference.
	seenLine := make([]int, len(docs))
	seenFile := map[string]int{}
	shardErrs := map[int]int64{}
	lastLine := int64(-1)
	for pos, r := range recs {
		var want *outRec
		if lineFmt {
			if r.Line == nil || *r.Line < 0 || *r.Line >= int64(len(docs)) {
				f.add(kWrong, 1, "output line %d names no document of the input: %.160s", pos, r.raw)
				continue
			}
			l := *r.Line
			if l <= lastLine {
				f.add(kWrong, 1, "output line %d has Line %d after Line %d: not in input order", pos, l, lastLine)
			}
			lastLine = l
			seenLine[l]++
			if seenLine[l] == 2 {
				f.add(kDoubled, 1, "Line %d appears more than once", l)
			}
			want = &ref.Recs[ref.byLine[l]]
		} else {
			i, ok := ref.byFile[r.File]
			if !ok {
				f.add(kWrong, 1, "output line %d names no file of the input: %.160s", pos, r.raw)
				continue
			}
			seenFile[r.File]++
			if seenFile[r.File] == 2 {
				f.add(kDoubled, 1, "File %q appears more than once", r.File)
			}
			want = &ref.Recs[i]
		}
		k := shardOf(pos, r)
		if r.ErrorCode != "" {
			shardErrs[k]++
		}
		switch status(k) {
		case shardSkipped:
			f.add(kWrong, 1, "record of SKIPPED shard %d in the output: %.160s", k, r.raw)
		case shardFailed:
			sameDoc := r.File == want.File && r.RecordId == want.RecordId && (r.Line == nil) == (want.Line == nil) &&
				(r.Line == nil || *r.Line == *want.Line)
			switch {
			case r.ErrorCode == "SHARD_FAILED" && sameDoc && r.ErrorMessage != "":
			case r.raw == want.raw && inputError(want.ErrorCode):
			default:
				f.add(kWrong, 1, "dead-lettered shard %d: got %s; want a SHARD_FAILED record or the input error %s",
					k, clip(r.raw, 200), clip(want.raw, 200))
			}
		default:
			if r.raw != want.raw {
				f.add(kWrong, 1, "shard %d (%s): got %s; reference %s", k, status(k), clip(r.raw, 240), clip(want.raw, 240))
			}
		}
	}
	if shardOK {
		for k, sh := range m.Shards {
			if sh.Status != shardSkipped && shardErrs[k] != sh.Errors {
				f.add(kManifest, 1, "shard %d (%s) counts %d errors; its records hold %d", k, sh.Status, sh.Errors, shardErrs[k])
			}
		}
	}

	// Documents missing from the output.
	if lineFmt {
		for l, n := range seenLine {
			if n > 0 {
				continue
			}
			if stopped {
				if !shardOK {
					continue // cannot tell which documents a stopped job skipped
				}
				k := sort.Search(len(m.Shards), func(k int) bool { return m.Shards[k].End > docs[l].Start })
				if k < len(m.Shards) && m.Shards[k].Status == shardSkipped {
					continue
				}
			}
			f.add(kLost, 1, "Line %d (%.60q) is missing from the output", l, docs[l].Text)
		}
	} else {
		expected := len(spec.Files)
		if stopped {
			expected = -1
			if shardOK {
				expected = 0
				for _, sh := range m.Shards {
					if sh.Status != shardSkipped {
						expected += sh.Files
					}
				}
			}
		}
		if !stopped {
			for _, fd := range spec.Files {
				if seenFile[fd.Name] == 0 {
					f.add(kLost, 1, "File %q is missing from the output", fd.Name)
				}
			}
		} else if expected >= 0 && len(seenFile) < expected {
			f.add(kLost, expected-len(seenFile), "%d files of processed shards are missing from the output", expected-len(seenFile))
		}
	}
	return failedShards
}

// verifyStatus checks the terminal status against the stop request and the counters.
func verifyStatus(f *findings, ref *reference, v *jobView, stopState string, failedShards int) {
	implied := impliedStatus(v.JobDetails)
	switch stopState {
	case "accepted":
		if v.JobStatus == "STOPPED" {
			return
		}
		if v.JobStatus != "COMPLETED" && v.JobStatus != "PARTIAL_SUCCESS" {
			f.add(kStatus, 1, "stop was accepted but the job ended %s (%s)", v.JobStatus, v.Message)
			return
		}
		// Accepted while the last shards ran, it skipped nothing: checked as without a stop.
	case "unknown":
		if v.JobStatus == "STOPPED" {
			return
		}
	}
	if v.JobStatus == "STOPPED" {
		f.add(kStatus, 1, "job ended STOPPED but no stop was accepted (stop: %s)", stopState)
		return
	}
	if v.JobStatus != implied {
		f.add(kStatus, 1, "job ended %s but its counters (%+v) mean %s", v.JobStatus, v.JobDetails, implied)
	}
	if failedShards == 0 && ref != nil && v.JobStatus != ref.Status {
		f.add(kStatus, 1, "job ended %s, the reference run %s", v.JobStatus, ref.Status)
	}
}

// verifyNotifications checks what the webhook received for a terminal job.
func verifyNotifications(f *findings, v *jobView, seqs []int64, notes []notification, history, why, tenant string) {
	if len(seqs) == 0 {
		f.add(kNotifLost, 1, "no notification accepted by the webhook (%s); deliveries: %s", why, history)
		return
	}
	if len(seqs) > 1 {
		f.add(kNotifDoubled, len(seqs)-1, "%d distinct notifications (seqs %v); deliveries: %s", len(seqs), seqs, history)
	}
	d := v.JobDetails
	for i, n := range notes {
		if n.JobStatus != v.JobStatus || n.InputDocumentsCount != d.InputDocumentsCount ||
			n.ProcessedDocumentsCount != d.ProcessedDocumentsCount || n.DocumentsWithErrorsCount != d.DocumentsWithErrorsCount {
			f.add(kCounters, 1, "notification seq %d says %s %d/%d/%d, the job is %s %d/%d/%d", seqs[i], n.JobStatus,
				n.InputDocumentsCount, n.ProcessedDocumentsCount, n.DocumentsWithErrorsCount,
				v.JobStatus, d.InputDocumentsCount, d.ProcessedDocumentsCount, d.DocumentsWithErrorsCount)
		}
		if n.Tenant != tenant {
			f.add(kCounters, 1, "notification seq %d has Tenant %q", seqs[i], n.Tenant)
		}
	}
}

// describeFindings renders findings as report lines.
func (f *findings) lines(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	kinds := make([]string, 0, len(f.counts))
	for k := range f.counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []string
	for _, k := range kinds {
		for _, d := range f.details[k] {
			out = append(out, fmt.Sprintf("%s %s: %s", prefix, k, d))
		}
		if n := f.more[k]; n > 0 {
			out = append(out, fmt.Sprintf("%s %s: … and %d more (%d in all)", prefix, k, n, f.counts[k]))
		}
	}
	return out
}

// joinNotes renders a job's event notes.
func joinNotes(notes []string) string {
	if len(notes) == 0 {
		return "none"
	}
	return strings.Join(notes, "; ")
}
