package api

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// jsonKinds is v's JSON encoding as a map of each top-level field to its JSON kind ("string",
// "number", "object", ...), nested objects as "object".
func jsonKinds(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case bool:
		return "boolean"
	}
	return "null"
}

// TestTextractCompletionMessage: a notification carries every field of Textract's completion
// message with its name and JSON type, so that a consumer written for Textract's
// NotificationChannel (a Lambda subscribed to the topic, parsing Message as JSON) reads it
// unchanged. Source: the Amazon Textract Developer Guide, "Amazon Textract Results
// Notification" (async-notification-payload): {"JobId": String, "Status": String, "API":
// String, "JobTag": String, "Timestamp": Number (when the job finished, Unix milliseconds),
// "DocumentLocation": {"S3ObjectName": String, "S3Bucket": String}}, Status one of SUCCEEDED,
// FAILED, ERROR.
func TestTextractCompletionMessage(t *testing.T) {
	end := time.Date(2026, 12, 5, 12, 4, 38, 814418377, time.UTC)
	n := Notification{JobId: "j", JobStatus: job.Completed, Time: end, Status: TextractStatus(job.Completed),
		API: "CreateJob", JobTag: "t", Timestamp: end.UnixMilli(),
		DocumentLocation: DocumentLocation{S3Bucket: "b", S3ObjectName: "inputs/t/x.txt"}}
	got := jsonKinds(t, n)
	for _, f := range []struct{ name, kind string }{
		{"JobId", "string"}, {"Status", "string"}, {"API", "string"}, {"JobTag", "string"},
		{"Timestamp", "number"}, {"DocumentLocation", "object"},
	} {
		if k := kindOf(got[f.name]); k != f.kind {
			t.Errorf("%s is a JSON %s, Textract's is a %s", f.name, k, f.kind)
		}
	}
	loc, _ := got["DocumentLocation"].(map[string]any)
	for _, name := range []string{"S3ObjectName", "S3Bucket"} {
		if k := kindOf(loc[name]); k != "string" {
			t.Errorf("DocumentLocation.%s is a JSON %s, Textract's is a string", name, k)
		}
	}
	// Timestamp: Unix milliseconds (an integer, as Textract's, 13 digits now), not seconds.
	if ts := got["Timestamp"].(float64); ts != float64(end.UnixMilli()) || ts < 1e12 {
		t.Errorf("Timestamp %v, want %d (Unix milliseconds)", ts, end.UnixMilli())
	}
	// Status: within Textract's values for every status a notified (terminal) job may have.
	for _, st := range job.AllStatuses {
		if !st.Terminal() {
			continue
		}
		if s := TextractStatus(st); !slices.Contains([]string{"SUCCEEDED", "FAILED", "ERROR"}, s) {
			t.Errorf("a %s job is notified with Status %q, outside Textract's SUCCEEDED, FAILED, ERROR", st, s)
		}
	}
}

// TestJobPropertiesOfTheAsyncServices: the job object carries the members of the job
// properties of the services a migrating user comes from under their names, and the JSON type
// a client of those services reads; the members it does not carry under that name are the
// differences README.md states (the map below), no others. Sources, botocore's API models
// (python3-botocore, botocore/data/<service>/<version>/service-2.json):
//   - comprehendmedical 2018-10-30, ComprehendMedicalAsyncJobProperties (what its Describe…/List…
//     jobs return) and its JobStatus enum;
//   - translate 2017-07-01, JobDetails (TextTranslationJobProperties.JobDetails, Integer
//     members).
func TestJobPropertiesOfTheAsyncServices(t *testing.T) {
	end := time.Now().UTC()
	j := &job.Job{JobId: "j", JobName: "n", JobStatus: job.PartialSuccess, Message: "m", SubmitTime: end,
		EndTime: &end, ExpirationTime: &end, LanguageCode: "en", DataAccessRoleArn: "arn:aws:iam::123456789012:role/r",
		ManifestFilePath: "s3://b/outputs/t/j/manifest.json", ModelVersion: "LANGUAGE=v",
		InputDataConfig:  job.InputDataConfig{S3Uri: "s3://b/inputs/t/x", InputFormat: job.OneDocPerLine},
		OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://b/outputs/t/j/", KmsKeyId: "alias/k"}}
	got := jsonKinds(t, j)
	// ComprehendMedicalAsyncJobProperties: member → the JSON kind Ream shows it as. Its
	// timestamps are shown as RFC 3339 strings on /v1 (README: The job object).
	medical := map[string]string{
		"JobId": "string", "JobName": "string", "JobStatus": "string", "Message": "string",
		"SubmitTime": "string", "EndTime": "string", "ExpirationTime": "string",
		"InputDataConfig": "object", "OutputDataConfig": "object", "LanguageCode": "string",
		"DataAccessRoleArn": "string", "ManifestFilePath": "string", "ModelVersion": "string",
	}
	// The members README.md names as shown elsewhere, and where.
	differs := map[string]string{"KMSKey": "OutputDataConfig.KmsKeyId"}
	for name, kind := range medical {
		if k := kindOf(got[name]); k != kind {
			t.Errorf("Comprehend Medical's %s: the job shows a JSON %s, want a %s", name, k, kind)
		}
	}
	if out, _ := got["OutputDataConfig"].(map[string]any); kindOf(out["KmsKeyId"]) != "string" {
		t.Errorf("Comprehend Medical's KMSKey: the job shows no %s", differs["KMSKey"])
	}
	// Comprehend Medical's JobStatus values are all statuses a Ream job may have.
	for _, s := range []job.Status{"SUBMITTED", "IN_PROGRESS", "COMPLETED", "PARTIAL_SUCCESS", "FAILED", "STOP_REQUESTED", "STOPPED"} {
		if !slices.Contains(job.AllStatuses, s) {
			t.Errorf("Comprehend Medical's JobStatus %s is not a Ream status", s)
		}
	}
	// Translate's JobDetails: InputDocumentsCount and DocumentsWithErrorsCount by name;
	// TranslatedDocumentsCount is ProcessedDocumentsCount (README: Counters). All integers.
	details := jsonKinds(t, job.Details{InputDocumentsCount: 3, ProcessedDocumentsCount: 2, DocumentsWithErrorsCount: 1})
	for _, name := range []string{"InputDocumentsCount", "DocumentsWithErrorsCount", "ProcessedDocumentsCount"} {
		if k := kindOf(details[name]); k != "number" {
			t.Errorf("JobDetails.%s is a JSON %s, Translate's counters are integers", name, k)
		}
	}
	if _, ok := details["TranslatedDocumentsCount"]; ok {
		t.Errorf("JobDetails shows TranslatedDocumentsCount, which README says it does not")
	}
}
