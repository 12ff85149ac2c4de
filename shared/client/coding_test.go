package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// fakeCoding is a coding service on an httptest server: a token endpoint for one client, the
// topic and model routes, and one operation that is in_progress for two status requests after
// its upload and complete after that.
type fakeCoding struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	auth     []string // Authorization of each API request
	paths    []string // method and escaped path of each API request
	uploaded []byte
	upload   http.Header
	polls    int
}

const fakeToken = "eyJjbGllbnQiOiJjIn0.c2ln"

func newFakeCoding(t *testing.T) *fakeCoding {
	f := &fakeCoding{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
			r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != CodingScope {
			api.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "bad form"})
			return
		}
		if !ok || id != "client-1" || secret != "s3cret" {
			api.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client or wrong secret"})
			return
		}
		api.WriteJSON(w, http.StatusOK, api.Token{AccessToken: fakeToken, TokenType: "Bearer", ExpiresIn: 3600})
	})
	route := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.auth = append(f.auth, r.Header.Get("Authorization"))
			f.paths = append(f.paths, r.Method+" "+r.URL.EscapedPath())
			f.mu.Unlock()
			h(w, r)
		})
	}
	model := api.Model{ModelId: "m-1", Topic: "occupation", ModelVersion: 1, ModelType: "test", Shipped: true,
		Metrics: json.RawMessage(`{"records":10,"top1":0.5,"top3":0.8}`)}
	route("GET /v1/topics", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, []api.Topic{{URIName: "occupation", TopicStandard: "SOC", TopicVersion: "2010"}})
	})
	route("GET /v1/topics/{topic}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("topic") != "occupation" {
			api.WriteJSON(w, http.StatusNotFound, api.ErrorBody{Code: "ResourceNotFound", Message: "no such topic"})
			return
		}
		writeJSON(w, api.TopicDetail{Topic: api.Topic{URIName: "occupation"}, Codes: []api.Code{{Code: "1", Label: "Managers", Level: 1}}})
	})
	route("GET /v1/topics/{topic}/models", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, []api.Model{model}) })
	route("GET /v1/topics/{topic}/models/{model}", func(w http.ResponseWriter, r *http.Request) {
		m := model
		m.ModelId = r.PathValue("model")
		writeJSON(w, m)
	})
	started := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, api.CodingOperationStarted{OperationId: "op-1", RequestUploadURL: f.srv.URL + "/upload/op-1?sig=x",
			BucketKmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/k-1"})
	}
	route("POST /v1/topics/{topic}/batch-code", started)
	route("POST /v1/topics/{topic}/models/{model}/batch-code", started)
	operation := func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		st := api.CodingOperationStatus{OperationId: r.PathValue("op"), OperationStatus: api.OpAwaitingInput,
			Job: &job.Job{JobId: "op-1", JobStatus: job.AwaitingInput}}
		if f.uploaded != nil {
			f.polls++
			st.OperationStatus, st.Job.JobStatus, st.Job.JobDetails.InputDocumentsCount = api.OpInProgress, job.InProgress, int64(f.polls)
			if f.polls > 2 {
				st.OperationStatus, st.Job.JobStatus = api.OpComplete, job.Completed
				st.ResponseDownloadURL, st.MetadataDownloadURL = f.srv.URL+"/download/coded?sig=y", f.srv.URL+"/download/meta?sig=z"
			}
		}
		writeJSON(w, st)
	}
	route("GET /v1/topics/{topic}/batch-code/operations/{op}", operation)
	route("GET /v1/topics/{topic}/models/{model}/batch-code/operations/{op}", operation)
	mux.HandleFunc("PUT /upload/op-1", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.uploaded, f.upload = b, r.Header.Clone()
		f.mu.Unlock()
	})
	mux.HandleFunc("GET /download/coded", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"recordId":"r0","suggestions":[]}`+"\n")
	})
	mux.HandleFunc("GET /download/meta", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"operationId":"op-1","records":1}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, v any) { api.WriteJSON(w, http.StatusOK, v) }

// TestCodingClient: a token from the token endpoint is sent bare on every coding call; topics,
// models, an operation started with a pinned model, the records uploaded with the SSE-KMS
// headers, the operation waited for, and its two files downloaded.
func TestCodingClient(t *testing.T) {
	ctx := context.Background()
	f := newFakeCoding(t)
	c := &Client{Endpoint: f.srv.URL + "/", APIKey: "ignored-when-a-token-is-set"}

	tok, err := c.Token(ctx, "client-1", "s3cret")
	if err != nil || tok.AccessToken != fakeToken || tok.ExpiresIn != 3600 {
		t.Fatalf("token: %+v %v", tok, err)
	}
	c.AccessToken = tok.AccessToken

	topics, err := c.Topics(ctx)
	if err != nil || len(topics) != 1 || topics[0].URIName != "occupation" {
		t.Fatalf("topics: %+v %v", topics, err)
	}
	topic, err := c.Topic(ctx, "occupation")
	if err != nil || len(topic.Codes) != 1 || topic.Codes[0].Label != "Managers" {
		t.Fatalf("topic: %+v %v", topic, err)
	}
	var apiErr *APIError
	if _, err := c.Topic(ctx, "industry"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Code != "ResourceNotFound" {
		t.Fatalf("unknown topic: %v", err)
	}
	ms, err := c.Models(ctx, "occupation")
	if err != nil || len(ms) != 1 || !ms[0].Shipped || len(ms[0].Metrics) == 0 {
		t.Fatalf("models: %+v %v", ms, err)
	}
	m, err := c.Model(ctx, "occupation", "latest")
	if err != nil || m.ModelId != "latest" {
		t.Fatalf("model: %+v %v", m, err)
	}

	op, err := c.StartCoding(ctx, "occupation", "m/1")
	if err != nil || op.OperationId != "op-1" {
		t.Fatalf("start: %+v %v", op, err)
	}
	records := filepath.Join(t.TempDir(), "records.jsonl")
	if err := os.WriteFile(records, []byte(`{"recordId":"r0","occp_text":"welder","tasks_text":""}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := c.CodingOperation(ctx, "occupation", "", op.OperationId)
	if err != nil || st.OperationStatus != api.OpAwaitingInput || CodingFinished(st.OperationStatus) {
		t.Fatalf("before the upload: %+v %v", st, err)
	}
	if err := c.UploadCodingRecords(ctx, op, records); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(f.uploaded), `"welder"`) || f.upload.Get(api.HeaderSSE) != "aws:kms" || f.upload.Get(api.HeaderSSEKMSKeyID) != op.BucketKmsKeyArn {
		t.Fatalf("upload: %q with headers %v", f.uploaded, f.upload)
	}
	if f.upload.Get("Authorization") != "" {
		t.Errorf("the presigned upload carried Authorization %q", f.upload.Get("Authorization"))
	}

	var seen []string
	st, err = c.WaitCoding(ctx, "occupation", "m/1", op.OperationId, time.Millisecond, func(s *api.CodingOperationStatus) {
		seen = append(seen, s.OperationStatus)
	})
	if err != nil || st.OperationStatus != api.OpComplete || strings.Join(seen, ",") != "in_progress,in_progress,complete" {
		t.Fatalf("wait: %+v %v, seen %v", st, err, seen)
	}
	dir := filepath.Join(t.TempDir(), "out")
	files, err := c.DownloadCoding(ctx, st, dir)
	if err != nil || len(files) != 2 || filepath.Base(files[0]) != "coded.jsonl" || filepath.Base(files[1]) != "metadata.json" {
		t.Fatalf("download: %v %v", files, err)
	}
	if b, _ := os.ReadFile(files[1]); !strings.Contains(string(b), `"op-1"`) {
		t.Errorf("metadata.json: %q", b)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	for i, a := range f.auth {
		if a != fakeToken {
			t.Errorf("%s sent Authorization %q, want the bare token", f.paths[i], a)
		}
	}
	want := []string{
		"POST /v1/topics/occupation/models/m%2F1/batch-code",
		"GET /v1/topics/occupation/batch-code/operations/op-1",
		"GET /v1/topics/occupation/models/m%2F1/batch-code/operations/op-1",
	}
	got := strings.Join(f.paths, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("no request %q among\n%s", w, got)
		}
	}
}

// TestCodingTokenErrors: the token endpoint's OAuth errors become APIErrors with its code and
// description; TokenURL replaces the endpoint's /oauth2/token (a Cognito domain on AWS); an
// operation without a download URL (failed before any record was read) has nothing to download.
func TestCodingTokenErrors(t *testing.T) {
	ctx := context.Background()
	f := newFakeCoding(t)
	c := &Client{Endpoint: "http://127.0.0.1:1", TokenURL: f.srv.URL + "/oauth2/token"}
	_, err := c.Token(ctx, "client-1", "wrong")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Code != "invalid_client" || !strings.Contains(apiErr.Message, "wrong secret") {
		t.Fatalf("wrong secret: %v", err)
	}
	if tok, err := c.Token(ctx, "client-1", "s3cret"); err != nil || tok.AccessToken != fakeToken {
		t.Fatalf("token through TokenURL: %+v %v", tok, err)
	}
	if _, err := c.DownloadCoding(ctx, &api.CodingOperationStatus{OperationId: "op-2", OperationStatus: api.OpFailed}, t.TempDir()); err == nil {
		t.Error("downloaded the results of a failed operation")
	}
}

// TestAPIKeyOnCodingRoutes: without a token the API key is sent as a bearer key, as on the
// other routes.
func TestAPIKeyOnCodingRoutes(t *testing.T) {
	f := newFakeCoding(t)
	c := &Client{Endpoint: f.srv.URL, APIKey: "local-dev-key"}
	if _, err := c.Models(context.Background(), "occupation"); err != nil {
		t.Fatal(err)
	}
	if got := f.auth[0]; got != "Bearer local-dev-key" {
		t.Errorf("Authorization %q, want the bearer key", got)
	}
}

// TestClientCredentialsRenewTheToken: a client given OAuth client credentials gets a new access
// token shortly before its token expires, and once more when the API refuses its token, so a
// long wait outlives any one token (found from outside: `ream code --wait` with
// REAM_CLIENT_ID failed with 401 once its only token expired, and downloaded nothing).
func TestClientCredentialsRenewTheToken(t *testing.T) {
	tokens := &tokenIssuer{}
	mux := http.NewServeMux()
	mux.Handle("POST /oauth2/token", tokens)
	// The API takes the latest token issued only.
	mux.HandleFunc("GET /v1/topics", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != fmt.Sprintf("tok-%d", tokens.count()) {
			api.WriteJSON(w, http.StatusUnauthorized, map[string]string{"code": "Unauthorized", "message": "the access token has expired"})
			return
		}
		api.WriteJSON(w, http.StatusOK, []api.Topic{})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	c := &Client{Endpoint: srv.URL}

	wrong := &Client{Endpoint: srv.URL}
	if err := wrong.UseClientCredentials(ctx, "client-1", "wrong"); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := c.UseClientCredentials(ctx, "client-1", "s3cret"); err != nil {
		t.Fatal(err)
	}
	calls := tokens.count
	start := calls()
	for range 3 {
		if _, err := c.Topics(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls() - start; n != 0 {
		t.Errorf("%d tokens asked for while the first was current", n)
	}
	// A minute before the hour is up: a new token, unasked.
	base := time.Now()
	c.creds.now = func() time.Time { return base.Add(59*time.Minute + time.Second) }
	if _, err := c.Topics(ctx); err != nil {
		t.Fatalf("after the token's renewal time: %v", err)
	}
	if n := calls() - start; n != 1 {
		t.Errorf("%d tokens asked for at the renewal time; want 1", n)
	}
	// A token the API refuses before it is due (another was issued meanwhile, or clocks
	// apart): once more with a new one.
	if _, err := c.Token(ctx, "client-1", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Topics(ctx); err != nil {
		t.Fatalf("after the API refused the token: %v", err)
	}
}

// TestClientCredentialsConcurrentRefusal: two requests sent at once with the same token, which the
// API refuses, are each sent once more with one new token. Each dropped "the current token" when
// refused: the second either found none left to drop and gave up with the 401 (the first had
// dropped it and was still getting the new one), or dropped the new token the first had just got
// and asked for yet another.
func TestClientCredentialsConcurrentRefusal(t *testing.T) {
	tokens := &tokenIssuer{}
	arrived := make(chan struct{}, 2)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("POST /oauth2/token", tokens)
	// The API refuses the first token (revoked, or clocks apart), once both requests holding it
	// have arrived; it takes any later one.
	mux.HandleFunc("GET /v1/topics", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "tok-1" {
			arrived <- struct{}{}
			<-release
			api.WriteJSON(w, http.StatusUnauthorized, map[string]string{"code": "Unauthorized", "message": "the access token has expired"})
			return
		}
		api.WriteJSON(w, http.StatusOK, []api.Topic{})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	c := &Client{Endpoint: srv.URL}
	if err := c.UseClientCredentials(ctx, "client-1", "s3cret"); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := c.Topics(ctx); errs <- err }()
	}
	<-arrived
	<-arrived
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("a request refused with the old token was not sent again with a new one: %v", err)
		}
	}
	if n := tokens.count(); n != 2 {
		t.Errorf("%d tokens issued; want 2 (the first, and one to replace it)", n)
	}
}

// TestClientCredentialsFollowRenews: the event stream (ream submit --wait) replaces a token the
// API refuses once, as the other requests do; it returned the 401, which ended the wait.
func TestClientCredentialsFollowRenews(t *testing.T) {
	tokens := &tokenIssuer{}
	mux := http.NewServeMux()
	mux.Handle("POST /oauth2/token", tokens)
	mux.HandleFunc("GET /v1/jobs/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "tok-1" {
			api.WriteJSON(w, http.StatusUnauthorized, map[string]string{"code": "Unauthorized", "message": "the access token has expired"})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: %s\ndata: {\"JobId\":%q,\"JobStatus\":\"COMPLETED\"}\n\n", api.EventNotification, r.PathValue("id"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	c := &Client{Endpoint: srv.URL}
	if err := c.UseClientCredentials(ctx, "client-1", "s3cret"); err != nil {
		t.Fatal(err)
	}
	n, err := c.Follow(ctx, "j1", nil)
	if err != nil {
		t.Fatalf("Follow with a refused token: %v", err)
	}
	if n.JobId != "j1" || n.JobStatus != job.Completed {
		t.Errorf("notification %+v", n)
	}
}

// tokenIssuer is an OAuth token endpoint that issues tok-1, tok-2, … (valid an hour) to
// client-1 with secret s3cret, and counts them.
type tokenIssuer struct {
	mu     sync.Mutex
	issued int
}

func (ti *tokenIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id, secret, ok := r.BasicAuth(); !ok || id != "client-1" || secret != "s3cret" {
		api.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client or wrong secret"})
		return
	}
	ti.mu.Lock()
	ti.issued++
	tok := fmt.Sprintf("tok-%d", ti.issued)
	ti.mu.Unlock()
	api.WriteJSON(w, http.StatusOK, api.Token{AccessToken: tok, TokenType: "Bearer", ExpiresIn: 3600})
}

// count is how many tokens ti issued.
func (ti *tokenIssuer) count() int {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.issued
}
