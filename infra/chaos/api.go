package chaos

// A small client of Ream's HTTP API, written against the wire format the README documents
// rather than the repository's own client, so the harness checks the contract a user sees.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// apiKey is the local stack's default key (tenant "local"), configured explicitly.
const (
	apiKey = "local-dev-key"
	tenant = "local"
)

type jobDetails struct {
	InputDocumentsCount      int64                    `json:"InputDocumentsCount"`
	ProcessedDocumentsCount  int64                    `json:"ProcessedDocumentsCount"`
	DocumentsWithErrorsCount int64                    `json:"DocumentsWithErrorsCount"`
	ShardsTotal              int                      `json:"ShardsTotal"`
	ShardsDone               int                      `json:"ShardsDone"`
	Stage                    string                   `json:"Stage,omitempty"`
	AnalysisCounts           map[string]analysisCount `json:"AnalysisCounts,omitempty"`
	InputBytes               int64                    `json:"InputBytes,omitempty"`
	ProcessedBytes           int64                    `json:"ProcessedBytes,omitempty"`
}

type analysisCount struct {
	Succeeded int64 `json:"Succeeded"`
	Failed    int64 `json:"Failed"`
}

type jobView struct {
	JobId        string     `json:"JobId"`
	JobName      string     `json:"JobName"`
	JobStatus    string     `json:"JobStatus"`
	Message      string     `json:"Message"`
	JobDetails   jobDetails `json:"JobDetails"`
	ModelVersion string     `json:"ModelVersion"` // a training job's "CODING_TRAINING=<model id>@v<n>"
	CodingConfig *struct {
		Topic   string `json:"Topic"`
		ModelId string `json:"ModelId"`
	} `json:"CodingConfig"`
	OutputDataConfig struct {
		S3Uri string `json:"S3Uri"`
	} `json:"OutputDataConfig"`
}

func terminal(status string) bool {
	switch status {
	case "COMPLETED", "PARTIAL_SUCCESS", "FAILED", "STOPPED", "TIMED_OUT":
		return true
	}
	return false
}

type presigned struct {
	File    string            `json:"File"`
	URL     string            `json:"Url"`
	Method  string            `json:"Method"`
	Headers map[string]string `json:"Headers"`
}

type createResult struct {
	jobView
	Upload  *presigned  `json:"Upload"`
	Uploads []presigned `json:"Uploads"`
}

type resultLinks struct {
	Output   presigned `json:"Output"`
	Manifest presigned `json:"Manifest"`
}

type notification struct {
	JobId                    string `json:"JobId"`
	JobName                  string `json:"JobName"`
	Tenant                   string `json:"Tenant"`
	JobStatus                string `json:"JobStatus"`
	Message                  string `json:"Message"`
	InputDocumentsCount      int64  `json:"InputDocumentsCount"`
	ProcessedDocumentsCount  int64  `json:"ProcessedDocumentsCount"`
	DocumentsWithErrorsCount int64  `json:"DocumentsWithErrorsCount"`
	OutputLocation           string `json:"OutputLocation"`
}

// apiError is an HTTP answer of 300 or more.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// transportError is a request that got no HTTP answer (the server was killed, or is starting).
type transportError struct{ err error }

func (e *transportError) Error() string { return "no answer: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func isTransport(err error) bool {
	var t *transportError
	return errors.As(err, &t)
}

func statusOf(err error) int {
	var e *apiError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// client talks to whichever server process currently runs (base is asked on every request).
type client struct {
	base func() string
	hc   *http.Client
	cred *credentials // nil: the default tenant's (apiKey, the default coding client)
}

// credentials are one tenant's: its API key (/v1/jobs) and its coding API client.
type credentials struct {
	Tenant, Key, ClientID, ClientSecret string
}

var defaultCredentials = credentials{Tenant: tenant, Key: apiKey, ClientID: codingClientID, ClientSecret: codingClientSecret}

func (c *client) creds() credentials {
	if c.cred == nil {
		return defaultCredentials
	}
	return *c.cred
}

// as is the same client acting with cr.
func (c *client) as(cr credentials) *client { return &client{base: c.base, hc: c.hc, cred: &cr} }

func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 8
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base()+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.creds().Key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return &transportError{err}
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Code == "" {
			e.Code, e.Message = http.StatusText(resp.StatusCode), strings.TrimSpace(string(b))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: bad JSON answer: %w: %.200q", method, path, err, b)
	}
	return nil
}

type createRequest struct {
	JobName         string   `json:"JobName,omitempty"`
	Analyses        []string `json:"Analyses"`
	InputDataConfig struct {
		S3Uri       string `json:"S3Uri,omitempty"`
		InputFormat string `json:"InputFormat"`
	} `json:"InputDataConfig"`
	LanguageCode       string   `json:"LanguageCode,omitempty"`
	ClientRequestToken string   `json:"ClientRequestToken,omitempty"`
	UploadFiles        []string `json:"UploadFiles,omitempty"`
	NumberOfTopics     int      `json:"NumberOfTopics,omitempty"`
	RandomSeed         *int64   `json:"RandomSeed,omitempty"`
	CodingConfig       *struct {
		Topic string `json:"Topic"`
	} `json:"CodingConfig,omitempty"`
}

func (c *client) create(ctx context.Context, req createRequest) (*createResult, error) {
	var res createResult
	if err := c.do(ctx, http.MethodPost, "/v1/jobs", req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

func (c *client) describe(ctx context.Context, id string) (*jobView, error) {
	var j jobView
	if err := c.do(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id), nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

func (c *client) stop(ctx context.Context, id string) (*jobView, error) {
	var j jobView
	if err := c.do(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(id)+"/stop", nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

func (c *client) results(ctx context.Context, id string) (*resultLinks, error) {
	var r resultLinks
	if err := c.do(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id)+"/results", nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// shardFailed counts the job's error records with ErrorCode SHARD_FAILED (documents of
// dead-lettered shards), through the errors route, every page.
func (c *client) shardFailed(ctx context.Context, id string) (int, error) {
	n, token := 0, ""
	for {
		var page struct {
			Errors    []json.RawMessage
			NextToken string
		}
		path := "/v1/jobs/" + url.PathEscape(id) + "/errors?ErrorCode=SHARD_FAILED&MaxResults=1000"
		if token != "" {
			path += "&NextToken=" + url.QueryEscape(token)
		}
		if err := c.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return n, err
		}
		n += len(page.Errors)
		if token = page.NextToken; token == "" {
			return n, nil
		}
	}
}

// published asks the job's event stream whether the server has persisted the job's
// notification: for a terminal job the stream sends it at once when it exists.
func (c *client) published(ctx context.Context, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base()+"/v1/jobs/"+url.PathEscape(id)+"/events", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+c.creds().Key)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, &transportError{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, &apiError{Status: resp.StatusCode}
	}
	b, _ := io.ReadAll(resp.Body) // ends at the notification or at the timeout
	return bytes.Contains(b, []byte("event: notification")), nil
}

// rebase points a presigned URL at the current server (a restart may listen elsewhere; the
// signature covers the method, key and expiry, not the host).
func rebase(raw, base string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	b, err := url.Parse(base)
	if err != nil {
		return raw
	}
	u.Scheme, u.Host = b.Scheme, b.Host
	return u.String()
}

// put sends one presigned PUT. The body is paced so that it takes about pace in all, and
// progress is called with the bytes sent so far. It returns the HTTP status (0 when no answer
// arrived) and the answer's body.
func (c *client) put(ctx context.Context, p presigned, data []byte, pace time.Duration, progress func(int)) (int, string, error) {
	body := &pacedReader{ctx: ctx, data: data, progress: progress}
	if pace > 0 && len(data) > 0 {
		chunks := max(1, len(data)/(16<<10))
		body.chunk = (len(data) + chunks - 1) / chunks
		body.pause = pace / time.Duration(chunks)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, rebase(p.URL, c.base()), body)
	if err != nil {
		return 0, "", err
	}
	req.ContentLength = int64(len(data))
	if len(data) == 0 {
		req.Body = http.NoBody
	}
	for k, v := range p.Headers {
		if strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Host") {
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, "", ctx.Err()
		}
		return 0, "", &transportError{err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(b)), nil
}

type pacedReader struct {
	ctx      context.Context
	data     []byte
	off      int
	chunk    int
	pause    time.Duration
	progress func(int)
}

func (r *pacedReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	if r.chunk > 0 && r.off > 0 && r.off%r.chunk == 0 {
		select {
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		case <-time.After(r.pause):
		}
	}
	n := len(p)
	if r.chunk > 0 {
		n = min(n, r.chunk-r.off%r.chunk)
	}
	n = copy(p, r.data[r.off:r.off+min(n, len(r.data)-r.off)])
	r.off += n
	if r.progress != nil {
		r.progress(r.off)
	}
	return n, nil
}

// download fetches a presigned GET URL.
func (c *client) download(ctx context.Context, p presigned) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rebase(p.URL, c.base()), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &transportError{err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &transportError{err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &apiError{Status: resp.StatusCode, Message: strings.TrimSpace(string(b))}
	}
	return b, nil
}

// oneMember checks that an output.tar.gz is one gzip member, as readers of one member (Python's
// "r|gz", zlib) need: read to its end, with its CRC-32 and size checked, and nothing after it.
func oneMember(archive []byte) error {
	br := bytes.NewReader(archive)
	gz, err := gzip.NewReader(br)
	if err != nil {
		return fmt.Errorf("output.tar.gz: %w", err)
	}
	gz.Multistream(false)
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return fmt.Errorf("output.tar.gz: %w", err)
	}
	if br.Len() > 0 {
		return fmt.Errorf("output.tar.gz: %d bytes after its first gzip member", br.Len())
	}
	return nil
}

// outputEntry returns the "output" entry of an output.tar.gz, which must be one gzip member.
func outputEntry(archive []byte) ([]byte, error) {
	if err := oneMember(archive); err != nil {
		return nil, err
	}
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("output.tar.gz: %w", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("output.tar.gz has no entry named output")
		}
		if err != nil {
			return nil, fmt.Errorf("output.tar.gz: %w", err)
		}
		if h.Name == "output" {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("output.tar.gz entry output: %w", err)
			}
			return b, nil
		}
	}
}
