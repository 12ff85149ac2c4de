package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ream-dev/ream/shared/analysis/coding"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline/codingop"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/message"
)

// Batch coding: records coded to a classification ("topic") against versioned, immutable
// models. The registry (Models port) holds the model records; the object store holds the model
// files under models/ (see codingop); workers load a model once per process and cache it by id.
// What the coding service says in its own terms (topics, model ids and records, an operation's
// status, lines and metadata) is codingop's; the use cases that need the ports are here.

// Topics lists the coding schemes.
func (s *Service) Topics() []api.Topic { return codingop.Topics() }

// Topic describes one coding scheme with its classification (every code, its label, level and
// parent).
func (s *Service) Topic(uriName string) (*api.TopicDetail, error) { return codingop.Detail(uriName) }

// RegisterShippedModels stores and registers the models that come with Ream (idempotent). Every
// use of the registry (Models, Model, a training job's version) runs it first, once per
// process, so no start-up (a Lambda's cold start, `ream serve`) pays for it or needs the
// network. Without a model registry the deployment has no coding service.
func (s *Service) RegisterShippedModels(ctx context.Context) error {
	if s.models == nil {
		return nil
	}
	s.shipped.mu.Lock()
	defer s.shipped.mu.Unlock()
	if s.shipped.done {
		return nil
	}
	for uri, sc := range codingop.Schemes {
		m, raw, err := sc.Shipped()
		if err != nil {
			return fmt.Errorf("shipped %s model: %w", uri, err)
		}
		id := codingop.ModelID("shipped", uri, string(raw))
		key := codingop.ModelKey("", uri, id)
		stored, err := s.exists(ctx, key)
		if err != nil {
			return fmt.Errorf("head shipped %s model: %w", uri, err)
		}
		if !stored {
			if err := s.objects.Put(ctx, key, bytes.NewReader(raw)); err != nil {
				return fmt.Errorf("store shipped %s model: %w", uri, err)
			}
		}
		rec := codingop.ModelRecord(m, id, uri, "", key, int64(len(raw)))
		rec.ModelReleaseDate = codingop.ShippedRelease
		rec.Shipped = true
		// Version 1 of its topic in a new deployment; after an upgrade to a release that ships
		// another (retrained) model of the topic, the next shipped version, so that it becomes
		// the latest of tenants without a model of their own (see Model) while the earlier one
		// stays usable by id. Its version counts the shipped models only (tenant ""), so a
		// tenant's own model may have the same number. (Found when the shipped model was
		// retrained: every coding route of an earlier release's deployment answered 409
		// "version 1 is taken", as the new model claimed version 1 again.)
		if _, err := s.registerFreeVersion(ctx, rec); err != nil {
			return fmt.Errorf("register shipped %s model: %w", uri, err)
		}
		s.coders.put(id, m)
	}
	s.shipped.done = true
	return nil
}

// shippedState remembers that this process registered the shipped models.
type shippedState struct {
	mu   sync.Mutex
	done bool
}

// Models lists the models of a topic the tenant may use (shipped and its own), oldest first.
func (s *Service) Models(ctx context.Context, tenant, topic string) ([]api.Model, error) {
	if _, ok := codingop.Schemes[topic]; !ok {
		return nil, codingop.ErrTopicNotFound
	}
	if s.models == nil {
		return nil, fmt.Errorf("%w: this deployment has no model registry", job.ErrNotFound)
	}
	if err := s.RegisterShippedModels(ctx); err != nil {
		return nil, err
	}
	return s.models.List(ctx, tenant, topic)
}

// Model resolves a model of a topic for the tenant: "latest" (or "") is the tenant's newest own
// model (highest version, then newest release) if it trained any, else the newest shipped one;
// a GUID must name a model the tenant may use (404 otherwise)
// of that topic (409 "Selected model does not match the input topic." otherwise).
func (s *Service) Model(ctx context.Context, tenant, topic, id string) (api.Model, error) {
	id = codingop.CanonicalGUID(id)
	if _, ok := codingop.Schemes[topic]; !ok {
		return api.Model{}, codingop.ErrTopicNotFound
	}
	if s.models == nil {
		return api.Model{}, codingop.ErrModelNotFound
	}
	if err := s.RegisterShippedModels(ctx); err != nil {
		return api.Model{}, err
	}
	if id == "" || id == codingop.Latest {
		all, err := s.models.List(ctx, tenant, topic)
		if err != nil {
			return api.Model{}, err
		}
		if len(all) == 0 {
			return api.Model{}, codingop.ErrModelNotFound
		}
		// A tenant's own models rank above the shipped ones. Before a release shipped a
		// retrained model this was the highest version (the shipped model was version 1, a
		// tenant's own 2 and up); a retrained shipped model registers as the next shipped
		// version (RegisterShippedModels), which can equal or pass a tenant's own versions (found
		// in review: a tenant's own version 2 tied with the new shipped version 2, and the
		// shipped one, released later, became its latest, while a tenant with a version 3
		// kept its own).
		best := all[0]
		for _, m := range all[1:] {
			if own, bestOwn := m.Tenant != "", best.Tenant != ""; own != bestOwn {
				if own {
					best = m
				}
			} else if m.ModelVersion > best.ModelVersion || m.ModelVersion == best.ModelVersion && m.ModelReleaseDate.After(best.ModelReleaseDate) {
				best = m
			}
		}
		return best, nil
	}
	m, err := s.models.Get(ctx, tenant, id)
	if errors.Is(err, job.ErrNotFound) {
		return api.Model{}, codingop.ErrModelNotFound
	}
	if err != nil {
		return api.Model{}, err
	}
	if m.Topic != topic {
		return api.Model{}, codingop.ErrModelTopic
	}
	return m, nil
}

// maxCachedModels bounds the decoded models a process keeps (about 9.4 MB each for a model the
// size of the shipped one, 3.6 MB for one trained on a few thousand records). Models are never
// deleted and a tenant may train one a day, so a cache that kept every model it had loaded grew
// by a model's size for every model ever used and never shrank in a long-running `ream serve`
// (found from outside: five trained models coded once each left 18 MB more live heap for good).
// The models used least recently are dropped; a job still coding with one keeps it until it
// ends, and a later job loads it again from the store.
const maxCachedModels = 8

// coderCache holds the decoded models of this process by id (models are immutable), the
// maxCachedModels used most recently.
type coderCache struct {
	mu sync.Mutex
	m  map[string]*coding.Model
	// order holds the ids in m, least recently used first.
	order []string
}

func (c *coderCache) get(id string) *coding.Model {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.m[id]
	if m != nil {
		c.touch(id)
	}
	return m
}

func (c *coderCache) put(id string, m *coding.Model) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*coding.Model{}
	}
	if _, ok := c.m[id]; ok {
		c.m[id] = m
		c.touch(id)
		return
	}
	for len(c.order) >= maxCachedModels {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[id] = m
	c.order = append(c.order, id)
}

// touch makes id, which is in the cache, the most recently used; the caller holds c.mu.
func (c *coderCache) touch(id string) {
	for i, o := range c.order {
		if o == id {
			c.order = append(append(c.order[:i:i], c.order[i+1:]...), id)
			return
		}
	}
}

// coder returns the decoded model a coding job uses, loading it once per process.
func (s *Service) coder(ctx context.Context, j *job.Job) (*coding.Model, error) {
	if j.CodingConfig == nil || j.CodingConfig.ModelId == "" {
		return nil, errors.New("the job names no coding model")
	}
	id := j.CodingConfig.ModelId
	if m := s.coders.get(id); m != nil {
		return m, nil
	}
	rec, err := s.Model(ctx, j.Tenant, j.CodingConfig.Topic, id)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", id, err)
	}
	// A file that does not decode is read a second time before it is called invalid (the
	// caller fails the job on ErrInvalidModel): a connection cut inside the 12-byte header
	// reads as a truncated file.
	var m *coding.Model
	for attempt := 0; attempt < 2; attempt++ {
		if m, err = s.loadModel(ctx, rec.Key); !errors.Is(err, coding.ErrInvalidModel) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", id, err)
	}
	s.coders.put(id, m)
	return m, nil
}

// loadModel reads and decodes the model file key.
func (s *Service) loadModel(ctx context.Context, key string) (*coding.Model, error) {
	rc, err := s.objects.Open(ctx, key, 0)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	return coding.Load(rc)
}

// StartCoding creates a coding operation: a JSONL job coded with the topic's model (pinned by
// id, or the latest), waiting for its input through the returned presigned URL.
func (s *Service) StartCoding(ctx context.Context, tenant, topic, modelID string) (*api.CodingOperationStarted, error) {
	if _, ok := codingop.Schemes[topic]; !ok {
		return nil, codingop.ErrTopicNotFound // before the topic becomes part of a job name ("a!b" was a JobName error)
	}
	req := api.CreateJobRequest{
		JobName:         "batch-code-" + topic,
		Analyses:        []job.Analysis{job.Coding},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: topic, ModelId: modelID},
		RetentionHours:  new(s.cfg.CodingRetentionHours),
		API:             codingop.BatchCodeAPI,
	}
	res, err := s.createJob(ctx, tenant, req, true)
	if err != nil {
		return nil, err
	}
	out := &api.CodingOperationStarted{OperationId: res.JobId}
	if res.Upload != nil {
		out.RequestUploadURL = res.Upload.URL
		out.BucketKmsKeyArn = api.HeaderValue(res.Upload.Headers, api.HeaderSSEKMSKeyID)
		out.UploadHeaders = res.Upload.Headers
	}
	return out, nil
}

// CodingOperation describes a coding operation in the coding service's terms. The operation
// must be a coding job of that topic (and of that model when one is named), else 404.
func (s *Service) CodingOperation(ctx context.Context, tenant, topic, modelID, opID string) (*api.CodingOperationStatus, error) {
	modelID, opID = codingop.CanonicalGUID(modelID), codingop.CanonicalGUID(opID)
	if _, ok := codingop.Schemes[topic]; !ok {
		return nil, codingop.ErrTopicNotFound
	}
	if !isGUID(opID) {
		// Not echoed: the caller's text may be anything, of any length (found from outside: a
		// 5,000-character id came back whole in the 404).
		return nil, fmt.Errorf("%w: operation not found (operation ids are GUIDs, such as 0f8fa2c4-3b7e-4c1e-9a51-2b6d4f0a9c11)", job.ErrNotFound)
	}
	j, err := s.jobs.Get(ctx, tenant, opID)
	if errors.Is(err, job.ErrNotFound) {
		return nil, fmt.Errorf("%w: operation %s not found", job.ErrNotFound, opID)
	}
	if err != nil {
		return nil, err
	}
	s.asDescribed(j) // (found from outside: its job lacked Describe's rate and estimate)
	if !j.CodingOperation || j.CodingConfig == nil || j.CodingConfig.Topic != topic {
		return nil, fmt.Errorf("%w: operation %s not found for topic %s", job.ErrNotFound, opID, topic)
	}
	if modelID != "" && modelID != codingop.Latest && modelID != j.CodingConfig.ModelId {
		// A model that does not exist (for this tenant) is said as the model routes say it,
		// not as an operation made with another model (found comparing the stacks).
		if _, err := s.Model(ctx, tenant, topic, modelID); errors.Is(err, codingop.ErrModelNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: operation %s was not made with model %s", job.ErrNotFound, opID, modelID)
	}
	st := &api.CodingOperationStatus{OperationId: j.JobId, OperationStatus: codingop.Status(j.JobStatus), Job: j}
	if st.OperationStatus != api.OpComplete {
		// Why it failed, timed out or is stopping, when the job says.
		st.Error = j.Message
		if j.JobStatus == job.Stopped && j.StartedAt != nil {
			st.Error = message.CodingStopped(j)
		}
	}
	// The download URLs whenever the output exists: a complete operation's, and a failed one's
	// whose output holds an error line per record (every record bad) or the lines of the shards
	// processed before a stop (Finalize writes coded.jsonl and metadata.json before the job
	// ends; a job failed before any shard ran, or timed out, has none).
	if j.JobStatus.Terminal() {
		coded := s.outputKey(j, api.CodedName)
		if _, err := s.objects.Head(ctx, coded); errors.Is(err, job.ErrNotFound) {
			return st, nil // expired meanwhile
		} else if err != nil {
			return nil, err
		}
		resp, err := s.objects.PresignGet(ctx, coded, s.cfg.ResultsTTL)
		if err != nil {
			return nil, err
		}
		meta, err := s.objects.PresignGet(ctx, s.outputKey(j, api.MetadataName), s.cfg.ResultsTTL)
		if err != nil {
			return nil, err
		}
		st.ResponseDownloadURL, st.MetadataDownloadURL = resp.URL, meta.URL
	}
	return st, nil
}

// resolveCoding checks a create request's CodingConfig and pins its model (the latest when none
// is named), returning the model recorded on the job.
func (s *Service) resolveCoding(ctx context.Context, tenant string, req *api.CreateJobRequest) (*api.Model, error) {
	cc := req.CodingConfig
	coded := slices.Contains(req.Analyses, job.Coding)
	training := slices.Contains(req.Analyses, job.CodingTraining)
	if !coded && !training {
		if cc != nil {
			return nil, fmt.Errorf("%w: CodingConfig is for CODING and CODING_TRAINING jobs", job.ErrInvalid)
		}
		return nil, nil
	}
	if cc == nil || cc.Topic == "" {
		return nil, fmt.Errorf("%w: CODING and CODING_TRAINING need CodingConfig.Topic (see GET /v1/topics)", job.ErrInvalid)
	}
	if req.InputDataConfig.InputFormat != job.JSONLines {
		return nil, fmt.Errorf("%w: CODING and CODING_TRAINING read JSONL records", job.ErrInvalid)
	}
	if training {
		if len(req.Analyses) != 1 {
			return nil, fmt.Errorf("%w: CODING_TRAINING is a job of its own; it cannot be combined with other analyses", job.ErrInvalid)
		}
		if cc.ModelId != "" {
			return nil, fmt.Errorf("%w: a training job registers a new model; leave CodingConfig.ModelId empty", job.ErrInvalid)
		}
		if _, ok := codingop.Schemes[cc.Topic]; !ok {
			return nil, codingop.BadReference(req, cc, codingop.ErrTopicNotFound)
		}
		return nil, nil
	}
	m, err := s.Model(ctx, tenant, cc.Topic, cc.ModelId)
	if err != nil {
		return nil, codingop.BadReference(req, cc, err)
	}
	cc.ModelId = m.ModelId
	return &m, nil
}

// codingMetadata is the metadata file of a coding operation.
func (s *Service) codingMetadata(ctx context.Context, j *job.Job) ([]byte, error) {
	m, err := s.Model(ctx, j.Tenant, j.CodingConfig.Topic, j.CodingConfig.ModelId)
	if err != nil {
		return nil, err
	}
	return codingop.Metadata(j, m)
}

// CodingMaxRecordBytes bounds a coding record's two texts together (bytes).
const CodingMaxRecordBytes = 10_000

// maxVersionTries bounds the retries of a job's conditional updates under contention.
const maxVersionTries = 20

// trainShard runs a CODING_TRAINING job (planned as one shard over its whole input): it trains a
// model from the labelled records, streaming the input once per epoch (the trainer's memory is
// bounded by its feature table, not by the input), stores and registers it as the tenant's next
// version of the topic, records the model on the job, and writes one output line per input
// record: an error record for each record it could not use. It is idempotent: training is
// deterministic and the model's id derives from the job and the model's bytes, so a redelivery
// registers nothing new.
func (s *Service) trainShard(ctx context.Context, j *job.Job, msg ShardMessage) error {
	topic := j.CodingConfig.Topic
	sc, ok := codingop.Schemes[topic]
	if !ok || s.models == nil {
		return s.fail(ctx, j, fmt.Sprintf("topic %q cannot be trained in this deployment", topic))
	}
	// Its one input object is checked as ProcessShard checks a line shard's: before training,
	// and again once trained, before the model is registered (the trainer reads the input once
	// an epoch, minutes apart for a large one, and a deleted input is a store error to it).
	if done, err := s.inputChangedBefore(ctx, j, msg); done || err != nil {
		return err
	}
	if err := s.shardStarted(msg); err != nil {
		return err
	}
	s.trainingProgress(ctx, j, "")
	lim := s.readLimits(j)
	open := func() (coding.Examples, error) { return s.trainingExamples(ctx, j, msg, lim), nil }
	// Training is cut short when the job leaves IN_PROGRESS (a stop; found from outside: a
	// stopped training ran to its end, minutes for a large input, before the job stopped).
	trainCtx, stopWatch := s.untilStopped(ctx, j, stopPollInterval)
	m, err := coding.Train(trainCtx, open, coding.TrainOptions{
		Scheme:    sc.Scheme,
		TrainedOn: fmt.Sprintf("%s (%d bytes), training job %s", s.trainingInputName(j), j.InputSize, j.JobId),
	})
	// Cut short: the job left IN_PROGRESS (seen below). Read before stopWatch, which cancels it.
	cutShort := err != nil && ctx.Err() == nil && trainCtx.Err() != nil
	stopWatch()
	if ctx.Err() == nil && !cutShort {
		if done, cerr := s.inputChangedBefore(ctx, j, msg); done || cerr != nil {
			return cerr
		}
	}
	if err != nil && !cutShort {
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				s.noteTrainingTimedOut(ctx, j)
			}
			return err
		}
		if archived := (*job.ArchivedError)(nil); errors.As(err, &archived) {
			// Archived since it was planned, as ProcessShard's line shard.
			return s.failArchived(ctx, j, msg, archived)
		}
		var few *coding.TooFewExamplesError
		if !errors.As(err, &few) {
			return s.fail(ctx, j, "training failed: "+err.Error()) // the input could not be read
		}
		return s.trainingFailed(ctx, j, msg, sc, codingop.TooFewMessage(few, sc))
	}
	// A stop that came while it trained (minutes for a large input) keeps the model out of the
	// registry: registered, it would become the tenant's latest, and every unpinned operation
	// would code with a model from a job its owner stopped (found from outside). The job then
	// ends STOPPED as any stopped job. (A stop landing after this read, while the model is
	// stored, seconds on S3, or registered, is too late: the model is registered, recorded on
	// the job, and the job ends as it would have.)
	cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
	if err != nil {
		return fmt.Errorf("get job: %w", err)
	}
	if cur.JobStatus == job.StopRequested {
		s.log.InfoContext(ctx, "training stopped on request; no model registered", "tenant", j.Tenant, "job", j.JobId, "cut_short", cutShort)
		return s.recordTraining(ctx, j, msg, sc)
	}
	if cutShort || cur.JobStatus.Terminal() {
		// It ended elsewhere meanwhile: failed, finalized by another worker, or its shard
		// dead-lettered while this delivery trained (a copy the sweeper re-enqueued for a job
		// that made no progress; found by the chaos harness: the model was registered a second
		// after the job FAILED "training registered no model", and became the tenant's latest).
		// Registering now would leave a model no job names.
		s.log.InfoContext(ctx, "training job ended while this delivery trained; no model registered", "tenant", j.Tenant, "job", j.JobId, "status", cur.JobStatus)
		return nil
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	id := codingop.ModelID(j.Tenant, j.JobId, buf.String())
	key := codingop.ModelKey(j.Tenant, topic, id)
	if err := s.objects.Put(ctx, key, bytes.NewReader(buf.Bytes())); err != nil {
		return fmt.Errorf("store model: %w", err)
	}
	// Read the job again just before registering: storing the model (megabytes; seconds on
	// S3) and the shipped models' first registration in this process take long enough for
	// the job to end meanwhile (found in review: a dead-letter during the upload left a
	// registered model that the FAILED job did not name). What is left uncovered is the job
	// ending between this read and the registration (a List and a Register of the registry):
	// DeadLetter adopts a model registered before it runs, not one registered after, and the
	// registry cannot take a model back.
	if err := s.RegisterShippedModels(ctx); err != nil {
		return err
	}
	if cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId); err != nil {
		return fmt.Errorf("get job: %w", err)
	} else if cur.JobStatus.Terminal() {
		s.log.InfoContext(ctx, "training job ended while this delivery stored its model; no model registered", "tenant", j.Tenant, "job", j.JobId, "status", cur.JobStatus)
		return nil
	}
	rec := codingop.ModelRecord(m, id, topic, j.Tenant, key, int64(buf.Len()))
	rec.TrainingJobId = j.JobId
	rec.ModelReleaseDate = s.nowUTC()
	stored, err := s.registerNextVersion(ctx, rec)
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "model trained", "tenant", j.Tenant, "job", j.JobId, "model", stored.ModelId, "version", stored.ModelVersion)
	if err := s.recordTrainedModel(ctx, j, stored); err != nil {
		return err
	}
	return s.recordTraining(ctx, j, msg, sc)
}

// TrainingTimedOut is the Message a training job carries once a delivery's deadline (the
// invocation's: the worker's timeout on AWS, 15 minutes on the local stack) cut its training
// short: the message is handed back and tried again, and the job, should every delivery end so,
// fails with this Message (and the dead-lettered shard's), not only "training registered no
// model" (found measuring a 50 MB training, which needed 33 minutes on a loaded machine).
const TrainingTimedOut = "training was cut short by the worker's time limit before it finished its 16 passes over the records (one invocation: the worker's timeout on AWS, 15 minutes on the local stack); it is tried again until the shard queue's receive count runs out: train on fewer records, or raise the worker's timeout on AWS"

// noteTrainingTimedOut writes TrainingTimedOut on running training job j, so that Describe says
// why it takes so long and its failure says why it failed. The write has seconds of its own: the
// invocation's context has ended.
func (s *Service) noteTrainingTimedOut(ctx context.Context, j *job.Job) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s.trainingProgress(wctx, j, TrainingTimedOut)
	s.log.WarnContext(ctx, "training cut short by the invocation's deadline; handed back", "tenant", j.Tenant, "job", j.JobId)
}

// trainingProgress stamps running training job j as making progress (its UpdatedAt, which the
// sweeper reads; with msg, its Message too), when a delivery begins to train and when its
// deadline cuts it short. A training needs one delivery and shows no other progress until its
// model: without these stamps the sweeper took a training that had run StuckAfter since its
// planning for lost and sent a copy of its shard beside the delivery in flight (cut short by its
// deadline, whose message comes back a visibility timeout later), and two trainings of the job
// ran at once (TestTrainingDeliveryIsProgress). Best effort: a failed stamp only lets the
// sweeper step in, as before.
func (s *Service) trainingProgress(ctx context.Context, j *job.Job, msg string) {
	c := *j // j itself stays the job the delivery was given
	if _, err := s.rewrite(ctx, &c, func(c *job.Job) bool {
		if c.JobStatus != job.InProgress {
			return false
		}
		if msg != "" {
			c.Message = msg
		}
		c.UpdatedAt = s.nowUTC()
		return true
	}); err != nil {
		s.log.WarnContext(ctx, "could not note the training's progress on the job", "tenant", j.Tenant, "job", j.JobId, "message", msg != "", "err", err)
	}
}

// trainingInputName names a training job's input as its client knows it, in its Messages and
// in the model's trainedOn (which the coding API shows to clients that never saw the job):
// "the uploaded file" when it came through the job's upload URL, else the location the client
// gave (see clientLocation), never a path into the server's data directory (found from outside:
// trainedOn and an empty input's Message showed file:///…/objects/inputs/…).
func (s *Service) trainingInputName(j *job.Job) string {
	if j.UploadDeadline != nil {
		return "the uploaded file"
	}
	return s.clientLocation(j.InputKey)
}

// clientLocation names the object key as a client can: the store's URI when it is an s3://
// one (AWS), else (the local store, whose URIs are file:// paths into the server's data
// directory) the s3:// name it also takes in requests (s3://ream-local/…), or the bare key when
// it has none.
func (s *Service) clientLocation(key string) string {
	l := s.cfg.Locations
	if !strings.HasPrefix(l.Base, "file:") {
		return l.URI(key)
	}
	for _, a := range l.Aliases {
		if strings.HasPrefix(a, "s3://") {
			return a + key
		}
	}
	return key
}

// recordTraining writes a training job's output, one line per input record (an error record for
// each record it could not use), and records its shard, which finalizes the job.
func (s *Service) recordTraining(ctx context.Context, j *job.Job, msg ShardMessage, sc codingop.Scheme) error {
	key := layout.ShardKey(j.Tenant, j.JobId, msg.Index)
	shard, err := s.writeShard(ctx, j, msg, key, false, func(d input.Document, out *output.Record) {
		if d.Failed() {
			return
		}
		if why := coding.Unusable(sc.Scheme, coding.Example{Code: d.Code, Occp: d.Occupation, Tasks: d.Tasks}); why != "" {
			out.ErrorCode = job.CodeInvalidRecord
			out.ErrorMessage = why
		}
	})
	if err != nil {
		return err
	}
	return s.record(ctx, j, shard)
}

// trainingFailed ends a training job whose records could not train a model: the job keeps its
// output and counts (one line per record, an error record for each record it could not use,
// served by the errors route too) and FAILS with msg. The message is written on the job first,
// so that whoever finalizes it (this worker, a redelivery, the sweeper) ends it FAILED with it
// (see message.TerminalStatus).
func (s *Service) trainingFailed(ctx context.Context, j *job.Job, msg ShardMessage, sc codingop.Scheme, why string) error {
	s.log.WarnContext(ctx, "training failed", "tenant", j.Tenant, "job", j.JobId, "reason", why)
	for try := 0; ; try++ {
		cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
		if err != nil {
			return err
		}
		if cur.JobStatus != job.InProgress || cur.Message == why {
			break
		}
		if try == maxVersionTries {
			return fmt.Errorf("record training failure on job %s: too much contention", j.JobId)
		}
		cur.Message = why
		cur.UpdatedAt = s.nowUTC()
		if err := s.jobs.Update(ctx, cur, job.InProgress); !errors.Is(err, job.ErrConflict) {
			if err != nil {
				return err
			}
			break
		}
	}
	return s.recordTraining(ctx, j, msg, sc)
}

// registerNextVersion registers rec as the next version of its topic that its tenant sees.
func (s *Service) registerNextVersion(ctx context.Context, rec api.Model) (api.Model, error) {
	// The shipped models hold the first versions of its topic: register them before counting.
	if err := s.RegisterShippedModels(ctx); err != nil {
		return api.Model{}, err
	}
	return s.registerFreeVersion(ctx, rec)
}

// registerFreeVersion registers rec as the next version of its topic among the models its tenant
// may see (a shipped model's tenant, "", sees the shipped ones), or returns it as stored when an
// earlier attempt registered it. A version another registration takes meanwhile is skipped: the
// models are listed again and the version after the highest is tried, for as long as each
// conflict is such a version (the list's highest passed the one tried), however many there are.
// Each conflict is then another model's registration, so the retries end (before, they stopped
// at maxVersionTries versions taken under it, and a training job that met more registrations
// of its tenant at once failed its delivery and trained again on the next one). A conflict that
// is not a version taken (the registry refusing the id) ends them at once.
func (s *Service) registerFreeVersion(ctx context.Context, rec api.Model) (api.Model, error) {
	if stored, err := s.models.Get(ctx, rec.Tenant, rec.ModelId); err == nil {
		return stored, nil // registered by an earlier attempt (or an earlier start)
	}
	tried := 0
	for {
		all, err := s.models.List(ctx, rec.Tenant, rec.Topic)
		if err != nil {
			return api.Model{}, err
		}
		next := 1
		for _, m := range all {
			next = max(next, m.ModelVersion+1)
		}
		if next <= tried {
			return api.Model{}, fmt.Errorf("register model %s: version %d of %s refused, and no other model holds it", rec.ModelId, tried, rec.Topic)
		}
		rec.ModelVersion, tried = next, next
		stored, _, err := s.models.Register(ctx, rec)
		if !errors.Is(err, job.ErrConflict) {
			return stored, err
		}
		// Another registration took that version; list again.
	}
}

// recordTrainedModel writes the registered model onto the training job.
func (s *Service) recordTrainedModel(ctx context.Context, j *job.Job, m api.Model) error {
	for try := 0; try < maxVersionTries; try++ {
		cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
		if err != nil {
			return err
		}
		// (A stop that came after the registration still records the model: the job then ends
		// as it would have, with its model, rather than STOPPED with a model no job names.)
		if cur.CodingConfig != nil && cur.CodingConfig.ModelId == m.ModelId || cur.JobStatus != job.InProgress && cur.JobStatus != job.StopRequested {
			return nil
		}
		from := cur.JobStatus
		nameModel(cur, m)
		cur.UpdatedAt = s.nowUTC()
		if err := s.jobs.Update(ctx, cur, from); !errors.Is(err, job.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("record model on job %s: too much contention", j.JobId)
}

// nameModel records on training job j (in memory) the model m it trained.
func nameModel(j *job.Job, m api.Model) {
	j.CodingConfig = &job.CodingConfig{Topic: m.Topic, ModelId: m.ModelId}
	j.ModelVersion = fmt.Sprintf("%s=%s@v%d", job.CodingTraining, m.ModelId, m.ModelVersion)
}

// adoptRegisteredModel names on a training job being finalized (j, in memory, written by the
// finalizer's terminal update) the model its shard registered, if the job names none yet: a
// worker killed between the registration and recordTrainedModel, then a dead-letter of its
// shard or a stop, leaves a registered model (the tenant's latest) that the job would otherwise
// not name, FAILED "training registered no model" (found by the chaos harness) or STOPPED "no
// model was made". The job then ends naming its model, as the README documents.
func (s *Service) adoptRegisteredModel(ctx context.Context, j *job.Job) error {
	if !j.Has(job.CodingTraining) || s.models == nil || j.CodingConfig == nil || j.CodingConfig.ModelId != "" {
		return nil
	}
	all, err := s.models.List(ctx, j.Tenant, j.CodingConfig.Topic)
	if err != nil {
		return fmt.Errorf("list models: %w", err)
	}
	for _, m := range all {
		if m.TrainingJobId == j.JobId {
			s.log.WarnContext(ctx, "training shard had registered its model but not recorded it; recording it on the job", "tenant", j.Tenant, "job", j.JobId, "model", m.ModelId)
			nameModel(j, m)
			return nil
		}
	}
	return nil
}

// trainingExamples streams a training job's labelled records (one pass; Train opens one per
// epoch). Records the reader refuses (bad JSON, missing texts) are skipped here and reported as
// error records in the job's output.
func (s *Service) trainingExamples(ctx context.Context, j *job.Job, msg ShardMessage, lim input.Limits) coding.Examples {
	ctx, cancel := context.WithCancel(ctx)
	seq := func(yield func(coding.Example, error) bool) {
		errStop := errors.New("stop")
		err := s.readShard(ctx, j, msg, lim, func(d input.Document) error {
			if d.Failed() {
				return nil
			}
			if !yield(coding.Example{Code: d.Code, Occp: d.Occupation, Tasks: d.Tasks}, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(coding.Example{}, err)
		}
	}
	next, stop := iter.Pull2(seq)
	return &pulledExamples{next: next, stop: func() { stop(); cancel() }}
}

// pulledExamples adapts a pull iterator to coding.Examples.
type pulledExamples struct {
	next func() (coding.Example, error, bool)
	stop func()
}

func (p *pulledExamples) Next() (coding.Example, bool, error) {
	e, err, ok := p.next()
	if !ok {
		return coding.Example{}, false, nil
	}
	if err != nil {
		return coding.Example{}, false, err
	}
	return e, true, nil
}

func (p *pulledExamples) Close() error { p.stop(); return nil }

// writeCoded writes a coding operation's outputs in the coding service's format: one coded line
// per record, in input order (from the shard results in order), and the metadata file.
func (s *Service) writeCoded(ctx context.Context, j *job.Job, results []archivePart) error {
	err := s.putStreamTo(ctx, s.outputObjects(ctx, j), s.outputKey(j, api.CodedName), func(w io.Writer) error {
		for _, p := range results {
			if err := s.codedPart(ctx, w, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write coded records: %w", err)
	}
	meta, err := s.codingMetadata(ctx, j)
	if err != nil {
		return fmt.Errorf("coding metadata: %w", err)
	}
	return s.outputObjects(ctx, j).Put(ctx, s.outputKey(j, api.MetadataName), bytes.NewReader(meta))
}

func (s *Service) codedPart(ctx context.Context, w io.Writer, p archivePart) error {
	rc, err := s.objects.Open(ctx, p.Key, 0)
	if err != nil {
		return err
	}
	defer rc.Close()
	zr, err := output.ReadMember(bufio.NewReader(rc), p.Gzip)
	if err != nil {
		return fmt.Errorf("read shard results %s: %w", p.Key, err)
	}
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var line []byte // one line's buffer for the whole shard
	for sc.Scan() {
		line, err = codingop.AppendCodedLine(line[:0], sc.Bytes())
		if err != nil {
			return err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return sc.Err()
}
