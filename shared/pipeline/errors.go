package pipeline

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
	"github.com/ream-dev/ream/shared/pipeline/errorrecord"
)

// Page sizes of Errors (MaxErrorResults is exported for the CLI's pages). A page also ends
// before the record that would take it past maxErrorPageBytes, counted as the records weigh in
// a Lambda response, whose body is a JSON string (jsonw.AppendString): a Lambda's response is
// at most 6 MB, and a record of a large document carries the other analyses' results (1.65 MB
// for 100 KB of text and four analyses).
const (
	defaultErrorResults = 100
	MaxErrorResults     = 1000
	maxErrorPageBytes   = 4 << 20 // escaped
)

// errorsToken is where the next page of Errors starts: the error record Skip of shard Shard, of
// job Job's records filtered by Filter (a token is refused for another job or filter).
type errorsToken struct {
	Shard  int    `json:"s"`
	Skip   int64  `json:"k"`
	Job    string `json:"j"`
	Filter string `json:"f,omitempty"`
}

// filterKey is what a token remembers of the filter of the page it ends.
func filterKey(f api.ErrorsFilter) string { return f.ErrorCode + "/" + string(f.Analysis) }

// Errors pages through the error records of a job, running or finished, without the archive:
// every shard writes its error records to an object of its own (ShardRecord.ErrorsKey) when it is
// recorded, and this reads them in shard order, filtered. Each record is returned exactly as its
// line in the output archive. While a job runs, a page covers the shards recorded so far.
func (s *Service) Errors(ctx context.Context, tenant, id string, f api.ErrorsFilter) (*api.ErrorsResponse, error) {
	f.Analysis = job.Analysis(strings.ToUpper(string(f.Analysis))) // any case, as ErrorCode
	if f.MaxResults < 0 || f.MaxResults > MaxErrorResults {
		return nil, fmt.Errorf("%w: MaxResults must be 1-%d", job.ErrInvalid, MaxErrorResults)
	}
	if f.MaxResults == 0 {
		f.MaxResults = defaultErrorResults
	}
	if f.ErrorCode != "" {
		var err error
		if f.ErrorCode, err = errorrecord.DocumentCode("ErrorCode", f.ErrorCode); err != nil {
			return nil, err
		}
	}
	var tok errorsToken
	if f.NextToken != "" {
		if err := pagetoken.Decode(f.NextToken, &tok); err != nil || tok.Shard < 0 || tok.Skip < 0 {
			return nil, errBadErrorsToken
		}
		if tok.Job != id || tok.Filter != filterKey(f) {
			return nil, fmt.Errorf("%w: NextToken belongs to another job's error records, or to other ErrorCode or Analysis filters; page with the filters that returned it", job.ErrInvalid)
		}
	}
	j, err := s.jobs.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if j.Has(job.Topics) {
		// A CODING_TRAINING job's error records (the records it could not use) are served like
		// any job's: its shard writes them as every shard does.
		return nil, fmt.Errorf("%w: job %s is a %s job, whose error records are in errors.jsonl of its output archive (this route serves per-document jobs)", job.ErrInvalid, id, j.Analyses[0])
	}
	if f.Analysis != "" && !slices.Contains(j.Analyses, f.Analysis) {
		return nil, fmt.Errorf("%w: job %s does not run %s (it runs %v)", job.ErrInvalid, id, f.Analysis, j.Analyses)
	}
	recs, err := s.jobs.Shards(ctx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("list shard records: %w", err)
	}
	res := &api.ErrorsResponse{JobId: j.JobId, JobStatus: j.JobStatus, Errors: []json.RawMessage{}}
	match := errorrecord.Matcher(j, f)
	pageBytes := 0
	var scratch []byte // a record as a JSON string, to weigh it
	// A token points into the error records of a shard this route returned them from, at most
	// at their end: an edited token is refused rather than skipping ahead.
	if f.NextToken != "" && !slices.ContainsFunc(recs, func(r ShardRecord) bool { return r.Index == tok.Shard && r.ErrorsKey != "" }) {
		return nil, errBadErrorsToken
	}
	for _, r := range recs {
		if r.Index < tok.Shard || r.ErrorsKey == "" {
			continue
		}
		skip := int64(0)
		if r.Index == tok.Shard {
			skip = tok.Skip
		}
		next, err := s.readErrors(ctx, r.ErrorsKey, skip, func(line []byte) pageStep {
			if !match(line) {
				return pageGoesOn
			}
			// As the record weighs in the Lambda body: escaped by encoding/json's rules (jsonw's).
			scratch = jsonw.AppendString(scratch[:0], string(line), true)
			n := len(scratch) - 2
			if len(res.Errors) > 0 && pageBytes+n > maxErrorPageBytes {
				return pageEndsBefore // the page holds one record at least
			}
			res.Errors = append(res.Errors, json.RawMessage(slices.Clone(line)))
			pageBytes += n
			if len(res.Errors) >= f.MaxResults {
				return pageEndsAfter
			}
			return pageGoesOn
		})
		if errors.Is(err, errSkipPastEnd) {
			return nil, errBadErrorsToken
		}
		if err != nil {
			return nil, err
		}
		if next >= 0 {
			res.NextToken = pagetoken.Encode(errorsToken{Shard: r.Index, Skip: next, Job: id, Filter: filterKey(f)})
			return res, nil
		}
	}
	return res, nil
}

// errBadErrorsToken refuses a NextToken whose position this route never returned.
var errBadErrorsToken = fmt.Errorf("%w: NextToken is not one this route returned", job.ErrInvalid)

// errSkipPastEnd is readErrors' answer to a skip past the end of the records.
var errSkipPastEnd = errors.New("skip past the end of the error records")

// pageStep is what a page does with the line readErrors shows it: take it and go on, take it as
// its last, or end before it (the line starts the next page).
type pageStep int

const (
	pageGoesOn pageStep = iota
	pageEndsAfter
	pageEndsBefore
)

// readErrors calls fn with each line of the error records object key from line skip on, until
// fn returns false; it then returns the number of the line after that one (where the next page
// starts), or -1 when the object was read to its end (errSkipPastEnd when it holds fewer than
// skip lines).
func (s *Service) readErrors(ctx context.Context, key string, skip int64, fn func([]byte) pageStep) (int64, error) {
	rc, err := s.objects.Open(ctx, key, 0)
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
			case pageEndsAfter:
				return n + 1, nil
			case pageEndsBefore:
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
