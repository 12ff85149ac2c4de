package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ream-dev/ream/shared/job"
)

// Comprehend's API model, as the SDKs are generated from it: botocore's service-2.json trimmed to
// the operations this surface serves and the shapes they reach (testdata/README.md says where it
// comes from and under which licence).
type apiModel struct {
	Operations map[string]struct {
		Input  struct{ Shape string }
		Output struct{ Shape string }
		Errors []struct{ Shape string }
	}
	Shapes map[string]*apiShape
}

type apiShape struct {
	Type     string
	Required []string
	Members  map[string]struct{ Shape string }
	Member   *struct{ Shape string }
	Min      *int
	Max      *int
	Pattern  string
	Enum     []string
}

func loadComprehendModel(t *testing.T) *apiModel {
	t.Helper()
	b, err := os.ReadFile("testdata/comprehend-2017-11-27.json")
	if err != nil {
		t.Fatal(err)
	}
	var m apiModel
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// modelPattern is a model pattern as Go's regexp reads it, matching a whole value as the
// service's validation does (Java's Pattern.matches).
func modelPattern(t *testing.T, p string) *regexp.Regexp {
	t.Helper()
	return regexp.MustCompile(`^(?:` + strings.ReplaceAll(p, `\p{ASCII}`, `[\x00-\x7F]`) + `)$`)
}

// modelSample is a value within a string shape's pattern, the text that pads it to a length
// (cyclically; within the pattern too), and a value of a fitting length outside the pattern.
// Keyed by shape name; a member path ("InputDataConfig.S3Uri") overrides its shape's.
type modelSample struct{ value, pad, bad string }

var modelSamples = map[string]modelSample{
	"JobName":                  {"n", "n", "n#"},
	"JobId":                    {"0", "0", "0#"},
	"ClientRequestTokenString": {"t", "t", "t_t"},
	"IamRoleArn":               {"arn:aws:iam::123456789012:role/r", "r", "arn:aws:iam::1234:role/r"},
	"KmsKeyId":                 {"k", "k", "clé"},
	"SecurityGroupId":          {"s", "s", "sg_1"},
	"SubnetId":                 {"s", "s", "subnet_1"},
	"TagKey":                   {"k", "k", ""},
	"TagValue":                 {"v", "v", ""},
	"MaskCharacter":            {"#", "#", "~"},
	"EntityRecognizerArn":      {"arn:aws:comprehend:eu-west-1:123456789012:entity-recognizer/r", "r", "arn:aws:comprehend:eu-west-1:1:entity-recognizer/r"},
	"String":                   {"x", "x", ""}, // NextToken: no pattern
	// Segments of at most 255 bytes, as every store holds (layout.MaxSegmentBytes).
	"InputDataConfig.S3Uri":  {"s3://bucket/inputs/tenant-a/in", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "S3://bucket/inputs/tenant-a/in"},
	"OutputDataConfig.S3Uri": {"s3://bucket/outputs/tenant-a/", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", "S3://bucket/outputs/tenant-a/"},
}

// modelBase are the members each Start sends besides those its model requires: a
// ONE_DOC_PER_LINE input (a file), and for PII the ONLY_REDACTION mode with its RedactionConfig,
// so that the members of RedactionConfig can be tried.
func modelBase(op string, body map[string]any) {
	body["InputDataConfig"].(map[string]any)["InputFormat"] = "ONE_DOC_PER_LINE"
	if strings.HasPrefix(op, "StartPiiEntities") {
		body["Mode"] = "ONLY_REDACTION"
		body["RedactionConfig"] = map[string]any{"MaskMode": "MASK"}
	}
}

// modelDeliberate says why Ream refuses a value the model allows ("" when it does not): each is
// a difference the README's Comprehend section states.
func modelDeliberate(op, path string, v any) string {
	s, _ := v.(string)
	switch {
	case path == "LanguageCode" && s != "en" && !strings.Contains(op, "DominantLanguage") && !strings.Contains(op, "Topics"):
		return "SENTIMENT, ENTITIES, KEY_PHRASES and PII analyse English only"
	case path == "OutputDataConfig.KmsKeyId":
		return "the local stack encrypts with no KMS key (refused with InvalidRequestException locally)"
	case path == "EntityRecognizerArn":
		return "custom entity recognizers are not supported"
	case path == "Mode" && s == "ONLY_OFFSETS":
		return "RedactionConfig is for Mode ONLY_REDACTION (the base request sends one)"
	case path == "NextToken":
		return "a NextToken is one this operation returned"
	}
	return ""
}

// modelCase is one request: the member at path set to value (absent: removed), and whether the
// model allows it.
type modelCase struct {
	path   string
	label  string
	value  any
	absent bool
	inside bool
}

func padTo(sample modelSample, n int) (string, bool) {
	s := sample.value
	if utf8.RuneCountInString(s) > n {
		return "", false
	}
	pad := []rune(sample.pad)
	for i := 0; utf8.RuneCountInString(s) < n; i++ {
		s += string(pad[i%len(pad)])
	}
	return s, true
}

// minimal is a valid value of shape: a structure's required members, a list of its minimum
// length (one at least), a string's sample or first enum value.
func (m *apiModel) minimal(t *testing.T, path, name string) any {
	sh := m.Shapes[name]
	switch sh.Type {
	case "structure":
		v := map[string]any{}
		for _, r := range sh.Required {
			v[r] = m.minimal(t, join(path, r), sh.Members[r].Shape)
		}
		return v
	case "list":
		n := 1
		if sh.Min != nil && *sh.Min > 1 {
			n = *sh.Min
		}
		var l []any
		for range n {
			l = append(l, m.minimal(t, path+"[]", sh.Member.Shape))
		}
		return l
	case "string":
		if len(sh.Enum) > 0 {
			return sh.Enum[0]
		}
		return m.sample(t, path, name).value
	case "integer":
		if sh.Min != nil {
			return *sh.Min
		}
		return 1
	case "timestamp":
		return 1.7e9
	}
	t.Fatalf("no minimal value of %s (%s)", name, sh.Type)
	return nil
}

func (m *apiModel) sample(t *testing.T, path, name string) modelSample {
	if s, ok := modelSamples[strings.TrimSuffix(path, "[]")]; ok {
		return s
	}
	s, ok := modelSamples[name]
	if !ok {
		t.Fatalf("no sample of %s (%s)", name, path)
	}
	return s
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

// cases are the boundaries of the members of shape name at path: every required member left
// out, a value of the wrong JSON type, each enum value and ones outside the enum, lengths and
// ranges just inside and just outside, and a value outside a pattern.
func (m *apiModel) cases(t *testing.T, path, name string, required bool) []modelCase {
	sh := m.Shapes[name]
	var cs []modelCase
	add := func(label string, v any, inside bool) {
		cs = append(cs, modelCase{path: path, label: label, value: v, inside: inside})
	}
	if path != "" {
		if required {
			cs = append(cs, modelCase{path: path, label: "left out", absent: true})
		}
		switch sh.Type {
		case "string", "timestamp", "integer":
			add("a JSON object", map[string]any{}, false)
		case "structure", "list":
			add("a JSON string", "x", false)
		}
	}
	switch sh.Type {
	case "structure":
		members := make([]string, 0, len(sh.Members))
		for n := range sh.Members {
			members = append(members, n)
		}
		sort.Strings(members)
		for _, n := range members {
			cs = append(cs, m.cases(t, join(path, n), sh.Members[n].Shape, slices.Contains(sh.Required, n))...)
		}
	case "list":
		elem := m.Shapes[sh.Member.Shape]
		list := func(n int) []any {
			l := []any{}
			for i := range n {
				if len(elem.Enum) > 0 {
					l = append(l, elem.Enum[i%len(elem.Enum)])
				} else {
					l = append(l, m.minimal(t, path+"[]", sh.Member.Shape))
				}
			}
			return l
		}
		if sh.Min != nil {
			add(fmt.Sprintf("%d items (min)", *sh.Min), list(*sh.Min), true)
			if *sh.Min > 0 {
				add(fmt.Sprintf("%d items", *sh.Min-1), list(*sh.Min-1), false)
			}
		}
		if sh.Max != nil {
			add(fmt.Sprintf("%d items (max)", *sh.Max), list(*sh.Max), true)
			add(fmt.Sprintf("%d items", *sh.Max+1), list(*sh.Max+1), false)
		}
		for _, c := range m.cases(t, path+"[]", sh.Member.Shape, false) {
			if c.path == path+"[]" { // the item itself: a list of it
				c.label = "an item " + c.label
				c.value = []any{c.value}
				c.path = path
			}
			cs = append(cs, c)
		}
	case "string":
		if len(sh.Enum) > 0 {
			for _, e := range sh.Enum {
				add(e, e, true)
			}
			add(`""`, "", false)
			if l := strings.ToLower(sh.Enum[0]); l != sh.Enum[0] {
				add("lower case", l, false)
			}
			break
		}
		s := m.sample(t, path, name)
		var re *regexp.Regexp
		if sh.Pattern != "" {
			re = modelPattern(t, sh.Pattern)
		}
		allowed := func(v string) bool {
			n := utf8.RuneCountInString(v)
			return (sh.Min == nil || n >= *sh.Min) && (sh.Max == nil || n <= *sh.Max) && (re == nil || re.MatchString(v))
		}
		if !allowed(s.value) {
			t.Fatalf("sample %q of %s is outside the model", s.value, path)
		}
		add("sample", s.value, true)
		if sh.Min != nil {
			if v, ok := padTo(s, *sh.Min); ok {
				add(fmt.Sprintf("%d characters (min)", *sh.Min), v, true)
			}
			if *sh.Min > 0 {
				v, ok := padTo(s, *sh.Min-1)
				if !ok {
					v = string([]rune(s.value)[:*sh.Min-1])
				}
				add(fmt.Sprintf("%d characters", *sh.Min-1), v, false)
			}
		}
		if sh.Max != nil {
			v, _ := padTo(s, *sh.Max)
			add(fmt.Sprintf("%d characters (max)", *sh.Max), v, allowed(v))
			v, _ = padTo(s, *sh.Max+1)
			add(fmt.Sprintf("%d characters", *sh.Max+1), v, false)
		}
		if re != nil {
			if allowed(s.bad) {
				t.Fatalf("bad sample %q of %s is inside the model", s.bad, path)
			}
			add(fmt.Sprintf("outside /%s/", sh.Pattern), s.bad, false)
			if !allowed("") && (sh.Min == nil || *sh.Min == 0) {
				add(`""`, "", false)
			}
		}
	case "integer":
		if sh.Min != nil {
			add(fmt.Sprint(*sh.Min, " (min)"), *sh.Min, true)
			add(fmt.Sprint(*sh.Min-1), *sh.Min-1, false)
		}
		if sh.Max != nil {
			add(fmt.Sprint(*sh.Max, " (max)"), *sh.Max, true)
			add(fmt.Sprint(*sh.Max+1), *sh.Max+1, false)
		}
		add("a fraction", 1.5, false)
	case "timestamp":
		add("epoch seconds", 1.7e9, true)
		add("epoch seconds with milliseconds", 1700000000.123, true)
		add("a JSON string", "2024-01-01T00:00:00Z", false)
	}
	return cs
}

// with is body with the member at path set to c's value (or removed); the structures on the
// way are made minimal where body has none.
func (m *apiModel) with(t *testing.T, body map[string]any, input string, c modelCase) map[string]any {
	b, _ := json.Marshal(body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	parts := strings.Split(c.path, ".")
	cur, sh, at := out, m.Shapes[input], ""
	for _, p := range parts[:len(parts)-1] {
		name := strings.TrimSuffix(p, "[]")
		at = join(at, name)
		shape := sh.Members[name].Shape
		if strings.HasSuffix(p, "[]") { // a list of one item, whose member is set
			l, _ := cur[name].([]any)
			if len(l) == 0 {
				l = []any{m.minimal(t, at+"[]", m.Shapes[shape].Member.Shape)}
				cur[name] = l
			}
			cur, sh = l[0].(map[string]any), m.Shapes[m.Shapes[shape].Member.Shape]
			continue
		}
		next, ok := cur[name].(map[string]any)
		if !ok {
			next = m.minimal(t, at, shape).(map[string]any)
			cur[name] = next
		}
		cur, sh = next, m.Shapes[shape]
	}
	last := parts[len(parts)-1]
	if c.absent {
		delete(cur, last)
	} else {
		cur[last] = c.value
	}
	return out
}

// TestComprehendModelBoundaries drives every operation this surface serves with each of its
// members at the boundaries of Comprehend's model: a value the model allows is not refused as
// invalid (unless modelDeliberate says why Ream refuses it), one it does not is refused as
// Comprehend refuses it: InvalidRequestException, or SerializationException for a value of the
// wrong JSON type; and every error's type is one the operation's model lists.
func TestComprehendModelBoundaries(t *testing.T) {
	m := loadComprehendModel(t)
	ops := make([]string, 0, len(m.Operations))
	for op := range m.Operations {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			a, _ := comprehendAPI(t) // a store per operation: ClientRequestTokens are the tenant's across kinds
			o := m.Operations[op]
			listed := []string{"SerializationException"} // the protocol's, which no operation lists
			for _, e := range o.Errors {
				listed = append(listed, e.Shape)
			}
			base := m.minimal(t, "", o.Input.Shape).(map[string]any)
			if strings.HasPrefix(op, "Start") {
				modelBase(op, base)
			}
			for _, c := range m.cases(t, "", o.Input.Shape, false) {
				body, _ := json.Marshal(m.with(t, base, o.Input.Shape, c))
				status, out := call(t, a, op, string(body))
				typ, _ := out["__type"].(string)
				if typ != "" && !slices.Contains(listed, typ) {
					t.Errorf("%s %s: %d %s, which the model does not list for %s (%v)", c.path, c.label, status, typ, op, out["Message"])
				}
				refused := typ == "InvalidRequestException" || typ == "SerializationException" || typ == "InvalidFilterException"
				switch {
				case c.inside && refused:
					if why := modelDeliberate(op, c.path, c.value); why == "" {
						t.Errorf("%s %s, which the model allows: %d %s %v", c.path, c.label, status, typ, out["Message"])
					}
				case !c.inside:
					want := "InvalidRequestException"
					if strings.HasPrefix(c.label, "a JSON ") || c.label == "a fraction" || strings.HasPrefix(c.label, "an item a JSON") {
						want = "SerializationException"
					}
					// A JobStatus outside the enum is a filter the operation cannot apply: its
					// model's InvalidFilterException, as Ream answers any filter it refuses.
					if c.path == "Filter.JobStatus" && want == "InvalidRequestException" {
						want = "InvalidFilterException"
					}
					if status != http.StatusBadRequest || typ != want {
						t.Errorf("%s %s, which the model refuses: %d %v %v; want %s", c.path, c.label, status, typ, out["Message"], want)
					}
				}
			}
		})
	}
}

// conforms reports how v, a member of a response decoded from JSON, breaks shape name of the
// model ("" when it does not): a member the shape does not have, a JSON type the SDKs cannot
// read (a timestamp is epoch seconds, a number), a value outside its enum, length or pattern.
func (m *apiModel) conforms(t *testing.T, path, name string, v any) string {
	sh := m.Shapes[name]
	switch sh.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s is %T, not an object", path, v)
		}
		for _, r := range sh.Required {
			if _, ok := obj[r]; !ok {
				return fmt.Sprintf("%s has no %s, which the model requires", path, r)
			}
		}
		for k, mv := range obj {
			member, ok := sh.Members[k]
			if !ok {
				return fmt.Sprintf("%s has %s, which %s does not", path, k, name)
			}
			if why := m.conforms(t, join(path, k), member.Shape, mv); why != "" {
				return why
			}
		}
	case "list":
		l, ok := v.([]any)
		if !ok {
			return fmt.Sprintf("%s is %T, not a list", path, v)
		}
		if sh.Min != nil && len(l) < *sh.Min || sh.Max != nil && len(l) > *sh.Max {
			return fmt.Sprintf("%s has %d items", path, len(l))
		}
		for _, e := range l {
			if why := m.conforms(t, path+"[]", sh.Member.Shape, e); why != "" {
				return why
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			return fmt.Sprintf("%s is %T, not a string", path, v)
		}
		n := utf8.RuneCountInString(s)
		switch {
		case len(sh.Enum) > 0 && !slices.Contains(sh.Enum, s):
			return fmt.Sprintf("%s %q is not in its enum %v", path, s, sh.Enum)
		case sh.Min != nil && n < *sh.Min, sh.Max != nil && n > *sh.Max:
			return fmt.Sprintf("%s %q has %d characters", path, s, n)
		case sh.Pattern != "" && !modelPattern(t, sh.Pattern).MatchString(s):
			return fmt.Sprintf("%s %q is outside /%s/", path, s, sh.Pattern)
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return fmt.Sprintf("%s is %v, not an integer", path, v)
		}
	case "timestamp":
		if _, ok := v.(float64); !ok {
			return fmt.Sprintf("%s is %T, not epoch seconds", path, v)
		}
	default:
		t.Fatalf("%s: shape type %s", path, sh.Type)
	}
	return ""
}

// TestComprehendModelResponses: what Start, Describe, List and Stop answer for jobs of each
// kind (one started with every optional member its model has that Ream records, and jobs in
// each of Ream's statuses) is within the operation's output shape.
func TestComprehendModelResponses(t *testing.T) {
	m := loadComprehendModel(t)
	a, jobs := comprehendAPI(t)
	ctx := context.Background()
	check := func(op string, body map[string]any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		status, out := call(t, a, op, string(b))
		if status != http.StatusOK {
			t.Fatalf("%s %s: %d %v", op, b, status, out)
		}
		if why := m.conforms(t, op, m.Operations[op].Output.Shape, out); why != "" {
			t.Errorf("%s answered %v: %s", op, out, why)
		}
		return out
	}
	kinds := map[string]job.Analysis{"DominantLanguage": job.Language, "Sentiment": job.Sentiment, "Entities": job.Entities,
		"KeyPhrases": job.KeyPhrases, "PiiEntities": job.PII, "Topics": job.Topics}
	for kind, analysis := range kinds {
		start := "Start" + kind + "DetectionJob"
		in := m.Shapes[m.Operations[start].Input.Shape]
		body := m.minimal(t, "", m.Operations[start].Input.Shape).(map[string]any)
		modelBase(start, body)
		body["JobName"] = "model " + kind
		body["ClientRequestToken"] = "model-" + kind
		body["Tags"] = []any{map[string]any{"Key": "k", "Value": "v"}}
		for member, v := range map[string]any{
			"VolumeKmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"VpcConfig":      map[string]any{"SecurityGroupIds": []any{"sg-1"}, "Subnets": []any{"subnet-1"}},
			"NumberOfTopics": 5,
		} {
			if _, ok := in.Members[member]; ok {
				body[member] = v
			}
		}
		check(start, body)
		// Jobs in each of Ream's statuses (planted: a job in progress can be stopped).
		now := time.Now().UTC()
		for _, st := range job.AllStatuses {
			j := &job.Job{JobId: uuid.NewString(), Tenant: "tenant-a", Analyses: []job.Analysis{analysis}, JobStatus: st, SubmitTime: now, UpdatedAt: now,
				LanguageCode:     "en",
				InputDataConfig:  job.InputDataConfig{S3Uri: "s3://bucket/inputs/tenant-a/in.jsonl", InputFormat: job.JSONLines},
				OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/tenant-a/x/"}}
			if st.Terminal() {
				j.EndTime = &now
			}
			if _, _, err := jobs.Create(ctx, j); err != nil {
				t.Fatal(err)
			}
			check("Describe"+kind+"DetectionJob", map[string]any{"JobId": strings.ReplaceAll(j.JobId, "-", "")})
			if _, ok := m.Operations["Stop"+kind+"DetectionJob"]; ok && st == job.InProgress {
				check("Stop"+kind+"DetectionJob", map[string]any{"JobId": strings.ReplaceAll(j.JobId, "-", "")})
			}
		}
		check("List"+kind+"DetectionJobs", map[string]any{})
		check("List"+kind+"DetectionJobs", map[string]any{"MaxResults": 1})
	}
}
