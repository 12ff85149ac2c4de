package errorrecord

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/jsonw"
	"github.com/ream-dev/ream/shared/internal/pagetoken"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/port"
)

// Page sizes of the errors route (MaxResults is exported for the CLI's pages). A page also ends
// before the record that would take it past api.MaxPageBytes, counted as the records weigh in a
// Lambda response, whose body is a JSON string (jsonw.AppendString): a Lambda's response is at
// most 6 MB, and a record of a large document carries the other analyses' results (1.65 MB for
// 100 KB of text and four analyses).
const (
	defaultResults = 100
	MaxResults     = 1000
)

// Token is where the next page of the errors route starts: the error record Skip of shard Shard,
// of job Job's records filtered by Filter (a token is refused for another job or filter).
type Token struct {
	Shard  int    `json:"s"`
	Skip   int64  `json:"k"`
	Job    string `json:"j"`
	Filter string `json:"f,omitempty"`
}

// filterKey is what a token remembers of the filter of the page it ends.
func filterKey(f api.ErrorsFilter) string { return f.ErrorCode + "/" + string(f.Analysis) }

// CheckRequest checks what a request for a page of job id's error records says on its own: it
// returns the filter with its defaults (Analysis in upper case, MaxResults), and the position its
// NextToken names (the first record when it has none), for job id.
func CheckRequest(id string, f api.ErrorsFilter) (api.ErrorsFilter, Token, error) {
	f.Analysis = job.Analysis(strings.ToUpper(string(f.Analysis))) // any case, as ErrorCode
	if f.MaxResults < 0 || f.MaxResults > MaxResults {
		return f, Token{}, fmt.Errorf("%w: MaxResults must be 1-%d", job.ErrInvalid, MaxResults)
	}
	if f.MaxResults == 0 {
		f.MaxResults = defaultResults
	}
	if f.ErrorCode != "" {
		var err error
		if f.ErrorCode, err = DocumentCode("ErrorCode", f.ErrorCode); err != nil {
			return f, Token{}, err
		}
	}
	var tok Token
	if f.NextToken != "" {
		if err := pagetoken.Decode(f.NextToken, &tok); err != nil || tok.Shard < 0 || tok.Skip < 0 {
			return f, Token{}, errBadToken
		}
		if tok.Job != id || tok.Filter != filterKey(f) {
			return f, Token{}, fmt.Errorf("%w: NextToken belongs to another job's error records, or to other ErrorCode or Analysis filters; page with the filters that returned it", job.ErrInvalid)
		}
	}
	tok.Job = id
	return f, tok, nil
}

// Page reads the page of job j's error records that f (as CheckRequest returned it) asks for,
// from tok on (CheckRequest's, which names the job as the request did): every shard writes its error records to an object of its own
// (ShardRecord.ErrorsKey), and Page reads them in the order of recs (the job's shard records,
// in shard order), filtered. Each record is returned exactly as its line in the output archive.
func Page(ctx context.Context, objects Opener, j *job.Job, recs []port.ShardRecord, f api.ErrorsFilter, tok Token) (*api.ErrorsResponse, error) {
	res := &api.ErrorsResponse{JobId: j.JobId, JobStatus: j.JobStatus, Errors: []json.RawMessage{}}
	match := matcher(j, f)
	pageBytes := 0
	var scratch []byte // a record as a JSON string, to weigh it
	// A token points into the error records of a shard this route returned them from, at most
	// at their end: an edited token is refused rather than skipping ahead.
	if f.NextToken != "" && !slices.ContainsFunc(recs, func(r port.ShardRecord) bool { return r.Index == tok.Shard && r.ErrorsKey != "" }) {
		return nil, errBadToken
	}
	for _, r := range recs {
		if r.Index < tok.Shard || r.ErrorsKey == "" {
			continue
		}
		skip := int64(0)
		if r.Index == tok.Shard {
			skip = tok.Skip
		}
		next, err := Read(ctx, objects, r.ErrorsKey, skip, func(line []byte) Step {
			if !match(line) {
				return GoesOn
			}
			// As the record weighs in the Lambda body: escaped by encoding/json's rules (jsonw's).
			scratch = jsonw.AppendString(scratch[:0], string(line), true)
			n := len(scratch) - 2
			if len(res.Errors) > 0 && pageBytes+n > api.MaxPageBytes {
				return EndsBefore // the page holds one record at least
			}
			res.Errors = append(res.Errors, json.RawMessage(slices.Clone(line)))
			pageBytes += n
			if len(res.Errors) >= f.MaxResults {
				return EndsAfter
			}
			return GoesOn
		})
		if errors.Is(err, errSkipPastEnd) {
			return nil, errBadToken
		}
		if err != nil {
			return nil, err
		}
		if next >= 0 {
			res.NextToken = pagetoken.Encode(Token{Shard: r.Index, Skip: next, Job: tok.Job, Filter: filterKey(f)})
			return res, nil
		}
	}
	return res, nil
}

// errBadToken refuses a NextToken whose position the errors route never returned.
var errBadToken = fmt.Errorf("%w: NextToken is not one this route returned", job.ErrInvalid)

// errSkipPastEnd is Read's answer to a skip past the end of the records.
var errSkipPastEnd = errors.New("skip past the end of the error records")

// Step is what a reader of error records does with the line Read shows it: take it and go on,
// take it as its last, or end before it (the line starts the next page).
type Step int

const (
	GoesOn Step = iota
	EndsAfter
	EndsBefore
)

// Opener is what reading error records needs of the object store (pipeline.Objects has it).
type Opener interface {
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
}

// Read calls fn with each line of the error records object key from line skip on, until fn
// returns EndsAfter or EndsBefore; it then returns the number of the line where the next page
// starts (after that line, or at it), or -1 when the object was read to its end (errSkipPastEnd
// when it holds fewer than skip lines, and -1 without error when it no longer exists).
func Read(ctx context.Context, objects Opener, key string, skip int64, fn func([]byte) Step) (int64, error) {
	rc, err := objects.Open(ctx, key, 0)
	if errors.Is(err, job.ErrNotFound) {
		return -1, nil // the job expired meanwhile
	}
	if err != nil {
		return 0, fmt.Errorf("open error records: %w", err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	for n := int64(0); ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long record (a long message): collect it whole.
			buf := slices.Clone(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				buf = append(buf, line...)
			}
			line = buf
		}
		if len(line) > 0 && n >= skip {
			switch fn(bytes.TrimSuffix(line, []byte{'\n'})) {
			case EndsAfter:
				return n + 1, nil
			case EndsBefore:
				return n, nil
			}
		}
		if errors.Is(err, io.EOF) {
			if lines := n + int64(min(len(line), 1)); skip > lines {
				return -1, errSkipPastEnd
			}
			return -1, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read error records: %w", err)
		}
	}
}
