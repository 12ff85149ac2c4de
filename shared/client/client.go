// Package client is a Go client for Ream's HTTP API, used by the ream CLI and the end-to-end
// tests: create jobs, upload inputs through presigned URLs, follow a job's event stream,
// describe, list, stop and download results; and the coding service's routes (topics, models,
// batch-code operations, OAuth client-credentials tokens).
package client

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// Client talks to one Ream endpoint.
type Client struct {
	Endpoint string // e.g. http://127.0.0.1:8080
	APIKey   string // bearer key (local stack)
	// AccessToken, when set, is sent as `Authorization: <token>` instead of the API key: an
	// OAuth access token of the coding service (see Token).
	AccessToken string
	// TokenURL is the OAuth2 token endpoint Token asks; default Endpoint + "/oauth2/token" (the
	// local stack's). On AWS it is the Cognito domain's /oauth2/token.
	TokenURL string
	HTTP     *http.Client
	// StreamIdle is how long Follow waits for anything on a job's event stream before it
	// returns ErrStreamEnded (default DefaultStreamIdle).
	StreamIdle time.Duration
	// Sign, when set, signs each API request instead of the bearer key (SigV4 on AWS).
	Sign func(req *http.Request, body []byte) error

	creds *clientCredentials // UseClientCredentials
}

// APIError is an error response from the API.
type APIError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`

	notJSON bool // the body was not JSON: not an answer of the API's
}

// oneLine is b with its runs of white space made one space, cut to at most n bytes (at a
// character boundary, "…" marking the cut).
func oneLine(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// do sends an API request with a JSON body (in, unless nil) and decodes a JSON response into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	contentType := ""
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
		contentType = "application/json"
	}
	target := strings.TrimRight(c.Endpoint, "/") + path
	auth, used := c.authorize, ""
	if c.creds != nil && c.Sign == nil {
		auth = func(req *http.Request, body []byte) error {
			err := c.authorize(req, body)
			used = req.Header.Get("Authorization")
			return err
		}
	}
	err := c.send(ctx, method, target, contentType, body, out, auth)
	if e := (*APIError)(nil); errors.As(err, &e) && c.renewRefused(e.Status, used) {
		// A 401 is the API refusing the token before doing anything, so a POST is not done
		// twice; the body is bytes, sent again as they are.
		err = c.send(ctx, method, target, contentType, body, out, c.authorize)
	}
	return err
}

// renewRefused reports whether a request that sent the access token used and got status is to
// be sent once more: the API refused (401) a token of UseClientCredentials before it was due
// to expire here (clocks apart, a revoked token). It then drops used, so the next request gets
// a new token. The token dropped is the one the request sent: a request refused at the same
// time as another must not drop the new token the other already got, nor give up because the
// other dropped the old one first.
func (c *Client) renewRefused(status int, used string) bool {
	if status != http.StatusUnauthorized || used == "" || c.creds == nil || c.Sign != nil {
		return false
	}
	c.creds.expire(used)
	return true
}

// send sends body (of contentType, unless "") to target, authorized by auth, and decodes a JSON
// response into out.
func (c *Client) send(ctx context.Context, method, target, contentType string, body []byte, out any, auth func(*http.Request, []byte) error) error {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if err := auth(req, body); err != nil {
		return err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return unreachable(ctx, err, target)
	}
	defer resp.Body.Close()
	return notTheAPI(decode(resp, out), method, target, c.Endpoint)
}

// UnreachableError is a request that could not connect to its server (nothing listens at the
// address, an unknown host), said as such with the server's URL (found from outside: every
// command but `ream wait` printed Go's `Get "http://127.0.0.1:8080/v1/jobs": dial tcp
// 127.0.0.1:8080: connect: connection refused`, while `ream wait` said `no server answers at`).
type UnreachableError struct {
	URL string // the server's scheme and host
	Err error  // the connection's error, a *net.OpError
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("no server answers at %s (%v)", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// unreachable is err, from a request to target, as an *UnreachableError when the connection
// could not be made (and ctx was not done meanwhile: an interrupted request is that), else err.
func unreachable(ctx context.Context, err error, target string) error {
	var opErr *net.OpError
	if ctx.Err() != nil || !errors.As(err, &opErr) || opErr.Op != "dial" {
		return err
	}
	origin := target
	if u, perr := url.Parse(target); perr == nil {
		origin = u.Scheme + "://" + u.Host
	}
	return &UnreachableError{URL: origin, Err: opErr}
}

// notTheAPI adds to err, from a request to the API at endpoint, that the answer was not the
// API's JSON when it was not (an error page, a 2xx that is not JSON), so a wrong endpoint is
// said to be one (found from outside: an endpoint naming another HTTP server printed its whole
// HTML error page, or "invalid character '<' looking for beginning of value").
func notTheAPI(err error, method, target, endpoint string) error {
	var apiErr *APIError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &apiErr) && apiErr.notJSON:
		apiErr.Message += fmt.Sprintf(" (%s %s did not answer with the API's JSON: is %s the Ream API's endpoint?)", method, target, endpoint)
	case errors.As(err, &syntax):
		return fmt.Errorf("%s %s did not answer with the API's JSON (%w): is %s the Ream API's endpoint?", method, target, err, endpoint)
	}
	return err
}

func (c *Client) authorize(req *http.Request, body []byte) error {
	switch {
	case c.Sign != nil:
		return c.Sign(req, body)
	case c.creds != nil:
		tok, err := c.creds.token(req.Context(), c)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", tok)
	case c.AccessToken != "":
		req.Header.Set("Authorization", c.AccessToken) // the coding service's clients send the bare token
	case c.APIKey != "":
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	return nil
}

func decode(resp *http.Response, out any) error {
	if resp.StatusCode >= 300 {
		e := &APIError{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		// The API's errors are {"code","message"}; the token endpoint's are OAuth's
		// {"error","error_description"} (RFC 6749 §5.2).
		var oauth struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		// S3's errors (a presigned URL's PUT or GET) are <Error><Code>…<Message>…: its code
		// and message, whole, not the XML cut at 200 bytes (where a long message lost its
		// end behind the XML declaration and tags).
		var s3 struct {
			XMLName xml.Name `xml:"Error"`
			Code    string   `xml:"Code"`
			Message string   `xml:"Message"`
		}
		switch {
		case json.Unmarshal(b, e) == nil && e.Message != "":
		case json.Unmarshal(b, &oauth) == nil && oauth.Error != "":
			e.Code, e.Message = oauth.Error, oauth.Description
		case xml.Unmarshal(b, &s3) == nil && s3.Code != "":
			e.Code, e.Message, e.notJSON = s3.Code, oneLine([]byte(s3.Message), 1000), true
		default:
			// Not an API error (another server's HTML page): on one line, cut, so an error page
			// is not printed whole.
			e.Code, e.Message, e.notJSON = http.StatusText(resp.StatusCode), oneLine(b, 200), true
		}
		return e
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// CreateJob creates a job.
func (c *Client) CreateJob(ctx context.Context, req api.CreateJobRequest) (*api.CreateJobResult, error) {
	var res api.CreateJobResult
	if err := c.do(ctx, http.MethodPost, "/v1/jobs", req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Describe returns a job.
func (c *Client) Describe(ctx context.Context, id string) (*job.Job, error) {
	var j job.Job
	if err := c.do(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id), nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// ListResult is one page of jobs.
type ListResult struct {
	Jobs      []*job.Job `json:"Jobs"`
	NextToken string     `json:"NextToken"`
}

// List returns one page of jobs matching f.
func (c *Client) List(ctx context.Context, f api.ListFilter) (*ListResult, error) {
	q := url.Values{}
	if f.JobName != "" {
		q.Set("JobName", f.JobName)
	}
	if f.Status != "" {
		q.Set("JobStatus", string(f.Status))
	}
	if !f.SubmittedBefore.IsZero() {
		q.Set("SubmitTimeBefore", f.SubmittedBefore.UTC().Format("2006-01-02T15:04:05.999999999Z"))
	}
	if !f.SubmittedAfter.IsZero() {
		q.Set("SubmitTimeAfter", f.SubmittedAfter.UTC().Format("2006-01-02T15:04:05.999999999Z"))
	}
	if f.MaxResults > 0 {
		q.Set("MaxResults", strconv.Itoa(f.MaxResults))
	}
	if f.NextToken != "" {
		q.Set("NextToken", f.NextToken)
	}
	var res ListResult
	path := "/v1/jobs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Errors returns one page of a job's error records (GET /v1/jobs/{id}/errors).
func (c *Client) Errors(ctx context.Context, id string, f api.ErrorsFilter) (*api.ErrorsResponse, error) {
	q := url.Values{}
	if f.ErrorCode != "" {
		q.Set("ErrorCode", f.ErrorCode)
	}
	if f.Analysis != "" {
		q.Set("Analysis", string(f.Analysis))
	}
	if f.MaxResults > 0 {
		q.Set("MaxResults", strconv.Itoa(f.MaxResults))
	}
	if f.NextToken != "" {
		q.Set("NextToken", f.NextToken)
	}
	path := "/v1/jobs/" + url.PathEscape(id) + "/errors"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var res api.ErrorsResponse
	if err := c.do(ctx, http.MethodGet, path, nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Retry creates a child job that re-runs a finished job's failed documents
// (POST /v1/jobs/{id}/retry).
func (c *Client) Retry(ctx context.Context, id string, req api.RetryRequest) (*api.CreateJobResult, error) {
	var res api.CreateJobResult
	if err := c.do(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(id)+"/retry", req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Stop asks a job to stop.
func (c *Client) Stop(ctx context.Context, id string) (*job.Job, error) {
	var j job.Job
	if err := c.do(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(id)+"/stop", nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Delete deletes a finished job and its data now (DELETE /v1/jobs/{id}); the job is then a
// 404, as an unknown or expired one is.
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/jobs/"+url.PathEscape(id), nil, nil)
}

// Results returns presigned download URLs for a finished job.
func (c *Client) Results(ctx context.Context, id string) (*api.ResultLinks, error) {
	var r api.ResultLinks
	if err := c.do(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id)+"/results", nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Upload streams the file at path to a presigned upload URL with its required headers, trying
// again (up to uploadAttempts in all) when the store answers 503.
func (c *Client) Upload(ctx context.Context, p api.Presigned, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := c.put(ctx, p, f, st.Size())
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable || attempt == uploadAttempts {
			return err
		}
		// 503: the store could not take the upload now (S3's SlowDown, or the local store
		// unable to check it against its job); S3's SDKs retry it, and so does this.
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
}

// uploadAttempts bounds Upload's tries of a PUT answered 503.
const uploadAttempts = 4

// put sends one PUT of body (size bytes) to p.
func (c *Client) put(ctx context.Context, p api.Presigned, body io.Reader, size int64) error {
	rc := io.NopCloser(body)
	if size == 0 {
		// net/http sends a non-nil body of length 0 chunked, which S3 refuses (501
		// NotImplemented, Transfer-Encoding); no body is sent with Content-Length: 0.
		rc = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, rc)
	if err != nil {
		return err
	}
	req.ContentLength = size
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, nil)
}

// Event is one event of a job's stream: a progress snapshot or the terminal notification.
type Event struct {
	Type         string            // api.EventProgress or api.EventNotification
	Job          *job.Job          // progress
	Notification *api.Notification // notification
}

// Follow streams a job's events (GET /v1/jobs/{id}/events, server-sent events) to fn until the
// notification arrives, the stream ends, or ctx is done. It returns the notification.
func (c *Client) Follow(ctx context.Context, id string, fn func(Event)) (*api.Notification, error) {
	// A stream on which nothing comes for StreamIdle (the local stack sends a keep-alive
	// comment every 15 s) is taken for a server that stalled (found from outside: `--wait`
	// against a server stopped with SIGSTOP waited forever, saying nothing).
	idle := cmp.Or(c.StreamIdle, DefaultStreamIdle)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stalled atomic.Bool
	watchdog := time.AfterFunc(idle, func() { stalled.Store(true); cancel() })
	defer watchdog.Stop()
	errStalled := fmt.Errorf("%w: nothing came on it for %v", ErrStreamEnded, idle)
	open := func() (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.Endpoint, "/")+"/v1/jobs/"+url.PathEscape(id)+"/events", nil)
		if err != nil {
			return nil, "", err
		}
		req.Header.Set("Accept", "text/event-stream")
		if err := c.authorize(req, nil); err != nil {
			return nil, "", err
		}
		resp, err := c.http().Do(req)
		if err != nil {
			err = unreachable(ctx, err, req.URL.String())
		}
		return resp, req.Header.Get("Authorization"), err
	}
	resp, used, err := open()
	if err == nil && c.renewRefused(resp.StatusCode, used) {
		resp.Body.Close()
		resp, _, err = open()
	}
	if err != nil {
		if stalled.Load() {
			// No answer at all for idle: the server is still stalled (a --wait trying it again
			// while it is stopped), not a refusal.
			return nil, errStalled
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, decode(resp, nil)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var typ, data string
	for sc.Scan() {
		watchdog.Reset(idle)
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event:"):
			typ = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		case line == "":
			ev := Event{Type: typ}
			switch typ {
			case api.EventProgress:
				ev.Job = new(job.Job)
				if err := json.Unmarshal([]byte(data), ev.Job); err != nil {
					return nil, fmt.Errorf("bad progress event: %w", err)
				}
			case api.EventNotification:
				ev.Notification = new(api.Notification)
				if err := json.Unmarshal([]byte(data), ev.Notification); err != nil {
					return nil, fmt.Errorf("bad notification event: %w", err)
				}
			}
			if typ != "" && fn != nil {
				fn(ev)
			}
			if ev.Notification != nil {
				return ev.Notification, nil
			}
			typ, data = "", ""
		}
	}
	if stalled.Load() {
		return nil, errStalled
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, ErrStreamEnded
}

// DefaultStreamIdle is how long Follow waits for anything on the event stream (an event or
// the server's keep-alive) before it takes the server for stalled: four keep-alives.
const DefaultStreamIdle = time.Minute

// ErrStreamEnded is Follow's error when the stream ended without the job's notification: the
// server stopped (a clean stop ends the streams) or the connection broke. The job goes on.
var ErrStreamEnded = errors.New("event stream ended before the job finished")

// Poll describes the job every interval until it is terminal and returns the notification its
// final state corresponds to. It is the fallback where no event stream exists (a deployed stack
// notifies through SNS, which a CLI cannot subscribe to on the fly).
func (c *Client) Poll(ctx context.Context, id string, every time.Duration, fn func(Event)) (*api.Notification, error) {
	var n *api.Notification
	err := poll(ctx, every, func() (bool, error) {
		j, err := c.Describe(ctx, id)
		if err != nil {
			return false, err
		}
		if fn != nil {
			fn(Event{Type: api.EventProgress, Job: j})
		}
		if !j.JobStatus.Terminal() {
			return false, nil
		}
		n = &api.Notification{JobId: j.JobId, JobName: j.JobName, JobStatus: j.JobStatus, Message: j.Message,
			InputDocumentsCount: j.JobDetails.InputDocumentsCount, ProcessedDocumentsCount: j.JobDetails.ProcessedDocumentsCount,
			DocumentsWithErrorsCount: j.JobDetails.DocumentsWithErrorsCount, OutputLocation: j.OutputLocation()}
		if j.EndTime != nil {
			n.Time = *j.EndTime
		}
		return true, nil
	})
	return n, err
}

// poll calls check at once and then every interval until it reports done, fails, or ctx is done.
func poll(ctx context.Context, every time.Duration, check func() (done bool, err error)) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		done, err := check()
		if done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Download fetches a presigned URL into w.
func (c *Client) Download(ctx context.Context, p api.Presigned, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		return err
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decode(resp, nil)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// DownloadResults saves manifest.json and output.tar.gz of a finished job into dir and unpacks
// the archive there (its "output" entry becomes dir/output). It returns the files written.
func (c *Client) DownloadResults(ctx context.Context, id, dir string) ([]string, error) {
	links, err := c.Results(ctx, id)
	if err != nil {
		return nil, err
	}
	files, err := c.saveAll(ctx, dir, []download{{links.Manifest, api.ManifestName}, {links.Output, api.ArchiveName}})
	if err != nil {
		return files, err
	}
	unpacked, err := Unpack(files[1], dir)
	return append(files, unpacked...), err
}

// download is a presigned URL to save under a file name.
type download struct {
	from api.Presigned
	name string
}

// saveAll creates dir and downloads each presigned URL into dir/name, in order (each whole or
// not at all: writeWhole). It returns the files written (all of them, or those before the
// first failure).
func (c *Client) saveAll(ctx context.Context, dir string, downloads []download) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for _, d := range downloads {
		path := filepath.Join(dir, d.name)
		if err := writeWhole(path, func(w io.Writer) error { return c.Download(ctx, d.from, w) }); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

// writeWhole writes a file at path with write, so that path holds either the whole file or
// what it held before: write fills a temporary file beside it (".<name>.partial-…"), which is
// renamed onto path when write succeeds and removed when it fails (found from outside: a
// download cut by Ctrl-C, SIGTERM or a lost connection left a truncated output.tar.gz under
// its own name, which a script rerun took for the results). Only a process killed outright
// leaves the temporary file, named as partial.
func writeWhole(path string, write func(io.Writer) error) error {
	// (not os.CreateTemp, whose file is 0600 whatever the umask: the file gets os.Create's mode)
	tmp := filepath.Join(filepath.Dir(path), "."+partialStem(filepath.Base(path))+".partial-"+rand.Text())
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// partialStem is the part of a file's name that its temporary file's name repeats: the whole
// name, or its first bytes, cut at a character's start, when the name is too long for
// ".NAME.partial-" and rand.Text's 26 characters to fit in the 255 bytes a file name may take
// (found reviewing: an output entry's name over 219 bytes, such as a PII job's
// redacted/<input name>, which keeps names up to 255 bytes, failed to unpack with "file name
// too long").
func partialStem(name string) string {
	const most = 255 - len(".") - len(".partial-") - 26
	if len(name) <= most {
		return name
	}
	n := most
	for n > 0 && !utf8.RuneStart(name[n]) {
		n--
	}
	return name[:n]
}

// Unpack extracts the regular files of a .tar.gz into dir, refusing paths that leave it.
func Unpack(archive, dir string) ([]string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	var out []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			return out, fmt.Errorf("archive entry %q leaves the output directory", h.Name)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return out, err
		}
		if err := writeWhole(path, func(w io.Writer) error { _, err := io.Copy(w, tr); return err }); err != nil {
			return out, err
		}
		out = append(out, path)
	}
}
