// Package request holds the rules a create request (or a retry's) must follow that need nothing
// but the request: the limits and patterns of its fields, the checks and their messages, and the
// fingerprint that makes ClientRequestToken idempotent.
package request

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/analysis/topics"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Limits on create requests.
const (
	MaxJobName     = 256
	maxRoleArn     = 2048
	maxTags        = 50
	maxTagKey      = 128 // characters, as AWS's
	maxTagValue    = 256 // characters, as AWS's
	maxUploadFiles = 1000
	// maxUploadFileName is an UploadFiles name's limit in bytes (a whole key's is
	// layout.MaxKeyBytes).
	maxUploadFileName = 512
	maxTokenLen       = 64
)

// NamePattern is the pattern of a JobName, as Comprehend's model writes it (its JobId has the
// same pattern).
const NamePattern = `^([\p{L}\p{Z}\p{N}_.:/=+\-%@]*)$`

var (
	jobNameRE = regexp.MustCompile(NamePattern)
	// tagRE is AWS's pattern for tag keys and values (Comprehend's Tag).
	tagRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	// roleRE is Comprehend's pattern for DataAccessRoleArn (at most maxRoleArn characters).
	roleRE = regexp.MustCompile(`^arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+$`)
	// notifyRoleRE narrows roleRE for NotificationChannel.RoleArn to the role name characters
	// Textract's pattern takes (IAM's: letters, digits, +=,.@_- and / for a path), where
	// Comprehend's DataAccessRoleArn takes any (found from outside: a RoleArn Textract refuses,
	// role/has space, was accepted and shown).
	notifyRoleRE = regexp.MustCompile(`^arn:aws(-[^:]+)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	tokenRE      = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)
	// topicRE is an SNS topic ARN; its groups are the region, the account and the name.
	topicRE = regexp.MustCompile(`^arn:aws[a-z-]*:sns:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$`)
)

// validRoleArn reports whether arn is an IAM role ARN as Comprehend takes one (DataAccessRoleArn).
func validRoleArn(arn string) bool {
	return utf8.RuneCountInString(arn) <= maxRoleArn && roleRE.MatchString(arn)
}

// ValidNameChars reports whether s has only the characters NamePattern allows (any length).
func ValidNameChars(s string) bool { return jobNameRE.MatchString(s) }

// CutJobName cuts name to its first MaxJobName characters (a JobName's limit).
func CutJobName(name string) string { return CutRunes(name, MaxJobName) }

// CutRunes cuts s to its first n characters.
func CutRunes(s string, n int) string {
	k := 0
	for i := range s {
		if k == n {
			return s[:i]
		}
		k++
	}
	return s
}

// CheckNameAndToken checks a request's JobName and ClientRequestToken (a create's, a retry's).
func CheckNameAndToken(name, token string) error {
	if utf8.RuneCountInString(name) > MaxJobName || !jobNameRE.MatchString(name) {
		return fmt.Errorf("%w: JobName must be at most %d letters, digits, spaces or _.:/=+-%%@", job.ErrInvalid, MaxJobName)
	}
	if len(token) > maxTokenLen || (token != "" && !tokenRE.MatchString(token)) {
		return fmt.Errorf("%w: ClientRequestToken must be 1-%d ASCII letters, digits or hyphens", job.ErrInvalid, maxTokenLen)
	}
	return nil
}

// maskCharacters are the characters a redaction may mask with (Comprehend's set).
const maskCharacters = "!@#$%&*"

// jobTagRE is the rule of a JobTag (Textract's).
var jobTagRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// ErrTooManyTags is the ErrInvalid of a request with more Tags than a job may have (the
// Comprehend surface answers it as TooManyTagsException).
var ErrTooManyTags = fmt.Errorf("%w: too many tags", job.ErrInvalid)

// Validate checks what a create request says on its own (names, tags, analyses and their options,
// redaction, notification channel, uploads), filling in RedactionConfig.MaskMode's default; what
// depends on the deployment or the stores is the Service's to check.
func Validate(r *api.CreateJobRequest) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", job.ErrInvalid, fmt.Sprintf(format, a...))
	}
	if err := CheckNameAndToken(r.JobName, r.ClientRequestToken); err != nil {
		return err
	}
	if r.JobTag != "" && !jobTagRE.MatchString(r.JobTag) {
		return bad("JobTag must be 1-64 ASCII letters, digits or _.-: (as Textract's)")
	}
	if r.DataAccessRoleArn != "" && !validRoleArn(r.DataAccessRoleArn) {
		return bad("DataAccessRoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>) of at most %d characters", maxRoleArn)
	}
	if len(r.Analyses) == 0 {
		return bad("Analyses must name at least one analysis")
	}
	seen := map[job.Analysis]bool{}
	for _, a := range r.Analyses {
		if seen[a] {
			return bad("analysis %s is listed twice", a)
		}
		seen[a] = true
	}
	if seen[job.Topics] && len(r.Analyses) != 1 {
		return bad("TOPICS is a job of its own (a model fitted over the whole collection); it cannot be combined with other analyses")
	}
	if r.NumberOfTopics != nil && !seen[job.Topics] || r.RandomSeed != nil && !seen[job.Topics] {
		return bad("NumberOfTopics and RandomSeed are options of TOPICS")
	}
	if k := r.NumberOfTopics; k != nil && (*k < 1 || *k > topics.MaxK) {
		return bad("NumberOfTopics must be between 1 and %d (default %d)", topics.MaxK, topics.DefaultK)
	}
	if seen[job.Topics] && !topics.SupportsLanguage(r.LanguageCode) {
		return bad("TOPICS supports LanguageCode %s only (its stop words and stemmer are English), not %q; omit LanguageCode or give %s", topics.Language, r.LanguageCode, topics.Language)
	}
	if !job.ValidFormat(r.InputDataConfig.InputFormat) {
		return bad("InputDataConfig.InputFormat must be one of %s, %s, %s", job.OneDocPerLine, job.OneDocPerFile, job.JSONLines)
	}
	if len(r.Tags) > maxTags {
		return fmt.Errorf("%w: at most %d Tags", ErrTooManyTags, maxTags)
	}
	keys := make(map[string]bool, len(r.Tags))
	for i, t := range r.Tags {
		switch n, v := utf8.RuneCountInString(t.Key), utf8.RuneCountInString(t.Value); {
		case n < 1:
			return bad("tag %d (of Value %.40q) has no Key: a tag needs a Key of 1-%d characters", i+1, t.Value, maxTagKey)
		case n > maxTagKey:
			return bad("tag %d (Key %.40q…) has a Key of %d characters: at most %d", i+1, t.Key, n, maxTagKey)
		case v > maxTagValue:
			return bad("tag %q has a Value of %d characters: at most %d", t.Key, v, maxTagValue)
		}
		if !tagRE.MatchString(t.Key) || !tagRE.MatchString(t.Value) {
			return bad("tag %q: Keys and Values may hold letters, digits, spaces and _.:/=+-@, only", t.Key)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return bad("tag %q: Keys starting with aws: are reserved", t.Key)
		}
		if keys[t.Key] {
			return bad("tag %q is given twice", t.Key)
		}
		keys[t.Key] = true
	}
	if rc := r.RedactionConfig; rc != nil {
		if !seen[job.PII] {
			return bad("RedactionConfig needs the PII analysis in Analyses")
		}
		if rc.MaskMode == "" {
			rc.MaskMode = analysis.RedactReplaceWithType // Comprehend's default
		}
		if rc.MaskMode != analysis.RedactReplaceWithType && rc.MaskMode != analysis.RedactMask {
			return bad("RedactionConfig.MaskMode must be %s or %s", analysis.RedactReplaceWithType, analysis.RedactMask)
		}
		if rc.MaskCharacter != "" && (len(rc.MaskCharacter) != 1 || !strings.Contains(maskCharacters, rc.MaskCharacter)) {
			// A line break would split a line input's redacted copy; an invisible or combining
			// character would hide the mask.
			return bad("RedactionConfig.MaskCharacter must be one of %s (as Comprehend's)", maskCharacters)
		}
		for _, t := range rc.PiiEntityTypes {
			if t != "ALL" && !slices.Contains(analysis.PiiTypes, t) && !slices.Contains(analysis.PiiUndetected, t) {
				return bad("RedactionConfig.PiiEntityTypes: %q is not a PII type (ALL or one of %s; also accepted, as Comprehend names them, but never found: %s)",
					t, strings.Join(analysis.PiiTypes, ", "), strings.Join(analysis.PiiUndetected, ", "))
			}
		}
	}
	if nc := r.NotificationChannel; nc != nil && !topicRE.MatchString(nc.SNSTopicArn) {
		return bad("NotificationChannel.SNSTopicArn must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:my-topic")
	}
	if nc := r.NotificationChannel; nc != nil && nc.RoleArn != "" && (!validRoleArn(nc.RoleArn) || !notifyRoleRE.MatchString(nc.RoleArn)) {
		return bad("NotificationChannel.RoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>, the name of letters, digits and +=,.@_-/, as Textract's) of at most %d characters", maxRoleArn)
	}
	if len(r.UploadFiles) > 0 {
		if r.InputDataConfig.S3Uri != "" {
			return bad("give either InputDataConfig.S3Uri or UploadFiles, not both")
		}
		if len(r.UploadFiles) > maxUploadFiles {
			return bad("at most %d UploadFiles; put larger collections in the bucket and give S3Uri", maxUploadFiles)
		}
		names := map[string]bool{}
		for _, f := range r.UploadFiles {
			switch {
			case f == "":
				return bad("UploadFiles has an empty entry: each names a file")
			case strings.HasPrefix(f, "/"):
				return bad("UploadFiles entry %q must be a relative file path (no leading /)", f)
			case layout.FolderMarker(f):
				return bad("UploadFiles entry %q names a folder (it ends with /): each names a file", f)
			case len(f) > maxUploadFileName:
				return bad("UploadFiles entry %.40q… is %d bytes long: at most %d", f, len(f), maxUploadFileName)
			}
			if err := layout.CheckKey("UploadFiles entry", f); err != nil {
				return err
			}
			if names[f] {
				return bad("UploadFiles lists %q twice", f)
			}
			names[f] = true
		}
		// A name that is a folder of another ("a" and "a/b") cannot exist in every store.
		for f := range names {
			for dir := path.Dir(f); dir != "."; dir = path.Dir(dir) {
				if names[dir] {
					return bad("UploadFiles lists %q and %q: a name cannot also be a folder", dir, f)
				}
			}
		}
	}
	if r.InputDataConfig.InputFormat == job.OneDocPerFile && r.InputDataConfig.S3Uri == "" && len(r.UploadFiles) == 0 {
		return bad("a ONE_DOC_PER_FILE job needs InputDataConfig.S3Uri (a prefix holding the documents) or UploadFiles")
	}
	return nil
}

// kmsKeyRE matches the forms of a KMS key S3 takes: a key id (multi-Region ones start with
// mrk-), a key ARN, an alias name, an alias ARN.
var kmsKeyRE = regexp.MustCompile(`^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]{1,256}|alias/[A-Za-z0-9/_-]{1,256}|(mrk-)?[0-9a-f-]{32,36})$`)

// Hash fingerprints the request without its token, so a retry with the same token and body is
// recognised and a different body is refused. Defaults count as given: Validate fills in
// MaskMode (and checkRequest NumberOfTopics) before this; a MaskCharacter given as the default
// (analysis.DefaultMaskChar) is fingerprinted as absent, which keeps the fingerprints of
// requests without it as they were (the stored job keeps the character as given).
func Hash(r api.CreateJobRequest) string {
	r.ClientRequestToken = ""
	if rc := r.RedactionConfig; rc != nil && rc.MaskCharacter == string(analysis.DefaultMaskChar) {
		norm := *rc
		norm.MaskCharacter = ""
		r.RedactionConfig = &norm
	}
	b, _ := json.Marshal(r) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ValidKMSKey reports whether keyID has one of the forms of a KMS key S3 takes.
func ValidKMSKey(keyID string) bool { return kmsKeyRE.MatchString(keyID) }

// ParseTopicArn splits an SNS topic ARN into its region, account and topic name; ok is false
// for anything else.
func ParseTopicArn(arn string) (region, account, name string, ok bool) {
	parts := topicRE.FindStringSubmatch(arn)
	if parts == nil {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}

// SafeJobName makes name a valid JobName: composed (NFC) first, so that a name in decomposed
// form (a file named on macOS's HFS+: "e" and a combining accent, which JobName does not allow)
// keeps its letters, then characters JobName does not allow become '_', and it is cut to the
// longest allowed.
func SafeJobName(name string) string {
	var b strings.Builder
	for _, r := range norm.NFC.String(name) {
		if jobNameRE.MatchString(string(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return CutJobName(b.String())
}
