package functions_test

// TestBootstrapsKilledOnEmulators: the ingest and worker bootstraps SIGKILLed in the middle of
// invocations, on the emulators, and the job still comes out exact.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

const (
	killLines      = 3000 // input documents, one per line
	killShardBytes = 4096 // REAM_SHARD_BYTES: about 65 shards
	// killVisibility is the visibility timeout of the test's SQS event source: the messages of a
	// killed invocation come back after it.
	killVisibility = 3 * time.Second
	// killMaxReceive is the shard queue's maxReceiveCount: above the deliveries the kills cause,
	// so that no message is dead-lettered and the counts can be exact.
	killMaxReceive = 10
)

// TestBootstrapsKilledOnEmulators runs one job through the built binaries on the emulators and
// SIGKILLs the ingest and worker processes in the middle of invocations, at moments the test
// controls: when the function posts its answer to the Runtime API, or when it makes a given
// call to S3, DynamoDB or SQS, which reaches the emulators through a proxy of the test (killed
// before the call reaches the emulator, or once the emulator has answered and before the
// function reads the answer). After each kill a new process takes over, as Lambda would.
//
//   - ingest: the S3 event is delivered three times, as Lambda invokes an asynchronous event
//     (one try and two retries). The first process dies once the job's SUBMITTED status is
//     stored, the second once it has enqueued two batches of shard messages, the third
//     completes. The job is planned once and every shard is enqueued.
//   - worker: the test behaves as the SQS event source (receive a batch with a short visibility
//     timeout, invoke, delete what is not in batchItemFailures; a killed invocation deletes
//     nothing, so its messages come back), and kills six worker processes at six moments, from
//     the first call of an invocation to the job's terminal status stored before its
//     notification. The sweeper runs, as its schedule would, whenever the shard queue is empty.
//
// No kill falls inside the notification's claim-publish-mark sequence: a publisher that dies
// there is relieved by the sweeper only once its claim expires (two minutes), and one that dies
// between publishing and marking the job notified gets the notification published again then
// (at least once there, by design).
//
// Then the job is COMPLETED with every counter exact, output.tar.gz (through the results URL)
// holds each input line exactly once, and exactly one notification reached an SQS queue
// subscribed to the topic.
func TestBootstrapsKilledOnEmulators(t *testing.T) {
	s := newEmulatorStack(t, killMaxReceive)
	bootstrap(t, "worker") // builds every function: not on the clock below
	// Hang protection: every wait below gives up with this context, saying what it waited for.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	notes := subscribeNotifications(t, ctx, s)
	k := newKiller(t, s.ep)
	shardBytes := "REAM_SHARD_BYTES=" + strconv.Itoa(killShardBytes)
	direct := s.env(shardBytes)
	tapped := s.env(shardBytes,
		"REAM_S3_ENDPOINT="+k.urls["S3"], "REAM_DYNAMODB_ENDPOINT="+k.urls["DYNAMODB"],
		"REAM_SQS_ENDPOINT="+k.urls["SQS"], "REAM_SNS_ENDPOINT="+k.urls["SNS"])
	apiH := startFunction(t, "api", direct)
	sweeper := startFunction(t, "sweeper", direct)

	// 1. The job, created through the api bootstrap, and its input uploaded through the
	// presigned URL.
	var created api.CreateJobResult
	apiCall(t, apiH, fixtureJSON(t, "apigw-v2-create-job.json", nil), http.StatusCreated, &created)
	if created.JobId == "" || created.JobStatus != job.AwaitingInput || created.Upload == nil {
		t.Fatalf("create: %+v", created)
	}
	id := created.JobId
	describe := func() job.Job {
		t.Helper()
		var j job.Job
		apiCall(t, apiH, apiGetEvent(t, "/v1/jobs/"+id, id), http.StatusOK, &j)
		return j
	}
	data := killInput(killLines)
	putPresigned(t, created.Upload, string(data))
	key := layout.UploadKey(handlers.TenantFromARN(fixtureCaller), id)
	planned := len(input.PlanLines(int64(len(data)), killShardBytes))
	if planned <= 20 {
		t.Fatalf("the input makes %d shards; the ingest kill after two batches of 10 needs more", planned)
	}

	// 2. Ingest: the same S3 event three times, the first two processes killed mid-invocation.
	ev := s3CreatedEvent(t, s.bucket, key, len(data))
	ingestKills := []*killPoint{
		{what: "the job's SUBMITTED status stored (DynamoDB PutItem answered)", service: "DYNAMODB",
			match: dynamoCall("PutItem", `"`+string(job.Submitted)+`"`), nth: 1, landed: true},
		{what: "two batches of shard messages enqueued (second SQS SendMessageBatch answered)", service: "SQS",
			match: sqsCall("SendMessageBatch"), nth: 2, landed: true},
		nil, // the last try completes
	}
	// What each try leaves behind: the job's status, and the shard messages queued.
	wantAfter := []struct {
		status job.Status
		queued int
	}{{job.Submitted, 0}, {job.InProgress, 20}, {job.InProgress, 20 + planned}}
	var ingestLogs []string
	for try, p := range ingestKills {
		f := startFunction(t, "ingest", tapped, k.watch)
		k.waitPolled(t, ctx, f)
		k.arm(f, p)
		o, killed := k.attempt(t, ctx, f, ev)
		ingestLogs = append(ingestLogs, f.stderr.String())
		switch {
		case p != nil && !killed:
			t.Fatalf("ingest try %d answered %s %s without reaching its kill point (%s)", try+1, o.kind, o.body, p.what)
		case p != nil:
			t.Logf("ingest try %d: killed at %s", try+1, p.what)
		case killed || o.kind != "response":
			t.Fatalf("ingest try %d: %s %s, want a response", try+1, o.kind, o.body)
		}
		// The second try enqueued shards 0..19 before it died; the third enqueued them all.
		want := wantAfter[try]
		if j := describe(); j.JobStatus != want.status {
			t.Fatalf("after ingest try %d the job is %s (%s), want %s", try+1, j.JobStatus, j.Message, want.status)
		}
		if visible, inFlight := queueDepth(t, ctx, s.c, s.queues.URL); visible != want.queued || inFlight != 0 {
			t.Errorf("after ingest try %d the shard queue holds %d visible and %d in-flight messages, want %d visible", try+1, visible, inFlight, want.queued)
		}
	}
	k.arm(nil, nil)
	if j := describe(); j.JobDetails.ShardsTotal != planned {
		t.Fatalf("after ingest the job has %d shards, want %d", j.JobDetails.ShardsTotal, planned)
	}
	if n := countLogs(ingestLogs, "job planned"); n != 1 {
		t.Errorf("the ingest processes logged %q %d times, want once", "job planned", n)
	}

	// 3. The workers, fed by the test's SQS event source, killed at these moments in turn.
	workerKills := []*killPoint{
		{what: "the first AWS call of an invocation, before it reaches the emulator (event handed over, nothing done)", nth: 1},
		{what: "the answer to the invocation posted to the Runtime API (the whole batch processed, SQS not told)", atResponse: true},
		{what: "the third shard item stored, before its count (DynamoDB PutItem of a SHARD# item answered)", service: "DYNAMODB",
			match: dynamoCall("PutItem", `"SHARD#`), nth: 3, landed: true},
		{what: "the fourth shard counted (DynamoDB UpdateItem of a counter item answered)", service: "DYNAMODB",
			match: dynamoCall("UpdateItem", `"CNT#`), nth: 4, landed: true},
		{what: "the second shard's results upload, before it reaches S3", service: "S3",
			match: s3Store("/shards/"), nth: 2},
		{what: "the output archive stored, before the job's terminal status (S3 PUT output.tar.gz answered)", service: "S3",
			match: s3Store("/" + api.ArchiveName), nth: 1, landed: true},
		{what: "the job's terminal status stored, before its notification (DynamoDB PutItem answered)", service: "DYNAMODB",
			match: dynamoCall("PutItem", `"`+string(job.Completed)+`"`), nth: 1, landed: true},
	}
	shardQueue := reamaws.NewQueue(s.c.SQS, s.queues.URL)
	var (
		w           *function
		next        int // the next worker kill point
		invocations int
		seen        = map[int]bool{} // shard indexes the workers were given
		lastSweep   time.Time
	)
	for {
		if ctx.Err() != nil {
			j := describe()
			t.Fatalf("gave up after %d worker invocations and %d of %d kills: the job is %s with %d of %d shards done, %d notifications",
				invocations, next, len(workerKills), j.JobStatus, j.JobDetails.ShardsDone, j.JobDetails.ShardsTotal, len(notes.forJob(id)))
		}
		if w == nil {
			w = startFunction(t, "worker", tapped, k.watch)
			k.waitPolled(t, ctx, w)
			var p *killPoint
			if next < len(workerKills) {
				p = workerKills[next]
			}
			k.arm(w, p)
		}
		msgs, err := shardQueue.Receive(ctx, 10, killVisibility)
		if err != nil {
			t.Fatalf("receive shard messages: %v", err)
		}
		if len(msgs) == 0 {
			if visible, inFlight := queueDepth(t, ctx, s.c, s.queues.URL); visible+inFlight > 0 {
				time.Sleep(100 * time.Millisecond) // a killed invocation's messages are still hidden
				continue
			}
			// Nothing queued, nothing in flight.
			notes.drain(t, ctx)
			j := describe()
			if j.JobStatus.Terminal() && len(notes.forJob(id)) > 0 {
				break
			}
			if j.JobStatus == job.InProgress && j.JobDetails.ShardsDone < j.JobDetails.ShardsTotal {
				t.Fatalf("the shard queue is empty but the job has %d of %d shards done: shard messages were lost", j.JobDetails.ShardsDone, j.JobDetails.ShardsTotal)
			}
			if time.Since(lastSweep) > time.Second {
				var report map[string]any
				sweeper.response(t, fixtureJSON(t, "eventbridge-schedule.json", nil), &report)
				lastSweep = time.Now()
				t.Logf("sweeper (job %s, %d notifications): %v", j.JobStatus, len(notes.forJob(id)), report)
			} else {
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		bodies, receipts := map[string]string{}, map[string]string{}
		for _, m := range msgs {
			bodies[m.ID], receipts[m.ID] = string(m.Body), m.Receipt
			var sm pipeline.ShardMessage
			if err := json.Unmarshal(m.Body, &sm); err != nil || sm.JobId != id {
				t.Fatalf("shard message %s: %v: %s", m.ID, err, m.Body)
			}
			seen[sm.Index] = true
		}
		invocations++
		o, killed := k.attempt(t, ctx, w, sqsEvent(t, s.queues.ARN, bodies))
		if killed {
			t.Logf("worker invocation %d (%d messages): killed at %s", invocations, len(msgs), workerKills[next].what)
			w, next = nil, next+1
			continue // nothing deleted: the batch comes back after its visibility timeout
		}
		var resp events.SQSEventResponse
		if o.kind != "response" || json.Unmarshal(o.body, &resp) != nil {
			t.Fatalf("worker invocation %d: %s %s, want an SQS batch response", invocations, o.kind, o.body)
		}
		for _, f := range resp.BatchItemFailures {
			delete(receipts, f.ItemIdentifier) // retried after the visibility timeout
		}
		for mid, r := range receipts {
			if err := shardQueue.Delete(ctx, r); err != nil {
				t.Logf("delete message %s: %v (it comes back: a duplicate)", mid, err)
			}
		}
	}
	if next != len(workerKills) {
		t.Errorf("the job finished after %d of the %d worker kills; not reached: %s", next, len(workerKills), workerKills[next].what)
	}
	for i := range planned {
		if !seen[i] {
			t.Errorf("no worker was given shard %d", i)
		}
	}

	// 4. The job, its output and its notification are exact.
	done := describe()
	d := done.JobDetails
	if done.JobStatus != job.Completed || d.InputDocumentsCount != killLines || d.ProcessedDocumentsCount != killLines ||
		d.DocumentsWithErrorsCount != 0 || d.ShardsTotal != planned || d.ShardsDone != planned {
		t.Errorf("finished job: %s (%s) %+v; want COMPLETED, %d documents all processed, %d of %d shards", done.JobStatus, done.Message, d, killLines, planned, planned)
	}
	var links api.ResultLinks
	apiCall(t, apiH, apiGetEvent(t, "/v1/jobs/"+id+"/results", id), http.StatusOK, &links)
	checkKillOutput(t, ctx, links.Output, killLines)

	// Exactly one notification: none came late (a sweep, then a last look at the queue).
	var report map[string]any
	sweeper.response(t, fixtureJSON(t, "eventbridge-schedule.json", nil), &report)
	time.Sleep(time.Second)
	notes.drain(t, ctx)
	got := notes.forJob(id)
	if len(got) != 1 {
		t.Fatalf("%d notifications for the job reached the subscriber queue, want exactly 1: %+v", len(got), got)
	}
	n := got[0]
	if n.JobStatus != job.Completed || n.InputDocumentsCount != killLines || n.ProcessedDocumentsCount != killLines || n.DocumentsWithErrorsCount != 0 {
		t.Errorf("notification %+v; want COMPLETED with %d documents processed", n, killLines)
	}
	if visible, inFlight := queueDepth(t, ctx, s.c, s.queues.DLQURL); visible+inFlight != 0 {
		t.Errorf("the dead-letter queue holds %d messages, want none", visible+inFlight)
	}
	t.Logf("job %s: %d documents in %d shards, %d worker invocations; kills: %s", id, killLines, planned, invocations, strings.Join(k.history(), "; "))
}

// killInput is n distinct one-line reviews.
func killInput(n int) []byte {
	reviews := []string{
		"I really love this phone, the screen is bright and the battery lasts all day",
		"The delivery was late and the box was damaged, which made me very unhappy",
		"This restaurant serves wonderful food and the staff are always friendly",
		"The hotel room was clean and quiet, and breakfast was excellent",
		"I would not recommend this product because it stopped working after a week",
		"The concert was amazing and the band played all of our favourite songs",
	}
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "%s (review %d)\n", reviews[i%len(reviews)], i)
	}
	return b.Bytes()
}

// countLogs counts the JSON log lines whose msg is msg.
func countLogs(logs []string, msg string) int {
	n := 0
	for _, l := range logs {
		for line := range strings.Lines(l) {
			var rec struct{ Msg string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
				n++
			}
		}
	}
	return n
}

// checkKillOutput downloads output.tar.gz through its presigned URL and checks that its output
// entry has one record for each of the n input lines, each line once, none an error.
func checkKillOutput(t *testing.T, ctx context.Context, p api.Presigned, n int) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for h, v := range p.Headers {
		req.Header.Set(h, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", api.ArchiveName, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %.300s", api.ArchiveName, resp.Status, b)
	}
	gz, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", api.ArchiveName, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s has no %q entry", api.ArchiveName, output.EntryName)
		}
		if err != nil {
			t.Fatalf("%s: %v", api.ArchiveName, err)
		}
		if h.Name == output.EntryName {
			break
		}
	}
	count := make([]int, n)
	records := 0
	sc := bufio.NewScanner(tr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		records++
		var rec struct {
			Line                    *int
			ErrorCode, ErrorMessage string
			Sentiment               string
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("output record %d: %v: %.200s", records, err, sc.Text())
		}
		if rec.Line == nil || *rec.Line < 0 || *rec.Line >= n {
			t.Errorf("output record %d has Line %v, want 0..%d", records, rec.Line, n-1)
			continue
		}
		count[*rec.Line]++
		if rec.ErrorCode != "" || rec.Sentiment == "" {
			t.Errorf("Line %d: error %q (%s), sentiment %q; want an analysed document", *rec.Line, rec.ErrorCode, rec.ErrorMessage, rec.Sentiment)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", output.EntryName, err)
	}
	if records != n {
		t.Errorf("the output has %d records, want %d (one per input line)", records, n)
	}
	for line, c := range count {
		if c != 1 {
			t.Errorf("Line %d appears %d times in the output, want once", line, c)
		}
	}
}

// ---- kills at moments the test controls

// killPoint is a moment of an invocation at which the test SIGKILLs the function.
type killPoint struct {
	what string // for the log and the failure messages
	// atResponse: when the function posts its answer (response or error) to the Runtime API.
	atResponse bool
	// Otherwise the nth call, counted from when the point is armed, to service (the emulators'
	// name: S3, DYNAMODB, SQS, SNS; "" for any) that match accepts (nil: every one)...
	service string
	match   func(r *http.Request, body []byte) bool
	nth     int
	// ...before it reaches the emulator, or, when landed, once the emulator has answered (its
	// effect is stored) and before the function reads the answer.
	landed bool
}

// killer stands between the functions it runs and the emulators: a reverse proxy per service
// (its URLs replace the emulators' in the functions' environment), and the Runtime API's
// intercept (watch). One kill point is armed at a time, for one process.
type killer struct {
	urls map[string]string // by service: the proxy in front of that emulator

	mu     sync.Mutex
	armed  *killPoint
	victim *function
	calls  int                  // calls matching armed since it was armed
	killed map[*function]string // the processes killed and at what moment
	order  []string
}

type landedKey struct{}

var errKilled = errors.New("the function was killed")

func newKiller(t *testing.T, endpoints map[string]string) *killer {
	t.Helper()
	k := &killer{urls: map[string]string{}, killed: map[*function]string{}}
	for svc, raw := range endpoints {
		target, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		// Director keeps the Host header the function signed (SigV4) with: the proxy's.
		rp := httputil.NewSingleHostReverseProxy(target)
		rp.ModifyResponse = func(resp *http.Response) error {
			if p, ok := resp.Request.Context().Value(landedKey{}).(*killPoint); ok {
				k.kill(p)
				return errKilled
			}
			return nil
		}
		rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body []byte
			if svc != "S3" { // small JSON or query requests: matched on their content
				var err error
				if body, err = io.ReadAll(r.Body); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			if p := k.check(svc, r, body); p != nil {
				if !p.landed {
					k.kill(p)
					http.Error(w, errKilled.Error(), http.StatusBadGateway)
					return
				}
				r = r.WithContext(context.WithValue(r.Context(), landedKey{}, p))
			}
			rp.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		k.urls[svc] = srv.URL
	}
	return k
}

// arm sets the kill point for f's invocations (nil: none).
func (k *killer) arm(f *function, p *killPoint) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.victim, k.armed, k.calls = f, p, 0
}

// check counts a call and returns the armed point if the call is its moment (disarming it).
func (k *killer) check(svc string, r *http.Request, body []byte) *killPoint {
	k.mu.Lock()
	defer k.mu.Unlock()
	p := k.armed
	if p == nil || p.atResponse || (p.service != "" && p.service != svc) || (p.match != nil && !p.match(r, body)) {
		return nil
	}
	if k.calls++; k.calls < p.nth {
		return nil
	}
	k.armed = nil
	return p
}

// watch is startFunction's option that lets the killer kill the function when it posts its
// answer.
func (k *killer) watch(rt *runtimeAPI) {
	rt.intercept = func(outcome) bool {
		k.mu.Lock()
		p := k.armed
		hit := p != nil && p.atResponse && k.victim != nil && k.victim.rt == rt
		if hit {
			k.armed = nil
		}
		k.mu.Unlock()
		if hit {
			k.kill(p)
		}
		return !hit
	}
}

// kill SIGKILLs the armed victim and waits until it is gone.
func (k *killer) kill(p *killPoint) {
	k.mu.Lock()
	f := k.victim
	k.killed[f] = p.what
	k.order = append(k.order, f.name+": "+p.what)
	k.mu.Unlock()
	_ = f.cmd.Process.Kill() // SIGKILL
	<-f.exited
}

func (k *killer) history() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.order...)
}

// waitPolled waits until f asks for its first invocation (its cold start is done).
func (k *killer) waitPolled(t *testing.T, ctx context.Context, f *function) {
	t.Helper()
	select {
	case <-f.rt.polled:
	case <-f.exited:
		t.Fatalf("%s exited during its cold start: %v", f.name, f.err)
	case <-ctx.Done():
		t.Fatalf("%s did not finish its cold start: %v", f.name, ctx.Err())
	}
}

// attempt invokes f with payload and returns its answer, or killed when the killer killed it
// during the invocation (then no answer reached the Runtime API).
func (k *killer) attempt(t *testing.T, ctx context.Context, f *function, payload []byte) (o outcome, killed bool) {
	t.Helper()
	id := f.send(payload)
	select {
	case o = <-f.rt.outcomes:
		if o.id != id {
			t.Fatalf("%s answered invocation %q, want %q", f.name, o.id, id)
		}
		return o, false
	case o = <-f.rt.initErrs:
		t.Fatalf("%s reported an init error: %s", f.name, o.body)
	case <-f.exited:
		k.mu.Lock()
		_, ok := k.killed[f]
		k.mu.Unlock()
		if !ok {
			t.Fatalf("%s exited during an invocation, not killed by the test: %v", f.name, f.err)
		}
		return outcome{}, true
	case <-ctx.Done():
		t.Fatalf("%s did not answer invocation %s: %v", f.name, id, ctx.Err())
	}
	return outcome{}, false // not reached
}

// dynamoCall matches DynamoDB operation op (JSON protocol) whose body contains substr.
func dynamoCall(op, substr string) func(*http.Request, []byte) bool {
	return func(r *http.Request, body []byte) bool {
		return r.Header.Get("X-Amz-Target") == "DynamoDB_20120810."+op && bytes.Contains(body, []byte(substr))
	}
}

// sqsCall matches SQS operation op (JSON protocol).
func sqsCall(op string) func(*http.Request, []byte) bool {
	return func(r *http.Request, _ []byte) bool { return r.Header.Get("X-Amz-Target") == "AmazonSQS."+op }
}

// s3Store matches the call that stores an object whose key contains keyPart: a PutObject, or
// the CompleteMultipartUpload of a multipart upload.
func s3Store(keyPart string) func(*http.Request, []byte) bool {
	return func(r *http.Request, _ []byte) bool {
		if !strings.Contains(r.URL.Path, keyPart) {
			return false
		}
		q := r.URL.Query()
		return (r.Method == http.MethodPut && !q.Has("partNumber") && r.Header.Get("X-Amz-Copy-Source") == "") ||
			(r.Method == http.MethodPost && q.Has("uploadId"))
	}
}

// ---- the SQS event source's view of the queues, and the topic's subscriber

func queueDepth(t *testing.T, ctx context.Context, c *reamaws.Clients, queueURL string) (visible, inFlight int) {
	t.Helper()
	out, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queueURL, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", queueURL, err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight
}

// notifications reads an SQS queue subscribed to the stack's topic (raw delivery off: SNS
// envelopes, as an SQS subscription gets by default).
type notifications struct {
	q   *reamaws.Queue
	got []api.Notification
}

func subscribeNotifications(t *testing.T, ctx context.Context, s *emulatorStack) *notifications {
	t.Helper()
	out, err := s.c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdkaws.String(s.name + "-sub")})
	if err != nil {
		t.Fatalf("CreateQueue (subscriber): %v", err)
	}
	subURL := sdkaws.ToString(out.QueueUrl)
	t.Cleanup(func() {
		if _, err := s.c.SQS.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: &subURL}); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	arn, err := reamaws.QueueARN(ctx, s.c.SQS, subURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.SNS.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: &s.topicARN, Protocol: sdkaws.String("sqs"), Endpoint: &arn,
		Attributes: map[string]string{"RawMessageDelivery": "false"}, ReturnSubscriptionArn: true,
	}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return &notifications{q: reamaws.NewQueue(s.c.SQS, subURL)}
}

// drain receives (and deletes) the notifications visible now.
func (n *notifications) drain(t *testing.T, ctx context.Context) {
	t.Helper()
	for {
		ms, err := n.q.Receive(ctx, 10, time.Minute)
		if err != nil {
			t.Fatalf("receive notifications: %v", err)
		}
		if len(ms) == 0 {
			return
		}
		for _, m := range ms {
			var env struct{ Type, Message string }
			var note api.Notification
			if err := json.Unmarshal(m.Body, &env); err != nil || env.Type != "Notification" {
				t.Fatalf("subscriber message is not an SNS notification envelope: %v: %s", err, m.Body)
			}
			if err := json.Unmarshal([]byte(env.Message), &note); err != nil {
				t.Fatalf("notification %q: %v", env.Message, err)
			}
			n.got = append(n.got, note)
			if err := n.q.Delete(ctx, m.Receipt); err != nil {
				t.Fatalf("delete notification: %v", err)
			}
		}
	}
}

func (n *notifications) forJob(id string) []api.Notification {
	var out []api.Notification
	for _, note := range n.got {
		if note.JobId == id {
			out = append(out, note)
		}
	}
	return out
}
