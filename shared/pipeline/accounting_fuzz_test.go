package pipeline_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// FuzzJobAccounting runs whole jobs on the local adapters (tiny shards, so that shard cuts fall
// everywhere) over arbitrary line inputs, and checks the output archive: one record per input
// document (as the input package counts them), each line number exactly once, and the job's
// counters agree.
func FuzzJobAccounting(f *testing.F) {
	f.Add([]byte("good\n\nbad \xff\r\nlast"), uint8(3), false)
	f.Add([]byte("\xEF\xBB\xBFa\rb\r\n\r\nc\n"), uint8(1), false)
	f.Add([]byte(`{"recordId":"1","text":"hello world"}`+"\n"+`{"text":""}`+"\r\nnot json\n"+`{"recordId":2,"text":"I love it"}`), uint8(7), true)
	f.Add([]byte(strings.Repeat("This product is great.\n", 10)), uint8(5), false)
	f.Add([]byte("\n\n\n"), uint8(1), true)
	st := newLocalService(f, pipeline.Config{}, nil)
	objects, queue := st.objects, st.queue
	n := 0
	f.Fuzz(func(t *testing.T, data []byte, shardBytes uint8, jsonl bool) {
		if len(data) == 0 || len(data) > 4096 {
			return
		}
		n++
		d := st.deps
		d.Config.ShardBytes = int64(shardBytes%32) + 1
		svc := pipeline.New(d)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		key := fmt.Sprintf("inputs/tenant-a/in-%d.txt", n)
		if err := objects.Put(ctx, key, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		format := job.OneDocPerLine
		if jsonl {
			format = job.JSONLines
		}
		res, err := svc.CreateJob(ctx, "tenant-a", api.CreateJobRequest{
			Analyses:        []job.Analysis{job.Language, job.Sentiment},
			InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/" + key, InputFormat: format},
			LanguageCode:    "en",
		})
		if err != nil {
			return // e.g. an empty input is refused at planning
		}
		var j *job.Job
		for i := 0; ; i++ {
			if j, err = svc.Describe(ctx, "tenant-a", res.JobId); err != nil {
				t.Fatal(err)
			}
			if j.JobStatus.Terminal() {
				break
			}
			if i > 10000 {
				t.Fatalf("job %s stuck in %s", res.JobId, j.JobStatus)
			}
			msgs, err := queue.Receive(ctx, 50, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) == 0 {
				t.Fatalf("job %s is %s with no message queued (%+v)", res.JobId, j.JobStatus, j.JobDetails)
			}
			for _, m := range msgs {
				var sm pipeline.ShardMessage
				if err := json.Unmarshal(m.Body, &sm); err != nil {
					t.Fatal(err)
				}
				if err := svc.ProcessShard(ctx, sm); err != nil {
					t.Fatalf("shard %+v: %v", sm, err)
				}
				queue.Delete(ctx, m.Receipt)
			}
		}
		want := countDocs(data)
		if want == 0 {
			if j.JobStatus != job.Failed {
				t.Fatalf("input %q without documents: job %s: %s", data, j.JobStatus, j.Message)
			}
			return
		}
		if j.JobStatus == job.Failed && want > 0 && j.JobDetails.DocumentsWithErrorsCount != int64(want) {
			t.Fatalf("input %q: job FAILED: %s (%+v)", data, j.Message, j.JobDetails)
		}
		// read the archive
		rc, err := objects.Open(ctx, strings.TrimPrefix(j.OutputDataConfig.S3Uri, "s3://bucket/")+api.ArchiveName, 0)
		if err != nil {
			// find it by listing
			t.Fatalf("open archive of %+v: %v", j.OutputDataConfig, err)
		}
		defer rc.Close()
		zr, err := gzip.NewReader(rc)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		seen := map[int64]int{}
		records := 0
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Name != "output" {
				continue
			}
			sc := bufio.NewScanner(tr)
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				var rec struct {
					Line *int64
				}
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("record %q: %v", sc.Bytes(), err)
				}
				records++
				if rec.Line == nil {
					t.Fatalf("record without Line: %s", sc.Bytes())
				}
				seen[*rec.Line]++
			}
		}
		if records != want || int64(want) != j.JobDetails.InputDocumentsCount {
			t.Fatalf("input %q (shard bytes %d, %s): %d documents, %d output records, InputDocumentsCount %d; lines %v",
				data, shardBytes%32+1, format, want, records, j.JobDetails.InputDocumentsCount, seen)
		}
		for i := int64(0); i < int64(want); i++ {
			if seen[i] != 1 {
				t.Fatalf("input %q (shard bytes %d, %s): line %d appears %d times: %v", data, shardBytes%32+1, format, i, seen[i], seen)
			}
		}
	})
}

// countDocs counts the documents of a line input as the package documentation defines them:
// one at 0 and one after every terminator (LF, CR, CRLF) except at the end; a BOM alone is none.
func countDocs(data []byte) int {
	d := bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if len(d) == 0 {
		return 0
	}
	n := 1
	for i := 0; i < len(d); i++ {
		if d[i] == '\n' || d[i] == '\r' {
			if d[i] == '\r' && i+1 < len(d) && d[i+1] == '\n' {
				i++
			}
			if i+1 < len(d) {
				n++
			}
		}
	}
	return n
}
