package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/request"
)

// Drop rules: a tenant names a folder of its inputs and a job template; every object created
// in the folder starts a job from the template, exactly once per object version.
//
//	inputs/<tenant>/drop/<rule>/<name>                 line formats: one job per object
//	inputs/<tenant>/drop/<rule>/<batch>/_SUCCESS       ONE_DOC_PER_FILE: one job over the batch's
//	                                                   objects (markers and hidden names excluded)
//
// The job's ClientRequestToken is derived from the object's key, ETag and version id, so the
// job store's Create idempotency makes a repeated event (S3 delivers at least once; locally the
// watcher, an upload's event and the sweep may all report one file) start nothing new.

// dropRules is what the Service uses of the deployment's drop rules (droprule.Rules).
type dropRules interface {
	Enabled() bool
	Put(ctx context.Context, tenant, name string, tmpl api.CreateJobRequest, check func(probe *api.CreateJobRequest) error) (api.DropRule, error)
	Get(ctx context.Context, tenant, name string) (api.DropRule, error)
	List(ctx context.Context, tenant string) ([]api.DropRule, error)
	Delete(ctx context.Context, tenant, name string) error
}

// PutDropRule validates the template and stores the rule (creating or replacing it). The
// template is checked by checkRequest, as a create request is, with the rule's folder standing in
// for the input location; it may not name an input location, upload files or a
// ClientRequestToken of its own (droprule.Rules.Put).
func (s *Service) PutDropRule(ctx context.Context, tenant, name string, tmpl api.CreateJobRequest) (api.DropRule, error) {
	r, err := s.rules.Put(ctx, tenant, name, tmpl, func(probe *api.CreateJobRequest) error {
		_, err := s.checkRequest(ctx, tenant, probe, false)
		return err
	})
	if err != nil {
		return api.DropRule{}, err
	}
	s.log.InfoContext(ctx, "drop rule stored", "tenant", tenant, "rule", name)
	return r, nil
}

// GetDropRule returns the tenant's rule (ErrNotFound for an unknown name).
func (s *Service) GetDropRule(ctx context.Context, tenant, name string) (api.DropRule, error) {
	return s.rules.Get(ctx, tenant, name)
}

// ListDropRules returns the tenant's rules by name.
func (s *Service) ListDropRules(ctx context.Context, tenant string) ([]api.DropRule, error) {
	return s.rules.List(ctx, tenant)
}

// DeleteDropRule removes the tenant's rule (ErrNotFound for an unknown name). Objects dropped
// afterwards start nothing; the jobs it started are kept.
func (s *Service) DeleteDropRule(ctx context.Context, tenant, name string) error {
	return s.rules.Delete(ctx, tenant, name)
}

// CreatedObject is what an ObjectCreated event says about an object: its key and the version
// the store gave it (S3's eTag and versionId; locally shared/local.ETag).
type CreatedObject struct {
	Key       string
	ETag      string
	VersionId string
}

// ObjectCreated handles an ObjectCreated event under inputs/: an object in a drop rule's folder
// goes to DropArrived, anything else to InputArrived (a job's upload).
func (s *Service) ObjectCreated(ctx context.Context, o CreatedObject) error {
	if _, _, _, ok := droprule.ParseKey(o.Key); ok {
		return s.DropArrived(ctx, o)
	}
	if tenant, name, ok := droprule.InTenantFolder(o.Key); ok {
		// Said at WARN, once per event, as a file in a folder without a rule is: it is never
		// analysed (found from outside: it was ignored at INFO, unseen at the default level).
		if !layout.FolderMarker(name) && !strings.HasPrefix(name, ".") {
			s.log.WarnContext(ctx, "object dropped directly in the drop folder, outside every drop rule's folder; ignored (put it in drop/<rule>/)", "tenant", tenant, "key", o.Key)
		}
		return nil
	}
	return s.InputArrived(ctx, o.Key)
}

// DropArrived starts the job an object dropped under a rule's folder asks for, at most once per
// object version:
//   - line-format rules (ONE_DOC_PER_LINE, JSONL): every object is the input of its own job;
//   - ONE_DOC_PER_FILE rules: only a marker <batch>/_SUCCESS starts a job, over the objects of
//     <batch>/ (markers and hidden names excluded: droprule.NonDocument); other objects wait for
//     their batch's marker;
//   - objects whose name (or a folder's below the rule's) starts with "." (copy tools'
//     temporary files), "folder" objects ending in "/", and markers of line-format rules are
//     ignored, as is every object of a folder without a rule (the markers and the objects of
//     folders without a rule said at WARN).
//
// The job is named by the template's JobName followed by the object's (or batch's) name
// relative to the rule's folder, or by "<rule>/<name>" without one. An object version the
// template refuses (a key no store can hold, a coding model deleted since the rule was put)
// becomes a FAILED job whose Message says why (dropFailed), once: a retry cannot help. So does a
// marker at a ONE_DOC_PER_FILE rule's top level, which closes no batch.
func (s *Service) DropArrived(ctx context.Context, o CreatedObject) error {
	tenant, name, rel, ok := droprule.ParseKey(o.Key)
	if !ok {
		return fmt.Errorf("%w: %s is not in a drop rule's folder", job.ErrInvalid, o.Key)
	}
	log := s.log.With("tenant", tenant, "rule", name, "key", o.Key)
	if layout.FolderMarker(rel) || droprule.Hidden(rel) {
		log.InfoContext(ctx, "folder marker or hidden file in a drop folder; ignored")
		return nil
	}
	// Said at WARN: a file that is never analysed (a typo in a folder's name, a deleted rule)
	// must show at the default level. Only an event reports such a file (the local sweep visits
	// the folders of rules), so it is said once per event.
	if !s.rules.Enabled() || !droprule.ValidName(name) {
		log.WarnContext(ctx, "object dropped in a folder that has no drop rule; ignored")
		return nil
	}
	rule, err := s.rules.Get(ctx, tenant, name)
	if errors.Is(err, job.ErrNotFound) {
		log.WarnContext(ctx, "object dropped in a folder that has no drop rule; ignored")
		return nil
	}
	if err != nil {
		return fmt.Errorf("get drop rule: %w", err)
	}
	req := rule.Template
	marker := path.Base(rel) == droprule.Marker
	var input, label string
	var refused error // the object version gets a FAILED job saying why, once
	if req.InputDataConfig.InputFormat == job.OneDocPerFile {
		if !marker {
			if !strings.Contains(rel, "/") {
				// In no batch: no marker will ever start it (the local sweep leaves the
				// documents of ONE_DOC_PER_FILE rules alone, so this is said once per event).
				log.WarnContext(ctx, "document at a ONE_DOC_PER_FILE drop rule's top level is in no batch; ignored (put the files and a "+droprule.Marker+" marker in drop/"+name+"/<batch>/)")
				return nil
			}
			log.DebugContext(ctx, "document of a ONE_DOC_PER_FILE drop rule; it waits for its batch's "+droprule.Marker)
			return nil
		}
		batch := path.Dir(rel)
		if batch == "." {
			// Said once, by a FAILED job the tenant sees (a log line would repeat every sweep).
			input, label = o.Key, rel
			refused = fmt.Errorf("%w: a %s marker closes a batch folder (put the files and the marker in drop/%s/<batch>/); one at the rule's top level starts no job", job.ErrInvalid, droprule.Marker, name)
		} else {
			input, label = droprule.Prefix(tenant, name)+batch+"/", batch
		}
	} else {
		if marker {
			// Said at WARN, once per event (the local sweep passes such markers by): a writer
			// that closes its batches with markers expects them to start something (found from
			// outside: ignored at INFO, unseen at the default level).
			log.WarnContext(ctx, droprule.Marker+" marker under a "+string(req.InputDataConfig.InputFormat)+" drop rule; ignored: each object of a line-format rule starts its own job, and markers close batches only under ONE_DOC_PER_FILE rules")
			return nil
		}
		input, label = o.Key, rel
	}
	if o.ETag == "" && o.VersionId == "" {
		// An event without a version (a hand-made one): the store says which version is there.
		info, err := s.objects.Head(ctx, o.Key)
		if errors.Is(err, job.ErrNotFound) {
			log.InfoContext(ctx, "dropped object is gone; ignored")
			return nil
		}
		if err != nil {
			return fmt.Errorf("head dropped object: %w", err)
		}
		o.ETag = info.ETag
	}
	prefix := req.JobName
	if prefix == "" {
		prefix = name + "/"
	}
	req.JobName = request.SafeJobName(prefix + label)
	req.InputDataConfig.S3Uri = s.cfg.Locations.URI(input)
	req.ClientRequestToken = DropToken(o)
	req.DropRule = name
	req.API = "DropRule"
	req.DropObject = job.DropObject{Key: o.Key, ETag: o.ETag, VersionId: o.VersionId}
	if refused != nil {
		return s.dropFailed(ctx, log, tenant, req, refused)
	}
	res, created, err := s.createOrGetJob(ctx, tenant, req, false)
	switch {
	case errors.Is(err, job.ErrConflict):
		// The token was used with another request: the rule changed after this object version
		// started its job, and this is a repeated event (the sweep reports it again every time).
		log.DebugContext(ctx, "this object version already started a job; ignored", "err", err)
		return nil
	case errors.Is(err, job.ErrInvalid), errors.Is(err, job.ErrNotFound):
		// The key, or the template as it now stands (a coding model deleted since), is refused:
		// a retry cannot help, so the object version gets a FAILED job that says why.
		return s.dropFailed(ctx, log, tenant, req, err)
	case err != nil:
		return fmt.Errorf("start job of dropped object: %w", err)
	}
	if !created {
		// A repeated event: the watcher, an upload's event and every sweep report the same
		// object version, and its token returns the job it started.
		log.DebugContext(ctx, "this object version already started a job", "job", res.Job.JobId, "etag", o.ETag, "status", res.Job.JobStatus)
		return nil
	}
	log.InfoContext(ctx, "dropped object started a job", "job", res.Job.JobId, "etag", o.ETag, "status", res.Job.JobStatus)
	return nil
}

// dropFailed stores the job an object version could not start (cause: why createJob refused
// req) as FAILED with a Message that says why, under the object version's token, and notifies
// it. The token makes it once per object version: a repeated event (or every later sweep) finds
// the job stored and does nothing more.
func (s *Service) dropFailed(ctx context.Context, log *slog.Logger, tenant string, req api.CreateJobRequest, cause error) error {
	now := s.nowUTC()
	j := s.jobOf(tenant, &req, now)
	j.RequestHash = request.Hash(req)
	j.JobStatus = job.Failed
	j.Message = "drop rule " + req.DropRule + " cannot start a job for this object: " + api.Message(cause)
	j.EndTime = &now
	// No output is written; the job's output folder is still its own (expiry deletes under it).
	j.OutputDataConfig.S3Uri = s.cfg.Locations.URI(layout.OutputPrefix(tenant, j.JobId))
	exp := now.Add(s.retention(j))
	j.ExpirationTime = &exp
	stored, created, err := s.jobs.Create(ctx, j)
	if err != nil {
		return fmt.Errorf("store failed job of dropped object: %w", err)
	}
	if !created {
		log.DebugContext(ctx, "this object version already has a job; ignored", "job", stored.JobId)
		return nil
	}
	log.ErrorContext(ctx, "dropped object cannot start a job; it is recorded as a FAILED job", "job", j.JobId, "err", cause)
	return s.notify(ctx, stored)
}

// DropToken is the ClientRequestToken of the job an object version starts: a hash of its key,
// ETag and version id (a token holds at most 64 letters, digits and hyphens).
func DropToken(o CreatedObject) string {
	sum := sha256.Sum256([]byte(o.Key + "\x00" + o.ETag + "\x00" + o.VersionId))
	return "drop-" + hex.EncodeToString(sum[:20])
}

// errStopList ends a List at its first object.
var errStopList = errors.New("stop listing")

// DropUpload returns a presigned PUT of file (relative to the rule's folder) into the tenant's
// rule's folder, valid for UploadTTL: the upload's ObjectCreated event then starts the job as
// any object dropped there does.
func (s *Service) DropUpload(ctx context.Context, tenant, name, file string) (*api.Upload, error) {
	if _, err := s.GetDropRule(ctx, tenant, name); err != nil {
		return nil, err
	}
	switch {
	case layout.FolderMarker(file):
		return nil, fmt.Errorf("%w: File %q names a folder (it ends with /): name a file in it", job.ErrInvalid, file)
	case file == "" || strings.HasPrefix(file, "/") || droprule.Hidden(file):
		return nil, fmt.Errorf("%w: File %q must be a relative file path whose names do not start with '.'", job.ErrInvalid, file)
	}
	if err := layout.CheckKey("File", file); err != nil { // said of the File, not of the key it makes
		return nil, err
	}
	prefix := droprule.Prefix(tenant, name)
	key := prefix + file
	if err := layout.CheckKey("File", key); err != nil {
		return nil, err
	}
	// A name that is also a folder of files there, or under a file of that name, cannot be
	// stored (locally a file and a folder cannot share a name): said now, not at the PUT.
	if err := s.objects.List(ctx, key+"/", func(ObjectInfo) error { return errStopList }); errors.Is(err, errStopList) {
		return nil, fmt.Errorf("%w: File %q is a folder of files in drop rule %s's folder: name a file", job.ErrInvalid, file, name)
	}
	for dir := path.Dir(file); dir != "."; dir = path.Dir(dir) {
		if _, err := s.objects.Head(ctx, prefix+dir); err == nil {
			return nil, fmt.Errorf("%w: File %q is under %q, which is a file in drop rule %s's folder", job.ErrInvalid, file, dir, name)
		}
	}
	p, err := s.objects.PresignPut(ctx, key, s.cfg.UploadTTL)
	if err != nil {
		return nil, fmt.Errorf("presign drop upload: %w", err)
	}
	return &api.Upload{File: file, Presigned: p}, nil
}
