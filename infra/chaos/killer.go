package chaos

// Kills: a round's plan is a list of triggers, each a moment to wait for (during the upload,
// right when the input lands, while a shard's results are being written, near the last shard,
// while the output is being finalized, when the job turns terminal, when the webhook refused a
// delivery, or after a plain delay), then a signal and a restart on the same data directory.

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

type trigger struct {
	Kind    string
	Frac    float64
	Delay   time.Duration
	Signal  syscall.Signal
	Restart time.Duration // pause before the restart
	Stage   string        // "stage": the TOPICS stage (JobDetails.Stage prefix) to kill in; "training": "model" (see addTrainingKill) or ""
}

type killRecord struct {
	At      time.Duration // since the round's start
	Trigger string
	Signal  syscall.Signal
	Fired   bool
	What    string
	Jobs    string // the jobs as last seen
	Note    string
}

func (k killRecord) String() string {
	if !k.Fired {
		return fmt.Sprintf("%s: not fired (%s)", k.Trigger, k.What)
	}
	sig := "SIGKILL"
	if k.Signal == sigterm {
		sig = "SIGTERM"
	}
	s := fmt.Sprintf("+%.2fs %s on %s: %s [%s]", k.At.Seconds(), sig, k.Trigger, k.What, k.Jobs)
	if k.Note != "" {
		s += " (" + k.Note + ")"
	}
	return s
}

// phase orders the triggers of a plan by when their moment comes in a job's life.
var phase = map[string]int{
	"upload": 0, "landed": 1, "delay": 2, "progress": 3, "stage": 3, "training": 3, "inflight": 4, "tail": 5, "finalize": 6, "terminal": 7, "webhook": 8,
}

var triggerWeights = []struct {
	kind string
	w    int
}{
	{"delay", 8}, {"upload", 10}, {"landed", 12}, {"progress", 12}, {"inflight", 12}, {"tail", 10},
	{"finalize", 10}, {"terminal", 12}, {"webhook", 14},
}

// focus is what the Short form's rounds aim their first kill at, by seed modulo its length:
// seeds 1 to 6 cover the webhook retry, the upload landing, a dead-letter burst, a job turning
// terminal, finalize and a shard being written.
var focus = []string{"upload", "webhook", "landed", "burst", "terminal", "finalize", "inflight"}

// drawPlan chooses a round's kills. A "burst" round runs big worker batches and kills three
// times near the end of the job, to push shards past maxReceiveCount into the dead-letter queue.
// In the Short form the first kill is aimed at focus[seed%len(focus)] and comes first.
func drawPlan(rng *rand.Rand, o Options, seed int64) (plan []trigger, burst bool, aimed string) {
	var n int
	switch x := rng.Float64(); {
	case x < 0.1:
		n = 0
	case x < 0.4:
		n = 1
	case x < 0.7:
		n = 2
	case x < 0.9:
		n = 3
	default:
		n = 4 + rng.Intn(2)
	}
	n = min(n, o.MaxKills)
	burst = rng.Float64() < 0.15
	weights := triggerWeights
	aims := focus
	if len(o.Triggers) > 0 {
		only := map[string]bool{}
		for _, k := range o.Triggers {
			only[k] = true
		}
		weights, aims = nil, nil
		for _, tw := range triggerWeights {
			if only[tw.kind] {
				weights = append(weights, tw)
			}
		}
		for _, f := range focus {
			if only[f] {
				aims = append(aims, f)
			}
		}
		burst = burst && only["burst"]
		if len(weights) == 0 {
			n = 0
		}
	}
	var kinds []string
	if o.Short && len(aims) > 0 && o.MaxKills > 0 {
		f := aims[int(uint64(seed)%uint64(len(aims)))]
		if f == "burst" {
			burst = true
		} else {
			kinds = append(kinds, f)
			aimed = f
		}
	}
	if burst && o.MaxKills > 0 {
		kinds = append(kinds, "tail", "tail", "tail")
	}
	total := 0
	for _, tw := range weights {
		total += tw.w
	}
	for len(kinds) < n {
		x := rng.Intn(total)
		for _, tw := range weights {
			if x < tw.w {
				kinds = append(kinds, tw.kind)
				break
			}
			x -= tw.w
		}
	}
	plan = make([]trigger, len(kinds))
	for i, k := range kinds {
		t := trigger{Kind: k, Frac: 0.1 + 0.8*rng.Float64(), Delay: time.Duration(rng.Intn(4000)) * time.Millisecond,
			Signal: sigkill, Restart: time.Duration(rng.Intn(800)) * time.Millisecond}
		if rng.Float64() < 0.2 && k != "landed" && !(i == 0 && aimed != "") {
			// A clean stop lets the upload being answered finish: "landed" is about a crash,
			// and so is the Short form's aimed kill.
			t.Signal = sigterm
		}
		plan[i] = t
	}
	rest := plan
	if aimed != "" {
		rest = plan[1:] // the aimed kill comes first
	}
	sort.SliceStable(rest, func(a, b int) bool { return phase[rest[a].Kind] < phase[rest[b].Kind] })
	return plan, burst, aimed
}

// addStageKill adds, to a round with a TOPICS job, a kill during one of its stages (counting,
// sampling, a fitting round, assigning), in phase order after the aimed kill.
func addStageKill(rng *rand.Rand, o Options, plan []trigger, specs []*jobSpec, aimed string) []trigger {
	if !kindKillAllowed(o, specs, kindTopics, "stage") || rng.Float64() < 0.2 {
		return plan
	}
	stage := topicStages[rng.Intn(len(topicStages))]
	if rng.Float64() < 0.3 {
		stage = "fitting" // the longest stage, with the most shard steps
	}
	t := trigger{Kind: "stage", Stage: stage, Signal: sigkill, Restart: time.Duration(rng.Intn(800)) * time.Millisecond}
	if rng.Float64() < 0.2 {
		t.Signal = sigterm
	}
	return addKill(plan, t, o.MaxKills, aimed)
}

// kindKillAllowed reports whether a round may add a kill of trigger kind trigger aimed at jobs
// of kind: a job of that kind is in the round, the options allow the trigger, and kills at all.
func kindKillAllowed(o Options, specs []*jobSpec, kind, trigger string) bool {
	present := false
	for _, s := range specs {
		present = present || s.Kind == kind
	}
	allowed := len(o.Triggers) == 0
	for _, k := range o.Triggers {
		allowed = allowed || k == trigger
	}
	return present && allowed && o.MaxKills > 0
}

// addKill adds the kill t to plan, keeping at most one kill over maxKills (the last planned
// gives way), and orders the kills after the aimed one (plan[0] when aimed is set) by phase.
func addKill(plan []trigger, t trigger, maxKills int, aimed string) []trigger {
	if len(plan) >= maxKills+1 {
		plan = plan[:len(plan)-1] // at most one kill over the limit
	}
	plan = append(plan, t)
	rest := plan
	if aimed != "" {
		rest = plan[1:]
	}
	sort.SliceStable(rest, func(a, b int) bool { return phase[rest[a].Kind] < phase[rest[b].Kind] })
	return plan
}

// killer carries out the plan. ctx ends when the round has settled (pending triggers are
// abandoned); restarts run under runCtx so a kill is always followed by its restart.
func (r *round) killer(ctx, runCtx context.Context, plan []trigger, rng *rand.Rand) {
	for _, t := range plan {
		what, ok := r.waitTrigger(ctx, t, rng)
		if !ok {
			r.mu.Lock()
			r.kills = append(r.kills, killRecord{At: time.Since(r.start), Trigger: t.Kind, What: what})
			r.mu.Unlock()
			continue
		}
		jobs := r.states()
		at := time.Since(r.start)
		r.life.Lock()
		r.mu.Lock()
		r.lastKill = time.Now()
		r.mu.Unlock()
		note := r.srv.stop(t.Signal, 20*time.Second)
		r.mu.Lock()
		r.kills = append(r.kills, killRecord{At: at, Trigger: t.Kind, Signal: t.Signal, Fired: true, What: what, Jobs: jobs, Note: note})
		r.mu.Unlock()
		if note != "" && note != "already exited" {
			r.problem("SIGTERM on %s: %s", t.Kind, note)
		}
		sleep(runCtx, t.Restart)
		err := r.srv.start(runCtx)
		r.mu.Lock()
		r.lastRestart = time.Now()
		r.mu.Unlock()
		r.life.Unlock()
		if err != nil {
			if runCtx.Err() == nil {
				r.problem("restart after the %s kill: %v", t.Kind, err)
			}
			return
		}
	}
}

// states renders the jobs as last seen, for the kill log.
func (r *round) states() string {
	var s []string
	for _, jr := range r.jobs {
		v := jr.view()
		if v == nil {
			s = append(s, fmt.Sprintf("j%d -", jr.spec.Index))
			continue
		}
		st := fmt.Sprintf("j%d %s %d/%d", jr.spec.Index, v.JobStatus, v.JobDetails.ShardsDone, v.JobDetails.ShardsTotal)
		if v.JobDetails.Stage != "" {
			st += " " + v.JobDetails.Stage
		}
		s = append(s, st)
	}
	return strings.Join(s, ", ")
}

func (r *round) objectPath(key string) string {
	return filepath.Join(r.data, "objects", filepath.FromSlash(key))
}

// hasTemp reports whether dir holds an object being written (the store's temporary file).
func hasTemp(dir string) (string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".ream-tmp-") {
			return e.Name(), true
		}
	}
	return "", false
}

// writingShard reports whether a shard step of the job is being written: its results (or, for
// a TOPICS job, a stage's part under work/…/topics/).
func (r *round) writingShard(jr *jobRun) (string, bool) {
	work := "work/" + jr.tenant() + "/" + jr.ID()
	if name, ok := hasTemp(r.objectPath(work + "/shards")); ok {
		return name, true
	}
	if jr.spec.Kind == kindTopics {
		return hasTemp(r.objectPath(work + "/topics"))
	}
	if jr.spec.Kind == kindTraining {
		// The trained model being stored, just before its registration.
		return hasTemp(r.objectPath("models/" + jr.tenant() + "/occupation"))
	}
	return "", false
}

// allTerminal reports whether every created job was last seen terminal (and every job exists).
func (r *round) allTerminal() bool {
	for _, jr := range r.jobs {
		v := jr.view()
		if v == nil || !terminal(v.JobStatus) {
			return false
		}
	}
	return true
}

// poll calls cond every interval until it fires, says the moment can no longer come, or ctx ends.
func poll(ctx context.Context, every time.Duration, cond func() (what string, fired, gone bool)) (string, bool) {
	for {
		what, fired, gone := cond()
		if fired {
			return what, true
		}
		if gone {
			return what, false
		}
		if ctx.Err() != nil {
			return "round settled first", false
		}
		if every > 0 {
			time.Sleep(every)
		}
	}
}

func (r *round) waitTrigger(ctx context.Context, t trigger, rng *rand.Rand) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	switch t.Kind {
	case "delay":
		sleep(ctx, t.Delay)
		if ctx.Err() != nil {
			return "round settled first", false
		}
		return fmt.Sprintf("%s after the previous step", t.Delay), true

	case "upload":
		// In the middle of a paced presigned PUT.
		return poll(ctx, 2*time.Millisecond, func() (string, bool, bool) {
			pending := false
			for _, jr := range r.jobs {
				if jr.spec.Mode != modeUpload || jr.uploadDone.Load() {
					continue
				}
				pending = true
				total := jr.uploadTotal.Load()
				sent := jr.uploadSent.Load()
				if total > 0 && sent < total && float64(sent) >= t.Frac*float64(total) {
					unit := "bytes"
					if jr.spec.Format == formatFile {
						unit = "files"
					}
					return fmt.Sprintf("upload of j%d at %d/%d %s", jr.spec.Index, sent, total, unit), true, false
				}
			}
			return "no upload in flight", false, !pending
		})

	case "landed":
		// Right after the object that completes an upload appears in the store, before (with
		// luck) its upload event is queued. An object already there when the trigger was armed
		// (an earlier kill's) does not count.
		present := map[string]bool{}
		return poll(ctx, 0, func() (string, bool, bool) {
			pending, near := false, false
			for _, jr := range r.jobs {
				if jr.spec.Mode != modeUpload || jr.uploadDone.Load() {
					continue
				}
				pending = true
				id := jr.ID()
				if id == "" || !jr.finalPut.Load() {
					continue
				}
				var key string
				jr.mu.Lock()
				inputKey := jr.inputKey
				jr.mu.Unlock()
				if inputKey != "" {
					key = inputKey
					if jr.uploadSent.Load() < jr.uploadTotal.Load() {
						continue
					}
				} else if jr.spec.Format == formatFile {
					key = "inputs/" + jr.tenant() + "/" + id + "/files/" + jr.spec.Files[len(jr.spec.Files)-1].Name
				} else {
					key = "inputs/" + jr.tenant() + "/" + id + "/input"
					if jr.uploadSent.Load() < jr.uploadTotal.Load() {
						continue
					}
				}
				if _, seen := present[key]; !seen {
					_, err := os.Stat(r.objectPath(key))
					present[key] = err == nil
				}
				if present[key] {
					continue
				}
				near = true
				if _, err := os.Stat(r.objectPath(key)); err == nil {
					return fmt.Sprintf("the input of j%d (%s) appeared in the store", jr.spec.Index, key), true, false
				}
			}
			if !near {
				time.Sleep(2 * time.Millisecond)
			} else {
				time.Sleep(100 * time.Microsecond)
			}
			return "no upload left to land", false, !pending
		})

	case "progress":
		return r.watch(ctx, func() (string, bool, bool) {
			for _, jr := range r.jobs {
				v := jr.view()
				if v == nil || v.JobStatus != "IN_PROGRESS" {
					continue
				}
				d := v.JobDetails
				if d.ShardsTotal > 0 && d.ShardsDone < d.ShardsTotal && float64(d.ShardsDone) >= t.Frac*float64(d.ShardsTotal) {
					return fmt.Sprintf("j%d at %d/%d shards (≥ %.0f%%)", jr.spec.Index, d.ShardsDone, d.ShardsTotal, 100*t.Frac), true, false
				}
			}
			return "no job in progress", false, r.allTerminal()
		})

	case "stage":
		// While a TOPICS job is in the given stage. The stages of a small job pass in a few
		// observations, so the topics jobs are described here every few milliseconds.
		return poll(ctx, 5*time.Millisecond, func() (string, bool, bool) {
			pending := false
			for _, jr := range r.jobs {
				if jr.spec.Kind != kindTopics {
					continue
				}
				v := jr.view()
				if v != nil && terminal(v.JobStatus) {
					continue
				}
				pending = true
				if id := jr.ID(); id != "" && v != nil && v.JobStatus != "AWAITING_INPUT" {
					dctx, cancel := context.WithTimeout(ctx, time.Second)
					if fresh, err := r.c.describe(dctx, id); err == nil {
						v = fresh
					}
					cancel()
				}
				if v == nil || v.JobStatus != "IN_PROGRESS" || !strings.HasPrefix(v.JobDetails.Stage, t.Stage) {
					continue
				}
				return fmt.Sprintf("j%d %s at %d/%d shards", jr.spec.Index, v.JobDetails.Stage, v.JobDetails.ShardsDone, v.JobDetails.ShardsTotal), true, false
			}
			return "no TOPICS job " + t.Stage, false, !pending
		})

	case "inflight":
		// While a shard's results are being written.
		return poll(ctx, time.Millisecond, func() (string, bool, bool) {
			for _, jr := range r.jobs {
				v := jr.view()
				if v == nil || (v.JobStatus != "IN_PROGRESS" && v.JobStatus != "STOP_REQUESTED") {
					continue
				}
				if name, ok := r.writingShard(jr); ok {
					return fmt.Sprintf("j%d writing a shard (%s) at %d/%d", jr.spec.Index, name, v.JobDetails.ShardsDone, v.JobDetails.ShardsTotal), true, false
				}
			}
			return "no shard being written", false, r.allTerminal()
		})

	case "tail":
		// Near the last shards, preferably while a batch of them is being written. After an
		// earlier kill, first wait out the visibility timeout, so the messages that kill left
		// in flight are delivered again and this kill catches them once more: three such
		// kills push them past maxReceiveCount into the dead-letter queue.
		r.mu.Lock()
		lastKill := r.lastKill
		r.mu.Unlock()
		if !lastKill.IsZero() {
			sleep(ctx, time.Until(lastKill.Add(r.cfg.Visibility+30*time.Millisecond)))
		}
		batch := max(2, r.cfg.Workers*r.cfg.BatchSize)
		what, ok := poll(ctx, time.Millisecond, func() (string, bool, bool) {
			for _, jr := range r.jobs {
				v := jr.view()
				if v == nil || terminal(v.JobStatus) || v.JobStatus == "AWAITING_INPUT" {
					continue
				}
				d := v.JobDetails
				left := d.ShardsTotal - d.ShardsDone
				// The view lags (a small job runs in a few observations): a small job counts as
				// near its end throughout.
				if d.ShardsTotal > 0 && left > batch && d.ShardsTotal > 3*batch {
					continue
				}
				if name, ok := r.writingShard(jr); ok {
					return fmt.Sprintf("j%d with %d of %d shards left, writing %s", jr.spec.Index, left, d.ShardsTotal, name), true, false
				}
			}
			return "no job near its end", false, r.allTerminal()
		})
		if ok {
			// Let a few shards of the batch be recorded before the batch is interrupted.
			sleep(ctx, time.Duration(rng.Intn(40))*time.Millisecond)
		}
		return what, ok && ctx.Err() == nil

	case "finalize":
		// While the archive or the manifest is being written.
		return poll(ctx, time.Millisecond, func() (string, bool, bool) {
			for _, jr := range r.jobs {
				v := jr.view()
				if v == nil || terminal(v.JobStatus) || v.JobStatus == "AWAITING_INPUT" {
					continue
				}
				entries, err := os.ReadDir(r.objectPath("outputs/" + jr.tenant() + "/" + jr.ID()))
				if err == nil && len(entries) > 0 {
					return fmt.Sprintf("j%d finalizing (%s in its output location)", jr.spec.Index, entries[0].Name()), true, false
				}
			}
			return "no job finalizing", false, r.allTerminal()
		})

	case "terminal":
		// Right when a job is seen terminal: finalize done, notification under way.
		armed := map[*jobRun]bool{}
		for _, jr := range r.jobs {
			if v := jr.view(); v == nil || !terminal(v.JobStatus) {
				armed[jr] = true
			}
		}
		return r.watch(ctx, func() (string, bool, bool) {
			for jr := range armed {
				if v := jr.view(); v != nil && terminal(v.JobStatus) {
					return fmt.Sprintf("j%d turned %s", jr.spec.Index, v.JobStatus), true, false
				}
			}
			return "no job left to finish", false, len(armed) == 0
		})

	case "webhook":
		// The webhook just refused a delivery: the notification is between attempts.
		r.hook.drainRefused()
		for {
			select {
			case id := <-r.hook.refused:
				sleep(ctx, time.Duration(rng.Intn(120))*time.Millisecond)
				return fmt.Sprintf("the webhook refused a delivery for %s", id), true
			case <-ctx.Done():
				return "round settled first", false
			case <-time.After(100 * time.Millisecond):
				if r.allNotified() {
					return "every notification delivered", false
				}
			}
		}

	case "training":
		return r.waitTraining(ctx, t)
	}
	return "unknown trigger " + t.Kind, false
}

// watch waits for cond after each observation of the jobs.
func (r *round) watch(ctx context.Context, cond func() (string, bool, bool)) (string, bool) {
	for {
		what, fired, gone := cond()
		if fired {
			return what, true
		}
		if gone {
			return what, false
		}
		select {
		case <-ctx.Done():
			return "round settled first", false
		case <-r.changed():
		}
	}
}

func (r *round) allNotified() bool {
	for _, jr := range r.jobs {
		id := jr.ID()
		if id == "" {
			return false
		}
		if seqs, _, _ := r.hook.forJob(id); len(seqs) == 0 {
			return false
		}
	}
	return true
}
