package chaos

// The job kinds beyond the per-document analyses: TOPICS jobs (a map–reduce over several
// stages, whose output must be byte-identical to a clean run's with the same input, shard size
// and seed) and coding operations (the coding service's batch-code API: an OAuth token, an
// operation, a PUT of JSONL records, coded.jsonl byte-identical to a clean run's). Coding
// training jobs are in training.go.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	kindTopics = "TOPICS"
	kindCoding = "CODING"

	codingClientID     = "local-coding-client"
	codingClientSecret = "local-coding-secret"
	codingBase         = "/v1/topics/occupation/batch-code"
)

// topicEntries are the output.tar.gz entries of a TOPICS job compared byte for byte.
var topicEntries = []string{"topic-terms.csv", "doc-topics.csv", "errors.jsonl"}

// topicStages are the stages a "stage" kill can wait for (JobDetails.Stage prefixes).
var topicStages = []string{"counting", "sampling", "fitting", "assigning"}

// wordFamilies give the topics documents their structure.
var wordFamilies = [][]string{
	{"football", "goalkeeper", "striker", "referee", "stadium", "league", "penalty", "midfield", "tournament", "coach", "championship", "supporters"},
	{"recipe", "oven", "butter", "flour", "simmer", "garlic", "roasted", "saucepan", "seasoning", "pastry", "kitchen", "dough"},
	{"mortgage", "interest", "investor", "dividend", "portfolio", "inflation", "banking", "equity", "pension", "savings", "lender", "budget"},
	{"telescope", "galaxy", "orbit", "astronaut", "planet", "rocket", "nebula", "satellite", "comet", "gravity", "launch", "asteroid"},
	{"garden", "compost", "seedlings", "pruning", "tomatoes", "greenhouse", "watering", "roses", "hedge", "soil", "flowers", "shrubs"},
	{"railway", "locomotive", "platform", "timetable", "carriage", "signal", "junction", "freight", "commuter", "station", "tracks", "conductor"},
}

var fillerWords = []string{"the", "and", "really", "every", "about", "with", "many", "people", "today", "often", "we", "this", "was", "very", "new"}

// topicText is one document: words mostly of one or two families, some filler.
func topicText(rng *rand.Rand) string {
	a := rng.Intn(len(wordFamilies))
	b := a
	if rng.Float64() < 0.3 {
		b = rng.Intn(len(wordFamilies))
	}
	n := 5 + rng.Intn(8)
	w := make([]string, 0, n)
	for i := 0; i < n; i++ {
		switch x := rng.Float64(); {
		case x < 0.25:
			w = append(w, fillerWords[rng.Intn(len(fillerWords))])
		case x < 0.45:
			fam := wordFamilies[b]
			w = append(w, fam[rng.Intn(len(fam))])
		default:
			fam := wordFamilies[a]
			w = append(w, fam[rng.Intn(len(fam))])
		}
	}
	if rng.Float64() < 0.2 {
		w = append(w, strconv.Itoa(rng.Intn(2030)))
	}
	return strings.Join(w, " ")
}

// topicBad is a document the topics job cannot use (or an ordinary one when ok is false).
func topicBad(rng *rand.Rand, i int) (string, bool) {
	switch x := rng.Float64(); {
	case x < 0.01:
		return "", true
	case x < 0.015:
		return "   \t", true
	case x < 0.022:
		return fmt.Sprintf("caf\xe9 cr\xe8me %d", i), true
	case x < 0.03:
		return "the and with of a", true // no topic terms
	case x < 0.034:
		return fmt.Sprintf("%d %d", i, i*7), true
	}
	return "", false
}

func genTopicsLines(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		text, bad := topicBad(rng, i)
		if !bad || i == n-1 {
			text = topicText(rng)
		}
		b.WriteString(text)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func genTopicsJSONL(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		text, bad := topicBad(rng, i)
		switch {
		case i == n-1 || !bad:
			fmt.Fprintf(&b, `{"recordId":"t-%d","text":%s}`, i, jsonString(topicText(rng)))
		case text == "":
			fmt.Fprintf(&b, `{"recordId":"broken-%d","text":"unterminated`, i)
		default:
			fmt.Fprintf(&b, `{"recordId":"t-%d","text":%s}`, i, jsonString(text))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func genTopicsFiles(rng *rand.Rand, n int) []fileDoc {
	files := make([]fileDoc, 0, n)
	for i := 0; i < n; i++ {
		text, bad := topicBad(rng, i)
		if !bad {
			text = topicText(rng) + "\n" + topicText(rng) + "\n" + topicText(rng)
		}
		files = append(files, fileDoc{Name: fmt.Sprintf("docs/%c/t-%05d.txt", 'a'+rune(i%3), i), Data: []byte(text)})
	}
	sort.Slice(files, func(a, b int) bool { return files[a].Name < files[b].Name })
	return files
}

var jobTitles = []string{"welder", "primary school teacher", "software developer", "nurse", "bus driver", "chef", "accountant",
	"electrician", "plumber", "shop assistant", "police officer", "carpenter", "receptionist", "farm worker", "care assistant",
	"solicitor", "hairdresser", "warehouse operative", "civil engineer", "dental nurse", "taxi driver", "bricklayer", "pharmacist"}

var taskWords = []string{"teaching children", "writing code", "cooking meals", "driving passengers", "fixing pipes", "repairing wiring",
	"serving customers", "keeping accounts", "caring for patients", "building walls", "answering phones", "stacking shelves",
	"designing bridges", "cutting hair", "dispensing medicines", "patrolling streets", "milking cows", "welding steel"}

// genCodingRecords builds a batch-code input of n JSONL records; ids[i] is the recordId the
// i-th line carries ("" when none can be echoed).
func genCodingRecords(rng *rand.Rand, n int) ([]byte, []string) {
	var b bytes.Buffer
	ids := make([]string, n)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c-%d", i)
		title := jobTitles[rng.Intn(len(jobTitles))]
		if rng.Float64() < 0.3 {
			title = []string{"senior", "trainee", "assistant", "head", "part-time"}[rng.Intn(5)] + " " + title
		}
		tasks := taskWords[rng.Intn(len(taskWords))] + " and " + taskWords[rng.Intn(len(taskWords))]
		switch x := rng.Float64(); {
		case x < 0.02 && i < n-1:
			fmt.Fprintf(&b, `{"recordId":%q,"occp_text":%s}`, id, jsonString(title)) // INVALID_RECORD
		case x < 0.035 && i < n-1:
			fmt.Fprintf(&b, `{"recordId":%q,"occp_text":"","tasks_text":" "}`, id) // EMPTY_DOCUMENT
		case x < 0.045 && i < n-1:
			fmt.Fprintf(&b, `{"recordId":%q,"occp_text":"%s worker","tasks_text":"x"}`, id, "caf\xe9") // bad encoding
		case x < 0.05 && i < n-1:
			fmt.Fprintf(&b, `{"recordId":%q,"occp_text":"unterminated`, id)
			id = ""
		case x < 0.1:
			fmt.Fprintf(&b, `{"recordId":%d,"occp_text":%s,"tasks_text":%s}`, 5000+i, jsonString(title), jsonString(tasks))
			id = strconv.Itoa(5000 + i)
		default:
			fmt.Fprintf(&b, `{"recordId":%q,"occp_text":%s,"tasks_text":%s}`, id, jsonString(title), jsonString(tasks))
		}
		ids[i] = id
		b.WriteByte('\n')
	}
	return b.Bytes(), ids
}

// genKindSpec fills s as a TOPICS job or a coding operation.
func genKindSpec(rng *rand.Rand, s *jobSpec, kind string, seed int64, lim genLimits) {
	if kind == kindTraining {
		genTrainingSpec(rng, s, seed)
		return
	}
	s.Kind = kind
	s.Mode = modeUpload
	if kind == kindCoding {
		s.Format = formatJSONL
		s.Analyses = []string{"CODING"}
		n := 200 + rng.Intn(800)
		s.Data, s.RecordIDs = genCodingRecords(rng, n)
		s.Docs = n
		s.UploadTime = time.Duration(100+rng.Intn(800)) * time.Millisecond
		return
	}
	s.Analyses = []string{"TOPICS"}
	s.NumTopics = 5
	s.TopicSeed = seed
	if rng.Float64() < 0.25 {
		s.Mode = modeDrop
	}
	n := min(lim.MaxDocs, 1500+rng.Intn(2500))
	switch x := rng.Float64(); {
	case x < 0.6:
		s.Format = formatLine
		s.Data = genTopicsLines(rng, n)
	case x < 0.85:
		s.Format = formatJSONL
		s.Data = genTopicsJSONL(rng, n)
	default:
		s.Format = formatFile
		s.Files = genTopicsFiles(rng, 40+rng.Intn(max(1, min(lim.MaxFiles, 160)-39)))
	}
	if s.Format == formatFile {
		s.Docs = len(s.Files)
	} else {
		s.Docs = len(splitDocs(s.Data))
	}
	s.UploadTime = time.Duration(150+rng.Intn(1000)) * time.Millisecond
}

// ensureKind makes the Short form cover the kinds: a round whose seed is 1 modulo 3 has a
// coding operation, 2 modulo 3 a TOPICS job, 3 modulo 6 a coding training job (when the draw
// has none, the last job of the usual analyses, or else the last job, becomes one).
// It depends on the seed alone, so the replay line reproduces the round.
func ensureKind(specs []*jobSpec, seed int64, lim genLimits) {
	want := ""
	switch {
	case (seed%3+3)%3 == 1:
		want = kindCoding
	case (seed%3+3)%3 == 2:
		want = kindTopics
	case (seed%6+6)%6 == 3:
		want = kindTraining
	default:
		return
	}
	for _, s := range specs {
		if s.Kind == want {
			return
		}
	}
	at := len(specs) - 1 // the last job of the usual analyses, or the last job
	for i := len(specs) - 1; i >= 0; i-- {
		if specs[i].Kind == "" {
			at = i
			break
		}
	}
	old := specs[at]
	s := &jobSpec{Index: old.Index, Name: old.Name, Token: old.Token}
	if want == kindTopics || want == kindTraining {
		s.Stop = old.Stop
	}
	genKindSpec(rand.New(rand.NewSource(seed^0x70b1c5)), s, want, seed, lim)
	specs[at] = s
}

// codingToken gets an access token by the client-credentials grant.
func (c *client) codingToken(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base()+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cr := c.creds()
	req.SetBasicAuth(cr.ClientID, cr.ClientSecret)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", &transportError{err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", &transportError{err}
	}
	if resp.StatusCode != http.StatusOK {
		return "", &apiError{Status: resp.StatusCode, Message: strings.TrimSpace(string(b))}
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token answer %.200q: %v", b, err)
	}
	return tok.AccessToken, nil
}

type codingStarted struct {
	RequestUploadURL string            `json:"requestUploadUrl"`
	OperationId      string            `json:"operationId"`
	UploadHeaders    map[string]string `json:"uploadHeaders"`
}

type codingStatus struct {
	OperationId         string `json:"operationId"`
	OperationStatus     string `json:"operationStatus"`
	ResponseDownloadURL string `json:"responseDownloadUrl"`
	Error               string `json:"error"`
}

// coding sends one call of the coding API with a fresh token.
func (c *client) coding(ctx context.Context, method, path string, out any) error {
	tok, err := c.codingToken(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base()+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", tok)
	resp, err := c.hc.Do(req)
	if err != nil {
		return &transportError{err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return &transportError{err}
	}
	if resp.StatusCode >= 300 {
		return &apiError{Status: resp.StatusCode, Message: strings.TrimSpace(string(b))}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: %w: %.200q", method, path, err, b)
	}
	return nil
}

// codingRetry repeats a coding call while the server is down or answers 5xx.
func (c *client) codingRetry(ctx context.Context, method, path string, out any) error {
	for {
		err := c.coding(ctx, method, path, out)
		if err == nil || ctx.Err() != nil || !isTransport(err) && statusOf(err) < 500 {
			return err
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

func (s codingStarted) presigned() presigned {
	return presigned{File: "records.jsonl", URL: s.RequestUploadURL, Method: http.MethodPut, Headers: s.UploadHeaders}
}

// objectKey is the store key a presigned URL of the local store names.
func objectKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	_, key, ok := strings.Cut(u.Path, "/objects/")
	if !ok {
		return ""
	}
	return key
}

// driveCoding starts a coding operation and uploads its records. A batch-code call that got
// no answer is sent again (an orphan operation may be left waiting for input: not this job's).
func (r *round) driveCoding(ctx context.Context, jr *jobRun) {
	var st codingStarted
	for attempt := 1; ; attempt++ {
		err := r.c.coding(ctx, http.MethodPost, codingBase, &st)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if isTransport(err) || statusOf(err) >= 500 {
			jr.note(r.start, "batch-code attempt %d: %v", attempt, clip(err.Error(), 120))
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		jr.mu.Lock()
		jr.fatal = "batch-code refused: " + err.Error()
		jr.mu.Unlock()
		return
	}
	jr.mu.Lock()
	jr.id = st.OperationId
	jr.inputKey = objectKey(st.RequestUploadURL)
	jr.createdAt = time.Now()
	jr.mu.Unlock()
	jr.note(r.start, "operation %s started", st.OperationId)
	jr.uploadTotal.Store(int64(len(jr.spec.Data)))
	jr.finalPut.Store(true)
	r.putWithRetry(ctx, jr, st.presigned(), jr.spec.Data, jr.spec.UploadTime)
}

// tarEntries reads the named entries of an output.tar.gz.
func tarEntries(archive []byte, names []string) (map[string][]byte, error) {
	if err := oneMember(archive); err != nil {
		return nil, err
	}
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("output.tar.gz: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("output.tar.gz: %w", err)
		}
		if !want[h.Name] {
			continue
		}
		if out[h.Name], err = io.ReadAll(tr); err != nil {
			return nil, fmt.Errorf("output.tar.gz entry %s: %w", h.Name, err)
		}
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("output.tar.gz has no entry %s", n)
		}
	}
	return out, nil
}

// waitTerminal describes a job until it is terminal.
func waitTerminal(ctx context.Context, c *client, id string) (*jobView, error) {
	for {
		v, err := c.describe(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("reference describe: %w", err)
		}
		if terminal(v.JobStatus) {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reference job %s still %s: %w", id, v.JobStatus, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runReferenceCoding runs a coding operation on the undisturbed server.
func runReferenceCoding(ctx context.Context, c *client, spec *jobSpec) (*reference, error) {
	var st codingStarted
	if err := c.coding(ctx, http.MethodPost, codingBase, &st); err != nil {
		return nil, fmt.Errorf("reference batch-code: %w", err)
	}
	if code, body, err := c.put(ctx, st.presigned(), spec.Data, 0, nil); err != nil || code != 200 {
		return nil, fmt.Errorf("reference upload: %d %s %v", code, body, err)
	}
	v, err := waitTerminal(ctx, c, st.OperationId)
	if err != nil {
		return nil, err
	}
	coded, err := fetchCoded(ctx, c, st.OperationId)
	if err != nil {
		return nil, fmt.Errorf("reference (%s %s): %w", v.JobStatus, v.Message, err)
	}
	if err := checkCoded(spec, coded); err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	return &reference{Status: v.JobStatus, Details: v.JobDetails, Coded: coded}, nil
}

// fetchCoded asks for the operation's status and downloads its coded.jsonl.
func fetchCoded(ctx context.Context, c *client, id string) ([]byte, error) {
	var st codingStatus
	if err := c.codingRetry(ctx, http.MethodGet, codingBase+"/operations/"+url.PathEscape(id), &st); err != nil {
		return nil, fmt.Errorf("operation status: %w", err)
	}
	if st.OperationStatus != "complete" || st.ResponseDownloadURL == "" {
		return nil, fmt.Errorf("operation is %s (error %q), download URL %q", st.OperationStatus, st.Error, st.ResponseDownloadURL)
	}
	b, err := c.download(ctx, presigned{URL: st.ResponseDownloadURL})
	if err != nil && isTransport(err) {
		sleep(ctx, 500*time.Millisecond)
		b, err = c.download(ctx, presigned{URL: st.ResponseDownloadURL})
	}
	if err != nil {
		return nil, fmt.Errorf("download coded.jsonl: %w", err)
	}
	return b, nil
}

// checkCoded checks coded.jsonl against the input: one line per record, in order.
func checkCoded(spec *jobSpec, coded []byte) error {
	lines := strings.Split(strings.TrimSuffix(string(coded), "\n"), "\n")
	if len(coded) == 0 {
		lines = nil
	}
	if len(lines) != spec.Docs {
		return fmt.Errorf("coded.jsonl has %d lines for %d records", len(lines), spec.Docs)
	}
	for i, l := range lines {
		var rec struct {
			RecordId json.RawMessage `json:"recordId"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			return fmt.Errorf("coded.jsonl line %d: %v: %.120s", i, err, l)
		}
		if want := spec.RecordIDs[i]; want != "" {
			got := strings.Trim(string(rec.RecordId), `"`)
			if got != want {
				return fmt.Errorf("coded.jsonl line %d has recordId %s, record %d is %q: %.120s", i, rec.RecordId, i, want, l)
			}
		}
	}
	return nil
}

// firstDiff describes where two outputs first differ.
func firstDiff(got, want []byte) string {
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("%d bytes/%d lines vs the reference's %d/%d; line %d is %.160q, the reference's %.160q",
				len(got), len(g), len(want), len(w), i+1, a, b)
		}
	}
	return fmt.Sprintf("%d bytes vs %d", len(got), len(want))
}

// verifyKind checks a finished TOPICS job or coding operation.
func (r *round) verifyKind(ctx context.Context, jr *jobRun, v *jobView, stopState, why string, res *roundResult) {
	if jr.spec.Kind == kindTraining {
		r.verifyTraining(ctx, jr, v, stopState, why, res)
		return
	}
	f, spec, ref := jr.fnd, jr.spec, jr.ref
	d := v.JobDetails
	deadLettered := false
	deadDocs := 0 // documents of a coding operation's dead-lettered shards
	if spec.Kind == kindCoding && (v.JobStatus == "FAILED" || v.JobStatus == "PARTIAL_SUCCESS") {
		n, err := r.c.shardFailed(ctx, jr.ID())
		if err != nil {
			f.add(kStatus, 1, "errors route of a %s operation: %v", v.JobStatus, err)
		}
		deadDocs = n
	}
	switch {
	case stopState == "accepted" && v.JobStatus != "STOPPED" && v.JobStatus != "COMPLETED" && v.JobStatus != "PARTIAL_SUCCESS":
		// (A stop accepted while the last shards ran skips nothing: the job ends as it would
		// have, and is checked below as a job without a stop, against the reference.)
		f.add(kStatus, 1, "stop was accepted but the job ended %s (%s)", v.JobStatus, v.Message)
	case v.JobStatus == "STOPPED" && stopState != "accepted" && stopState != "unknown":
		f.add(kStatus, 1, "job ended STOPPED but no stop was accepted (stop: %s)", stopState)
	case v.JobStatus == "STOPPED":
	case v.JobStatus == "FAILED" && spec.Kind == kindTopics && strings.Contains(v.Message, "dead-lettered"):
		// A shard dead-lettered at any stage fails a TOPICS job (documented).
		deadLettered = true
		res.deadLettered++
		r.h.o.Logf("round %d: TOPICS job %s failed on a dead-lettered shard: %s", r.idx, jr.ID(), v.Message)
	case deadDocs > 0:
		// Kills pushed a shard past maxReceiveCount: its records are SHARD_FAILED errors,
		// so the operation cannot match the reference (all of them failed: FAILED).
		deadLettered = true
		res.deadLettered++
		r.h.o.Logf("round %d: coding operation %s has %d records in dead-lettered shards: %s", r.idx, jr.ID(), deadDocs, v.Message)
		if v.JobStatus != impliedStatus(d) {
			f.add(kStatus, 1, "job ended %s but its counters (%+v) mean %s", v.JobStatus, d, impliedStatus(d))
		}
		if d.DocumentsWithErrorsCount < int64(deadDocs) {
			f.add(kCounters, 1, "%d records in dead-lettered shards but DocumentsWithErrorsCount %d", deadDocs, d.DocumentsWithErrorsCount)
		}
	case v.JobStatus != "COMPLETED" && v.JobStatus != "PARTIAL_SUCCESS":
		f.add(kStatus, 1, "job ended %s (%s) %+v", v.JobStatus, v.Message, d)
	case v.JobStatus != impliedStatus(d):
		f.add(kStatus, 1, "job ended %s but its counters (%+v) mean %s", v.JobStatus, d, impliedStatus(d))
	case ref != nil && v.JobStatus != ref.Status:
		f.add(kStatus, 1, "job ended %s, the reference run %s", v.JobStatus, ref.Status)
	}
	seqs, notes, _ := r.hook.forJob(jr.ID())
	if why == "" {
		why = "not received before the round ended"
	}
	verifyNotifications(f, v, seqs, notes, r.hook.history(jr.ID()), why, tenant)
	if v.JobStatus == "STOPPED" || deadLettered && deadDocs == 0 {
		return
	}
	if d.InputDocumentsCount != d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount {
		f.add(kCounters, 1, "Input %d != Processed %d + WithErrors %d", d.InputDocumentsCount, d.ProcessedDocumentsCount, d.DocumentsWithErrorsCount)
	}
	if d.InputDocumentsCount != int64(spec.Docs) {
		f.add(kCounters, 1, "InputDocumentsCount %d, the input has %d documents", d.InputDocumentsCount, spec.Docs)
	}
	if deadDocs > 0 {
		// A coding operation with dead-lettered records: its counters still add up and count
		// every record (above), but the reference's counters and output do not hold.
		return
	}
	if ref != nil && (d.ProcessedDocumentsCount != ref.Details.ProcessedDocumentsCount || d.DocumentsWithErrorsCount != ref.Details.DocumentsWithErrorsCount) {
		f.add(kCounters, 1, "counters %+v, the reference's %+v", d, ref.Details)
	}
	if d.ShardsDone != d.ShardsTotal {
		f.add(kCounters, 1, "ShardsDone %d of ShardsTotal %d in a %s job", d.ShardsDone, d.ShardsTotal, v.JobStatus)
	}
	if spec.Kind == kindCoding {
		coded, err := fetchCoded(ctx, r.c, jr.ID())
		if err != nil {
			f.add(kLost, spec.Docs, "no coded.jsonl for a %s operation: %v", v.JobStatus, err)
			return
		}
		if err := checkCoded(spec, coded); err != nil {
			f.add(kWrong, 1, "%v", err)
		}
		if ref != nil && !bytes.Equal(coded, ref.Coded) {
			f.add(kWrong, 1, "coded.jsonl differs from the reference's: %s", firstDiff(coded, ref.Coded))
		}
		return
	}
	var links *resultLinks
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if links, err = r.c.results(ctx, jr.ID()); err == nil || !isTransport(err) && statusOf(err) < 500 {
			break
		}
		sleep(ctx, 500*time.Millisecond)
	}
	var entries map[string][]byte
	if err == nil {
		var ab []byte
		if ab, err = r.c.download(ctx, links.Output); err == nil {
			entries, err = tarEntries(ab, topicEntries)
		}
	}
	if err != nil {
		f.add(kLost, spec.Docs, "no output for a %s TOPICS job: %v", v.JobStatus, err)
		return
	}
	if msg := checkTopics(spec, entries, d); msg != "" {
		f.add(kWrong, 1, "%s", msg)
	}
	if ref != nil {
		for _, name := range topicEntries {
			if !bytes.Equal(entries[name], ref.Entries[name]) {
				f.add(kWrong, 1, "%s differs from the reference's: %s", name, firstDiff(entries[name], ref.Entries[name]))
			}
		}
	}
}

// checkTopics checks a TOPICS output against its input: every document once, in
// doc-topics.csv or errors.jsonl, and errors.jsonl as long as the error counter.
func checkTopics(spec *jobSpec, e map[string][]byte, d jobDetails) string {
	docOf := func(name string) string {
		if spec.Format == formatFile {
			return name
		}
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			return name[i+1:]
		}
		return name
	}
	seen := map[string]string{}
	last := ""
	lines := strings.Split(strings.TrimSuffix(string(e["doc-topics.csv"]), "\n"), "\n")
	for i, l := range lines {
		if i == 0 || l == "" { // header
			continue
		}
		name := l
		if j := strings.LastIndexByte(l, ','); j >= 0 {
			name = l[:j]
			if k := strings.LastIndexByte(name, ','); k >= 0 {
				name = name[:k]
			}
		}
		name = strings.Trim(name, `"`)
		doc := docOf(name)
		if doc == last {
			continue
		}
		if _, dup := seen[doc]; dup {
			return fmt.Sprintf("doc-topics.csv: document %s appears in two places (line %d)", name, i+1)
		}
		seen[doc], last = "doc-topics", doc
	}
	errs := 0
	for _, l := range strings.Split(string(e["errors.jsonl"]), "\n") {
		if l == "" {
			continue
		}
		errs++
		var rec struct {
			File string `json:"File"`
			Line *int64 `json:"Line"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			return fmt.Sprintf("errors.jsonl: %v: %.120s", err, l)
		}
		var doc string
		if spec.Format != formatFile {
			if rec.Line == nil {
				return fmt.Sprintf("errors.jsonl record without Line: %.120s", l)
			}
			doc = strconv.FormatInt(*rec.Line, 10)
		} else {
			doc = docOf(rec.File)
		}
		if where, dup := seen[doc]; dup {
			return fmt.Sprintf("document %s is in %s and errors.jsonl", doc, where)
		}
		seen[doc] = "errors.jsonl"
	}
	if int64(errs) != d.DocumentsWithErrorsCount {
		return fmt.Sprintf("errors.jsonl has %d lines, DocumentsWithErrorsCount is %d", errs, d.DocumentsWithErrorsCount)
	}
	if len(seen) != spec.Docs {
		return fmt.Sprintf("doc-topics.csv and errors.jsonl name %d documents, the input has %d", len(seen), spec.Docs)
	}
	if spec.Format != formatFile {
		for i := 0; i < spec.Docs; i++ {
			if _, ok := seen[strconv.Itoa(i)]; !ok {
				return fmt.Sprintf("line %d is neither in doc-topics.csv nor in errors.jsonl", i)
			}
		}
	}
	return ""
}
