package local

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// dropConfig settles dropped files quickly (the default waits 2 s for a copy to finish).
func dropConfig() Config { return Config{DropSettle: Duration(50 * time.Millisecond)} }

// dropFile copies data into the rule's folder of the default tenant as a user would with a
// copy tool: written under a hidden name, then renamed into place. It returns the object key.
func dropFile(t *testing.T, s *Stack, rule, rel string, data []byte) string {
	t.Helper()
	key := droprule.Prefix("local", rule) + rel
	p := filepath.Join(s.objectsDir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(p), ".copying-"+filepath.Base(p))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	return key
}

// dropJobs lists the default tenant's jobs started by rule, oldest first.
func dropJobs(t *testing.T, ctx context.Context, c *client.Client, rule string) []*job.Job {
	t.Helper()
	res, err := c.List(ctx, api.ListFilter{MaxResults: 500})
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	var out []*job.Job
	for _, j := range res.Jobs {
		if j.DropRule == rule {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].SubmitTime.Before(out[k].SubmitTime) })
	return out
}

// waitDropJob waits until rule has started a job for key and returns it.
func waitDropJob(t *testing.T, ctx context.Context, c *client.Client, rule, key string) *job.Job {
	t.Helper()
	var found *job.Job
	waitFor(t, ctx, "a job started by "+key, func() bool {
		for _, j := range dropJobs(t, ctx, c, rule) {
			if j.DropObject.Key == key {
				found = j
				return true
			}
		}
		return false
	})
	return found
}

func TestDropRuleCRUD(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)

	tmpl := lineJob("nightly-", job.OneDocPerLine)
	tmpl.Tags = []job.Tag{{Key: "team", Value: "support"}}
	r, err := c.PutDropRule(ctx, "reviews", tmpl)
	if err != nil {
		t.Fatalf("put rule: %v", err)
	}
	wantLoc := FileURI(filepath.ToSlash(s.objectsDir)) + "/inputs/local/drop/reviews/"
	if r.Name != "reviews" || r.Location != wantLoc || r.Template.JobName != "nightly-" || r.UpdatedAt.IsZero() {
		t.Errorf("put answered %+v; want the rule with Location %s", r, wantLoc)
	}
	if _, err := c.PutDropRule(ctx, "b_2", lineJob("", job.JSONLines)); err != nil {
		t.Fatalf("put second rule: %v", err)
	}
	got, err := c.GetDropRule(ctx, "reviews")
	if err != nil || got.Template.Tags[0].Value != "support" || got.Template.InputDataConfig.InputFormat != job.OneDocPerLine {
		t.Errorf("get = %+v, %v", got, err)
	}
	list, err := c.ListDropRules(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "b_2" || list[1].Name != "reviews" {
		t.Errorf("list = %+v, %v; want b_2 then reviews", list, err)
	}
	bad := []struct {
		name, what string
		tmpl       api.CreateJobRequest
	}{
		{"has space", "rule name", lineJob("", job.OneDocPerLine)},
		{strings.Repeat("x", 65), "rule name over 64", lineJob("", job.OneDocPerLine)},
		{"ok", "no analyses", api.CreateJobRequest{InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}},
		{"ok", "unknown analysis", api.CreateJobRequest{Analyses: []job.Analysis{"NOPE"}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}},
		{"ok", "bad format", api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: "CSV"}}},
		{"ok", "an input location", func() api.CreateJobRequest {
			r := lineJob("", job.OneDocPerLine)
			r.InputDataConfig.S3Uri = wantLoc + "x.txt"
			return r
		}()},
		{"ok", "a token", func() api.CreateJobRequest { r := lineJob("", job.OneDocPerLine); r.ClientRequestToken = "t"; return r }()},
		{"ok", "UploadFiles", func() api.CreateJobRequest {
			r := lineJob("", job.OneDocPerFile)
			r.UploadFiles = []string{"a.txt"}
			return r
		}()},
		{"ok", "output outside the tenant", func() api.CreateJobRequest {
			r := lineJob("", job.OneDocPerLine)
			r.OutputDataConfig.S3Uri = FileURI(filepath.ToSlash(s.objectsDir)) + "/outputs/someone-else/"
			return r
		}()},
		{"ok", "an SNS topic locally", func() api.CreateJobRequest {
			r := lineJob("", job.OneDocPerLine)
			r.NotificationChannel = &job.NotificationChannel{SNSTopicArn: "arn:aws:sns:eu-west-1:123456789012:t"}
			return r
		}()},
	}
	for _, b := range bad {
		_, err := c.PutDropRule(ctx, b.name, b.tmpl)
		if ae := wantAPIError(t, err, http.StatusBadRequest, b.what); ae != nil && ae.Code != "InvalidRequest" {
			t.Errorf("%s: code %s", b.what, ae.Code)
		}
	}
	// A template is refused as the same create request would be.
	coding := api.CreateJobRequest{Analyses: []job.Analysis{job.Coding}, InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines}, CodingConfig: &job.CodingConfig{Topic: "nope"}}
	_, createErr := c.CreateJob(ctx, coding)
	_, putErr := c.PutDropRule(ctx, "ok", coding)
	if ce, pe := wantAPIError(t, createErr, http.StatusBadRequest, "create with an unknown topic"), wantAPIError(t, putErr, http.StatusBadRequest, "rule with an unknown topic"); ce != nil && pe != nil && *ce != *pe {
		t.Errorf("rule refused with %+v, create with %+v", pe, ce)
	}
	if _, err := c.GetDropRule(ctx, "ok"); err == nil {
		t.Error("a refused rule was stored")
	}
	// Unknown fields are refused like in a create request.
	if st, e, _ := rawRequest(t, http.MethodPut, s.URL+"/v1/drop-rules/raw", DefaultKey, `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"JSONL"},"Bogus":1}`); st != http.StatusBadRequest || !strings.Contains(e.Message, "Bogus") {
		t.Errorf("unknown field: %d %+v", st, e)
	}

	ae := wantAPIError(t, func() error { _, err := c.GetDropRule(ctx, "missing"); return err }(), http.StatusNotFound, "get unknown")
	if ae != nil && !strings.Contains(ae.Message, `"missing"`) {
		t.Errorf("404 message %q does not name the rule", ae.Message)
	}
	wantAPIError(t, c.DeleteDropRule(ctx, "missing"), http.StatusNotFound, "delete unknown")
	wantAPIError(t, c.DeleteDropRule(ctx, "bad name!"), http.StatusBadRequest, "delete bad name")
	if err := c.DeleteDropRule(ctx, "b_2"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	wantAPIError(t, func() error { _, err := c.GetDropRule(ctx, "b_2"); return err }(), http.StatusNotFound, "get deleted")
	if list, err := c.ListDropRules(ctx); err != nil || len(list) != 1 {
		t.Errorf("list after delete = %+v, %v", list, err)
	}
	if st, _, _ := rawRequest(t, http.MethodGet, s.URL+"/v1/drop-rules", "", ""); st != http.StatusUnauthorized {
		t.Errorf("list without a key: %d, want 401", st)
	}
}

// TestDropFileStartsJob: a file copied into a rule's folder, with no API call, runs a job from
// the rule's template, and both Describe and the notification name the rule and the object.
func TestDropFileStartsJob(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	tmpl := lineJob("nightly-", job.OneDocPerLine)
	tmpl.Tags = []job.Tag{{Key: "team", Value: "support"}}
	if _, err := c.PutDropRule(ctx, "reviews", tmpl); err != nil {
		t.Fatalf("put rule: %v", err)
	}
	input := readSample(t)
	key := dropFile(t, s, "reviews", "2026-11/day 1.txt", input)
	j := waitDropJob(t, ctx, c, "reviews", key)
	n, j := follow(t, ctx, c, j.JobId)

	info, err := s.objects.Head(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	want := job.DropObject{Key: key, ETag: sl.ETag(info.Size, info.LastModified)}
	if j.DropRule != "reviews" || j.DropObject != want {
		t.Errorf("Describe: DropRule %q DropObject %+v; want reviews, %+v", j.DropRule, j.DropObject, want)
	}
	if n.DropRule != "reviews" || n.DropObject != want {
		t.Errorf("notification: DropRule %q DropObject %+v; want reviews, %+v", n.DropRule, n.DropObject, want)
	}
	if j.JobName != "nightly-2026-11/day 1.txt" || len(j.Tags) != 1 || j.InputDataConfig.S3Uri != FileURI(filepath.ToSlash(s.objectsDir))+"/"+key {
		t.Errorf("job %q tags %v input %s; want the template's fields and the dropped file as input", j.JobName, j.Tags, j.InputDataConfig.S3Uri)
	}
	if !strings.HasPrefix(j.ClientRequestToken, "drop-") {
		t.Errorf("ClientRequestToken %q; want the drop token", j.ClientRequestToken)
	}
	recs, m := fetchResults(t, ctx, c, j.JobId)
	checkLineResults(t, input, j, recs, m, false)

	// The same file reported again (a sweep, the watcher, a repeated event) starts nothing new.
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.dropArrived(ctx, key); err != nil {
		t.Fatal(err)
	}
	if jobs := dropJobs(t, ctx, c, "reviews"); len(jobs) != 1 {
		t.Fatalf("%d jobs for one dropped file, want 1", len(jobs))
	}

	// A new version of the file (other bytes) is another job.
	key2 := dropFile(t, s, "reviews", "2026-11/day 1.txt", []byte("a second version\nof the file\n"))
	waitFor(t, ctx, "the second version's job", func() bool { return len(dropJobs(t, ctx, c, "reviews")) == 2 })
	jobs := dropJobs(t, ctx, c, "reviews")
	_, j2 := follow(t, ctx, c, jobs[1].JobId)
	if key2 != key || j2.DropObject.ETag == want.ETag || j2.JobDetails.InputDocumentsCount != 2 {
		t.Errorf("second version: %+v with %d documents", j2.DropObject, j2.JobDetails.InputDocumentsCount)
	}
}

// TestDropDuplicateEventOneJob: the same S3 event delivered twice (and the watcher's report of
// the same file) make one job.
func TestDropDuplicateEventOneJob(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "dup", lineJob("", job.JSONLines)); err != nil {
		t.Fatalf("put rule: %v", err)
	}
	key := droprule.Prefix("local", "dup") + "records.jsonl"
	if err := s.objects.Put(ctx, key, strings.NewReader(`{"text":"I love it"}`+"\n"+`{"text":"I hate it"}`+"\n")); err != nil {
		t.Fatal(err)
	}
	info, err := s.objects.Head(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	ev := S3Event(info, time.Now().UTC())
	if ev.Records[0].S3.Object.ETag == "" {
		t.Fatal("the local S3 event carries no ETag")
	}
	for i := 0; i < 2; i++ {
		if err := s.ingest.Handle(ctx, ev); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	jobs := dropJobs(t, ctx, c, "dup")
	if len(jobs) != 1 {
		t.Fatalf("%d jobs after the event was delivered twice, want 1", len(jobs))
	}
	n, j := follow(t, ctx, c, jobs[0].JobId)
	if j.JobStatus != job.Completed || n.InputDocumentsCount != 2 || j.JobName != "dup/records.jsonl" {
		t.Errorf("job %s %q with %d documents", j.JobStatus, j.JobName, n.InputDocumentsCount)
	}
	if err := s.ingest.Handle(ctx, ev); err != nil {
		t.Fatalf("delivery after the job finished: %v", err)
	}
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if jobs := dropJobs(t, ctx, c, "dup"); len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
}

// TestDropBatchMarker: a ONE_DOC_PER_FILE rule starts one job per <batch>/_SUCCESS, over the
// batch's files without the marker; documents alone start nothing.
func TestDropBatchMarker(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	tmpl := api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}}
	if _, err := c.PutDropRule(ctx, "docs", tmpl); err != nil {
		t.Fatalf("put rule: %v", err)
	}
	dropFile(t, s, "docs", "batch-1/a.txt", []byte("The quick brown fox jumps over the lazy dog."))
	dropFile(t, s, "docs", "batch-1/sub/b.txt", []byte("Le renard brun saute par-dessus le chien paresseux."))
	// Documents alone start nothing, whoever reports them.
	for _, k := range []string{"batch-1/a.txt", "batch-1/sub/b.txt"} {
		if err := s.dropArrived(ctx, droprule.Prefix("local", "docs")+k); err != nil {
			t.Fatal(err)
		}
	}
	if jobs := dropJobs(t, ctx, c, "docs"); len(jobs) != 0 {
		t.Fatalf("documents without a marker started %d jobs", len(jobs))
	}
	marker := dropFile(t, s, "docs", "batch-1/_SUCCESS", nil)
	j := waitDropJob(t, ctx, c, "docs", marker)
	_, j = follow(t, ctx, c, j.JobId)
	if j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 2 || j.JobName != "docs/batch-1" {
		t.Fatalf("batch job %s %q with %+v; want COMPLETED over 2 documents", j.JobStatus, j.JobName, j.JobDetails)
	}
	if !strings.HasSuffix(j.InputDataConfig.S3Uri, "/inputs/local/drop/docs/batch-1/") {
		t.Errorf("input %s; want the batch folder", j.InputDataConfig.S3Uri)
	}
	recs, _ := fetchResults(t, ctx, c, j.JobId)
	var files []string
	for _, r := range recs {
		files = append(files, r.File)
	}
	sort.Strings(files)
	if strings.Join(files, ",") != "a.txt,sub/b.txt" {
		t.Errorf("output files %v; want a.txt and sub/b.txt (not the marker)", files)
	}
	// A marker at the rule's top level closes no batch: it gets one FAILED job that says so
	// (not a warning in the log at every sweep), however often it is reported.
	top := dropFile(t, s, "docs", "_SUCCESS", nil)
	for range 3 {
		if err := s.dropArrived(ctx, top); err != nil {
			t.Fatal(err)
		}
	}
	jobs := dropJobs(t, ctx, c, "docs")
	if len(jobs) != 2 {
		t.Fatalf("%d jobs; want the batch's and one FAILED job for the top-level marker", len(jobs))
	}
	var failed int
	for _, d := range jobs {
		if d.JobId == j.JobId {
			continue
		}
		failed++
		if d.JobStatus != job.Failed || !strings.Contains(d.Message, "closes a batch folder") || d.JobDetails.InputDocumentsCount != 0 {
			t.Errorf("top-level marker's job: %s %q %+v; want FAILED saying a marker closes a batch folder", d.JobStatus, d.Message, d.JobDetails)
		}
	}
	if failed != 1 {
		t.Errorf("%d jobs for the top-level marker, want 1", failed)
	}
}

// TestDropWithoutRuleIgnored: a file under a folder without a rule starts nothing, and neither
// do hidden files or another tenant's folder of the same name.
func TestDropWithoutRuleIgnored(t *testing.T) {
	s := startStack(t, Config{DropSettle: Duration(50 * time.Millisecond), Keys: map[string]string{DefaultKey: "local", "team-b-key": "team-b"}}, pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	other := newClient(s.URL, "team-b-key")
	if _, err := other.PutDropRule(ctx, "theirs", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDropRule(ctx, "theirs"); err == nil {
		t.Error("another tenant's rule is visible")
	}
	if _, err := c.PutDropRule(ctx, "mine", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	keys := []string{
		dropFile(t, s, "norule", "x.txt", []byte("hello\n")),
		dropFile(t, s, "theirs", "x.txt", []byte("hello\n")), // in tenant local's folder: no such rule
		dropFile(t, s, "mine", ".hidden.txt", []byte("hello\n")),
	}
	for _, k := range keys {
		if err := s.dropArrived(ctx, k); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := c.List(ctx, api.ListFilter{})
	if err != nil || len(res.Jobs) != 0 {
		t.Fatalf("jobs = %v, %v; want none", res, err)
	}
	if res, err := other.List(ctx, api.ListFilter{}); err != nil || len(res.Jobs) != 0 {
		t.Fatalf("the other tenant's jobs = %v, %v; want none", res, err)
	}
}

// TestDropUploadStartsJob: a PUT through a presigned upload URL into a rule's folder starts the
// job (through the S3 event the local store queues).
func TestDropUploadStartsJob(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "up", lineJob("up-", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, func() error { _, err := c.DropUpload(ctx, "nope", "a.txt"); return err }(), http.StatusNotFound, "upload to an unknown rule")
	wantAPIError(t, func() error { _, err := c.DropUpload(ctx, "up", "../a.txt"); return err }(), http.StatusBadRequest, "upload outside the folder")
	wantAPIError(t, func() error { _, err := c.DropUpload(ctx, "up", ".a.txt"); return err }(), http.StatusBadRequest, "upload of a hidden name")
	u, err := c.DropUpload(ctx, "up", "in/a.txt")
	if err != nil {
		t.Fatalf("drop upload: %v", err)
	}
	if err := c.Upload(ctx, u.Presigned, writeTemp(t, "a.txt", []byte("one\ntwo\nthree\n"))); err != nil {
		t.Fatalf("upload: %v", err)
	}
	j := waitDropJob(t, ctx, c, "up", droprule.Prefix("local", "up")+"in/a.txt")
	_, j = follow(t, ctx, c, j.JobId)
	if j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 3 || j.JobName != "up-in/a.txt" {
		t.Errorf("job %s %q %+v", j.JobStatus, j.JobName, j.JobDetails)
	}
	// A name the store cannot hold beside what is there is a 400 now, not a URL whose PUT fails
	// (found from outside: a 409 at the PUT); a folder's name and a doubled slash say what is
	// wrong with the File, not with the key it makes.
	for file, want := range map[string]string{
		"in":         `File "in" is a folder of files`,
		"in/a.txt/b": `File "in/a.txt/b" is under "in/a.txt", which is a file`,
		"x/":         `File "x/" names a folder (it ends with /)`,
		"a//b":       `File "a//b" has an empty`,
	} {
		ae := wantAPIError(t, func() error { _, err := c.DropUpload(ctx, "up", file); return err }(), http.StatusBadRequest, "upload as "+file)
		if ae != nil && !strings.Contains(ae.Message, want) {
			t.Errorf("upload as %q: %q; want it to say %q", file, ae.Message, want)
		}
	}
}

// TestDropWhileStoppedStartsAtStart: a file copied while the stack is not running starts its
// job when it starts again (its sweep and its watcher's first scan find it).
func TestDropWhileStoppedStartsAtStart(t *testing.T) {
	// The files' ages are set with os.Chtimes, which cannot set a change time.
	defer func(f func(os.FileInfo) time.Time) { fileArrived = f }(fileArrived)
	fileArrived = os.FileInfo.ModTime
	dir := t.TempDir()
	cfg := dropConfig()
	cfg.DataDir, cfg.Addr, cfg.PollInterval, cfg.Workers = dir, "127.0.0.1:0", Duration(10*time.Millisecond), 2
	s, err := Start(t.Context(), cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if _, err := defaultClient(s).PutDropRule(ctx, "later", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	short := lineJob("", job.OneDocPerLine)
	short.RetentionHours = new(1)
	if _, err := defaultClient(s).PutDropRule(ctx, "short", short); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "objects", "inputs", "local", "drop", "later", "x.txt")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("written while stopped\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // settled (past dropSettle)
	// A file older than its rule's jobs are kept: its job may have expired with its token; it
	// is not run again.
	expired := filepath.Join(dir, "objects", "inputs", "local", "drop", "short", "x.txt")
	if err := os.MkdirAll(filepath.Dir(expired), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(expired, []byte("analysed long ago\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	older := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(expired, older, older); err != nil {
		t.Fatal(err)
	}
	s2, err := Start(t.Context(), cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	c := defaultClient(s2)
	// The start-up sweep ran before Start returned.
	jobs := dropJobs(t, ctx, c, "later")
	if len(jobs) != 1 {
		t.Fatalf("%d jobs after the restart, want 1", len(jobs))
	}
	_, j := follow(t, ctx, c, jobs[0].JobId)
	if j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 1 {
		t.Errorf("job %s %+v", j.JobStatus, j.JobDetails)
	}
	if _, err := s2.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if jobs := dropJobs(t, ctx, c, "short"); len(jobs) != 0 {
		t.Errorf("a file older than its rule's retention started %d jobs", len(jobs))
	}
}

// TestDropRuleTemplateRefusedAsCreate: every body a create request refuses is refused as a drop
// rule's template with the same status and message, including the checks that need the
// deployment (LanguageCode, RetentionHours, KmsKeyId, the analyses it runs), and no rule is
// stored.
func TestDropRuleTemplateRefusedAsCreate(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	for _, tc := range []struct{ what, extra string }{
		{"an unknown LanguageCode", `,"LanguageCode":"xx"`},
		{"a LanguageCode with a bogus subtag", `,"LanguageCode":"fr-FR-x-bogus"`},
		{"RetentionHours over the retention", `,"RetentionHours":721`},
		{"RetentionHours 0", `,"RetentionHours":0`},
		{"RetentionHours -1", `,"RetentionHours":-1`},
		{"a KmsKeyId locally", `,"OutputDataConfig":{"KmsKeyId":"alias/x"}`},
		{"NumberOfTopics without TOPICS", `,"NumberOfTopics":3`},
	} {
		body := `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}` + tc.extra + `}`
		cst, ce, _ := rawRequest(t, http.MethodPost, s.URL+"/v1/jobs", DefaultKey, body)
		pst, pe, _ := rawRequest(t, http.MethodPut, s.URL+"/v1/drop-rules/x6", DefaultKey, body)
		if cst != http.StatusBadRequest || pst != cst || pe != ce {
			t.Errorf("%s: create answered %d %+v, the rule %d %+v; want the same 400", tc.what, cst, ce, pst, pe)
		}
	}
	body := `{"Analyses":["BOGUS"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`
	cst, ce, _ := rawRequest(t, http.MethodPost, s.URL+"/v1/jobs", DefaultKey, body)
	pst, pe, _ := rawRequest(t, http.MethodPut, s.URL+"/v1/drop-rules/x6", DefaultKey, body)
	if cst != http.StatusBadRequest || pst != cst || pe != ce {
		t.Errorf("unknown analysis: create answered %d %+v, the rule %d %+v; want the same 400", cst, ce, pst, pe)
	}
	for _, a := range []string{"CODING", "CODING_TRAINING", "ENTITIES", "KEY_PHRASES", "LANGUAGE", "PII", "SENTIMENT", "TOPICS"} {
		if !strings.Contains(ce.Message, a) {
			t.Errorf("the 400 for an unknown analysis %q does not list %s", ce.Message, a)
		}
	}
	if st, _, _ := rawRequest(t, http.MethodGet, s.URL+"/v1/drop-rules/x6", DefaultKey, ""); st != http.StatusNotFound {
		t.Errorf("a refused template was stored (GET answered %d)", st)
	}
	// What a create accepts, the rule accepts, in the canonical case the jobs will show.
	r, err := defaultClient(s).PutDropRule(testCtx(t), "x6", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}, LanguageCode: "EN-gb", RetentionHours: new(720)})
	if err != nil || r.Template.LanguageCode != "en-GB" {
		t.Errorf("put with LanguageCode EN-gb: %+v, %v; want it stored as en-GB", r, err)
	}
}

// TestDropObjectTemplateCannotStartFails: an object version the rule cannot start a job for
// (here a name no store can hold) becomes one FAILED job whose Message says why and which is
// notified, instead of an error logged at every sweep; later sweeps add nothing.
func TestDropObjectTemplateCannotStartFails(t *testing.T) {
	s := startStack(t, Config{DropSettle: Duration(50 * time.Millisecond), SweepInterval: Duration(100 * time.Millisecond)}, pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "bad", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	key := dropFile(t, s, "bad", "tab\there.txt", []byte("Great value.\n"))
	j := waitDropJob(t, ctx, c, "bad", key)
	if j.JobStatus != job.Failed || !strings.Contains(j.Message, "drop rule bad cannot start a job") || !strings.Contains(j.Message, "control character") {
		t.Errorf("job %s %s %q; want FAILED with a Message that says why", j.JobId, j.JobStatus, j.Message)
	}
	n, _ := follow(t, ctx, c, j.JobId)
	if n.JobStatus != job.Failed || n.DropRule != "bad" || n.Message != j.Message {
		t.Errorf("notification %+v; want the FAILED job's", n)
	}
	time.Sleep(500 * time.Millisecond) // several sweeps
	if js := dropJobs(t, ctx, c, "bad"); len(js) != 1 {
		t.Errorf("%d jobs for one object version; want 1", len(js))
	}
}

// TestDropWatcherReportsUnstorableNames: a dropped file whose name no store can hold (a
// backslash, Latin-1 bytes) gets its FAILED job from the watcher's report, as from the sweep's;
// the watcher ignored it, and the job came only with the next sweep (found from outside).
func TestDropWatcherReportsUnstorableNames(t *testing.T) {
	s := startStack(t, Config{SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "odd", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	names := []string{"back\\slash.txt", "caf\xe9.txt"}
	for _, name := range names {
		if err := s.dropArrived(ctx, dropFile(t, s, "odd", name, []byte("Great value.\n"))); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
	}
	// (A job's DropObject.Key is JSON: the Latin-1 byte reads as U+FFFD there.)
	jobs := dropJobs(t, ctx, c, "odd")
	if len(jobs) != len(names) {
		t.Fatalf("%d jobs for %d dropped files", len(jobs), len(names))
	}
	for _, j := range jobs {
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, "drop rule odd cannot start a job") {
			t.Errorf("%s: job %s %q; want FAILED saying why", j.DropObject.Key, j.JobStatus, j.Message)
		}
	}
}

// TestDropRuleFolderCreated: putting a rule creates its folder on the local stack, so the
// README's plain `cp export.txt .ream-data/objects/inputs/local/drop/reviews/…` starts a job
// (nothing else creates the folder).
func TestDropRuleFolderCreated(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "reviews", lineJob("nightly-", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	key := droprule.Prefix("local", "reviews") + "2026-11-22.txt"
	p := filepath.Join(s.objectsDir, filepath.FromSlash(key))
	if fi, err := os.Stat(filepath.Dir(p)); err != nil || !fi.IsDir() {
		t.Fatalf("the rule's folder: %v", err)
	}
	if err := os.WriteFile(p, []byte("I love it.\nI hate it.\n"), 0o644); err != nil { // as cp does
		t.Fatal(err)
	}
	j := waitDropJob(t, ctx, c, "reviews", key)
	if n, _ := follow(t, ctx, c, j.JobId); n.JobStatus != job.Completed || n.InputDocumentsCount != 2 {
		t.Errorf("notification %+v; want the copied file's job COMPLETED over its 2 lines", n)
	}
}

// TestDropWatcherWaitsForTheFileItself: the watcher reports a file only once its modification
// time is dropSettle old too, not only the last event it has read: while reports run (a burst,
// a busy machine) the events of a file still being written wait unread, and a file whose last
// event read was stale was analysed half written (found from outside: a job over 3 of 8 lines).
func TestDropWatcherWaitsForTheFileItself(t *testing.T) {
	const settle = time.Hour // the stack's own watcher and sweep leave the file alone
	s := startStack(t, Config{DropSettle: Duration(settle), SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "slow", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	key := dropFile(t, s, "slow", "growing.txt", []byte("first line\n"))
	p := filepath.Join(s.objectsDir, filepath.FromSlash(key))
	dw := &dropWatcher{s: s, inputs: filepath.Join(s.objectsDir, "inputs"), settle: settle, pending: map[string]time.Time{}}
	dw.pending[p] = time.Now().Add(-2 * settle) // its last event read is old; the file was written just now
	dw.flush(ctx)
	if jobs := dropJobs(t, ctx, c, "slow"); len(jobs) != 0 {
		t.Fatalf("a file written just now was reported (%d jobs) because its last event read was old", len(jobs))
	}
	if _, ok := dw.pending[p]; !ok {
		t.Fatal("the file still being written is no longer pending")
	}
	old := time.Now().Add(-2 * settle)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	dw.pending[p] = old
	dw.flush(ctx)
	if jobs := dropJobs(t, ctx, c, "slow"); len(jobs) != 1 {
		t.Fatalf("%d jobs once the file settled, want 1", len(jobs))
	}
	// A time in the future (copied off a machine whose clock runs ahead) says nothing about
	// the writing: the file is reported once its events settled (found in review: it waited
	// until its time came).
	ahead := filepath.Join(filepath.Dir(p), "ahead.txt")
	if err := os.WriteFile(ahead, []byte("from a fast clock\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(10 * time.Minute)
	if err := os.Chtimes(ahead, future, future); err != nil {
		t.Fatal(err)
	}
	dw.pending[ahead] = time.Now().Add(-2 * settle)
	dw.flush(ctx)
	if jobs := dropJobs(t, ctx, c, "slow"); len(jobs) != 2 {
		t.Fatalf("%d jobs after a settled file with a future time, want 2", len(jobs))
	}
}

// TestDropSweepTakesCopiesThatKeepTheirTime: a file copied into a drop folder while `ream serve`
// was down with its modification time kept (`cp -p` of a 40-day-old file) is reported by the
// sweep: it arrived now, whatever its time says (found from outside: it was never processed,
// with nothing logged).
func TestDropSweepTakesCopiesThatKeepTheirTime(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, DropSettle: Duration(50 * time.Millisecond), SweepInterval: Duration(time.Hour)}
	s := startStack(t, cfg, pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "archive", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // down while the file is copied
		t.Fatal(err)
	}
	p := filepath.Join(dir, "objects", filepath.FromSlash(droprule.Prefix("local", "archive")), "old.txt")
	if err := os.WriteFile(p, []byte("An old review, copied with its time.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // past dropSettle
	s = startStack(t, cfg, pipeline.Hooks{})
	c = defaultClient(s)
	jobs := dropJobs(t, ctx, c, "archive")
	if len(jobs) != 1 {
		t.Fatalf("%d jobs for a file copied with a 40-day-old time while the server was down, want 1", len(jobs))
	}
}

// TestDropUploadRetrySameBytes: a client retrying a drop upload whose answer it lost sends the
// same bytes again: that is the same object (as on S3, where they make the same ETag), so no
// second job; other bytes are a new version and start one (found from outside: a retried PUT
// of the same bytes started a second job).
func TestDropUploadRetrySameBytes(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "up", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	u, err := c.DropUpload(ctx, "up", "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	same := writeTemp(t, "a.txt", []byte("one\ntwo\n"))
	for range 2 {
		if err := c.Upload(ctx, u.Presigned, same); err != nil {
			t.Fatalf("upload: %v", err)
		}
	}
	key := droprule.Prefix("local", "up") + "a.txt"
	waitDropJob(t, ctx, c, "up", key)
	time.Sleep(200 * time.Millisecond) // a second job would have been created by now (the event is queued before the 200)
	if jobs := dropJobs(t, ctx, c, "up"); len(jobs) != 1 {
		t.Fatalf("%d jobs after the same bytes were PUT twice, want 1", len(jobs))
	}
	if err := c.Upload(ctx, u.Presigned, writeTemp(t, "b.txt", []byte("one\ntwo\nthree\n"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the new version's job", func() bool { return len(dropJobs(t, ctx, c, "up")) == 2 })
}

// TestDropUploadAfterRuleDeleted: an upload URL of a deleted drop rule is refused (409) and
// stores nothing; it was answered 200 for a file no job would read (found from outside).
func TestDropUploadAfterRuleDeleted(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "gone", lineJob("gone-", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	u, err := c.DropUpload(ctx, "gone", "late.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteDropRule(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	err = c.Upload(ctx, u.Presigned, writeTemp(t, "late.txt", []byte("one\n")))
	if ae := wantAPIError(t, err, http.StatusConflict, "upload into a deleted rule's folder"); ae != nil && !strings.Contains(ae.Message, "no longer exists") {
		t.Errorf("the refusal does not say why: %s", ae.Message)
	}
	if _, err := os.Stat(filepath.Join(s.cfg.DataDir, "objects", filepath.FromSlash(droprule.Prefix("local", "gone")), "late.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused file was stored: %v", err)
	}
}

// TestDropSweepLeavesFilesFromBeforeTheRule: the sweep (which catches files whose event was lost)
// starts only files that arrived after their rule was put as it now stands. Found from outside:
// a file dropped in a folder without a rule ("ignored"), or in a deleted rule's folder, was
// analysed once a rule of that name was put; switching a ONE_DOC_PER_FILE rule to
// ONE_DOC_PER_LINE started a job for every document already analysed in its batches.
func TestDropSweepLeavesFilesFromBeforeTheRule(t *testing.T) {
	s := startStack(t, Config{DropSettle: Duration(50 * time.Millisecond), SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	dropFile(t, s, "norule", "x.txt", []byte("dropped before any rule\n"))
	if _, err := c.PutDropRule(ctx, "files", lineJob("", job.OneDocPerFile)); err != nil {
		t.Fatal(err)
	}
	dropFile(t, s, "files", "b1/a.txt", []byte("a document of a batch\n"))
	dropFile(t, s, "files", "b1/"+droprule.Marker, nil)
	time.Sleep(100 * time.Millisecond) // past dropSettle
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the batch's job", func() bool { return len(dropJobs(t, ctx, c, "files")) == 1 })
	time.Sleep(clockSlack + 100*time.Millisecond) // the rules below are put well after the files arrived
	if _, err := c.PutDropRule(ctx, "norule", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutDropRule(ctx, "files", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(dropJobs(t, ctx, c, "norule")); n != 0 {
		t.Errorf("a file dropped before its folder had a rule started %d jobs once the rule was put", n)
	}
	if n := len(dropJobs(t, ctx, c, "files")); n != 1 {
		t.Errorf("the rule switched to ONE_DOC_PER_LINE: %d jobs, want the batch's 1 (its documents were analysed)", n)
	}
	// A file that arrives under the rule as it now stands is started, by the watcher or the sweep.
	dropFile(t, s, "norule", "y.txt", []byte("dropped after the rule\n"))
	time.Sleep(100 * time.Millisecond)
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the new file's job", func() bool { return len(dropJobs(t, ctx, c, "norule")) == 1 })
}
