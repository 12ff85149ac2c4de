package pipeline_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// TestArchiveOfShardsWrittenAcrossAnUpgrade: shard records written before the results were
// DEFLATE segments (Deflate false) hold gzip members. A job finalized after an upgrade with such
// records, alone or beside new ones, still gets an archive with every shard's lines in order
// (a multi-member one then); a job whose records are all segments gets one gzip member. The
// old records' members are where the version before wrote them (…/shards/%06d.jsonl), and every
// shard's message is delivered again before the finalize (processQueue runs the queued shard
// messages): the redelivered shards are analysed again but must not replace the members their
// records describe (found in review: they were overwritten by segments, and the job COMPLETED
// with an archive no reader could open).
func TestArchiveOfShardsWrittenAcrossAnUpgrade(t *testing.T) {
	for _, tc := range []struct {
		name   string
		legacy func(shard int) bool
		single bool
	}{
		{"all segments", func(int) bool { return false }, true},
		{"all gzip members", func(int) bool { return true }, false},
		{"mixed", func(i int) bool { return i%2 == 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
			clk := &testClock{now: t0}
			st := newLocalService(t, pipeline.Config{ShardBytes: 16, StuckAfter: 15 * time.Minute}, clk.service)
			id := storedLineJob(t, ctx, st, nil, "inputs/local/in.txt", strings.Repeat("a line of the input\n", 6), job.Language, nil)
			j, err := st.svc.Describe(ctx, "local", id)
			if err != nil {
				t.Fatal(err)
			}
			n := j.JobDetails.ShardsTotal
			if n < 3 {
				t.Fatalf("%d shards; the test needs several", n)
			}
			var want bytes.Buffer
			for i := range n {
				line := fmt.Sprintf("{\"Line\":%d,\"File\":\"in.txt\",\"shard\":%d}\n", i, i)
				want.WriteString(line)
				var obj bytes.Buffer
				rec := pipeline.ShardRecord{Index: i, Documents: 1, Bytes: int64(len(line)), ResultKey: fmt.Sprintf("work/test/%s/%d", id, i), Recorded: t0}
				if tc.legacy(i) {
					rec.ResultKey = fmt.Sprintf("%slocal/%s/shards/%06d.jsonl", layout.WorkPrefix, id, i) // the version before's ShardKey
					gz := gzip.NewWriter(&obj)
					gz.Write([]byte(line))
					gz.Close()
				} else {
					m := output.NewMember(&obj)
					m.Write([]byte(line))
					m.Close()
					rec.CRC, rec.Deflate = m.CRC(), true
				}
				if err := st.objects.Put(ctx, rec.ResultKey, &obj); err != nil {
					t.Fatal(err)
				}
				if _, _, err := st.jobs.RecordShard(ctx, "local", id, rec); err != nil {
					t.Fatal(err)
				}
			}
			clk.set(t0.Add(10 * time.Minute))
			if _, err := st.svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			processQueue(t, ctx, st.svc, st.queue)
			j, err = st.svc.Describe(ctx, "local", id)
			if err != nil || !j.JobStatus.Terminal() {
				t.Fatalf("job %v, %v; want it finalized", j, err)
			}
			rc, err := st.objects.Open(ctx, strings.TrimPrefix(j.OutputDataConfig.S3Uri, "s3://bucket/")+api.ArchiveName, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			zr, err := gzip.NewReader(rc)
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(!tc.single)
			tr := tar.NewReader(zr)
			h, err := tr.Next()
			if err != nil || h.Name != output.EntryName {
				t.Fatalf("first entry %v, %v", h, err)
			}
			got, err := io.ReadAll(tr)
			if err != nil || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("output entry %q (%v), want %q", got, err, want.Bytes())
			}
			if _, err := tr.Next(); err != io.EOF {
				t.Fatalf("after the output entry: %v, want the end", err)
			}
			if _, err := io.Copy(io.Discard, zr); err != nil {
				t.Fatalf("gzip trailer: %v", err)
			}
		})
	}
}
