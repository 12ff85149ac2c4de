package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// Comprehend's enums, as its model (botocore's comprehend service-2.json) has them.
var (
	comprehendLanguageEnum = []string{"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"}
	comprehendFormatEnum   = []string{"ONE_DOC_PER_FILE", "ONE_DOC_PER_LINE"}
)

// createV1 creates a job through /v1 as tenant-a and returns its dashed id.
func createV1(t *testing.T, a http.Handler, body string) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/jobs", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer k")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	var out struct{ JobId string }
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &out) != nil || out.JobId == "" {
		t.Fatalf("POST /v1/jobs %s: %d %s", body, w.Code, w.Body)
	}
	return out.JobId
}

// TestComprehendShowsItsEnums: Describe and List show a job made through /v1 within
// Comprehend's enums, which clients with types generated from Comprehend's model (Java, Go,
// .NET enums) can parse: LanguageCode as its language (en-GB → en), Traditional Chinese as
// zh-TW, other Chinese as zh, a language the enum has no code for left out; InputFormat JSONL as
// ONE_DOC_PER_LINE (found from outside: en-GB, zh-Hant and JSONL were echoed as stored).
func TestComprehendShowsItsEnums(t *testing.T) {
	a, jobs := comprehendAPI(t)
	id := createV1(t, a, `{"Analyses":["SENTIMENT"],"InputDataConfig":{"InputFormat":"JSONL"},"LanguageCode":"en-gb"}`)

	// Planted, as /v1 refuses these codes for an English-only analysis: the mapping does not
	// rely on that.
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	want := map[string]string{ // planted LanguageCode → shown ("" left out)
		"zh-Hant": "zh-TW", "zh-Hant-HK": "zh-TW", "zh-HK": "zh-TW", "zh-TW": "zh-TW", "zh-Hans-TW": "zh",
		"zh-CN": "zh", "zh": "zh", "pt-BR": "pt", "es-419": "es", "en-US": "en", "en": "en", "nb": "", "no": "", "": "",
	}
	for code := range want {
		j := &job.Job{JobId: "lang-" + code, Tenant: "tenant-a", Analyses: []job.Analysis{job.Entities}, JobStatus: job.Completed,
			SubmitTime: now, UpdatedAt: now, EndTime: &now, LanguageCode: code,
			InputDataConfig:  job.InputDataConfig{S3Uri: "s3://bucket/inputs/tenant-a/in.jsonl", InputFormat: job.JSONLines},
			OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/tenant-a/lang-" + code + "/"}}
		if _, _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
	}

	check := func(what string, p map[string]any, wantLang string) {
		t.Helper()
		lang, has := p["LanguageCode"]
		if wantLang == "" && has || wantLang != "" && lang != wantLang {
			t.Errorf("%s: LanguageCode %v (present %v), want %q", what, lang, has, wantLang)
		}
		if has && !slices.Contains(comprehendLanguageEnum, fmt.Sprint(lang)) {
			t.Errorf("%s: LanguageCode %v is outside Comprehend's enum", what, lang)
		}
		in, _ := p["InputDataConfig"].(map[string]any)
		if f := fmt.Sprint(in["InputFormat"]); f != "ONE_DOC_PER_LINE" || !slices.Contains(comprehendFormatEnum, f) {
			t.Errorf("%s: InputFormat %q, want ONE_DOC_PER_LINE", what, f)
		}
	}
	_, out := call(t, a, "DescribeSentimentDetectionJob", `{"JobId":"`+id+`"}`)
	p, _ := out["SentimentDetectionJobProperties"].(map[string]any)
	check("Describe of a /v1 job with en-GB and JSONL", p, "en")
	_, out = call(t, a, "ListSentimentDetectionJobs", `{}`)
	if l, _ := out["SentimentDetectionJobPropertiesList"].([]any); len(l) != 1 {
		t.Errorf("List: %v", out)
	} else {
		check("List of a /v1 job with en-GB and JSONL", l[0].(map[string]any), "en")
	}
	for code, lang := range want {
		_, out := call(t, a, "DescribeEntitiesDetectionJob", `{"JobId":"lang-`+code+`"}`)
		p, _ := out["EntitiesDetectionJobProperties"].(map[string]any)
		check("Describe of a job with LanguageCode "+code, p, lang)
	}
	_, out = call(t, a, "ListEntitiesDetectionJobs", `{}`)
	l, _ := out["EntitiesDetectionJobPropertiesList"].([]any)
	if len(l) != len(want) {
		t.Fatalf("List: %d jobs, want %d", len(l), len(want))
	}
	for _, x := range l {
		p := x.(map[string]any)
		code := strings.TrimPrefix(fmt.Sprint(p["JobId"]), "lang-")
		check("List of a job with LanguageCode "+code, p, want[code])
	}

	// /v1 shows what it stored.
	r := httptest.NewRequest(http.MethodGet, "/v1/jobs/"+id, nil)
	r.Header.Set("Authorization", "Bearer k")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if body := w.Body.String(); !strings.Contains(body, `"LanguageCode":"en-GB"`) || !strings.Contains(body, `"InputFormat":"JSONL"`) {
		t.Errorf("GET /v1/jobs/%s: %s; want LanguageCode en-GB and InputFormat JSONL as stored", id, body)
	}
}

// TestComprehendLanguageCodeEnum: Start… takes LanguageCode as Comprehend does, exactly one of
// its enum's values (found from outside: en-GB and EN were accepted); an empty one is outside the
// enum too, not "Value null".
func TestComprehendLanguageCodeEnum(t *testing.T) {
	a, _ := comprehendAPI(t)
	start := func(lang string) (int, map[string]any) {
		return call(t, a, "StartSentimentDetectionJob", "{"+strings.Join([]string{inURI, outURI, role, `"LanguageCode":"` + lang + `"`}, ",")+"}")
	}
	for _, lang := range []string{"en-GB", "EN", "En", "en-US", "zh-tw", "zh-Hant", "no", "xx", ""} {
		status, out := start(lang)
		msg, _ := out["Message"].(string)
		want := "1 validation error detected: Value '" + lang + "' at 'languageCode' failed to satisfy constraint: Member must satisfy enum value set: [en, es, fr, de, it, pt, ar, hi, ja, ko, zh, zh-TW]"
		if status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" || msg != want {
			t.Errorf("LanguageCode %q: %d %v\nwant InvalidRequestException %q", lang, status, out, want)
		}
	}
	status, out := start("en")
	if status != http.StatusOK {
		t.Fatalf("LanguageCode en: %d %v", status, out)
	}
	_, out = call(t, a, "DescribeSentimentDetectionJob", fmt.Sprintf(`{"JobId":%q}`, out["JobId"]))
	if p, _ := out["SentimentDetectionJobProperties"].(map[string]any); p["LanguageCode"] != "en" {
		t.Errorf("Describe: %v", out)
	}
	// A value of the enum the job's analysis does not support is refused as before, advising
	// a supported one.
	if status, out := start("zh-TW"); status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["Message"]), "give a LanguageCode") {
		t.Errorf("LanguageCode zh-TW for SENTIMENT: %d %v", status, out)
	}
	// The kinds without a LanguageCode member do not check one (Comprehend's model has none).
	if status, out := call(t, a, "StartDominantLanguageDetectionJob", "{"+strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en-GB"`}, ",")+"}"); status != http.StatusOK {
		t.Errorf("StartDominantLanguageDetectionJob with LanguageCode en-GB: %d %v", status, out)
	}
}

// TestV1LanguageAliases: /v1 takes the old codes no, iw and in for nb, he and id (all three in
// the default languages), in any case, and stores them as given, as README says.
func TestV1LanguageAliases(t *testing.T) {
	a, _ := comprehendAPI(t)
	for code, want := range map[string]string{"no": "no", "NO": "no", "iw": "iw", "in": "in", "no-NO": "no-NO"} {
		id := createV1(t, a, `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"LanguageCode":"`+code+`"}`)
		r := httptest.NewRequest(http.MethodGet, "/v1/jobs/"+id, nil)
		r.Header.Set("Authorization", "Bearer k")
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if !strings.Contains(w.Body.String(), `"LanguageCode":"`+want+`"`) {
			t.Errorf("LanguageCode %q: %s; want it stored as %q", code, w.Body, want)
		}
	}
}

// TestComprehendIdempotentDefaults: a repeated Start with its ClientRequestToken is the same
// request whether RedactionConfig writes its defaults out or leaves them out (found from
// outside: MaskCharacter "*" written out was a ResourceInUseException); another MaskCharacter
// is another request.
func TestComprehendIdempotentDefaults(t *testing.T) {
	a, _ := comprehendAPI(t)
	start := func(token, redaction string) (int, map[string]any) {
		return call(t, a, "StartPiiEntitiesDetectionJob", "{"+strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`,
			`"Mode":"ONLY_REDACTION"`, `"ClientRequestToken":"` + token + `"`, `"RedactionConfig":` + redaction}, ",")+"}")
	}
	for token, configs := range map[string][]string{
		"mask-default": {`{"MaskMode":"MASK"}`, `{"MaskMode":"MASK","MaskCharacter":"*"}`, `{"MaskMode":"MASK"}`},
		"mask-given":   {`{"MaskMode":"MASK","MaskCharacter":"*"}`, `{"MaskMode":"MASK"}`},
		"mode-default": {`{}`, `{"MaskMode":"REPLACE_WITH_PII_ENTITY_TYPE"}`, `{"MaskCharacter":"*"}`},
	} {
		first := ""
		for i, rc := range configs {
			status, out := start(token, rc)
			id, _ := out["JobId"].(string)
			if status != http.StatusOK || id == "" {
				t.Errorf("%s, request %d (%s): %d %v", token, i, rc, status, out)
				continue
			}
			if first == "" {
				first = id
			} else if id != first {
				t.Errorf("%s, request %d (%s): job %s, want the first request's %s", token, i, rc, id, first)
			}
		}
	}
	if status, out := start("mask-default", `{"MaskMode":"MASK","MaskCharacter":"#"}`); status != http.StatusBadRequest || out["__type"] != "ResourceInUseException" {
		t.Errorf("the token again with MaskCharacter #: %d %v; want ResourceInUseException", status, out)
	}

	// /v1 shares the fingerprint.
	ids := map[string]bool{}
	for _, rc := range []string{`{"MaskMode":"MASK","MaskCharacter":"*"}`, `{"MaskMode":"MASK"}`} {
		r := httptest.NewRequest(http.MethodPost, "/v1/jobs", strings.NewReader(`{"Analyses":["PII"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"LanguageCode":"en","ClientRequestToken":"v1-mask","RedactionConfig":`+rc+`}`))
		r.Header.Set("Authorization", "Bearer k")
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		var out struct{ JobId string }
		if w.Code >= 300 || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			t.Errorf("POST /v1/jobs with RedactionConfig %s: %d %s", rc, w.Code, w.Body)
		}
		ids[out.JobId] = true
	}
	if len(ids) != 1 {
		t.Errorf("/v1: the token made jobs %v; want one", ids)
	}
}

// TestComprehendEmptyMembersNamed: a JobId, Filter.JobName or ClientRequestToken sent empty is refused for its
// minimum length, with the value Comprehend's message shows (found from outside: an empty
// Filter.JobName listed every job, an empty JobId was reported as "Value null"); an absent JobId
// is still "Value null".
func TestComprehendEmptyMembersNamed(t *testing.T) {
	a, _ := comprehendAPI(t)
	tooShort := func(field string) string {
		return "1 validation error detected: Value '' at '" + field + "' failed to satisfy constraint: Member must have length greater than or equal to 1"
	}
	for _, c := range []struct{ op, body, want string }{
		{"ListSentimentDetectionJobs", `{"Filter":{"JobName":""}}`, tooShort("filter.jobName")},
		{"ListTopicsDetectionJobs", `{"Filter":{"JobName":"","JobStatus":"COMPLETED"}}`, tooShort("filter.jobName")},
		{"DescribeSentimentDetectionJob", `{"JobId":""}`, tooShort("jobId")},
		{"StopPiiEntitiesDetectionJob", `{"JobId":""}`, tooShort("jobId")},
		{"DescribeTopicsDetectionJob", `{}`, "1 validation error detected: Value null at 'jobId' failed to satisfy constraint: Member must not be null"},
		{"StartSentimentDetectionJob", "{" + strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`, `"JobName":""`}, ",") + "}", tooShort("jobName")},
		// Sent by an SDK given aws.String(""): it generates a token only for a nil one. Taken as
		// none, each retry of the Start made another job.
		{"StartTopicsDetectionJob", "{" + strings.Join([]string{inURI, outURI, role, `"ClientRequestToken":""`}, ",") + "}", tooShort("clientRequestToken")},
		{"StartPiiEntitiesDetectionJob", "{" + strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`, `"Mode":"ONLY_OFFSETS"`, `"ClientRequestToken":""`}, ",") + "}", tooShort("clientRequestToken")},
	} {
		status, out := call(t, a, c.op, c.body)
		if status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" || out["Message"] != c.want {
			t.Errorf("%s %s: %d %v\nwant InvalidRequestException %q", c.op, c.body, status, out, c.want)
		}
	}
	// A Filter.JobName that is given filters.
	if status, out := call(t, a, "ListSentimentDetectionJobs", `{"Filter":{"JobName":"x"}}`); status != http.StatusOK {
		t.Errorf("Filter.JobName x: %d %v", status, out)
	}
}
