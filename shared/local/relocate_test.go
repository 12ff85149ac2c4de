package local

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// TestRelocate: the stored file:// URIs of jobs, drop rules and notifications are made to name
// the store where it is now. A database of an earlier release (no base recorded) has every base
// its records name rewritten (a directory moved twice under those releases names two), a retry's
// input (its parent's location) included; then the base is recorded, so that the next move
// rewrites exactly that one, and a start on an unmoved directory rewrites nothing.
func TestRelocate(t *testing.T) {
	ctx := context.Background()
	db, err := OpenDB(filepath.Join(t.TempDir(), "ream.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// OpenDB records no base (Relocate does): the records below are as an earlier release left them.
	const a, b, c, d = "file:///srv/a/objects/", "file:///srv/b%20x/objects/", "file:///c/objects/", "file:///d/objects/"
	jobs := NewJobs(db)
	now := time.Now().UTC()
	add := func(id, base, inputKey, inputBase string) {
		j := &job.Job{JobId: id, Tenant: "local", JobStatus: job.Completed, SubmitTime: now, InputKey: inputKey,
			InputDataConfig:  job.InputDataConfig{S3Uri: inputBase + "inputs/local/p1/input", InputFormat: job.OneDocPerLine},
			OutputDataConfig: job.OutputDataConfig{S3Uri: base + "outputs/local/mine/" + id + "/"},
			ManifestFilePath: base + "outputs/local/mine/" + id + "/manifest.json"}
		if _, _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(api.Notification{JobId: id, Tenant: "local", OutputLocation: j.OutputDataConfig.S3Uri})
		if _, err := db.Exec(`INSERT INTO notifications (tenant, job, body, time) VALUES ('local', ?, ?, 0)`, id, body); err != nil {
			t.Fatal(err)
		}
	}
	add("p1", a, "inputs/local/p1/input", a)
	add("r1", b, "work/local/r1/retry-input.jsonl", a) // a retry made after the first move: its parent's input
	add("p2", b, "inputs/local/p1/input", b)
	rules := NewDropRules(db)
	tmpl := api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment}, OutputDataConfig: job.OutputDataConfig{S3Uri: b + "outputs/local/dropped/"}}
	if err := rules.Put(ctx, api.DropRule{Name: "nightly", Tenant: "local", Location: b + "inputs/local/drop/nightly/", Template: tmpl}); err != nil {
		t.Fatal(err)
	}

	check := func(base string) {
		t.Helper()
		for _, id := range []string{"p1", "r1", "p2"} {
			j, err := jobs.Get(ctx, "local", id)
			if err != nil {
				t.Fatal(err)
			}
			if j.InputDataConfig.S3Uri != base+"inputs/local/p1/input" || j.OutputDataConfig.S3Uri != base+"outputs/local/mine/"+id+"/" ||
				j.ManifestFilePath != base+"outputs/local/mine/"+id+"/manifest.json" || j.InputKey == "" || j.Version != 1 {
				t.Errorf("job %s after the move: %+v; want its locations under %s", id, j, base)
			}
			var body []byte
			if err := db.QueryRow(`SELECT body FROM notifications WHERE job = ?`, id).Scan(&body); err != nil {
				t.Fatal(err)
			}
			var n api.Notification
			if err := json.Unmarshal(body, &n); err != nil || n.OutputLocation != base+"outputs/local/mine/"+id+"/" {
				t.Errorf("job %s's notification names %q (%v); want it under %s", id, n.OutputLocation, err, base)
			}
		}
		r, err := rules.Get(ctx, "local", "nightly")
		if err != nil {
			t.Fatal(err)
		}
		if r.Location != base+"inputs/local/drop/nightly/" || r.Template.OutputDataConfig.S3Uri != base+"outputs/local/dropped/" || len(r.Template.Analyses) != 1 {
			t.Errorf("drop rule after the move: %+v; want its locations under %s", r, base)
		}
	}

	moved, err := Relocate(ctx, db, c)
	if err != nil {
		t.Fatal(err)
	}
	if moved.From != b+", "+a && moved.From != a+", "+b || moved.Jobs != 3 || moved.DropRules != 1 || moved.Notifications != 3 {
		t.Errorf("first start after the moves: %+v; want from %s and %s, 3 jobs, 1 rule, 3 notifications", moved, a, b)
	}
	check(c)
	if moved, err := Relocate(ctx, db, c); err != nil || moved != (Relocation{}) {
		t.Errorf("a start where the directory was: %+v, %v; want nothing rewritten", moved, err)
	}
	if moved, err := Relocate(ctx, db, d); err != nil || moved != (Relocation{From: c, Jobs: 3, DropRules: 1, Notifications: 3}) {
		t.Errorf("a start after another move: %+v, %v; want from %s", moved, err, c)
	}
	check(d)
}
