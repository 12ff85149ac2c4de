// Package chaos is a fault-injection harness for `ream serve`: it runs the real binary on
// loopback, submits generated jobs in every input format, kills the process at chosen moments
// (SIGKILL mostly, SIGTERM sometimes) and starts it again on the same data directory, then
// checks every job against a clean reference run of the same input: no document lost or
// doubled, every record as the reference has it (except SHARD_FAILED records in shards the
// kills dead-lettered), counters, manifest and the webhook notification consistent, and no job
// stuck.
//
// Run it with `go test ./infra/chaos -run TestChaosShort` (a few small rounds), or the long
// form `go run ./infra/chaos/cmd/chaos -rounds 200` (or `go test ./infra/chaos -run 'TestChaos$'
// -rounds 200 -timeout 0`).
package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	sigkill = syscall.SIGKILL
	sigterm = syscall.SIGTERM

	// claimTTL is how long the service lets a notification claim stand before the sweeper
	// publishes in place of a claimant that died (pipeline.notifyClaimTTL).
	claimTTL = 2 * time.Minute
)

// Options configure a run. Zero values take the defaults noted.
type Options struct {
	Rounds   int   // default 1
	Seed     int64 // round i uses Seed+i; default: the time
	MinDocs  int   // documents per line job, default 1,000
	MaxDocs  int   // default 20,000
	MaxFiles int   // documents per ONE_DOC_PER_FILE job, default 600
	MaxJobs  int   // jobs per round, default 3
	MaxKills int   // kills per round, default 4
	// RoundTimeout is how long after the round's start (or its last restart) a job may take
	// before it counts as stuck; default 90s (above the sweeper's bounds and the upload
	// event's one-minute visibility timeout).
	RoundTimeout time.Duration
	// NoClaimWait gives up on an unpublished notification without waiting out the service's
	// two-minute notification claim after a kill (faster, but may report a delayed
	// notification as lost).
	NoClaimWait bool
	// Short forces each round's first kill onto one of the targeted moments in turn (webhook
	// retry, upload landing, shard tail, terminal, …), so a few rounds cover them all.
	Short bool
	// Triggers restricts the kills to these moments (upload, landed, delay, progress, stage
	// (a TOPICS stage), training (a training job's run), inflight, tail, finalize, terminal,
	// webhook, and burst: three tail kills with big batches); default all.
	Triggers []string
	// Keep keeps the data directory (with server logs, inputs and a report) of every round
	// that failed, up to MaxKept of them (default 20).
	Keep    bool
	MaxKept int
	// Bin is a prebuilt ream binary; default: build ./cmd/ream.
	Bin string
	// WorkDir is where the run's temporary directory is made (default os.TempDir()).
	WorkDir string
	// (MaxKills below zero: no kills at all.)

	// Logf receives progress lines (default: discarded); Verbose adds each round's kills and
	// jobs.
	Logf    func(format string, args ...any)
	Verbose bool
}

func (o Options) withDefaults() Options {
	if o.Rounds <= 0 {
		o.Rounds = 1
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	if o.MinDocs <= 0 {
		o.MinDocs = 1000
	}
	if o.MaxDocs <= 0 {
		o.MaxDocs = 20_000
	}
	o.MinDocs = min(o.MinDocs, o.MaxDocs)
	if o.MaxFiles <= 0 {
		o.MaxFiles = 600
	}
	o.MaxFiles = max(o.MaxFiles, 20)
	if o.MaxJobs <= 0 {
		o.MaxJobs = 3
	}
	if o.MaxKills < 0 {
		o.MaxKills = 0
	} else if o.MaxKills == 0 {
		o.MaxKills = 4
	}
	if o.RoundTimeout <= 0 {
		o.RoundTimeout = 90 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.MaxKept <= 0 {
		o.MaxKept = 20
	}
	return o
}

// Counts are the run's totals; every field after Jobs is a failure count.
type Counts struct {
	Rounds, Kills, SigKill, SigTerm, Jobs int
	Lost, Doubled, Stuck, Wrong, Counters int
	NotifLost, NotifDoubled               int
	Manifest, Status, Server, Reference   int
	// Informational.
	Triggers     map[string]int // kills by trigger
	Missed       int            // planned kills whose moment never came
	DeadLettered int            // FAILED shards in manifests
	Stopped      int            // jobs that ended STOPPED
	UploadRetry  int            // presigned PUTs retried after the server died
}

// Failure is one finding, with what is needed to look into it.
type Failure struct {
	Round   int
	Seed    int64
	JobID   string
	Job     string
	Kind    string
	Detail  string
	DataDir string // kept for post-mortem, or ""
}

// Report is the outcome of a run.
type Report struct {
	Seed int64
	Counts
	Failures []Failure
	Elapsed  time.Duration
	// Replay is the command that replays one round (its seed in place of SEED).
	Replay string
}

// replay is the command line that regenerates a round's inputs and plan.
func (o Options) replay(seed string) string {
	s := fmt.Sprintf("go run ./infra/chaos/cmd/chaos -rounds 1 -seed %s -min-docs %d -max-docs %d -max-files %d -max-jobs %d -max-kills %d",
		seed, o.MinDocs, o.MaxDocs, o.MaxFiles, o.MaxJobs, o.MaxKills)
	if o.Short {
		s += " -short"
	}
	if len(o.Triggers) > 0 {
		s += " -triggers " + strings.Join(o.Triggers, ",")
	}
	return s
}

// OK reports whether the run found nothing wrong.
func (r *Report) OK() bool {
	c := r.Counts
	return c.Lost+c.Doubled+c.Stuck+c.Wrong+c.Counters+c.NotifLost+c.NotifDoubled+c.Manifest+c.Status+c.Server+c.Reference == 0
}

// Summary is the one-line result.
func (r *Report) Summary() string {
	c := r.Counts
	return fmt.Sprintf("rounds=%d kills=%d (sigkill=%d sigterm=%d) jobs=%d lost=%d doubled=%d stuck=%d wrong=%d counters=%d notifications_lost=%d notifications_doubled=%d manifest=%d status=%d server=%d reference=%d",
		c.Rounds, c.Kills, c.SigKill, c.SigTerm, c.Jobs, c.Lost, c.Doubled, c.Stuck, c.Wrong, c.Counters, c.NotifLost, c.NotifDoubled,
		c.Manifest, c.Status, c.Server, c.Reference)
}

// Write prints the failures, then informational totals, then the summary line.
func (r *Report) Write(w io.Writer) {
	for _, f := range r.Failures {
		where := ""
		if f.DataDir != "" {
			where = " data=" + f.DataDir
		}
		fmt.Fprintf(w, "FAIL round=%d seed=%d job=%s (%s) %s: %s%s\n", f.Round, f.Seed, f.JobID, f.Job, f.Kind, f.Detail, where)
	}
	var trig []string
	for k, n := range r.Triggers {
		trig = append(trig, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(trig)
	fmt.Fprintf(w, "seed=%d elapsed=%s kill triggers: %s missed=%d; dead-lettered shards=%d stopped jobs=%d upload retries=%d\n",
		r.Seed, r.Elapsed.Round(time.Second), strings.Join(trig, " "), r.Missed, r.DeadLettered, r.Stopped, r.UploadRetry)
	if len(r.Failures) > 0 && r.Replay != "" {
		fmt.Fprintf(w, "replay a failed round: %s -v\n", r.Replay)
	}
	fmt.Fprintln(w, r.Summary())
}

type harness struct {
	o    Options
	bin  string
	root string
	recv *receiver
	refs *refRunner
	kept int
}

// Run runs the rounds and returns the report. It returns an error only when the harness
// itself cannot run (build, temporary directory, receiver); what it finds is in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	start := time.Now()
	root, err := os.MkdirTemp(o.WorkDir, "ream-chaos-")
	if err != nil {
		return nil, err
	}
	keepRoot := false
	defer func() {
		if !keepRoot {
			os.RemoveAll(root)
		}
	}()
	defer killAll()
	bin := o.Bin
	if bin == "" {
		o.Logf("building ./cmd/ream")
		if bin, err = Build(ctx, root); err != nil {
			return nil, err
		}
	}
	recv, err := startReceiver()
	if err != nil {
		return nil, err
	}
	defer recv.close()
	refs := &refRunner{bin: bin, root: root, logf: o.Logf, servers: map[int64]*server{}, cache: map[string]*reference{}, jobs: map[*server]int{}}
	defer refs.close()
	h := &harness{o: o, bin: bin, root: root, recv: recv, refs: refs}
	rep := &Report{Seed: o.Seed, Counts: Counts{Triggers: map[string]int{}}, Replay: o.replay("SEED")}
	o.Logf("chaos: %d rounds from seed %d in %s", o.Rounds, o.Seed, root)
	for i := 0; i < o.Rounds && ctx.Err() == nil; i++ {
		seed := o.Seed + int64(i)
		res := h.runRound(ctx, i, seed)
		if res.aborted {
			break
		}
		rep.merge(res)
		if res.kept {
			keepRoot = true
		}
		o.Logf("round %d seed=%d: %d jobs, %d kills (%s), %d failures, %s", i, seed, len(res.jobs), len(res.kills),
			strings.Join(res.killKinds(), ","), len(res.failures), res.elapsed.Round(100*time.Millisecond))
		if o.Verbose {
			for _, k := range res.kills {
				o.Logf("  kill %s", k)
			}
			for _, jr := range res.jobs {
				jr.mu.Lock()
				o.Logf("  job %s %s: %s", jr.id, jr.label(), strings.Join(jr.statuses, " → "))
				jr.mu.Unlock()
			}
		}
	}
	if keepRoot {
		// Only the kept rounds stay.
		refs.recycle(0)
		os.Remove(filepath.Join(root, "ream"))
	}
	rep.Elapsed = time.Since(start)
	return rep, ctx.Err()
}

func (rep *Report) merge(res *roundResult) {
	rep.Rounds++
	rep.Jobs += len(res.jobs)
	for _, k := range res.kills {
		if !k.Fired {
			rep.Missed++
			continue
		}
		rep.Kills++
		if k.Signal == sigterm {
			rep.SigTerm++
		} else {
			rep.SigKill++
		}
		rep.Triggers[k.Trigger]++
	}
	rep.DeadLettered += res.deadLettered
	rep.Stopped += res.stopped
	rep.UploadRetry += res.uploadRetries
	for _, f := range res.failures {
		rep.Failures = append(rep.Failures, f)
	}
	for kind, n := range res.counts {
		switch kind {
		case kLost:
			rep.Lost += n
		case kDoubled:
			rep.Doubled += n
		case kStuck:
			rep.Stuck += n
		case kWrong:
			rep.Wrong += n
		case kCounters:
			rep.Counters += n
		case kNotifLost:
			rep.NotifLost += n
		case kNotifDoubled:
			rep.NotifDoubled += n
		case kManifest:
			rep.Manifest += n
		case kStatus:
			rep.Status += n
		case kServer:
			rep.Server += n
		case kReference:
			rep.Reference += n
		}
	}
}

// roundResult is what one round found.
type roundResult struct {
	jobs          []*jobRun
	kills         []killRecord
	failures      []Failure
	counts        map[string]int
	deadLettered  int
	stopped       int
	uploadRetries int
	kept          bool
	aborted       bool
	elapsed       time.Duration
}

func (r *roundResult) killKinds() []string {
	var k []string
	for _, x := range r.kills {
		s := x.Trigger
		if !x.Fired {
			s += "(missed)"
		} else if x.Signal == sigterm {
			s += "/TERM"
		}
		k = append(k, s)
	}
	return k
}

// jobRun is one job of a round as the harness drives and observes it.
type jobRun struct {
	spec *jobSpec
	ref  *reference
	fnd  *findings

	mu              sync.Mutex
	id              string
	notes           []string
	stopState       string // "none", "accepted", "completing", "refused", "unknown"
	fatal           string // the harness could not drive the job (create refused, …)
	last            *jobView
	statuses        []string
	firstTerminal   time.Time
	lastNonTerminal time.Time
	lastPublished   time.Time // last check of the event stream
	resolved        bool
	why             string // why the notification is considered lost

	uploadSent  atomic.Int64
	finalPut    atomic.Bool // the PUT that completes the input is under way (or done)
	uploadDone  atomic.Bool
	putRetries  atomic.Int64
	stopSent    time.Time // when the first stop request was sent
	createdAt   time.Time
	inputKey    string       // store key of the upload, when it is not the job's usual one (coding)
	uploadTotal atomic.Int64 // bytes (line inputs) or files to upload
}

// tenant is the tenant the job runs as (training jobs have their own: see kindTraining).
func (j *jobRun) tenant() string {
	if j.spec.Kind == kindTraining {
		return trainCredentials.Tenant
	}
	return tenant
}

// cl is the client that acts as the job's tenant.
func (r *round) cl(jr *jobRun) *client {
	if jr.spec.Kind == kindTraining {
		return r.c.as(trainCredentials)
	}
	return r.c
}

func (j *jobRun) ID() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.id
}

func (j *jobRun) note(start time.Time, format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.notes = append(j.notes, fmt.Sprintf("+%.1fs ", time.Since(start).Seconds())+fmt.Sprintf(format, args...))
}

func (j *jobRun) view() *jobView {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last
}

func (j *jobRun) label() string {
	s := j.spec
	l := fmt.Sprintf("%s %s %s %s %d docs", s.Name, s.Format, s.Mode, strings.Join(s.Analyses, "+"), s.Docs)
	if s.LanguageCode != "" {
		l += " lang=" + s.LanguageCode
	}
	if s.Kind == kindTopics {
		l += fmt.Sprintf(" k=%d seed=%d", s.NumTopics, s.TopicSeed)
	}
	if s.Kind == kindTraining {
		l += " titles=" + s.TrainingSource
	}
	if s.Stop != nil {
		l += " stop=" + s.Stop.Kind
	}
	return l
}

// round is one round in progress.
type round struct {
	h     *harness
	idx   int
	seed  int64
	dir   string
	data  string
	cfg   serverConfig
	srv   *server
	c     *client
	hook  *hookLog
	jobs  []*jobRun
	start time.Time
	wg    sync.WaitGroup // observer, drivers, stoppers

	life sync.Mutex // held across a planned kill and its restart, and by the watchdog

	mu          sync.Mutex
	kills       []killRecord
	lastKill    time.Time
	lastRestart time.Time
	problems    []string
	obsCh       chan struct{} // closed and replaced after every observation

	modelsBefore []modelView // the training tenant's models before the round (training rounds)
	modelsOnce   sync.Once
	models       []modelView // and after it
}

func (r *round) since() string { return fmt.Sprintf("+%.1fs", time.Since(r.start).Seconds()) }

// drawConfig chooses the round's server configuration.
func drawConfig(rng *rand.Rand) serverConfig {
	return serverConfig{
		ShardBytes: []int64{4096, 8192, 16384}[rng.Intn(3)],
		Workers:    2 + rng.Intn(2),
		BatchSize:  []int{1, 1, 2, 4, 10}[rng.Intn(5)],
		StuckAfter: time.Duration(3+rng.Intn(3)) * time.Second,
		Visibility: 2 * time.Second,
		Sweep:      time.Second,
		MaxReceive: 3,
		RefuseRate: 0.4 + 0.4*rng.Float64(),
		PollEvery:  20 * time.Millisecond,
	}
}

func (h *harness) runRound(ctx context.Context, idx int, seed int64) *roundResult {
	start := time.Now()
	rng := rand.New(rand.NewSource(seed))
	cfg := drawConfig(rng)
	lim := genLimits{MinDocs: h.o.MinDocs, MaxDocs: h.o.MaxDocs, MaxFiles: h.o.MaxFiles, MaxJobs: h.o.MaxJobs, StopRate: 0.3}
	specs := genJobs(rng, idx, seed, lim)
	if h.o.Short {
		ensureKind(specs, seed, lim)
	}
	plan, burst, aimed := drawPlan(rng, h.o, seed)
	plan = addStageKill(rng, h.o, plan, specs, aimed)
	plan = addTrainingKill(rand.New(rand.NewSource(seed^0x7a1)), h.o, plan, specs, aimed)
	switch aimed {
	case "webhook":
		cfg.RefuseRate = 1 // every first delivery attempt is refused: the kill comes between attempts
	case "landed", "upload":
		if !hasUpload(specs) {
			specs[0].Mode = modeUpload
		}
	}
	if burst {
		// Big batches keep recorded shards' messages in flight; a longer stuckAfter keeps the
		// sweeper from re-enqueueing the job's last shards before the kills dead-letter them.
		cfg.BatchSize = 10
		cfg.StuckAfter = 8 * time.Second
	}
	res := &roundResult{counts: map[string]int{}}
	r := &round{h: h, idx: idx, seed: seed, cfg: cfg, obsCh: make(chan struct{})}
	r.dir = filepath.Join(h.root, fmt.Sprintf("round-%03d-seed-%d", idx, seed))
	r.data = filepath.Join(r.dir, "data")
	for _, s := range specs {
		r.jobs = append(r.jobs, &jobRun{spec: s, fnd: newFindings(), stopState: "none"})
	}
	res.jobs = r.jobs
	defer func() { res.elapsed = time.Since(start) }()
	if err := os.MkdirAll(r.data, 0o755); err != nil {
		r.problem("round directory: %v", err)
		return r.finish(res)
	}

	// Reference outputs first, on an undisturbed server with a fresh data directory.
	for _, jr := range r.jobs {
		ref, err := h.refs.get(ctx, jr.spec, cfg)
		if err != nil {
			jr.fnd.add(kReference, 1, "reference run failed: %v", err)
			continue
		}
		jr.ref = ref
	}
	h.refs.recycle(10)
	if ctx.Err() != nil {
		res.aborted = true
		os.RemoveAll(r.dir)
		return res
	}

	token := fmt.Sprintf("r%d-%d", idx, seed)
	url, hook := h.recv.round(token, seed, cfg.RefuseRate)
	defer h.recv.forget(token)
	r.hook = hook
	cfg.WebhookURL = url
	r.cfg = cfg
	b, err := cfg.json()
	if err == nil {
		err = os.WriteFile(filepath.Join(r.dir, "config.json"), b, 0o644)
	}
	if err != nil {
		r.problem("config: %v", err)
		return r.finish(res)
	}
	r.srv = &server{bin: h.bin, dataDir: r.data, config: filepath.Join(r.dir, "config.json"), logPath: filepath.Join(r.dir, "serve.log"),
		env: []string{"REAM_LOG_LEVEL=info"}}
	r.start = time.Now()
	r.lastRestart = r.start
	if err := r.srv.start(ctx); err != nil {
		r.problem("start ream serve: %v", err)
		return r.finish(res)
	}
	r.c = &client{base: r.srv.URL, hc: newHTTPClient()}
	r.listModelsBefore(ctx)

	runCtx, stopRun := context.WithCancel(ctx)
	r.wg.Add(1)
	go func() { defer r.wg.Done(); r.observe(runCtx) }()
	for _, jr := range r.jobs {
		r.wg.Add(1)
		go func() { defer r.wg.Done(); r.drive(runCtx, jr) }()
	}
	killCtx, stopKiller := context.WithCancel(runCtx)
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		r.killer(killCtx, runCtx, plan, rand.New(rand.NewSource(seed^0x5eed)))
	}()

	r.wait(ctx)
	stopKiller()
	<-killerDone
	r.settle(ctx)
	stopRun()
	r.wg.Wait()
	if ctx.Err() != nil {
		// Interrupted: nothing to verify.
		r.srv.stop(sigkill, 0)
		res.aborted = true
		os.RemoveAll(r.dir)
		return res
	}

	if !r.srv.running() {
		if err := r.srv.start(ctx); err != nil {
			r.problem("start ream serve for verification: %v", err)
		}
	}
	for _, jr := range r.jobs {
		r.verify(ctx, jr, res)
	}
	r.verifyModels(ctx)
	if note := r.srv.stop(sigterm, 20*time.Second); note != "" {
		r.problem("final SIGTERM: %s", note)
	}
	r.mu.Lock()
	res.kills = append(res.kills, r.kills...)
	r.mu.Unlock()
	return r.finish(res)
}

func hasUpload(specs []*jobSpec) bool {
	for _, s := range specs {
		if s.Mode == modeUpload {
			return true
		}
	}
	return false
}

// finish turns findings into failures, keeps or removes the round's directory.
func (r *round) finish(res *roundResult) *roundResult {
	failed := len(r.problems) > 0
	for _, jr := range r.jobs {
		if !jr.fnd.empty() {
			failed = true
		}
		res.uploadRetries += int(jr.putRetries.Load())
	}
	if failed && r.h.o.Keep {
		if r.h.kept < r.h.o.MaxKept {
			r.h.kept++
			res.kept = true
			r.writeReport(res)
		} else {
			r.h.o.Logf("round %d failed; its data directory is not kept (already %d kept)", r.idx, r.h.kept)
		}
	}
	dataDir := ""
	if res.kept {
		dataDir = r.dir
	}
	for _, p := range r.problems {
		res.counts[kServer]++
		res.failures = append(res.failures, Failure{Round: r.idx, Seed: r.seed, Kind: kServer, Detail: p, DataDir: dataDir, Job: "round"})
	}
	for _, jr := range r.jobs {
		for k, n := range jr.fnd.counts {
			res.counts[k] += n
		}
		for _, line := range jr.fnd.lines("") {
			kind, detail, _ := strings.Cut(strings.TrimSpace(line), ": ")
			res.failures = append(res.failures, Failure{Round: r.idx, Seed: r.seed, JobID: jr.ID(), Job: jr.label(), Kind: kind, Detail: detail, DataDir: dataDir})
		}
	}
	if !res.kept {
		os.RemoveAll(r.dir)
	}
	return res
}

func (r *round) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// writeReport leaves a post-mortem in the round's directory: what ran, when the kills came,
// what each job went through, what was found, and the inputs.
func (r *round) writeReport(res *roundResult) {
	var b strings.Builder
	fmt.Fprintf(&b, "round %d seed %d (replay: %s -v)\nconfig: %+v\n\n", r.idx, r.seed, r.h.o.replay(fmt.Sprint(r.seed)), r.cfg)
	r.mu.Lock()
	for _, k := range r.kills {
		fmt.Fprintf(&b, "kill %s\n", k)
	}
	for _, p := range r.problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	r.mu.Unlock()
	for _, jr := range r.jobs {
		jr.mu.Lock()
		fmt.Fprintf(&b, "\njob %s: %s\n  statuses: %s\n  stop: %s\n  notes: %s\n", jr.id, jr.label(), strings.Join(jr.statuses, " → "), jr.stopState, joinNotes(jr.notes))
		if jr.last != nil {
			fmt.Fprintf(&b, "  last seen: %s %+v %s\n", jr.last.JobStatus, jr.last.JobDetails, jr.last.Message)
		}
		id := jr.id
		jr.mu.Unlock()
		if r.hook != nil && id != "" {
			fmt.Fprintf(&b, "  webhook: %s\n", r.hook.history(id))
		}
		for _, l := range jr.fnd.lines("  ") {
			b.WriteString(l + "\n")
		}
		// The input, to replay by hand.
		in := filepath.Join(r.dir, "inputs", fmt.Sprintf("job%d", jr.spec.Index))
		if jr.spec.Format == formatFile {
			for _, f := range jr.spec.Files {
				_ = writeAtomic(filepath.Join(in, filepath.FromSlash(f.Name)), f.Data)
			}
		} else {
			_ = writeAtomic(in+".txt", jr.spec.Data)
		}
	}
	_ = os.WriteFile(filepath.Join(r.dir, "report.txt"), []byte(b.String()), 0o644)
}

// observe describes every job every 25ms, checks its progress (progressProblems: counters
// never go down and add up, a stage only moves forward) and that a terminal status never
// changes, and wakes whoever waits for a change.
func (r *round) observe(ctx context.Context) {
	for ctx.Err() == nil {
		if r.life.TryLock() {
			if !r.srv.running() && ctx.Err() == nil {
				// Nobody killed it: the server died by itself.
				r.problem("ream serve exited without being killed (%s); restarted — see %s", r.since(), r.srv.logPath)
				err := r.srv.start(ctx)
				r.mu.Lock()
				r.lastRestart = time.Now()
				r.mu.Unlock()
				if err != nil && ctx.Err() == nil {
					r.problem("restart after the unplanned exit: %v", err)
				}
			}
			r.life.Unlock()
		}
		for _, jr := range r.jobs {
			id := jr.ID()
			if id == "" {
				continue
			}
			sent := time.Now()
			rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			v, err := r.cl(jr).describe(rctx, id)
			cancel()
			if err == nil {
				r.record(jr, v, sent)
			}
		}
		r.mu.Lock()
		close(r.obsCh)
		r.obsCh = make(chan struct{})
		r.mu.Unlock()
		sleep(ctx, 25*time.Millisecond)
	}
}

func (r *round) record(jr *jobRun, v *jobView, sent time.Time) {
	jr.mu.Lock()
	defer jr.mu.Unlock()
	if p := jr.last; p != nil {
		if terminal(p.JobStatus) && v.JobStatus != p.JobStatus {
			jr.fnd.add(kStatus, 1, "status changed from %s to %s after it was terminal", p.JobStatus, v.JobStatus)
		}
	}
	if probs := progressProblems(jr.last, v); len(probs) > 0 {
		if jr.last != nil {
			jr.fnd.add(kCounters, 1, "progress as Describe showed it: %s: %s %+v after %s %+v", strings.Join(probs, "; "), v.JobStatus, v.JobDetails, jr.last.JobStatus, jr.last.JobDetails)
		} else {
			jr.fnd.add(kCounters, 1, "progress as Describe showed it: %s: %s %+v", strings.Join(probs, "; "), v.JobStatus, v.JobDetails)
		}
	}
	if n := len(jr.statuses); n == 0 || !strings.HasPrefix(jr.statuses[n-1], v.JobStatus+"@") {
		jr.statuses = append(jr.statuses, fmt.Sprintf("%s@%s", v.JobStatus, r.since()))
	}
	if terminal(v.JobStatus) {
		if jr.firstTerminal.IsZero() {
			jr.firstTerminal = time.Now()
		}
	} else {
		jr.lastNonTerminal = sent
	}
	jr.last = v
}

// changed returns a channel closed after the next observation.
func (r *round) changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.obsCh
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// drive creates the job (retrying across restarts with its ClientRequestToken), uploads its
// input or drops it into the store, and stops it if the plan says so.
func (r *round) drive(ctx context.Context, jr *jobRun) {
	spec := jr.spec
	if spec.Kind == kindCoding {
		r.driveCoding(ctx, jr)
		jr.uploadDone.Store(true)
		return
	}
	uri := ""
	if spec.Mode == modeDrop {
		var err error
		if uri, err = dropInput(r.data, spec); err != nil {
			jr.mu.Lock()
			jr.fatal = "drop the input: " + err.Error()
			jr.mu.Unlock()
			return
		}
	}
	req := requestFor(spec, uri, spec.Token)
	var res *createResult
	for attempt := 1; ; attempt++ {
		var err error
		res, err = r.cl(jr).create(ctx, req)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if isTransport(err) || statusOf(err) >= 500 {
			jr.note(r.start, "create attempt %d: %v", attempt, clip(err.Error(), 120))
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		jr.mu.Lock()
		jr.fatal = "create refused: " + err.Error()
		jr.mu.Unlock()
		return
	}
	jr.mu.Lock()
	jr.id = res.JobId
	jr.createdAt = time.Now()
	jr.mu.Unlock()
	jr.note(r.start, "created %s (%s)", res.JobId, res.JobStatus)
	if spec.Stop != nil {
		r.wg.Add(1)
		go func() { defer r.wg.Done(); r.stopper(ctx, jr) }()
	}
	if spec.Mode == modeUpload {
		r.upload(ctx, jr, res)
	}
	jr.uploadDone.Store(true)
}

func (r *round) upload(ctx context.Context, jr *jobRun, res *createResult) {
	spec := jr.spec
	if spec.Format != formatFile {
		if res.Upload == nil {
			jr.note(r.start, "create answered %s without an upload URL", res.JobStatus)
			if res.JobStatus == "AWAITING_INPUT" {
				jr.mu.Lock()
				jr.fatal = "create (or its retry) answered AWAITING_INPUT without an upload URL"
				jr.mu.Unlock()
			}
			return
		}
		jr.uploadTotal.Store(int64(len(spec.Data)))
		jr.finalPut.Store(true)
		r.putWithRetry(ctx, jr, *res.Upload, spec.Data, spec.UploadTime)
		return
	}
	if len(res.Uploads) != len(spec.Files) {
		jr.note(r.start, "create answered %s with %d upload URLs for %d files", res.JobStatus, len(res.Uploads), len(spec.Files))
		if res.JobStatus == "AWAITING_INPUT" {
			jr.mu.Lock()
			jr.fatal = fmt.Sprintf("create answered AWAITING_INPUT with %d upload URLs for %d files", len(res.Uploads), len(spec.Files))
			jr.mu.Unlock()
		}
		return
	}
	data := make(map[string][]byte, len(spec.Files))
	for _, f := range spec.Files {
		data[f.Name] = f.Data
	}
	jr.uploadTotal.Store(int64(len(res.Uploads)))
	pause := spec.UploadTime / time.Duration(len(res.Uploads))
	for i, u := range res.Uploads {
		if i == len(res.Uploads)-1 {
			jr.finalPut.Store(true)
		}
		if !r.putWithRetry(ctx, jr, u, data[u.File], 0) {
			return
		}
		jr.uploadSent.Store(int64(i + 1))
		sleep(ctx, pause)
	}
}

// putWithRetry PUTs one object. A PUT that got no answer is sent again once the server is
// back: it must then succeed, or be refused with 409 because the first one landed (the job
// left AWAITING_INPUT) or the job was stopped. It returns whether the upload should go on.
func (r *round) putWithRetry(ctx context.Context, jr *jobRun, u presigned, data []byte, pace time.Duration) bool {
	name := u.File
	if name == "" {
		name = "input"
	}
	lineInput := jr.spec.Format != formatFile
	for attempt := 1; ctx.Err() == nil; attempt++ {
		if attempt > 1 {
			jr.putRetries.Add(1)
		}
		st, body, err := r.c.put(ctx, u, data, pace, func(n int) {
			if lineInput {
				jr.uploadSent.Store(int64(n))
			}
		})
		switch {
		case err != nil && ctx.Err() != nil:
			return false
		case err != nil:
			jr.note(r.start, "PUT %s attempt %d: no answer (%s)", name, attempt, clip(err.Error(), 100))
			r.waitUp(ctx)
		case st == 200:
			if attempt > 1 {
				jr.note(r.start, "PUT %s attempt %d: 200", name, attempt)
			}
			return true
		case st == 409:
			v := r.describeRetry(ctx, jr)
			status := "unknown"
			if v != nil {
				status = v.JobStatus
			}
			jr.note(r.start, "PUT %s attempt %d: 409 (%s) while the job is %s", name, attempt, clip(body, 120), status)
			// A document of a file upload whose event was lost while the job still waits for
			// others: the remaining files must still go up.
			return !lineInput && status == "AWAITING_INPUT"
		case st >= 500:
			jr.note(r.start, "PUT %s attempt %d: %d %s", name, attempt, st, clip(body, 120))
			sleep(ctx, 200*time.Millisecond)
		default:
			jr.note(r.start, "PUT %s attempt %d: %d %s", name, attempt, st, clip(body, 120))
			jr.fnd.add(kServer, 1, "presigned PUT of %s answered %d: %s", name, st, clip(body, 200))
			return false
		}
	}
	return false
}

// waitUp waits until a server process is running again.
func (r *round) waitUp(ctx context.Context) {
	sleep(ctx, 100*time.Millisecond) // the process may not be reaped yet
	for ctx.Err() == nil && !r.srv.running() {
		sleep(ctx, 50*time.Millisecond)
	}
	sleep(ctx, 50*time.Millisecond)
}

func (r *round) describeRetry(ctx context.Context, jr *jobRun) *jobView {
	c, id := r.cl(jr), jr.ID()
	for ctx.Err() == nil {
		v, err := c.describe(ctx, id)
		if err == nil {
			return v
		}
		if !isTransport(err) && statusOf(err) < 500 {
			return nil
		}
		sleep(ctx, 100*time.Millisecond)
	}
	return nil
}

// stopper asks the job to stop when its plan says, and records whether the stop was accepted.
func (r *round) stopper(ctx context.Context, jr *jobRun) {
	plan := jr.spec.Stop
	switch plan.Kind {
	case "early":
		sleep(ctx, plan.Delay)
	case "late":
		for ctx.Err() == nil {
			if v := jr.view(); v != nil && v.JobStatus != "AWAITING_INPUT" && v.JobStatus != "SUBMITTED" {
				break
			}
			sleep(ctx, 20*time.Millisecond)
		}
		sleep(ctx, plan.Delay)
	case "progress":
		if jr.spec.Kind == kindTraining {
			// A training job is one shard that trains for about a second: "progress" is then
			// a stop while it trains, Fraction of 800ms after it is seen IN_PROGRESS.
			for ctx.Err() == nil {
				if v := jr.view(); v != nil && (terminal(v.JobStatus) || v.JobStatus == "IN_PROGRESS") {
					break
				}
				select {
				case <-ctx.Done():
				case <-r.changed():
				}
			}
			sleep(ctx, time.Duration(plan.Fraction*float64(800*time.Millisecond)))
			break
		}
		for ctx.Err() == nil {
			v := jr.view()
			if v != nil && (terminal(v.JobStatus) || v.JobDetails.ShardsTotal > 0 &&
				float64(v.JobDetails.ShardsDone) >= plan.Fraction*float64(v.JobDetails.ShardsTotal)) {
				break
			}
			select {
			case <-ctx.Done():
			case <-r.changed():
			}
		}
	}
	if ctx.Err() != nil {
		return
	}
	if v := jr.view(); v != nil {
		jr.note(r.start, "stop requested while seen %s %d/%d", v.JobStatus, v.JobDetails.ShardsDone, v.JobDetails.ShardsTotal)
	} else {
		jr.note(r.start, "stop requested")
	}
	jr.mu.Lock()
	jr.stopSent = time.Now()
	jr.mu.Unlock()
	unsure := false
	set := func(s string) {
		jr.mu.Lock()
		jr.stopState = s
		jr.mu.Unlock()
	}
	for attempt := 1; attempt <= 50; attempt++ {
		v, err := r.cl(jr).stop(ctx, jr.ID())
		switch {
		case ctx.Err() != nil:
			set("unknown")
			return
		case err == nil && v.JobStatus != "STOP_REQUESTED" && v.JobStatus != "STOPPED":
			// Every shard was done when the stop came: it skips nothing, and the job ends
			// as it would have without it (as Comprehend's "completes before it can be
			// stopped"), so it is checked as a job without a stop, and must not end STOPPED.
			set("completing")
			jr.note(r.start, "stop came with every shard done: %s", v.JobStatus)
			return
		case err == nil:
			set("accepted")
			jr.note(r.start, "stop accepted: %s", v.JobStatus)
			return
		case statusOf(err) == 409:
			cur := r.describeRetry(ctx, jr)
			if cur != nil && !terminal(cur.JobStatus) {
				jr.note(r.start, "stop attempt %d: %v; job %s, retrying", attempt, clip(err.Error(), 100), cur.JobStatus)
				sleep(ctx, 100*time.Millisecond)
				continue
			}
			if unsure {
				set("unknown")
			} else {
				set("refused")
			}
			jr.note(r.start, "stop refused: %v", clip(err.Error(), 120))
			return
		case isTransport(err) || statusOf(err) >= 500:
			unsure = true
			jr.note(r.start, "stop attempt %d: %v", attempt, clip(err.Error(), 100))
			sleep(ctx, 100*time.Millisecond)
		default:
			set("unknown")
			jr.note(r.start, "stop answered %v", err)
			jr.fnd.add(kServer, 1, "stop answered %v", err)
			return
		}
	}
	set("unknown")
}

// deliveryWindow is how long after a job is terminal (or the server restarted) its
// notification may take: five attempts with backoff, plus a sweep or two.
func (r *round) deliveryWindow() time.Duration { return 10*time.Second + 3*r.cfg.Sweep }

// wait returns when every job is terminal with its notification delivered, or given up on:
// stuck after the deadline, notification lost after its delivery window (or after the
// service's claim TTL when a kill may have interrupted a publisher).
func (r *round) wait(ctx context.Context) {
	for ctx.Err() == nil {
		all := true
		for _, jr := range r.jobs {
			if !r.resolve(ctx, jr) {
				all = false
			}
		}
		if all {
			return
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

func (r *round) deadline() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastRestart.Add(r.h.o.RoundTimeout)
}

func (r *round) resolve(ctx context.Context, jr *jobRun) bool {
	jr.mu.Lock()
	if jr.resolved {
		jr.mu.Unlock()
		return true
	}
	fatal, id, v := jr.fatal, jr.id, jr.last
	firstTerminal, lastNonTerminal, lastCheck := jr.firstTerminal, jr.lastNonTerminal, jr.lastPublished
	jr.mu.Unlock()
	done := func(why string) bool {
		jr.mu.Lock()
		jr.resolved, jr.why = true, why
		jr.mu.Unlock()
		return true
	}
	now := time.Now()
	if fatal != "" {
		return done("")
	}
	if v == nil || !terminal(v.JobStatus) {
		if now.After(r.deadline()) {
			return done("")
		}
		return false
	}
	if seqs, _, _ := r.hook.forJob(id); len(seqs) > 0 {
		return done("")
	}
	r.mu.Lock()
	lastKill, lastRestart := r.lastKill, r.lastRestart
	r.mu.Unlock()
	from := firstTerminal
	if lastRestart.After(from) {
		from = lastRestart
	}
	if now.Before(from.Add(r.deliveryWindow())) || now.Sub(lastCheck) < time.Second {
		return false
	}
	jr.mu.Lock()
	jr.lastPublished = now
	jr.mu.Unlock()
	pub, err := r.cl(jr).published(ctx, id)
	if err != nil {
		return false
	}
	if pub {
		return done("the server published it (its event stream has it) but the webhook never accepted it")
	}
	bound := from.Add(r.deliveryWindow())
	if !r.h.o.NoClaimWait && lastKill.After(lastNonTerminal) {
		// A kill after the job may have become terminal can leave a notification claim that
		// the sweeper honours for claimTTL before publishing in its place.
		if b := lastKill.Add(claimTTL + 2*r.cfg.Sweep + r.deliveryWindow()); b.After(bound) {
			bound = b
		}
	}
	if now.After(bound) {
		return done("the server never published it (not in its event stream)")
	}
	return false
}

// settle gives late duplicates a chance to arrive once everything is resolved.
func (r *round) settle(ctx context.Context) {
	sleep(ctx, 2*r.cfg.Sweep+time.Second)
}

// verify checks one job after the round.
func (r *round) verify(ctx context.Context, jr *jobRun, res *roundResult) {
	f := jr.fnd
	jr.mu.Lock()
	fatal, id, stopState, why := jr.fatal, jr.id, jr.stopState, jr.why
	jr.mu.Unlock()
	if fatal != "" {
		f.add(kServer, 1, "%s; notes: %s", fatal, joinNotes(jr.notes))
		return
	}
	if id == "" {
		f.add(kStuck, 1, "the job was never created; notes: %s", joinNotes(jr.notes))
		return
	}
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v := r.describeRetry(vctx, jr)
	if v == nil {
		v = jr.view()
	}
	if v == nil || !terminal(v.JobStatus) || v.JobStatus == "TIMED_OUT" {
		state := "never described"
		if v != nil {
			state = fmt.Sprintf("%s %+v %s", v.JobStatus, v.JobDetails, v.Message)
		}
		jr.mu.Lock()
		statuses := strings.Join(jr.statuses, " → ")
		jr.mu.Unlock()
		hint := ""
		if v != nil && v.JobStatus == "AWAITING_INPUT" {
			key := "inputs/" + jr.tenant() + "/" + id + "/input"
			if jr.spec.Format == formatFile {
				key = "inputs/" + jr.tenant() + "/" + id + "/files/" + jr.spec.Files[len(jr.spec.Files)-1].Name
			}
			jr.mu.Lock()
			if jr.inputKey != "" {
				key = jr.inputKey
			}
			jr.mu.Unlock()
			if _, err := os.Stat(r.objectPath(key)); err == nil {
				hint = " (its input object " + key + " is in the store: the upload landed but the job never learnt of it)"
			}
		}
		f.add(kStuck, 1, "job is %s after the deadline (%s after the last restart)%s; statuses %s; notes: %s",
			state, r.h.o.RoundTimeout, hint, statuses, joinNotes(jr.notes))
		return
	}
	if v.JobStatus == "STOPPED" {
		res.stopped++
	}
	if jr.spec.Kind != "" {
		r.verifyKind(vctx, jr, v, stopState, why, res)
		return
	}
	failedShards := 0
	var links *resultLinks
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if links, err = r.c.results(vctx, id); err == nil || !isTransport(err) && statusOf(err) < 500 {
			break
		}
		sleep(vctx, 500*time.Millisecond)
	}
	switch {
	case err != nil && v.JobStatus == "STOPPED" && statusOf(err) == 409:
		// Stopped before any shard ran: no output, and nothing may be counted.
		if v.JobDetails.InputDocumentsCount != 0 {
			f.add(kCounters, 1, "STOPPED without output but InputDocumentsCount %d (results: %v)", v.JobDetails.InputDocumentsCount, err)
		}
	case err != nil:
		f.add(kLost, jr.spec.Docs, "no results for a %s job: %v", v.JobStatus, err)
	default:
		recs, m, err := r.fetch(vctx, links)
		if err != nil && isTransport(err) {
			sleep(vctx, 500*time.Millisecond)
			recs, m, err = r.fetch(vctx, links)
		}
		if err != nil {
			f.add(kWrong, 1, "results of a %s job: %v", v.JobStatus, err)
			break
		}
		if jr.ref == nil {
			break
		}
		failedShards = verifyOutput(f, jr.spec, jr.ref, v, recs, m)
		res.deadLettered += failedShards
	}
	verifyStatus(f, jr.ref, v, stopState, failedShards)
	seqs, notes, _ := r.hook.forJob(id)
	if why == "" {
		why = "not received before the round ended"
	}
	verifyNotifications(f, v, seqs, notes, r.hook.history(id), why, tenant)
	if failedShards > 0 {
		r.mu.Lock()
		kills := len(r.kills)
		r.mu.Unlock()
		r.h.o.Logf("round %d: job %s has %d dead-lettered shards (%d kills in the round)", r.idx, id, failedShards, kills)
	}
}

func (r *round) fetch(ctx context.Context, links *resultLinks) ([]outRec, *manifest, error) {
	mb, err := r.c.download(ctx, links.Manifest)
	if err != nil {
		return nil, nil, fmt.Errorf("download manifest.json: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, nil, fmt.Errorf("manifest.json: %w", err)
	}
	ab, err := r.c.download(ctx, links.Output)
	if err != nil {
		return nil, nil, fmt.Errorf("download output.tar.gz: %w", err)
	}
	out, err := outputEntry(ab)
	if err != nil {
		return nil, nil, err
	}
	recs, err := parseOutput(out)
	if err != nil {
		return nil, nil, err
	}
	return recs, &m, nil
}
