package errorrecord

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/pagetoken"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/port"
)

// opener serves one object, "k", holding its text.
type opener string

func (o opener) Open(_ context.Context, key string, _ int64) (io.ReadCloser, error) {
	if key != "k" {
		return nil, job.ErrNotFound
	}
	return io.NopCloser(strings.NewReader(string(o))), nil
}

func TestRead(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than the reader's buffer
	objects := opener("a\n" + long + "\nc")
	var got []string
	next, err := Read(context.Background(), objects, "k", 1, func(line []byte) Step {
		got = append(got, string(line))
		if len(got) == 2 {
			return EndsBefore
		}
		return GoesOn
	})
	if err != nil || next != 2 || len(got) != 2 || got[0] != long || got[1] != "c" {
		t.Fatalf("Read from 1, ending before the 2nd: next %d, %d lines, err %v", next, len(got), err)
	}
	if next, err := Read(context.Background(), objects, "k", 3, func([]byte) Step { return GoesOn }); next != -1 || err != nil {
		t.Fatalf("Read from the end: %d, %v; want -1, nil", next, err)
	}
	if _, err := Read(context.Background(), objects, "k", 4, func([]byte) Step { return GoesOn }); !errors.Is(err, errSkipPastEnd) {
		t.Fatalf("Read past the end: %v; want errSkipPastEnd", err)
	}
	if next, err := Read(context.Background(), objects, "gone", 0, func([]byte) Step { return GoesOn }); next != -1 || err != nil {
		t.Fatalf("Read of an expired object: %d, %v; want -1, nil", next, err)
	}
}

// TestCheckRequestBounds: MaxResults is 1-1000 (0: the default 100), and a NextToken pages only
// the job and the filters it was returned for.
func TestCheckRequestBounds(t *testing.T) {
	for n, want := range map[int]int{0: defaultResults, 1: 1, MaxResults: MaxResults, MaxResults + 1: -1, -1: -1} {
		f, _, err := CheckRequest("job", api.ErrorsFilter{MaxResults: n})
		switch {
		case want < 0 && !errors.Is(err, job.ErrInvalid):
			t.Errorf("MaxResults %d: %v; want ErrInvalid", n, err)
		case want >= 0 && (err != nil || f.MaxResults != want):
			t.Errorf("MaxResults %d: %d, %v; want %d", n, f.MaxResults, err, want)
		}
	}
	tok := pagetoken.Encode(Token{Shard: 0, Skip: 1, Job: "job", Filter: filterKey(api.ErrorsFilter{})})
	if _, got, err := CheckRequest("job", api.ErrorsFilter{NextToken: tok}); err != nil || got.Shard != 0 || got.Skip != 1 || got.Job != "job" {
		t.Errorf("the job's own token: %+v, %v", got, err)
	}
	if _, _, err := CheckRequest("other", api.ErrorsFilter{NextToken: tok}); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("another job's token: %v; want ErrInvalid", err)
	}
	if _, _, err := CheckRequest("job", api.ErrorsFilter{NextToken: tok, ErrorCode: job.CodeEmptyDocument}); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("a token with another filter: %v; want ErrInvalid", err)
	}
}

// TestPageHoldsOneRecordAtLeast: a record that alone weighs more than api.MaxPageBytes is a page
// of its own (a page never ends before its first record), and the next page goes on after it.
func TestPageHoldsOneRecordAtLeast(t *testing.T) {
	ctx := context.Background()
	big := `{"File":"` + strings.Repeat("x", api.MaxPageBytes) + `","ErrorCode":"EMPTY_DOCUMENT"}`
	small := `{"File":"a","ErrorCode":"EMPTY_DOCUMENT"}`
	objs := objects{"e/0": big + "\n" + small + "\n"}
	j := &job.Job{JobId: "job", Analyses: []job.Analysis{job.Sentiment}}
	recs := []port.ShardRecord{{Index: 0, ErrorsKey: "e/0"}}
	f, tok, err := CheckRequest("job", api.ErrorsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Page(ctx, objs, j, recs, f, tok)
	if err != nil || len(res.Errors) != 1 || string(res.Errors[0]) != big || res.NextToken == "" {
		t.Fatalf("first page: %d records, next %q, %v; want the big record alone and a token", len(res.Errors), res.NextToken, err)
	}
	f, tok, err = CheckRequest("job", api.ErrorsFilter{NextToken: res.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	res, err = Page(ctx, objs, j, recs, f, tok)
	if err != nil || len(res.Errors) != 1 || string(res.Errors[0]) != small || res.NextToken != "" {
		t.Fatalf("second page: %d records, next %q, %v; want the small record, no token", len(res.Errors), res.NextToken, err)
	}
}
