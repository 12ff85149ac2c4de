package local

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// oldSchemaJobs is the jobs table and a finished job as the release of 2 December 2026 left
// them in ream.db: no unnotified column, no stamp (user_version 0).
var oldSchemaJobs = []string{
	`CREATE TABLE jobs (
		tenant       TEXT    NOT NULL,
		id           TEXT    NOT NULL,
		name         TEXT    NOT NULL DEFAULT '',
		status       TEXT    NOT NULL,
		submit_time  INTEGER NOT NULL,
		version      INTEGER NOT NULL,
		client_token TEXT,
		body         BLOB    NOT NULL,
		PRIMARY KEY (tenant, id)
	)`,
	`CREATE UNIQUE INDEX jobs_client_token ON jobs (tenant, client_token) WHERE client_token IS NOT NULL`,
	`INSERT INTO jobs VALUES ('local', 'j1', 'tagged1', 'PARTIAL_SUCCESS', 1796429703216421210, 7, 'tok-tag1',
		'{"job":{"JobId":"j1","JobName":"tagged1","Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"JobStatus":"PARTIAL_SUCCESS","SubmitTime":"2026-12-05T00:15:03.21642121Z","ClientRequestToken":"tok-tag1","Tags":[{"Key":"team","Value":"support"}],"JobDetails":{"InputDocumentsCount":22,"ProcessedDocumentsCount":18,"DocumentsWithErrorsCount":4,"ShardsTotal":1,"ShardsDone":1}},"hidden":{"InputKey":"inputs/local/j1/input","Notified":true,"RequestHash":"f9f7","Tenant":"local"}}')`,
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func execAll(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestMigrateStampsSchemaVersion: a database an earlier release made (not stamped) is migrated,
// its jobs read as before, and stamped with SchemaVersion, so that an earlier release that
// checks the stamp refuses it from then on.
func TestMigrateStampsSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ream.db")
	execAll(t, path, oldSchemaJobs...)
	db, err := OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := NewJobs(db).Get(context.Background(), "local", "j1")
	db.Close()
	if err != nil {
		t.Fatalf("the earlier release's job: %v", err)
	}
	if j.JobName != "tagged1" || j.ClientRequestToken != "tok-tag1" || len(j.Tags) != 1 || j.JobDetails.ProcessedDocumentsCount != 18 || !j.Notified {
		t.Errorf("the earlier release's job read as %+v", j)
	}
	if v := userVersion(t, path); v != SchemaVersion {
		t.Fatalf("user_version %d after OpenDB, want SchemaVersion %d", v, SchemaVersion)
	}
}

// TestOpenDBRefusesLaterSchema: a database a later release stamped is refused, naming the file
// and what to do, and left as it was: a release running on a later one's data misread its jobs
// (found from outside: an earlier release started on a data directory this one had run a job
// in read the job's tenant as "" and failed every delivery of its shards: it never finished).
func TestOpenDBRefusesLaterSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ream.db")
	db, err := OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	later := SchemaVersion + 1
	execAll(t, path, `DROP TABLE sweep_state`, `PRAGMA user_version = `+strconv.Itoa(later))
	db, err = OpenDB(path)
	if err == nil {
		db.Close()
		t.Fatal("OpenDB opened a database a later release stamped")
	}
	if !errors.Is(err, ErrLaterSchema) {
		t.Errorf("error %v is not ErrLaterSchema", err)
	}
	for _, w := range []string{path, "later release", "data format " + strconv.Itoa(later), "restore a copy of the data directory taken before the upgrade"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if v := userVersion(t, path); v != later {
		t.Errorf("user_version %d after the refusal, want %d kept", v, later)
	}
	check, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var n int
	if err := check.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'sweep_state'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused database was migrated (sweep_state tables: %d, %v)", n, err)
	}
}
