package local

// Conformance of the Comprehend-compatible surface with a client nobody here wrote: the AWS SDK
// for Go v2's Comprehend client, pointed at the local stack with BaseEndpoint and static
// credentials.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/comprehend"
	"github.com/aws/aws-sdk-go-v2/service/comprehend/types"
	"github.com/aws/smithy-go"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/pipeline"
)

const (
	cmpRole   = "arn:aws:iam::123456789012:role/ComprehendDataAccess"
	cmpOutput = "s3://" + bucketName + "/outputs/local/comprehend/"
)

func comprehendClient(s *Stack, keyID, secret string) *comprehend.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	}
	return comprehend.NewFromConfig(cfg, func(o *comprehend.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.RetryMaxAttempts = 1
	})
}

// cmpProps is what every kind's <Kind>DetectionJobProperties has in common (read through JSON).
type cmpProps struct {
	JobId, JobArn, JobName, Message, DataAccessRoleArn *string
	JobStatus                                          types.JobStatus
	SubmitTime, EndTime                                *time.Time
	InputDataConfig                                    *types.InputDataConfig
	OutputDataConfig                                   *types.OutputDataConfig
	LanguageCode                                       string
	Mode                                               string
	NumberOfTopics                                     *int32
}

// cmpFilter is every kind's <Kind>DetectionJobFilter.
type cmpFilter struct {
	JobName                           *string
	JobStatus                         types.JobStatus
	SubmitTimeAfter, SubmitTimeBefore *time.Time
}

// via converts between the kinds' SDK types and the common ones (same field names).
func via[T any](t *testing.T, v any) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// cmpKind drives one of the six kinds through its own SDK operations.
type cmpKind struct {
	name     string
	arnType  string
	input    string // file name under inputs/local/comprehend/
	stop     bool
	start    func(ctx context.Context, c *comprehend.Client, name, in string) (string, types.JobStatus, error)
	describe func(ctx context.Context, c *comprehend.Client, id string) (cmpProps, error)
	list     func(ctx context.Context, c *comprehend.Client, f *cmpFilter, max *int32, next *string) ([]cmpProps, *string, error)
	stopJob  func(ctx context.Context, c *comprehend.Client, id string) (types.JobStatus, error)
}

func cmpKinds(t *testing.T) []cmpKind { return cmpKindsReading(t, types.InputFormatOneDocPerLine) }

// cmpKindsReading is cmpKinds with the jobs' InputFormat.
func cmpKindsReading(t *testing.T, format types.InputFormat) []cmpKind {
	out := func(in string) *types.OutputDataConfig { return &types.OutputDataConfig{S3Uri: aws.String(cmpOutput)} }
	inCfg := func(in string) *types.InputDataConfig {
		return &types.InputDataConfig{S3Uri: aws.String(in), InputFormat: format}
	}
	filter := func(f *cmpFilter, into any) {
		if f != nil {
			b, _ := json.Marshal(f)
			if err := json.Unmarshal(b, into); err != nil {
				t.Fatal(err)
			}
		}
	}
	return []cmpKind{
		{
			name: "DominantLanguage", arnType: "dominant-language-detection-job", input: "docs.txt", stop: true,
			start: func(ctx context.Context, c *comprehend.Client, name, in string) (string, types.JobStatus, error) {
				o, err := c.StartDominantLanguageDetectionJob(ctx, &comprehend.StartDominantLanguageDetectionJobInput{
					JobName: aws.String(name), InputDataConfig: inCfg(in), OutputDataConfig: out(in), DataAccessRoleArn: aws.String(cmpRole)})
				if err != nil {
					return "", "", err
				}
				return *o.JobId, o.JobStatus, nil
			},
			describe: func(ctx context.Context, c *comprehend.Client, id string) (cmpProps, error) {
				o, err := c.DescribeDominantLanguageDetectionJob(ctx, &comprehend.DescribeDominantLanguageDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return cmpProps{}, err
				}
				return via[cmpProps](t, o.DominantLanguageDetectionJobProperties), nil
			},
			list: func(ctx context.Context, c *comprehend.Client, f *cmpFilter, max *int32, next *string) ([]cmpProps, *string, error) {
				in := &comprehend.ListDominantLanguageDetectionJobsInput{MaxResults: max, NextToken: next}
				if f != nil {
					in.Filter = &types.DominantLanguageDetectionJobFilter{}
					filter(f, in.Filter)
				}
				o, err := c.ListDominantLanguageDetectionJobs(ctx, in)
				if err != nil {
					return nil, nil, err
				}
				return via[[]cmpProps](t, o.DominantLanguageDetectionJobPropertiesList), o.NextToken, nil
			},
			stopJob: func(ctx context.Context, c *comprehend.Client, id string) (types.JobStatus, error) {
				o, err := c.StopDominantLanguageDetectionJob(ctx, &comprehend.StopDominantLanguageDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return "", err
				}
				return o.JobStatus, nil
			},
		},
		{
			name: "Sentiment", arnType: "sentiment-detection-job", input: "docs.txt", stop: true,
			start: func(ctx context.Context, c *comprehend.Client, name, in string) (string, types.JobStatus, error) {
				o, err := c.StartSentimentDetectionJob(ctx, &comprehend.StartSentimentDetectionJobInput{
					JobName: aws.String(name), InputDataConfig: inCfg(in), OutputDataConfig: out(in), DataAccessRoleArn: aws.String(cmpRole),
					LanguageCode: types.LanguageCodeEn})
				if err != nil {
					return "", "", err
				}
				return *o.JobId, o.JobStatus, nil
			},
			describe: func(ctx context.Context, c *comprehend.Client, id string) (cmpProps, error) {
				o, err := c.DescribeSentimentDetectionJob(ctx, &comprehend.DescribeSentimentDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return cmpProps{}, err
				}
				return via[cmpProps](t, o.SentimentDetectionJobProperties), nil
			},
			list: func(ctx context.Context, c *comprehend.Client, f *cmpFilter, max *int32, next *string) ([]cmpProps, *string, error) {
				in := &comprehend.ListSentimentDetectionJobsInput{MaxResults: max, NextToken: next}
				if f != nil {
					in.Filter = &types.SentimentDetectionJobFilter{}
					filter(f, in.Filter)
				}
				o, err := c.ListSentimentDetectionJobs(ctx, in)
				if err != nil {
					return nil, nil, err
				}
				return via[[]cmpProps](t, o.SentimentDetectionJobPropertiesList), o.NextToken, nil
			},
			stopJob: func(ctx context.Context, c *comprehend.Client, id string) (types.JobStatus, error) {
				o, err := c.StopSentimentDetectionJob(ctx, &comprehend.StopSentimentDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return "", err
				}
				return o.JobStatus, nil
			},
		},
		{
			name: "Entities", arnType: "entities-detection-job", input: "docs.txt", stop: true,
			start: func(ctx context.Context, c *comprehend.Client, name, in string) (string, types.JobStatus, error) {
				o, err := c.StartEntitiesDetectionJob(ctx, &comprehend.StartEntitiesDetectionJobInput{
					JobName: aws.String(name), InputDataConfig: inCfg(in), OutputDataConfig: out(in), DataAccessRoleArn: aws.String(cmpRole),
					LanguageCode: types.LanguageCodeEn})
				if err != nil {
					return "", "", err
				}
				return *o.JobId, o.JobStatus, nil
			},
			describe: func(ctx context.Context, c *comprehend.Client, id string) (cmpProps, error) {
				o, err := c.DescribeEntitiesDetectionJob(ctx, &comprehend.DescribeEntitiesDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return cmpProps{}, err
				}
				return via[cmpProps](t, o.EntitiesDetectionJobProperties), nil
			},
			list: func(ctx context.Context, c *comprehend.Client, f *cmpFilter, max *int32, next *string) ([]cmpProps, *string, error) {
				in := &comprehend.ListEntitiesDetectionJobsInput{MaxResults: max, NextToken: next}
				if f != nil {
					in.Filter = &types.EntitiesDetectionJobFilter{}
					filter(f, in.Filter)
				}
				o, err := c.ListEntitiesDetectionJobs(ctx, in)
				if err != nil {
					return nil, nil, err
				}
				return via[[]cmpProps](t, o.EntitiesDetectionJobPropertiesList), o.NextToken, nil
			},
			stopJob: func(ctx context.Context, c *comprehend.Client, id string) (types.JobStatus, error) {
				o, err := c.StopEntitiesDetectionJob(ctx, &comprehend.StopEntitiesDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return "", err
				}
				return o.JobStatus, nil
			},
		},
		{
			name: "KeyPhrases", arnType: "key-phrases-detection-job", input: "docs.txt", stop: true,
			start: func(ctx context.Context, c *comprehend.Client, name, in string) (string, types.JobStatus, error) {
				o, err := c.StartKeyPhrasesDetectionJob(ctx, &comprehend.StartKeyPhrasesDetectionJobInput{
					JobName: aws.String(name), InputDataConfig: inCfg(in), OutputDataConfig: out(in), DataAccessRoleArn: aws.String(cmpRole),
					LanguageCode: types.LanguageCodeEn})
				if err != nil {
					return "", "", err
				}
				return *o.JobId, o.JobStatus, nil
			},
			describe: func(ctx context.Context, c *comprehend.Client, id string) (cmpProps, error) {
				o, err := c.DescribeKeyPhrasesDetectionJob(ctx, &comprehend.DescribeKeyPhrasesDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return cmpProps{}, err
				}
				return via[cmpProps](t, o.KeyPhrasesDetectionJobProperties), nil
			},
			list: func(ctx context.Context, c *comprehend.Client, f *cmpFilter, max *int32, next *string) ([]cmpProps, *string, error) {
				in := &comprehend.ListKeyPhrasesDetectionJobsInput{MaxResults: max, NextToken: next}
				if f != nil {
					in.Filter = &types.KeyPhrasesDetectionJobFilter{}
					filter(f, in.Filter)
				}
				o, err := c.ListKeyPhrasesDetectionJobs(ctx, in)
				if err != nil {
					return nil, nil, err
				}
				return via[[]cmpProps](t, o.KeyPhrasesDetectionJobPropertiesList), o.NextToken, nil
			},
			stopJob: func(ctx context.Context, c *comprehend.Client, id string) (types.JobStatus, error) {
				o, err := c.StopKeyPhrasesDetectionJob(ctx, &comprehend.StopKeyPhrasesDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return "", err
				}
				return o.JobStatus, nil
			},
		},
		{
			name: "PiiEntities", arnType: "pii-entities-detection-job", input: "docs.txt", stop: true,
			start: func(ctx context.Context, c *comprehend.Client, name, in string) (string, types.JobStatus, error) {
				o, err := c.StartPiiEntitiesDetectionJob(ctx, &comprehend.StartPiiEntitiesDetectionJobInput{
					JobName: aws.String(name), InputDataConfig: inCfg(in), OutputDataConfig: out(in), DataAccessRoleArn: aws.String(cmpRole),
					LanguageCode: types.LanguageCodeEn, Mode: types.PiiEntitiesDetectionModeOnlyOffsets})
				if err != nil {
					return "", "", err
				}
				return *o.JobId, o.JobStatus, nil
			},
			describe: func(ctx context.Context, c *comprehend.Client, id string) (cmpProps, error) {
				o, err := c.DescribePiiEntitiesDetectionJob(ctx, &comprehend.DescribePiiEntitiesDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return cmpProps{}, err
				}
				return via[cmpProps](t, o.PiiEntitiesDetectionJobProperties), nil
			},
			list: func(ctx context.Context, c *comprehend.Client, f *cmpFilter, max *int32, next *string) ([]cmpProps, *string, error) {
				in := &comprehend.ListPiiEntitiesDetectionJobsInput{MaxResults: max, NextToken: next}
				if f != nil {
					in.Filter = &types.PiiEntitiesDetectionJobFilter{}
					filter(f, in.Filter)
				}
				o, err := c.ListPiiEntitiesDetectionJobs(ctx, in)
				if err != nil {
					return nil, nil, err
				}
				return via[[]cmpProps](t, o.PiiEntitiesDetectionJobPropertiesList), o.NextToken, nil
			},
			stopJob: func(ctx context.Context, c *comprehend.Client, id string) (types.JobStatus, error) {
				o, err := c.StopPiiEntitiesDetectionJob(ctx, &comprehend.StopPiiEntitiesDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return "", err
				}
				return o.JobStatus, nil
			},
		},
		{
			name: "Topics", arnType: "topics-detection-job", input: "topics.txt",
			start: func(ctx context.Context, c *comprehend.Client, name, in string) (string, types.JobStatus, error) {
				o, err := c.StartTopicsDetectionJob(ctx, &comprehend.StartTopicsDetectionJobInput{
					JobName: aws.String(name), InputDataConfig: inCfg(in), OutputDataConfig: out(in), DataAccessRoleArn: aws.String(cmpRole),
					NumberOfTopics: aws.Int32(5)})
				if err != nil {
					return "", "", err
				}
				return *o.JobId, o.JobStatus, nil
			},
			describe: func(ctx context.Context, c *comprehend.Client, id string) (cmpProps, error) {
				o, err := c.DescribeTopicsDetectionJob(ctx, &comprehend.DescribeTopicsDetectionJobInput{JobId: aws.String(id)})
				if err != nil {
					return cmpProps{}, err
				}
				return via[cmpProps](t, o.TopicsDetectionJobProperties), nil
			},
			list: func(ctx context.Context, c *comprehend.Client, f *cmpFilter, max *int32, next *string) ([]cmpProps, *string, error) {
				in := &comprehend.ListTopicsDetectionJobsInput{MaxResults: max, NextToken: next}
				if f != nil {
					in.Filter = &types.TopicsDetectionJobFilter{}
					filter(f, in.Filter)
				}
				o, err := c.ListTopicsDetectionJobs(ctx, in)
				if err != nil {
					return nil, nil, err
				}
				return via[[]cmpProps](t, o.TopicsDetectionJobPropertiesList), o.NextToken, nil
			},
		},
	}
}

// stopShardBytes and stopInput make a job that a stop cuts short: more shards (8) than the
// test stacks' pollers hold at once (2 × Workers, 2), so that shards are still queued when the
// held ones are stopped, and are skipped. (A stop that skips nothing lets the job complete.)
const stopShardBytes = 1024

func stopInput() []byte {
	return bytes.Repeat([]byte("I love this phone and its battery lasts for days.\n"), 8*stopShardBytes/50)
}

// holdGate blocks the shards of jobs whose name starts with "hold-" until the name is released,
// so that a test sees a job IN_PROGRESS and can stop it while it runs.
type holdGate struct {
	ref   stackRef
	mu    sync.Mutex
	gates map[string]chan struct{}
}

func (g *holdGate) gate(name string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gates == nil {
		g.gates = map[string]chan struct{}{}
	}
	if g.gates[name] == nil {
		g.gates[name] = make(chan struct{})
	}
	return g.gates[name]
}

func (g *holdGate) release(name string) { close(g.gate(name)) }

func (g *holdGate) hook(msg pipeline.ShardMessage) error {
	s := g.ref.get()
	if s == nil {
		return nil
	}
	j, err := s.Service.Describe(context.Background(), msg.Tenant, msg.JobId)
	if err != nil || !strings.HasPrefix(j.JobName, "hold-") {
		return nil
	}
	select {
	case <-g.gate(j.JobName):
	case <-time.After(hangProtection):
	}
	return nil
}

// putInput places a file in the local store where s3://ream-local/inputs/local/comprehend/<name>
// names it.
func putInput(t *testing.T, s *Stack, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "comprehend", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return "s3://" + bucketName + "/inputs/local/comprehend/" + name
}

// readS3 reads the local store's object an s3://ream-local/… URI names.
func readS3(t *testing.T, s *Stack, uri string) []byte {
	t.Helper()
	key, ok := strings.CutPrefix(uri, "s3://"+bucketName+"/")
	if !ok {
		t.Fatalf("%s is not in bucket %s", uri, bucketName)
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, "objects", filepath.FromSlash(key)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func untarGz(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}

func waitStatus(t *testing.T, ctx context.Context, k cmpKind, c *comprehend.Client, id string, want types.JobStatus) cmpProps {
	t.Helper()
	for {
		p, err := k.describe(ctx, c, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.JobStatus == want {
			return p
		}
		if p.JobStatus == types.JobStatusFailed {
			t.Fatalf("job %s FAILED: %s", id, aws.ToString(p.Message))
		}
		select {
		case <-ctx.Done():
			t.Fatalf("job %s still %s, waiting for %s", id, p.JobStatus, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func ids(ps []cmpProps) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.JobId))
	}
	return out
}

// TestComprehendSDKConformance: for every kind, the SDK's Start → Describe (SUBMITTED or
// IN_PROGRESS, then COMPLETED) → List with each filter → Stop of a running job (the five
// stoppable kinds) → the results in output.tar.gz where Describe says they are.
func TestComprehendSDKConformance(t *testing.T) {
	ctx := testCtx(t)
	var g holdGate
	s := startStack(t, Config{ShardBytes: stopShardBytes}, pipeline.Hooks{AfterShardWritten: g.hook})
	g.ref.p.Store(s)
	c := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey)
	stopIn := putInput(t, s, "stop.txt", stopInput())

	var docs bytes.Buffer
	for i := 0; i < 12; i++ {
		fmt.Fprintf(&docs, "%s. Contact John Smith at john.smith@example.com (review %d)\n", sentences[i%len(sentences)], i)
	}
	putInput(t, s, "docs.txt", docs.Bytes())
	topicsAll, _ := topicsInput(t)
	lines := strings.SplitAfter(string(topicsAll), "\n")
	putInput(t, s, "topics.txt", []byte(strings.Join(lines[:min(400, len(lines))], "")))

	kinds := cmpKinds(t)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			in := "s3://" + bucketName + "/inputs/local/comprehend/" + k.input
			name := "hold-" + k.name
			before := time.Now().Add(-time.Second)
			id, st, err := k.start(ctx, c, name, in)
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			if st != types.JobStatusSubmitted && st != types.JobStatusInProgress {
				t.Errorf("start status %s", st)
			}
			// Comprehend's job ids are at most 32 characters: Ream's UUID without its dashes.
			if len(id) != 32 || strings.Contains(id, "-") {
				t.Errorf("JobId %q, want 32 hex digits", id)
			}
			reamID := id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
			if _, err := k.describe(ctx, c, reamID); err != nil {
				t.Errorf("describe by the dashed id of the /v1 API: %v", err)
			}
			first, err := k.describe(ctx, c, id)
			if err != nil {
				t.Fatal(err)
			}
			if first.JobStatus != types.JobStatusSubmitted && first.JobStatus != types.JobStatusInProgress {
				t.Errorf("first status %s, want SUBMITTED or IN_PROGRESS (its shards are held)", first.JobStatus)
			}
			waitStatus(t, ctx, k, c, id, types.JobStatusInProgress)
			g.release(name)
			p := waitStatus(t, ctx, k, c, id, types.JobStatusCompleted)

			wantArn := "arn:aws:comprehend:local:000000000000:" + k.arnType + "/" + id
			if aws.ToString(p.JobArn) != wantArn || aws.ToString(p.JobName) != name || aws.ToString(p.DataAccessRoleArn) != cmpRole {
				t.Errorf("properties: arn %s name %s role %s", aws.ToString(p.JobArn), aws.ToString(p.JobName), aws.ToString(p.DataAccessRoleArn))
			}
			if p.SubmitTime == nil || p.SubmitTime.Before(before) || p.EndTime == nil || p.EndTime.Before(*p.SubmitTime) {
				t.Errorf("times: submit %v end %v", p.SubmitTime, p.EndTime)
			}
			if p.InputDataConfig == nil || aws.ToString(p.InputDataConfig.S3Uri) != in || p.InputDataConfig.InputFormat != types.InputFormatOneDocPerLine {
				t.Errorf("input %+v", p.InputDataConfig)
			}
			wantOut := cmpOutput + reamID + "/output.tar.gz" // the store's layout keeps Ream's id
			if p.OutputDataConfig == nil || aws.ToString(p.OutputDataConfig.S3Uri) != wantOut {
				t.Fatalf("output %+v, want %s", p.OutputDataConfig, wantOut)
			}
			switch k.name {
			case "Topics":
				if p.NumberOfTopics == nil || *p.NumberOfTopics != 5 {
					t.Errorf("NumberOfTopics %v", p.NumberOfTopics)
				}
			case "PiiEntities":
				if p.Mode != "ONLY_OFFSETS" || p.LanguageCode != "en" {
					t.Errorf("mode %q language %q", p.Mode, p.LanguageCode)
				}
			case "Sentiment", "Entities", "KeyPhrases":
				if p.LanguageCode != "en" {
					t.Errorf("language %q", p.LanguageCode)
				}
			}

			// List with each filter.
			sub := *p.SubmitTime
			has := func(f *cmpFilter) bool {
				t.Helper()
				ps, _, err := k.list(ctx, c, f, nil, nil)
				if err != nil {
					t.Fatalf("list %+v: %v", f, err)
				}
				for _, q := range ps {
					if !strings.HasPrefix(aws.ToString(q.JobArn), "arn:aws:comprehend:local:000000000000:"+k.arnType+"/") {
						t.Errorf("List%sDetectionJobs shows %s", k.name, aws.ToString(q.JobArn))
					}
				}
				return strings.Contains(strings.Join(ids(ps), ","), id)
			}
			checks := []struct {
				f    *cmpFilter
				want bool
			}{
				{nil, true},
				{&cmpFilter{JobName: aws.String(name)}, true},
				{&cmpFilter{JobName: aws.String("no-such-name")}, false},
				{&cmpFilter{JobStatus: types.JobStatusCompleted}, true},
				{&cmpFilter{JobStatus: types.JobStatusInProgress}, false},
				{&cmpFilter{SubmitTimeAfter: aws.Time(sub.Add(-time.Second))}, true},
				{&cmpFilter{SubmitTimeAfter: aws.Time(sub.Add(time.Second))}, false},
				{&cmpFilter{SubmitTimeBefore: aws.Time(sub.Add(time.Second))}, true},
				{&cmpFilter{SubmitTimeBefore: aws.Time(sub.Add(-time.Second))}, false},
			}
			for _, ch := range checks {
				if got := has(ch.f); got != ch.want {
					t.Errorf("list with filter %+v: has job %v, want %v", ch.f, got, ch.want)
				}
			}
			// Another kind's operations do not see it.
			other := kinds[0]
			if k.name == other.name {
				other = kinds[1]
			}
			if _, err := other.describe(ctx, c, id); !isType[*types.JobNotFoundException](err) {
				t.Errorf("Describe%sDetectionJob of a %s job: %v", other.name, k.name, err)
			}

			// The results, in Comprehend's output.tar.gz.
			files := untarGz(t, readS3(t, s, wantOut))
			if k.name == "Topics" {
				for _, f := range []string{pipeline.TopicTermsName, pipeline.DocTopicsName} {
					if len(files[f]) == 0 {
						t.Errorf("topics archive has no %s: %v", f, keys(files))
					}
				}
				if !strings.HasPrefix(string(files[pipeline.TopicTermsName]), "topic,term,weight\n") {
					t.Errorf("topic-terms.csv starts %q", string(files[pipeline.TopicTermsName])[:min(40, len(files[pipeline.TopicTermsName]))])
				}
			} else {
				out := strings.Split(strings.TrimSpace(string(files["output"])), "\n")
				if len(out) != 12 {
					t.Fatalf("output has %d lines, want 12 (entries %v)", len(out), keys(files))
				}
				var rec map[string]any
				if err := json.Unmarshal([]byte(out[0]), &rec); err != nil {
					t.Fatalf("output line %q: %v", out[0], err)
				}
			}

			if !k.stop {
				return
			}
			// Stop a running job; stopping a finished one is an InvalidRequestException.
			stopName := "hold-stop-" + k.name
			sid, _, err := k.start(ctx, c, stopName, stopIn)
			if err != nil {
				t.Fatal(err)
			}
			waitStatus(t, ctx, k, c, sid, types.JobStatusInProgress)
			st, err = k.stopJob(ctx, c, sid)
			if err != nil || st != types.JobStatusStopRequested {
				t.Fatalf("stop: %s, %v", st, err)
			}
			waitStatus(t, ctx, k, c, sid, types.JobStatusStopRequested)
			g.release(stopName)
			waitStatus(t, ctx, k, c, sid, types.JobStatusStopped)
			if ps, _, err := k.list(ctx, c, &cmpFilter{JobStatus: types.JobStatusStopped}, nil, nil); err != nil || len(ps) != 1 || aws.ToString(ps[0].JobId) != sid {
				t.Errorf("list STOPPED: %v, %v", ids(ps), err)
			}
			if _, err := k.stopJob(ctx, c, id); !isType[*types.InvalidRequestException](err) {
				t.Errorf("stop of a COMPLETED job: %v", err)
			}
		})
	}

	// Pagination: two sentiment jobs, one a page.
	sent := kinds[1]
	var seen []string
	var next *string
	for pages := 0; ; pages++ {
		ps, n, err := sent.list(ctx, c, nil, aws.Int32(1), next)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ids(ps)...)
		if n == nil {
			break
		}
		if pages > 5 {
			t.Fatal("NextToken never ends")
		}
		next = n
	}
	if len(seen) != 2 || seen[0] == seen[1] {
		t.Errorf("paged sentiment jobs %v, want the 2 distinct jobs", seen)
	}
	// The paginator the SDK ships agrees.
	pg := comprehend.NewListSentimentDetectionJobsPaginator(c, &comprehend.ListSentimentDetectionJobsInput{MaxResults: aws.Int32(1)})
	n := 0
	for pg.HasMorePages() {
		o, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(o.SentimentDetectionJobPropertiesList)
	}
	if n != 2 {
		t.Errorf("paginator saw %d jobs", n)
	}
	// The same jobs through Ream's own API.
	all, _, err := s.Service.List(ctx, "local", listAll())
	if err != nil || len(all) != 11 {
		t.Errorf("GET /v1/jobs has %d jobs (%v), want 11 (6 kinds + 5 stopped)", len(all), err)
	}
}

// keys are m's keys in order.
func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// signedPost sends a Comprehend request signed with the SDK's signer at the given time.
func signedPost(t *testing.T, s *Stack, keyID, secret, op, body string, at time.Time) (int, map[string]string) {
	t.Helper()
	status, b := signedPostRaw(t, s, keyID, secret, op, body, at)
	var out map[string]string
	_ = json.Unmarshal(b, &out)
	return status, out
}

// signedPostRaw is signedPost returning the response body as it came.
func signedPostRaw(t *testing.T, s *Stack, keyID, secret, op, body string, at time.Time) (int, []byte) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "Comprehend_20171127."+op)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, sha256Hex(body), "comprehend", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("content type %q", ct)
	}
	return resp.StatusCode, b
}

// TestComprehendRefusals: wrong secret, unknown key, an expired signature, another tenant's job,
// a missing required field and an unknown operation are answered with Comprehend's errors.
func TestComprehendRefusals(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{AccessKeys: []AccessKey{
		{AccessKeyID: DefaultAccessKeyID, SecretAccessKey: DefaultSecretAccessKey, Tenant: "local"},
		{AccessKeyID: "AKIAOTHERTENANT00001", SecretAccessKey: "other-secret", Tenant: "other"},
	}}, pipeline.Hooks{})
	in := putInput(t, s, "docs.txt", []byte("I love it\nI hate it\n"))
	c := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey)
	start, err := c.StartSentimentDetectionJob(ctx, &comprehend.StartSentimentDetectionJobInput{
		InputDataConfig:  &types.InputDataConfig{S3Uri: aws.String(in), InputFormat: types.InputFormatOneDocPerLine},
		OutputDataConfig: &types.OutputDataConfig{S3Uri: aws.String(cmpOutput)}, DataAccessRoleArn: aws.String(cmpRole),
		LanguageCode: types.LanguageCodeEn,
	})
	if err != nil {
		t.Fatal(err)
	}

	apiCode := func(err error) string {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			return fmt.Sprintf("not an API error: %v", err)
		}
		return ae.ErrorCode()
	}
	describe := &comprehend.DescribeSentimentDetectionJobInput{JobId: start.JobId}
	if _, err := comprehendClient(s, DefaultAccessKeyID, "wrong-secret").DescribeSentimentDetectionJob(ctx, describe); apiCode(err) != "InvalidSignatureException" {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := comprehendClient(s, "AKIANOSUCHKEY0000000", "x").DescribeSentimentDetectionJob(ctx, describe); apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("unknown key: %v", err)
	}
	other := comprehendClient(s, "AKIAOTHERTENANT00001", "other-secret")
	if _, err := other.DescribeSentimentDetectionJob(ctx, describe); !isType[*types.JobNotFoundException](err) {
		t.Errorf("another tenant's job: %v", err)
	}
	if _, err := other.StopSentimentDetectionJob(ctx, &comprehend.StopSentimentDetectionJobInput{JobId: start.JobId}); !isType[*types.JobNotFoundException](err) {
		t.Errorf("stop of another tenant's job: %v", err)
	}
	if l, err := other.ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{}); err != nil || len(l.SentimentDetectionJobPropertiesList) != 0 {
		t.Errorf("another tenant lists %v, %v", l, err)
	}
	if _, err := other.StartSentimentDetectionJob(ctx, &comprehend.StartSentimentDetectionJobInput{
		InputDataConfig:  &types.InputDataConfig{S3Uri: aws.String(in)},
		OutputDataConfig: &types.OutputDataConfig{S3Uri: aws.String("s3://" + bucketName + "/outputs/other/")}, DataAccessRoleArn: aws.String(cmpRole),
		LanguageCode: types.LanguageCodeEn,
	}); !isType[*types.InvalidRequestException](err) || !strings.Contains(err.Error(), "s3://"+bucketName+"/inputs/other/") {
		t.Errorf("another tenant starting a job on local's input: %v (the message names the allowed s3:// prefix)", err)
	}
	if _, err := c.ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{Filter: &types.SentimentDetectionJobFilter{JobStatus: "DONE"}}); !isType[*types.InvalidFilterException](err) {
		t.Errorf("bad status filter: %v", err)
	}

	id := aws.ToString(start.JobId)
	status, body := signedPost(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, "DescribeSentimentDetectionJob", `{"JobId":"`+id+`"}`, time.Now().Add(-20*time.Minute))
	if status != http.StatusBadRequest || body["__type"] != "InvalidSignatureException" || !strings.Contains(body["Message"], "Signature expired") {
		t.Errorf("expired signature: %d %v", status, body)
	}
	status, body = signedPost(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, "DescribeSentimentDetectionJob", `{"JobId":"`+id+`"}`, time.Now())
	if status != http.StatusOK {
		t.Errorf("a fresh signature: %d %v", status, body)
	}
	for field, req := range map[string]string{
		"languageCode":      `{"InputDataConfig":{"S3Uri":"` + in + `"},"OutputDataConfig":{"S3Uri":"` + cmpOutput + `"},"DataAccessRoleArn":"` + cmpRole + `"}`,
		"dataAccessRoleArn": `{"InputDataConfig":{"S3Uri":"` + in + `"},"OutputDataConfig":{"S3Uri":"` + cmpOutput + `"},"LanguageCode":"en"}`,
		"inputDataConfig":   `{"OutputDataConfig":{"S3Uri":"` + cmpOutput + `"},"DataAccessRoleArn":"` + cmpRole + `","LanguageCode":"en"}`,
	} {
		status, body = signedPost(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, "StartSentimentDetectionJob", req, time.Now())
		if status != http.StatusBadRequest || body["__type"] != "InvalidRequestException" || !strings.Contains(body["Message"], field) {
			t.Errorf("missing %s: %d %v", field, status, body)
		}
	}
	// The fields Ream ignores are still checked as Comprehend checks them (found from outside:
	// "VpcConfig":"x" and a DocumentReadAction of "BOGUS" started jobs).
	base := `"OutputDataConfig":{"S3Uri":"` + cmpOutput + `"},"DataAccessRoleArn":"` + cmpRole + `","LanguageCode":"en"`
	for _, tc := range []struct{ req, typ, says string }{
		{`{"InputDataConfig":{"S3Uri":"` + in + `"},` + base + `,"VpcConfig":"x"}`, "SerializationException", "VpcConfig"},
		{`{"InputDataConfig":{"S3Uri":"` + in + `"},` + base + `,"VolumeKmsKeyId":5}`, "SerializationException", "VolumeKmsKeyId"},
		{`{"InputDataConfig":{"S3Uri":"` + in + `","DocumentReaderConfig":{"DocumentReadAction":"BOGUS"}},` + base + `}`, "InvalidRequestException", "documentReadAction"},
		{`{"InputDataConfig":{"S3Uri":"` + in + `","DocumentReaderConfig":{}},` + base + `}`, "InvalidRequestException", "documentReadAction"},
		{`{"InputDataConfig":{"S3Uri":"` + in + `","DocumentReaderConfig":{"DocumentReadAction":"TEXTRACT_ANALYZE_DOCUMENT","FeatureTypes":["TABLES","CHARTS"]}},` + base + `}`, "InvalidRequestException", "featureTypes"},
	} {
		status, body = signedPost(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, "StartSentimentDetectionJob", tc.req, time.Now())
		if status != http.StatusBadRequest || body["__type"] != tc.typ || !strings.Contains(body["Message"], tc.says) {
			t.Errorf("%s: %d %v; want %s naming %s", tc.req, status, body, tc.typ, tc.says)
		}
	}
	ok := `{"InputDataConfig":{"S3Uri":"` + in + `","DocumentReaderConfig":{"DocumentReadAction":"TEXTRACT_DETECT_DOCUMENT_TEXT","DocumentReadMode":"SERVICE_DEFAULT"}},` + base +
		`,"VpcConfig":{"SecurityGroupIds":["sg-1"],"Subnets":["subnet-1"]},"VolumeKmsKeyId":"k"}`
	if status, body = signedPost(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, "StartSentimentDetectionJob", ok, time.Now()); status != http.StatusOK {
		t.Errorf("well-formed ignored fields: %d %v", status, body)
	}
	status, body = signedPost(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, "StartPiiEntitiesDetectionJob",
		`{"InputDataConfig":{"S3Uri":"`+in+`"},"OutputDataConfig":{"S3Uri":"`+cmpOutput+`"},"DataAccessRoleArn":"`+cmpRole+`","LanguageCode":"en"}`, time.Now())
	if status != http.StatusBadRequest || body["__type"] != "InvalidRequestException" || !strings.Contains(body["Message"], "mode") {
		t.Errorf("missing mode: %d %v", status, body)
	}
	for _, op := range []string{"StopTopicsDetectionJob", "DetectSentiment", "StartEventsDetectionJob"} {
		status, body = signedPost(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, op, `{}`, time.Now())
		if status != http.StatusBadRequest || body["__type"] != "UnknownOperationException" {
			t.Errorf("%s: %d %v", op, status, body)
		}
	}
}

// TestComprehendStartLimits: Comprehend's own limits hold, counted as Comprehend counts them
// (found from outside with the AWS SDK for JavaScript): 50 tags are allowed (the role was kept
// as a 51st tag and refused them), a role ARN with a path longer than a tag value is allowed,
// a user tag may be called anything, a JobName is 256 characters (not bytes), and a
// DataAccessRoleArn that is not a role ARN is refused.
func TestComprehendStartLimits(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	in := putInput(t, s, "docs.txt", []byte("I love it\n"))
	c := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey)
	start := func(name, role string, tags []types.Tag) (*comprehend.StartSentimentDetectionJobOutput, error) {
		return c.StartSentimentDetectionJob(ctx, &comprehend.StartSentimentDetectionJobInput{
			InputDataConfig:  &types.InputDataConfig{S3Uri: aws.String(in), InputFormat: types.InputFormatOneDocPerLine},
			OutputDataConfig: &types.OutputDataConfig{S3Uri: aws.String(cmpOutput)}, DataAccessRoleArn: aws.String(role),
			LanguageCode: types.LanguageCodeEn, JobName: aws.String(name), Tags: tags,
		})
	}
	var fifty []types.Tag
	for i := range 50 {
		fifty = append(fifty, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	longRole := "arn:aws:iam::123456789012:role/" + strings.Repeat("p/", 120) + "Role"
	for _, tc := range []struct {
		what, name, role string
		tags             []types.Tag
	}{
		{"50 tags", "fifty", cmpRole, fifty},
		{"a 275-character role ARN with a path", "long-role", longRole, nil},
		{"a user tag named comprehend:DataAccessRoleArn", "own-tag", cmpRole, []types.Tag{{Key: aws.String("comprehend:DataAccessRoleArn"), Value: aws.String("mine")}}},
		{"a JobName of 256 two-byte letters", strings.Repeat("é", 256), cmpRole, nil},
	} {
		out, err := start(tc.name, tc.role, tc.tags)
		if err != nil {
			t.Errorf("%s refused: %v", tc.what, err)
			continue
		}
		d, err := c.DescribeSentimentDetectionJob(ctx, &comprehend.DescribeSentimentDetectionJobInput{JobId: out.JobId})
		if err != nil || aws.ToString(d.SentimentDetectionJobProperties.DataAccessRoleArn) != tc.role || aws.ToString(d.SentimentDetectionJobProperties.JobName) != tc.name {
			t.Errorf("%s: described %+v, %v", tc.what, d, err)
		}
	}
	for _, tc := range []struct{ what, name, role string }{
		{"a JobName of 257 letters", strings.Repeat("é", 257), cmpRole},
		{"a role that is not an ARN", "not-arn", "not-an-arn"},
		{"a user ARN", "user-arn", "arn:aws:iam::123456789012:user/someone"},
	} {
		if _, err := start(tc.name, tc.role, nil); !isType[*types.InvalidRequestException](err) {
			t.Errorf("%s: %v, want InvalidRequestException", tc.what, err)
		}
	}
	// A job that fails on its input names it as the caller did (s3://…), not as the local
	// store's file:// path (found from outside).
	in = "s3://" + bucketName + "/inputs/local/no-such-file.txt"
	out, err := c.StartSentimentDetectionJob(ctx, &comprehend.StartSentimentDetectionJobInput{
		InputDataConfig:  &types.InputDataConfig{S3Uri: aws.String(in), InputFormat: types.InputFormatOneDocPerLine},
		OutputDataConfig: &types.OutputDataConfig{S3Uri: aws.String(cmpOutput)}, DataAccessRoleArn: aws.String(cmpRole),
		LanguageCode: types.LanguageCodeEn,
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeSentimentDetectionJob(ctx, &comprehend.DescribeSentimentDetectionJobInput{JobId: out.JobId})
	if err != nil {
		t.Fatal(err)
	}
	if msg := aws.ToString(d.SentimentDetectionJobProperties.Message); d.SentimentDetectionJobProperties.JobStatus != types.JobStatusFailed ||
		!strings.Contains(msg, in) || strings.Contains(msg, "file://") {
		t.Errorf("a missing input: %s %q, want FAILED naming %s", d.SentimentDetectionJobProperties.JobStatus, msg, in)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func listAll() api.ListFilter { return api.ListFilter{MaxResults: 500} }

// TestComprehendAWSCLI: the AWS CLI (Debian's awscli, or any `aws` on PATH) with --endpoint-url
// runs one kind (sentiment) through start → describe → list with each filter → stop → results,
// and a wrong secret is refused. Skipped when `aws` is not installed.
func TestComprehendAWSCLI(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws (the AWS CLI) is not on PATH; apt-get install awscli")
	}
	// A hang guard of its own: the test runs the CLI (a Python program) some fifteen times, and
	// on a loaded machine one run took 10 s where it takes 1 s, so hangProtection for the whole
	// test killed a CLI that was working (go test ./... with two CPU burners: "signal: killed"
	// after 120 s).
	ctx, cancel := context.WithTimeout(t.Context(), 5*hangProtection)
	defer cancel()
	var g holdGate
	s := startStack(t, Config{ShardBytes: stopShardBytes}, pipeline.Hooks{AfterShardWritten: g.hook})
	g.ref.p.Store(s)
	in := putInput(t, s, "docs.txt", []byte("I love this phone\nThe delivery was late and I am unhappy\nIt is a phone\n"))
	stopIn := putInput(t, s, "stop.txt", stopInput())
	home := t.TempDir()
	run := func(secret string, args ...string) (map[string]any, string, error) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"comprehend", "--endpoint-url", s.URL, "--output", "json"}, args...)...)
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env,
			"HOME="+home, "AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"),
			"AWS_ACCESS_KEY_ID="+DefaultAccessKeyID, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_DEFAULT_REGION=us-east-1",
			"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var out map[string]any
		if err == nil {
			if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
				t.Fatalf("aws %v: output %q: %v", args, stdout.String(), jerr)
			}
		}
		return out, stderr.String(), err
	}
	must := func(args ...string) map[string]any {
		t.Helper()
		out, stderr, err := run(DefaultSecretAccessKey, args...)
		if err != nil {
			t.Fatalf("aws comprehend %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}
	startArgs := func(name string) []string {
		in := in
		if strings.HasSuffix(name, "-stop") {
			in = stopIn
		}
		return []string{"start-sentiment-detection-job", "--job-name", name, "--language-code", "en",
			"--input-data-config", "S3Uri=" + in + ",InputFormat=ONE_DOC_PER_LINE",
			"--output-data-config", "S3Uri=" + cmpOutput, "--data-access-role-arn", cmpRole}
	}
	props := func(id string) map[string]any {
		t.Helper()
		p, _ := must("describe-sentiment-detection-job", "--job-id", id)["SentimentDetectionJobProperties"].(map[string]any)
		return p
	}
	wait := func(id, want string) map[string]any {
		t.Helper()
		for {
			p := props(id)
			if p["JobStatus"] == want {
				return p
			}
			if ctx.Err() != nil || p["JobStatus"] == "FAILED" {
				t.Fatalf("job %s is %v, waiting for %s", id, p["JobStatus"], want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	started := must(startArgs("hold-cli")...)
	id, _ := started["JobId"].(string)
	if id == "" || started["JobStatus"] == nil {
		t.Fatalf("start: %v", started)
	}
	wait(id, "IN_PROGRESS")
	g.release("hold-cli")
	p := wait(id, "COMPLETED")
	if p["DataAccessRoleArn"] != cmpRole || p["LanguageCode"] != "en" {
		t.Errorf("properties %v", p)
	}
	out, _ := p["OutputDataConfig"].(map[string]any)
	uri, _ := out["S3Uri"].(string)
	files := untarGz(t, readS3(t, s, uri))
	if n := len(strings.Split(strings.TrimSpace(string(files["output"])), "\n")); n != 3 {
		t.Errorf("output has %d lines, want 3", n)
	}

	listed := func(filter string) bool {
		t.Helper()
		args := []string{"list-sentiment-detection-jobs"}
		if filter != "" {
			args = append(args, "--filter", filter)
		}
		l, _ := must(args...)["SentimentDetectionJobPropertiesList"].([]any)
		for _, x := range l {
			if m, _ := x.(map[string]any); m["JobId"] == id {
				return true
			}
		}
		return false
	}
	// CLI v1 prints times as epoch seconds, v2 as ISO 8601; both accept epoch seconds in filters.
	var submitted time.Time
	switch v := p["SubmitTime"].(type) {
	case float64:
		submitted = time.UnixMilli(int64(v * 1000))
	case string:
		if submitted, err = time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "T", 1)); err != nil {
			t.Fatalf("SubmitTime %v: %v", v, err)
		}
	default:
		t.Fatalf("SubmitTime %v", v)
	}
	epochArg := func(d time.Duration) string { return fmt.Sprint(submitted.Add(d).Unix()) }
	for filter, want := range map[string]bool{
		"JobName=hold-cli":                            true,
		"JobStatus=COMPLETED":                         true,
		"JobStatus=STOPPED":                           false,
		"SubmitTimeAfter=" + epochArg(5*time.Second):  false,
		"SubmitTimeBefore=" + epochArg(5*time.Second): true,
	} {
		if got := listed(filter); got != want {
			t.Errorf("list --filter %q: has the job %v, want %v", filter, got, want)
		}
	}

	sid, _ := must(startArgs("hold-cli-stop")...)["JobId"].(string)
	wait(sid, "IN_PROGRESS")
	if st := must("stop-sentiment-detection-job", "--job-id", sid)["JobStatus"]; st != "STOP_REQUESTED" {
		t.Errorf("stop: %v", st)
	}
	g.release("hold-cli-stop")
	wait(sid, "STOPPED")

	if _, stderr, err := run("wrong-secret", "describe-sentiment-detection-job", "--job-id", id); err == nil || !strings.Contains(stderr, "InvalidSignatureException") {
		t.Errorf("wrong secret: %v %s", err, stderr)
	}
	if _, stderr, err := run(DefaultSecretAccessKey, "describe-sentiment-detection-job", "--job-id", "no-such-job"); err == nil || !strings.Contains(stderr, "JobNotFoundException") {
		t.Errorf("unknown job: %v %s", err, stderr)
	}
}

// TestComprehendListEdges: found from outside with boto3. A page token resumes after the last
// job returned even when a job is submitted between two pages (it counted positions: the last
// job of page 1 came again on page 2); SubmitTimeAfter a job's own SubmitTime (as Describe shows
// it, in milliseconds) leaves the job out; far-off bounds (datetime.max, year 1600) mean what
// they say on both surfaces (they overflowed nanoseconds and inverted the filter); 51 tags is
// TooManyTagsException.
func TestComprehendListEdges(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	in := putInput(t, s, "docs.txt", []byte("I love it\n"))
	c := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey)
	sent := cmpKinds(t)[1]
	if sent.name != "Sentiment" {
		t.Fatalf("kinds[1] is %s", sent.name)
	}
	var started []string
	for i := range 3 {
		id, _, err := sent.start(ctx, c, fmt.Sprintf("edge-%d", i), in)
		if err != nil {
			t.Fatal(err)
		}
		started = append(started, id)
	}
	// Pages of one, with a job submitted between the pages.
	seen := map[string]int{}
	var next *string
	for pages := 0; ; pages++ {
		ps, n, err := sent.list(ctx, c, nil, aws.Int32(1), next)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids(ps) {
			seen[id]++
		}
		if pages == 0 {
			if _, _, err := sent.start(ctx, c, "edge-late", in); err != nil {
				t.Fatal(err)
			}
			// The token is Sentiment's: another kind's List refuses it (found from outside:
			// ListEntitiesDetectionJobs resumed from it).
			if _, err := c.ListEntitiesDetectionJobs(ctx, &comprehend.ListEntitiesDetectionJobsInput{NextToken: n}); !isType[*types.InvalidRequestException](err) {
				t.Errorf("another kind's List with Sentiment's NextToken: %v; want InvalidRequestException", err)
			}
			// So does a List with another Filter (found in review: it paged on in another listing).
			if _, _, err := sent.list(ctx, c, &cmpFilter{JobStatus: types.JobStatusCompleted}, aws.Int32(1), n); !isType[*types.InvalidRequestException](err) {
				t.Errorf("List with another Filter and the unfiltered listing's NextToken: %v; want InvalidRequestException", err)
			}
		}
		if n == nil {
			break
		}
		if pages > 10 {
			t.Fatal("NextToken never ends")
		}
		next = n
	}
	for _, id := range started {
		if seen[id] != 1 {
			t.Errorf("job %s listed %d times across the pages, want once (seen %v)", id, seen[id], seen)
		}
	}

	// SubmitTimeAfter a job's own SubmitTime, as Describe shows it.
	d, err := sent.describe(ctx, c, started[1])
	if err != nil {
		t.Fatal(err)
	}
	own := aws.ToTime(d.SubmitTime)
	after, _, err := sent.list(ctx, c, &cmpFilter{SubmitTimeAfter: &own}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids(after), started[1]) || !slices.Contains(ids(after), started[2]) {
		t.Errorf("SubmitTimeAfter %s (job %s's own SubmitTime) lists %v; want the later jobs, not that one", own, started[1], ids(after))
	}

	// Far-off bounds, as boto3 sends datetime(9999, 12, 31) and datetime(1600, 1, 1) (the Go
	// SDK cannot: it goes through UnixNano, which overflows past 2262).
	const far9999, long1600 = "253402214400.0", "-11676096000.0"
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`"SubmitTimeBefore":` + far9999, 4},
		{`"SubmitTimeAfter":` + long1600, 4},
		{`"SubmitTimeAfter":` + far9999, 0},
		{`"SubmitTimeBefore":` + long1600, 0},
		{`"SubmitTimeAfter":` + long1600 + `,"SubmitTimeBefore":` + far9999, 4},
		{`"SubmitTimeBefore":1e300`, 4},
		{`"SubmitTimeBefore":-62135596800`, 0}, // 0001-01-01T00:00:00Z, Go's zero time: excludes every job too
	} {
		status, b := signedPostRaw(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, "ListSentimentDetectionJobs", `{"Filter":{`+tc.filter+`}}`, time.Now())
		var out struct{ SentimentDetectionJobPropertiesList []json.RawMessage }
		if err := json.Unmarshal(b, &out); status != http.StatusOK || err != nil || len(out.SentimentDetectionJobPropertiesList) != tc.want {
			t.Errorf("Comprehend list with {%s}: %d %s; want %d jobs", tc.filter, status, b, tc.want)
		}
	}
	far, long := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
	rc := defaultClient(s)
	for _, tc := range []struct {
		f    api.ListFilter
		want int
	}{
		{api.ListFilter{SubmittedBefore: far}, 4},
		{api.ListFilter{SubmittedAfter: long}, 4},
		{api.ListFilter{SubmittedAfter: far}, 0},
		{api.ListFilter{SubmittedBefore: long}, 0},
	} {
		res, err := rc.List(ctx, tc.f)
		if err != nil || len(res.Jobs) != tc.want {
			t.Errorf("GET /v1/jobs with %+v: %v jobs, %v; want %d", tc.f, res, err, tc.want)
		}
	}
	// RFC 3339 allows a lower-case "t" and "z" (found from outside: a 400).
	for query, want := range map[string]int{"SubmitTimeBefore=0001-01-01T00:00:00Z": 0, "SubmitTimeAfter=0001-01-01T00:00:00Z": 4, "SubmitTimeAfter=0001-01-01t00:00:00z": 4} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/v1/jobs?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+DefaultKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out api.ListResponse
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || len(out.Jobs) != want {
			t.Errorf("GET /v1/jobs?%s: %d, %d jobs, %v; want %d", query, resp.StatusCode, len(out.Jobs), err, want)
		}
	}

	// 51 tags.
	var tags []types.Tag
	for i := range 51 {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = c.StartSentimentDetectionJob(ctx, &comprehend.StartSentimentDetectionJobInput{
		InputDataConfig:  &types.InputDataConfig{S3Uri: aws.String(in), InputFormat: types.InputFormatOneDocPerLine},
		OutputDataConfig: &types.OutputDataConfig{S3Uri: aws.String(cmpOutput)}, DataAccessRoleArn: aws.String(cmpRole),
		LanguageCode: types.LanguageCodeEn, Tags: tags,
	})
	if !isType[*types.TooManyTagsException](err) {
		t.Errorf("51 tags: %v, want TooManyTagsException", err)
	}
	// A body over the limit says so in the request's terms, not Go's ("http: request body too large").
	big := `{"JobName":"` + strings.Repeat("x", 1100000) + `"}`
	status, b := signedPostRaw(t, s, DefaultAccessKeyID, DefaultSecretAccessKey, "StartSentimentDetectionJob", big, time.Now())
	if status != http.StatusBadRequest || !strings.Contains(string(b), "request body is larger than") || strings.Contains(string(b), "http:") {
		t.Errorf("a body over 1 MiB: %d %s", status, b)
	}
}

// TestComprehendPiiEntityTypes: a RedactionConfig may name every PII type Comprehend has (code
// written for Comprehend lists AGE or PASSPORT_NUMBER; 16 of them were refused), and only a
// name that is none of them is refused.
func TestComprehendPiiEntityTypes(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	in := putInput(t, s, "docs.txt", []byte("Mail me at someone@example.com\n"))
	c := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey)
	start := func(typ types.PiiEntityType) error {
		_, err := c.StartPiiEntitiesDetectionJob(ctx, &comprehend.StartPiiEntitiesDetectionJobInput{
			InputDataConfig:  &types.InputDataConfig{S3Uri: aws.String(in), InputFormat: types.InputFormatOneDocPerLine},
			OutputDataConfig: &types.OutputDataConfig{S3Uri: aws.String(cmpOutput)}, DataAccessRoleArn: aws.String(cmpRole),
			LanguageCode: types.LanguageCodeEn, Mode: types.PiiEntitiesDetectionModeOnlyRedaction,
			RedactionConfig: &types.RedactionConfig{MaskMode: types.PiiEntitiesDetectionMaskModeMask, PiiEntityTypes: []types.PiiEntityType{typ}},
		})
		return err
	}
	all := types.PiiEntityType("").Values()
	if len(all) < 37 {
		t.Fatalf("the SDK lists %d PII types", len(all))
	}
	for _, typ := range all {
		if err := start(typ); err != nil {
			t.Errorf("PiiEntityTypes [%s] refused: %v", typ, err)
		}
	}
	if err := start("NOT_A_TYPE"); !isType[*types.InvalidRequestException](err) {
		t.Errorf("PiiEntityTypes [NOT_A_TYPE]: %v, want InvalidRequestException", err)
	}
}

// TestComprehendListSubmitTimeBeforeOldestFirst: Comprehend's filters say that under
// SubmitTimeBefore "jobs are returned in ascending order, oldest to newest" (and under
// SubmitTimeAfter newest to oldest); found from outside: Ream listed newest first under both.
func TestComprehendListSubmitTimeBeforeOldestFirst(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	in := putInput(t, s, "docs.txt", []byte("I love it\n"))
	c := comprehendClient(s, DefaultAccessKeyID, DefaultSecretAccessKey)
	sent := cmpKinds(t)[1]
	var started []string
	for i := range 4 {
		id, _, err := sent.start(ctx, c, fmt.Sprintf("order-%d", i), in)
		if err != nil {
			t.Fatal(err)
		}
		started = append(started, id)
		time.Sleep(2 * time.Millisecond) // distinct submit times, so the order is the times'
	}
	newest := slices.Clone(started)
	slices.Reverse(newest)
	before := time.Now().Add(time.Hour)
	after := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name string
		f    *cmpFilter
		want []string
	}{
		{"no filter", nil, newest},
		{"SubmitTimeAfter", &cmpFilter{SubmitTimeAfter: &after}, newest},
		{"SubmitTimeBefore", &cmpFilter{SubmitTimeBefore: &before}, started},
	} {
		// Every page size, so that the order holds across pages too.
		for _, size := range []int32{1, 3, 100} {
			var got []string
			var next *string
			for pages := 0; ; pages++ {
				ps, n, err := sent.list(ctx, c, tc.f, aws.Int32(size), next)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				got = append(got, ids(ps)...)
				if n == nil {
					break
				}
				if pages > 10 {
					t.Fatalf("%s: NextToken never ends", tc.name)
				}
				next = n
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("List with %s, pages of %d: %v; want %v", tc.name, size, got, tc.want)
			}
		}
	}
}
