package handlers

// Amazon Comprehend's asynchronous-jobs API (AWS JSON 1.1, target prefix Comprehend_20171127)
// over Ream's jobs, so that code written for Comprehend (boto3, the AWS SDKs, the AWS CLI) runs
// against Ream with only its endpoint changed. Each of the six job kinds is one Ream analysis; a
// job shows through this surface under the kind it was started for (Analyses exactly [that
// analysis]), and it is the same job GET /v1/jobs lists.
//
// Status mapping (Ream → Comprehend JobStatus):
//
//	AWAITING_INPUT, SUBMITTED → SUBMITTED
//	IN_PROGRESS               → IN_PROGRESS
//	COMPLETED                 → COMPLETED
//	PARTIAL_SUCCESS           → COMPLETED (Message says how many documents had errors)
//	FAILED, TIMED_OUT         → FAILED (Message says why)
//	STOP_REQUESTED            → STOP_REQUESTED
//	STOPPED                   → STOPPED

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/pagetoken"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/request"
)

// ComprehendTargetPrefix is the X-Amz-Target prefix of Comprehend's operations.
const ComprehendTargetPrefix = "Comprehend_20171127."

// ComprehendConfig configures the Comprehend surface.
type ComprehendConfig struct {
	// Bucket is the bucket name s3:// URIs use. Locally it maps onto the local object store
	// ("s3://<Bucket>/<key>" names the object <key>); on AWS it is the stack's bucket, whose
	// Locations are already s3://<Bucket>/.
	Bucket string
	// Partition, Region and Account appear in job ARNs (defaults "aws", "local" and
	// "000000000000"): on AWS the deployment's own (aws-cn in China, aws-us-gov in GovCloud).
	Partition string
	Region    string
	Account   string
}

// comprehendKind is one of Comprehend's six asynchronous job kinds.
type comprehendKind struct {
	Name     string       // as in the operation names: Start<Name>DetectionJob
	Analysis job.Analysis // the Ream analysis
	ARNType  string       // the job ARN's resource type
	Language bool         // LanguageCode is a (required) field of the kind
	Stop     bool         // Comprehend has Stop<Name>DetectionJob
}

var comprehendKinds = []comprehendKind{
	{"DominantLanguage", job.Language, "dominant-language-detection-job", false, true},
	{"Sentiment", job.Sentiment, "sentiment-detection-job", true, true},
	{"Entities", job.Entities, "entities-detection-job", true, true},
	{"KeyPhrases", job.KeyPhrases, "key-phrases-detection-job", true, true},
	{"PiiEntities", job.PII, "pii-entities-detection-job", true, true},
	{"Topics", job.Topics, "topics-detection-job", false, false},
}

// comprehendOp is a parsed operation name.
type comprehendOp struct {
	verb string // Start, Describe, List, Stop
	kind comprehendKind
}

func parseComprehendOp(name string) (comprehendOp, bool) {
	for _, k := range comprehendKinds {
		switch name {
		case "Start" + k.Name + "DetectionJob":
			return comprehendOp{"Start", k}, true
		case "Describe" + k.Name + "DetectionJob":
			return comprehendOp{"Describe", k}, true
		case "List" + k.Name + "DetectionJobs":
			return comprehendOp{"List", k}, true
		case "Stop" + k.Name + "DetectionJob":
			if k.Stop {
				return comprehendOp{"Stop", k}, true
			}
		}
	}
	return comprehendOp{}, false
}

// ComprehendError is an error answered with one of Comprehend's error types.
type ComprehendError struct {
	Type    string
	Status  int
	Message string
}

func (e *ComprehendError) Error() string { return e.Type + ": " + e.Message }

func cErr(typ string, format string, a ...any) error {
	return &ComprehendError{Type: typ, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, a...)}
}

func missing(field string) error {
	return cErr("InvalidRequestException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

// notInEnum refuses a value outside one of Comprehend's enums (exact, case-sensitive), as its
// validation does.
func notInEnum(field, v string, set ...string) error {
	if slices.Contains(set, v) {
		return nil
	}
	return cErr("InvalidRequestException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, field, strings.Join(set, ", "))
}

// tooShort refuses a member sent empty where Comprehend's model gives it a minimum length of 1;
// value is the member as the message quotes it: empty for a string, [] for a list.
func tooShort(field, value string) error {
	return cErr("InvalidRequestException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", value, field)
}

// tooLong refuses a member longer than Comprehend's model allows (max characters, or items of a list).
func tooLong(field string, max int) error {
	return cErr("InvalidRequestException", "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, max)
}

// unlikePattern refuses a member outside the pattern Comprehend's model gives it (pattern as
// the model writes it, or as a reader would: "[-0-9a-zA-Z]+ (1-32 characters)").
func unlikePattern(field, value, pattern string) error {
	return cErr("InvalidRequestException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", truncate(value, maxEchoedID), field, pattern)
}

// Limits of Comprehend's model that only this surface has: an S3Uri's length (Ream's own limit
// is on the object key, layout.MaxKeyBytes), a JobId's (Comprehend's ids are at most 32
// characters; Ream's dashed UUIDs, which this surface also takes, are 36), DocumentReaderConfig's
// FeatureTypes, and its KMS key ids' length and pattern (^\p{ASCII}+$, which no empty one matches).
const (
	maxS3Uri        = 1024
	maxJobID        = 32
	maxFeatureTypes = 2
	maxKMSKeyID     = 2048
	asciiPattern    = `^\p{ASCII}+$`
)

// ascii reports whether s matches asciiPattern.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return s != ""
}

// Comprehend's enums of the values this surface shows: a Ream value outside them is shown
// within them (comprehendLanguage, comprehendFormat), so that clients whose types are
// generated from Comprehend's model (Java, Go, .NET enums) can read every job.
var (
	comprehendLanguageCodes = []string{"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"}
	comprehendInputFormats  = []string{string(job.OneDocPerFile), string(job.OneDocPerLine)}
	comprehendReadModes     = []string{"SERVICE_DEFAULT", "FORCE_DOCUMENT_READ_ACTION"}
	comprehendMaskModes     = []string{analysis.RedactMask, analysis.RedactReplaceWithType}
)

// comprehendLanguage is a job's LanguageCode (canonical, as /v1 stores it: "en-GB", "zh-Hant")
// within Comprehend's enum: its language ("en-GB" → "en"), Chinese as zh-TW when Traditional
// (script Hant, or, without a script, region TW, HK or MO) and zh otherwise; "" (shown as no
// LanguageCode) for a language the enum does not name ("nb", "no").
func comprehendLanguage(code string) string {
	if slices.Contains(comprehendLanguageCodes, code) {
		return code
	}
	tag, err := language.Parse(code)
	if err != nil {
		return ""
	}
	base, _ := tag.Base()
	if base.String() == "zh" {
		// The script, written or implied by the region (zh-TW, zh-HK, zh-MO: Hant).
		if script, _ := tag.Script(); script.String() == "Hant" {
			return "zh-TW"
		}
		return "zh"
	}
	if slices.Contains(comprehendLanguageCodes, base.String()) {
		return base.String()
	}
	return ""
}

// comprehendFormat is a job's InputFormat within Comprehend's enum: /v1's JSONL is shown as
// ONE_DOC_PER_LINE, as each of its lines is one document (GET /v1/jobs/{id} shows JSONL).
func comprehendFormat(f job.Format) string {
	if f == job.JSONLines {
		return string(job.OneDocPerLine)
	}
	return string(f)
}

// comprehend serves POST / for the Comprehend surface.
type comprehend struct {
	a    *API
	auth Authenticator
	cfg  ComprehendConfig
	loc  layout.Locations
}

// ComprehendService is the SigV4 service name Comprehend requests are signed for.
const ComprehendService = "comprehend"

// WithComprehend serves Comprehend's asynchronous-jobs operations at POST / (AWS JSON 1.1),
// authenticated by auth (SigV4Auth with service ComprehendService).
func (a *API) WithComprehend(auth Authenticator, cfg ComprehendConfig) *API {
	if cfg.Partition == "" {
		cfg.Partition = "aws"
	}
	if cfg.Region == "" {
		cfg.Region = "local"
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	c := &comprehend{a: a, auth: auth, cfg: cfg, loc: a.svc.Config().Locations}
	a.mux.Handle("POST /{$}", c)
	return a
}

func (c *comprehend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	opName, isComprehend := strings.CutPrefix(target, ComprehendTargetPrefix)
	tenant, err := authTenant(c.auth, r)
	if err != nil {
		c.fail(w, r, "", err)
		return
	}
	if !isComprehend {
		c.fail(w, r, "", cErr("UnknownOperationException", "X-Amz-Target %q is not a Comprehend_20171127 operation", target))
		return
	}
	op, ok := parseComprehendOp(opName)
	if !ok {
		c.fail(w, r, "", cErr("UnknownOperationException", "operation %s is not supported by this endpoint (supported: Start/Describe/List of the six detection job kinds and Stop of the five Comprehend can stop)", opName))
		return
	}
	var body map[string]json.RawMessage
	if err := decodeJSON(r.Body, &body, "a JSON object", false); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.fail(w, r, op.verb, err)
			return
		}
		c.fail(w, r, op.verb, &ComprehendError{Type: "SerializationException", Status: http.StatusBadRequest, Message: api.Message(err)})
		return
	}
	raw, _ := json.Marshal(body) // re-decoded per operation below
	var out any
	switch op.verb {
	case "Start":
		out, err = c.start(r, tenant, op.kind, raw)
	case "Describe":
		out, err = c.describe(r, tenant, op.kind, raw)
	case "List":
		out, err = c.list(r, tenant, op.kind, raw)
	case "Stop":
		out, err = c.stop(r, tenant, op.kind, raw)
	}
	if err != nil {
		c.fail(w, r, op.verb, err)
		return
	}
	writeAmzJSON(w, http.StatusOK, out)
}

func writeAmzJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", newRequestID())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// fail answers err as Comprehend does: {"__type", "Message"} with the type also in
// X-Amzn-ErrorType. Ream's errors are mapped through api.StatusOf.
func (c *comprehend) fail(w http.ResponseWriter, r *http.Request, verb string, err error) {
	status, typ, msg := c.errorOf(verb, err)
	if status == http.StatusInternalServerError {
		c.a.log.ErrorContext(r.Context(), "comprehend request failed", "target", r.Header.Get("X-Amz-Target"), "err", err)
	}
	w.Header().Set("X-Amzn-ErrorType", typ)
	writeAmzJSON(w, status, map[string]string{"__type": typ, "Message": msg})
}

func (c *comprehend) errorOf(verb string, err error) (int, string, string) {
	var ce *ComprehendError
	if errors.As(err, &ce) {
		return ce.Status, ce.Type, c.s3Text(ce.Message)
	}
	var se *SigV4Error
	if errors.As(err, &se) {
		return se.Status, se.Type, se.Message
	}
	var dl *analysis.DeclaredLanguageError
	if errors.As(err, &dl) {
		// Comprehend's Start operations require LanguageCode: advise a supported one, not
		// leaving it out, which boto3 refuses (found from outside).
		return http.StatusBadRequest, "InvalidRequestException", strings.Join(dl.Refused, "; ") + "; give a LanguageCode the job's analyses support (en), or use Ream's /v1 API, where LanguageCode may be left out to detect each document's language"
	}
	status, _ := api.StatusOf(err)
	msg := jobIDText.ReplaceAllStringFunc(c.s3Text(api.Message(err)), func(m string) string {
		return m[:len(m)-36] + comprehendJobID(m[len(m)-36:]) // the character before the id kept
	})
	if errors.Is(err, request.ErrTooManyTags) {
		return http.StatusBadRequest, "TooManyTagsException", msg
	}
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return http.StatusBadRequest, "InvalidRequestException", msg
	case http.StatusNotFound:
		return http.StatusBadRequest, "JobNotFoundException", msg
	case http.StatusConflict:
		if verb == "Stop" { // Comprehend: stopping a finished job is an invalid request
			return http.StatusBadRequest, "InvalidRequestException", msg
		}
		return http.StatusBadRequest, "ResourceInUseException", msg
	case http.StatusUnauthorized:
		return http.StatusBadRequest, "UnrecognizedClientException", msg
	case http.StatusForbidden:
		return http.StatusBadRequest, "InvalidSignatureException", msg
	case http.StatusServiceUnavailable: // Comprehend's answer to a throttled request; SDKs retry it
		return http.StatusBadRequest, "TooManyRequestsException", msg
	}
	return http.StatusInternalServerError, "InternalServerException", msg
}

// s3Text rewrites the local store's URIs in a message to the s3:// names the caller used.
func (c *comprehend) s3Text(msg string) string {
	if c.cfg.Bucket == "" || c.loc.Base == "" {
		return msg
	}
	return strings.ReplaceAll(msg, c.loc.Base, "s3://"+c.cfg.Bucket+"/")
}

// toStore maps an s3:// URI of the configured bucket onto the store's location; other URIs
// are passed on (and refused by the pipeline if they are outside the store).
func (c *comprehend) toStore(uri string) string {
	if c.cfg.Bucket != "" {
		if key, ok := strings.CutPrefix(uri, "s3://"+c.cfg.Bucket+"/"); ok {
			return c.loc.URI(key)
		}
	}
	return uri
}

// toS3 maps a store location onto its s3:// name.
func (c *comprehend) toS3(uri string) string {
	if c.cfg.Bucket == "" {
		return uri
	}
	if key, err := c.loc.Key(uri); err == nil {
		return "s3://" + c.cfg.Bucket + "/" + key
	}
	return uri
}

// Request and response shapes (Comprehend's field names).

type cInputDataConfig struct {
	S3Uri                string                 `json:"S3Uri"`
	InputFormat          string                 `json:"InputFormat,omitempty"`
	DocumentReaderConfig *cDocumentReaderConfig `json:"DocumentReaderConfig,omitempty"`
}

// cDocumentReaderConfig is Comprehend's (for PDFs and images, read through Textract): Ream reads
// text and ignores it, but checks it as Comprehend does, so that a request Comprehend would
// refuse is not accepted here.
type cDocumentReaderConfig struct {
	DocumentReadAction string   `json:"DocumentReadAction"`
	DocumentReadMode   string   `json:"DocumentReadMode,omitempty"`
	FeatureTypes       []string `json:"FeatureTypes,omitempty"` // [] is not nil: refused (1-2 items)
}

// check refuses what Comprehend refuses: a missing DocumentReadAction, a value outside an enum.
func (d *cDocumentReaderConfig) check() error {
	const at = "inputDataConfig.documentReaderConfig."
	if d.DocumentReadAction == "" {
		return missing(at + "documentReadAction")
	}
	oneOf := func(field, v string, set ...string) error { return notInEnum(at+field, v, set...) }
	if err := oneOf("documentReadAction", d.DocumentReadAction, "TEXTRACT_DETECT_DOCUMENT_TEXT", "TEXTRACT_ANALYZE_DOCUMENT"); err != nil {
		return err
	}
	if d.DocumentReadMode != "" { // sent empty: emptyMembers refused it
		if err := oneOf("documentReadMode", d.DocumentReadMode, comprehendReadModes...); err != nil {
			return err
		}
	}
	switch {
	case d.FeatureTypes != nil && len(d.FeatureTypes) == 0:
		return tooShort(at+"featureTypes", "[]")
	case len(d.FeatureTypes) > maxFeatureTypes:
		return tooLong(at+"featureTypes", maxFeatureTypes)
	}
	for _, f := range d.FeatureTypes {
		if err := oneOf("featureTypes", f, "TABLES", "FORMS"); err != nil {
			return err
		}
	}
	return nil
}

type cOutputDataConfig struct {
	S3Uri    string `json:"S3Uri"`
	KmsKeyId string `json:"KmsKeyId,omitempty"`
}

type cRedactionConfig struct {
	PiiEntityTypes []string `json:"PiiEntityTypes,omitempty"`
	MaskMode       string   `json:"MaskMode,omitempty"`
	MaskCharacter  string   `json:"MaskCharacter,omitempty"`
}

type cStartRequest struct {
	InputDataConfig     *cInputDataConfig  `json:"InputDataConfig"`
	OutputDataConfig    *cOutputDataConfig `json:"OutputDataConfig"`
	DataAccessRoleArn   *string            `json:"DataAccessRoleArn"`
	JobName             string             `json:"JobName"`
	LanguageCode        *string            `json:"LanguageCode"`
	ClientRequestToken  string             `json:"ClientRequestToken"`
	Tags                []job.Tag          `json:"Tags"`
	Mode                *string            `json:"Mode"`
	RedactionConfig     *cRedactionConfig  `json:"RedactionConfig"`
	NumberOfTopics      *int               `json:"NumberOfTopics"`
	EntityRecognizerArn *string            `json:"EntityRecognizerArn"` // refused, even empty (which Comprehend's pattern refuses)
	FlywheelArn         *string            `json:"FlywheelArn"`
	// Recorded and echoed by Describe, not used (Ream analyses with its own resources); typed as
	// Comprehend's, so that a value of the wrong JSON type is a SerializationException as for
	// every other field, and checked against Comprehend's constraints (checkLimits).
	VolumeKmsKeyId string         `json:"VolumeKmsKeyId"`
	VpcConfig      *job.VpcConfig `json:"VpcConfig"`
}

// vpcIDRE is Comprehend's pattern of a security group or subnet id (1-32 characters).
var vpcIDRE = regexp.MustCompile(`^[-0-9a-zA-Z]{1,32}$`)

// checkLimits checks the S3 URIs, the KMS key ids and VpcConfig as Comprehend's model
// constrains them (the empty values are refused by emptyMembers).
func (in *cStartRequest) checkLimits() error {
	for _, u := range []struct{ field, uri string }{{"inputDataConfig.s3Uri", in.InputDataConfig.S3Uri}, {"outputDataConfig.s3Uri", in.OutputDataConfig.S3Uri}} {
		if utf8.RuneCountInString(u.uri) > maxS3Uri {
			return tooLong(u.field, maxS3Uri)
		}
	}
	for _, k := range []struct{ field, id string }{{"volumeKmsKeyId", in.VolumeKmsKeyId}, {"outputDataConfig.kmsKeyId", in.OutputDataConfig.KmsKeyId}} {
		if k.id == "" {
			continue
		}
		if utf8.RuneCountInString(k.id) > maxKMSKeyID {
			return tooLong(k.field, maxKMSKeyID)
		}
		if !ascii(k.id) {
			return unlikePattern(k.field, k.id, asciiPattern)
		}
	}
	v := in.VpcConfig
	if v == nil {
		return nil
	}
	for _, l := range []struct {
		field string
		ids   []string
		max   int
	}{{"vpcConfig.securityGroupIds", v.SecurityGroupIds, 5}, {"vpcConfig.subnets", v.Subnets, 16}} {
		if l.ids == nil {
			return missing(l.field)
		}
		if len(l.ids) > l.max {
			return tooLong(l.field, l.max)
		}
		for _, id := range l.ids {
			if !vpcIDRE.MatchString(id) {
				return unlikePattern(l.field, id, "[-0-9a-zA-Z]+ (1-32 characters)")
			}
		}
	}
	return nil
}

func decodeOp(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return &ComprehendError{Type: "SerializationException", Status: http.StatusBadRequest, Message: jsonProblem(err)}
	}
	return emptyMembers(raw)
}

// emptyMembers refuses the optional members no empty value of which Comprehend's model allows
// (a minimum length of 1, an enum, the pattern of a KMS key id) when a request sends them empty:
// the operations' types cannot tell "" (or []) from absent, and an empty JobName made a job
// without a name, an empty MaskCharacter masked with '*', an empty ClientRequestToken a job
// without one (the AWS SDKs generate a token only for a nil one and send "" as it is, so each
// retry of such a Start made another job), an empty InputFormat, DocumentReadMode, MaskMode or
// KMS key id was taken as none. (An empty Filter.JobStatus is the List's to refuse, as
// InvalidFilterException like any JobStatus outside the enum.)
func emptyMembers(raw []byte) error {
	var in struct {
		JobName            *string `json:"JobName"`
		ClientRequestToken *string `json:"ClientRequestToken"`
		NextToken          *string `json:"NextToken"`
		VolumeKmsKeyId     *string `json:"VolumeKmsKeyId"`
		InputDataConfig    *struct {
			InputFormat          *string `json:"InputFormat"`
			DocumentReaderConfig *struct {
				DocumentReadMode *string `json:"DocumentReadMode"`
			} `json:"DocumentReaderConfig"`
		} `json:"InputDataConfig"`
		OutputDataConfig *struct {
			KmsKeyId *string `json:"KmsKeyId"`
		} `json:"OutputDataConfig"`
		Filter *struct {
			JobName *string `json:"JobName"`
		} `json:"Filter"`
		RedactionConfig *struct {
			MaskCharacter *string `json:"MaskCharacter"`
			MaskMode      *string `json:"MaskMode"`
		} `json:"RedactionConfig"`
		VpcConfig *struct {
			SecurityGroupIds *[]string `json:"SecurityGroupIds"`
			Subnets          *[]string `json:"Subnets"`
		} `json:"VpcConfig"`
	}
	if json.Unmarshal(raw, &in) != nil {
		return nil // a body of another shape: its operation's own decoding answered it
	}
	switch {
	case in.JobName != nil && *in.JobName == "":
		return tooShort("jobName", "")
	case in.ClientRequestToken != nil && *in.ClientRequestToken == "":
		return tooShort("clientRequestToken", "")
	case in.Filter != nil && in.Filter.JobName != nil && *in.Filter.JobName == "":
		return tooShort("filter.jobName", "")
	case in.NextToken != nil && *in.NextToken == "":
		return tooShort("nextToken", "")
	case in.RedactionConfig != nil && in.RedactionConfig.MaskCharacter != nil && *in.RedactionConfig.MaskCharacter == "":
		return tooShort("redactionConfig.maskCharacter", "")
	case in.RedactionConfig != nil && in.RedactionConfig.MaskMode != nil && *in.RedactionConfig.MaskMode == "":
		return notInEnum("redactionConfig.maskMode", "", comprehendMaskModes...)
	case in.InputDataConfig != nil && in.InputDataConfig.InputFormat != nil && *in.InputDataConfig.InputFormat == "":
		return notInEnum("inputDataConfig.inputFormat", "", comprehendInputFormats...)
	case in.InputDataConfig != nil && in.InputDataConfig.DocumentReaderConfig != nil &&
		in.InputDataConfig.DocumentReaderConfig.DocumentReadMode != nil && *in.InputDataConfig.DocumentReaderConfig.DocumentReadMode == "":
		return notInEnum("inputDataConfig.documentReaderConfig.documentReadMode", "", comprehendReadModes...)
	case in.VolumeKmsKeyId != nil && *in.VolumeKmsKeyId == "":
		return unlikePattern("volumeKmsKeyId", "", asciiPattern)
	case in.OutputDataConfig != nil && in.OutputDataConfig.KmsKeyId != nil && *in.OutputDataConfig.KmsKeyId == "":
		return unlikePattern("outputDataConfig.kmsKeyId", "", asciiPattern)
	case in.VpcConfig != nil && in.VpcConfig.SecurityGroupIds != nil && len(*in.VpcConfig.SecurityGroupIds) == 0:
		return tooShort("vpcConfig.securityGroupIds", "[]")
	case in.VpcConfig != nil && in.VpcConfig.Subnets != nil && len(*in.VpcConfig.Subnets) == 0:
		return tooShort("vpcConfig.subnets", "[]")
	}
	return nil
}

func (c *comprehend) start(r *http.Request, tenant string, k comprehendKind, raw []byte) (any, error) {
	var in cStartRequest
	if err := decodeOp(raw, &in); err != nil {
		return nil, err
	}
	switch {
	case in.InputDataConfig == nil:
		return nil, missing("inputDataConfig")
	case in.InputDataConfig.S3Uri == "":
		return nil, missing("inputDataConfig.s3Uri")
	case in.OutputDataConfig == nil:
		return nil, missing("outputDataConfig")
	case in.OutputDataConfig.S3Uri == "":
		return nil, missing("outputDataConfig.s3Uri")
	case in.DataAccessRoleArn == nil || *in.DataAccessRoleArn == "":
		return nil, missing("dataAccessRoleArn")
	case k.Language && in.LanguageCode == nil:
		return nil, missing("languageCode")
	case k.Analysis == job.PII && (in.Mode == nil || *in.Mode == ""):
		return nil, missing("mode")
	}
	if k.Language {
		// Comprehend's enum, exactly: "en-GB" and "EN" are refused, as Comprehend refuses them
		// (/v1 takes any case and a region).
		if err := notInEnum("languageCode", *in.LanguageCode, comprehendLanguageCodes...); err != nil {
			return nil, err
		}
	}
	if d := in.InputDataConfig.DocumentReaderConfig; d != nil {
		if err := d.check(); err != nil {
			return nil, err
		}
	}
	if err := in.checkLimits(); err != nil {
		return nil, err
	}
	if in.EntityRecognizerArn != nil || in.FlywheelArn != nil {
		return nil, cErr("InvalidRequestException", "custom entity recognizers (EntityRecognizerArn, FlywheelArn) are not supported; Ream detects the built-in entity types")
	}
	format := in.InputDataConfig.InputFormat
	if format == "" {
		format = string(job.OneDocPerFile) // Comprehend's default
	} else if err := notInEnum("inputDataConfig.inputFormat", format, comprehendInputFormats...); err != nil {
		return nil, err // Comprehend's enum: Ream's JSONL is a /v1 format only
	}
	req := api.CreateJobRequest{
		JobName:            in.JobName,
		Analyses:           []job.Analysis{k.Analysis},
		InputDataConfig:    job.InputDataConfig{S3Uri: c.toStore(in.InputDataConfig.S3Uri), InputFormat: job.Format(format)},
		OutputDataConfig:   job.OutputDataConfig{S3Uri: c.toStore(in.OutputDataConfig.S3Uri), KmsKeyId: in.OutputDataConfig.KmsKeyId},
		ClientRequestToken: in.ClientRequestToken,
		Tags:               in.Tags,
		DataAccessRoleArn:  *in.DataAccessRoleArn,
		API:                "Start" + k.Name + "DetectionJob",
		VolumeKmsKeyId:     in.VolumeKmsKeyId,
		VpcConfig:          in.VpcConfig,
	}
	if k.Language {
		req.LanguageCode = *in.LanguageCode
	}
	if k.Analysis == job.PII {
		switch *in.Mode {
		case "ONLY_OFFSETS":
			if in.RedactionConfig != nil {
				return nil, cErr("InvalidRequestException", "RedactionConfig is for Mode ONLY_REDACTION")
			}
		case "ONLY_REDACTION":
			if in.RedactionConfig == nil {
				return nil, missing("redactionConfig")
			}
			// An absent MaskMode is defaulted by the pipeline's check, as on /v1.
			req.RedactionConfig = &job.RedactionConfig{PiiEntityTypes: in.RedactionConfig.PiiEntityTypes, MaskMode: in.RedactionConfig.MaskMode, MaskCharacter: in.RedactionConfig.MaskCharacter}
		default:
			return nil, cErr("InvalidRequestException", "Mode must be ONLY_OFFSETS or ONLY_REDACTION")
		}
	}
	if in.NumberOfTopics != nil {
		if k.Analysis != job.Topics {
			return nil, cErr("InvalidRequestException", "NumberOfTopics is a field of StartTopicsDetectionJob")
		}
		req.NumberOfTopics = in.NumberOfTopics // its range is the pipeline's check, as on /v1
	}
	res, err := c.a.svc.CreateJob(r.Context(), tenant, req)
	if err != nil {
		return nil, err
	}
	j := res.Job
	return map[string]any{"JobId": comprehendJobID(j.JobId), "JobArn": c.arn(k, j.JobId), "JobStatus": comprehendStatus(j.JobStatus)}, nil
}

func (c *comprehend) arn(k comprehendKind, id string) string {
	return fmt.Sprintf("arn:%s:comprehend:%s:%s:%s/%s", c.cfg.Partition, c.cfg.Region, c.cfg.Account, k.ARNType, comprehendJobID(id))
}

// comprehendJobID is a job id as Comprehend shows it: Ream's UUID without its dashes, 32 hex
// digits, as Comprehend's job ids are (at most 32 characters; code and columns are sized so).
// jobIDText finds the job ids a Message names ("job 2c241a35-6f7b-…"), which it shows as the
// surface shows them (comprehendJobID); ids inside locations are left as they are.
var jobIDText = regexp.MustCompile(`(?:^|[^/\w-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)

func comprehendJobID(id string) string {
	if len(id) == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-' {
		return id[:8] + id[9:13] + id[14:18] + id[19:23] + id[24:]
	}
	return id
}

// reamJobID is the job id a Comprehend request names, back in Ream's form: 32 lower-case hex
// digits (a UUID as comprehendJobID writes it) get their dashes again; anything else (a dashed
// id from the /v1 API) is used as it is.
func reamJobID(id string) string {
	if len(id) == 32 && strings.ToLower(id) == id {
		if u, err := uuid.Parse(id); err == nil {
			return u.String()
		}
	}
	return id
}

// comprehendStatus maps a Ream status to Comprehend's JobStatus (see the package comment).
func comprehendStatus(s job.Status) string {
	switch s {
	case job.AwaitingInput, job.Submitted:
		return "SUBMITTED"
	case job.PartialSuccess:
		return "COMPLETED"
	case job.TimedOut:
		return "FAILED"
	}
	return string(s)
}

// reamStatuses are the Ream statuses a Comprehend JobStatus filter matches.
func reamStatuses(s string) ([]job.Status, bool) {
	switch s {
	case "SUBMITTED":
		return []job.Status{job.AwaitingInput, job.Submitted}, true
	case "IN_PROGRESS":
		return []job.Status{job.InProgress}, true
	case "COMPLETED":
		return []job.Status{job.Completed, job.PartialSuccess}, true
	case "FAILED":
		return []job.Status{job.Failed, job.TimedOut}, true
	case "STOP_REQUESTED":
		return []job.Status{job.StopRequested}, true
	case "STOPPED":
		return []job.Status{job.Stopped}, true
	}
	return nil, false
}

func epoch(t time.Time) float64 {
	return math.Round(float64(t.UnixMilli())) / 1000
}

func isKind(j *job.Job, k comprehendKind) bool {
	return len(j.Analyses) == 1 && j.Analyses[0] == k.Analysis
}

// properties is <Kind>DetectionJobProperties of j.
func (c *comprehend) properties(k comprehendKind, j *job.Job) map[string]any {
	p := map[string]any{
		"JobId":      comprehendJobID(j.JobId),
		"JobArn":     c.arn(k, j.JobId),
		"JobStatus":  comprehendStatus(j.JobStatus),
		"SubmitTime": epoch(j.SubmitTime),
		"InputDataConfig": cInputDataConfig{
			S3Uri: c.toS3(j.InputDataConfig.S3Uri), InputFormat: comprehendFormat(j.InputDataConfig.InputFormat),
		},
		"OutputDataConfig": cOutputDataConfig{
			S3Uri: c.toS3(j.OutputDataConfig.S3Uri) + api.ArchiveName, KmsKeyId: j.OutputDataConfig.KmsKeyId,
		},
	}
	if j.JobName != "" {
		p["JobName"] = j.JobName
	}
	msg := j.Message
	if j.JobStatus == job.PartialSuccess && msg == "" {
		msg = fmt.Sprintf("%d of %d documents had errors (see the output's error records)", j.JobDetails.DocumentsWithErrorsCount, j.JobDetails.InputDocumentsCount)
	}
	if j.JobStatus == job.TimedOut && msg == "" {
		msg = "the input never arrived (timed out)"
	}
	if msg != "" {
		p["Message"] = c.s3Text(msg) // the job's Message names its input as the store does
	}
	if j.EndTime != nil {
		p["EndTime"] = epoch(*j.EndTime)
	}
	if j.DataAccessRoleArn != "" {
		p["DataAccessRoleArn"] = j.DataAccessRoleArn
	}
	if j.VolumeKmsKeyId != "" {
		p["VolumeKmsKeyId"] = j.VolumeKmsKeyId
	}
	if j.VpcConfig != nil {
		p["VpcConfig"] = j.VpcConfig
	}
	if lang := comprehendLanguage(j.LanguageCode); k.Language && lang != "" {
		p["LanguageCode"] = lang
	}
	if k.Analysis == job.PII {
		if rc := j.RedactOutput; rc != nil {
			p["Mode"] = "ONLY_REDACTION"
			p["RedactionConfig"] = cRedactionConfig{PiiEntityTypes: rc.PiiEntityTypes, MaskMode: rc.MaskMode, MaskCharacter: rc.MaskCharacter}
		} else {
			p["Mode"] = "ONLY_OFFSETS"
		}
	}
	if k.Analysis == job.Topics {
		p["NumberOfTopics"] = j.NumberOfTopics
	}
	return p
}

type cJobIDRequest struct {
	JobId *string `json:"JobId"`
}

func (c *comprehend) job(r *http.Request, tenant string, k comprehendKind, raw []byte) (*job.Job, error) {
	var in cJobIDRequest
	if err := decodeOp(raw, &in); err != nil {
		return nil, err
	}
	switch {
	case in.JobId == nil:
		return nil, missing("jobId")
	case *in.JobId == "":
		return nil, tooShort("jobId", "")
	case utf8.RuneCountInString(comprehendJobID(*in.JobId)) > maxJobID: // a dashed UUID is taken (shown without its dashes)
		return nil, tooLong("jobId", maxJobID)
	case !request.ValidNameChars(*in.JobId): // Comprehend's JobId has JobName's pattern
		return nil, unlikePattern("jobId", *in.JobId, request.NamePattern)
	}
	id := *in.JobId
	j, err := c.a.svc.Describe(r.Context(), tenant, reamJobID(id))
	if errors.Is(err, job.ErrNotFound) || err == nil && !isKind(j, k) {
		// (Named as Comprehend names jobs, without dashes, even when asked with the /v1 API's
		// dashed id: found from outside.)
		return nil, cErr("JobNotFoundException", "Job ID %s not found", truncate(comprehendJobID(id), maxEchoedID))
	}
	return j, err
}

func (c *comprehend) describe(r *http.Request, tenant string, k comprehendKind, raw []byte) (any, error) {
	j, err := c.job(r, tenant, k, raw)
	if err != nil {
		return nil, err
	}
	return map[string]any{k.Name + "DetectionJobProperties": c.properties(k, j)}, nil
}

func (c *comprehend) stop(r *http.Request, tenant string, k comprehendKind, raw []byte) (any, error) {
	j, err := c.job(r, tenant, k, raw)
	if err != nil {
		return nil, err
	}
	id := j.JobId
	j, err = c.a.svc.Stop(r.Context(), tenant, id)
	if errors.Is(err, job.ErrConflict) {
		// Name the status as this surface shows it (PARTIAL_SUCCESS is COMPLETED here).
		if cur, gerr := c.a.svc.Describe(r.Context(), tenant, id); gerr == nil && cur.JobStatus.Terminal() {
			return nil, fmt.Errorf("%w: job %s is already %s", job.ErrConflict, id, comprehendStatus(cur.JobStatus))
		}
	}
	if err != nil {
		return nil, err
	}
	// Comprehend answers STOP_REQUESTED or STOPPED; a job whose shards were all done when the
	// stop came goes on to end as it would have (IN_PROGRESS now, or already ended), as a
	// Comprehend job that "completes before it can be stopped": STOP_REQUESTED here too.
	status := "STOP_REQUESTED"
	if j.JobStatus == job.Stopped {
		status = "STOPPED"
	}
	return map[string]any{"JobId": comprehendJobID(j.JobId), "JobStatus": status}, nil
}

type cListRequest struct {
	Filter *struct {
		JobName          string   `json:"JobName"`
		JobStatus        *string  `json:"JobStatus"` // "" is outside the enum, not absent
		SubmitTimeBefore *float64 `json:"SubmitTimeBefore"`
		SubmitTimeAfter  *float64 `json:"SubmitTimeAfter"`
	} `json:"Filter"`
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

// listToken resumes a listing: the Ream page token of the page holding the last job returned,
// and that job (its SubmitTime in Unix nanoseconds and its id). The jobs up to it in the
// listing's order (newest first, then id descending; under SubmitTimeBefore alone oldest
// first, then id ascending) are skipped by what they are, not by how many there were, so jobs
// submitted or expired between two pages neither repeat a job nor skip one. Kind is the job
// kind listed: another kind's List refuses the token.
type listToken struct {
	Ream string `json:"r,omitempty"`
	T    int64  `json:"t"`
	ID   string `json:"i"`
	Kind string `json:"k,omitempty"`
	// Filter is the listing's filter (JobName, JobStatus, submit times): a token used with
	// another filter would page on in another listing.
	Filter string `json:"f,omitempty"`
	Owner  string `json:"o,omitempty"` // pagetoken.Owner of the tenant it was returned to
}

// listed reports whether j comes before, or is, the last job a page returned (never, with no
// token) in a listing newest first, or oldest first. The listing's order makes the listed jobs
// a prefix of it.
func (t listToken) listed(j *job.Job, oldest bool) bool {
	if t.ID == "" {
		return false
	}
	n := j.SubmitTime.UnixNano()
	if oldest {
		return n < t.T || n == t.T && j.JobId <= t.ID
	}
	return n > t.T || n == t.T && j.JobId >= t.ID
}

// listPage is the size of the Ream pages a Comprehend listing reads (the kind and status
// filters are applied to them), and listScanPages how many one call reads at most: a call
// examines at most 1,000 jobs, and answers a shorter page (even an empty one) with a NextToken
// when the kind and status filters kept fewer than MaxResults of them.
const (
	listPage      = 100
	listScanPages = 10
)

// fromEpoch reads a Comprehend timestamp (seconds since 1970, with a fraction). Far-off values
// (a client's datetime.max or min for "no bound") are held within ±10^11 s (about ±3,000 years),
// which List reads as no bound or as excluding every job, as they mean.
func fromEpoch(f float64) time.Time {
	f = min(max(f, -1e11), 1e11)
	sec, frac := math.Modf(f)
	// To the microsecond: a double holds today's epoch seconds to about 0.2 µs, so 1.047 s
	// arrives as 1.04699999… and would otherwise fall into the millisecond before.
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}

func (c *comprehend) list(r *http.Request, tenant string, k comprehendKind, raw []byte) (any, error) {
	var in cListRequest
	if err := decodeOp(raw, &in); err != nil {
		return nil, err
	}
	max := pipeline.DefaultListResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > pipeline.MaxListResults { // 500, as Comprehend's
			return nil, cErr("InvalidRequestException", "MaxResults must be between 1 and %d", pipeline.MaxListResults)
		}
		max = *in.MaxResults
	}
	var f api.ListFilter
	var statuses []job.Status
	if fl := in.Filter; fl != nil {
		if err := request.CheckNameAndToken(fl.JobName, ""); err != nil {
			return nil, err // a name no job can have: Comprehend refuses it (its JobName pattern)
		}
		f.JobName = fl.JobName
		if fl.JobStatus != nil {
			var ok bool
			if statuses, ok = reamStatuses(*fl.JobStatus); !ok {
				return nil, cErr("InvalidFilterException", "JobStatus %q is not one of SUBMITTED, IN_PROGRESS, COMPLETED, FAILED, STOP_REQUESTED, STOPPED", truncate(*fl.JobStatus, maxEchoedID))
			}
		}
		if fl.SubmitTimeBefore != nil {
			f.SubmittedBefore = api.BeforeBound(fromEpoch(*fl.SubmitTimeBefore))
		}
		if fl.SubmitTimeAfter != nil {
			// Comprehend's times have milliseconds: "after" a time shown is after its whole
			// millisecond, so a job's own SubmitTime lists jobs after it, not the job itself.
			f.SubmittedAfter = fromEpoch(*fl.SubmitTimeAfter).Truncate(time.Millisecond).Add(time.Millisecond - 1)
		}
		if !f.SubmittedAfter.IsZero() && !f.SubmittedBefore.IsZero() && !f.SubmittedAfter.Before(f.SubmittedBefore) {
			return nil, cErr("InvalidFilterException", "SubmitTimeAfter must be before SubmitTimeBefore")
		}
		// Comprehend's filters: under SubmitTimeBefore "jobs are returned in ascending order,
		// oldest to newest", under SubmitTimeAfter newest to oldest (found from outside: newest
		// first under both). With both, as without either, newest first.
		f.Oldest = fl.SubmitTimeBefore != nil && fl.SubmitTimeAfter == nil
	}
	// The filters Ream's listing takes, and the JobStatus this surface filters by itself.
	filterKey := pipeline.ListFilterKey(f)
	if fl := in.Filter; fl != nil && fl.JobStatus != nil {
		filterKey += "/" + *fl.JobStatus
	}
	var tok listToken
	if in.NextToken != "" {
		if err := pagetoken.Decode(in.NextToken, &tok); err != nil || tok.ID == "" && tok.Ream == "" || tok.Kind != "" && tok.Kind != k.Name {
			return nil, cErr("InvalidRequestException", "NextToken is not a token this operation returned")
		}
		if !pagetoken.Owned(tok.Owner, tenant) {
			return nil, cErr("InvalidRequestException", "NextToken was returned to another caller; page with the tokens of your own listing")
		}
		if tok.Filter != filterKey {
			return nil, cErr("InvalidRequestException", "NextToken belongs to a listing with another Filter; page with the Filter that returned it")
		}
	}
	var last *job.Job // the last job returned
	props := []map[string]any{}
	next := ""
	for pages := 1; ; pages++ {
		f.MaxResults, f.NextToken = listPage, tok.Ream
		jobs, reamNext, err := c.a.svc.List(r.Context(), tenant, f)
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			if tok.listed(j, f.Oldest) {
				continue
			}
			if !isKind(j, k) || statuses != nil && !slices.Contains(statuses, j.JobStatus) {
				continue
			}
			if len(props) == max {
				next = pagetoken.Encode(listToken{Ream: tok.Ream, T: last.SubmitTime.UnixNano(), ID: last.JobId, Kind: k.Name, Filter: filterKey, Owner: pagetoken.Owner(tenant)})
				break
			}
			props = append(props, c.properties(k, j))
			last = j
		}
		if next != "" || reamNext == "" {
			break
		}
		if pages == listScanPages {
			// The read's bound (found from outside: a tenant's thousands of jobs of other kinds
			// were all read by one call, past what API Gateway waits): the page so far, maybe
			// empty, and a token that resumes after every job read (none of them is listed again).
			next = pagetoken.Encode(listToken{Ream: reamNext, Kind: k.Name, Filter: filterKey, Owner: pagetoken.Owner(tenant)})
			break
		}
		tok = listToken{Ream: reamNext}
	}
	out := map[string]any{k.Name + "DetectionJobPropertiesList": props}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}
