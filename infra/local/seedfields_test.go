package local

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// TestManifestFilePath: Describe shows ManifestFilePath (Comprehend Medical's field) once a job
// is terminal: the manifest.json beside its output, in the store's URI form (as
// OutputDataConfig.S3Uri); a job still waiting, or one that ended without output, has none.
func TestManifestFilePath(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	res := createAndUpload(t, ctx, c, lineJob("manifest", job.OneDocPerLine), []byte("I love it.\nIt broke on day two.\n"))
	if res.ManifestFilePath != "" {
		t.Errorf("a job waiting for its input shows ManifestFilePath %q", res.ManifestFilePath)
	}
	_, j := follow(t, ctx, c, res.JobId)
	if want := j.OutputDataConfig.S3Uri + "manifest.json"; j.ManifestFilePath != want {
		t.Fatalf("ManifestFilePath %q, want %q", j.ManifestFilePath, want)
	}
	b, err := os.ReadFile(localPath(t, j.ManifestFilePath))
	if err != nil {
		t.Fatalf("the manifest is not at ManifestFilePath: %v", err)
	}
	var m output.Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.JobId != res.JobId || m.JobStatus != j.JobStatus {
		t.Errorf("manifest at ManifestFilePath: %+v (%v)", m, err)
	}
	// Listed jobs show it too.
	l, err := c.List(ctx, listAll())
	if err != nil {
		t.Fatal(err)
	}
	for _, lj := range l.Jobs {
		if lj.JobId == res.JobId && lj.ManifestFilePath != j.ManifestFilePath {
			t.Errorf("listed job's ManifestFilePath %q, want %q", lj.ManifestFilePath, j.ManifestFilePath)
		}
	}

	// Failed while planning (an empty input): no manifest was written, and none is shown.
	res = createAndUpload(t, ctx, c, lineJob("manifest-empty", job.OneDocPerLine), nil)
	if _, j := follow(t, ctx, c, res.JobId); j.JobStatus != job.Failed || j.ManifestFilePath != "" {
		t.Errorf("a job failed while planning: %s, ManifestFilePath %q; want FAILED with none", j.JobStatus, j.ManifestFilePath)
	}
}

// TestRetentionHours: a job's RetentionHours sets its ExpirationTime (EndTime + that many hours)
// within the deployment's retention; outside 1..retention (an explicit 0 too) it is a 400 and no
// job is stored; absent, the deployment's retention applies.
func TestRetentionHours(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Retention: Duration(48 * time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	for _, h := range []int{-1, 0, 49, 24 * 3660} {
		req := lineJob("retention-bad", job.OneDocPerLine)
		req.RetentionHours = new(h)
		_, err := c.CreateJob(ctx, req)
		if e := wantAPIError(t, err, http.StatusBadRequest, fmt.Sprintf("RetentionHours %d", h)); e != nil && !strings.Contains(e.Message, "between 1 and 48") {
			t.Errorf("RetentionHours %d: %q does not give the bounds", h, e.Message)
		}
	}
	if l, err := c.List(ctx, listAll()); err != nil || len(l.Jobs) != 0 {
		t.Fatalf("refused creates stored %d jobs (%v)", len(l.Jobs), err)
	}
	// A deployment that keeps jobs less than an hour has no valid RetentionHours: say so, not
	// "between 1 and 0".
	short := startStack(t, Config{Retention: Duration(time.Minute)}, pipeline.Hooks{})
	req := lineJob("retention-short", job.OneDocPerLine)
	req.RetentionHours = new(1)
	_, err := defaultClient(short).CreateJob(ctx, req)
	if e := wantAPIError(t, err, http.StatusBadRequest, "RetentionHours on a 1-minute deployment"); e != nil && !strings.Contains(e.Message, "less than an hour") {
		t.Errorf("RetentionHours on a 1-minute deployment: %q", e.Message)
	}
	for _, tc := range []struct {
		hours int
		want  time.Duration
	}{{2, 2 * time.Hour}, {48, 48 * time.Hour}, {0, 48 * time.Hour}} {
		req := lineJob("retention", job.OneDocPerLine)
		if tc.hours != 0 {
			req.RetentionHours = new(tc.hours) // 0: absent
		}
		res := createAndUpload(t, ctx, c, req, []byte("Great value.\n"))
		_, j := follow(t, ctx, c, res.JobId)
		if j.EndTime == nil || j.ExpirationTime == nil || j.ExpirationTime.Sub(*j.EndTime) != tc.want || j.RetentionHours != tc.hours {
			t.Errorf("RetentionHours %d: EndTime %v ExpirationTime %v (RetentionHours %d); want %s later", tc.hours, j.EndTime, j.ExpirationTime, j.RetentionHours, tc.want)
		}
	}
}

// kmsRecorder gives the local store pipeline.KMSObjects for a test: writes through a
// WithKMSKey view are recorded with their key, then stored as usual.
type kmsRecorder struct {
	pipeline.Objects
	mu   *sync.Mutex
	keys map[string]string // object key → KMS key id it was written under
}

func (r kmsRecorder) WithKMSKey(keyID string) pipeline.Objects {
	return kmsView{Objects: r.Objects, rec: r, keyID: keyID}
}

type kmsView struct {
	pipeline.Objects
	rec   kmsRecorder
	keyID string
}

func (v kmsView) note(key string) {
	v.rec.mu.Lock()
	defer v.rec.mu.Unlock()
	v.rec.keys[key] = v.keyID
}

func (v kmsView) Put(ctx context.Context, key string, r io.Reader) error {
	v.note(key)
	return v.Objects.Put(ctx, key, r)
}

func (v kmsView) Compose(ctx context.Context, key string, srcs []string) error {
	v.note(key)
	return v.Objects.Compose(ctx, key, srcs)
}

// TestOutputKmsKeyId: the local store cannot encrypt under a KMS key, so a create naming
// OutputDataConfig.KmsKeyId is a 400 (not accepted and ignored) and stores nothing. On a store
// that can (pipeline.KMSObjects, as S3), the job's outputs (output.tar.gz, manifest.json) are
// written under that key and nothing else is; a malformed key id is a 400.
func TestOutputKmsKeyId(t *testing.T) {
	ctx := testCtx(t)
	withKey := func(key string) api.CreateJobRequest {
		req := lineJob("kms", job.OneDocPerLine)
		req.OutputDataConfig.KmsKeyId = key
		return req
	}
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	_, err := c.CreateJob(ctx, withKey("alias/team-outputs"))
	if e := wantAPIError(t, err, http.StatusBadRequest, "KmsKeyId on the local stack"); e != nil && !strings.Contains(e.Message, "omit KmsKeyId") {
		t.Errorf("local refusal %q does not say to omit KmsKeyId", e.Message)
	}
	if l, err := c.List(ctx, listAll()); err != nil || len(l.Jobs) != 0 {
		t.Fatalf("a refused create stored %d jobs (%v)", len(l.Jobs), err)
	}

	rec := kmsRecorder{mu: &sync.Mutex{}, keys: map[string]string{}}
	cfg := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", PollInterval: Duration(10 * time.Millisecond), Workers: 2}
	ks, err := Start(t.Context(), cfg, Options{Log: testLogger(t), WrapObjects: func(o pipeline.Objects) pipeline.Objects {
		rec.Objects = o
		return rec
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	kc := defaultClient(ks)
	_, err = kc.CreateJob(ctx, withKey("not a key"))
	wantAPIError(t, err, http.StatusBadRequest, "a malformed KmsKeyId")
	const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	res := createAndUpload(t, ctx, kc, withKey(key), []byte("I love it.\nIt broke on day two.\n"))
	_, j := follow(t, ctx, kc, res.JobId)
	if j.OutputDataConfig.KmsKeyId != key || !j.JobStatus.Terminal() {
		t.Fatalf("job %s with KmsKeyId %q", j.JobStatus, j.OutputDataConfig.KmsKeyId)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := layout.OutputPrefix("local", res.JobId)
	want := map[string]string{out + api.ArchiveName: key, out + api.ManifestName: key}
	if !maps.Equal(rec.keys, want) {
		t.Errorf("written under the job's key: %v; want exactly %v", rec.keys, want)
	}
}
