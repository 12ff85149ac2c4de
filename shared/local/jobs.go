package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/pagetoken"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// Jobs is the job store on SQLite. A job is stored as JSON (including its `json:"-"`
// bookkeeping fields) next to the columns it is queried by; its version column is the
// optimistic-concurrency token.
type Jobs struct {
	db    *sql.DB
	now   func() time.Time
	stmts *stmts
}

var _ pipeline.Jobs = (*Jobs)(nil)

// NewJobs returns the job store on db (from OpenDB). Options: WithClock (the default
// ShardRecord.Recorded time).
func NewJobs(db *sql.DB, opts ...Option) *Jobs {
	c := newConfig(opts)
	return &Jobs{db: db, now: c.now, stmts: newStmts(db)}
}

// jobRecord is the stored form of a job: the job's public JSON plus, by Go field name, every
// field tagged `json:"-"` (found by reflection, so fields added to job.Job later are persisted
// without touching this adapter). Version lives in its column.
type jobRecord struct {
	Job    *job.Job                   `json:"job"`
	Hidden map[string]json.RawMessage `json:"hidden,omitempty"`
}

var hiddenFields = func() []int {
	var idx []int
	t := reflect.TypeOf(job.Job{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() && f.Tag.Get("json") == "-" && f.Name != "Version" {
			idx = append(idx, i)
		}
	}
	return idx
}()

func encodeJob(j *job.Job) ([]byte, error) {
	rec := jobRecord{Job: j, Hidden: map[string]json.RawMessage{}}
	v := reflect.ValueOf(j).Elem()
	for _, i := range hiddenFields {
		b, err := json.Marshal(v.Field(i).Interface())
		if err != nil {
			return nil, fmt.Errorf("encode job %s field %s: %w", j.JobId, v.Type().Field(i).Name, err)
		}
		rec.Hidden[v.Type().Field(i).Name] = b
	}
	return json.Marshal(rec)
}

func decodeJob(body []byte, version int64) (*job.Job, error) {
	rec := jobRecord{Job: new(job.Job)}
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, fmt.Errorf("decode job: %w", err)
	}
	v := reflect.ValueOf(rec.Job).Elem()
	for name, raw := range rec.Hidden {
		// By name, not only today's hidden fields: a field shown since it was stored (Tenant)
		// is read back from where it was kept.
		f, ok := v.Type().FieldByName(name)
		if !ok || !f.IsExported() || len(f.Index) != 1 {
			continue
		}
		if err := json.Unmarshal(raw, v.Field(f.Index[0]).Addr().Interface()); err != nil {
			return nil, fmt.Errorf("decode job field %s: %w", name, err)
		}
	}
	rec.Job.Version = version
	return rec.Job, nil
}

// Create implements pipeline.Jobs. The job is stored with Version 1 and j.Version is set to 1.
// A second job with an id the tenant already has is ErrConflict.
func (s *Jobs) Create(ctx context.Context, j *job.Job) (*job.Job, bool, error) {
	if j == nil || j.Tenant == "" || j.JobId == "" {
		return nil, false, fmt.Errorf("create job: tenant and id are required: %w", job.ErrInvalid)
	}
	st := j.Clone()
	st.Version = 1
	body, err := encodeJob(st)
	if err != nil {
		return nil, false, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO jobs (tenant, id, name, status, submit_time, version, client_token, body, unnotified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		st.Tenant, st.JobId, st.JobName, string(st.JobStatus), st.SubmitTime.UnixNano(), st.Version, nullIfEmpty(st.ClientRequestToken), body, unnotified(st))
	if err != nil {
		return nil, false, fmt.Errorf("create job %s: %w", j.JobId, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, false, fmt.Errorf("create job %s: %w", j.JobId, err)
	} else if n == 1 {
		j.Version = 1
		return st, true, nil
	}
	if j.ClientRequestToken != "" {
		existing, err := s.one(ctx, `SELECT version, body FROM jobs WHERE tenant = ? AND client_token = ?`, j.Tenant, j.ClientRequestToken)
		if err == nil {
			return existing, false, nil
		}
		if !isNotFound(err) {
			return nil, false, err
		}
	}
	return nil, false, fmt.Errorf("create job %s: the id is taken: %w", j.JobId, job.ErrConflict)
}

func isNotFound(err error) bool { return errors.Is(err, job.ErrNotFound) }

// unnotified is the job's unnotified column: 1 when it is terminal and not yet notified.
func unnotified(j *job.Job) int {
	if j.JobStatus.Terminal() && !j.Notified {
		return 1
	}
	return 0
}

func (s *Jobs) one(ctx context.Context, query string, args ...any) (*job.Job, error) {
	var version int64
	var body []byte
	st, err := s.stmts.get(ctx, query)
	if err == nil {
		err = st.QueryRowContext(ctx, args...).Scan(&version, &body)
	}
	if isNoRows(err) {
		return nil, fmt.Errorf("job: %w", job.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read job: %w", err)
	}
	return decodeJob(body, version)
}

// Get implements pipeline.Jobs.
func (s *Jobs) Get(ctx context.Context, tenant, id string) (*job.Job, error) {
	j, err := s.one(ctx, getQuery, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	if j.JobStatus == job.InProgress || j.JobStatus == job.StopRequested {
		// A few job_rate rows, whatever the job's number of shards (Get runs for every shard a
		// worker takes).
		since := job.RateBucket(s.now().Add(-job.RateWindow))
		st, err := s.stmts.get(ctx, recentDocumentsQuery)
		if err == nil {
			err = st.QueryRowContext(ctx, tenant, id, since).Scan(&j.JobDetails.RecentDocuments)
		}
		if err != nil {
			return nil, fmt.Errorf("get job %s: recent documents: %w", id, err)
		}
		j.JobDetails.RecentSince = job.RateBucketStart(since)
	}
	return j, nil
}

// The job store's statements that run for every shard (prepared once: stmts).
const (
	getQuery = `SELECT version, body FROM jobs WHERE tenant = ? AND id = ?`
	// updateQuery is Update's: the recorded counts are RecordShard's alone, so the stored ones
	// are kept (as the DynamoDB adapter's counter items are), whatever counts the caller's copy
	// holds.
	updateQuery = `UPDATE jobs SET name = ?, status = ?, submit_time = ?, client_token = ?, version = ?, unnotified = ?,
		body = json_set(CAST(? AS TEXT), '$.job.JobDetails.InputDocumentsCount', json_extract(CAST(body AS TEXT), '$.job.JobDetails.InputDocumentsCount'),
			'$.job.JobDetails.ProcessedDocumentsCount', json_extract(CAST(body AS TEXT), '$.job.JobDetails.ProcessedDocumentsCount'),
			'$.job.JobDetails.DocumentsWithErrorsCount', json_extract(CAST(body AS TEXT), '$.job.JobDetails.DocumentsWithErrorsCount'),
			'$.job.JobDetails.ShardsDone', json_extract(CAST(body AS TEXT), '$.job.JobDetails.ShardsDone'),
			'$.job.JobDetails.ProcessedBytes', json_extract(CAST(body AS TEXT), '$.job.JobDetails.ProcessedBytes'),
			'$.job.JobDetails.AnalysisCounts', json(json_extract(CAST(body AS TEXT), '$.job.JobDetails.AnalysisCounts')))
		WHERE tenant = ? AND id = ? AND version = ? AND status = ?`
	// RecordShard's: the shard record if absent, the documents of the record's rate bucket, the
	// job's counters.
	recordQuery = `INSERT INTO shards (tenant, job, shard, body) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	rateQuery   = `INSERT INTO job_rate (tenant, job, bucket, documents) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant, job, bucket) DO UPDATE SET documents = documents + excluded.documents`
	countQuery = `UPDATE jobs SET version = ?, body = ? WHERE tenant = ? AND id = ?`
)

// recentDocumentsQuery sums the documents a job recorded from a bucket on (a primary-key range:
// TestRecentDocumentsUsesIndex).
const recentDocumentsQuery = `SELECT COALESCE(SUM(documents), 0) FROM job_rate WHERE tenant = ? AND job = ? AND bucket >= ?`

// Update implements pipeline.Jobs.
func (s *Jobs) Update(ctx context.Context, j *job.Job, expect job.Status) error {
	if j == nil || j.Tenant == "" || j.JobId == "" {
		return fmt.Errorf("update job: tenant and id are required: %w", job.ErrInvalid)
	}
	next := j.Clone()
	next.Version = j.Version + 1
	body, err := encodeJob(next)
	if err != nil {
		return err
	}
	st, err := s.stmts.get(ctx, updateQuery)
	if err != nil {
		return fmt.Errorf("update job %s: %w", j.JobId, err)
	}
	res, err := st.ExecContext(ctx,
		next.JobName, string(next.JobStatus), next.SubmitTime.UnixNano(), nullIfEmpty(next.ClientRequestToken), next.Version, unnotified(next), body,
		j.Tenant, j.JobId, j.Version, string(expect))
	if isUnique(err) {
		return fmt.Errorf("update job %s: client request token taken: %w", j.JobId, job.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("update job %s: %w", j.JobId, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update job %s: %w", j.JobId, err)
	}
	if n == 0 {
		var version int64
		var status string
		err := s.db.QueryRowContext(ctx, `SELECT version, status FROM jobs WHERE tenant = ? AND id = ?`, j.Tenant, j.JobId).Scan(&version, &status)
		if isNoRows(err) {
			return fmt.Errorf("update job %s: %w", j.JobId, job.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update job %s: %w", j.JobId, err)
		}
		return fmt.Errorf("update job %s: stored version %d status %s, expected version %d status %s: %w",
			j.JobId, version, status, j.Version, expect, job.ErrConflict)
	}
	j.Version = next.Version
	return nil
}

// pageToken is the position after the last job of a page (newest-first order).
type pageToken struct {
	T  int64  `json:"t"`
	ID string `json:"i"`
}

// List implements pipeline.Jobs, newest first (oldest first with f.Oldest). JobName is an
// exact match; SubmittedBefore and SubmittedAfter are strict. MaxResults 0 means pipeline.DefaultListResults; it is capped at pipeline.MaxListResults. NextToken is
// opaque (base64 of the last job's submit time and id); a malformed one is ErrInvalid.
func (s *Jobs) List(ctx context.Context, tenant string, f api.ListFilter) ([]*job.Job, string, error) {
	var after *pageToken
	if f.NextToken != "" {
		var tok pageToken
		if err := pagetoken.Decode(f.NextToken, &tok); err != nil || tok.ID == "" {
			return nil, "", fmt.Errorf("%w: NextToken is not one this route returned", job.ErrInvalid)
		}
		after = &tok
	}
	limit := f.MaxResults
	if limit <= 0 {
		limit = pipeline.DefaultListResults
	}
	if limit > pipeline.MaxListResults {
		limit = pipeline.MaxListResults
	}
	query, args := listQuery(tenant, f, after, limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []*job.Job
	var last pageToken
	more := false
	for rows.Next() {
		if len(out) == limit {
			more = true
			break
		}
		var version, submit int64
		var body []byte
		var id string
		if err := rows.Scan(&version, &body, &submit, &id); err != nil {
			return nil, "", fmt.Errorf("list jobs: %w", err)
		}
		j, err := decodeJob(body, version)
		if err != nil {
			return nil, "", err
		}
		out = append(out, j)
		last = pageToken{T: submit, ID: id}
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	next := ""
	if more {
		next = pagetoken.Encode(last)
	}
	return out, next, nil
}

// listQuery is List's query: the tenant's jobs matching f, after the position after (none for
// the first page), in the listing's order, limit+1 of them (one more tells that there are more).
// The position is a row value, which SQLite searches in jobs_by_time (or the status or name
// index, with that filter) from the page's first job on; written as "submit_time < ? OR
// (submit_time = ? AND id < ?)" it was a filter on every job before it, so the k-th page read
// k pages of the index and a JobStatus or JobName filter read every job of the tenant.
func listQuery(tenant string, f api.ListFilter, after *pageToken, limit int) (string, []any) {
	var q strings.Builder
	q.WriteString(`SELECT version, body, submit_time, id FROM jobs WHERE tenant = ?`)
	args := []any{tenant}
	if f.JobName != "" {
		q.WriteString(` AND name = ?`)
		args = append(args, f.JobName)
	}
	if f.Status != "" {
		q.WriteString(` AND status = ?`)
		args = append(args, string(f.Status))
	}
	// The bound the listing starts from is the position when there is one (it lies inside the
	// submit-time filter, being a job's listed under it), else the filter: both at once left the
	// planner to search by the filter's, from the first page's first job.
	before, since := f.SubmittedBefore, f.SubmittedAfter
	if after != nil {
		if f.Oldest {
			if since.IsZero() || after.T > since.UnixNano() {
				since = time.Time{}
				q.WriteString(` AND (submit_time, id) > (?, ?)`)
				args = append(args, after.T, after.ID)
			}
		} else if before.IsZero() || after.T < before.UnixNano() {
			before = time.Time{}
			q.WriteString(` AND (submit_time, id) < (?, ?)`)
			args = append(args, after.T, after.ID)
		}
	}
	if !before.IsZero() {
		q.WriteString(` AND submit_time < ?`)
		args = append(args, before.UnixNano())
	}
	if !since.IsZero() {
		q.WriteString(` AND submit_time > ?`)
		args = append(args, since.UnixNano())
	}
	if f.Oldest {
		q.WriteString(` ORDER BY submit_time ASC, id ASC LIMIT ?`)
	} else {
		q.WriteString(` ORDER BY submit_time DESC, id DESC LIMIT ?`)
	}
	return q.String(), append(args, limit+1)
}

// RecordShard implements pipeline.Jobs in one IMMEDIATE transaction. An applied record adds
// rec.Documents to InputDocumentsCount, rec.Processed() to ProcessedDocumentsCount,
// rec.Errors to DocumentsWithErrorsCount, rec.Analyses to AnalysisCounts and 1 to ShardsDone,
// and increments the version.
// A zero rec.Recorded is set to now.
func (s *Jobs) RecordShard(ctx context.Context, tenant, id string, rec pipeline.ShardRecord) (*job.Job, bool, error) {
	if rec.Recorded.IsZero() {
		rec.Recorded = s.now().UTC()
	}
	recBody, err := json.Marshal(rec)
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	st, err := s.stmts.all(ctx, getQuery, recordQuery, rateQuery, countQuery)
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	defer tx.Rollback()
	var version int64
	var body []byte
	err = tx.StmtContext(ctx, st[0]).QueryRowContext(ctx, tenant, id).Scan(&version, &body)
	if isNoRows(err) {
		return nil, false, fmt.Errorf("record shard %d of job %s: %w", rec.Index, id, job.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	j, err := decodeJob(body, version)
	if err != nil {
		return nil, false, err
	}
	res, err := tx.StmtContext(ctx, st[1]).ExecContext(ctx, tenant, id, rec.Index, recBody)
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	} else if n == 0 {
		return j, false, nil // already recorded; the rollback releases the lock
	}
	if j.JobStatus.Terminal() {
		// A shard that finished after its job ended (e.g. FAILED on a replaced input while
		// other shards ran): recorded, but the job keeps the counts its terminal Update wrote,
		// those its notification carried, as the DynamoDB adapter's do.
		if err := tx.Commit(); err != nil {
			return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
		}
		return j, true, nil
	}
	if rec.Documents > 0 {
		if _, err := tx.StmtContext(ctx, st[2]).ExecContext(ctx, tenant, id, job.RateBucket(rec.Recorded), rec.Documents); err != nil {
			return nil, false, fmt.Errorf("record shard %d: rate: %w", rec.Index, err)
		}
	}
	d := &j.JobDetails
	d.InputDocumentsCount += rec.Documents
	d.ProcessedDocumentsCount += rec.Processed()
	d.DocumentsWithErrorsCount += rec.Errors
	d.AnalysisCounts = d.AnalysisCounts.Add(rec.Analyses)
	d.ProcessedBytes += rec.InputBytes
	d.ShardsDone++
	j.Version = version + 1
	newBody, err := encodeJob(j)
	if err != nil {
		return nil, false, err
	}
	if _, err := tx.StmtContext(ctx, st[3]).ExecContext(ctx, j.Version, newBody, tenant, id); err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	return j, true, nil
}

// Shards implements pipeline.Jobs.
func (s *Jobs) Shards(ctx context.Context, tenant, id string) ([]pipeline.ShardRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM shards WHERE tenant = ? AND job = ? ORDER BY shard`, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("shards of job %s: %w", id, err)
	}
	defer rows.Close()
	var out []pipeline.ShardRecord
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("shards of job %s: %w", id, err)
		}
		var r pipeline.ShardRecord
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("shards of job %s: %w", id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("shards of job %s: %w", id, err)
	}
	if len(out) == 0 {
		var one int
		err := s.db.QueryRowContext(ctx, `SELECT 1 FROM jobs WHERE tenant = ? AND id = ?`, tenant, id).Scan(&one)
		if isNoRows(err) {
			return nil, fmt.Errorf("shards of job %s: %w", id, job.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("shards of job %s: %w", id, err)
		}
	}
	return out, nil
}

// scanPage is how many jobs Scan reads before calling fn for them; no read is open while fn
// runs, so fn may write to the store.
const scanPage = 200

// Scan implements pipeline.Jobs, in (tenant, id) order.
func (s *Jobs) Scan(ctx context.Context, statuses []job.Status, fn func(*job.Job) error) error {
	if len(statuses) == 0 {
		return nil
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(statuses)), ",")
	var args []any
	for _, st := range statuses {
		args = append(args, string(st))
	}
	return s.scanWhere(ctx, `status IN (`+in+`)`, args, fn)
}

// ScanUnnotified implements pipeline.Jobs through the jobs_unnotified index, in (tenant, id)
// order: it reads the unnotified jobs alone.
func (s *Jobs) ScanUnnotified(ctx context.Context, fn func(*job.Job) error) error {
	return s.scanWhere(ctx, unnotifiedWhere, nil, fn)
}

// unnotifiedWhere selects the jobs not yet notified (the jobs_unnotified index:
// TestScanUnnotifiedUsesIndex).
const unnotifiedWhere = `unnotified = 1`

// scanQuery is scanWhere's query of a page, the first (after false) or one after a job.
func scanQuery(where string, after bool) string {
	cond := ""
	if after {
		cond = ` AND (tenant, id) > (?, ?)`
	}
	return `SELECT tenant, id, version, body FROM jobs WHERE ` + where + cond + ` ORDER BY tenant, id LIMIT ?`
}

// scanWhere calls fn for the jobs that match where (with args), in (tenant, id) order, a page
// of scanPage at a time, read in full before fn is called.
func (s *Jobs) scanWhere(ctx context.Context, where string, whereArgs []any, fn func(*job.Job) error) error {
	var after *scanCursor
	for {
		page, err := s.readPage(ctx, where, whereArgs, after, scanPage)
		if err != nil {
			return fmt.Errorf("scan jobs: %w", err)
		}
		for _, r := range page {
			if err := fn(r.job); err != nil {
				return err
			}
		}
		if len(page) < scanPage {
			return nil
		}
		after = &page[len(page)-1].at
	}
}

// scanCursor is ScanPage's cursor: the (tenant, id) of the last job returned.
type scanCursor struct {
	T  string `json:"t"`
	ID string `json:"i"`
}

// pagedJob is a job readPage read, with its place in the (tenant, id) order.
type pagedJob struct {
	job *job.Job
	at  scanCursor
}

// readPage reads up to limit jobs that match where (with whereArgs) in (tenant, id) order,
// after the job at after (from the first when nil): the one query of Scan's, ScanUnnotified's
// and ScanPage's pages. The rows are read in full before it returns, so no read is open while
// the caller handles them.
func (s *Jobs) readPage(ctx context.Context, where string, whereArgs []any, after *scanCursor, limit int) ([]pagedJob, error) {
	args := append([]any{}, whereArgs...)
	if after != nil {
		args = append(args, after.T, after.ID)
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, scanQuery(where, after != nil), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []pagedJob
	for rows.Next() {
		var r pagedJob
		var version int64
		var body []byte
		if err := rows.Scan(&r.at.T, &r.at.ID, &version, &body); err != nil {
			return nil, err
		}
		if r.job, err = decodeJob(body, version); err != nil {
			return nil, err
		}
		page = append(page, r)
	}
	return page, rows.Err()
}

// ScanPage implements pipeline.Jobs, in (tenant, id) order (the jobs_by_status index).
func (s *Jobs) ScanPage(ctx context.Context, st job.Status, cursor string, limit int) ([]pipeline.ScannedJob, string, error) {
	if limit <= 0 {
		limit = scanPage
	}
	var after *scanCursor
	if cursor != "" {
		var c scanCursor
		if err := pagetoken.Decode(cursor, &c); err != nil || c.ID == "" {
			return nil, "", fmt.Errorf("scan jobs in %s: %w: the cursor is not one this store returned", st, job.ErrInvalid)
		}
		after = &c
	}
	rows, err := s.readPage(ctx, `status = ?`, []any{string(st)}, after, limit)
	if err != nil {
		return nil, "", fmt.Errorf("scan jobs in %s: %w", st, err)
	}
	page := make([]pipeline.ScannedJob, len(rows))
	for i, r := range rows {
		page[i] = pipeline.ScannedJob{Job: r.job, After: pagetoken.Encode(r.at)}
	}
	next := ""
	if len(page) == limit {
		next = page[len(page)-1].After
	}
	return page, next, nil
}

// GetSweepState implements pipeline.Jobs.
func (s *Jobs) GetSweepState(ctx context.Context, name string) (pipeline.SweepState, error) {
	var st pipeline.SweepState
	var version int64
	var body []byte
	err := s.db.QueryRowContext(ctx, `SELECT version, body FROM sweep_state WHERE name = ?`, name).Scan(&version, &body)
	if isNoRows(err) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read sweep state %s: %w", name, err)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("read sweep state %s: %w", name, err)
	}
	st.Version = version
	return st, nil
}

// PutSweepState implements pipeline.Jobs: an insert if absent for version 0, else an update
// conditional on the stored version.
func (s *Jobs) PutSweepState(ctx context.Context, name string, st *pipeline.SweepState) error {
	next := *st
	next.Version = st.Version + 1
	body, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("store sweep state %s: %w", name, err)
	}
	var res sql.Result
	if st.Version == 0 {
		res, err = s.db.ExecContext(ctx, `INSERT INTO sweep_state (name, version, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, name, next.Version, body)
	} else {
		res, err = s.db.ExecContext(ctx, `UPDATE sweep_state SET version = ?, body = ? WHERE name = ? AND version = ?`, next.Version, body, name, st.Version)
	}
	if err != nil {
		return fmt.Errorf("store sweep state %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store sweep state %s: %w", name, err)
	} else if n == 0 {
		return fmt.Errorf("store sweep state %s: stored version is not %d: %w", name, st.Version, job.ErrConflict)
	}
	st.Version = next.Version
	return nil
}

// Delete implements pipeline.Jobs: the job row (which holds its token), its shard records and
// its notification with its webhook deliveries (record and pending), in one transaction, so a
// long-running stack keeps nothing of a job past its expiry.
func (s *Jobs) Delete(ctx context.Context, tenant, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM job_rate WHERE tenant = ? AND job = ?`, tenant, id); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM shards WHERE tenant = ? AND job = ?`, tenant, id); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE tenant = ? AND id = ?`, tenant, id); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	if err := deleteNotification(ctx, tx, tenant, id); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	return nil
}
