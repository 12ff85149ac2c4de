package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// TestAPIModel is a stateful property test of the job lifecycle as the HTTP API shows it: a
// seeded random sequence of operations (creates of several analyses and formats, with stored or
// uploaded inputs holding some bad lines, client request tokens and tags; describes; listings
// with every filter, paged; stops; deletes; retries; uploads arriving; sweeps after the upload
// URLs expired; the queue processed a few messages at a time) runs against a local service
// through its http.Handler, and after every step each job is checked against a small reference
// model written from the README ("Statuses", "Counters", "HTTP API"): statuses move only along
// the documented moves, counters never go down and add up, listings agree with Describe and
// return each job exactly once, a deleted job is a 404 everywhere and never listed, a create
// repeated with its ClientRequestToken returns the same job, and every 4xx carries a message.
//
// REAM_API_MODEL_STEPS (default 120) and REAM_API_MODEL_SEEDS (comma-separated, default 1,2)
// make a long run, e.g. REAM_API_MODEL_STEPS=2000 REAM_API_MODEL_SEEDS=1,2,3,4,5. A failure
// names its seed and step and lists the operations that led to it.
func TestAPIModel(t *testing.T) {
	steps := 120
	if v := os.Getenv("REAM_API_MODEL_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("REAM_API_MODEL_STEPS=%q: want a positive number", v)
		}
		steps = n
	}
	seeds := []uint64{1, 2}
	if v := os.Getenv("REAM_API_MODEL_SEEDS"); v != "" {
		seeds = nil
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
			if err != nil {
				t.Fatalf("REAM_API_MODEL_SEEDS=%q: want comma-separated numbers", v)
			}
			seeds = append(seeds, n)
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runAPIModel(t, seed, steps) })
	}
}

// The README's legal moves ("Statuses"), written out again here as the model's reference.
var modelMoves = map[job.Status][]job.Status{
	job.AwaitingInput: {job.Submitted, job.TimedOut, job.Stopped},
	job.Submitted:     {job.InProgress, job.Failed, job.StopRequested},
	job.InProgress:    {job.Completed, job.PartialSuccess, job.Failed, job.StopRequested},
	job.StopRequested: {job.Stopped, job.Failed, job.Completed, job.PartialSuccess},
}

// modelReachable reports whether to can follow from through legal moves (or is from): an
// observer between two steps may miss statuses a job passed through. Without a stop asked for,
// the moves into STOP_REQUESTED and STOPPED are not taken: only a stop makes them.
func modelReachable(from, to job.Status, stopAsked bool) bool {
	seen := map[job.Status]bool{from: true}
	todo := []job.Status{from}
	for len(todo) > 0 {
		s := todo[0]
		todo = todo[1:]
		if s == to {
			return true
		}
		for _, n := range modelMoves[s] {
			if !stopAsked && (n == job.StopRequested || n == job.Stopped) {
				continue
			}
			if !seen[n] {
				seen[n] = true
				todo = append(todo, n)
			}
		}
	}
	return false
}

func modelTerminal(s job.Status) bool {
	switch s {
	case job.Completed, job.PartialSuccess, job.Failed, job.Stopped, job.TimedOut:
		return true
	}
	return false
}

// mjob is what the model knows of one job.
type mjob struct {
	id, tenant string
	analyses   []job.Analysis
	name       string
	tags       []job.Tag
	token      string // ClientRequestToken, if any
	uploadKey  string // set while the job awaits an upload the model has not made
	last       *job.Job
	deleted    bool
	children   []string // retry children the model saw created
	docs       int      // documents in its input; -1 while unknown (no upload yet, a retry child)
	stopAsked  bool     // a stop was sent for it
}

type apiModel struct {
	t     *testing.T
	ctx   context.Context
	seed  uint64
	step  int
	rng   *rand.Rand
	st    localService
	h     http.Handler
	clk   *testClock
	jobs  []*mjob
	byID  map[string]*mjob
	trail []string
	// tokens maps tenant/token to the body created with it and the job it returned.
	tokens map[string]tokenUse
	inputs int
	stats  map[string]int // operations by kind and answer, for the log
}

type tokenUse struct {
	body string
	id   string
}

var modelKeys = map[string]string{"key-local": "local", "key-other": "other"}

func (m *apiModel) keyOf(tenant string) string {
	for k, t := range modelKeys {
		if t == tenant {
			return k
		}
	}
	panic("no key for " + tenant)
}

func (m *apiModel) fail(format string, args ...any) {
	m.t.Helper()
	tail := m.trail
	if len(tail) > 25 {
		tail = tail[len(tail)-25:]
	}
	m.t.Fatalf("seed %d, step %d: %s\nlast operations:\n  %s\n(rerun: REAM_API_MODEL_SEEDS=%d REAM_API_MODEL_STEPS=%d go test -run TestAPIModel ./shared/pipeline/)",
		m.seed, m.step, fmt.Sprintf(format, args...), strings.Join(tail, "\n  "), m.seed, m.step+1)
}

func (m *apiModel) note(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	m.trail = append(m.trail, fmt.Sprintf("%d: ", m.step)+line)
	if len(m.trail) > 100 {
		m.trail = m.trail[len(m.trail)-50:]
	}
	kind, _, _ := strings.Cut(line, " ")
	if _, code, ok := strings.Cut(line, "→ "); ok {
		kind += " " + code
	}
	m.stats[kind]++
}

// call sends one request through the handler as tenant and returns its status and body; every
// 4xx must carry a code and a message.
func (m *apiModel) call(tenant, method, path string, body any) (int, []byte) {
	m.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			m.t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req := httptest.NewRequest(method, path, r).WithContext(m.ctx)
	req.Header.Set("Authorization", "Bearer "+m.keyOf(tenant))
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, req)
	out := rec.Body.Bytes()
	if rec.Code >= 400 && rec.Code < 500 {
		var e api.ErrorBody
		if err := json.Unmarshal(out, &e); err != nil || e.Code == "" || e.Message == "" {
			m.fail("%s %s answered %d without a code and message: %q", method, path, rec.Code, out)
		}
	}
	if rec.Code >= 500 {
		m.fail("%s %s answered %d: %s", method, path, rec.Code, out)
	}
	return rec.Code, out
}

func (m *apiModel) decode(b []byte, v any) {
	m.t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		m.fail("answer does not decode: %v: %s", err, b)
	}
}

func runAPIModel(t *testing.T, seed uint64, steps int) {
	ctx := context.Background()
	clk := &testClock{now: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	// Small shards, so that a job of a few lines has several and the queue, worked a few
	// messages at a time, interleaves jobs and operations.
	st := newLocalService(t, pipeline.Config{ShardBytes: 64, MinShards: 3, UploadTTL: time.Hour, StuckAfter: 15 * time.Minute}, clk.service)
	m := &apiModel{
		t: t, ctx: ctx, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x5eed)), st: st, clk: clk,
		h:      handlers.NewAPI(st.svc, handlers.NewKeyAuth(modelKeys), st.deps.Log),
		byID:   map[string]*mjob{},
		tokens: map[string]tokenUse{},
		stats:  map[string]int{},
	}
	ops := []struct {
		weight int
		run    func()
	}{
		{8, m.opCreate}, {3, m.opCreateAgain}, {1, m.opCreateBad}, {4, m.opUpload},
		{10, m.opProcess}, {2, m.opRedeliver}, {4, m.opDescribe}, {3, m.opList}, {1, m.opListWhileChanging},
		{4, m.opStop}, {3, m.opDelete}, {3, m.opRetry}, {2, m.opResults}, {1, m.opExpireUploads},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	for m.step = 0; m.step < steps; m.step++ {
		if m.rng.IntN(2) == 0 {
			clk.set(clk.service().Add(time.Second)) // else the next job shares a SubmitTime
		}
		n := m.rng.IntN(total)
		for _, o := range ops {
			if n -= o.weight; n < 0 {
				o.run()
				break
			}
		}
		m.checkAll()
	}
	// Drain: every job left running ends, and the model holds at the end too.
	for range 200 {
		if !m.process(10) {
			break
		}
	}
	m.checkAll()
	for _, j := range m.jobs {
		if !j.deleted && j.last.JobStatus != job.AwaitingInput && !modelTerminal(j.last.JobStatus) {
			m.fail("job %s is %s after the queue drained; want it finished", j.id, j.last.JobStatus)
		}
		if !j.deleted {
			m.stats["end "+string(j.last.JobStatus)]++
		} else {
			m.stats["end deleted"]++
		}
	}
	keys := slices.Sorted(maps.Keys(m.stats))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, m.stats[k])
	}
	t.Logf("seed %d, %d steps, %d jobs:%s", seed, steps, len(m.jobs), b.String())
}

var modelAnalyses = []job.Analysis{job.Language, job.Sentiment, job.KeyPhrases, job.Entities}

var modelLines = []string{
	"The delivery was quick and the staff were friendly.",
	"Terrible service, I want my money back.",
	"Le produit est arrivé cassé et personne ne répond.",
	"Alice met Bob in Paris on Monday.",
	"",
	"   ",
	"bad \xff\xfe bytes",
	"ok",
}

// input returns a small input of format f with some bad lines, and its number of documents.
func (m *apiModel) input(f job.Format) (string, int) {
	n := 1 + m.rng.IntN(6)
	var b strings.Builder
	for i := range n {
		line := modelLines[m.rng.IntN(len(modelLines))]
		if f == job.JSONLines {
			switch m.rng.IntN(6) {
			case 0:
				line = `{"recordId": 7, "text": 12}` // INVALID_RECORD
			case 1:
				line = "not json"
			default:
				t, _ := json.Marshal(strings.ToValidUTF8(line, "?"))
				line = fmt.Sprintf(`{"recordId": "r%d", "text": %s}`, i, t)
			}
		}
		b.WriteString(line + "\n")
	}
	return b.String(), n
}

// live is how many jobs the model holds that are not deleted.
func (m *apiModel) live() int {
	n := 0
	for _, j := range m.jobs {
		if !j.deleted {
			n++
		}
	}
	return n
}

// pick returns a random job: a deleted one now and then (unless live), else one not deleted,
// preferring one that has not finished when running is set.
func (m *apiModel) pick(live bool) *mjob {
	return m.pickWhere(live, false)
}

func (m *apiModel) pickWhere(live, running bool) *mjob {
	var all, alive, busy []*mjob
	for _, j := range m.jobs {
		all = append(all, j)
		if !j.deleted {
			alive = append(alive, j)
			if !modelTerminal(j.last.JobStatus) {
				busy = append(busy, j)
			}
		}
	}
	c := alive
	switch {
	case !live && m.rng.IntN(8) == 0 || len(alive) == 0:
		c = all
	case running && len(busy) > 0 && m.rng.IntN(2) == 0:
		c = busy
	}
	if len(c) == 0 {
		return nil
	}
	return c[m.rng.IntN(len(c))]
}

// createRequest builds a random valid create request for tenant, storing its input when it
// names one.
func (m *apiModel) createRequest(tenant string) (api.CreateJobRequest, int) {
	req := api.CreateJobRequest{}
	as := slices.Clone(modelAnalyses)
	m.rng.Shuffle(len(as), func(i, j int) { as[i], as[j] = as[j], as[i] })
	req.Analyses = as[:1+m.rng.IntN(3)]
	req.InputDataConfig.InputFormat = []job.Format{job.OneDocPerLine, job.JSONLines}[m.rng.IntN(2)]
	req.JobName = []string{"", "alpha", "beta", "alpha beta"}[m.rng.IntN(4)]
	if m.rng.IntN(2) == 0 {
		req.Tags = []job.Tag{{Key: "team", Value: []string{"a", "b"}[m.rng.IntN(2)]}}
	}
	docs := -1 // the input comes later, through opUpload
	if m.rng.IntN(3) > 0 {
		var text string
		text, docs = m.input(req.InputDataConfig.InputFormat)
		m.inputs++
		key := fmt.Sprintf("inputs/%s/in-%d.txt", tenant, m.inputs)
		if err := m.st.objects.Put(m.ctx, key, strings.NewReader(text)); err != nil {
			m.t.Fatal(err)
		}
		req.InputDataConfig.S3Uri = "s3://bucket/" + key
	}
	return req, docs
}

func (m *apiModel) tenant() string {
	if m.rng.IntN(5) == 0 {
		return "other"
	}
	return "local"
}

func (m *apiModel) opCreate() {
	if m.live() >= 30 {
		m.opProcess()
		return
	}
	tenant := m.tenant()
	req, docs := m.createRequest(tenant)
	if m.rng.IntN(2) == 0 {
		req.ClientRequestToken = fmt.Sprintf("tok-%d", m.step)
	}
	m.create(tenant, req, docs)
}

// create sends req and checks its answer against the model: a new job, or, for a token used
// before, the same job (same body) or a 409 (another body).
func (m *apiModel) create(tenant string, req api.CreateJobRequest, docs int) {
	upload := req.InputDataConfig.S3Uri == ""
	body, _ := json.Marshal(req)
	code, out := m.call(tenant, http.MethodPost, "/v1/jobs", req)
	m.note("create %s %s → %d", tenant, body, code)
	var prior *tokenUse
	if req.ClientRequestToken != "" {
		if u, ok := m.tokens[tenant+"/"+req.ClientRequestToken]; ok {
			prior = &u
		}
	}
	if prior != nil && prior.body != string(body) {
		if code != http.StatusConflict {
			m.fail("a ClientRequestToken reused with another body answered %d, want 409: %s", code, out)
		}
		return
	}
	if prior != nil {
		// README: the same token and body return the same job.
		pj := m.byID[prior.id]
		if code != http.StatusCreated && code != http.StatusOK {
			m.fail("a create repeated with its ClientRequestToken answered %d: %s", code, out)
		}
		var res api.CreateJobResult
		m.decode(out, &res)
		if res.Job == nil || res.JobId != prior.id {
			m.fail("a create repeated with its ClientRequestToken returned job %+v, want %s", res.Job, prior.id)
		}
		m.observe(pj, res.Job, "repeated create")
		return
	}
	if code != http.StatusCreated {
		m.fail("create answered %d, want 201: %s", code, out)
	}
	var res api.CreateJobResult
	m.decode(out, &res)
	if res.Job == nil || res.JobId == "" || m.byID[res.JobId] != nil {
		m.fail("create returned no new job: %s", out)
	}
	j := &mjob{id: res.JobId, tenant: tenant, analyses: req.Analyses, name: req.JobName, tags: req.Tags, token: req.ClientRequestToken, docs: docs}
	if upload {
		if res.JobStatus != job.AwaitingInput || res.Upload == nil {
			m.fail("create without S3Uri answered %s with upload %v, want AWAITING_INPUT with one", res.JobStatus, res.Upload)
		}
		j.uploadKey = layout.UploadKey(tenant, res.JobId)
	}
	m.jobs = append(m.jobs, j)
	m.byID[j.id] = j
	if req.ClientRequestToken != "" {
		m.tokens[tenant+"/"+req.ClientRequestToken] = tokenUse{body: string(body), id: j.id}
	}
	m.observe(j, res.Job, "create")
}

// opCreateAgain repeats a create with a token used before: the same body, or another.
func (m *apiModel) opCreateAgain() {
	var keys []string
	for k := range m.tokens {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		m.opCreate()
		return
	}
	slices.Sort(keys)
	k := keys[m.rng.IntN(len(keys))]
	tenant, token, _ := strings.Cut(k, "/")
	var req api.CreateJobRequest
	if err := json.Unmarshal([]byte(m.tokens[k].body), &req); err != nil {
		m.t.Fatal(err)
	}
	if m.rng.IntN(3) == 0 {
		req.JobName += " changed"
	}
	req.ClientRequestToken = token
	m.create(tenant, req, -1) // (a new job only when its body changed: a 409)
}

// opCreateBad sends an invalid create: a 400 with a message, and no job stored.
func (m *apiModel) opCreateBad() {
	tenant := m.tenant()
	bad := []any{
		map[string]any{"Analyses": []string{"NOPE"}, "InputDataConfig": map[string]string{"InputFormat": "ONE_DOC_PER_LINE"}},
		map[string]any{"Analyses": []string{"LANGUAGE"}, "InputDataConfig": map[string]string{"InputFormat": "CSV"}},
		map[string]any{"Analyses": []string{"LANGUAGE"}, "InputDataConfig": map[string]string{"InputFormat": "ONE_DOC_PER_LINE"}, "Tags": []map[string]string{{"Key": "", "Value": "x"}}},
		map[string]any{"Analyses": []string{}, "InputDataConfig": map[string]string{"InputFormat": "ONE_DOC_PER_LINE"}},
		map[string]any{"Analyses": []string{"LANGUAGE"}, "InputDataConfig": map[string]string{"InputFormat": "ONE_DOC_PER_LINE"}, "Bogus": 1},
	}
	b := bad[m.rng.IntN(len(bad))]
	code, out := m.call(tenant, http.MethodPost, "/v1/jobs", b)
	m.note("bad create %v → %d", b, code)
	if code != http.StatusBadRequest {
		m.fail("an invalid create answered %d, want 400: %s", code, out)
	}
}

// opUpload stores the input of a job awaiting one and delivers its upload event.
func (m *apiModel) opUpload() {
	var c []*mjob
	for _, j := range m.jobs {
		if j.uploadKey != "" {
			c = append(c, j)
		}
	}
	if len(c) == 0 {
		m.opCreate()
		return
	}
	j := c[m.rng.IntN(len(c))]
	key := j.uploadKey
	j.uploadKey = ""
	text, docs := m.input(j.last.InputDataConfig.InputFormat)
	if j.last.JobStatus == job.AwaitingInput {
		j.docs = docs // else it was stopped or timed out: the upload must change nothing
	}
	m.note("upload %s", j.id)
	if j.deleted {
		return
	}
	if err := m.st.objects.Put(m.ctx, key, strings.NewReader(text)); err != nil {
		m.t.Fatal(err)
	}
	if err := m.st.svc.InputArrived(m.ctx, key); err != nil {
		m.fail("upload event of %s: %v", j.id, err)
	}
}

// process runs up to n queue messages through the service, as workers would; it reports
// whether there were any.
func (m *apiModel) process(n int) bool {
	return processMessages(m.t, m.ctx, m.st.svc, m.st.queue, n, 1) > 0
}

// opRedeliver runs one message twice before deleting it, as an at-least-once queue may deliver
// it: nothing may be counted twice.
func (m *apiModel) opRedeliver() {
	m.note("redeliver %d", processMessages(m.t, m.ctx, m.st.svc, m.st.queue, 1, 2))
}

func (m *apiModel) opProcess() {
	n := 1 + m.rng.IntN(3)
	m.note("process %d", n)
	m.process(n)
}

func (m *apiModel) opDescribe() {
	j := m.pick(false)
	if j == nil {
		return
	}
	m.note("describe %s", j.id)
	// Another tenant never sees it (404, not 403).
	other := "other"
	if j.tenant == "other" {
		other = "local"
	}
	if code, out := m.call(other, http.MethodGet, "/v1/jobs/"+j.id, nil); code != http.StatusNotFound {
		m.fail("tenant %s described %s's job %s: %d %s", other, j.tenant, j.id, code, out)
	}
	m.check(j)
}

// listFilter is a random combination of the list route's filters.
func (m *apiModel) listFilter() url.Values {
	q := url.Values{}
	if m.rng.IntN(3) == 0 {
		q.Set("JobName", []string{"alpha", "beta", "alpha beta", "gamma"}[m.rng.IntN(4)])
	}
	if m.rng.IntN(3) == 0 {
		q.Set("JobStatus", string(job.AllStatuses[m.rng.IntN(len(job.AllStatuses))]))
	}
	if m.rng.IntN(3) == 0 && len(m.jobs) > 0 {
		// Bounds on jobs' own submit times, so that ties and exact bounds are exercised.
		a := m.jobs[m.rng.IntN(len(m.jobs))].last.SubmitTime
		b := m.jobs[m.rng.IntN(len(m.jobs))].last.SubmitTime
		if b.Before(a) {
			a, b = b, a
		}
		if a.Equal(b) {
			b = b.Add(time.Second)
		}
		switch m.rng.IntN(3) {
		case 0:
			q.Set("SubmitTimeAfter", a.Format(time.RFC3339Nano))
		case 1:
			q.Set("SubmitTimeBefore", b.Format(time.RFC3339Nano))
		default:
			q.Set("SubmitTimeAfter", a.Format(time.RFC3339Nano))
			q.Set("SubmitTimeBefore", b.Format(time.RFC3339Nano))
		}
	}
	return q
}

// wantListed is whether the model expects j in a listing with filters q, as tenant.
func (m *apiModel) wantListed(j *mjob, tenant string, q url.Values) bool {
	if j.deleted || j.tenant != tenant {
		return false
	}
	if v := q.Get("JobName"); v != "" && j.name != v {
		return false
	}
	if v := q.Get("JobStatus"); v != "" && string(j.last.JobStatus) != v {
		return false
	}
	if v := q.Get("SubmitTimeAfter"); v != "" {
		a, _ := time.Parse(time.RFC3339Nano, v)
		if !j.last.SubmitTime.After(a) { // strict, as the stores' bounds are
			return false
		}
	}
	if v := q.Get("SubmitTimeBefore"); v != "" {
		b, _ := time.Parse(time.RFC3339Nano, v)
		if !j.last.SubmitTime.Before(b) {
			return false
		}
	}
	return true
}

// listAll pages a listing to its end (between pages, between(page) may change the jobs) and
// returns the jobs in the order listed.
func (m *apiModel) listAll(tenant string, q url.Values, between func(page int)) []*job.Job {
	var all []*job.Job
	max := 1 + m.rng.IntN(5)
	for page := 0; ; page++ {
		if page > 100 {
			m.fail("listing %s never ended", q.Encode())
		}
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		if m.rng.IntN(4) > 0 {
			pq.Set("MaxResults", strconv.Itoa(max))
		}
		code, out := m.call(tenant, http.MethodGet, "/v1/jobs?"+pq.Encode(), nil)
		if code != http.StatusOK {
			m.fail("list %s answered %d: %s", pq.Encode(), code, out)
		}
		var res api.ListResponse
		m.decode(out, &res)
		if n := pq.Get("MaxResults"); n != "" && len(res.Jobs) > max {
			m.fail("list %s returned %d jobs, over MaxResults", pq.Encode(), len(res.Jobs))
		}
		all = append(all, res.Jobs...)
		if res.NextToken == "" {
			return all
		}
		// Another tenant cannot page with it.
		if m.rng.IntN(8) == 0 {
			oq := url.Values{"NextToken": {res.NextToken}}
			for k, v := range q {
				oq[k] = v
			}
			other := map[string]string{"local": "other", "other": "local"}[tenant]
			if code, out := m.call(other, http.MethodGet, "/v1/jobs?"+oq.Encode(), nil); code != http.StatusBadRequest {
				m.fail("another tenant paged with a NextToken: %d %s", code, out)
			}
		}
		// Under other filters the token is a 400, not a page of another listing.
		if m.rng.IntN(8) == 0 {
			oq := cloneValues(q)
			oq.Set("NextToken", res.NextToken)
			oq.Set("JobName", oq.Get("JobName")+"x")
			if code, out := m.call(tenant, http.MethodGet, "/v1/jobs?"+oq.Encode(), nil); code != http.StatusBadRequest {
				m.fail("a NextToken under another JobName filter: %d %s", code, out)
			}
		}
		if between != nil {
			between(page)
		}
		q = cloneValues(q)
		q.Set("NextToken", res.NextToken)
	}
}

func cloneValues(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = slices.Clone(v)
	}
	return c
}

// opList lists with random filters and pages, and checks the listing against the model and
// Describe: each expected job exactly once, newest first, nothing else.
func (m *apiModel) opList() {
	tenant := m.tenant()
	q := m.listFilter()
	m.note("list %s %s", tenant, q.Encode())
	if m.rng.IntN(6) == 0 {
		bq := cloneValues(q)
		bq.Set("MaxResults", []string{"0", "501", "05", "+5", "", "x"}[m.rng.IntN(6)])
		if code, out := m.call(tenant, http.MethodGet, "/v1/jobs?"+bq.Encode(), nil); code != http.StatusBadRequest {
			m.fail("list %s answered %d, want 400: %s", bq.Encode(), code, out)
		}
	}
	got := m.listAll(tenant, q, nil)
	seen := map[string]bool{}
	for i, lj := range got {
		if seen[lj.JobId] {
			m.fail("list %s returned %s twice", q.Encode(), lj.JobId)
		}
		seen[lj.JobId] = true
		j := m.byID[lj.JobId]
		if j == nil || !m.wantListed(j, tenant, q) {
			m.fail("list %s as %s returned job %s (%s), which it should not (model: %+v)", q.Encode(), tenant, lj.JobId, lj.JobStatus, j)
		}
		if i > 0 && got[i-1].SubmitTime.Before(lj.SubmitTime) {
			m.fail("list %s is not newest first: %s then %s", q.Encode(), got[i-1].SubmitTime, lj.SubmitTime)
		}
		// The same job as Describe showed it after the last step, but for the rate and the
		// estimate, which List does not work out (README, Counters).
		if a, b := withoutRate(lj), withoutRate(j.last); a != b {
			m.fail("list shows job %s as\n%s\nDescribe as\n%s", lj.JobId, a, b)
		}
		m.checkCounters(j, lj, "list")
	}
	for _, j := range m.jobs {
		if m.wantListed(j, tenant, q) && !seen[j.id] {
			m.fail("list %s as %s did not return job %s (%s, submitted %s)", q.Encode(), tenant, j.id, j.last.JobStatus, j.last.SubmitTime)
		}
	}
}

// opListWhileChanging pages a listing (unfiltered, or by JobName, which does not change) while
// jobs are created, deleted and worked on between its pages: every job that matched and existed
// throughout is listed exactly once, and no job twice.
func (m *apiModel) opListWhileChanging() {
	tenant := "local"
	q := url.Values{}
	if m.rng.IntN(2) == 0 {
		q.Set("JobName", []string{"alpha", "beta", "alpha beta"}[m.rng.IntN(3)])
	}
	before := map[string]bool{}
	for _, j := range m.jobs {
		if m.wantListed(j, tenant, q) {
			before[j.id] = true
		}
	}
	m.note("list while changing %s", q.Encode())
	got := m.listAll(tenant, q, func(int) {
		switch m.rng.IntN(3) {
		case 0:
			req, docs := m.createRequest(tenant)
			m.create(tenant, req, docs)
		case 1:
			m.opDelete()
		default:
			m.opProcess()
			m.checkAll() // (jobs may have ended: the model looks before it deletes any)
		}
	})
	seen := map[string]bool{}
	for _, lj := range got {
		if seen[lj.JobId] {
			m.fail("a listing paged while jobs changed returned %s twice", lj.JobId)
		}
		seen[lj.JobId] = true
	}
	for id := range before {
		if !m.byID[id].deleted && !seen[id] {
			m.fail("a listing (%s) paged while jobs changed missed job %s, which existed throughout", q.Encode(), id)
		}
	}
}

func (m *apiModel) opStop() {
	j := m.pickWhere(false, true)
	if j == nil {
		return
	}
	j.stopAsked = true
	code, out := m.call(j.tenant, http.MethodPost, "/v1/jobs/"+j.id+"/stop", nil)
	m.note("stop %s (%s) → %d", j.id, j.last.JobStatus, code)
	from := j.last.JobStatus
	switch {
	case j.deleted:
		if code != http.StatusNotFound {
			m.fail("stop of deleted job %s answered %d: %s", j.id, code, out)
		}
		return
	case from == job.Completed || from == job.PartialSuccess || from == job.Failed || from == job.TimedOut:
		if code != http.StatusConflict {
			m.fail("stop of a %s job answered %d, want 409: %s", from, code, out)
		}
		return
	}
	if code != http.StatusOK {
		m.fail("stop of a %s job answered %d, want 200: %s", from, code, out)
	}
	var got job.Job
	m.decode(out, &got)
	switch from {
	case job.StopRequested, job.Stopped:
		if got.JobStatus != from {
			m.fail("a repeated stop of a %s job answered %s, want it as it was", from, got.JobStatus)
		}
	case job.AwaitingInput:
		if got.JobStatus != job.Stopped && got.JobStatus != job.StopRequested {
			m.fail("stop of an AWAITING_INPUT job answered %s", got.JobStatus)
		}
		// (its upload key is kept: an upload landing later must leave it STOPPED, as S3 cannot
		// refuse it)
	default:
		done := j.last.JobDetails.ShardsTotal > 0 && j.last.JobDetails.ShardsDone >= j.last.JobDetails.ShardsTotal
		if got.JobStatus != job.StopRequested && got.JobStatus != job.Stopped && !(done && got.JobStatus == job.InProgress) && !(done && modelTerminal(got.JobStatus)) {
			m.fail("stop of a %s job (shards %d/%d) answered %s", from, j.last.JobDetails.ShardsDone, j.last.JobDetails.ShardsTotal, got.JobStatus)
		}
	}
	m.observe(j, &got, "stop")
}

func (m *apiModel) opDelete() {
	j := m.pick(m.rng.IntN(4) > 0)
	if j == nil {
		return
	}
	code, out := m.call(j.tenant, http.MethodDelete, "/v1/jobs/"+j.id, nil)
	m.note("delete %s (%s) → %d", j.id, j.last.JobStatus, code)
	switch {
	case j.deleted:
		if code != http.StatusNotFound {
			m.fail("delete of deleted job %s answered %d", j.id, code)
		}
	case modelTerminal(j.last.JobStatus):
		if code != http.StatusNoContent {
			m.fail("delete of a %s job answered %d, want 204: %s", j.last.JobStatus, code, out)
		}
		j.deleted = true
		// README (Privacy): its ClientRequestToken goes with it; the token then makes a new job.
		for k, u := range m.tokens {
			if u.id == j.id {
				delete(m.tokens, k)
			}
		}
	default:
		if code != http.StatusConflict {
			m.fail("delete of a %s job answered %d, want 409: %s", j.last.JobStatus, code, out)
		}
	}
}

var modelRetryCodes = []string{"EMPTY_DOCUMENT", "UNSUPPORTED_ENCODING", "INVALID_RECORD", "UNSUPPORTED_LANGUAGE", "SHARD_FAILED"}

func (m *apiModel) opRetry() {
	j := m.pick(false)
	if j == nil {
		return
	}
	req := api.RetryRequest{ErrorCodes: []string{modelRetryCodes[m.rng.IntN(len(modelRetryCodes))]}}
	if !j.deleted && modelTerminal(j.last.JobStatus) && m.rng.IntN(2) == 0 {
		// Mostly a code the job's error records hold, read from its errors route.
		code, out := m.call(j.tenant, http.MethodGet, "/v1/jobs/"+j.id+"/errors", nil)
		if code == http.StatusOK {
			var res api.ErrorsResponse
			m.decode(out, &res)
			if len(res.Errors) > 0 {
				var rec struct{ ErrorCode string }
				m.decode(res.Errors[m.rng.IntN(len(res.Errors))], &rec)
				if rec.ErrorCode != "" {
					req.ErrorCodes = []string{rec.ErrorCode}
				}
			}
		}
	}
	if m.rng.IntN(2) == 0 {
		req.ClientRequestToken = "r-" + j.id[:8] + "-" + strings.ReplaceAll(req.ErrorCodes[0], "_", "-")
	}
	code, out := m.call(j.tenant, http.MethodPost, "/v1/jobs/"+j.id+"/retry", req)
	m.note("retry %s (%s) %v → %d", j.id, j.last.JobStatus, req, code)
	switch {
	case j.deleted:
		if code != http.StatusNotFound {
			m.fail("retry of deleted job %s answered %d", j.id, code)
		}
		return
	case j.last.JobStatus == job.TimedOut:
		if code != http.StatusBadRequest {
			m.fail("retry of a TIMED_OUT job answered %d, want 400: %s", code, out)
		}
		return
	case !modelTerminal(j.last.JobStatus):
		if code != http.StatusConflict {
			m.fail("retry of a %s job answered %d, want 409: %s", j.last.JobStatus, code, out)
		}
		return
	}
	if code == http.StatusBadRequest {
		return // no such documents
	}
	if code != http.StatusCreated {
		m.fail("retry of a %s job answered %d: %s", j.last.JobStatus, code, out)
	}
	var res api.CreateJobResult
	m.decode(out, &res)
	if res.Job == nil || res.ParentJobId != j.id {
		m.fail("retry child %s names parent %q, want %s", out, res.ParentJobId, j.id)
	}
	if c := m.byID[res.JobId]; c != nil {
		if req.ClientRequestToken == "" || c.deleted {
			m.fail("a retry (token %q) returned job %s again (deleted: %v)", req.ClientRequestToken, res.JobId, c.deleted)
		}
		m.observe(c, res.Job, "repeated retry")
		return
	}
	c := &mjob{id: res.JobId, tenant: j.tenant, analyses: j.analyses, name: res.JobName, tags: res.Tags, docs: -1}
	j.children = append(j.children, c.id)
	m.jobs = append(m.jobs, c)
	m.byID[c.id] = c
	m.observe(c, res.Job, "retry")
}

func (m *apiModel) opResults() {
	j := m.pick(false)
	if j == nil {
		return
	}
	code, out := m.call(j.tenant, http.MethodGet, "/v1/jobs/"+j.id+"/results", nil)
	m.note("results %s (%s) → %d", j.id, j.last.JobStatus, code)
	switch {
	case j.deleted:
		if code != http.StatusNotFound {
			m.fail("results of deleted job %s answered %d", j.id, code)
		}
	case modelTerminal(j.last.JobStatus) && j.last.ManifestFilePath != "":
		if code != http.StatusOK {
			m.fail("results of a %s job with a manifest answered %d: %s", j.last.JobStatus, code, out)
		}
	default:
		if code != http.StatusConflict {
			m.fail("results of a %s job without a manifest answered %d, want 409: %s", j.last.JobStatus, code, out)
		}
	}
}

// opExpireUploads moves the clock past the upload URLs' lifetime and sweeps: jobs still
// awaiting input time out.
func (m *apiModel) opExpireUploads() {
	m.clk.set(m.clk.service().Add(time.Hour + time.Minute))
	m.note("clock +61m, sweep")
	if _, err := m.st.svc.Sweep(m.ctx); err != nil {
		m.fail("sweep: %v", err)
	}
}

// checkAll describes every job the model knows and checks it.
func (m *apiModel) checkAll() {
	for _, j := range m.jobs {
		// A deleted job stays a 404; look at a few of them each step (each look is three calls).
		if !j.deleted || m.rng.IntN(8) == 0 {
			m.check(j)
		}
	}
}

// check describes j and checks the answer: 404 everywhere once deleted, else a legal move from
// what was seen before, with counters that never went down and add up.
func (m *apiModel) check(j *mjob) {
	m.t.Helper()
	code, out := m.call(j.tenant, http.MethodGet, "/v1/jobs/"+j.id, nil)
	if j.deleted {
		if code != http.StatusNotFound {
			m.fail("deleted job %s described: %d %s", j.id, code, out)
		}
		for _, p := range []string{"/results", "/errors"} {
			if code, out := m.call(j.tenant, http.MethodGet, "/v1/jobs/"+j.id+p, nil); code != http.StatusNotFound {
				m.fail("deleted job %s: GET %s answered %d: %s", j.id, p, code, out)
			}
		}
		return
	}
	if code != http.StatusOK {
		m.fail("describe %s answered %d: %s", j.id, code, out)
	}
	var got job.Job
	m.decode(out, &got)
	m.observe(j, &got, "describe")
}

// observe checks a view of j (from describe, create, stop, retry) against the model and takes
// it as the job's last state.
func (m *apiModel) observe(j *mjob, got *job.Job, how string) {
	m.t.Helper()
	if got.JobId != j.id || got.Tenant != j.tenant {
		m.fail("%s of %s returned job %s of tenant %s", how, j.id, got.JobId, got.Tenant)
	}
	if got.JobName != j.name || !slices.Equal(got.Tags, j.tags) {
		m.fail("%s of %s: name %q tags %v, want %q %v", how, j.id, got.JobName, got.Tags, j.name, j.tags)
	}
	if j.token != "" && got.ClientRequestToken != j.token {
		m.fail("%s of %s: ClientRequestToken %q, want %q", how, j.id, got.ClientRequestToken, j.token)
	}
	if j.last != nil {
		if !modelReachable(j.last.JobStatus, got.JobStatus, j.stopAsked) {
			m.fail("%s of %s: status %s after %s, not a legal move", how, j.id, got.JobStatus, j.last.JobStatus)
		}
		if !got.SubmitTime.Equal(j.last.SubmitTime) {
			m.fail("%s of %s: SubmitTime changed from %s to %s", how, j.id, j.last.SubmitTime, got.SubmitTime)
		}
	}
	for _, c := range j.children {
		if !slices.Contains(got.ChildJobIds, c) {
			m.fail("%s of %s: ChildJobIds %v does not list its retry child %s", how, j.id, got.ChildJobIds, c)
		}
	}
	m.checkCounters(j, got, how)
	j.last = got
}

// checkCounters checks got's counters: never below what was seen last (README: counters do not
// go backwards, locally without exception), consistent with each other, and, once it is
// terminal, adding up.
func (m *apiModel) checkCounters(j *mjob, got *job.Job, how string) {
	m.t.Helper()
	d := got.JobDetails
	if j.last != nil {
		p := j.last.JobDetails
		if d.InputDocumentsCount < p.InputDocumentsCount || d.ProcessedDocumentsCount < p.ProcessedDocumentsCount ||
			d.DocumentsWithErrorsCount < p.DocumentsWithErrorsCount || d.ShardsDone < p.ShardsDone || d.ShardsTotal < p.ShardsTotal ||
			d.ProcessedBytes < p.ProcessedBytes || d.InputBytes < p.InputBytes {
			m.fail("%s of %s: counters went down: %+v after %+v", how, j.id, d, p)
		}
		for a, c := range p.AnalysisCounts {
			if n := d.AnalysisCounts[a]; n.Succeeded < c.Succeeded || n.Failed < c.Failed {
				m.fail("%s of %s: %s counts went down: %+v after %+v", how, j.id, a, n, c)
			}
		}
	}
	if d.ShardsDone > d.ShardsTotal || d.ProcessedBytes > d.InputBytes ||
		d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount > d.InputDocumentsCount {
		m.fail("%s of %s: counters do not add up: %+v", how, j.id, d)
	}
	for _, a := range j.analyses {
		c, ok := d.AnalysisCounts[a]
		if !ok {
			m.fail("%s of %s: AnalysisCounts does not list %s: %+v", how, j.id, a, d.AnalysisCounts)
		}
		// Every document without a document-level error counts once per analysis; a document
		// every analysis failed on is an error record too.
		if c.Succeeded+c.Failed > d.InputDocumentsCount || c.Succeeded+c.Failed < d.InputDocumentsCount-d.DocumentsWithErrorsCount {
			m.fail("%s of %s: %s counts %+v do not fit the documents: %+v", how, j.id, a, c, d)
		}
	}
	if j.docs >= 0 && d.InputDocumentsCount > int64(j.docs) {
		m.fail("%s of %s: InputDocumentsCount %d, over the %d documents of its input", how, j.id, d.InputDocumentsCount, j.docs)
	}
	if j.docs >= 0 && got.ManifestFilePath != "" && got.JobStatus != job.Stopped && d.InputDocumentsCount != int64(j.docs) {
		m.fail("%s of %s: %s with its output but InputDocumentsCount %d, want the %d documents of its input", how, j.id, got.JobStatus, d.InputDocumentsCount, j.docs)
	}
	term := modelTerminal(got.JobStatus)
	if term != (got.EndTime != nil) {
		m.fail("%s of %s: %s with EndTime %v", how, j.id, got.JobStatus, got.EndTime)
	}
	if got.JobStatus != job.InProgress && (d.DocumentsPerSecond != nil || d.EstimatedCompletionTime != nil) {
		m.fail("%s of %s: a %s job shows a rate or an estimate: %+v", how, j.id, got.JobStatus, d)
	}
	if !term {
		return
	}
	if d.InputDocumentsCount != d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount {
		m.fail("%s of %s: terminal %s job: InputDocumentsCount %d ≠ Processed %d + WithErrors %d", how, j.id, got.JobStatus, d.InputDocumentsCount, d.ProcessedDocumentsCount, d.DocumentsWithErrorsCount)
	}
	if got.JobStatus == job.Completed && d.DocumentsWithErrorsCount != 0 {
		m.fail("%s of %s: COMPLETED with %d documents with errors", how, j.id, d.DocumentsWithErrorsCount)
	}
	if got.ManifestFilePath != "" && d.ShardsDone != d.ShardsTotal {
		m.fail("%s of %s: %s with its output but shards %d/%d", how, j.id, got.JobStatus, d.ShardsDone, d.ShardsTotal)
	}
	// README (Counters): a job whose input was never analysed (TIMED_OUT, stopped before it
	// started) keeps zero counters and wrote no output, whatever upload landed after.
	if got.JobStatus == job.TimedOut || got.JobStatus == job.Stopped && d.ShardsTotal == 0 {
		if d.InputDocumentsCount != 0 || d.ShardsDone != 0 || d.ProcessedBytes != 0 || got.ManifestFilePath != "" {
			m.fail("%s of %s: %s before its input was analysed, yet counters %+v, manifest %q", how, j.id, got.JobStatus, d, got.ManifestFilePath)
		}
	}
	if got.Message == "" && got.JobStatus != job.Completed {
		m.fail("%s of %s: %s without a Message", how, j.id, got.JobStatus)
	}
}

// withoutRate is j as JSON without the counters only Describe works out.
func withoutRate(j *job.Job) string {
	c := *j
	c.JobDetails.DocumentsPerSecond, c.JobDetails.EstimatedCompletionTime = nil, nil
	b, _ := json.Marshal(&c)
	return string(b)
}
