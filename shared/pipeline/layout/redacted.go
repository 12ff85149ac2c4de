package layout

import (
	"fmt"
	"strings"
)

// Redacted copies (PII jobs with a RedactionConfig): where each shard writes its part of them, and
// the names of their entries in output.tar.gz.

// RedactedPrefix is the folder of a job's redacted copies, as its shards write them.
func RedactedPrefix(tenant, jobID string) string { return JobWork(tenant, jobID) + "redacted/" }

// RedactedPartKey is a shard's part of the redacted copies; a dead-lettered shard's (empty
// lines or entries) has a key of its own, as its results do (see DeadLetterKey). gzip names the
// key a shard recorded before segments wrote its gzip member to (ShardRecord.Deflate false):
// segments have keys of their own, so that a redelivered message of such a shard, analysed
// again by this version, cannot replace the member its record describes.
func RedactedPartKey(tenant, jobID string, shard int, dead, gzip bool) string {
	ext := ".seg"
	if gzip {
		ext = ""
	}
	if dead {
		return fmt.Sprintf("%sparts/%06d.dead%s", RedactedPrefix(tenant, jobID), shard, ext)
	}
	return fmt.Sprintf("%sparts/%06d%s", RedactedPrefix(tenant, jobID), shard, ext)
}

// redactedEntryPrefix is the folder of the redacted copies inside output.tar.gz.
const redactedEntryPrefix = "redacted/"

// RedactedEntryName is the archive entry of the redacted copy of file (a name relative to the
// job's input, as the output's File gives it). An S3 key may hold "." and ".." segments
// ("in/docs/../../x"), which an extractor that trusts entry names (Python's tarfile before
// 3.14, Lambda's python3.11 among them) would follow out of its target folder: such a segment
// has its dots written %2E ("redacted/%2E%2E/%2E%2E/x"), so every entry stays under redacted/
// (found from outside). A backslash separates segments too: Windows extractors (Python's
// tarfile there, tar.exe, 7-Zip) read one as a folder separator, so "..\..\x", a single
// segment to S3, becomes "%2E%2E\%2E%2E\x". Other names are kept as they are.
func RedactedEntryName(file string) string {
	var b strings.Builder
	b.WriteString(redactedEntryPrefix)
	for {
		i := strings.IndexAny(file, `/\`)
		seg := file
		if i >= 0 {
			seg = file[:i]
		}
		if seg == "." || seg == ".." {
			seg = strings.Repeat("%2E", len(seg))
		}
		b.WriteString(seg)
		if i < 0 {
			return b.String()
		}
		b.WriteByte(file[i])
		file = file[i+1:]
	}
}
