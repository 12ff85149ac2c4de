package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// newService builds a pipeline on the local adapters with no analysers needed beyond a registry
// that knows the names.
func newService(t *testing.T) *pipeline.Service {
	t.Helper()
	svc, _ := newServiceAndJobs(t)
	return svc
}

// newServiceAndJobs is newService with its job store (to plant jobs in any status).
func newServiceAndJobs(t *testing.T) (*pipeline.Service, pipeline.Jobs) {
	t.Helper()
	return newServiceWrapping(t, nil)
}

// newServiceWrapping is newServiceAndJobs whose service reads and writes jobs through
// wrap(the store) when wrap is set (the store itself is returned).
func newServiceWrapping(t testing.TB, wrap func(pipeline.Jobs) pipeline.Jobs) (*pipeline.Service, pipeline.Jobs) {
	t.Helper()
	dir := t.TempDir()
	db, err := local.OpenDB(filepath.Join(dir, "ream.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	objects, err := local.NewObjects(dir, "http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := analysis.DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	jobs := local.NewJobs(db)
	// The notifier's dispatcher reads the database until Close; it is stopped before the
	// database closes (cleanups run last-registered first). database/sql's Close does not wait
	// for a connection in use, so a query of it still running could leave SQLite writing into
	// the directory t.TempDir removes: twice in CI that failed a test with "directory not empty".
	notifier := local.NewNotifier(db, nil)
	t.Cleanup(func() { notifier.Close(context.Background()) })
	var through pipeline.Jobs = jobs
	if wrap != nil {
		through = wrap(jobs)
	}
	return pipeline.New(pipeline.Deps{
		Jobs: through, Objects: objects, Queue: local.NewQueue(db, "shards", 3),
		Notifier: notifier, Analyzers: reg, DropRules: local.NewDropRules(db),
		Config: pipeline.Config{Locations: layout.Locations{Base: "s3://bucket/"}},
	}), jobs
}

func fixture[T any](t *testing.T, name string) T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAPIWithIAMFixtures drives the API handler with the API Gateway v2 fixtures, as Lambda
// would: create answers 201 with an upload URL, describe of that job 200, of an unknown job 404,
// and a request without an IAM identity 401.
func TestAPIWithIAMFixtures(t *testing.T) {
	apiH := handlers.NewAPI(newService(t), handlers.IAMAuth{}, nil)
	ctx := context.Background()

	create := fixture[events.APIGatewayV2HTTPRequest](t, "apigw-v2-create-job.json")
	resp, err := apiH.HandleEvent(ctx, create)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s %v", resp.StatusCode, resp.Body, err)
	}
	var res struct {
		JobId     string
		JobStatus job.Status
		Upload    *api.Upload
	}
	if err := json.Unmarshal([]byte(resp.Body), &res); err != nil {
		t.Fatal(err)
	}
	if res.JobStatus != job.AwaitingInput || res.Upload == nil || res.Upload.Method != http.MethodPut {
		t.Fatalf("create response: %s", resp.Body)
	}

	describe := fixture[events.APIGatewayV2HTTPRequest](t, "apigw-v2-describe-job.json")
	describe.RawPath = "/v1/jobs/" + res.JobId
	if resp, _ := apiH.HandleEvent(ctx, describe); resp.StatusCode != http.StatusOK {
		t.Fatalf("describe own job: %d %s", resp.StatusCode, resp.Body)
	}
	describe.RawPath = "/v1/jobs/does-not-exist"
	if resp, _ := apiH.HandleEvent(ctx, describe); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("describe unknown job: %d %s", resp.StatusCode, resp.Body)
	}
	// Another principal is another tenant: the job is not found, not forbidden.
	other := fixture[events.APIGatewayV2HTTPRequest](t, "apigw-v2-describe-job.json")
	other.RawPath = "/v1/jobs/" + res.JobId
	other.RequestContext.Authorizer.IAM.UserARN = "arn:aws:iam::123456789012:user/someone-else"
	if resp, _ := apiH.HandleEvent(ctx, other); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other tenant: %d %s", resp.StatusCode, resp.Body)
	}
	anon := fixture[events.APIGatewayV2HTTPRequest](t, "apigw-v2-describe-job.json")
	anon.RequestContext.Authorizer = nil
	resp, _ = apiH.HandleEvent(ctx, anon)
	var body api.ErrorBody
	if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal([]byte(resp.Body), &body) != nil || body.Message == "" {
		t.Fatalf("no identity: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("x: %w", job.ErrNotFound), 404},
		{fmt.Errorf("x: %w", job.ErrInvalid), 400},
		{fmt.Errorf("x: %w", job.ErrConflict), 409},
		{fmt.Errorf("x: %w", job.ErrIllegalTransition), 409},
		{fmt.Errorf("x: %w", job.ErrUnauthorized), 401},
		{errors.New("disk on fire"), 500},
	}
	for _, tt := range tests {
		if got, _ := api.StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestTenantFromARN(t *testing.T) {
	a := handlers.TenantFromARN("arn:aws:sts::123456789012:assumed-role/reader/session-1")
	b := handlers.TenantFromARN("arn:aws:sts::123456789012:assumed-role/reader/session-2")
	c := handlers.TenantFromARN("arn:aws:sts::123456789012:assumed-role/writer/session-1")
	d := handlers.TenantFromARN("arn:aws:iam::210987654321:user/reader")
	if a != b {
		t.Errorf("two sessions of one role are different tenants: %s %s", a, b)
	}
	if a == c || a == d {
		t.Errorf("different principals share a tenant: %s %s %s", a, c, d)
	}
	if !layout.ValidTenant(a) || !layout.ValidTenant(d) {
		t.Errorf("tenant ids not key-safe: %s %s", a, d)
	}
}

func TestKeyAuth(t *testing.T) {
	auth := handlers.NewKeyAuth(map[string]string{"k1": "t1"})
	for _, tt := range []struct {
		header, want string
	}{{"Bearer k1", "t1"}, {"bearer k1", "t1"}, {"Bearer k2", ""}, {"", ""}, {"Basic k1", ""}, {"Bearer ", ""}} {
		r := httptest.NewRequest(http.MethodGet, "/v1/jobs", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		got, err := auth.Tenant(r)
		if got != tt.want || (tt.want == "") != errors.Is(err, job.ErrUnauthorized) {
			t.Errorf("%q: tenant %q err %v", tt.header, got, err)
		}
	}
}

func TestWorkerReportsBadMessages(t *testing.T) {
	w := handlers.NewWorker(newService(t), nil)
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "bad", Body: "not json"},
		{MessageId: "unknown-job", Body: `{"tenant":"t","jobId":"nope","shard":0,"key":"inputs/t/nope/input","end":10}`},
	}}
	resp, err := w.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	// The malformed message is reported (it will reach the dead-letter queue); a shard of a job
	// that does not exist is dropped.
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "bad" {
		t.Fatalf("failures: %+v", resp.BatchItemFailures)
	}
}

// TestJWTAuthTenants: a coding client's tenant is the one the deployment maps it to, else its
// client id; a request without the authoriser's claims is refused.
func TestJWTAuthTenants(t *testing.T) {
	auth := handlers.JWTAuth{Tenants: map[string]string{"client-a": "team-a"}}
	tenantOf := func(claims map[string]string) (string, error) {
		var tenant string
		var err error
		h := handlers.LambdaHandler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { tenant, err = auth.Tenant(r) }))
		ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/topics", RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodGet}}}
		if claims != nil {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
		}
		if _, lerr := h(context.Background(), ev); lerr != nil {
			t.Fatal(lerr)
		}
		return tenant, err
	}
	if got, err := tenantOf(map[string]string{"client_id": "client-a", "scope": "ream/coding"}); err != nil || got != "team-a" {
		t.Errorf("mapped client: %q, %v; want team-a", got, err)
	}
	if got, err := tenantOf(map[string]string{"client_id": "client-b"}); err != nil || got != "client-b" {
		t.Errorf("unmapped client: %q, %v; want its client id", got, err)
	}
	if _, err := tenantOf(nil); !errors.Is(err, job.ErrUnauthorized) {
		t.Errorf("no claims: %v, want unauthorized", err)
	}
}

// TestUncleanPathsAreNotFound: a path not in canonical form is answered 404 NotFound JSON, as an
// unknown route is, on every route and through Lambda too (found from outside: GET //v1/topics
// was a 307 HTML redirect, net/http's ServeMux cleaning the path).
func TestUncleanPathsAreNotFound(t *testing.T) {
	apiH := handlers.NewAPI(newService(t), handlers.NewKeyAuth(map[string]string{"k": "t"}), nil)
	for _, p := range []string{"//v1/topics", "/v1//jobs", "/v1/jobs/./x", "/v1/../v1/jobs", "/v1/health/.", "//", "/v1/topics/occupation/models/..", "/v1/topics/"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := httptest.NewRequest(method, "http://host"+p, nil)
			r.Header.Set("Authorization", "Bearer k")
			w := httptest.NewRecorder()
			apiH.ServeHTTP(w, r)
			var body api.ErrorBody
			err := json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != http.StatusNotFound || err != nil || body.Code != api.CodeNotFound || w.Header().Get("Location") != "" || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: %d %v %q %v, want 404 NotFound JSON", method, p, w.Code, w.Header(), w.Body, err)
			}
		}
		ev := events.APIGatewayV2HTTPRequest{RawPath: p, Headers: map[string]string{"authorization": "Bearer k"}}
		ev.RequestContext.HTTP.Method = http.MethodGet
		resp, _ := apiH.HandleEvent(context.Background(), ev)
		var body api.ErrorBody
		if err := json.Unmarshal([]byte(resp.Body), &body); resp.StatusCode != http.StatusNotFound || err != nil || body.Code != api.CodeNotFound || !strings.Contains(body.Message, p) {
			t.Errorf("Lambda GET %s: %d %q %v, want 404 NotFound JSON naming the path", p, resp.StatusCode, resp.Body, err)
		}
	}
	// The clean paths still route.
	for _, p := range []string{"/v1/topics", "/v1/health"} {
		r := httptest.NewRequest(http.MethodGet, p, nil)
		r.Header.Set("Authorization", "Bearer k")
		w := httptest.NewRecorder()
		apiH.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, w.Code, w.Body)
		}
	}
}
