package chaos

// Coding training jobs (CODING_TRAINING through /v1/jobs): a labelled JSONL upload
// ({"code","occp_text","tasks_text"}) that trains a model and registers it as the tenant's
// next version of the topic. Under kills a training job must end (never stuck), register
// exactly one model when it COMPLETED (none when it FAILED or was STOPPED), and that model must
// be the clean reference run's: training is deterministic, so the registered model's metrics
// and trainedOn (but for the job id it names) are the reference's, and so is the model file in
// the store (its body, inflated, with the job id masked). Its output (one line per
// record), counters and notification are checked as for every job.
//
// Training runs as a tenant of its own (trainCredentials: its own API key, coding client and
// webhook subscription). A model it registers becomes that tenant's `latest`, and the coding
// operations of the round (kindCoding) code with their tenant's `latest`: trained in the same
// tenant, a model registered mid-round would change what a concurrent operation codes with,
// and its coded.jsonl would no longer be the reference's (the reference servers are shared by
// rounds, so their `latest` would drift too). Pinning the coding operations to the shipped
// model (POST …/models/{id}/batch-code) would avoid that as well, but would stop the harness
// from covering the unpinned route clients use; a second tenant keeps that coverage and checks
// on the way that a tenant never sees another's models (the default tenant's list stays the
// shipped model alone).

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	kindTraining     = "TRAINING"
	analysisTraining = "CODING_TRAINING"
	codingModels     = "/v1/topics/occupation/models"
	// trainingData is the ONS coding index titles, relative to the repository's root.
	trainingData = "../shared/data/occupations-soc2010-train.tsv"
)

// trainCredentials are the training tenant's (configured by serverConfig.json).
var trainCredentials = credentials{Tenant: "chaos-train", Key: "chaos-train-key", ClientID: "chaos-train-client", ClientSecret: "chaos-train-secret"}

// modelView is a model as GET /v1/topics/{topic}/models shows it.
type modelView struct {
	ModelId          string          `json:"modelId"`
	Topic            string          `json:"topic"`
	ModelVersion     int             `json:"modelVersion"`
	ModelReleaseDate time.Time       `json:"modelReleaseDate"`
	ModelType        string          `json:"modelType"`
	TopicStandard    string          `json:"topicStandard"`
	TopicVersion     string          `json:"topicVersion"`
	TrainedOn        string          `json:"trainedOn"`
	Metrics          json.RawMessage `json:"metrics"`
	Shipped          bool            `json:"shipped"`
	TrainingJobId    string          `json:"trainingJobId"`
	SizeBytes        int64           `json:"sizeBytes"`
}

// labelled is one record of the ONS coding index: a minor group and a job title.
type labelled struct{ Code, Title string }

var trainingTitles struct {
	once sync.Once
	recs []labelled
	src  string
}

// loadTitles reads the coding index titles once ("" source and nil when the file is not there:
// the records are then generated, see genTrainingRecords).
func loadTitles() ([]labelled, string) {
	trainingTitles.once.Do(func() {
		root := moduleRoot()
		if root == "" {
			return
		}
		path := filepath.Join(root, filepath.FromSlash(trainingData))
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		var recs []labelled
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			code, title, ok := strings.Cut(sc.Text(), "\t")
			if ok && len(code) == 3 && strings.TrimSpace(title) != "" {
				recs = append(recs, labelled{code, title})
			}
		}
		if sc.Err() == nil && len(recs) > 1000 {
			trainingTitles.recs, trainingTitles.src = recs, "tsv"
		}
	})
	return trainingTitles.recs, trainingTitles.src
}

// moduleRoot is the directory of the go.mod that holds the working directory ("" if none).
func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return ""
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return ""
	}
	return filepath.Dir(gomod)
}

// fallbackTitles label the generated records when the coding index is not there.
var fallbackTitles = []labelled{{"521", "welder"}, {"231", "primary school teacher"}, {"213", "software developer"},
	{"223", "nurse"}, {"821", "bus driver"}, {"543", "chef"}, {"524", "electrician"}, {"711", "shop assistant"},
	{"331", "police officer"}, {"531", "bricklayer"}, {"421", "receptionist"}, {"911", "farm worker"},
	{"241", "solicitor"}, {"622", "hairdresser"}, {"926", "warehouse operative"}, {"221", "pharmacist"}}

var titleWords = []string{"senior", "trainee", "assistant", "head", "chief", "junior", "mobile", "relief", "lead", "deputy", "night", "district"}

// genTrainingRecords builds a training input of n labelled JSONL records drawn by rng from the
// coding index (or, without it, generated titles), a few of them unusable (error lines).
func genTrainingRecords(rng *rand.Rand, n int) ([]byte, string) {
	recs, src := loadTitles()
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		var l labelled
		if recs != nil {
			l = recs[rng.Intn(len(recs))]
		} else {
			src = "generated"
			l = fallbackTitles[rng.Intn(len(fallbackTitles))]
			l.Title = titleWords[rng.Intn(len(titleWords))] + " " + titleWords[rng.Intn(len(titleWords))] + " " + l.Title
		}
		tasks := ""
		if rng.Float64() < 0.3 {
			tasks = taskWords[rng.Intn(len(taskWords))]
		}
		switch x := rng.Float64(); {
		case x < 0.01 && i < n-1:
			fmt.Fprintf(&b, `{"code":%q,"occp_text":%s,"tasks_text":""}`, l.Code[:2], jsonString(l.Title)) // not a minor group
		case x < 0.015 && i < n-1:
			fmt.Fprintf(&b, `{"code":%s,"occp_text":%s,"tasks_text":""}`, l.Code, jsonString(l.Title)) // a number
		case x < 0.02 && i < n-1:
			fmt.Fprintf(&b, `{"code":%q,"occp_text":" ","tasks_text":""}`, l.Code) // EMPTY_DOCUMENT
		case x < 0.025 && i < n-1:
			fmt.Fprintf(&b, `{"occp_text":%s,"tasks_text":""}`, jsonString(l.Title)) // no code
		default:
			fmt.Fprintf(&b, `{"recordId":"t-%d","code":%q,"occp_text":%s,"tasks_text":%s}`, i, l.Code, jsonString(l.Title), jsonString(tasks))
		}
		b.WriteByte('\n')
	}
	return b.Bytes(), src
}

// genTrainingSpec fills s as a training job: 600 to 1,500 labelled records, or (one in eight)
// 100 to 300, too few: the job must then FAIL and register nothing. Its records come from an
// rng of their own, so that drawing a training job changes no other job's draws.
func genTrainingSpec(rng *rand.Rand, s *jobSpec, seed int64) {
	s.Kind = kindTraining
	s.Mode = modeUpload
	s.Format = formatJSONL
	s.Analyses = []string{analysisTraining}
	n := 600 + rng.Intn(900)
	if rng.Float64() < 0.125 {
		n = 100 + rng.Intn(200)
	}
	s.Data, s.TrainingSource = genTrainingRecords(rand.New(rand.NewSource(seed^int64(s.Index)<<20^0x7a1)), n)
	s.Docs = n
	s.UploadTime = time.Duration(100+rng.Intn(800)) * time.Millisecond
}

// listModels lists the topic's models the client's tenant may use.
func listModels(ctx context.Context, c *client) ([]modelView, error) {
	var ms []modelView
	if err := c.codingRetry(ctx, http.MethodGet, codingModels, &ms); err != nil {
		return nil, fmt.Errorf("list models as %s: %w", c.creds().Tenant, err)
	}
	return ms, nil
}

// modelBody reads a model file from a data directory's store and returns its body (the
// DEFLATE stream inflated) with the training job's id masked: training is deterministic, so
// the bodies of the same input's models are byte-identical but for the job that trainedOn
// names.
func modelBody(dataDir, tenant, modelID, jobID string) ([]byte, int64, error) {
	key := "models/" + tenant + "/occupation/" + modelID + ".bin"
	raw, err := os.ReadFile(filepath.Join(dataDir, "objects", filepath.FromSlash(key)))
	if err != nil {
		return nil, 0, fmt.Errorf("model file: %w", err)
	}
	if len(raw) < 12 || string(raw[:4]) != "RCM1" && string(raw[:4]) != "RCM2" { // formats 1 and 2 (hyphens read both ways)
		return nil, 0, fmt.Errorf("model file %s: not a model (%d bytes)", key, len(raw))
	}
	n := binary.LittleEndian.Uint32(raw[4:8])
	if int64(n) != int64(len(raw)-12) || crc32.ChecksumIEEE(raw[12:]) != binary.LittleEndian.Uint32(raw[8:12]) {
		return nil, 0, fmt.Errorf("model file %s: body length or CRC does not match its header", key)
	}
	body, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw[12:])))
	if err != nil {
		return nil, 0, fmt.Errorf("model file %s: %w", key, err)
	}
	return bytes.ReplaceAll(body, []byte(jobID), []byte("<job>")), int64(len(raw)), nil
}

// runReferenceTraining runs a training job on the undisturbed server (as the training tenant)
// and keeps its status, counters, Message, output and model.
func runReferenceTraining(ctx context.Context, s *server, c *client, spec *jobSpec) (*reference, error) {
	res, err := c.create(ctx, requestFor(spec, "", ""))
	if err != nil {
		return nil, fmt.Errorf("reference create: %w", err)
	}
	if res.Upload == nil {
		return nil, fmt.Errorf("reference create returned no upload URL")
	}
	if st, body, err := c.put(ctx, *res.Upload, spec.Data, 0, nil); err != nil || st != 200 {
		return nil, fmt.Errorf("reference upload: %d %s %v", st, body, err)
	}
	v, err := waitTerminal(ctx, c, res.JobId)
	if err != nil {
		return nil, err
	}
	ref := &reference{Status: v.JobStatus, Details: v.JobDetails, Message: v.Message}
	if v.JobStatus == "STOPPED" || v.JobStatus == "TIMED_OUT" {
		return nil, fmt.Errorf("reference training job %s ended %s: %s", res.JobId, v.JobStatus, v.Message)
	}
	archive, err := referenceArchive(ctx, c, res.JobId, v)
	if err != nil {
		return nil, err
	}
	if ref.Output, err = outputEntry(archive); err != nil {
		return nil, err
	}
	if v.JobStatus == "FAILED" {
		if v.CodingConfig != nil && v.CodingConfig.ModelId != "" {
			return nil, fmt.Errorf("reference training job %s FAILED (%s) but names model %s", res.JobId, v.Message, v.CodingConfig.ModelId)
		}
		return ref, nil
	}
	ms, err := listModels(ctx, c)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if ms[i].TrainingJobId == res.JobId {
			if ref.Model != nil {
				return nil, fmt.Errorf("reference training job %s registered two models", res.JobId)
			}
			ref.Model = &ms[i]
		}
	}
	if ref.Model == nil {
		return nil, fmt.Errorf("reference training job %s ended %s without a model", res.JobId, v.JobStatus)
	}
	if ref.ModelB, _, err = modelBody(s.dataDir, c.creds().Tenant, ref.Model.ModelId, res.JobId); err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	ref.Model.TrainedOn = strings.ReplaceAll(ref.Model.TrainedOn, res.JobId, "<job>")
	return ref, nil
}

// trainingModels lists the training tenant's models once the round's jobs are done (nil, with
// the problem noted, when it cannot).
func (r *round) trainingModels(ctx context.Context) []modelView {
	r.modelsOnce.Do(func() {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		ms, err := listModels(lctx, r.c.as(trainCredentials))
		if err != nil {
			r.problem("after the round: %v", err)
			return
		}
		r.models = ms
	})
	return r.models
}

// verifyModels checks the registries after the round: the training tenant's holds the shipped
// model and one model for each training job of the round that registered one (checked per job
// in verifyTraining), with distinct versions, and nothing else; the default tenant still sees
// the shipped model alone.
func (r *round) verifyModels(ctx context.Context) {
	jobs := map[string]bool{}
	has := false
	for _, jr := range r.jobs {
		if jr.spec.Kind == kindTraining {
			has = true
			if id := jr.ID(); id != "" {
				jobs[id] = true
			}
		}
	}
	if !has {
		return
	}
	ms := r.trainingModels(ctx)
	if ms == nil {
		return
	}
	versions := map[int]string{}
	for _, m := range ms {
		if prev, dup := versions[m.ModelVersion]; dup {
			r.problem("tenant %s has two models of version %d: %s and %s", trainCredentials.Tenant, m.ModelVersion, prev, m.ModelId)
		}
		versions[m.ModelVersion] = m.ModelId
		switch {
		case m.Shipped:
			if m.ModelVersion != 1 || len(r.modelsBefore) > 0 && m.ModelId != r.modelsBefore[0].ModelId {
				r.problem("shipped model %s v%d is not the one listed before the round", m.ModelId, m.ModelVersion)
			}
		case !jobs[m.TrainingJobId]:
			r.problem("tenant %s has model %s v%d of training job %q, none of the round's jobs", trainCredentials.Tenant, m.ModelId, m.ModelVersion, m.TrainingJobId)
		}
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	own, err := listModels(lctx, r.c)
	if err != nil {
		r.problem("after the round: %v", err)
		return
	}
	for _, m := range own {
		if !m.Shipped {
			r.problem("tenant %s sees model %s v%d (training job %s) of another tenant", tenant, m.ModelId, m.ModelVersion, m.TrainingJobId)
		}
	}
}

// listModelsBefore records the training tenant's models before any job runs: the shipped
// model alone, on the round's fresh data directory.
func (r *round) listModelsBefore(ctx context.Context) {
	for _, jr := range r.jobs {
		if jr.spec.Kind != kindTraining {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		ms, err := listModels(lctx, r.c.as(trainCredentials))
		if err != nil {
			r.problem("before the round: %v", err)
			return
		}
		if len(ms) != 1 || !ms[0].Shipped || ms[0].ModelVersion != 1 {
			r.problem("before the round tenant %s has %d models (%+v), not the shipped one alone", trainCredentials.Tenant, len(ms), ms)
		}
		r.modelsBefore = ms
		return
	}
}

// verifyTraining checks a finished training job: its status (the reference's, or STOPPED for
// an accepted stop that came before the registration, or FAILED on a dead-lettered shard), the models it registered (one when it
// COMPLETED, the reference's; none otherwise), its counters, output and notification.
func (r *round) verifyTraining(ctx context.Context, jr *jobRun, v *jobView, stopState, why string, res *roundResult) {
	f, spec, ref, id := jr.fnd, jr.spec, jr.ref, jr.ID()
	d := v.JobDetails
	var mine []modelView
	for _, m := range r.trainingModels(ctx) {
		if m.TrainingJobId == id {
			mine = append(mine, m)
		}
	}
	sort.Slice(mine, func(a, b int) bool { return mine[a].ModelVersion < mine[b].ModelVersion })
	named := ""
	if v.CodingConfig != nil {
		named = v.CodingConfig.ModelId
	}
	deadLettered := false
	switch {
	case stopState == "accepted" && v.JobStatus != "STOPPED" && v.JobStatus != "COMPLETED" && v.JobStatus != "PARTIAL_SUCCESS" && !strings.Contains(v.Message, "dead-letter"):
		// A stopped training job ends STOPPED with no model, or, when its model was registered
		// before the stop took effect, as it would have (documented): checked below against
		// the reference, with its model.
		f.add(kStatus, 1, "stop was accepted but the training job ended %s (%s)", v.JobStatus, v.Message)
	case v.JobStatus == "STOPPED" && stopState != "accepted" && stopState != "unknown":
		f.add(kStatus, 1, "training job ended STOPPED but no stop was accepted (stop: %s)", stopState)
	case v.JobStatus == "STOPPED":
	case v.JobStatus == "FAILED" && strings.Contains(v.Message, "dead-letter"):
		deadLettered = true
		res.deadLettered++
		r.h.o.Logf("round %d: training job %s failed on a dead-lettered shard: %s", r.idx, id, v.Message)
	case ref != nil && v.JobStatus != ref.Status:
		f.add(kStatus, 1, "training job ended %s (%s), the reference run %s (%s)", v.JobStatus, v.Message, ref.Status, ref.Message)
	case ref != nil && v.JobStatus == "FAILED" && v.Message != ref.Message:
		f.add(kStatus, 1, "training job FAILED with Message %q, the reference's %q", v.Message, ref.Message)
	case v.JobStatus != "FAILED" && v.JobStatus != impliedStatus(d):
		f.add(kStatus, 1, "training job ended %s but its counters (%+v) mean %s", v.JobStatus, d, impliedStatus(d))
	}
	seqs, notes, _ := r.hook.forJob(id)
	if why == "" {
		why = "not received before the round ended"
	}
	verifyNotifications(f, v, seqs, notes, r.hook.history(id), why, trainCredentials.Tenant)

	completed := v.JobStatus == "COMPLETED" || v.JobStatus == "PARTIAL_SUCCESS"
	switch {
	case completed && len(mine) == 0:
		f.add(kLost, 1, "training job %s but no model of it is registered (it names %q)", v.JobStatus, named)
	case len(mine) > 1:
		var ids []string
		for _, m := range mine {
			ids = append(ids, fmt.Sprintf("%s v%d", m.ModelId, m.ModelVersion))
		}
		f.add(kDoubled, len(mine)-1, "training job %s registered %d models: %s", v.JobStatus, len(mine), strings.Join(ids, ", "))
	case !completed && len(mine) > 0 && deadLettered && named == mine[0].ModelId:
		// Documented: a training shard that trained and registered its model, then died on
		// every delivery while writing its output, is dead-lettered: the job FAILS saying so
		// and names the model, which stays registered (the model is whole: training is done).
		r.h.o.Logf("round %d: training job %s FAILED on a dead-lettered shard after registering its model %s v%d (documented)",
			r.idx, id, mine[0].ModelId, mine[0].ModelVersion)
	case !completed && len(mine) > 0:
		m := mine[0]
		jr.mu.Lock()
		stopSent := jr.stopSent
		jr.mu.Unlock()
		if v.JobStatus == "STOPPED" && !stopSent.IsZero() && m.ModelReleaseDate.Before(stopSent.Add(time.Second)) {
			// A stop that lands just after the registration is too late and the job completes
			// with its model; one that also meets a kill between the registration and its
			// recording on the job finds the redelivered shard skipped: STOPPED, with the model
			// registered (a rare race, logged).
			jr.note(r.start, "STOPPED with model %s v%d registered %s after the stop was sent (the documented late-stop race)",
				m.ModelId, m.ModelVersion, m.ModelReleaseDate.Sub(stopSent).Round(time.Millisecond))
			r.h.o.Logf("round %d: training job %s ended STOPPED with its model %s v%d registered %s after the stop was sent (a stop too late to keep it out, as documented)",
				r.idx, id, m.ModelId, m.ModelVersion, m.ModelReleaseDate.Sub(stopSent).Round(time.Millisecond))
		} else {
			at := "no stop sent"
			if !stopSent.IsZero() {
				at = fmt.Sprintf("registered %s after the stop was sent", m.ModelReleaseDate.Sub(stopSent).Round(time.Millisecond))
			}
			f.add(kWrong, 1, "training job ended %s (%s) but its model %s v%d is registered (%s): it is the tenant's latest",
				v.JobStatus, clip(v.Message, 160), m.ModelId, m.ModelVersion, at)
		}
	}
	if len(mine) >= 1 {
		m := mine[0]
		if named != m.ModelId {
			f.add(kWrong, 1, "training job names model %q, the registry has %s of it", named, m.ModelId)
		} else if want := fmt.Sprintf("%s=%s@v%d", analysisTraining, m.ModelId, m.ModelVersion); v.ModelVersion != want {
			f.add(kWrong, 1, "training job shows ModelVersion %q, the registry %q", v.ModelVersion, want)
		}
		if m.ModelVersion < 2 {
			f.add(kWrong, 1, "trained model %s has version %d (the shipped model holds 1)", m.ModelId, m.ModelVersion)
		}
		if completed && ref != nil && ref.Model != nil {
			r.compareModel(f, jr, m, ref)
		}
	} else if named != "" && !completed {
		f.add(kWrong, 1, "training job ended %s naming model %s, which is not registered", v.JobStatus, named)
	}

	if v.JobStatus == "STOPPED" || deadLettered {
		return
	}
	if d.InputDocumentsCount != d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount {
		f.add(kCounters, 1, "Input %d != Processed %d + WithErrors %d", d.InputDocumentsCount, d.ProcessedDocumentsCount, d.DocumentsWithErrorsCount)
	}
	if d.InputDocumentsCount != int64(spec.Docs) {
		f.add(kCounters, 1, "InputDocumentsCount %d, the input has %d records", d.InputDocumentsCount, spec.Docs)
	}
	if ref != nil && (d.ProcessedDocumentsCount != ref.Details.ProcessedDocumentsCount || d.DocumentsWithErrorsCount != ref.Details.DocumentsWithErrorsCount) {
		f.add(kCounters, 1, "counters %+v, the reference's %+v", d, ref.Details)
	}
	if d.ShardsDone != d.ShardsTotal {
		f.add(kCounters, 1, "ShardsDone %d of ShardsTotal %d in a %s job", d.ShardsDone, d.ShardsTotal, v.JobStatus)
	}
	var links *resultLinks
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if links, err = r.cl(jr).results(ctx, id); err == nil || !isTransport(err) && statusOf(err) < 500 {
			break
		}
		sleep(ctx, 500*time.Millisecond)
	}
	var out []byte
	if err == nil {
		var ab []byte
		if ab, err = r.c.download(ctx, links.Output); err == nil {
			out, err = outputEntry(ab)
		}
	}
	if err != nil {
		f.add(kLost, spec.Docs, "no output for a %s training job: %v", v.JobStatus, err)
		return
	}
	if n := bytes.Count(out, []byte("\n")); n != spec.Docs {
		f.add(kWrong, 1, "training output has %d lines for %d records", n, spec.Docs)
	}
	if ref != nil && !bytes.Equal(out, ref.Output) {
		f.add(kWrong, 1, "training output differs from the reference's: %s", firstDiff(out, ref.Output))
	}
}

// compareModel checks a registered model against the reference run's: what the coding API
// shows of it and its file in the store.
func (r *round) compareModel(f *findings, jr *jobRun, m modelView, ref *reference) {
	id := jr.ID()
	w := ref.Model
	trainedOn := strings.ReplaceAll(m.TrainedOn, id, "<job>")
	var diffs []string
	if !jsonEqual(m.Metrics, w.Metrics) {
		diffs = append(diffs, fmt.Sprintf("metrics %s vs %s", clip(string(m.Metrics), 200), clip(string(w.Metrics), 200)))
	}
	if trainedOn != w.TrainedOn {
		diffs = append(diffs, fmt.Sprintf("trainedOn %q vs %q", trainedOn, w.TrainedOn))
	}
	// (sizeBytes is not compared: the file is compressed with the job id inside, so two equal
	// models of different jobs differ by a few bytes; their bodies are compared below.)
	if m.ModelType != w.ModelType || m.TopicStandard != w.TopicStandard || m.TopicVersion != w.TopicVersion || m.Topic != w.Topic {
		diffs = append(diffs, fmt.Sprintf("type/standard %q %s %s %s vs %q %s %s %s", m.ModelType, m.Topic, m.TopicStandard, m.TopicVersion,
			w.ModelType, w.Topic, w.TopicStandard, w.TopicVersion))
	}
	if len(diffs) > 0 {
		f.add(kWrong, 1, "model %s v%d differs from the reference's: %s", m.ModelId, m.ModelVersion, strings.Join(diffs, "; "))
	}
	body, size, err := modelBody(r.data, trainCredentials.Tenant, m.ModelId, id)
	switch {
	case err != nil:
		f.add(kLost, 1, "registered model %s v%d: %v", m.ModelId, m.ModelVersion, err)
	case size != m.SizeBytes:
		f.add(kWrong, 1, "model %s v%d shows sizeBytes %d, its file has %d", m.ModelId, m.ModelVersion, m.SizeBytes, size)
	case !bytes.Equal(body, ref.ModelB):
		at := 0
		for at < min(len(body), len(ref.ModelB)) && body[at] == ref.ModelB[at] {
			at++
		}
		f.add(kWrong, 1, "model file %s differs from the reference's (bodies of %d and %d bytes, first difference at byte %d)",
			m.ModelId, len(body), len(ref.ModelB), at)
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y bytes.Buffer
	if json.Compact(&x, a) != nil || json.Compact(&y, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}

// addTrainingKill adds, to a round with a training job, a kill while it trains: a training
// job is one shard that runs for about a second, so the usual moments mostly miss it. The kill
// comes either Delay after the job is first seen IN_PROGRESS (reading its input, training), or
// ("model") as soon as its model file is in the store: between the model's storage and its
// registration, recorded on the job, and the job's output and terminal status.
func addTrainingKill(rng *rand.Rand, o Options, plan []trigger, specs []*jobSpec, aimed string) []trigger {
	if !kindKillAllowed(o, specs, kindTraining, "training") || rng.Float64() < 0.15 {
		return plan
	}
	t := trigger{Kind: "training", Delay: time.Duration(rng.Intn(600)) * time.Millisecond, Signal: sigkill,
		Restart: time.Duration(rng.Intn(800)) * time.Millisecond}
	if rng.Float64() < 0.4 {
		t.Stage = "model"
	}
	if rng.Float64() < 0.2 {
		t.Signal = sigterm
	}
	return addKill(plan, t, o.MaxKills, aimed)
}

// waitTraining waits for a "training" kill's moment (see addTrainingKill).
func (r *round) waitTraining(ctx context.Context, t trigger) (string, bool) {
	var seen time.Time // when a training job was first seen IN_PROGRESS
	return poll(ctx, 2*time.Millisecond, func() (string, bool, bool) {
		pending := false
		for _, jr := range r.jobs {
			if jr.spec.Kind != kindTraining {
				continue
			}
			v := jr.view()
			if v != nil && terminal(v.JobStatus) {
				continue
			}
			pending = true
			id := jr.ID()
			if id == "" || v == nil || v.JobStatus == "AWAITING_INPUT" {
				continue
			}
			if t.Stage == "model" {
				dir := r.objectPath("models/" + jr.tenant() + "/occupation")
				if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
					return fmt.Sprintf("j%d's model %s is in the store (job seen %s)", jr.spec.Index, entries[0].Name(), v.JobStatus), true, false
				}
				continue
			}
			if v.JobStatus != "IN_PROGRESS" {
				continue
			}
			if seen.IsZero() {
				seen = time.Now()
			}
			if time.Since(seen) >= t.Delay {
				return fmt.Sprintf("j%d training, %s after it was seen IN_PROGRESS", jr.spec.Index, t.Delay), true, false
			}
		}
		return "no training job running", false, !pending
	})
}
