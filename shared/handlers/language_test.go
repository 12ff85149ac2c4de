package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLanguageCodeValidation: both API surfaces check LanguageCode against the languages the
// deployment's analysers support (/v1 in any case: "EN" is stored as "en" and "zh-tw" as "zh-TW";
// the Comprehend surface takes its enum's codes exactly);
// an unknown code ("xx") is a 400 listing the supported codes, and no job is created. A code an
// analysis of the job does not support (SENTIMENT is English only) is a 400 naming it, not a
// job whose every document fails (found from outside: StartSentimentDetectionJob with fr).
func TestLanguageCodeValidation(t *testing.T) {
	a, _ := comprehendAPI(t)
	createWith := func(analysis, lang string) (int, map[string]any) {
		t.Helper()
		body := `{"Analyses":["` + analysis + `"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"},"LanguageCode":"` + lang + `"}`
		r := httptest.NewRequest(http.MethodPost, "/v1/jobs", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer k")
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("create %q: body %q", lang, w.Body)
		}
		return w.Code, out
	}
	create := func(lang string) (int, map[string]any) { return createWith("LANGUAGE", lang) }
	for lang, want := range map[string]string{"en": "en", "EN": "en", "En-gb": "en-GB", "FR": "fr", "zh-tw": "zh-TW", "ZH": "zh"} {
		status, out := create(lang)
		if status != http.StatusCreated || out["LanguageCode"] != want {
			t.Errorf("POST /v1/jobs with LanguageCode %q: %d %v; want 201 with %q", lang, status, out, want)
		}
	}
	for _, lang := range []string{"xx", "english", "e", "en_US", "en-", "qq-TW"} {
		status, out := create(lang)
		msg, _ := out["message"].(string)
		if status != http.StatusBadRequest || out["code"] != "InvalidRequest" || !strings.Contains(msg, "supported codes") || !strings.Contains(msg, "en, es") {
			t.Errorf("POST /v1/jobs with LanguageCode %q: %d %v; want 400 listing the supported codes", lang, status, out)
		}
	}

	for _, lang := range []string{"fr", "zh-TW", "de"} {
		status, out := createWith("SENTIMENT", lang)
		if msg, _ := out["message"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "SENTIMENT supports English (en) only") {
			t.Errorf("SENTIMENT with LanguageCode %q: %d %v; want a 400 naming SENTIMENT", lang, status, out)
		}
	}
	if status, out := createWith("SENTIMENT", "en-GB"); status != http.StatusCreated {
		t.Errorf("SENTIMENT with LanguageCode en-GB: %d %v", status, out)
	}

	// The Comprehend-compatible surface goes through the same check, once a code is within
	// Comprehend's enum (hi is, and is not among the default languages; xx and EN are refused
	// before: TestComprehendLanguageCodeEnum). A code no analyser here supports is answered by
	// the job's analysis when that refuses it (found from outside: hi listed every code of the
	// deployment with /v1's spelling rules, which this surface does not take).
	start := func(lang string) (int, map[string]any) {
		return call(t, a, "StartSentimentDetectionJob", "{"+strings.Join([]string{inURI, outURI, role, `"LanguageCode":"` + lang + `"`}, ",")+"}")
	}
	status, out := start("hi")
	if msg, _ := out["Message"].(string); status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" ||
		!strings.Contains(msg, `SENTIMENT supports English (en) only, not "hi"`) || strings.Contains(msg, "any case") {
		t.Errorf("StartSentimentDetectionJob with LanguageCode hi: %d %v", status, out)
	}
	if status, out := createWith("SENTIMENT", "XX"); status != http.StatusBadRequest || !strings.Contains(out["message"].(string), `SENTIMENT supports English (en) only, not "XX"`) {
		t.Errorf("POST /v1/jobs SENTIMENT with LanguageCode XX: %d %v; want a 400 naming SENTIMENT and the code as given", status, out)
	}
	// A malformed code is answered with the spelling rules, not by the analysis.
	if status, out := createWith("SENTIMENT", "en_US"); status != http.StatusBadRequest || !strings.Contains(out["message"].(string), "supported codes") {
		t.Errorf("POST /v1/jobs SENTIMENT with LanguageCode en_US: %d %v; want the 400 listing the supported codes", status, out)
	}
	status, out = start("fr")
	if status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" || !strings.Contains(out["Message"].(string), "SENTIMENT supports English") {
		t.Errorf("StartSentimentDetectionJob with LanguageCode fr: %d %v", status, out)
	}
	status, out = start("en")
	id, _ := out["JobId"].(string)
	if status != http.StatusOK || id == "" {
		t.Fatalf("StartSentimentDetectionJob with LanguageCode en: %d %v", status, out)
	}
	_, out = call(t, a, "DescribeSentimentDetectionJob", `{"JobId":"`+id+`"}`)
	if p, _ := out["SentimentDetectionJobProperties"].(map[string]any); p["LanguageCode"] != "en" {
		t.Errorf("Describe of a job started with en: %v; want LanguageCode en", out)
	}
}
