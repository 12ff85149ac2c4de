package local

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestSampleNotificationMatchesREADME: the notification example under "### Notifications" in the
// README is the one `make run`'s sample job gets (`ream submit testdata/sample/reviews.txt
// --analyses LANGUAGE,SENTIMENT --name sample`, which uploads the file as UploadFiles'
// "reviews.txt"), field for field, but for what differs from run to run (the job id, its end
// time, and the data directory in OutputLocation). Found running the README as written: its
// DocumentLocation named the job's upload as ".../input", the name of a curl upload without
// UploadFiles, where the sample's is ".../files/reviews.txt".
func TestSampleNotificationMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "### Notifications\n")
	if !ok {
		t.Fatal("README has no ### Notifications section")
	}
	_, block, ok := strings.Cut(sec, "```json\n")
	if !ok {
		t.Fatal("README's Notifications section has no ```json example")
	}
	block, _, _ = strings.Cut(block, "```")
	var want map[string]any
	if err := json.Unmarshal([]byte(block), &want); err != nil {
		t.Fatalf("README's notification example is not JSON: %v", err)
	}

	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	ctx := testCtx(t)
	req := lineJob("sample", job.OneDocPerLine)
	req.UploadFiles = []string{"reviews.txt"} // as ream submit names a single file
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uploads) != 1 {
		t.Fatalf("a job of one UploadFiles name has %d upload URLs", len(res.Uploads))
	}
	if err := c.Upload(ctx, res.Uploads[0].Presigned, writeTemp(t, "reviews.txt", readSample(t))); err != nil {
		t.Fatal(err)
	}
	n, _ := follow(t, ctx, c, res.JobId)
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}

	// What differs from run to run: the example's job id stands for this job's, and its times
	// and output folder are this run's.
	exampleID, _ := want["JobId"].(string)
	if exampleID == "" {
		t.Fatal("README's example has no JobId")
	}
	var fix func(v any) any
	fix = func(v any) any {
		switch v := v.(type) {
		case string:
			return strings.ReplaceAll(v, exampleID, res.JobId)
		case map[string]any:
			for k, x := range v {
				v[k] = fix(x)
			}
		}
		return v
	}
	want = fix(want).(map[string]any)
	if out, _ := got["OutputLocation"].(string); !strings.HasSuffix(out, "/objects/outputs/local/"+res.JobId+"/") {
		t.Errorf("OutputLocation %q is not the job's output folder", out)
	}
	if tm, err := time.Parse(time.RFC3339Nano, got["Time"].(string)); err != nil || got["Timestamp"] != float64(tm.UnixMilli()) {
		t.Errorf("Time %v and Timestamp %v disagree (%v)", got["Time"], got["Timestamp"], err)
	}
	for _, k := range []string{"OutputLocation", "Time", "Timestamp"} {
		delete(got, k)
		delete(want, k)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("the sample job's notification:\n%s\nREADME's example (its job id replaced):\n%s", g, w)
	}
}
