package aws_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	reamclient "github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Coding clients (Cognito app client ids: the tenant JWTAuth gives their requests).
const (
	e2eCodingClient = "4n1s0c0d1ngc11ent0f0ffice1"
	e2eOtherClient  = "7a9b0other0coding0client22"
)

// TestE2ECoding follows the coding service's flow on the emulators with the AWS adapters, as the
// AWS stack wires it: API Gateway v2 events for the coding routes carrying the claims of the JWT
// authoriser (a Cognito client-credentials token with scope ream/coding) into the API handler
// with the api function's AnyAuth{IAMAuth, JWTAuth}; the shipped model registered by the api and
// worker cold starts; the records PUT to MinIO through the presigned URL with the headers it
// names; MinIO's ObjectCreated notification into ingest; the shards coded by the worker over
// SQS; the coded records and the metadata downloaded through the operation's URLs. Then a model
// of another topic (409), an unknown topic (404), and a CODING_TRAINING job created through
// /v1/jobs with an IAM identity that registers version 2 for that tenant alone.
//
// SSE-KMS: MinIO as scripts/emulators.sh starts it has no KMS and refuses any request that asks
// for SSE-KMS, presigned PUTs included. The stack then has no KMS key (as a deployment without
// REAM_KMS_KEY_ID): the presigned URL signs no SSE headers and bucketKmsKeyArn is empty, and the
// flow is asserted without them. When MinIO has a KMS (MINIO_KMS_SECRET_KEY=<name>:<base64 of 32
// bytes> exported before `scripts/emulators.sh start`), the stack encrypts with its key: the URL
// signs both SSE-KMS headers, bucketKmsKeyArn names the key, a PUT without the headers is
// refused, the stored input and model files are SSE-KMS, and the Go client's
// UploadCodingRecords (shared/client) uploads with them.
func TestE2ECoding(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	s := newE2EStack(t, ctx, e2eShardBytes)
	kmsKey := e2eProbeKMS(t, ctx, s)
	s.rebuild(t, ctx, e2eDeps{shardBytes: e2eShardBytes, kmsKey: kmsKey})
	s3Events := e2eStartObjectEvents(t, ctx, s)
	// Training runs in one shard: a long visibility timeout, as the worker function's.
	e2eEventSources(t, ctx, s, 3*time.Minute, nil)
	sub := e2eNewSubscriber(s)

	client, other := e2eJWT(e2eCodingClient), e2eJWT(e2eOtherClient)
	iam := e2eIAM(e2eCaller)
	iamTenant := handlers.TenantFromARN(e2eCaller)
	records, err := os.ReadFile("../../testdata/coding/records.jsonl")
	if err != nil {
		t.Fatal(err)
	}

	// code runs one operation: POST batch-code on path (…/batch-code), the PUT of data, the
	// ingest, and polling until the operation ends; it returns the operation as created and as
	// it ended.
	code := func(t *testing.T, path string, who e2eWho, tenant string, data []byte) (api.CodingOperationStarted, api.CodingOperationStatus) {
		t.Helper()
		var op api.CodingOperationStarted
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodPost, path, who), http.StatusOK, &op)
		if op.OperationId == "" || op.RequestUploadURL == "" {
			t.Fatalf("batch-code answered %+v", op)
		}
		key := layout.UploadKey(tenant, op.OperationId)
		if want := os.Getenv("REAM_TEST_S3_ENDPOINT") + "/" + s.bucket + "/" + key + "?"; !strings.HasPrefix(op.RequestUploadURL, want) ||
			!strings.Contains(op.RequestUploadURL, "X-Amz-Signature=") {
			t.Fatalf("requestUploadUrl %s; want a presigned URL starting %s", op.RequestUploadURL, want)
		}
		signed := e2eSignedHeaders(t, op.RequestUploadURL)
		if kmsKey == "" {
			if op.BucketKmsKeyArn != "" || len(op.UploadHeaders) != 0 || signed[api.HeaderSSE] {
				t.Errorf("without a KMS key: bucketKmsKeyArn %q, uploadHeaders %v, signed headers %v; want none", op.BucketKmsKeyArn, op.UploadHeaders, signed)
			}
		} else {
			if op.BucketKmsKeyArn != kmsKey || op.UploadHeaders[api.HeaderSSE] != "aws:kms" ||
				op.UploadHeaders[api.HeaderSSEKMSKeyID] != kmsKey || !signed[api.HeaderSSE] || !signed[api.HeaderSSEKMSKeyID] {
				t.Errorf("with KMS key %q: bucketKmsKeyArn %q, uploadHeaders %v, signed headers %v; want both SSE-KMS headers, signed", kmsKey, op.BucketKmsKeyArn, op.UploadHeaders, signed)
			}
			// The headers are part of the signature: the PUT without them is refused (S3 answers
			// 403 SignatureDoesNotMatch; MinIO 400 AccessDenied "There were headers present in
			// the request which were not signed").
			if status, body := e2ePutStatus(t, ctx, op.RequestUploadURL, nil, data); status != http.StatusForbidden && status != http.StatusBadRequest {
				t.Errorf("PUT without the SSE-KMS headers: MinIO answered %d, want a refusal (403 or 400): %.300s", status, body)
			}
		}
		opPath := strings.TrimSuffix(path, "/batch-code") + "/batch-code/operations/" + op.OperationId
		var st api.CodingOperationStatus
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, opPath, who), http.StatusOK, &st)
		if st.OperationStatus != api.OpAwaitingInput || st.ResponseDownloadURL != "" {
			t.Fatalf("before the upload: %+v", st)
		}
		// The client sends the headers the service named (uploadHeaders, which are the URL's
		// signed headers whatever bucketKmsKeyArn says).
		if status, body := e2ePutStatus(t, ctx, op.RequestUploadURL, op.UploadHeaders, data); status != http.StatusOK {
			t.Fatalf("PUT records: MinIO answered %d: %.500s", status, body)
		}
		s3Events.uploaded(t, ctx, key)
		in := s3Events.waitIngested(t, ctx, key)
		e2eCheckObjectEvent(t, s, s3Events.webhook, in, key, len(data))
		if kmsKey != "" {
			head, err := s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
			if err != nil || head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms {
				t.Errorf("uploaded records: SSE %q, %v; want aws:kms", head.ServerSideEncryption, err)
			}
		}
		end, seen := e2eWaitOperation(t, ctx, s, opPath, who)
		t.Logf("operation %s: %v", op.OperationId, seen)
		return op, end
	}

	var shipped api.Model
	t.Run("service flow", func(t *testing.T) {
		var topics []api.Topic
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics", client), http.StatusOK, &topics)
		if len(topics) != 1 || topics[0].URIName != "occupation" || topics[0].TopicStandard != "SOC" || topics[0].TopicVersion != "2010" {
			t.Fatalf("topics: %+v", topics)
		}
		var topic api.TopicDetail
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation", client), http.StatusOK, &topic)
		levels := map[int]int{}
		for _, c := range topic.Codes {
			levels[c.Level]++
		}
		if levels[1] != 9 || levels[2] != 25 || levels[3] != 90 {
			t.Errorf("classification levels %v, want 9/25/90", levels)
		}
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/models/latest", client), http.StatusOK, &shipped)
		if shipped.ModelId == "" || shipped.ModelVersion != 1 || !shipped.Shipped || shipped.Topic != "occupation" || len(shipped.Metrics) == 0 || shipped.SizeBytes <= 0 {
			t.Fatalf("latest model: %+v", shipped)
		}
		var models []api.Model
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/models", client), http.StatusOK, &models)
		if len(models) != 1 || models[0].ModelId != shipped.ModelId {
			t.Errorf("models: %+v; want the shipped model once (registered by two cold starts)", models)
		}

		op, st := code(t, "/v1/topics/occupation/batch-code", client, e2eCodingClient, records)
		if st.OperationStatus != api.OpComplete || st.ResponseDownloadURL == "" || st.MetadataDownloadURL == "" || st.Error != "" {
			t.Fatalf("operation ended %+v", st)
		}
		lines := e2eCodedLines(t, e2eGetURL(t, ctx, st.ResponseDownloadURL))
		if len(lines) != 200 {
			t.Fatalf("%d coded lines, want 200", len(lines))
		}
		coded := 0
		for i, r := range lines {
			if want := "r" + strconv.Itoa(i); r.RecordId != want {
				t.Fatalf("line %d has recordId %q, want %q (input order)", i, r.RecordId, want)
			}
			if r.Error != nil || len(r.Suggestions) != 3 {
				t.Fatalf("line %d: %+v, want a coding with 3 suggestions", i, r)
			}
			for k, sg := range r.Suggestions {
				if len(sg.CodeCategory) != 3 || sg.CodeLabel == "" || sg.CodeConfidence <= 0 || sg.CodeConfidence > 1 ||
					k > 0 && sg.CodeConfidence > r.Suggestions[k-1].CodeConfidence {
					t.Fatalf("line %d: suggestions %+v, want 3-digit codes, best first", i, r.Suggestions)
				}
			}
			if r.Result != nil {
				coded++
			}
		}
		if coded < 100 {
			t.Errorf("only %d of 200 records coded", coded)
		}
		var meta api.CodingMetadata
		if err := json.Unmarshal(e2eGetURL(t, ctx, st.MetadataDownloadURL), &meta); err != nil {
			t.Fatalf("metadata: %v", err)
		}
		if meta.OperationId != op.OperationId || meta.Topic != "occupation" || meta.Classification.Standard != "SOC" || meta.Classification.Version != "2010" ||
			meta.Model.ModelId != shipped.ModelId || meta.Model.ModelVersion != 1 || meta.Model.ModelReleaseDate.IsZero() || meta.Records != 200 || meta.RecordsWithErrors != 0 {
			t.Errorf("metadata %+v", meta)
		}

		// The operation is a Ream job of the client's tenant, kept 24 h, and notified like any.
		j, err := s.svc.Describe(ctx, e2eCodingClient, op.OperationId)
		if err != nil {
			t.Fatal(err)
		}
		if j.JobStatus != job.Completed || j.CodingConfig == nil || j.CodingConfig.ModelId != shipped.ModelId || j.RetentionHours != 24 ||
			j.JobDetails.InputDocumentsCount != 200 || j.JobDetails.DocumentsWithErrorsCount != 0 || j.JobDetails.ShardsTotal < 4 ||
			j.JobDetails.AnalysisCounts[job.Coding] != (job.AnalysisCount{Succeeded: 200}) {
			t.Errorf("the operation as a job: %s %+v %+v retention %d", j.JobStatus, j.CodingConfig, j.JobDetails, j.RetentionHours)
		}
		if j.EndTime == nil || j.ExpirationTime == nil || j.ExpirationTime.Sub(*j.EndTime) != 24*time.Hour {
			t.Errorf("coding output kept until %v after %v, want 24 h", j.ExpirationTime, j.EndTime)
		}
		if d := sub.wait(t, ctx, op.OperationId); d.Note.JobStatus != job.Completed || d.Note.Tenant != e2eCodingClient || d.Note.InputDocumentsCount != 200 {
			t.Errorf("notification %+v", d.Note)
		}
		t.Logf("%d of 200 records coded (the others: suggestions only), %d shards", coded, j.JobDetails.ShardsTotal)

		// Another client does not see the operation.
		s.callError(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/batch-code/operations/"+op.OperationId, other), http.StatusNotFound)
	})
	if shipped.ModelId == "" {
		t.FailNow()
	}

	// The Go client (shared/client) uploads records with the SSE-KMS headers built from
	// bucketKmsKeyArn, overlaid with uploadHeaders.
	t.Run("Go client upload", func(t *testing.T) {
		if kmsKey == "" {
			t.Skip("the stack has no KMS key (MinIO without a KMS): the Go client always sends SSE-KMS headers, as every " +
				"deployment (the CDK stack, the local stack) has a key; nothing to check here")
		}
		file := filepath.Join(t.TempDir(), "records.jsonl")
		if err := os.WriteFile(file, records, 0o600); err != nil {
			t.Fatal(err)
		}
		// Each attempt to an operation of its own: on S3 under SSE-KMS the same bytes PUT again
		// while the operation runs cannot be told from a replacement and fail it (README), so
		// six PUTs to one URL made the test depend on when the first one's event was handled.
		const attempts = 6
		var failed int
		var op api.CodingOperationStarted
		for range attempts {
			op = api.CodingOperationStarted{}
			s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodPost, "/v1/topics/occupation/batch-code", client), http.StatusOK, &op)
			if err := (&reamclient.Client{}).UploadCodingRecords(ctx, &op, file); err != nil {
				failed++
				t.Logf("UploadCodingRecords: %v", err)
			}
		}
		if failed > 0 {
			t.Errorf("%d of %d uploads with the Go client failed (bucketKmsKeyArn %q, uploadHeaders %v)", failed, attempts, op.BucketKmsKeyArn, op.UploadHeaders)
		}
		if failed == attempts {
			return
		}
		key := layout.UploadKey(e2eCodingClient, op.OperationId)
		s3Events.uploaded(t, ctx, key)
		s3Events.waitIngested(t, ctx, key)
		st, _ := e2eWaitOperation(t, ctx, s, "/v1/topics/occupation/batch-code/operations/"+op.OperationId, client)
		if st.OperationStatus != api.OpComplete {
			t.Fatalf("operation ended %+v", st)
		}
		if n := len(e2eCodedLines(t, e2eGetURL(t, ctx, st.ResponseDownloadURL))); n != 200 {
			t.Errorf("%d coded lines, want 200", n)
		}
		// Each successful PUT raised an ObjectCreated event (ingest took them in its stride).
		s3Events.discard(t, ctx, key, attempts-failed-1, 5*time.Second)
	})

	t.Run("other topic and unknown topic", func(t *testing.T) {
		// A model of another topic (this deployment ships one topic: the registry gets one
		// directly, on the emulator's table).
		otherTopic := api.Model{ModelId: "0b7c7a52-2a9c-5d6e-9f10-" + uniq(t) + "00", Topic: "industry", ModelVersion: 1, ModelReleaseDate: time.Now().UTC(), ModelType: "test"}
		if _, created, err := reamaws.NewModels(s.c.DynamoDB, s.table).Register(ctx, otherTopic); err != nil || !created {
			t.Fatalf("register a model of topic industry: created %v, %v", created, err)
		}
		eb := s.callError(t, ctx, e2eCodingRequest(t, http.MethodPost, "/v1/topics/occupation/models/"+otherTopic.ModelId+"/batch-code", client), http.StatusConflict)
		if eb.Message != "Selected model does not match the input topic." {
			t.Errorf("409 message %q, want the service's words", eb.Message)
		}
		s.callError(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/models/"+otherTopic.ModelId, client), http.StatusConflict)
		for _, r := range []struct{ method, path string }{
			{http.MethodPost, "/v1/topics/industry/batch-code"},
			{http.MethodGet, "/v1/topics/industry"},
			{http.MethodGet, "/v1/topics/industry/models"},
			{http.MethodGet, "/v1/topics/occupation/models/3f0c0000-0000-4000-8000-000000000000"},
			{http.MethodGet, "/v1/topics/occupation/batch-code/operations/3f0c0000000040008000000000000000"},
		} {
			s.callError(t, ctx, e2eCodingRequest(t, r.method, r.path, client), http.StatusNotFound)
		}
		// No verified identity at all (API Gateway would not have invoked the function): 401.
		s.callError(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics", e2eWho{}), http.StatusUnauthorized)
		// A JWT without client_id: 401.
		ev := e2eCodingRequest(t, http.MethodGet, "/v1/topics", client)
		delete(ev.RequestContext.Authorizer.JWT.Claims, "client_id")
		s.callError(t, ctx, ev, http.StatusUnauthorized)
	})

	// train creates a CODING_TRAINING job of the IAM tenant (name may be ""), uploads data
	// through its presigned URL, checks the object event and waits for the notification; it
	// returns the job as created, the delivery and the job as it ended.
	train := func(t *testing.T, name string, data []byte) (api.CreateJobResult, e2eDelivered, job.Job) {
		t.Helper()
		body, err := json.Marshal(api.CreateJobRequest{
			JobName:         name,
			Analyses:        []job.Analysis{job.CodingTraining},
			InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
			CodingConfig:    &job.CodingConfig{Topic: "occupation"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var res api.CreateJobResult
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs", string(body), ""), http.StatusCreated, &res)
		if res.Job == nil || res.JobStatus != job.AwaitingInput || res.Upload == nil {
			t.Fatalf("create answered %+v", res)
		}
		key := layout.UploadKey(iamTenant, res.JobId)
		e2eUpload(t, ctx, res.Upload.Presigned, data)
		s3Events.uploaded(t, ctx, key)
		e2eCheckObjectEvent(t, s, s3Events.webhook, s3Events.waitIngested(t, ctx, key), key, len(data))
		d := sub.wait(t, ctx, res.JobId)
		var j job.Job
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+res.JobId, "", ""), http.StatusOK, &j)
		return res, d, j
	}

	t.Run("training", func(t *testing.T) {
		data, err := os.ReadFile("../../testdata/coding/train-sample.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		res, d, j := train(t, "e2e-train-occupation-"+uniq(t), data)
		n := int64(bytes.Count(data, []byte("\n")))
		if j.JobStatus != job.Completed || d.Note.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != n || j.JobDetails.DocumentsWithErrorsCount != 0 ||
			j.CodingConfig == nil || j.CodingConfig.ModelId == "" || !strings.Contains(j.ModelVersion, "@v2") {
			t.Fatalf("training job: %s %q %+v %+v %q; notification %s", j.JobStatus, j.Message, j.JobDetails, j.CodingConfig, j.ModelVersion, d.Note.JobStatus)
		}
		trained := j.CodingConfig.ModelId

		// Version 2 is the IAM tenant's: through the service, and through an IAM-authenticated
		// request to the coding route (AnyAuth takes IAM too).
		check := func(how string, models []api.Model) {
			t.Helper()
			if len(models) != 2 || models[0].ModelId != shipped.ModelId || models[1].ModelId != trained || models[1].ModelVersion != 2 ||
				models[1].Shipped || models[1].TrainingJobId != res.JobId || len(models[1].Metrics) == 0 || models[1].Topic != "occupation" {
				t.Errorf("%s: models of the training tenant %+v; want the shipped v1 and the trained v2", how, models)
			}
		}
		direct, err := s.svc.Models(ctx, iamTenant, "occupation")
		if err != nil {
			t.Fatal(err)
		}
		check("service", direct)
		if kmsKey != "" && len(direct) == 2 {
			for _, m := range direct {
				head, err := s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &m.Key})
				if err != nil || head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms {
					t.Errorf("model file %s: SSE %q, %v; want aws:kms", m.Key, head.ServerSideEncryption, err)
				}
			}
		}
		var viaAPI []api.Model
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/models", iam), http.StatusOK, &viaAPI)
		check("IAM request", viaAPI)
		var latest api.Model
		s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/models/latest", iam), http.StatusOK, &latest)
		if latest.ModelId != trained {
			t.Errorf("the training tenant's latest is %s, want the trained %s", latest.ModelId, trained)
		}

		// The coding clients are other tenants (client_id ≠ the IAM principal): they keep the
		// shipped model alone, and the trained one is 404 to them.
		for _, who := range []e2eWho{client, other} {
			var ms []api.Model
			s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/models", who), http.StatusOK, &ms)
			if len(ms) != 1 || ms[0].ModelId != shipped.ModelId {
				t.Errorf("client %s: models %+v; want the shipped model alone", who.clientID, ms)
			}
			s.callAPI(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/models/latest", who), http.StatusOK, &latest)
			if latest.ModelId != shipped.ModelId {
				t.Errorf("client %s: latest %s, want the shipped %s", who.clientID, latest.ModelId, shipped.ModelId)
			}
			s.callError(t, ctx, e2eCodingRequest(t, http.MethodGet, "/v1/topics/occupation/models/"+trained, who), http.StatusNotFound)
			s.callError(t, ctx, e2eCodingRequest(t, http.MethodPost, "/v1/topics/occupation/models/"+trained+"/batch-code", who), http.StatusNotFound)
		}

		// The training tenant codes with its model: the worker loads it from the bucket.
		op, st := code(t, "/v1/topics/occupation/models/"+trained+"/batch-code", iam, iamTenant, records)
		if st.OperationStatus != api.OpComplete {
			t.Fatalf("coding with the trained model: %+v", st)
		}
		if n := len(e2eCodedLines(t, e2eGetURL(t, ctx, st.ResponseDownloadURL))); n != 200 {
			t.Errorf("%d coded lines with the trained model, want 200", n)
		}
		var meta api.CodingMetadata
		if err := json.Unmarshal(e2eGetURL(t, ctx, st.MetadataDownloadURL), &meta); err != nil || meta.Model.ModelId != trained || meta.Model.ModelVersion != 2 {
			t.Errorf("metadata of operation %s: %+v %v; want the trained model v2", op.OperationId, meta, err)
		}
		t.Logf("trained model %s v2 (%d bytes), job %s", trained, latest.SizeBytes, res.JobId)
	})

	// Failures keep their outputs and counts: an operation of blank records fails with the URLs
	// of its error lines (a HEAD on S3 decides), a training job on too few records FAILS saying
	// how many it needs, its records counted and its error records served.
	t.Run("failures keep their outputs", func(t *testing.T) {
		_, st := code(t, "/v1/topics/occupation/batch-code", client, e2eCodingClient, []byte("\n\n  \n"))
		if st.OperationStatus != api.OpFailed || !strings.Contains(st.Error, "all 3 documents failed") || st.ResponseDownloadURL == "" || st.MetadataDownloadURL == "" {
			t.Fatalf("blank records: %+v", st)
		}
		if lines := e2eCodedLines(t, e2eGetURL(t, ctx, st.ResponseDownloadURL)); len(lines) != 3 || lines[0].Error == nil || lines[0].Error.Code != job.CodeEmptyDocument {
			t.Errorf("error lines of the blank records: %+v", lines)
		}

		data := []byte(`{"code":"223","occp_text":"nurse","tasks_text":"caring for patients"}` + "\n" + `{"code":223,"occp_text":"nurse","tasks_text":""}` + "\n")
		res, d, j := train(t, "", data)
		if j.JobStatus != job.Failed || d.Note.JobStatus != job.Failed || !strings.Contains(j.Message, "at least 500 usable records") ||
			j.JobDetails.InputDocumentsCount != 2 || j.JobDetails.DocumentsWithErrorsCount != 1 {
			t.Fatalf("training on 2 records: %s %q %+v", j.JobStatus, j.Message, j.JobDetails)
		}
		var errs api.ErrorsResponse
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+res.JobId+"/errors", "", ""), http.StatusOK, &errs)
		if len(errs.Errors) != 1 || !strings.Contains(string(errs.Errors[0]), `\"code\" must be a string`) {
			t.Errorf("error records of the failed training: %+v", errs)
		}
	})
}

// e2eCodedLines parses a coding operation's output (one JSON record per line).
func e2eCodedLines(t *testing.T, b []byte) []api.CodedRecord {
	t.Helper()
	var out []api.CodedRecord
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r api.CodedRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("coded line %d %q: %v", len(out), sc.Text(), err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// e2eSignedHeaders returns the headers a presigned URL signs (X-Amz-SignedHeaders), lower case.
func e2eSignedHeaders(t *testing.T, raw string) map[string]bool {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("presigned URL %s: %v", raw, err)
	}
	out := map[string]bool{}
	for _, h := range strings.Split(u.Query().Get("X-Amz-SignedHeaders"), ";") {
		if h != "" {
			out[strings.ToLower(h)] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("presigned URL %s has no X-Amz-SignedHeaders", raw)
	}
	return out
}
