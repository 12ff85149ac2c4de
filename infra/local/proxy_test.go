package local

// A team's ream serve behind a reverse proxy that terminates TLS: the server listens on
// loopback, clients reach it at another name (https://example.com, which the test proxy's
// client dials on loopback), at the root or under a path the proxy strips.

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/comprehend"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// publicHost is the name clients use; httptest's TLS client sends it to the test proxy.
const publicHost = "https://example.com"

// reverseProxy is a TLS reverse proxy on loopback in front of a stack started with cfg: it
// strips prefix from the paths it forwards and, unless keepHost, sends the backend's address as
// Host (as nginx's proxy_pass does by default), with X-Forwarded-* set. It returns the stack and
// the HTTP client that reaches the proxy as publicHost.
func reverseProxy(t *testing.T, cfg Config, prefix string, keepHost bool) (*Stack, *http.Client) {
	t.Helper()
	var target atomic.Pointer[url.URL]
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target.Load())
		pr.SetXForwarded()
		if keepHost {
			pr.Out.Host = pr.In.Host
		}
		if prefix != "" {
			p, ok := strings.CutPrefix(pr.In.URL.EscapedPath(), prefix)
			if !ok {
				p = "/not-routed-by-the-proxy" + pr.In.URL.EscapedPath()
			}
			pr.Out.URL.Path, pr.Out.URL.RawPath = "", ""
			if u, err := url.Parse(target.Load().String() + p); err == nil {
				pr.Out.URL.Path, pr.Out.URL.RawPath = u.Path, u.RawPath
			}
		}
	}}
	proxy := httptest.NewTLSServer(rp)
	t.Cleanup(proxy.Close)
	s := startStack(t, cfg, pipeline.Hooks{})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	target.Store(u)
	return s, proxy.Client()
}

// TestEventStreamAsksProxiesNotToBuffer: nginx buffers a proxied answer by default, so through
// it an event stream showed nothing (not its first progress event, no keep-alive) until the job
// ended, and a waiting CLI took the silent stream for a lost server after a minute (found
// through nginx 1.22 with its defaults). The stream asks for no buffering, as nginx reads it.
func TestEventStreamAsksProxiesNotToBuffer(t *testing.T) {
	s, hc := reverseProxy(t, Config{PublicURL: publicHost}, "", false)
	ctx := testCtx(t)
	res, err := defaultClient(s).CreateJob(ctx, lineJob("stream", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequestWithContext(ctx, method, publicHost+"/v1/jobs/"+res.JobId+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+DefaultKey)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Accel-Buffering") != "no" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s events through the proxy: %d, X-Accel-Buffering %q, Cache-Control %q; want 200, no, no-cache",
				method, resp.StatusCode, resp.Header.Get("X-Accel-Buffering"), resp.Header.Get("Cache-Control"))
		}
		if method == http.MethodGet {
			// The first progress event comes through at once.
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || line != "event: progress\n" {
				t.Errorf("first line through the proxy: %q, %v", line, err)
			}
		}
		resp.Body.Close()
	}
}

// TestBehindAProxyUnderAPath: a team serves ream serve at https://example.com/ream/ through a
// proxy that strips /ream and sends its own Host. publicURL names that path, so every URL the
// server hands out (a job's upload URL, its results' download URLs, a coding operation's
// requestUploadUrl and responseDownloadUrl) is under it, and a client that knows only the
// public URL uploads, follows and downloads through the proxy. Before, a publicURL with a path
// was refused at start, and without one the URLs pointed outside the proxy's /ream/.
func TestBehindAProxyUnderAPath(t *testing.T) {
	const public = publicHost + "/ream"
	_, hc := reverseProxy(t, Config{PublicURL: public + "/", ShardBytes: 4096}, "/ream", false)
	ctx := testCtx(t)
	under := func(what, u string) {
		t.Helper()
		if !strings.HasPrefix(u, public+"/objects/") {
			t.Fatalf("%s %q; want it under %s/objects/", what, u, public)
		}
	}
	c := &client.Client{Endpoint: public, APIKey: DefaultKey, HTTP: hc}
	input := readSample(t)
	res, err := c.CreateJob(ctx, lineJob("proxied", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	under("upload URL", res.Upload.URL)
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "reviews.txt", input)); err != nil {
		t.Fatalf("upload through the proxy: %v", err)
	}
	n, err := c.Follow(ctx, res.JobId, nil)
	if err != nil || n.InputDocumentsCount == 0 {
		t.Fatalf("follow through the proxy: %+v, %v", n, err)
	}
	links, err := c.Results(ctx, res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	under("manifest URL", links.Manifest.URL)
	under("output URL", links.Output.URL)
	dir := t.TempDir()
	if files, err := c.DownloadResults(ctx, res.JobId, dir); err != nil || len(files) == 0 {
		t.Fatalf("download through the proxy: %v, %v", files, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, api.ArchiveName)); err != nil || fi.Size() == 0 {
		t.Fatalf("downloaded archive: %v %v", fi, err)
	}

	// The coding surface: a token, an operation, its records up and its results down.
	cc := &client.Client{Endpoint: public, HTTP: hc}
	if err := cc.UseClientCredentials(ctx, DefaultClientID, DefaultClientSecret); err != nil {
		t.Fatalf("token through the proxy: %v", err)
	}
	op, err := cc.StartCoding(ctx, "occupation", "")
	if err != nil {
		t.Fatal(err)
	}
	under("requestUploadUrl", op.RequestUploadURL)
	if err := cc.UploadCodingRecords(ctx, op, filepath.Join("..", "..", "testdata", "coding", "records.jsonl")); err != nil {
		t.Fatalf("coding upload through the proxy: %v", err)
	}
	st, err := cc.WaitCoding(ctx, "occupation", "", op.OperationId, 20*time.Millisecond, nil)
	if err != nil || st.OperationStatus != api.OpComplete {
		t.Fatalf("coding operation: %+v, %v", st, err)
	}
	under("responseDownloadUrl", st.ResponseDownloadURL)
	under("metadataDownloadUrl", st.MetadataDownloadURL)
	if files, err := cc.DownloadCoding(ctx, st, t.TempDir()); err != nil || len(files) == 0 {
		t.Fatalf("coding download through the proxy: %v, %v", files, err)
	}
}

// TestComprehendBehindAProxy: the Comprehend surface's SigV4 signatures cover the host and the
// path the SDK sent them to, the proxy's, while the server sees the proxy's Host (nginx's
// default) and the path without the prefix: every signed request was refused
// (InvalidSignatureException). The server also takes a signature over publicURL's host and path;
// one made for any other host is still refused.
func TestComprehendBehindAProxy(t *testing.T) {
	for _, tc := range []struct{ name, publicURL, prefix, endpoint string }{
		{"root, Host rewritten", publicHost, "", publicHost},
		{"root with its default port", publicHost + ":443/", "", publicHost},
		{"under a path", publicHost + "/ream/", "/ream", publicHost + "/ream"},
		{"under a path, endpoint ending in /", publicHost + "/ream", "/ream", publicHost + "/ream/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, hc := reverseProxy(t, Config{PublicURL: tc.publicURL}, tc.prefix, false)
			ctx := testCtx(t)
			sdk := func(endpoint string) *comprehend.Client {
				return comprehend.NewFromConfig(aws.Config{Region: "us-east-1", HTTPClient: hc,
					Credentials: credentials.NewStaticCredentialsProvider(DefaultAccessKeyID, DefaultSecretAccessKey, "")},
					func(o *comprehend.Options) {
						o.BaseEndpoint = aws.String(endpoint)
						o.RetryMaxAttempts = 1
					})
			}
			if _, err := sdk(tc.endpoint).ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{}); err != nil {
				t.Fatalf("a request signed for %s, through the proxy: %v", tc.endpoint, err)
			}
			// The test proxy's client reaches it at any subdomain of example.com too: a request
			// signed for another host than publicURL's is refused.
			other := strings.Replace(tc.endpoint, "example.com", "other.example.com", 1)
			if _, err := sdk(other).ListSentimentDetectionJobs(ctx, &comprehend.ListSentimentDetectionJobsInput{}); err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
				t.Fatalf("a request signed for %s: %v; want InvalidSignatureException", other, err)
			}
		})
	}
}
