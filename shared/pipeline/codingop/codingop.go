// Package codingop is the coding service in its own terms, apart from the Service that runs its
// use cases: the topics (coding schemes) a deployment codes to, the models' ids, keys and
// records, a model reference's errors, an operation's status, its coded lines and metadata
// file, and a training's refusal. The object store holds the model files:
//
//	models/_shipped/<topic>/<model id>.bin   a model that ships with Ream (every tenant's)
//	models/<tenant>/<topic>/<model id>.bin   a model the tenant trained (that tenant's alone)
package codingop

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ream-dev/ream/shared/analysis/coding"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/jsonw"
	"github.com/ream-dev/ream/shared/internal/textcut"
	"github.com/ream-dev/ream/shared/job"
)

// ModelsPrefix is the top-level prefix of model files; ShippedModelsPrefix holds the shipped
// ones ("_shipped" cannot be a tenant: ValidTenant starts with a letter or digit).
const (
	ModelsPrefix        = "models/"
	ShippedModelsPrefix = ModelsPrefix + "_shipped/"
)

// Latest is the alias of the newest model of a topic.
const Latest = "latest"

// Errors of the coding service, with its words.
var (
	ErrTopicNotFound = fmt.Errorf("%w: the topic does not exist", job.ErrNotFound)
	ErrModelNotFound = fmt.Errorf("%w: the model does not exist", job.ErrNotFound)
	// ErrModelTopic: a model of another topic was named.
	ErrModelTopic = fmt.Errorf("%w: Selected model does not match the input topic.", job.ErrConflict)
)

// Scheme is a topic the service codes to.
type Scheme struct {
	Topic  api.Topic
	Scheme *coding.Scheme
	// Shipped returns the model that comes with Ream for this topic.
	Shipped func() (*coding.Model, []byte, error)
}

// Schemes are the topics this deployment knows, by uriName.
var Schemes = map[string]Scheme{
	"occupation": {
		Topic: api.Topic{
			URIName: "occupation", Name: "Occupation",
			Description:   "Job titles and job tasks coded to the UK Standard Occupational Classification 2010 (minor groups, 3 digits)",
			TopicStandard: "SOC", TopicVersion: "2010",
		},
		Scheme: coding.SOC2010(),
		Shipped: func() (*coding.Model, []byte, error) {
			m, err := coding.Default()
			return m, coding.DefaultModelFile(), err
		},
	},
}

// Topics lists the coding schemes, by uriName.
func Topics() []api.Topic {
	out := make([]api.Topic, 0, len(Schemes))
	for _, sc := range Schemes {
		out = append(out, sc.Topic)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].URIName < out[b].URIName })
	return out
}

// Detail describes one coding scheme with its classification (every code, its label, level and
// parent); ErrTopicNotFound if there is none of that uriName.
func Detail(uriName string) (*api.TopicDetail, error) {
	sc, ok := Schemes[uriName]
	if !ok {
		return nil, ErrTopicNotFound
	}
	d := &api.TopicDetail{Topic: sc.Topic}
	for level := 1; level <= 3; level++ {
		for _, c := range sc.Scheme.Level(level) {
			d.Codes = append(d.Codes, api.Code{Code: c.Code, Label: c.Label, Level: c.Level, Parent: c.Parent})
		}
	}
	return d, nil
}

// ModelID derives a model's GUID from what makes it unique (owner, training job, bytes), so
// that registering the same model again (a shipped model at every start, a retried training)
// finds the existing record.
func ModelID(parts ...string) string {
	return uuid.NewSHA1(modelNamespace, []byte(strings.Join(parts, "\x00"))).String()
}

// modelNamespace is the name space of the models' name-based (version 5) GUIDs.
var modelNamespace = uuid.MustParse("5b0e7a4e-6c1d-4f0a-9d3e-7265616d6d64")

// ModelKey is the key of model id's file: a tenant's, or a shipped one's (tenant "").
func ModelKey(tenant, topic, id string) string {
	if tenant == "" {
		return ShippedModelsPrefix + topic + "/" + id + ".bin"
	}
	return ModelsPrefix + tenant + "/" + topic + "/" + id + ".bin"
}

// ShippedRelease is the release date of the shipped models (this release of Ream; a release
// that ships a retrained model moves it, and the model registers as the next shipped version).
var ShippedRelease = time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)

// ModelRecord is the registry's record of model m, stored under key: its description and
// counts (Training) from m's Info, which the model file keeps.
func ModelRecord(m *coding.Model, id, topic, tenant, key string, size int64) api.Model {
	info := m.Info()
	metrics, _ := json.Marshal(info.Metrics)
	return api.Model{
		ModelId: id, Topic: topic, ModelType: info.ModelType,
		TopicStandard: info.TopicStandard, TopicVersion: info.TopicVersion,
		TrainedOn: info.TrainedOn, Metrics: metrics, SizeBytes: size, Tenant: tenant, Key: key,
		Training: &api.ModelTraining{
			TrainRecords: info.TrainRecords, HeldOutRecords: info.HeldOutRecords, RefitRecords: info.RefitRecords,
			Skipped: api.ModelTrainingSkipped{UnknownCode: info.Skipped.UnknownCode, Empty: info.Skipped.Empty},
		},
	}
}

// CanonicalGUID is a model or operation id as Ream stores it: a GUID in any letter case (GUIDs
// are case-insensitive) in lower case; anything else ("latest") as it is. Every way of naming a
// model (the coding routes' paths, a job's CodingConfig.ModelId) goes through Model, so none is
// refused for its case while another accepts it (found from outside: /v1/jobs answered 404 to
// an upper-case GUID the coding routes took).
func CanonicalGUID(s string) string {
	if len(s) == 36 {
		if u, err := uuid.Parse(s); err == nil {
			return u.String()
		}
	}
	return s
}

// CodeRecord codes one record into the result's Coding field.
func CodeRecord(m *coding.Model, occp, tasks string) *api.Coding {
	d := m.Code(occp, tasks)
	c := &api.Coding{Suggestions: make([]api.CodeResult, 0, len(d.Suggestions))}
	if d.Result != nil {
		c.Result = &api.CodeResult{CodeCategory: d.Result.Code, CodeLabel: d.Result.Label, CodeConfidence: d.Result.Confidence}
	}
	for _, p := range d.Suggestions {
		c.Suggestions = append(c.Suggestions, api.CodeResult{CodeCategory: p.Code, CodeLabel: p.Label, CodeConfidence: p.Confidence})
	}
	return c
}

// Status maps a job status to the coding service's operation status.
func Status(s job.Status) string {
	switch s {
	case job.AwaitingInput:
		return api.OpAwaitingInput
	case job.Submitted, job.InProgress, job.StopRequested:
		return api.OpInProgress
	case job.Completed, job.PartialSuccess:
		return api.OpComplete
	case job.TimedOut:
		return api.OpTimedOut
	default: // FAILED, STOPPED
		return api.OpFailed
	}
}

// BadReference is the error of a CodingConfig naming a topic or model that does not exist (or
// that the tenant may not use), or a model of another topic. A coding operation's come from its
// URL (/v1/topics/{topic}/models/{model}/batch-code): the coding service's 404 and 409 stand.
// Anywhere else (POST /v1/jobs, a retry, a drop rule's template) the CodingConfig is part of
// the request body: a bad reference there is a bad request (400) that says which field is
// wrong, not a missing resource (404 is for the URL's; found from outside). Other errors (the
// registry unreachable) are returned as they are.
func BadReference(req *api.CreateJobRequest, cc *job.CodingConfig, err error) error {
	if req.API == BatchCodeAPI {
		return err
	}
	switch {
	case errors.Is(err, ErrTopicNotFound):
		return fmt.Errorf("%w: CodingConfig.Topic %s is not a topic of this deployment (GET /v1/topics lists them: %s)",
			job.ErrInvalid, echoed(cc.Topic), strings.Join(topicNames(), ", "))
	case errors.Is(err, ErrModelNotFound):
		return fmt.Errorf("%w: CodingConfig.ModelId %s is not a model of topic %s that you may use (GET /v1/topics/%s/models lists them; omit ModelId, or give %q, for the newest)",
			job.ErrInvalid, echoed(cc.ModelId), cc.Topic, cc.Topic, Latest)
	case errors.Is(err, ErrModelTopic):
		return fmt.Errorf("%w: CodingConfig.ModelId %s is a model of another topic, not of %s (GET /v1/topics/%s/models lists that topic's models)",
			job.ErrInvalid, echoed(cc.ModelId), cc.Topic, cc.Topic)
	}
	return err
}

// BatchCodeAPI is the API of a job made by the coding service's batch-code route.
const BatchCodeAPI = "BatchCode"

// maxEchoed bounds the bytes of a caller's value an error message quotes.
const maxEchoed = 100

// echoed quotes s for an error message, cut to maxEchoed bytes (at a character boundary) with
// "…" after it when longer: a request's value may be of any length.
func echoed(s string) string {
	if len(s) <= maxEchoed {
		return strconv.Quote(s)
	}
	return strconv.Quote(textcut.Prefix(s, maxEchoed)) + "…"
}

// topicNames are the uriNames of the coding Schemes, sorted.
func topicNames() []string {
	out := make([]string, 0, len(Schemes))
	for uri := range Schemes {
		out = append(out, uri)
	}
	slices.Sort(out)
	return out
}

// CodedLine turns one output record (its JSON line) into the coding service's line.
func CodedLine(line []byte) ([]byte, error) {
	var rec struct {
		RecordId     string      `json:"RecordId"`
		Coding       *api.Coding `json:"Coding"`
		ErrorCode    string      `json:"ErrorCode"`
		ErrorMessage string      `json:"ErrorMessage"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		return nil, fmt.Errorf("output record: %w", err)
	}
	out := api.CodedRecord{RecordId: rec.RecordId}
	switch {
	case rec.ErrorCode != "":
		out.Error = &api.CodingError{Code: rec.ErrorCode, Message: rec.ErrorMessage}
	case rec.Coding != nil:
		out.Result, out.Suggestions = rec.Coding.Result, rec.Coding.Suggestions
		if out.Suggestions == nil {
			out.Suggestions = []api.CodeResult{}
		}
	}
	b, err := json.Marshal(out)
	return jsonw.EscapeNEL(b), err // one line for readers that split at U+0085, as the output's
}

// TooFewMessage says in the user's terms why a training job's records could not train a model
// (the held-out share is not the user's to set: the message says how many records to give).
func TooFewMessage(few *coding.TooFewExamplesError, sc Scheme) string {
	usable := fmt.Sprintf("usable: a minor-group (3-digit) code of %s %s and some words", sc.Topic.TopicStandard, sc.Topic.TopicVersion)
	if few.Usable() == 0 {
		return fmt.Sprintf("training failed: none of the labelled records is usable (%s; the others are error records); train on at least %d usable records with varied titles", usable, few.Needed())
	}
	if few.Train == 0 {
		// Every usable record fell in the held-out share (records of one title, or of a few
		// whose hashes fall there, as one title repeated does): the count of held-out records
		// may then be over the minimum, and the message below, "N of them held out … which
		// needs at least 50 held out", would contradict itself (found from outside).
		return fmt.Sprintf("training failed: too few labelled records to train on: all %d usable records are held out to calibrate and measure the model, leaving none to train it on; "+
			"records are held out by a hash of the title (about 1 record in %d, records of one title together), so train on at least %d usable records with varied titles (%s)",
			few.Usable(), int(math.Round(1/few.HeldOutShare)), few.Needed(), usable)
	}
	return fmt.Sprintf("training failed: too few labelled records: %d usable, %d of them held out to calibrate and measure the model, which needs at least %d held out; "+
		"about 1 record in %d is held out (by a hash of the title), so train on at least %d usable records with varied titles (%s)",
		few.Usable(), few.HeldOut, coding.MinHeldOut, int(math.Round(1/few.HeldOutShare)), few.Needed(), usable)
}

// Metadata is the metadata file of coding operation j, coded with model m.
func Metadata(j *job.Job, m api.Model) ([]byte, error) {
	sc := Schemes[j.CodingConfig.Topic]
	meta := api.CodingMetadata{
		OperationId: j.JobId,
		Topic:       sc.Topic.URIName,
		Classification: api.Classification{
			Standard: sc.Topic.TopicStandard, Version: sc.Topic.TopicVersion,
		},
		Model:   api.ModelRef{ModelId: m.ModelId, ModelVersion: m.ModelVersion, ModelReleaseDate: m.ModelReleaseDate, ModelType: m.ModelType},
		Records: j.JobDetails.InputDocumentsCount, RecordsWithErrors: j.JobDetails.DocumentsWithErrorsCount,
		SubmitTime: j.SubmitTime,
	}
	return json.MarshalIndent(meta, "", "  ")
}
