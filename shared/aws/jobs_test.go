package aws

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// fakeDDB answers TransactWriteItems with scripted errors and GetItem with one stored job.
type fakeDDB struct {
	DynamoDBAPI
	tx     []error // one per TransactWriteItems call; nil commits
	txN    int
	stored map[string]types.AttributeValue
	// gets, when set, answers GetItem calls in turn instead of stored.
	gets []map[string]types.AttributeValue
}

func (f *fakeDDB) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	i := f.txN
	f.txN++
	if i < len(f.tx) && f.tx[i] != nil {
		return nil, f.tx[i]
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

func (f *fakeDDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if f.gets != nil {
		item := f.gets[0]
		f.gets = f.gets[1:]
		return &dynamodb.GetItemOutput{Item: item}, nil
	}
	return &dynamodb.GetItemOutput{Item: f.stored}, nil
}

// Query answers Get's read of a job's partition as GetItem answers.
func (f *fakeDDB) Query(ctx context.Context, _ *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, _ := f.GetItem(ctx, nil)
	if out.Item == nil {
		return &dynamodb.QueryOutput{}, nil
	}
	return &dynamodb.QueryOutput{Items: []map[string]types.AttributeValue{out.Item}}, nil
}

func cancelled(codes ...string) error {
	var rs []types.CancellationReason
	for _, c := range codes {
		rs = append(rs, types.CancellationReason{Code: sdkaws.String(c)})
	}
	return &types.TransactionCanceledException{Message: sdkaws.String("Transaction cancelled"), CancellationReasons: rs}
}

// recordDDB answers RecordShard's calls: the shard PutItem, the GetItem of a stored shard, the
// counter UpdateItem and the Query that reads the job back.
type recordDDB struct {
	fakeDDB
	put, update error
	shard       map[string]types.AttributeValue
	jobItem     map[string]types.AttributeValue
	updates     []*dynamodb.UpdateItemInput
}

func (f *recordDDB) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, f.put
}

func (f *recordDDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: f.shard}, nil
}

func (f *recordDDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.updates = append(f.updates, in)
	return &dynamodb.UpdateItemOutput{}, f.update
}

func (f *recordDDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if f.jobItem == nil {
		return &dynamodb.QueryOutput{}, nil
	}
	return &dynamodb.QueryOutput{Items: []map[string]types.AttributeValue{f.jobItem}}, nil
}

func (f *recordDDB) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// TestRecordShardMapsAnswers: how RecordShard reads DynamoDB's answers to its two writes.
func TestRecordShardMapsAnswers(t *testing.T) {
	stored := &job.Job{JobId: "j", Tenant: "t", JobStatus: job.InProgress, Version: 3, JobDetails: job.Details{ShardsTotal: 2}}
	item, err := encodeJob(stored)
	if err != nil {
		t.Fatal(err)
	}
	shard, err := attributevalue.MarshalMap(shardItem{PK: jobPK("t", "j"), SK: shardSK(1), ShardRecord: pipeline.ShardRecord{Index: 1, Documents: 7, Errors: 7, Failed: true}})
	if err != nil {
		t.Fatal(err)
	}
	ccf := &types.ConditionalCheckFailedException{Message: sdkaws.String("The conditional request failed")}
	tests := []struct {
		name        string
		put, update error
		jobItem     map[string]types.AttributeValue
		wantApplied bool
		wantErr     error
		wantCounted string // the documents the counter update adds
	}{
		{"first delivery", nil, nil, item, true, nil, "4"},
		{"duplicate delivery", ccf, ccf, item, false, nil, "7"},
		{"recorder died between the writes: the stored record is counted", ccf, nil, item, true, nil, "7"},
		{"missing job", nil, nil, nil, false, job.ErrNotFound, "4"},
		{"other error", errors.New("boom"), nil, item, false, errors.New("boom"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &recordDDB{put: tt.put, update: tt.update, shard: shard, jobItem: tt.jobItem}
			s := NewJobs(f, "jobs")
			after, applied, err := s.RecordShard(context.Background(), "t", "j", pipeline.ShardRecord{Index: 1, Documents: 4})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("RecordShard: %v", err)
			case tt.wantErr != nil && (err == nil || (!errors.Is(err, tt.wantErr) && !strings.Contains(err.Error(), tt.wantErr.Error()))):
				t.Fatalf("RecordShard = %v, want %v", err, tt.wantErr)
			}
			if applied != tt.wantApplied {
				t.Fatalf("applied = %v, want %v", applied, tt.wantApplied)
			}
			if tt.wantCounted != "" {
				if len(f.updates) != 1 {
					t.Fatalf("%d counter updates, want 1", len(f.updates))
				}
				in := f.updates[0]
				if sk := in.Key[attrSK].(*types.AttributeValueMemberS).Value; sk != counterSK(1) {
					t.Errorf("counted on %s, want %s", sk, counterSK(1))
				}
				found := false
				for _, v := range in.ExpressionAttributeValues {
					if n, ok := v.(*types.AttributeValueMemberN); ok && n.Value == tt.wantCounted {
						found = true
					}
				}
				if !found {
					t.Errorf("the counter update does not add %s documents: %v", tt.wantCounted, in.ExpressionAttributeValues)
				}
			}
			if err == nil && (after == nil || after.JobId != "j") {
				t.Fatalf("after = %+v", after)
			}
		})
	}
}

func TestCreateMapsCancellation(t *testing.T) {
	first := &job.Job{JobId: "first", Tenant: "t", ClientRequestToken: "tok", RequestHash: "h1", JobStatus: job.AwaitingInput, Version: 1}
	item, _ := encodeJob(first)
	tokenAndJob := map[string]types.AttributeValue{"JobId": &types.AttributeValueMemberS{Value: "first"}}
	for k, v := range item {
		if k != "JobId" {
			tokenAndJob[k] = v
		}
	}
	j := &job.Job{JobId: "second", Tenant: "t", ClientRequestToken: "tok", JobStatus: job.AwaitingInput}

	f := &fakeDDB{tx: []error{cancelled("None", "ConditionalCheckFailed")}, stored: tokenAndJob}
	got, created, err := NewJobs(f, "jobs").Create(context.Background(), j.Clone())
	if err != nil || created || got.JobId != "first" || got.RequestHash != "h1" {
		t.Fatalf("token reuse: %+v created=%v %v", got, created, err)
	}

	f = &fakeDDB{tx: []error{cancelled("ConditionalCheckFailed", "None")}}
	if _, created, err := NewJobs(f, "jobs").Create(context.Background(), j.Clone()); !errors.Is(err, job.ErrConflict) || created {
		t.Fatalf("id taken: created=%v %v, want ErrConflict", created, err)
	}

	// The token's job expired (TTL): the token is taken over in a second transaction.
	f = &fakeDDB{tx: []error{cancelled("None", "ConditionalCheckFailed")}, gets: []map[string]types.AttributeValue{tokenAndJob, nil}}
	got, created, err = NewJobs(f, "jobs").Create(context.Background(), j.Clone())
	if err != nil || !created || got.JobId != "second" || f.txN != 2 {
		t.Fatalf("stale token: %+v created=%v %v after %d transactions", got, created, err, f.txN)
	}

	f = &fakeDDB{}
	c := j.Clone()
	got, created, err = NewJobs(f, "jobs").Create(context.Background(), c)
	if err != nil || !created || got.Version != 1 || c.Version != 1 {
		t.Fatalf("fresh create: %+v created=%v %v", got, created, err)
	}
}

func TestSortTimeOrdersLikeTime(t *testing.T) {
	base := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	times := []time.Time{
		base, base.Add(time.Nanosecond), base.Add(500 * time.Millisecond), base.Add(time.Second),
		base.Add(-time.Nanosecond), base.In(time.FixedZone("X", 3600)).Add(time.Minute), base.AddDate(0, 0, 1),
	}
	keys := make([]string, len(times))
	for i, tm := range times {
		keys[i] = sortTime(tm) + "#id"
	}
	sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })
	sort.Strings(keys)
	for i := range times {
		if keys[i] != sortTime(times[i])+"#id" {
			t.Fatalf("text order differs from time order at %d: %q vs %v", i, keys[i], times[i])
		}
	}
	// RFC3339Nano would not do: it trims trailing zeros, so "…53Z" sorts after "…53.5Z".
	if a, b := base.Format(time.RFC3339Nano), base.Add(500*time.Millisecond).Format(time.RFC3339Nano); a < b {
		t.Fatalf("expected %q > %q as text", a, b)
	}
}

func TestKeysCannotBeForged(t *testing.T) {
	pairs := [][2]string{{"a#J#b", "c"}, {"a", "b#J#c"}, {"a%23J%23b", "c"}, {"a", "b%23J%23c"}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := jobPK(p[0], p[1])
		if other, ok := seen[k]; ok {
			t.Fatalf("%v and %v share the key %q", p, other, k)
		}
		seen[k] = p
	}
	if strings.HasPrefix(tokenPK("a", "x"), jobPK("a", "")) {
		t.Fatal("token keys overlap job keys")
	}
}

func TestEncodeJobKeepsEveryField(t *testing.T) {
	end := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	j := &job.Job{
		JobId: "j", Tenant: "t", JobName: "n", JobStatus: job.Completed, SubmitTime: end, ExpirationTime: &end,
		InputKey: "in", RequestHash: "h", ExpectedFiles: 3, InputSize: 9, ShardBytes: 4, Notified: true, UploadDeadline: &end,
		StartedAt: &end, UpdatedAt: end, Version: 5,
		JobDetails: job.Details{InputDocumentsCount: 1, ProcessedDocumentsCount: 2, DocumentsWithErrorsCount: 3, ShardsTotal: 4, ShardsDone: 5},
	}
	item, err := encodeJob(j)
	if err != nil {
		t.Fatal(err)
	}
	// The ttl falls due TTLGrace after ExpirationTime (1767323045): the sweeper expires the job
	// first, items and all; DynamoDB's TTL, which deletes the job item alone, is the backstop.
	if ttl, ok := item[attrTTL].(*types.AttributeValueMemberN); !ok || ttl.Value != "1767927845" {
		t.Fatalf("ttl = %#v, want epoch seconds of ExpirationTime + 7 days", item[attrTTL])
	}
	if _, ok := item["JobDetails"]; ok {
		t.Fatal("counters stored nested; ADD needs them top level")
	}
	back, err := decodeJob(item)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.JobDetails, j.JobDetails) || back.Version != 5 || back.RequestHash != "h" || !back.UploadDeadline.Equal(end) || !back.Notified || back.Tenant != "t" {
		t.Fatalf("round trip lost fields: %+v", back)
	}
}

// lostAnswerDDB applies every PutItem and then answers it as the SDK's retry of it is answered
// when the first attempt's answer was lost (a 500 or a connection reset after DynamoDB applied
// it): with the ConditionalCheckFailedException the write's own result causes. other, when set,
// is what another writer stores instead, before the write arrives.
type lostAnswerDDB struct {
	DynamoDBAPI
	stored map[string]types.AttributeValue
	other  map[string]types.AttributeValue
}

func (f *lostAnswerDDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if f.other != nil {
		f.stored = f.other
	} else {
		f.stored = in.Item
	}
	return nil, &types.ConditionalCheckFailedException{Message: sdkaws.String("The conditional request failed")}
}

func (f *lostAnswerDDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: f.stored}, nil
}

func (f *lostAnswerDDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{Items: []map[string]types.AttributeValue{f.stored}}, nil
}

// TestUpdateLostAnswer: an Update whose first attempt took effect and whose retry then failed its
// condition on that very write succeeded; one whose condition failed on another writer's job is
// still a conflict.
func TestUpdateLostAnswer(t *testing.T) {
	submit := time.Date(2026, 11, 22, 17, 0, 0, 123456789, time.UTC)
	j := &job.Job{JobId: "j", Tenant: "t", JobStatus: job.InProgress, Version: 4, SubmitTime: submit,
		JobDetails: job.Details{ShardsTotal: 2, ShardsDone: 2, InputDocumentsCount: 7},
		Analyses:   []job.Analysis{job.Language}, Tags: []job.Tag{{Key: "k", Value: "v"}}}
	claimed := submit.Add(time.Minute)
	j.NotifyClaimed = &claimed

	db := &lostAnswerDDB{}
	s := NewJobs(db, "table")
	mine := j.Clone()
	if err := s.Update(context.Background(), mine, job.InProgress); err != nil {
		t.Fatalf("Update whose own write took effect: %v, want success", err)
	}
	if mine.Version != 5 {
		t.Errorf("Version %d after the update, want 5", mine.Version)
	}

	theirs := j.Clone()
	theirs.Version = 5
	theirs.Message = "another writer's"
	other, err := encodeJob(theirs)
	if err != nil {
		t.Fatal(err)
	}
	s = NewJobs(&lostAnswerDDB{other: other}, "table")
	mine = j.Clone()
	if err := s.Update(context.Background(), mine, job.InProgress); !errors.Is(err, job.ErrConflict) {
		t.Fatalf("Update that lost to another writer: %v, want ErrConflict", err)
	}
	if mine.Version != 4 {
		t.Errorf("Version %d after a conflict, want 4 (unchanged)", mine.Version)
	}
}

// TestAddCountersRateWindow: a running job's RecentDocuments sums its counter items' rate
// buckets from job.RateSince(now) on, the oldest of them included, none before it (the local
// store's TestRecentDocumentsWindow).
func TestAddCountersRateWindow(t *testing.T) {
	now := time.Date(2026, 12, 5, 6, 0, 5, 0, time.UTC)
	since := job.RateBucket(job.RateSince(now))
	n := func(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }
	items := []map[string]types.AttributeValue{
		{recentAttr(since - 1): n(100), recentAttr(since): n(7)},
		{recentAttr(since + 6): n(11)},
	}
	j := &job.Job{JobId: "j", JobStatus: job.InProgress}
	if err := addCounters(j, items, now); err != nil {
		t.Fatal(err)
	}
	if d := j.JobDetails; d.RecentDocuments != 7+11 || !d.RecentSince.Equal(job.RateSince(now)) {
		t.Errorf("RecentDocuments %d since %v; want 18 since %v", d.RecentDocuments, d.RecentSince, job.RateSince(now))
	}
}
