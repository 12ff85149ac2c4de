// Package local wires the embedded local stack: the shared/local adapters (SQLite jobs and
// queues, files for objects, the local topic) behind the same pipeline and the same handlers the
// Lambdas run. The local runtime builds the event payloads the AWS services would send (S3Event,
// SQSEvent batches with partial failures, API Gateway v2 requests, EventBridge schedules) and
// calls the handlers with them.
package local

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ream-dev/ream/internal/jsonkeys"
	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Config configures `ream serve`. It is read from a JSON file (--config) with these field
// names; every field is optional, and a number or duration that is 0 (or absent) means its
// default. Start checks the values (validate).
type Config struct {
	// DataDir holds the SQLite database and the objects (default DefaultDataDir).
	DataDir string `json:"dataDir"`
	// Addr is the listen address (default 127.0.0.1:8080; port 0 picks a free one).
	Addr string `json:"addr"`
	// PublicURL is the URL clients reach this server at, which presigned upload and download
	// URLs name (default http:// and the address listened on). Set it when listening on every
	// interface (":8080") or behind a name or a proxy: an absolute http(s) URL, whose path, if
	// any, is the prefix a reverse proxy serves this server under and strips before forwarding.
	PublicURL string `json:"publicURL"`
	// CORSAllowedOrigins are the origins of the web pages that may call the API and use the
	// presigned URLs from a browser ("https://app.example.com", "http://localhost:5173", or "*"
	// for any page): the API and the presigned URLs then answer CORS as API Gateway and the
	// bucket do on AWS (api.APICORS, api.ObjectsCORS; cors.go). Default none: unlike the CDK
	// construct's default "*", a page could otherwise use the published local-dev-key from any
	// site its user visits.
	CORSAllowedOrigins []string `json:"corsAllowedOrigins"`
	// Keys maps API keys to tenants (default {"local-dev-key": "local"}).
	Keys map[string]string `json:"keys"`
	// OAuthClients may get access tokens from POST /oauth2/token (client-credentials grant, the
	// client id and secret in HTTP Basic or in the form body) and call the API with them, as the tenant given (default: one
	// client "local-coding-client" / "local-coding-secret" of tenant "local").
	OAuthClients []OAuthClient `json:"oauthClients"`
	// AccessKeys sign requests to the Comprehend-compatible API (POST /, SigV4 with service
	// "comprehend"), each for its tenant (default: one pair, DefaultAccessKeyID /
	// DefaultSecretAccessKey, of tenant "local").
	AccessKeys []AccessKey `json:"accessKeys"`
	// CodingRetention is how long a coding operation's output is kept (default 24h; whole
	// hours: a job's retention is a number of hours).
	CodingRetention Duration `json:"codingRetention"`
	// Webhooks receive every terminal job's notification as a JSON POST. Deliveries still
	// pending for a webhook no longer listed here (same url and tenant) are dropped at the next
	// start, with a warning per url.
	Webhooks []Webhook `json:"webhooks"`
	// WebhookAttempts and WebhookMaxBackoff bound the retries of a delivery that fails: waits
	// from 1 s doubling up to WebhookMaxBackoff, WebhookAttempts in all (defaults 300 and 5 min:
	// about 24 hours), then the delivery is abandoned (logged).
	WebhookAttempts   int      `json:"webhookAttempts"`
	WebhookMaxBackoff Duration `json:"webhookMaxBackoff"`
	// Languages restricts language detection to these ISO 639-1 codes (default: the analyser's set).
	Languages []string `json:"languages"`
	// MaxDocumentBytes overrides per-analysis document limits, e.g. {"SENTIMENT": 5000}.
	MaxDocumentBytes map[job.Analysis]int `json:"maxDocumentBytes"`
	// ShardBytes is the nominal shard size (default 1 MiB).
	ShardBytes int64 `json:"shardBytes"`
	// MaxInputBytes is the per-job input limit (default 5 GB).
	MaxInputBytes int64 `json:"maxInputBytes"`
	// Workers is how many shard batches analyse at once (default: number of CPUs). With
	// BatchSize 1 a shard whose records are encoded lets the next one start while it waits for
	// the disk (its results' sync, its record), so up to Workers more may be finishing meanwhile.
	Workers int `json:"workers"`
	// BatchSize is how many shard messages one worker invocation receives (default 1, so that
	// the workers share a small job's shards; at most 10, SQS's maximum).
	BatchSize int `json:"batchSize"`
	// VisibilityTimeout hides a received shard message (default 1 min): after a crash, the
	// shards that were running come back after it. A clean stop hands them back at once.
	VisibilityTimeout Duration `json:"visibilityTimeout"`
	// MaxReceiveCount dead-letters a shard message after this many receives (default 3).
	MaxReceiveCount int `json:"maxReceiveCount"`
	// SweepInterval is the sweeper's schedule (default 1 min).
	SweepInterval Duration `json:"sweepInterval"`
	// UploadTTL is how long upload URLs stay valid (default 1 h).
	UploadTTL Duration `json:"uploadTTL"`
	// Retention is how long a finished job and its output are kept (default 30 days); the
	// sweeper then deletes them.
	Retention Duration `json:"retention"`
	// InputRetention is how long a file under objects/inputs/ is kept after it arrived (the
	// later of its modification and inode change times): files in drop folders, inputs named by
	// S3Uri and uploads alike, as the bucket's lifecycle deletes inputs/ after
	// InputRetentionDays on AWS (default: the retention; at least 1h). The expiry pass
	// (ExpiryPassEvery) deletes them (expireInputs).
	InputRetention Duration `json:"inputRetention"`
	// StuckAfter: a running job with no progress for this long has its shards re-enqueued (default 15 min).
	StuckAfter Duration `json:"stuckAfter"`
	// ExpiryPassEvery is how often the sweeper starts a pass over the finished jobs, for their
	// expiry and any lost notification (default 1 h; pipeline.Config.ExpiryPassEvery).
	ExpiryPassEvery Duration `json:"expiryPassEvery"`
	// PollInterval is how often idle queue pollers look for messages (default 50 ms).
	PollInterval Duration `json:"pollInterval"`
	// MaxUploadBytes bounds one presigned upload (default 5 GB).
	MaxUploadBytes int64 `json:"maxUploadBytes"`
	// DropSettle is how long a file in a drop folder must go untouched before it starts its
	// job (default 2 s; see dropwatch.go).
	DropSettle Duration `json:"dropSettle"`
}

// OAuthClient is one client of the client-credentials grant.
type OAuthClient struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	Tenant       string `json:"tenant"`
}

// AccessKey is an access key id and secret for SigV4-signed (Comprehend) requests of a tenant.
type AccessKey struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	Tenant          string `json:"tenant"`
}

// Default access key pair of the local configuration (tenant "local").
const (
	DefaultAccessKeyID     = "AKIAREAMLOCAL0000001"
	DefaultSecretAccessKey = "local-comprehend-secret-key"
)

// Default OAuth client of the local configuration.
const (
	DefaultClientID     = "local-coding-client"
	DefaultClientSecret = "local-coding-secret"
)

// Webhook is one notification subscriber.
type Webhook struct {
	URL    string `json:"url"`
	Tenant string `json:"tenant,omitempty"`
}

// Duration is a time.Duration written as a Go duration string in JSON ("90s", "5m").
type Duration time.Duration

// UnmarshalJSON parses a duration string ("90s", "5m"). Anything else, a bare number included
// (60 would be 60 nanoseconds), is a *json.UnmarshalTypeError, which the decoder completes with
// the field's name (LoadConfig words it).
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil // as for a number: null is left out, the default
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b) + " " + string(b), Type: durationType}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string " + string(b), Type: durationType}
	}
	*d = Duration(v)
	return nil
}

var durationType = reflect.TypeFor[Duration]()

// jsonKind names the kind of the JSON value b (a number, an object, ...).
func jsonKind(b []byte) string {
	switch b = bytes.TrimSpace(b); {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == 'n':
		return "null"
	}
	return "number"
}

// DefaultKey is the API key of the default local configuration.
const DefaultKey = "local-dev-key"

// DefaultAddr is the listen address without addr in the config (the CLI's default endpoint).
const DefaultAddr = "127.0.0.1:8080"

// publishedCredentials names the credentials c (with its defaults) accepts that the README
// publishes: the built-in API key, OAuth client and access key pair, each when its secret is the
// published one.
func (c Config) publishedCredentials() []string {
	var names []string
	if _, ok := c.Keys[DefaultKey]; ok {
		names = append(names, "the API key "+DefaultKey)
	}
	for _, oc := range c.OAuthClients {
		if oc.ClientSecret == DefaultClientSecret {
			names = append(names, "the OAuth client "+oc.ClientID+" with the secret "+DefaultClientSecret)
		}
	}
	for _, k := range c.AccessKeys {
		if k.SecretAccessKey == DefaultSecretAccessKey {
			names = append(names, "the access key "+k.AccessKeyID+" with the secret "+DefaultSecretAccessKey)
		}
	}
	return names
}

// exposedCredentials is the warning for a server listening on addr, reachable from other
// machines (not loopback), that takes published credentials: anyone who reaches it acts as their
// tenants ("" when none; found in review: `ream serve --addr 0.0.0.0:8080` said nothing of it).
// A server on loopback whose publicURL names another host is served to others through a proxy:
// it is reachable all the same (found from outside: behind a team's proxy it said nothing).
func (c Config) exposedCredentials(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return ""
	}
	where := "listening on " + addr.String() + ", which other machines can reach"
	if tcp.IP.IsLoopback() {
		pub := c.publicURL()
		if pub == nil || loopbackHost(pub.Hostname()) {
			return ""
		}
		where = "served at " + c.PublicURL + " (its publicURL), which other machines can reach through a proxy"
	}
	names := c.publishedCredentials()
	if len(names) == 0 {
		return ""
	}
	return where + ", with credentials the README publishes (" +
		strings.Join(names, "; ") + "): anyone who reaches it can use them; set keys (and oauthClients and accessKeys) of your own in the config"
}

// loopbackHost reports whether a URL's host name names this machine alone: localhost (and its
// subdomains, RFC 6761) or a loopback address.
func loopbackHost(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// publicURL is PublicURL parsed (validated at start), or nil when it is not set.
func (c Config) publicURL() *url.URL {
	if c.PublicURL == "" {
		return nil
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return nil
	}
	return u
}

// DefaultDataDir is the data directory without dataDir in the config (and without --data and
// $REAM_DATA): `ream serve`'s, and so `ream keys`'s.
const DefaultDataDir = ".ream-data"

// LoadConfig reads a JSON config file; an empty path gives the defaults. A field the config
// does not have is an error (a misspelt "webhook" would otherwise quietly mean no webhooks), as
// is anything after the object.
func LoadConfig(path string) (Config, error) {
	var c Config
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, err
		}
		// A byte-order mark before the JSON (Windows editors write one; found from outside:
		// "invalid character 'ï'") is skipped, as in request bodies.
		b = bytes.TrimPrefix(b, input.BOM)
		t := bytes.TrimSpace(b)
		if len(t) == 0 {
			// Said as such (found from outside: "config ream.json: EOF").
			return c, fmt.Errorf(`config %s: the file is empty: it should hold a JSON object of the configuration's fields (see the README's Local stack section), e.g. {"workers": 4}, or {} for every default`, path)
		}
		if t[0] != '{' && json.Valid(t) {
			// Another JSON value is no configuration either (found from outside: a file
			// holding null was taken for {}, every default, without a word).
			return c, fmt.Errorf(`config %s: the file holds %.20s, not a JSON object: it should hold a JSON object of the configuration's fields (see the README's Local stack section), e.g. {"workers": 4}, or {} for every default`, path, t)
		}
		// The value is read whole first, so that a syntax error is placed (line and column: a
		// file is edited by hand), then its keys are checked (jsonkeys.CheckKnown: a key the
		// configuration does not have, or has in another case, or given twice, named with where
		// it is), then it is decoded, a value of the wrong kind said in JSON's terms
		// (jsonkeys.Problem). Found from outside: `"workers": "4"` was refused as `json: cannot
		// unmarshal string into Go struct field Config.workers of type int`, an unknown key in a
		// webhook as `json: unknown field "secret"` without saying where, and a missing comma as
		// `invalid character '"' after object key:value pair` without saying on which line.
		dec := json.NewDecoder(bytes.NewReader(b))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return c, fmt.Errorf("config %s: %s", path, syntaxProblem(b, err))
		}
		// Anything after the object, a stray "}" included (found from outside: dec.More, which
		// this used, is false before a "}", so `{"workers": 4}}` was taken).
		end := dec.InputOffset()
		if rest := bytes.TrimLeft(b[end:], " \t\r\n"); len(rest) > 0 {
			at := int64(len(b) - len(rest))
			return c, fmt.Errorf("config %s: %s: data after the JSON object (the file holds one JSON object)", path, jsonkeys.Position(b, at))
		}
		// Keys as the README spells them, once each, as the API's bodies (found from outside:
		// "Workers" was taken for "workers", and a key given twice kept its last value).
		if err := jsonkeys.CheckKnown(raw, reflect.TypeOf(c)); err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
		vdec := json.NewDecoder(bytes.NewReader(raw))
		vdec.DisallowUnknownFields()
		if err := vdec.Decode(&c); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Type == durationType {
				return c, fmt.Errorf(`config %s: %q must be a duration string such as "60s", "5m" or "24h", not %s`, path, te.Field, te.Value)
			}
			return c, fmt.Errorf("config %s: %s", path, jsonkeys.Problem(err, "the configuration"))
		}
		if err := c.sensible(); err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	return c, nil
}

// syntaxProblem says what is wrong with a configuration file that is not JSON, and where.
func syntaxProblem(b []byte, err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// The offset is just past the byte the decoder refused.
		return fmt.Sprintf("%s: %s", jsonkeys.Position(b, se.Offset-1), se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the file ends before its JSON object does (a closing } or ] missing?)"
	}
	return jsonkeys.Problem(err, "the configuration")
}

// Bounds of a config file's values that a server can run on: beyond them it does not fail at
// once but misbehaves (found from outside: 100,000 workers ran out of file descriptors and
// logged errors by the hundred thousand; a 1-byte shard cut a 276 KB input into 276,528 shards;
// a 1 ns poll or sweep interval kept a core busy while idle). Tests configure the stack in code
// and may go below them.
const (
	maxWorkers       = 256
	minShardBytes    = 1024
	minPollInterval  = time.Millisecond
	minSweepInterval = time.Second
	minVisibility    = time.Second
	minRetention     = time.Hour
	// An upload URL's expiry is a whole second: under 1 s it may expire as it is issued (found
	// from outside: "1ns" was taken, and every upload was refused as expired).
	minUploadTTL = time.Second
	// A received shard message is hidden at most 12 hours, as SQS allows.
	maxVisibility = 12 * time.Hour
	// The first retry of a failed webhook delivery waits 1 s; a lower cap made every wait that
	// short (found from outside: "1ns" spent all of a delivery's attempts within 20 ms).
	minWebhookBackoff = time.Second
)

// sensible refuses a config file's values outside those bounds (0 still means the default).
func (c Config) sensible() error {
	switch {
	case c.Workers > maxWorkers:
		return fmt.Errorf("\"workers\" must be at most %d (got %d)", maxWorkers, c.Workers)
	case c.ShardBytes > 0 && c.ShardBytes < minShardBytes:
		return fmt.Errorf("\"shardBytes\" must be at least %d (got %d)", minShardBytes, c.ShardBytes)
	case c.PollInterval > 0 && time.Duration(c.PollInterval) < minPollInterval:
		return fmt.Errorf("\"pollInterval\" must be at least %v (got %v)", minPollInterval, time.Duration(c.PollInterval))
	case c.SweepInterval > 0 && time.Duration(c.SweepInterval) < minSweepInterval:
		return fmt.Errorf("\"sweepInterval\" must be at least %v (got %v)", minSweepInterval, time.Duration(c.SweepInterval))
	case c.VisibilityTimeout > 0 && time.Duration(c.VisibilityTimeout) < minVisibility:
		return fmt.Errorf("\"visibilityTimeout\" must be at least %v (got %v)", minVisibility, time.Duration(c.VisibilityTimeout))
	case time.Duration(c.VisibilityTimeout) > maxVisibility:
		// SQS's own bound; far beyond it a received message's deadline overflowed and the
		// message was at once visible again (found by a fuzzing review).
		return fmt.Errorf("\"visibilityTimeout\" must be at most %v, as SQS's (got %v)", maxVisibility, time.Duration(c.VisibilityTimeout))
	case c.Retention > 0 && time.Duration(c.Retention) < minRetention:
		// found from outside: "1ns" was taken, and every output was deleted as its job ended
		return fmt.Errorf("\"retention\" must be at least %v: a job keeps its output whole hours (got %v)", minRetention, time.Duration(c.Retention))
	case c.InputRetention > 0 && time.Duration(c.InputRetention) < minRetention:
		// as retention: an input would be deleted before its job could be planned
		return fmt.Errorf("\"inputRetention\" must be at least %v (got %v)", minRetention, time.Duration(c.InputRetention))
	case c.UploadTTL > 0 && time.Duration(c.UploadTTL) < minUploadTTL:
		return fmt.Errorf("\"uploadTTL\" must be at least %v (got %v)", minUploadTTL, time.Duration(c.UploadTTL))
	case c.WebhookMaxBackoff > 0 && time.Duration(c.WebhookMaxBackoff) < minWebhookBackoff:
		return fmt.Errorf("\"webhookMaxBackoff\" must be at least %v: the first retry waits that long (got %v)", minWebhookBackoff, time.Duration(c.WebhookMaxBackoff))
	case cmp.Or(time.Duration(c.StuckAfter), pipeline.DefaultStuckAfter) <= time.Duration(c.withDefaults().VisibilityTimeout):
		// a shard still running would be queued again beside itself (either may be the default)
		return fmt.Errorf("\"stuckAfter\" %v must be longer than \"visibilityTimeout\" %v", cmp.Or(time.Duration(c.StuckAfter), pipeline.DefaultStuckAfter), time.Duration(c.withDefaults().VisibilityTimeout))
	}
	return nil
}

// validate refuses values the config cannot mean, naming the field: a negative number or
// duration (0, or leaving it out, means the default), a maxDocumentBytes key that is not an
// analysis with a document limit or a limit that is not positive, a language the LANGUAGE
// analyser does not support, a webhook whose url is not an absolute http(s) URL or whose tenant
// is not valid. Start calls it first, for config files and programmatic configs alike.
func (c Config) validate() error {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"workers", int64(c.Workers)}, {"batchSize", int64(c.BatchSize)}, {"maxReceiveCount", int64(c.MaxReceiveCount)},
		{"webhookAttempts", int64(c.WebhookAttempts)}, {"shardBytes", c.ShardBytes}, {"maxInputBytes", c.MaxInputBytes},
		{"maxUploadBytes", c.MaxUploadBytes},
		{"retention", int64(c.Retention)}, {"visibilityTimeout", int64(c.VisibilityTimeout)}, {"sweepInterval", int64(c.SweepInterval)},
		{"uploadTTL", int64(c.UploadTTL)}, {"stuckAfter", int64(c.StuckAfter)}, {"pollInterval", int64(c.PollInterval)},
		{"dropSettle", int64(c.DropSettle)}, {"codingRetention", int64(c.CodingRetention)}, {"webhookMaxBackoff", int64(c.WebhookMaxBackoff)},
		{"expiryPassEvery", int64(c.ExpiryPassEvery)}, {"inputRetention", int64(c.InputRetention)},
	} {
		if f.v < 0 {
			return fmt.Errorf("config: %q must be positive (or left out for the default)", f.name)
		}
	}
	if r := time.Duration(c.CodingRetention); r%time.Hour != 0 {
		// A coding operation keeps its output a whole number of hours (its job's RetentionHours).
		return fmt.Errorf("config: \"codingRetention\" must be a whole number of hours such as \"24h\" (not %v)", r)
	}
	if ret := cmp.Or(time.Duration(c.Retention), pipeline.DefaultRetention); time.Duration(c.CodingRetention) > ret {
		// A job may not be kept longer than the deployment's retention (a create asking for
		// more is a 400), and neither may a coding operation.
		return fmt.Errorf("config: \"codingRetention\" %v is longer than \"retention\" %v", time.Duration(c.CodingRetention), ret)
	}
	if len(c.Languages) > 0 || len(c.MaxDocumentBytes) > 0 {
		// The analysers' own checks: the registry refuses a language the LANGUAGE analyser does
		// not support, and its names are the analyses a document limit applies to.
		reg, err := analysis.NewRegistry(c.Languages)
		if err != nil {
			return fmt.Errorf("config: \"languages\": %w", err)
		}
		keys := make([]job.Analysis, 0, len(c.MaxDocumentBytes))
		for a := range c.MaxDocumentBytes {
			keys = append(keys, a)
		}
		slices.Sort(keys)
		for _, a := range keys {
			if _, ok := reg[a]; !ok {
				return fmt.Errorf("config: \"maxDocumentBytes\": %q is not an analysis with a document limit (valid: %s)", a, job.List(reg.Names()))
			}
			if n := c.MaxDocumentBytes[a]; n <= 0 {
				return fmt.Errorf("config: \"maxDocumentBytes\": %q must be a positive number of bytes, not %d (leave it out for the default)", a, n)
			}
		}
	}
	for _, o := range c.CORSAllowedOrigins {
		if err := api.ValidCORSOrigin(o); err != nil {
			return fmt.Errorf("config: \"corsAllowedOrigins\": %w", err)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		// A path is the prefix a reverse proxy serves the server under and strips (found from
		// outside: a team's proxy at https://host/ream/ could not be named, so the presigned
		// URLs pointed outside it). It must be in canonical form: it is joined to /objects/….
		p := strings.TrimSuffix(u.EscapedPath(), "/")
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil ||
			(p != "" && (path.Clean(p) != p || !strings.HasPrefix(p, "/"))) {
			return fmt.Errorf("config: \"publicURL\" %q must be an absolute http or https URL with a host and at most a path (the prefix a reverse proxy strips), no query, such as \"http://ream.example:8080\" or \"https://tools.example/ream/\"", c.PublicURL)
		}
	}
	for k, tenant := range c.Keys {
		if k == "" {
			return fmt.Errorf("config: \"keys\": an API key is empty")
		}
		if !layout.ValidTenant(tenant) {
			return fmt.Errorf("config: \"keys\": the tenant of key %q: %q: use letters, digits, '.', '_' or '-'", k, tenant)
		}
	}
	for i, w := range c.Webhooks {
		// The url is named as the logs name it (sl.LogURL): its user information, path and query
		// may hold the receiver's secret (found from outside: a url with a password and a port
		// out of range printed both at start, on the stderr the logs go to).
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: \"webhooks\"[%d]: url %s must be an absolute http or https URL with a host", i, sl.LogURL(w.URL))
		}
		if p := u.Port(); p != "" {
			// url.Parse takes any digits; a port out of range failed only at each delivery
			// (found from outside: 300 attempts over a day, each "invalid port").
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("config: \"webhooks\"[%d]: url %s: port %s is not 1-65535", i, sl.LogURL(w.URL), p)
			}
		}
		if w.Tenant != "" && !layout.ValidTenant(w.Tenant) {
			return fmt.Errorf("config: \"webhooks\"[%d]: tenant %q: use letters, digits, '.', '_' or '-'", i, w.Tenant)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	// The built-in credentials (published in the README) are a set: a config that lists its own
	// API keys gets no built-in OAuth client or access key pair either, only those it lists
	// (found from outside: an operator who replaced local-dev-key with the team's keys still
	// let anyone in as tenant "local" with local-coding-client / local-coding-secret).
	builtIn := len(c.Keys) == 0
	if builtIn {
		c.Keys = map[string]string{DefaultKey: "local"}
	}
	if len(c.OAuthClients) == 0 && builtIn {
		c.OAuthClients = []OAuthClient{{ClientID: DefaultClientID, ClientSecret: DefaultClientSecret, Tenant: "local"}}
	}
	if len(c.AccessKeys) == 0 && builtIn {
		c.AccessKeys = []AccessKey{{AccessKeyID: DefaultAccessKeyID, SecretAccessKey: DefaultSecretAccessKey, Tenant: "local"}}
	}
	if c.CodingRetention <= 0 {
		// 24 hours, or the retention when that is shorter (found from outside: with
		// "retention": "1h" a coding operation was kept 24 hours).
		c.CodingRetention = Duration(pipeline.DefaultCodingRetention(time.Duration(c.Retention)))
	}
	if c.InputRetention <= 0 {
		// as InputRetentionDays defaults to RetentionDays on AWS
		c.InputRetention = Duration(cmp.Or(time.Duration(c.Retention), pipeline.DefaultRetention))
	}
	if c.Workers <= 0 {
		c.Workers = max(2, numCPU())
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1
	}
	c.BatchSize = min(c.BatchSize, 10)
	if c.VisibilityTimeout <= 0 {
		c.VisibilityTimeout = Duration(time.Minute)
	}
	if c.MaxReceiveCount <= 0 {
		c.MaxReceiveCount = 3
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = Duration(time.Minute)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = Duration(50 * time.Millisecond)
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = pipeline.DefaultMaxInputBytes // an upload may be as large as a job's input
	}
	if c.DropSettle <= 0 {
		c.DropSettle = Duration(2 * time.Second)
	}
	if c.WebhookAttempts <= 0 {
		c.WebhookAttempts = sl.DefaultWebhookAttempts
	}
	if c.WebhookMaxBackoff <= 0 {
		c.WebhookMaxBackoff = Duration(sl.DefaultWebhookMaxBackoff)
	}
	return c
}

func (c Config) webhooks() []sl.Webhook {
	out := make([]sl.Webhook, len(c.Webhooks))
	for i, w := range c.Webhooks {
		out[i] = sl.Webhook{URL: w.URL, Tenant: w.Tenant}
	}
	return out
}
