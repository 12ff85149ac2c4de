package local

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestDeleteJob: DELETE /v1/jobs/{id} through `ream serve`: another tenant's job and a job not
// finished are refused (404, 409 saying to stop it); the owner's finished job is deleted at once
// (204) with its uploaded input, output and record, its results URL already handed out stops
// working, it is then the 404 an unknown job is (a repeated DELETE too), no file is left in its
// folders, and no file of the data directory holds its record any more (the expiry's scrub; its
// queue messages deleted first).
func TestDeleteJob(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Keys: map[string]string{DefaultKey: "local", "key-b": "tenant-b"}}, pipeline.Hooks{})
	c := defaultClient(s)
	const name, tagValue = "name-of-a-job-to-erase", "tag-value-to-erase"
	req := lineJob(name, job.OneDocPerLine)
	req.Tags = []job.Tag{{Key: "case", Value: tagValue}}
	req.UploadFiles = []string{"wrong-file-to-erase.txt"}
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, res.Uploads[0].Presigned, writeTemp(t, "in", []byte("Lovely.\nAwful.\n"))); err != nil {
		t.Fatal(err)
	}
	follow(t, ctx, c, res.JobId)
	links, err := c.Results(ctx, res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	download := func() int {
		resp, err := http.Get(links.Output.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := download(); got != http.StatusOK {
		t.Fatalf("results URL before the delete: %d", got)
	}
	jobURL := s.URL + "/v1/jobs/" + res.JobId

	if status, body, _ := rawRequest(t, "DELETE", jobURL, "key-b", ""); status != http.StatusNotFound || body.Code != api.CodeResourceNotFound {
		t.Errorf("DELETE of another tenant's job: %d %+v; want 404 ResourceNotFound", status, body)
	}
	running, err := c.CreateJob(ctx, lineJob("awaiting", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	if status, body, _ := rawRequest(t, "DELETE", s.URL+"/v1/jobs/"+running.JobId, DefaultKey, ""); status != http.StatusConflict || !strings.Contains(body.Message, "stop it first") {
		t.Errorf("DELETE of an AWAITING_INPUT job: %d %+v; want 409 saying to stop it first", status, body)
	}

	if status, body, _ := rawRequest(t, "DELETE", jobURL, DefaultKey, ""); status != http.StatusNoContent {
		t.Fatalf("DELETE of the finished job: %d %+v; want 204", status, body)
	}
	_, unknown, _ := rawRequest(t, "GET", s.URL+"/v1/jobs/no-such-job", DefaultKey, "")
	for _, r := range []struct{ method, url string }{{"GET", jobURL}, {"GET", jobURL + "/results"}, {"DELETE", jobURL}} {
		if status, body, _ := rawRequest(t, r.method, r.url, DefaultKey, ""); status != http.StatusNotFound || body.Code != unknown.Code {
			t.Errorf("%s %s after the delete: %d %+v; want the 404 of an unknown job (%s)", r.method, r.url, status, body, unknown.Code)
		}
	}
	if got := download(); got == http.StatusOK {
		t.Errorf("the results URL handed out before the delete still downloads the output")
	}
	// No file of the job is left in its folders. A folder itself may be: on a loaded machine the
	// worker that ended the job deletes its work objects while the DELETE does, and one left
	// empty by the two can stay (seen 3 times in 200 runs beside busy loops; it holds nothing).
	for _, dir := range []string{"inputs", "outputs", "work"} {
		err := filepath.WalkDir(filepath.Join(s.cfg.DataDir, "objects", dir, "local", res.JobId), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				t.Errorf("the deleted job's %s folder still holds %s", dir, p)
			}
			return err
		})
		if err != nil && !os.IsNotExist(err) {
			t.Errorf("the deleted job's %s folder: %v", dir, err)
		}
	}
	for _, f := range []string{"ream.db", "ream.db-wal"} {
		b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, what := range []string{res.JobId, name, tagValue, "wrong-file-to-erase"} {
			if bytes.Contains(b, []byte(what)) {
				t.Errorf("%s still holds %q of the deleted job", f, what)
			}
		}
	}
}
