package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/pagetoken"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// DynamoDBAPI is the part of the DynamoDB client the Jobs adapter calls.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// The single-table design. Every key carries the tenant, so another tenant's job is simply
// absent (ErrNotFound), never forbidden.
//
//	item         PK                      SK              other attributes
//	job          T#<tenant>#J#<id>       JOB             the job.Job fields (all of them, `json:"-"` ones
//	                                                      included), counters top level, Version,
//	                                                      GSI1PK/GSI1SK, GSI2PK/GSI2SK, ttl
//	counter      T#<tenant>#J#<id>       CNT#07          a running job's recorded counts, spread over
//	                                                      64 items, and Counted: the shard indexes
//	                                                      they hold (see RecordShard)
//	shard record T#<tenant>#J#<id>       SHARD#0000000042 the pipeline.ShardRecord fields
//	token        T#<tenant>#TOKEN#<tok>  TOKEN           JobId
//
// GSI1 (list):  GSI1PK = T#<tenant>, GSI1SK = <SubmitTime, fixed-width UTC>#<id>; queried newest
// first. A fixed-width time (not RFC3339Nano, which trims trailing zeros and so does not sort as
// text) makes the text order the time order, and lets SubmittedBefore/After be key conditions.
//
// GSI2 (scan):  GSI2PK = S#<status>, GSI2SK = <tenant>#<id>. The sweeper scans jobs by status;
// a status index reads only job items of the asked statuses, where a table Scan would read every
// shard and token item too (a job has as many shard items as shards) on every sweep. Index reads
// are eventually consistent: a job may be seen a moment late or with an older version, which the
// sweeper's conditional writes tolerate (a stale Update is ErrConflict).
//
// A job in a terminal status whose notification is not yet published (Notified false) has
// GSI2PK = S#<status>#UNNOTIFIED instead, and moves to S#<status> when the write that marks it
// notified rewrites its item: every sweep reads those five small partitions (ScanUnnotified) and
// not the finished jobs the table keeps. Scan and ScanPage of a terminal status read both of its
// partitions. An item written by an earlier release, terminal and not notified, sits in
// S#<status>: ScanUnnotified misses it, the expiry pass (ScanPage) finds it.
//
// Tenants and ids are escaped ('%' → %25, '#' → %23) inside keys, so no choice of tenant or id
// can forge another's key.
//
// The counters of JobDetails are top-level number attributes so that RecordShard can ADD to them
// (ADD works only on top-level attributes) in the same transaction as the shard record's
// conditional Put. ExpirationTime plus TTLGrace is also written as "ttl", epoch seconds, the
// table's TTL attribute: DynamoDB deletes the job item some time after it, should the sweeper not
// have expired the job by then.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrGSI2PK = "GSI2PK"
	attrGSI2SK = "GSI2SK"
	attrTTL    = "ttl"
	attrVer    = "Version"
	attrStatus = "JobStatus"
	attrName   = "JobName"

	// GSI1 lists a tenant's jobs by submit time; GSI2 finds jobs by status.
	GSI1 = "GSI1"
	GSI2 = "GSI2"

	skJob       = "JOB"
	skToken     = "TOKEN"
	skShard     = "SHARD#"
	skCounter   = "CNT#" // sorts before "JOB": one Query reads a job with its counters
	attrCounted = "Counted"

	// counterItems is how many counter items a job's shard counts are spread over (see
	// RecordShard).
	counterItems = 64
)

func counterSK(k int) string { return fmt.Sprintf("%s%02d", skCounter, k) }

// Jobs is pipeline.Jobs on one DynamoDB table (see CreateTable).
type Jobs struct {
	db    DynamoDBAPI
	table string
	now   func() time.Time
	// maxQueries bounds the Query calls one List makes when filters discard most items; it
	// then returns a short page with a NextToken.
	maxQueries int
	// txAttempts bounds the retries of a transaction cancelled by a conflicting transaction.
	txAttempts int
}

var _ pipeline.Jobs = (*Jobs)(nil)

// JobsOption configures NewJobs.
type JobsOption func(*Jobs)

// WithJobsClock sets the clock for ShardRecord.Recorded when the caller leaves it zero.
func WithJobsClock(now func() time.Time) JobsOption { return func(s *Jobs) { s.now = now } }

// NewJobs returns the job store on table.
func NewJobs(client DynamoDBAPI, table string, opts ...JobsOption) *Jobs {
	s := &Jobs{db: client, table: table, now: time.Now, maxQueries: 25, txAttempts: 12}
	for _, o := range opts {
		o(s)
	}
	return s
}

func esc(s string) string {
	return strings.NewReplacer("%", "%25", "#", "%23").Replace(s)
}

func jobPK(tenant, id string) string    { return "T#" + esc(tenant) + "#J#" + esc(id) }
func tokenPK(tenant, tok string) string { return "T#" + esc(tenant) + "#TOKEN#" + esc(tok) }
func tenantKey(tenant string) string    { return "T#" + esc(tenant) }
func statusKey(s job.Status) string     { return "S#" + string(s) }
func shardSK(i int) string              { return fmt.Sprintf("%s%010d", skShard, i) }

// unnotifiedKey is the GSI2PK of a job in terminal status s not yet notified.
func unnotifiedKey(s job.Status) string { return "S#" + string(s) + "#UNNOTIFIED" }

// gsi2Key is the job's GSI2PK: its status's partition, or (terminal, not yet notified) the
// status's partition of unnotified jobs.
func gsi2Key(j *job.Job) string {
	if j.JobStatus.Terminal() && !j.Notified {
		return unnotifiedKey(j.JobStatus)
	}
	return statusKey(j.JobStatus)
}

// statusPartitions are the GSI2 partitions of the jobs in status s, in the order Scan and
// ScanPage read them: the unnotified jobs' first, so that a job marked notified meanwhile (which
// moves to the other) is still read.
func statusPartitions(s job.Status) []string {
	if s.Terminal() {
		return []string{unnotifiedKey(s), statusKey(s)}
	}
	return []string{statusKey(s)}
}

// sortTime formats t as fixed-width UTC text whose lexical order is its time order.
func sortTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// encodeJob renders j as its item. attributevalue ignores json tags, so every exported field
// of job.Job is stored, the `json:"-"` bookkeeping fields included, under its Go name.
func encodeJob(j *job.Job) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(j)
	if err != nil {
		return nil, fmt.Errorf("encode job %s: %w", j.JobId, err)
	}
	counters, err := attributevalue.MarshalMap(j.JobDetails)
	if err != nil {
		return nil, fmt.Errorf("encode job %s: %w", j.JobId, err)
	}
	delete(item, "JobDetails")
	for k, v := range counters {
		item[k] = v
	}
	pk := jobPK(j.Tenant, j.JobId)
	item[attrPK] = &types.AttributeValueMemberS{Value: pk}
	item[attrSK] = &types.AttributeValueMemberS{Value: skJob}
	item[attrGSI1PK] = &types.AttributeValueMemberS{Value: tenantKey(j.Tenant)}
	item[attrGSI1SK] = &types.AttributeValueMemberS{Value: sortTime(j.SubmitTime) + "#" + j.JobId}
	item[attrGSI2PK] = &types.AttributeValueMemberS{Value: gsi2Key(j)}
	item[attrGSI2SK] = &types.AttributeValueMemberS{Value: esc(j.Tenant) + "#" + esc(j.JobId)}
	if j.ExpirationTime != nil {
		item[attrTTL] = &types.AttributeValueMemberN{Value: strconv.FormatInt(j.ExpirationTime.Add(TTLGrace).Unix(), 10)}
	}
	return item, nil
}

// TTLGrace is how long after its ExpirationTime a job item's "ttl" falls due. The sweeper expires
// a job (pipeline.Service.expire: its objects, its 64 counter items, its shard items and its token,
// then the job item) in the first expiry pass that reaches it after ExpirationTime (passes start
// hourly: pipeline.Config.ExpiryPassEvery); the table's TTL is only the backstop for a
// job the sweeper never reached. DynamoDB's TTL deletes the job item alone, at any moment after
// the ttl (typically within two days, sometimes at once), and with it the only item the sweeper
// finds a job by (GSI2): a ttl of ExpirationTime itself let TTL win the race now and then and
// leave the job's other items in the table for good (found by an outside review).
const TTLGrace = 7 * 24 * time.Hour

func decodeJob(item map[string]types.AttributeValue) (*job.Job, error) {
	j := new(job.Job)
	if err := attributevalue.UnmarshalMap(item, j); err != nil {
		return nil, fmt.Errorf("decode job: %w", err)
	}
	if err := attributevalue.UnmarshalMap(item, &j.JobDetails); err != nil {
		return nil, fmt.Errorf("decode job %s: %w", j.JobId, err)
	}
	return j, nil
}

// Create implements pipeline.Jobs: one transaction puts the job item and, when the job has a
// ClientRequestToken, the token item, each only if absent. A used token returns the job it was
// first used for (created=false); a used id is ErrConflict. Token items have no TTL; a token
// whose job has expired (deleted by TTL) is taken over by the new job.
func (s *Jobs) Create(ctx context.Context, j *job.Job) (*job.Job, bool, error) {
	if j == nil || j.Tenant == "" || j.JobId == "" {
		return nil, false, fmt.Errorf("create job: tenant and id are required: %w", job.ErrInvalid)
	}
	st := j.Clone()
	st.Version = 1
	item, err := encodeJob(st)
	if err != nil {
		return nil, false, err
	}
	// stale is the job id of a token whose job no longer exists (expired by TTL): the token
	// may then be taken over, once.
	stale := ""
	for attempt := 0; ; attempt++ {
		stored, created, retry, err := s.create(ctx, j, st, item, stale)
		if retry == "" || attempt > 0 {
			return stored, created, err
		}
		stale = retry
	}
}

// create runs one attempt of Create. retry is non-empty (the token's job id) when the token
// belongs to a job that no longer exists.
func (s *Jobs) create(ctx context.Context, j, st *job.Job, item map[string]types.AttributeValue, stale string) (stored *job.Job, created bool, retry string, err error) {
	absent := expression.AttributeNotExists(expression.Name(attrPK))
	cond, err := expression.NewBuilder().WithCondition(absent).Build()
	if err != nil {
		return nil, false, "", err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.table, Item: item,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
	}}}
	if j.ClientRequestToken != "" {
		tokCond := cond
		if stale != "" {
			tokCond, err = expression.NewBuilder().WithCondition(
				absent.Or(expression.Name("JobId").Equal(expression.Value(stale)))).Build()
			if err != nil {
				return nil, false, "", err
			}
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table,
			Item: map[string]types.AttributeValue{
				attrPK:  &types.AttributeValueMemberS{Value: tokenPK(j.Tenant, j.ClientRequestToken)},
				attrSK:  &types.AttributeValueMemberS{Value: skToken},
				"JobId": &types.AttributeValueMemberS{Value: j.JobId},
			},
			ConditionExpression:       tokCond.Condition(),
			ExpressionAttributeNames:  tokCond.Names(),
			ExpressionAttributeValues: tokCond.Values(),
		}})
	}
	reasons, err := s.transact(ctx, items)
	if err != nil {
		return nil, false, "", fmt.Errorf("create job %s: %w", j.JobId, err)
	}
	if reasons == nil {
		j.Version = 1
		return st, true, "", nil
	}
	if len(reasons) > 1 && reasons[1] == reasonConditionalCheckFailed {
		tok, err := s.getItem(ctx, tokenPK(j.Tenant, j.ClientRequestToken), skToken)
		if err != nil {
			return nil, false, "", fmt.Errorf("create job %s: read token: %w", j.JobId, err)
		}
		var t struct{ JobId string }
		if err := attributevalue.UnmarshalMap(tok, &t); err != nil {
			return nil, false, "", fmt.Errorf("create job %s: read token: %w", j.JobId, err)
		}
		stored, err := s.Get(ctx, j.Tenant, t.JobId)
		if errors.Is(err, job.ErrNotFound) {
			return nil, false, t.JobId, fmt.Errorf("create job %s: the token's job %s is gone: %w", j.JobId, t.JobId, job.ErrConflict)
		}
		if err != nil {
			return nil, false, "", fmt.Errorf("create job %s: job of the used token: %w", j.JobId, err)
		}
		return stored, false, "", nil
	}
	if reasons[0] == reasonConditionalCheckFailed {
		return nil, false, "", fmt.Errorf("create job %s: the id is taken: %w", j.JobId, job.ErrConflict)
	}
	return nil, false, "", fmt.Errorf("create job %s: transaction cancelled: %v", j.JobId, reasons)
}

// Cancellation reason codes of TransactionCanceledException.
const (
	reasonNone                   = "None"
	reasonConditionalCheckFailed = "ConditionalCheckFailed"
	reasonTransactionConflict    = "TransactionConflict"
	// An item's partition was throttled: worth retrying as a conflict is (the SDK's own
	// retries do not cover a cancelled transaction).
	reasonThrottling         = "ThrottlingError"
	reasonThroughputExceeded = "ProvisionedThroughputExceeded"
	reasonValidationError    = "ValidationError"
)

// transact runs a TransactWriteItems. It returns (nil, nil) when the transaction committed,
// and the cancellation reasons (one per item, "None" for items that were fine) when a condition
// failed. Cancellations caused only by concurrent transactions or throttling (TransactionConflict,
// ThrottlingError, ProvisionedThroughputExceeded) are retried with jittered backoff, up to
// txAttempts times.
func (s *Jobs) transact(ctx context.Context, items []types.TransactWriteItem) ([]string, error) {
	backoff := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return nil, nil
		}
		reasons, conflict, ok := cancellationReasons(err)
		if !ok {
			return nil, err
		}
		if !conflict {
			return reasons, nil
		}
		if attempt >= s.txAttempts {
			return nil, fmt.Errorf("transaction kept conflicting after %d attempts: %w", attempt, err)
		}
		if err := sleep(ctx, backoff/2+rand.N(backoff)); err != nil {
			return nil, err
		}
		backoff = min(2*backoff, time.Second)
	}
}

// cancellationReasons reads a TransactionCanceledException: the reason code of each item, and
// whether the cancellation is worth retrying (a TransactionConflict or throttling, and no failed
// condition or validation error).
func cancellationReasons(err error) (reasons []string, retry bool, ok bool) {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		conflict, failed := false, false
		for _, r := range tce.CancellationReasons {
			code := sdkaws.ToString(r.Code)
			if code == "" {
				code = reasonNone
			}
			reasons = append(reasons, code)
			switch code {
			case reasonTransactionConflict, reasonThrottling, reasonThroughputExceeded:
				conflict = true
			case reasonConditionalCheckFailed, reasonValidationError:
				failed = true
			}
		}
		return reasons, conflict && !failed, true
	}
	var tcf *types.TransactionConflictException
	if errors.As(err, &tcf) {
		return nil, true, true
	}
	if apiCode(err) == "TransactionInProgressException" {
		return nil, true, true
	}
	return nil, false, false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *Jobs) getItem(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pk, sk), ConsistentRead: sdkaws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, job.ErrNotFound
	}
	return out.Item, nil
}

// Get implements pipeline.Jobs with one strongly consistent Query of the job's partition for
// the job item and its counter items (SK from "CNT#" to "JOB"); see RecordShard for how the
// counters are kept.
func (s *Jobs) Get(ctx context.Context, tenant, id string) (*job.Job, error) {
	items, err := s.partition(ctx, jobPK(tenant, id), expression.Key(attrSK).Between(expression.Value(skCounter), expression.Value(skJob)))
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	var jobItem map[string]types.AttributeValue
	var counters []map[string]types.AttributeValue
	for _, item := range items {
		if sk, _ := item[attrSK].(*types.AttributeValueMemberS); sk != nil && sk.Value == skJob {
			jobItem = item
		} else {
			counters = append(counters, item)
		}
	}
	if jobItem == nil {
		return nil, fmt.Errorf("get job %s: %w", id, job.ErrNotFound)
	}
	j, err := decodeJob(jobItem)
	if err != nil {
		return nil, err
	}
	return j, addCounters(j, counters, s.now())
}

// partition returns the items of partition pk whose sort key satisfies sk, read consistently.
func (s *Jobs) partition(ctx context.Context, pk string, sk expression.KeyConditionBuilder) ([]map[string]types.AttributeValue, error) {
	return queryPartition(ctx, s.db, s.table, pk, sk)
}

// queryPartition returns the items of table's partition pk whose sort key satisfies sk, read
// consistently, every page of them (the jobs' counters and shards, a tenant's drop rules).
func queryPartition(ctx context.Context, db dynamodb.QueryAPIClient, table, pk string, sk expression.KeyConditionBuilder) ([]map[string]types.AttributeValue, error) {
	ex, err := expression.NewBuilder().WithKeyCondition(expression.Key(attrPK).Equal(expression.Value(pk)).And(sk)).Build()
	if err != nil {
		return nil, err
	}
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{
		TableName: &table, KeyConditionExpression: ex.KeyCondition(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
		ConsistentRead: sdkaws.Bool(true),
	})
	var items []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
	}
	return items, nil
}

// shardCounts are the fields of a counter item.
type shardCounts struct {
	InputDocumentsCount, ProcessedDocumentsCount, DocumentsWithErrorsCount, ProcessedBytes int64
	ShardsDone                                                                             int
}

// addCounters sets the recorded counts of a running job from its counter items. A terminal job
// keeps the counts its job item holds: the pipeline wrote them, summed, when it ended the job,
// and they no longer change.
func addCounters(j *job.Job, items []map[string]types.AttributeValue, now time.Time) error {
	if j.JobStatus.Terminal() {
		return nil
	}
	since := job.RateBucket(now.Add(-job.RateWindow))
	var recent int64
	var sum shardCounts
	var analyses job.AnalysisCounts
	for _, item := range items {
		var c shardCounts
		if err := attributevalue.UnmarshalMap(item, &c); err != nil {
			return fmt.Errorf("job %s: counter item: %w", j.JobId, err)
		}
		sum.InputDocumentsCount += c.InputDocumentsCount
		sum.ProcessedDocumentsCount += c.ProcessedDocumentsCount
		sum.DocumentsWithErrorsCount += c.DocumentsWithErrorsCount
		sum.ShardsDone += c.ShardsDone
		sum.ProcessedBytes += c.ProcessedBytes
		for name, v := range item {
			if b, ok := parseRecentAttr(name); ok {
				if n, isNum := v.(*types.AttributeValueMemberN); isNum && b >= since {
					x, _ := strconv.ParseInt(n.Value, 10, 64)
					recent += x
				}
				continue
			}
			a, ok, succeeded := parseAnalysisAttr(name)
			n, isNum := v.(*types.AttributeValueMemberN)
			if !ok || !isNum {
				continue
			}
			x, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil {
				return fmt.Errorf("job %s: counter item: %s: %w", j.JobId, name, err)
			}
			one := job.AnalysisCount{Failed: x}
			if succeeded {
				one = job.AnalysisCount{Succeeded: x}
			}
			analyses = analyses.Add(job.AnalysisCounts{a: one})
		}
	}
	d := &j.JobDetails
	d.InputDocumentsCount, d.ProcessedDocumentsCount, d.DocumentsWithErrorsCount, d.ShardsDone =
		sum.InputDocumentsCount, sum.ProcessedDocumentsCount, sum.DocumentsWithErrorsCount, sum.ShardsDone
	d.AnalysisCounts = analyses
	d.ProcessedBytes = sum.ProcessedBytes
	if j.JobStatus == job.InProgress || j.JobStatus == job.StopRequested {
		d.RecentDocuments, d.RecentSince = recent, job.RateBucketStart(since)
	}
	return nil
}

// Counter items hold the documents recorded in each bucket (job.RateBucket) of the last minute as
// top-level number attributes "R#<unix seconds / 10>" (RecordShard removes older ones).
const (
	recentPrefix  = "R#"
	recentBuckets = int64(job.RateWindow/time.Second) / job.RateBucketSeconds
)

func recentAttr(b int64) string { return recentPrefix + strconv.FormatInt(b, 10) }

func parseRecentAttr(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, recentPrefix)
	if !ok {
		return 0, false
	}
	b, err := strconv.ParseInt(rest, 10, 64)
	return b, err == nil
}

// Counter items hold the per-analysis counts as top-level number attributes (ADD works only on
// those): "A#<analysis>#S" succeeded and "A#<analysis>#F" failed.
const analysisAttrPrefix = "A#"

func analysisAttr(a job.Analysis, succeeded bool) string {
	if succeeded {
		return analysisAttrPrefix + string(a) + "#S"
	}
	return analysisAttrPrefix + string(a) + "#F"
}

func parseAnalysisAttr(name string) (a job.Analysis, ok, succeeded bool) {
	rest, ok := strings.CutPrefix(name, analysisAttrPrefix)
	if !ok {
		return "", false, false
	}
	if x, ok := strings.CutSuffix(rest, "#S"); ok {
		return job.Analysis(x), true, true
	}
	if x, ok := strings.CutSuffix(rest, "#F"); ok {
		return job.Analysis(x), true, false
	}
	return "", false, false
}

// withCounters completes a running job read from an index (List, Scan) with its counter items.
func (s *Jobs) withCounters(ctx context.Context, j *job.Job) (*job.Job, error) {
	if j.JobStatus.Terminal() {
		return j, nil
	}
	items, err := s.partition(ctx, jobPK(j.Tenant, j.JobId), expression.Key(attrSK).BeginsWith(skCounter))
	if err != nil {
		return nil, fmt.Errorf("counters of job %s: %w", j.JobId, err)
	}
	return j, addCounters(j, items, s.now())
}

// Update implements pipeline.Jobs: a PutItem of the whole job conditional on the stored status
// being expect and the stored Version being j.Version.
func (s *Jobs) Update(ctx context.Context, j *job.Job, expect job.Status) error {
	if j == nil || j.Tenant == "" || j.JobId == "" {
		return fmt.Errorf("update job: tenant and id are required: %w", job.ErrInvalid)
	}
	next := j.Clone()
	next.Version = j.Version + 1
	item, err := encodeJob(next)
	if err != nil {
		return err
	}
	cond := expression.And(
		expression.AttributeExists(expression.Name(attrPK)),
		expression.Name(attrStatus).Equal(expression.Value(string(expect))),
		expression.Name(attrVer).Equal(expression.Value(j.Version)),
	)
	ex, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item,
		ConditionExpression:       ex.Condition(),
		ExpressionAttributeNames:  ex.Names(),
		ExpressionAttributeValues: ex.Values(),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		stored, gerr := s.getItem(ctx, jobPK(j.Tenant, j.JobId), skJob)
		if gerr != nil {
			return fmt.Errorf("update job %s: %w (and %w)", j.JobId, job.ErrConflict, gerr)
		}
		if stored == nil {
			return fmt.Errorf("update job %s: %w", j.JobId, job.ErrNotFound)
		}
		cur, derr := decodeJob(stored)
		if derr != nil {
			return fmt.Errorf("update job %s: %w (and %w)", j.JobId, job.ErrConflict, derr)
		}
		if sameJob(cur, next) {
			// This very write took effect and only its answer was lost (a 500 or a reset after
			// DynamoDB applied it): the SDK sent it again, and the retry's condition failed on the
			// write's own result. Taking that for another writer's conflict made a notification
			// claim look taken by someone else, and nobody published it until the sweeper did.
			err = nil
		} else {
			return fmt.Errorf("update job %s: stored version %d status %s, expected version %d status %s: %w",
				j.JobId, cur.Version, cur.JobStatus, j.Version, expect, job.ErrConflict)
		}
	}
	if err != nil {
		return fmt.Errorf("update job %s: %w", j.JobId, err)
	}
	j.Version = next.Version
	return nil
}

// sameJob reports whether stored is the job next describes, compared as items after a round trip
// through the item encoding (so that what DynamoDB gives back in its own form, numbers and times,
// compares equal to what was written).
func sameJob(stored, next *job.Job) bool {
	a, err := encodeJob(stored)
	if err != nil {
		return false
	}
	w, err := encodeJob(next)
	if err != nil {
		return false
	}
	back, err := decodeJob(w)
	if err != nil {
		return false
	}
	if w, err = encodeJob(back); err != nil {
		return false
	}
	return reflect.DeepEqual(a, w)
}

// filteredQueryItems is the fewest items a Query of a filtered List reads (see List).
const filteredQueryItems = 100

// listToken is the position after the last job of a page: the table and GSI1 keys of that job
// item (its GSI1PK is the tenant's, filled in from the caller's tenant).
type listToken struct {
	PK, SK, S string
}

// List implements pipeline.Jobs with a Query of GSI1 (newest first; oldest first with f.Oldest). SubmittedBefore/After are
// key conditions; JobName and Status are a FilterExpression. Because DynamoDB applies Limit
// before the filter, List keeps querying (filteredQueryItems items a Query at least) until it has
// MaxResults jobs (plus one, to know whether there are more; the matches a Query read past them
// are read again by the next page) or the index is exhausted; when filters discard nearly
// everything it stops after maxQueries Queries and returns a short page with a NextToken. NextToken is
// base64 of the last returned job's keys; a malformed one is ErrInvalid.
func (s *Jobs) List(ctx context.Context, tenant string, f api.ListFilter) ([]*job.Job, string, error) {
	limit := f.MaxResults
	if limit <= 0 {
		limit = pipeline.DefaultListResults
	}
	limit = min(limit, pipeline.MaxListResults)

	kc := expression.Key(attrGSI1PK).Equal(expression.Value(tenantKey(tenant)))
	sk := expression.Key(attrGSI1SK)
	after, before := f.SubmittedAfter, f.SubmittedBefore
	switch {
	case !after.IsZero() && !before.IsZero():
		if !after.Before(before) {
			return nil, "", nil
		}
		kc = kc.And(sk.Between(expression.Value(sortTime(after)+"$"), expression.Value(sortTime(before))))
	case !after.IsZero():
		// Every key of a job submitted at `after` is sortTime(after)+"#"+id, and '$' follows '#'.
		kc = kc.And(sk.GreaterThanEqual(expression.Value(sortTime(after) + "$")))
	case !before.IsZero():
		kc = kc.And(sk.LessThan(expression.Value(sortTime(before))))
	}
	b := expression.NewBuilder().WithKeyCondition(kc)
	var filter expression.ConditionBuilder
	hasFilter := false
	add := func(c expression.ConditionBuilder) {
		if hasFilter {
			filter = filter.And(c)
		} else {
			filter, hasFilter = c, true
		}
	}
	if f.JobName != "" {
		add(expression.Name(attrName).Equal(expression.Value(f.JobName)))
	}
	if f.Status != "" {
		add(expression.Name(attrStatus).Equal(expression.Value(string(f.Status))))
	}
	// Each Query reads limit+1 items, all of which match without a filter. With one, DynamoDB
	// applies Limit before it: a Query reads filteredQueryItems at least, so that a small
	// MaxResults does not spend the maxQueries budget on a couple of items each.
	queryItems := limit + 1
	if hasFilter {
		b = b.WithFilter(filter)
		queryItems = max(queryItems, filteredQueryItems)
	}
	ex, err := b.Build()
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	var start map[string]types.AttributeValue
	if f.NextToken != "" {
		var tok listToken
		if err := pagetoken.Decode(f.NextToken, &tok); err != nil || tok.PK == "" || tok.SK == "" || tok.S == "" {
			return nil, "", fmt.Errorf("%w: NextToken is not one this route returned", job.ErrInvalid)
		}
		start = map[string]types.AttributeValue{
			attrPK:     &types.AttributeValueMemberS{Value: tok.PK},
			attrSK:     &types.AttributeValueMemberS{Value: tok.SK},
			attrGSI1PK: &types.AttributeValueMemberS{Value: tenantKey(tenant)},
			attrGSI1SK: &types.AttributeValueMemberS{Value: tok.S},
		}
	}
	type found struct {
		j      *job.Job
		pk, sk string
		s      string
	}
	var out []found
	for q := 0; ; q++ {
		page, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &s.table,
			IndexName:                 sdkaws.String(GSI1),
			KeyConditionExpression:    ex.KeyCondition(),
			FilterExpression:          ex.Filter(),
			ExpressionAttributeNames:  ex.Names(),
			ExpressionAttributeValues: ex.Values(),
			ExclusiveStartKey:         start,
			ScanIndexForward:          sdkaws.Bool(f.Oldest),
			Limit:                     sdkaws.Int32(int32(queryItems)),
		})
		if err != nil {
			if apiCode(err) == "ValidationException" && start != nil {
				return nil, "", fmt.Errorf("list jobs: NextToken does not fit this listing: %w: %w", job.ErrInvalid, err)
			}
			return nil, "", fmt.Errorf("list jobs: %w", err)
		}
		for _, item := range page.Items {
			j, err := decodeJob(item)
			if err != nil {
				return nil, "", err
			}
			if j, err = s.withCounters(ctx, j); err != nil {
				return nil, "", err
			}
			var k struct{ PK, SK, GSI1SK string }
			if err := attributevalue.UnmarshalMap(item, &k); err != nil {
				return nil, "", fmt.Errorf("list jobs: %w", err)
			}
			out = append(out, found{j, k.PK, k.SK, k.GSI1SK})
			if len(out) > limit {
				break
			}
		}
		if len(out) > limit {
			// More exist: the page ends at the limit-th job.
			last := out[limit-1]
			jobs := make([]*job.Job, limit)
			for i := range jobs {
				jobs[i] = out[i].j
			}
			return jobs, pagetoken.Encode(listToken{PK: last.pk, SK: last.sk, S: last.s}), nil
		}
		start = page.LastEvaluatedKey
		if len(start) == 0 {
			break
		}
		if q+1 >= s.maxQueries {
			// Budget spent: return what we have; the token resumes after the last item read.
			var tok listToken
			if err := attributevalue.UnmarshalMap(start, &struct {
				PK     *string
				SK     *string
				GSI1SK *string
			}{&tok.PK, &tok.SK, &tok.S}); err != nil {
				return nil, "", fmt.Errorf("list jobs: %w", err)
			}
			jobs := make([]*job.Job, len(out))
			for i := range out {
				jobs[i] = out[i].j
			}
			return jobs, pagetoken.Encode(tok), nil
		}
	}
	jobs := make([]*job.Job, len(out))
	for i := range out {
		jobs[i] = out[i].j
	}
	return jobs, "", nil
}

// shardItem is the stored form of a ShardRecord.
type shardItem struct {
	PK, SK string
	pipeline.ShardRecord
}

// RecordShard implements pipeline.Jobs with two single-item conditional writes and no
// transaction, so that nothing a thousand concurrent recorders do can cancel another's write:
//
//  1. a PutItem of the shard item if absent (if it exists, the stored record is read and counted
//     instead: a recorder that died between the two writes, or a late duplicate);
//  2. an UpdateItem of counter item Index mod 64 that ADDs the record's counts, 1 to ShardsDone
//     and the index to the item's Counted set, on the condition that Counted does not hold the
//     index yet. A shard is therefore counted exactly once (applied = this write succeeded),
//     whoever writes first and however often it is delivered.
//
// The job item is not written: recorders of one job never touch the same item as a status
// change, and each counter item takes 1/64 of the recordings. Get sums the counter items of a
// running job. The job is read back (consistently); a job that does not exist is ErrNotFound
// (and the stray items are removed).
func (s *Jobs) RecordShard(ctx context.Context, tenant, id string, rec pipeline.ShardRecord) (*job.Job, bool, error) {
	if rec.Recorded.IsZero() {
		rec.Recorded = s.now().UTC()
	}
	pk := jobPK(tenant, id)
	item, err := attributevalue.MarshalMap(shardItem{PK: pk, SK: shardSK(rec.Index), ShardRecord: rec})
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	absent, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(attrPK))).Build()
	if err != nil {
		return nil, false, err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names()})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		stored, gerr := s.getItem(ctx, pk, shardSK(rec.Index))
		if gerr != nil {
			return nil, false, fmt.Errorf("record shard %d of job %s: read the stored record: %w", rec.Index, id, gerr)
		}
		var si shardItem
		if err := attributevalue.UnmarshalMap(stored, &si); err != nil {
			return nil, false, fmt.Errorf("record shard %d of job %s: %w", rec.Index, id, err)
		}
		rec, err = si.ShardRecord, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d of job %s: %w", rec.Index, id, err)
	}

	idx := &types.AttributeValueMemberNS{Value: []string{strconv.Itoa(rec.Index)}}
	cond := expression.Or(expression.AttributeNotExists(expression.Name(attrCounted)),
		expression.Not(expression.Contains(expression.Name(attrCounted), strconv.Itoa(rec.Index))))
	upd := expression.Add(expression.Name("InputDocumentsCount"), expression.Value(rec.Documents)).
		Add(expression.Name("ProcessedDocumentsCount"), expression.Value(rec.Processed())).
		Add(expression.Name("DocumentsWithErrorsCount"), expression.Value(rec.Errors)).
		Add(expression.Name("ShardsDone"), expression.Value(1)).
		Add(expression.Name("ProcessedBytes"), expression.Value(rec.InputBytes)).
		Add(expression.Name(attrCounted), expression.Value(idx))
	// The documents of the last minute, in 10-second buckets; buckets the rate no longer reads
	// are removed as the item is written, so the item stays small.
	b := job.RateBucket(rec.Recorded)
	upd = upd.Add(expression.Name(recentAttr(b)), expression.Value(rec.Documents))
	for old := b - recentBuckets - 6; old < b-recentBuckets; old++ {
		upd = upd.Remove(expression.Name(recentAttr(old)))
	}
	for _, a := range slices.Sorted(maps.Keys(rec.Analyses)) {
		c := rec.Analyses[a]
		upd = upd.Add(expression.Name(analysisAttr(a, true)), expression.Value(c.Succeeded)).
			Add(expression.Name(analysisAttr(a, false)), expression.Value(c.Failed))
	}
	ex, err := expression.NewBuilder().WithCondition(cond).WithUpdate(upd).Build()
	if err != nil {
		return nil, false, err
	}
	// contains() on a number set compares with a number: replace the string operand.
	values := ex.Values()
	for k, v := range values {
		if sv, ok := v.(*types.AttributeValueMemberS); ok && sv.Value == strconv.Itoa(rec.Index) {
			values[k] = &types.AttributeValueMemberN{Value: sv.Value}
		}
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(pk, counterSK(rec.Index%counterItems)),
		ConditionExpression: ex.Condition(), UpdateExpression: ex.Update(),
		ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: values,
	})
	applied := true
	if errors.As(err, &ccf) {
		applied, err = false, nil // counted before: a duplicate delivery
	}
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d of job %s: count: %w", rec.Index, id, err)
	}
	after, err := s.Get(ctx, tenant, id)
	if errors.Is(err, job.ErrNotFound) {
		_ = s.deletePartition(ctx, pk) // a job deleted meanwhile (expired): leave nothing behind
		return nil, false, fmt.Errorf("record shard %d of job %s: %w", rec.Index, id, job.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("record shard %d: read job back: %w", rec.Index, err)
	}
	return after, applied, nil
}

// Shards implements pipeline.Jobs: a consistent Query of the job's partition for its shard
// items, which sort by zero-padded index.
func (s *Jobs) Shards(ctx context.Context, tenant, id string) ([]pipeline.ShardRecord, error) {
	pk := jobPK(tenant, id)
	items, err := s.partition(ctx, pk, expression.Key(attrSK).BeginsWith(skShard))
	if err != nil {
		return nil, fmt.Errorf("shards of job %s: %w", id, err)
	}
	var out []pipeline.ShardRecord
	for _, item := range items {
		var r shardItem
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return nil, fmt.Errorf("shards of job %s: %w", id, err)
		}
		out = append(out, r.ShardRecord)
	}
	if len(out) == 0 {
		if _, err := s.getItem(ctx, pk, skJob); err != nil {
			return nil, fmt.Errorf("shards of job %s: %w", id, err)
		}
	}
	return out, nil
}

// Scan implements pipeline.Jobs with one paginated Query of GSI2 per status (two for a
// terminal status: its unnotified and notified partitions, in that order; see the table design above for why an
// index and not a table Scan). Each page is read in full before fn is called for its jobs, so fn
// may write to the table. A job whose status fn changes to another status of the scan is not
// visited twice.
func (s *Jobs) Scan(ctx context.Context, statuses []job.Status, fn func(*job.Job) error) error {
	var parts []string
	for _, st := range statuses {
		parts = append(parts, statusPartitions(st)...)
	}
	return s.scanPartitions(ctx, parts, fn)
}

// ScanUnnotified implements pipeline.Jobs with one paginated Query of GSI2 for each terminal
// status's partition of unnotified jobs: small, whatever the table keeps.
func (s *Jobs) ScanUnnotified(ctx context.Context, fn func(*job.Job) error) error {
	var parts []string
	for _, st := range job.AllStatuses {
		if st.Terminal() {
			parts = append(parts, unnotifiedKey(st))
		}
	}
	return s.scanPartitions(ctx, parts, fn)
}

// scanPartitions reads the GSI2 partitions in order, page by page, calling fn for each job (once,
// should it move from one partition to another meanwhile).
func (s *Jobs) scanPartitions(ctx context.Context, parts []string, fn func(*job.Job) error) error {
	seen := map[string]bool{}
	for _, part := range parts {
		kc := expression.Key(attrGSI2PK).Equal(expression.Value(part))
		ex, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		if err != nil {
			return err
		}
		p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName:                 &s.table,
			IndexName:                 sdkaws.String(GSI2),
			KeyConditionExpression:    ex.KeyCondition(),
			ExpressionAttributeNames:  ex.Names(),
			ExpressionAttributeValues: ex.Values(),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("scan jobs in %s: %w", part, err)
			}
			for _, item := range page.Items {
				j, err := decodeJob(item)
				if err != nil {
					return err
				}
				if j, err = s.withCounters(ctx, j); err != nil {
					return err
				}
				k := jobPK(j.Tenant, j.JobId)
				if seen[k] {
					continue
				}
				seen[k] = true
				if err := fn(j); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// scanCursor is ScanPage's cursor: the table key (PK; SK is "JOB") and GSI2SK of the last job
// read, which with the partition's GSI2PK make the Query's ExclusiveStartKey. A terminal status's
// walk reads its partition of unnotified jobs first, then its ordinary one (see ScanPage). U says
// the walk is in the unnotified jobs' partition; N with PK and S empty, that it is at the start
// of the ordinary one, the unnotified jobs' read. A cursor with neither flag is in the ordinary
// partition (as every cursor an earlier release returned); one with U alone and no key (an
// earlier release's order read the ordinary partition first) starts the unnotified jobs'
// partition, after which the ordinary one is read again: work done twice, nothing missed.
type scanCursor struct {
	PK string `json:"p,omitempty"`
	S  string `json:"s,omitempty"`
	U  bool   `json:"u,omitempty"`
	N  bool   `json:"n,omitempty"`
}

// defaultScanPage is ScanPage's limit when the caller gives none: ≈ 400 KB of job items, under
// a Query's 1 MB.
const defaultScanPage = 200

// ScanPage implements pipeline.Jobs with one Query of GSI2 (one of the status's partitions, in
// tenant#id order) from the cursor's ExclusiveStartKey. A terminal status has two: its unnotified
// jobs', then its notified jobs'; the cursor that ends the first starts the second (a page of
// none of them may come between). In that order a job marked notified during the walk, which
// moves from the first partition to the second, is still returned (twice, if the walk had
// already read it in the first); the other order lost one that moved behind the walk's cursor
// in the ordinary partition while the walk was there (TestJobs/ScanPageNotifiedDuringWalk).
// Index reads are eventually consistent, as Scan's are.
func (s *Jobs) ScanPage(ctx context.Context, st job.Status, cursor string, limit int) ([]pipeline.ScannedJob, string, error) {
	if limit <= 0 {
		limit = defaultScanPage
	}
	var c scanCursor
	if cursor != "" {
		if err := pagetoken.Decode(cursor, &c); err != nil || (c.PK == "") != (c.S == "") || (c.PK == "" && !c.U && !c.N) ||
			(c.N && (c.U || c.PK != "")) || ((c.U || c.N) && !st.Terminal()) {
			return nil, "", fmt.Errorf("scan jobs in %s: %w: the cursor is not one this store returned", st, job.ErrInvalid)
		}
	} else if st.Terminal() {
		c.U = true // the unnotified jobs' partition first
	}
	part := statusKey(st)
	if c.U {
		part = unnotifiedKey(st)
	}
	var start map[string]types.AttributeValue
	if c.PK != "" {
		start = map[string]types.AttributeValue{
			attrPK:     &types.AttributeValueMemberS{Value: c.PK},
			attrSK:     &types.AttributeValueMemberS{Value: skJob},
			attrGSI2PK: &types.AttributeValueMemberS{Value: part},
			attrGSI2SK: &types.AttributeValueMemberS{Value: c.S},
		}
	}
	ex, err := expression.NewBuilder().WithKeyCondition(expression.Key(attrGSI2PK).Equal(expression.Value(part))).Build()
	if err != nil {
		return nil, "", err
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 sdkaws.String(GSI2),
		KeyConditionExpression:    ex.KeyCondition(),
		ExpressionAttributeNames:  ex.Names(),
		ExpressionAttributeValues: ex.Values(),
		ExclusiveStartKey:         start,
		Limit:                     sdkaws.Int32(int32(limit)),
	})
	if err != nil {
		if apiCode(err) == "ValidationException" && start != nil {
			return nil, "", fmt.Errorf("scan jobs in %s: the cursor does not fit: %w: %w", st, job.ErrInvalid, err)
		}
		return nil, "", fmt.Errorf("scan jobs in %s: %w", st, err)
	}
	page := make([]pipeline.ScannedJob, 0, len(out.Items))
	for _, item := range out.Items {
		j, err := decodeJob(item)
		if err != nil {
			return nil, "", err
		}
		if j, err = s.withCounters(ctx, j); err != nil {
			return nil, "", err
		}
		after := pagetoken.Encode(scanCursor{PK: jobPK(j.Tenant, j.JobId), S: esc(j.Tenant) + "#" + esc(j.JobId), U: c.U})
		page = append(page, pipeline.ScannedJob{Job: j, After: after})
	}
	next := ""
	switch {
	case len(out.LastEvaluatedKey) > 0:
		n := scanCursor{U: c.U}
		if err := attributevalue.UnmarshalMap(out.LastEvaluatedKey, &struct {
			PK     *string
			GSI2SK *string
		}{&n.PK, &n.S}); err != nil || n.PK == "" || n.S == "" {
			return nil, "", fmt.Errorf("scan jobs in %s: the page's last key: %v", st, err)
		}
		next = pagetoken.Encode(n)
	case c.U:
		next = pagetoken.Encode(scanCursor{N: true}) // the ordinary partition next
	}
	return page, next, nil
}

// The sweeper's state lives in the jobs table as one small item per pass, outside every tenant's
// keys and without GSI attributes (so it is in neither index):
//
//	item         PK              SK       other attributes
//	sweep state  SWEEP#<name>    SWEEP    PassStarted, Status, Cursor, Done, Version
const skSweep = "SWEEP"

func sweepPK(name string) string { return "SWEEP#" + esc(name) }

// GetSweepState implements pipeline.Jobs with a consistent GetItem.
func (s *Jobs) GetSweepState(ctx context.Context, name string) (pipeline.SweepState, error) {
	var st pipeline.SweepState
	item, err := s.getItem(ctx, sweepPK(name), skSweep)
	if errors.Is(err, job.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read sweep state %s: %w", name, err)
	}
	if err := attributevalue.UnmarshalMap(item, &st); err != nil {
		return st, fmt.Errorf("read sweep state %s: %w", name, err)
	}
	return st, nil
}

// PutSweepState implements pipeline.Jobs with a PutItem conditional on the stored Version (on
// the item's absence for version 0).
func (s *Jobs) PutSweepState(ctx context.Context, name string, st *pipeline.SweepState) error {
	next := *st
	next.Version = st.Version + 1
	item, err := attributevalue.MarshalMap(next)
	if err != nil {
		return fmt.Errorf("store sweep state %s: %w", name, err)
	}
	item[attrPK] = &types.AttributeValueMemberS{Value: sweepPK(name)}
	item[attrSK] = &types.AttributeValueMemberS{Value: skSweep}
	cond := expression.AttributeNotExists(expression.Name(attrPK))
	if st.Version != 0 {
		cond = expression.Name(attrVer).Equal(expression.Value(st.Version))
	}
	ex, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression: ex.Condition(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values()})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("store sweep state %s: stored version is not %d: %w", name, st.Version, job.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store sweep state %s: %w", name, err)
	}
	st.Version = next.Version
	return nil
}

// Delete implements pipeline.Jobs: the shard and counter items (the job's partition, queried),
// then the job item with its token item, with TransactWriteItems of at most 100 deletes each. The
// table's TTL would remove the job item alone; this removes everything the job left.
func (s *Jobs) Delete(ctx context.Context, tenant, id string) error {
	pk := jobPK(tenant, id)
	j, err := s.Get(ctx, tenant, id)
	if errors.Is(err, job.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.deletePartition(ctx, pk); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	last := []types.TransactWriteItem{{Delete: &types.Delete{TableName: &s.table, Key: key(pk, skJob)}}}
	if j.ClientRequestToken != "" {
		last = append(last, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(tokenPK(tenant, j.ClientRequestToken), skToken)}})
	}
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: last}); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	return nil
}

// deletePartition deletes every item of the partition pk but the job item.
func (s *Jobs) deletePartition(ctx context.Context, pk string) error {
	var batch []types.TransactWriteItem
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: batch})
		batch = batch[:0]
		return err
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    sdkaws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ProjectionExpression:      sdkaws.String("#pk, #sk"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list items: %w", err)
		}
		for _, it := range page.Items {
			sk, _ := it[attrSK].(*types.AttributeValueMemberS)
			if sk == nil || sk.Value == skJob {
				continue
			}
			batch = append(batch, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(pk, sk.Value)}})
			if len(batch) == 100 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}
