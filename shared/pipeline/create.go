package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/analysis/topics"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/request"
	"github.com/ream-dev/ream/shared/pipeline/topicsjob"
)

// TenantTopicPart is how a tenant appears in the names of its topics when a deployment binds jobs'
// topics to tenants (Config.JobTopicPerTenant): the tenant, with its dots (not allowed in SNS
// names) as '-'.
func TenantTopicPart(tenant string) string { return strings.ReplaceAll(tenant, ".", "-") }

// jobTopicPrefix is the start a tenant's job topics' names must have.
func jobTopicPrefix(cfg Config, tenant string) string {
	if cfg.JobTopicPerTenant {
		return cfg.JobTopicPrefix + TenantTopicPart(tenant) + "-"
	}
	return cfg.JobTopicPrefix
}

// checkJobTopic checks a request's NotificationChannel (nil: none) against the deployment's
// JobTopicPrefix ("": the deployment cannot publish to jobs' topics; with JobTopicPerTenant, the
// tenant's part follows it), region and account.
func checkJobTopic(cfg Config, tenant string, nc *job.NotificationChannel) error {
	switch {
	case nc == nil:
		return nil
	case cfg.JobTopicPrefix == "":
		return fmt.Errorf("%w: this deployment cannot publish to a job's own SNS topic (NotificationChannel); subscribe to its notifications instead", job.ErrInvalid)
	}
	region, account, name, ok := request.ParseTopicArn(nc.SNSTopicArn)
	if !ok {
		return fmt.Errorf("%w: NotificationChannel.SNSTopicArn %q is not an SNS topic ARN", job.ErrInvalid, nc.SNSTopicArn)
	}
	prefix := jobTopicPrefix(cfg, tenant)
	if !strings.HasPrefix(name, prefix) ||
		cfg.JobTopicRegion != "" && region != cfg.JobTopicRegion || cfg.JobTopicAccount != "" && account != cfg.JobTopicAccount {
		where := "this deployment's account and region"
		if cfg.JobTopicRegion != "" && cfg.JobTopicAccount != "" {
			where = "region " + cfg.JobTopicRegion + ", account " + cfg.JobTopicAccount
		}
		whose := "this deployment publishes only to topics so named"
		if cfg.JobTopicPerTenant {
			whose = "this deployment publishes only to topics so named, each tenant's to its own"
		}
		return fmt.Errorf("%w: NotificationChannel.SNSTopicArn must name a topic of %s whose name starts with %q: %s (got %s)", job.ErrInvalid, where, prefix, whose, nc.SNSTopicArn)
	}
	return nil
}

// checkKMSKey decides OutputDataConfig.KmsKeyId from what the store can do: a store that
// encrypts under a named key (S3) takes any well-formed key; one that cannot (the local stack's
// files) refuses it, rather than accepting and ignoring it.
func (s *Service) checkKMSKey(keyID string) error {
	if keyID == "" {
		return nil
	}
	if _, ok := s.objects.(KMSObjects); !ok {
		return fmt.Errorf("%w: OutputDataConfig.KmsKeyId: this deployment's object store does not encrypt with KMS keys (the local stack keeps plain files in its data directory); omit KmsKeyId", job.ErrInvalid)
	}
	if !request.ValidKMSKey(keyID) {
		return fmt.Errorf("%w: OutputDataConfig.KmsKeyId %q is not a KMS key id, key ARN, alias name (alias/…) or alias ARN", job.ErrInvalid, keyID)
	}
	return nil
}

// outputObjects is the store a job's outputs are written through: under the job's own KMS key
// when it names one (checkKMSKey made sure the store can).
func (s *Service) outputObjects(ctx context.Context, j *job.Job) Objects {
	k := j.OutputDataConfig.KmsKeyId
	if k == "" {
		return s.objects
	}
	ko, ok := s.objects.(KMSObjects)
	if !ok {
		// Only a job stored before KmsKeyId was checked can get here.
		s.log.WarnContext(ctx, "the store cannot encrypt under the job's KMS key; outputs use the store's default", "tenant", j.Tenant, "job", j.JobId)
		return s.objects
	}
	return ko.WithKMSKey(k)
}

// CreateJob validates the request and stores the job. Without an input location the job waits
// for its upload (AWAITING_INPUT) and the result carries presigned upload URLs; with one it is
// SUBMITTED and its input is planned and enqueued at once.
func (s *Service) CreateJob(ctx context.Context, tenant string, req api.CreateJobRequest) (*api.CreateJobResult, error) {
	return s.createJob(ctx, tenant, req, false)
}

// createJob creates a job; operation marks a coding operation (see job.Job.CodingOperation);
// adjust, if given, completes the job before it is stored (a retry child's parent and input).
func (s *Service) createJob(ctx context.Context, tenant string, req api.CreateJobRequest, operation bool, adjust ...func(*job.Job)) (*api.CreateJobResult, error) {
	res, _, err := s.createOrGetJob(ctx, tenant, req, operation, adjust...)
	if err == nil {
		withAnalysisCounts(res.Job) // (as Describe shows the job)
	}
	return res, err
}

// createOrGetJob is createJob that also says whether the job was created by this call (false:
// the request's ClientRequestToken returned the job it created before).
func (s *Service) createOrGetJob(ctx context.Context, tenant string, req api.CreateJobRequest, operation bool, adjust ...func(*job.Job)) (*api.CreateJobResult, bool, error) {
	if !layout.ValidTenant(tenant) {
		return nil, false, fmt.Errorf("%w: tenant %q", job.ErrUnauthorized, tenant)
	}
	checked, err := s.checkRequest(ctx, tenant, &req, operation)
	if err != nil {
		return nil, false, err
	}
	model, analyzers, hash := checked.model, checked.analyzers, checked.hash
	now := s.nowUTC()
	j := s.jobOf(tenant, &req, now)
	j.OutputDataConfig = req.OutputDataConfig
	j.NotificationChannel = req.NotificationChannel
	j.RequestHash = hash
	j.RandomSeed = req.RandomSeed
	j.CodingOperation = operation
	if j.Has(job.Topics) && j.RandomSeed == nil {
		j.RandomSeed = ptr(topicsjob.DefaultSeed(j.JobId))
	}
	if j.Has(job.Topics) {
		j.NumberOfTopics = topics.DefaultK
		if req.NumberOfTopics != nil {
			j.NumberOfTopics = *req.NumberOfTopics
		}
	}
	versions := make([]string, len(analyzers))
	for i, a := range analyzers {
		versions[i] = string(a.Name()) + "=" + a.ModelVersion()
	}
	if model != nil {
		versions = append(versions, fmt.Sprintf("%s=%s@v%d", job.Coding, model.ModelId, model.ModelVersion))
	}
	if j.Has(job.Topics) {
		versions = append(versions, fmt.Sprintf("%s=%s", job.Topics, topicsjob.ModelVersion))
	}
	j.ModelVersion = strings.Join(versions, ",")
	if out := req.OutputDataConfig.S3Uri; out != "" {
		key, err := s.outputBase(ctx, tenant, out)
		if err != nil {
			return nil, false, err
		}
		j.OutputDataConfig.S3Uri = s.cfg.Locations.URI(key + j.JobId + "/")
	} else {
		j.OutputDataConfig.S3Uri = s.cfg.Locations.URI(layout.OutputPrefix(tenant, j.JobId))
	}

	upload := req.InputDataConfig.S3Uri == ""
	if upload {
		deadline := s.uploadDeadline(now)
		j.JobStatus = job.AwaitingInput
		j.UploadDeadline = &deadline
		if len(req.UploadFiles) > 0 || req.InputDataConfig.InputFormat == job.OneDocPerFile {
			// Named files (any format; a line format's files are read as a prefix of several
			// line files, each keeping its name in the output).
			j.InputKey = layout.UploadFilesPrefix(tenant, j.JobId)
			j.ExpectedFiles = len(req.UploadFiles)
		} else {
			j.InputKey = layout.UploadKey(tenant, j.JobId)
		}
		j.InputDataConfig.S3Uri = s.cfg.Locations.URI(j.InputKey)
	} else {
		key, err := s.cfg.Locations.Key(req.InputDataConfig.S3Uri)
		if err != nil {
			return nil, false, err
		}
		if key+"/" == layout.TenantInputs(tenant) {
			key += "/" // the tenant's folder named without its slash, as S3 prefixes may be
		}
		if !strings.HasPrefix(key, layout.TenantInputs(tenant)) {
			return nil, false, fmt.Errorf("%w: InputDataConfig.S3Uri must be under %s", job.ErrInvalid, s.cfg.Locations.URI(layout.TenantInputs(tenant)))
		}
		if err := layout.CheckKey("InputDataConfig.S3Uri", key); err != nil {
			return nil, false, err
		}
		j.InputKey = key
		j.InputDataConfig.S3Uri = s.cfg.Locations.URI(key) // as the store names it, whatever alias the request used
		j.JobStatus = job.Submitted
	}

	for _, f := range adjust {
		f(j)
	}

	// Sign the upload URLs before storing, so a request refused here leaves no job behind.
	res := &api.CreateJobResult{Job: j}
	if err := s.signUploads(ctx, res, req.UploadFiles); err != nil {
		return nil, false, err
	}
	stored, created, err := s.jobs.Create(ctx, j)
	if err != nil {
		return nil, false, fmt.Errorf("store job: %w", err)
	}
	if !created {
		if stored.RequestHash != j.RequestHash {
			return nil, false, fmt.Errorf("%w: ClientRequestToken %q was already used for job %s with a different request", job.ErrConflict, req.ClientRequestToken, stored.JobId)
		}
		j = stored
		res = &api.CreateJobResult{Job: j}
		if err := s.signUploads(ctx, res, req.UploadFiles); err != nil {
			return nil, false, err
		}
	} else {
		s.log.InfoContext(ctx, "job created", "tenant", tenant, "job", j.JobId, "status", j.JobStatus)
	}

	// The job is stored: what it needs now (its plan message, or its planning) is the service's
	// to finish, whether or not the caller is still there to read the answer (detached).
	ctx, cancel := s.detached(ctx)
	defer cancel()
	switch {
	case created && j.JobStatus == job.Submitted && s.cfg.PlanInWorker && req.DropRule == "":
		// (A drop rule's job is created by ingest, which plans it itself: it has the time.)
		if err := s.queue.Send(ctx, []ShardMessage{{Tenant: j.Tenant, JobId: j.JobId, Plan: true}}); err != nil {
			// The job is stored SUBMITTED: the sweeper plans it (a SUBMITTED job is rescued).
			s.log.WarnContext(ctx, "plan message not sent; the sweeper will plan the job", "tenant", j.Tenant, "job", j.JobId, "err", err)
		}
	case created && j.JobStatus == job.Submitted:
		if err := s.start(ctx, j); err != nil {
			return nil, true, err
		}
		// start may have failed the job (an empty or missing input) through the stored copy:
		// answer with the job as stored, not as it was before planning (found from outside:
		// the answer said SUBMITTED for a job already FAILED and notified).
		if cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId); err == nil {
			*j = *cur
		}
	}
	return res, created, nil
}

// checkedRequest is what checkRequest found out about a create request.
type checkedRequest struct {
	// hash fingerprints the request (request.Hash) once its LanguageCode is canonical and before
	// its coding model is pinned: a retry after a new model is the same request.
	hash      string
	model     *api.Model // the coding model a CODING job will use, if any
	analyzers []analysis.Analyzer
}

// checkRequest runs every check of a create request, and is the only place they are run: a
// create, a retry child, a coding operation and a drop rule's template (PutDropRule) all go
// through it, so a template is refused exactly when, and as, a create would be. It first checks
// the request alone (request.Validate), then what needs the deployment: the analyses it knows, the
// LanguageCode its analysers support (req.LanguageCode becomes canonical), RetentionHours
// against its retention (operation: a coding operation, whose retention is the deployment's
// own), the KmsKeyId its store can honour, the coding model (req.CodingConfig is copied and its
// ModelId pinned to the model resolved), the job's own topic and the output location.
func (s *Service) checkRequest(ctx context.Context, tenant string, req *api.CreateJobRequest, operation bool) (checkedRequest, error) {
	if err := request.Validate(req); err != nil {
		return checkedRequest{}, err
	}
	if err := s.checkAnalyses(req.Analyses); err != nil {
		return checkedRequest{}, err
	}
	// LanguageCode as users write it ("EN", "pt-br"), checked against the languages this
	// deployment's analysers support (the registry owns that list) and stored in canonical case.
	lang, err := s.analyzers.CanonicalLanguageCode(req.LanguageCode)
	if err != nil {
		// A well-formed code no analyser here supports: when the job's own analysers refuse it, their
		// refusal is the clearer answer ("KEY_PHRASES supports English (en) only"), and the
		// Comprehend surface words it in its terms; found from outside: "hi" for KEY_PHRASES
		// listed every code of the deployment, in /v1's spelling rules.
		if as, lerr := s.analyzers.Lookup(job.TextAnalyses(req.Analyses)); lerr == nil && errors.Is(err, analysis.ErrLanguageNotSupported) {
			if derr := analysis.CheckDeclaredLanguage(as, req.LanguageCode); derr != nil {
				return checkedRequest{}, derr
			}
		}
		return checkedRequest{}, err
	}
	req.LanguageCode = lang
	// A job may keep its output for less than the deployment's retention, not longer: on AWS the
	// bucket's lifecycle rules delete outputs at that age whatever the job's ExpirationTime says.
	// (A coding operation's retention is the deployment's own setting.)
	if h := req.RetentionHours; !operation && h != nil {
		maxHours := s.maxRetentionHours()
		if maxHours < 1 {
			return checkedRequest{}, fmt.Errorf("%w: RetentionHours cannot be set here: this deployment keeps jobs for %v, less than an hour; omit it", job.ErrInvalid, s.cfg.Retention)
		}
		if *h < 1 || *h > maxHours {
			return checkedRequest{}, fmt.Errorf("%w: RetentionHours must be between 1 and %d (this deployment's retention, which its storage enforces); omit it for that default",
				job.ErrInvalid, maxHours)
		}
	}
	if err := s.checkKMSKey(req.OutputDataConfig.KmsKeyId); err != nil {
		return checkedRequest{}, err
	}
	if slices.Contains(req.Analyses, job.Topics) && req.NumberOfTopics == nil {
		// The default, as if given: a retry that names it is the same request.
		req.NumberOfTopics = ptr(topics.DefaultK)
	}
	c := checkedRequest{hash: request.Hash(*req)}
	if req.CodingConfig != nil {
		cc := *req.CodingConfig
		req.CodingConfig = &cc
	}
	if c.model, err = s.resolveCoding(ctx, tenant, req); err != nil {
		return checkedRequest{}, err
	}
	if c.analyzers, err = s.analyzers.Lookup(job.TextAnalyses(req.Analyses)); err != nil {
		return checkedRequest{}, err
	}
	if err := analysis.CheckDeclaredLanguage(c.analyzers, req.LanguageCode); err != nil {
		return checkedRequest{}, err
	}
	if err := checkJobTopic(s.cfg, tenant, req.NotificationChannel); err != nil {
		return checkedRequest{}, err
	}
	if out := req.OutputDataConfig.S3Uri; out != "" {
		if _, err := s.outputBase(ctx, tenant, out); err != nil {
			return checkedRequest{}, err
		}
	}
	return c, nil
}

// pipelineAnalyses are the analyses the pipeline runs itself rather than through an analyser
// of the registry.
var pipelineAnalyses = []job.Analysis{job.Coding, job.CodingTraining, job.Topics}

// JobAnalyses returns every analysis a job of this deployment can ask for, sorted: the
// registry's analysers and the pipeline's own (CODING, CODING_TRAINING, TOPICS).
func (s *Service) JobAnalyses() []job.Analysis {
	out := append(s.analyzers.Names(), pipelineAnalyses...)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkAnalyses refuses an analysis the deployment cannot run, listing those it can.
func (s *Service) checkAnalyses(as []job.Analysis) error {
	all := s.JobAnalyses()
	for _, a := range as {
		if !slices.Contains(all, a) {
			return fmt.Errorf("%w: unknown analysis %q (supported: %s)", job.ErrInvalid, a, job.List(all))
		}
	}
	return nil
}

// derefInt is *p, or 0 for nil.
func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// outputBase is the key prefix (ending in "/") an OutputDataConfig.S3Uri names, which must be
// under the tenant's outputs; the job's outputs go under it in a folder named by the job id.
func (s *Service) outputBase(ctx context.Context, tenant, uri string) (string, error) {
	key, err := s.cfg.Locations.Key(uri)
	if err != nil {
		return "", err
	}
	if key == layout.OutputsPrefix+tenant {
		key += "/" // the tenant's folder named without its slash (found from outside: refused)
	}
	if !strings.HasPrefix(key, layout.OutputsPrefix+tenant+"/") {
		return "", fmt.Errorf("%w: OutputDataConfig.S3Uri must be under %s", job.ErrInvalid, s.cfg.Locations.URI(layout.OutputsPrefix+tenant+"/"))
	}
	if !strings.HasSuffix(key, "/") {
		key += "/"
	}
	if err := layout.CheckKey("OutputDataConfig.S3Uri", key); err != nil {
		return "", err
	}
	// A job's output folder is named by its id and deleted when the job expires, with
	// everything in it: a folder inside another job's would go with it (found from outside: a
	// 30-day job's output vanished when the 1-hour job whose folder held it expired). A
	// GUID-named folder that is no job's is the user's own (found in review).
	for _, seg := range strings.Split(strings.TrimPrefix(key, layout.OutputsPrefix+tenant+"/"), "/") {
		if !isGUID(seg) {
			continue
		}
		if _, err := s.jobs.Get(ctx, tenant, seg); err == nil {
			return "", fmt.Errorf("%w: OutputDataConfig.S3Uri must not be inside job %s's output folder: that folder is deleted with its job when the job expires; name a folder of your own under %s", job.ErrInvalid, seg, s.cfg.Locations.URI(layout.OutputsPrefix+tenant+"/"))
		} else if !errors.Is(err, job.ErrNotFound) {
			return "", fmt.Errorf("check the output location: %w", err)
		}
	}
	return key, nil
}

// isGUID reports whether s is a GUID in its 36-character form (job and operation ids, model ids).
func isGUID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }

// signUploads adds the presigned upload URLs of a job still waiting for its input.
func (s *Service) signUploads(ctx context.Context, res *api.CreateJobResult, files []string) error {
	j := res.Job
	if j.JobStatus != job.AwaitingInput {
		return nil
	}
	if len(files) == 0 {
		p, err := s.presignUpload(ctx, j, j.InputKey)
		if err != nil {
			return err
		}
		res.Upload = &api.Upload{Presigned: p}
		return nil
	}
	for _, f := range files {
		p, err := s.presignUpload(ctx, j, j.InputKey+f)
		if err != nil {
			return err
		}
		res.Uploads = append(res.Uploads, api.Upload{File: f, Presigned: p})
	}
	return nil
}

// jobOf is a new job (its id drawn) with what every job takes from its request: names,
// analyses, input, language, token, tags, role, redaction, coding, retention, drop rule.
func (s *Service) jobOf(tenant string, req *api.CreateJobRequest, now time.Time) *job.Job {
	return &job.Job{
		JobId:              s.newID(),
		JobName:            req.JobName,
		Analyses:           req.Analyses,
		InputDataConfig:    req.InputDataConfig,
		LanguageCode:       req.LanguageCode,
		SubmitTime:         now,
		ClientRequestToken: req.ClientRequestToken,
		Tags:               req.Tags,
		DataAccessRoleArn:  req.DataAccessRoleArn,
		VolumeKmsKeyId:     req.VolumeKmsKeyId,
		VpcConfig:          req.VpcConfig,
		RedactOutput:       req.RedactionConfig,
		Tenant:             tenant,
		CodingConfig:       req.CodingConfig,
		RetentionHours:     derefInt(req.RetentionHours),
		UpdatedAt:          now,
		DropRule:           req.DropRule,
		DropObject:         req.DropObject,
		JobTag:             req.JobTag,
		API:                req.API,
	}
}

// uploadDeadline is when a job created at now stops waiting for its upload: UploadTTL later,
// rounded up to the second, as presigned URLs name their expiry in whole seconds. The job's
// UploadDeadline is the one owner of that instant: its upload URLs are signed to stop working
// at it (presignUpload), the sweeper times the job out at it, and the timeout's Message prints
// it, so the Message shows the instant Upload.Expires does and the job is never timed out
// while one of its URLs still works.
func (s *Service) uploadDeadline(now time.Time) time.Time {
	d := now.Add(s.cfg.UploadTTL)
	if whole := d.Truncate(time.Second); whole.Before(d) {
		return whole.Add(time.Second)
	}
	return d
}

// presignSlack is how far short of the job's (whole-second) upload deadline presignUpload asks
// the store's URL to expire. The local store reads its own clock and rounds now+ttl up to the
// second: asked for the exact remainder, the time it takes to get there would carry its
// expiry to the second after the deadline. S3's URLs truncate (X-Amz-Date and X-Amz-Expires
// are whole seconds), so they stop working at or before the deadline either way.
const presignSlack = 500 * time.Millisecond

// presignUpload signs a PUT for key that expires at the job's upload deadline (see
// uploadDeadline and presignSlack).
func (s *Service) presignUpload(ctx context.Context, j *job.Job, key string) (api.Presigned, error) {
	left := j.UploadDeadline.Sub(s.nowUTC())
	if left <= 0 {
		return api.Presigned{}, fmt.Errorf("%w: the upload window of job %s closed at %s", job.ErrConflict, j.JobId, j.UploadDeadline.Format(time.RFC3339))
	}
	ttl := left - min(presignSlack, left/2)
	p, err := s.objects.PresignPut(ctx, key, ttl)
	if err != nil {
		return api.Presigned{}, fmt.Errorf("presign upload: %w", err)
	}
	// Expires is the deadline the URL was signed to stop at, whatever the store's own rounding
	// (found from outside: on AWS it was the signing time plus ttl, half a second short, with a
	// fraction, while the TIMED_OUT Message named the deadline).
	p.Expires = *j.UploadDeadline
	return p, nil
}

// errStop marks a job-level failure whose message is for the user.
type userError struct{ msg string }

func (e *userError) Error() string { return e.msg }

func failJobErr(format string, a ...any) error { return &userError{msg: fmt.Sprintf(format, a...)} }

func isUserError(err error) (string, bool) {
	var u *userError
	if errors.As(err, &u) {
		return u.msg, true
	}
	return "", false
}
