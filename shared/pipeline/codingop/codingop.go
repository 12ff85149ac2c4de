// Package codingop is the coding service in its own terms, apart from the Service that runs its
// use cases: the topics (coding schemes) a deployment codes to, the models' ids, keys and
// records, a model reference's errors, an operation's status, its coded lines and metadata
// file, and a training's refusal. The object store holds the model files:
//
//	models/_shipped/<topic>/<model id>.bin   a model that ships with Ream (every tenant's)
//	models/<tenant>/<topic>/<model id>.bin   a model the tenant trained (that tenant's alone)
package codingop

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
func CodedLine(line []byte) ([]byte, error) { return AppendCodedLine(nil, line) }

// AppendCodedLine appends to dst the coding service's line of one output record (its JSON line,
// without a line end). A coding operation's finalize calls it once per record, on one
// goroutine, before the operation is complete: it reads the record as output.Record writes it
// (appendRecord: exact keys, strings and floats as encoding/json renders them) without
// reflection and copies the coding's result and suggestions through as they are (json.Marshal
// would render them again to the same bytes); a record of any other shape is decoded
// (codedLineDecoded), so the line is byte for byte what decoding and encoding it gives
// (TestAppendCodedLineMatchesDecoding). Before, every record was decoded and encoded by
// reflection: about 15 of a 2,000,000-record operation's 80 CPU-seconds, all of it in
// finalize, after the last record was coded.
func AppendCodedLine(dst, line []byte) ([]byte, error) {
	if out, ok := appendCodedFast(dst, line); ok {
		return out, nil
	}
	b, err := codedLineDecoded(line)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// codedLineDecoded is AppendCodedLine's reference: the record decoded and the line encoded by
// encoding/json, as every line was made before.
func codedLineDecoded(line []byte) ([]byte, error) {
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

// appendCodedFast is AppendCodedLine for a record of the shape output.Record writes: a flat
// object whose keys are plain, none given twice, none but the exact ones folding to the four
// read, and a Coding written by the result encoder ({"result":{…},"suggestions":[…]}). ok is
// false, with dst as it was, for anything else, which is then decoded.
func appendCodedFast(dst, line []byte) (_ []byte, ok bool) {
	// The scanning below checks the shape it copies, not JSON's every rule (a trailing comma in
	// the suggestions was copied into the line, found by FuzzAppendCodedLine): a line that is not
	// JSON is left to the decoding, which refuses it. json.Valid allocates nothing.
	if !json.Valid(line) {
		return dst, false
	}
	var id, coding, code, msg []byte // raw values
	i := jsonw.SkipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return dst, false
	}
	i = jsonw.SkipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		i++
	} else {
		for {
			if i >= len(line) || line[i] != '"' {
				return dst, false
			}
			kend := plainStringEnd(line, i+1)
			if kend < 0 {
				return dst, false
			}
			key := line[i+1 : kend]
			i = jsonw.SkipSpace(line, kend+1)
			if i >= len(line) || line[i] != ':' {
				return dst, false
			}
			i = jsonw.SkipSpace(line, i+1)
			vend := jsonw.ValueEnd(line, i)
			if vend < 0 {
				return dst, false
			}
			val := line[i:vend]
			var slot *[]byte
			switch string(key) {
			case "RecordId":
				slot = &id
			case "Coding":
				slot = &coding
			case "ErrorCode":
				slot = &code
			case "ErrorMessage":
				slot = &msg
			default:
				for _, k := range []string{"RecordId", "Coding", "ErrorCode", "ErrorMessage"} {
					if strings.EqualFold(string(key), k) {
						return dst, false // encoding/json would read it as k
					}
				}
			}
			if slot == nil && !validSkipped(val) {
				return dst, false // the decoder would refuse it
			}
			if slot != nil {
				if *slot != nil {
					return dst, false // given twice: the decoder keeps the last
				}
				*slot = val
			}
			i = jsonw.SkipSpace(line, vend)
			if i < len(line) && line[i] == ',' {
				i = jsonw.SkipSpace(line, i+1)
				continue
			}
			if i < len(line) && line[i] == '}' {
				i++
				break
			}
			return dst, false
		}
	}
	if jsonw.SkipSpace(line, i) != len(line) {
		return dst, false
	}
	recordID, ok1 := plainString(id)
	errCode, ok2 := plainString(code)
	errMsg, ok3 := plainString(msg)
	if !ok1 || !ok2 || !ok3 {
		return dst, false
	}
	var result, suggestions []byte
	if errCode == "" && coding != nil && string(coding) != "null" {
		if result, suggestions, ok = splitCoding(coding); !ok {
			return dst, false
		}
	}
	out := append(dst, `{"recordId":`...)
	out = jsonw.AppendString(out, recordID, true)
	switch {
	case errCode != "":
		out = append(out, `,"error":{"code":`...)
		out = jsonw.AppendString(out, errCode, true)
		out = append(out, `,"message":`...)
		out = jsonw.AppendString(out, errMsg, true)
		out = append(out, '}')
	case coding != nil:
		if result != nil {
			out = append(out, `,"result":`...)
			out = append(out, result...)
		}
		if suggestions != nil {
			out = append(out, `,"suggestions":`...)
			out = append(out, suggestions...)
		}
	}
	return append(out, '}'), true
}

// splitCoding returns the raw result object (nil when absent or null) and suggestions array
// (nil when empty or null, which the coded line leaves out) of a Coding object written by the
// result encoder, ok=false for another shape.
func splitCoding(c []byte) (result, suggestions []byte, ok bool) {
	const r, s = `{"result":`, `"suggestions":`
	i := 1
	if bytes.HasPrefix(c, []byte(r)) {
		end := jsonw.ValueEnd(c, len(r))
		if end < 0 || end >= len(c) || c[end] != ',' {
			return nil, nil, false
		}
		if result = c[len(r):end]; string(result) == "null" {
			result = nil
		} else if !codeResultShape(result) {
			return nil, nil, false
		}
		i = end + 1
	} else if len(c) == 0 || c[0] != '{' {
		return nil, nil, false
	}
	if !bytes.HasPrefix(c[i:], []byte(s)) {
		return nil, nil, false
	}
	i += len(s)
	end := jsonw.ValueEnd(c, i)
	if end != len(c)-1 || c[end] != '}' {
		return nil, nil, false
	}
	switch suggestions = c[i:end]; string(suggestions) {
	case "null", "[]":
		suggestions = nil
	default:
		if suggestions[0] != '[' {
			return nil, nil, false
		}
		for j := 1; j < len(suggestions)-1; {
			e := jsonw.ValueEnd(suggestions, j)
			if e < 0 || !codeResultShape(suggestions[j:e]) {
				return nil, nil, false
			}
			if j = e; suggestions[j] == ',' {
				j++
			}
		}
	}
	return result, suggestions, true
}

// codeResultShape reports whether b is a code result as the result encoder writes it, and as
// encoding/json would write it again: {"codeCategory":"…","codeLabel":"…","codeConfidence":…}
// with plain strings that hold nothing it escapes, and the float as it renders it.
func codeResultShape(b []byte) bool {
	for _, k := range []string{`{"codeCategory":`, `,"codeLabel":`} {
		if !bytes.HasPrefix(b, []byte(k)) {
			return false
		}
		b = b[len(k):]
		if len(b) == 0 || b[0] != '"' {
			return false
		}
		end := plainStringEnd(b, 1)
		if end < 0 || escapedByEncoder(b[1:end]) {
			return false
		}
		b = b[end+1:]
	}
	const k = `,"codeConfidence":`
	if !bytes.HasPrefix(b, []byte(k)) || len(b) < len(k)+2 || b[len(b)-1] != '}' {
		return false
	}
	num := b[len(k) : len(b)-1]
	for _, c := range num {
		if !('0' <= c && c <= '9' || c == '.' || c == '-' || c == 'e' || c == '+') {
			return false
		}
	}
	// The float as encoding/json writes it again: the same bytes when they are its rendering.
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return false
	}
	var buf [32]byte
	again, err := jsonw.AppendFloat(buf[:0], f, 64)
	return err == nil && bytes.Equal(again, num)
}

// validSkipped reports whether val, a value of a key the coded line does not read, is valid
// JSON; a plain string is, as far as the decoder goes (it replaces invalid UTF-8).
func validSkipped(val []byte) bool {
	if val[0] == '"' && plainStringEnd(val, 1) == len(val)-1 {
		return true
	}
	return json.Valid(val)
}

// plainString is the value of a raw JSON string that holds no escape and no byte encoding/json
// would escape or replace ("" for nil: an absent field); ok=false otherwise.
func plainString(raw []byte) (string, bool) {
	if raw == nil {
		return "", true
	}
	if len(raw) < 2 || raw[0] != '"' || plainStringEnd(raw, 1) != len(raw)-1 {
		return "", false
	}
	return string(raw[1 : len(raw)-1]), true
}

// plainStringEnd is the index of the quote that ends the JSON string whose text starts at
// b[i], or -1 when the string is not plain: it holds a backslash or a control character (the
// caller decodes such a record instead), or invalid UTF-8.
func plainStringEnd(b []byte, i int) int {
	for j := i; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !utf8.Valid(b[i:j]) {
				return -1
			}
			return j
		case c == '\\' || c < 0x20:
			return -1
		}
	}
	return -1
}

// escapedByEncoder reports whether s, a plain string's text, holds a character encoding/json
// escapes although it needs no escape in JSON: '<', '>', '&', U+2028, U+2029, and U+0085
// (which EscapeNEL escapes after it).
func escapedByEncoder(s []byte) bool {
	multi := false
	for _, c := range s {
		switch {
		case c == '<' || c == '>' || c == '&':
			return true
		case c >= utf8.RuneSelf:
			multi = true
		}
	}
	return multi && (bytes.Contains(s, []byte("\u0085")) || bytes.Contains(s, []byte("\u2028")) || bytes.Contains(s, []byte("\u2029")))
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
