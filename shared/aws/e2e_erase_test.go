package aws_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// TestE2EEraseJob runs DELETE /v1/jobs/{id} (pipeline.EraseJob) on the emulators through the AWS
// adapters: a finished job with an uploaded input, error records and a dead-lettered shard, its
// retry child (whose work folder holds retry-input.jsonl) and a job reading an S3Uri input in the
// tenant's area are erased through the API handler. Afterwards nothing is left in MinIO under the
// erased job's inputs/, outputs/ and work/ folders, nothing in DynamoDB under its partition (job
// item, shard records, counter and rate items) nor its ClientRequestToken's item, read from the
// table directly with the adapter's key layout (shared/aws/jobs.go); Describe and a second
// erase are 404 (ErrNotFound); the S3Uri input, outside any job's upload folder, and the retry
// child of an erased parent are kept.
func TestE2EEraseJob(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	s := newE2EStack(t, ctx, e2eJobsShardBytes)
	s3Events := e2eStartObjectEvents(t, ctx, s)
	e2eEventSources(t, ctx, s, 30*time.Second, nil)
	sub := e2eNewSubscriber(s)
	tenant := handlers.TenantFromARN(e2eCaller)

	// The parent: an uploaded input with an invalid and an empty line (error records under
	// work/) and a poison shard, dead-lettered, so that it has something to retry.
	data, _ := e2eGenLines(60, []int{11}, []int{40}, nil)
	const poison = 2
	req := api.CreateJobRequest{
		JobName: "e2e-erase-" + uniq(t), Analyses: []job.Analysis{job.Language, job.Sentiment},
		InputDataConfig:    job.InputDataConfig{InputFormat: job.OneDocPerLine},
		ClientRequestToken: "erase-parent-" + uniq(t),
	}
	res := e2eCreate(t, ctx, s, req)
	s.failShard.Store(e2ePtrTo(func(m pipeline.ShardMessage) bool { return m.JobId == res.JobId && m.Index == poison }))
	key := layout.UploadKey(tenant, res.JobId)
	e2eUpload(t, ctx, res.Upload.Presigned, data)
	s3Events.uploaded(t, ctx, key)
	e2eCheckObjectEvent(t, s, s3Events.webhook, s3Events.waitIngested(t, ctx, key), key, len(data))
	if d := sub.wait(t, ctx, res.JobId); d.Note.JobStatus != job.PartialSuccess {
		t.Fatalf("parent notified %s, want PARTIAL_SUCCESS (a dead-lettered shard)", d.Note.JobStatus)
	}
	s.failShard.Store(nil)

	var child api.CreateJobResult
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs/"+res.JobId+"/retry", `{"ClientRequestToken":"erase-retry"}`, ""), http.StatusCreated, &child)
	if child.Job == nil || child.ParentJobId != res.JobId {
		t.Fatalf("retry answered %+v; want a child of %s", child.Job, res.JobId)
	}
	if d := sub.wait(t, ctx, child.JobId); d.Note.JobStatus != job.Completed {
		t.Fatalf("retry child notified %s, want COMPLETED", d.Note.JobStatus)
	}

	// A job reading an S3Uri input of the tenant's own: the input is not the job's to delete.
	kept := layout.TenantInputs(tenant) + "erase-keep-" + uniq(t) + "/part-00.txt"
	if _, err := s.c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &kept,
		Body: strings.NewReader("The train was late again.\nWhat a wonderful concert!\n")}); err != nil {
		t.Fatalf("PutObject %s: %v", kept, err)
	}
	// Its output goes to a folder of the tenant's own (OutputDataConfig.S3Uri), beside a file of
	// theirs: the job's subfolder there goes with the job, the file stays.
	outFolder := layout.OutputsPrefix + tenant + "/erase-out-" + uniq(t) + "/"
	theirs := outFolder + "notes.txt"
	if _, err := s.c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &theirs, Body: strings.NewReader("mine")}); err != nil {
		t.Fatalf("PutObject %s: %v", theirs, err)
	}
	uriRes := e2eCreateS3Uri(t, ctx, s, "s3://"+s.bucket+"/"+kept, "s3://"+s.bucket+"/"+outFolder)
	uriOut := outFolder + uriRes.JobId + "/"
	if d := sub.wait(t, ctx, uriRes.JobId); d.Note.JobStatus != job.Completed {
		t.Fatalf("S3Uri job notified %s, want COMPLETED", d.Note.JobStatus)
	}

	// What each job has before the erasure, so that "nothing left" below is not vacuous.
	before := func(id, out string, uploaded bool) e2eJobFootprint {
		t.Helper()
		f := e2eFootprint(t, ctx, s, tenant, id, out)
		if f.objects[out] == 0 || f.objects[layout.JobWork(tenant, id)] == 0 {
			t.Fatalf("job %s before erasure: objects %v; want an output and work files", id, f.objects)
		}
		if uploaded != (f.objects[layout.InputsPrefix+tenant+"/"+id+"/"] > 0) {
			t.Fatalf("job %s before erasure: objects %v; uploaded input %v", id, f.objects, uploaded)
		}
		if f.items[skKindJob] != 1 || f.items[skKindShard] == 0 || f.token == "" || !f.tokenItem {
			t.Fatalf("job %s before erasure: items %v, token %q (item %v); want the job item, shard records and a token item", id, f.items, f.token, f.tokenItem)
		}
		t.Logf("job %s before erasure: objects %v, items %v, token %q", id, f.objects, f.items, f.token)
		return f
	}
	parentBefore := before(res.JobId, layout.OutputPrefix(tenant, res.JobId), true)
	childBefore := before(child.JobId, layout.OutputPrefix(tenant, child.JobId), false)
	if _, err := s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: sdkaws.String(layout.JobWork(tenant, child.JobId) + "retry-input.jsonl")}); err != nil {
		t.Fatalf("the retry child has no retry-input.jsonl before erasure: %v", err)
	}
	uriBefore := before(uriRes.JobId, uriOut, false)

	gone := func(id string, was e2eJobFootprint) {
		t.Helper()
		f := e2eFootprint(t, ctx, s, tenant, id, was.out)
		for p, n := range f.objects {
			if n != 0 {
				t.Errorf("job %s erased: %d objects left under %s", id, n, p)
			}
		}
		for k, n := range f.items {
			if n != 0 {
				t.Errorf("job %s erased: %d %s items left in its partition %s", id, n, k, e2eJobPK(tenant, id))
			}
		}
		if e2eItemExists(t, ctx, s, e2eTokenPK(tenant, was.token), "TOKEN") {
			t.Errorf("job %s erased: its token %q's item is left", id, was.token)
		}
		if _, err := s.svc.Describe(ctx, tenant, id); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("job %s erased: Describe = %v, want ErrNotFound", id, err)
		}
		s.callError(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id, "", ""), http.StatusNotFound)
		if err := s.svc.EraseJob(ctx, tenant, id); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("job %s: a second EraseJob = %v, want ErrNotFound", id, err)
		}
		s.callError(t, ctx, e2eApiRequest(t, http.MethodDelete, "/v1/jobs/"+id, "", ""), http.StatusNotFound)
	}
	erase := func(id string) {
		t.Helper()
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodDelete, "/v1/jobs/"+id, "", ""), http.StatusNoContent, nil)
	}

	// The parent goes; its retry child, a job of its own, stays whole.
	erase(res.JobId)
	gone(res.JobId, parentBefore)
	if f := e2eFootprint(t, ctx, s, tenant, child.JobId, childBefore.out); !f.same(childBefore) {
		t.Errorf("erasing the parent changed its retry child: before objects %v items %v, after %v %v", childBefore.objects, childBefore.items, f.objects, f.items)
	}
	if cj := e2eDescribe(t, ctx, s, child.JobId); cj.ParentJobId != res.JobId {
		t.Errorf("the child after its parent's erasure: ParentJobId %q, want %s", cj.ParentJobId, res.JobId)
	}

	erase(child.JobId)
	gone(child.JobId, childBefore)

	erase(uriRes.JobId)
	gone(uriRes.JobId, uriBefore)
	if _, err := s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &kept}); err != nil {
		t.Errorf("the S3Uri input %s, the tenant's own, did not survive the job's erasure: %v", kept, err)
	}
	if _, err := s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &theirs}); err != nil {
		t.Errorf("%s, the tenant's own file beside the job's output folder, did not survive the job's erasure: %v", theirs, err)
	}

	// Another tenant cannot erase, nor tell apart, a job of this one: an unknown id is the same 404.
	s.callError(t, ctx, e2eApiRequest(t, http.MethodDelete, "/v1/jobs/no-such-job", "", ""), http.StatusNotFound)
}

// e2eCreateS3Uri creates a line job reading uri, its output in the folder out, through the API
// handler.
func e2eCreateS3Uri(t *testing.T, ctx context.Context, s *e2eStack, uri, out string) *api.CreateJobResult {
	t.Helper()
	body := `{"JobName":"e2e-erase-uri-` + uniq(t) + `","Analyses":["LANGUAGE","SENTIMENT"],"ClientRequestToken":"erase-uri-` + uniq(t) +
		`","InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE","S3Uri":"` + uri + `"},"OutputDataConfig":{"S3Uri":"` + out + `"}}`
	var res api.CreateJobResult
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs", body, ""), http.StatusCreated, &res)
	if res.Job == nil || res.Upload != nil || res.InputDataConfig.S3Uri != uri {
		t.Fatalf("create with S3Uri %s answered %+v", uri, res)
	}
	return &res
}

// The kinds of item in a job's partition (shared/aws/jobs.go's single-table design).
const (
	skKindJob     = "JOB"
	skKindShard   = "SHARD#"
	skKindCounter = "CNT#"
	skKindOther   = "other"
)

// e2eJobFootprint is what a job holds in the bucket and the table.
type e2eJobFootprint struct {
	out       string         // the job's output folder
	objects   map[string]int // objects under the job's input upload, output and work folders
	items     map[string]int // items of its partition, by kind of sort key
	token     string         // its ClientRequestToken (the job item's attribute, while it exists)
	tokenItem bool           // whether the token's item exists
}

func (f e2eJobFootprint) same(g e2eJobFootprint) bool {
	eq := func(a, b map[string]int) bool {
		for k := range a {
			if a[k] != b[k] {
				return false
			}
		}
		for k := range b {
			if a[k] != b[k] {
				return false
			}
		}
		return true
	}
	return eq(f.objects, g.objects) && eq(f.items, g.items) && f.tokenItem == g.tokenItem
}

// e2eFootprint lists the job's folders in MinIO and queries its partition in DynamoDB Local
// directly (strongly consistent), not through the adapters under test.
func e2eFootprint(t *testing.T, ctx context.Context, s *e2eStack, tenant, id, out string) e2eJobFootprint {
	t.Helper()
	f := e2eJobFootprint{out: out, objects: map[string]int{}, items: map[string]int{skKindJob: 0, skKindShard: 0, skKindCounter: 0, skKindOther: 0}}
	for _, p := range []string{layout.InputsPrefix + tenant + "/" + id + "/", layout.OutputPrefix(tenant, id), out, layout.JobWork(tenant, id)} {
		f.objects[p] = 0
		pg := s3.NewListObjectsV2Paginator(s.c.S3, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &p})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatalf("list %s: %v", p, err)
			}
			f.objects[p] += len(page.Contents)
		}
	}
	pk := e2eJobPK(tenant, id)
	q := dynamodb.NewQueryPaginator(s.c.DynamoDB, &dynamodb.QueryInput{
		TableName: &s.table, ConsistentRead: sdkaws.Bool(true),
		KeyConditionExpression:    sdkaws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": &ddbtypes.AttributeValueMemberS{Value: pk}},
	})
	var sks []string
	for q.HasMorePages() {
		page, err := q.NextPage(ctx)
		if err != nil {
			t.Fatalf("query %s: %v", pk, err)
		}
		for _, it := range page.Items {
			sk, _ := it["SK"].(*ddbtypes.AttributeValueMemberS)
			if sk == nil {
				f.items[skKindOther]++
				continue
			}
			sks = append(sks, sk.Value)
			switch {
			case sk.Value == skKindJob:
				f.items[skKindJob]++
				if tok, ok := it["ClientRequestToken"].(*ddbtypes.AttributeValueMemberS); ok {
					f.token = tok.Value
				}
			case strings.HasPrefix(sk.Value, skKindShard):
				f.items[skKindShard]++
			case strings.HasPrefix(sk.Value, skKindCounter):
				f.items[skKindCounter]++
			default:
				f.items[skKindOther]++
			}
		}
	}
	if f.items[skKindOther] > 0 {
		sort.Strings(sks)
		t.Logf("partition %s holds items of other kinds: %v", pk, sks)
	}
	if f.token != "" {
		f.tokenItem = e2eItemExists(t, ctx, s, e2eTokenPK(tenant, f.token), "TOKEN")
	}
	return f
}

func e2eItemExists(t *testing.T, ctx context.Context, s *e2eStack, pk, sk string) bool {
	t.Helper()
	out, err := s.c.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, ConsistentRead: sdkaws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: pk}, "SK": &ddbtypes.AttributeValueMemberS{Value: sk}},
	})
	if err != nil {
		t.Fatalf("GetItem %s %s: %v", pk, sk, err)
	}
	return len(out.Item) > 0
}

// The adapter's keys (shared/aws/jobs.go: jobPK, tokenPK), written out again here so that the
// test reads the table as it is laid out, not through the adapter.
func e2eKeyEsc(s string) string { return strings.NewReplacer("%", "%25", "#", "%23").Replace(s) }
func e2eJobPK(tenant, id string) string {
	return "T#" + e2eKeyEsc(tenant) + "#J#" + e2eKeyEsc(id)
}
func e2eTokenPK(tenant, tok string) string {
	return "T#" + e2eKeyEsc(tenant) + "#TOKEN#" + e2eKeyEsc(tok)
}
