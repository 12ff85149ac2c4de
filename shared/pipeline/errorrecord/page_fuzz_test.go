package errorrecord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/port"
)

// objects serves error record objects by key.
type objects map[string]string

func (o objects) Open(_ context.Context, key string, _ int64) (io.ReadCloser, error) {
	s, ok := o[key]
	if !ok {
		return nil, job.ErrNotFound
	}
	return io.NopCloser(strings.NewReader(s)), nil
}

// FuzzErrorsPages pages through a job's error records, spread over shards of the sizes the
// fuzzer picks (a shard without error records, one whose object is gone, one without a final
// newline among them): following the NextTokens from the first page returns every record
// exactly once, in order, each page at most MaxResults and never empty but for the last; and an
// arbitrary NextToken is refused as ErrInvalid or starts a page that is a run of the records.
func FuzzErrorsPages(f *testing.F) {
	f.Add(uint8(3), uint8(0), uint8(5), uint8(2), false, "")
	f.Add(uint8(1), uint8(1), uint8(1), uint8(1), true, `eyJzIjoyLCJrIjoxLCJqIjoiam9iIiwiZiI6Ii8ifQ`)
	f.Add(uint8(0), uint8(9), uint8(0), uint8(4), false, `eyJzIjowLCJrIjo5OTksImoiOiJqb2IiLCJmIjoiLyJ9`)
	f.Add(uint8(7), uint8(7), uint8(7), uint8(200), true, `eyJzIjotMSwiayI6MCwiaiI6ImpvYiIsImYiOiIvIn0`)
	f.Add(uint8(2), uint8(3), uint8(4), uint8(3), false, `eyJzIjo1LCJrIjowLCJqIjoiam9iIiwiZiI6Ii8ifQ`)
	f.Fuzz(func(t *testing.T, n0, n1, n2, max uint8, noFinalNewline bool, raw string) {
		ctx := context.Background()
		j := &job.Job{JobId: "job", Analyses: []job.Analysis{job.Analysis("SENTIMENT")}}
		objs := objects{}
		var all []string
		var recs []port.ShardRecord
		for i, n := range []int{int(n0 % 40), 0, int(n1 % 40), -1, int(n2 % 40)} {
			r := port.ShardRecord{Index: i}
			switch {
			case n < 0:
				r.ErrorsKey = fmt.Sprintf("gone/%d", i) // expired meanwhile: no object
			case n > 0:
				r.ErrorsKey = fmt.Sprintf("errors/%d", i)
				var b strings.Builder
				for k := range n {
					line := fmt.Sprintf(`{"Line":%d,"ErrorCode":"EMPTY_DOCUMENT","Shard":%d}`, k, i)
					all = append(all, line)
					b.WriteString(line)
					if k < n-1 || !noFinalNewline {
						b.WriteByte('\n')
					}
				}
				objs[r.ErrorsKey] = b.String()
			}
			recs = append(recs, r)
		}
		maxResults := int(max%50) + 1
		page := func(token string) (*api.ErrorsResponse, error) {
			f, tok, err := CheckRequest("job", api.ErrorsFilter{MaxResults: maxResults, NextToken: token})
			if err != nil {
				return nil, err
			}
			return Page(ctx, objs, j, recs, f, tok)
		}
		var got []string
		token := ""
		for pages := 0; ; pages++ {
			if pages > len(all)+1 {
				t.Fatalf("more pages than records: %d", pages)
			}
			res, err := page(token)
			if err != nil {
				t.Fatalf("page %d (token %q): %v", pages, token, err)
			}
			if len(res.Errors) > maxResults || len(res.Errors) == 0 && res.NextToken != "" {
				t.Fatalf("page %d: %d records, next %q", pages, len(res.Errors), res.NextToken)
			}
			for _, e := range res.Errors {
				got = append(got, string(e))
			}
			if res.NextToken == "" {
				break
			}
			token = res.NextToken
		}
		if strings.Join(got, "\n") != strings.Join(all, "\n") || len(got) != len(all) {
			t.Fatalf("paged %d records, want %d:\n%q\n%q", len(got), len(all), got, all)
		}

		res, err := page(raw)
		if err != nil {
			if !errors.Is(err, job.ErrInvalid) {
				t.Fatalf("token %q: %v, want ErrInvalid", raw, err)
			}
			return
		}
		whole := "\n" + strings.Join(all, "\n") + "\n"
		var run []string
		for _, e := range res.Errors {
			run = append(run, string(e))
		}
		if len(run) > 0 && !strings.Contains(whole, "\n"+strings.Join(run, "\n")+"\n") {
			t.Fatalf("token %q: page %q is not a run of the records", raw, run)
		}
	})
}
