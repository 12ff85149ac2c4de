package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// shortSigner is an object store whose presigned URLs expire at the signing time plus the ttl
// asked for, with its fraction, as S3's adapter reports them.
type shortSigner struct {
	pipeline.Objects
	now func() time.Time
}

func (o shortSigner) PresignPut(ctx context.Context, key string, ttl time.Duration) (api.Presigned, error) {
	p, err := o.Objects.PresignPut(ctx, key, ttl)
	p.Expires = o.now().Add(ttl)
	return p, err
}

// TestUploadExpiresIsTheDeadline: Upload.Expires (and each of Uploads') is the job's upload
// deadline, the instant its TIMED_OUT Message names, whatever the store reports (found from
// outside: on AWS it was half a second short, with a fraction of a second).
func TestUploadExpiresIsTheDeadline(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 12, 4, 16, 17, 39, 340_000_000, time.UTC) }
	st := newLocalService(t, pipeline.Config{}, now)
	deps := st.deps
	deps.Objects = shortSigner{st.objects, now}
	svc := pipeline.New(deps)
	for _, files := range [][]string{nil, {"a.txt", "b.txt"}} {
		res, err := svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}, UploadFiles: files})
		if err != nil {
			t.Fatal(err)
		}
		want := *res.UploadDeadline
		if want.Nanosecond() != 0 {
			t.Errorf("deadline %s is not a whole second", want)
		}
		var got []time.Time
		if res.Upload != nil {
			got = append(got, res.Upload.Expires)
		}
		for _, u := range res.Uploads {
			got = append(got, u.Expires)
		}
		if len(got) == 0 {
			t.Fatalf("no upload URLs: %+v", res)
		}
		for _, e := range got {
			if !e.Equal(want) {
				t.Errorf("files %v: Expires %s, want the deadline %s", files, e, want)
			}
		}
	}
}
