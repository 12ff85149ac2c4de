package local

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestConfigFields: the README's example config loads (every field it documents exists), and a
// field the config does not have is an error naming it (a misspelt "webhook" was silently
// ignored: no webhooks).
func TestConfigFields(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "Configuration: `ream serve --config ream.json`")
	if !ok {
		t.Fatal("README has no configuration section")
	}
	_, rest, _ = strings.Cut(rest, "```json\n")
	example, _, _ := strings.Cut(rest, "```")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := LoadConfig(write("readme.json", example))
	if err != nil || c.WebhookAttempts != 300 || len(c.Webhooks) != 1 || c.DropSettle <= 0 {
		t.Fatalf("the README's example config: %+v, %v", c, err)
	}
	if err := c.validate(); err != nil {
		t.Errorf("the README's example config: %v", err)
	}
	if _, err := LoadConfig(write("typo.json", `{"webhook": [{"url": "http://127.0.0.1:9000/hook"}]}`)); err == nil || !strings.Contains(err.Error(), `"webhook"`) {
		t.Errorf("an unknown field: %v, want an error naming it", err)
	}
	if _, err := LoadConfig(write("two.json", `{} {}`)); err == nil {
		t.Error("two JSON values accepted")
	}
	// An API key listed twice gave the key the last tenant silently (found from outside).
	if _, err := LoadConfig(write("keytwice.json", `{"keys": {"k1": "tenanta", "k1": "tenantb"}}`)); err == nil || !strings.Contains(err.Error(), `"k1" is given twice in keys`) {
		t.Errorf("an API key listed twice: %v, want an error naming it", err)
	}
	if _, err := LoadConfig(write("limittwice.json", `{"maxDocumentBytes": {"SENTIMENT": 1000, "SENTIMENT": 2000}}`)); err == nil || !strings.Contains(err.Error(), `"SENTIMENT" is given twice`) {
		t.Errorf("a limit given twice: %v, want an error naming it", err)
	}
}

// startErr starts a stack on cfg (a fresh data directory, a free port, no analysers to load) and
// returns Start's error; a stack that starts is closed at once.
func startErr(t *testing.T, cfg Config) error {
	t.Helper()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Addr = "127.0.0.1:0"
	s, err := Start(t.Context(), cfg, Options{Analyzers: analysis.Registry{}, Log: slog.New(slog.DiscardHandler)})
	if err == nil {
		s.Close()
	}
	return err
}

// TestConfigValidate: Start refuses a config value it cannot mean, naming the field, instead of
// quietly using a default (a negative number or duration, a maxDocumentBytes limit of 0) or
// ignoring it (a maxDocumentBytes key that is no analysis, "SENTIMENTS" or "sentiment"; a
// webhook url without a scheme or host, never delivered). 0 keeps meaning the default.
func TestConfigValidate(t *testing.T) {
	// Every number and duration of the config, by reflection, so that a new one is covered.
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if k := f.Type.Kind(); k != reflect.Int && k != reflect.Int64 {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		var cfg Config
		reflect.ValueOf(&cfg).Elem().Field(i).SetInt(-1)
		want := fmt.Sprintf("config: %q must be positive (or left out for the default)", name)
		if err := startErr(t, cfg); err == nil || err.Error() != want {
			t.Errorf("%s -1: %v; want %q", name, err, want)
		}
	}
	for _, c := range []struct {
		cfg  Config
		want []string // in the error; none: accepted
	}{
		{Config{}, nil},
		{Config{Workers: 3, Retention: Duration(time.Hour), MaxDocumentBytes: map[job.Analysis]int{job.Sentiment: 5000, job.PII: 1}}, nil},
		{Config{MaxDocumentBytes: map[job.Analysis]int{"SENTIMENTS": 5000}}, []string{`"maxDocumentBytes"`, `"SENTIMENTS"`, "ENTITIES, KEY_PHRASES, LANGUAGE, PII, SENTIMENT"}},
		{Config{MaxDocumentBytes: map[job.Analysis]int{"sentiment": 5000}}, []string{`"maxDocumentBytes"`, `"sentiment"`, "SENTIMENT"}},
		{Config{MaxDocumentBytes: map[job.Analysis]int{job.Topics: 5000}}, []string{`"maxDocumentBytes"`, `"TOPICS"`}},
		{Config{MaxDocumentBytes: map[job.Analysis]int{job.Sentiment: 0}}, []string{`"maxDocumentBytes"`, `"SENTIMENT" must be a positive number`}},
		{Config{MaxDocumentBytes: map[job.Analysis]int{job.Language: -5}}, []string{`"maxDocumentBytes"`, `"LANGUAGE" must be a positive number`}},
		{Config{Languages: []string{"en", "fr"}}, nil},
		{Config{Languages: []string{"en", "xx"}}, []string{`"languages"`, `"xx"`}},
		// Cut to whole hours before (found from outside: "2m" kept outputs 1 h, "90m" 1 h).
		{Config{CodingRetention: Duration(2 * time.Minute)}, []string{`"codingRetention"`, "whole number of hours"}},
		{Config{CodingRetention: Duration(90 * time.Minute)}, []string{`"codingRetention"`, "whole number of hours"}},
		// Coding operations outlived the deployment's retention (found from outside: 1000h).
		{Config{CodingRetention: Duration(1000 * time.Hour)}, []string{`"codingRetention" 1000h0m0s is longer than "retention" 720h0m0s`}},
		{Config{CodingRetention: Duration(48 * time.Hour), Retention: Duration(24 * time.Hour)}, []string{`"codingRetention"`, `"retention" 24h0m0s`}},
		{Config{CodingRetention: Duration(720 * time.Hour)}, nil},
		{Config{OAuthClients: []OAuthClient{{ClientID: "c", ClientSecret: "s1", Tenant: "t1"}, {ClientID: "c", ClientSecret: "s2", Tenant: "t2"}}},
			[]string{`oauthClients: client "c" is listed twice`}},
		{Config{Webhooks: []Webhook{{URL: "http://127.0.0.1:9000/hook", Tenant: "local"}, {URL: "https://example.com/h"}}}, nil},
		{Config{Webhooks: []Webhook{{URL: "http://127.0.0.1:9000/hook"}, {URL: "127.0.0.1:9000/hook"}}}, []string{`"webhooks"[1]`, "url (a webhook URL)#", "absolute http or https URL"}},
		{Config{Webhooks: []Webhook{{URL: "/hook"}}}, []string{`"webhooks"[0]`, "url (a webhook URL)#"}},
		{Config{Webhooks: []Webhook{{URL: "ftp://example.com/hook"}}}, []string{`"webhooks"[0]`, "url ftp://example.com/…#"}},
		{Config{Webhooks: []Webhook{{URL: "http:///hook"}}}, []string{`"webhooks"[0]`}},
		{Config{Webhooks: []Webhook{{URL: ""}}}, []string{`"webhooks"[0]`}},
		{Config{Webhooks: []Webhook{{URL: "http://127.0.0.1:99999/x"}}}, []string{`"webhooks"[0]`, "port 99999 is not 1-65535"}},
		{Config{Webhooks: []Webhook{{URL: "http://127.0.0.1:0/x"}}}, []string{`"webhooks"[0]`, "port 0"}},
		{Config{Webhooks: []Webhook{{URL: "http://127.0.0.1:9000/hook", Tenant: "bad tenant!"}}}, []string{`"webhooks"[0]`, `"bad tenant!"`}},
		// An empty key replaced the default one and matched nothing (found from outside).
		{Config{Keys: map[string]string{"": "local"}}, []string{`"keys"`, "empty"}},
		{Config{Keys: map[string]string{"k": ""}}, []string{`"keys"`, `"k"`}},
	} {
		err := startErr(t, c.cfg)
		if len(c.want) == 0 {
			if err != nil {
				t.Errorf("%+v refused: %v", c.cfg, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%+v accepted; want an error with %q", c.cfg, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v; want %q in it", c.cfg, err, w)
			}
		}
	}
}

// TestConfigDurationStrings: a duration is a string such as "60s"; a bare number (read as
// nanoseconds: "visibilityTimeout": 60 hid every message for 60 ns) or an unparsable string is
// an error naming the field.
func TestConfigDurationStrings(t *testing.T) {
	dir := t.TempDir()
	load := func(body string) (Config, error) {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return LoadConfig(p)
	}
	if c, err := load(`{"visibilityTimeout": "60s", "retention": "720h"}`); err != nil || c.VisibilityTimeout != Duration(time.Minute) || c.Retention != Duration(720*time.Hour) {
		t.Errorf("duration strings: %+v, %v", c, err)
	}
	if c, err := load("\ufeff{\"workers\": 2, \"visibilityTimeout\": \"12h\", \"stuckAfter\": \"13h\"}\n"); err != nil || c.Workers != 2 {
		// A byte-order mark before the object, as Windows editors write (found from outside:
		// "invalid character 'ï'"), and SQS's longest visibility.
		t.Errorf("a config file with a UTF-8 byte-order mark: %+v, %v", c, err)
	}
	if c, err := load(`{"retention": null, "workers": null}`); err != nil || c.Retention != 0 || c.Workers != 0 {
		t.Errorf("null values: %+v, %v; want the defaults, as when left out", c, err)
	}
	if _, err := load(`{"workers": 256, "shardBytes": 1024, "pollInterval": "1ms", "sweepInterval": "1s", "visibilityTimeout": "1s", "uploadTTL": "1s", "webhookMaxBackoff": "1s"}`); err != nil {
		t.Errorf("the bounds themselves: %v", err)
	}
	for body, want := range map[string][]string{
		`{"visibilityTimeout": 60}`:       {`"visibilityTimeout"`, `"60s"`, "number 60"},
		`{"retention": 2.5}`:              {`"retention"`, "number 2.5"},
		`{"sweepInterval": "5 minutes"}`:  {`"sweepInterval"`, `"5 minutes"`},
		`{"dropSettle": true}`:            {`"dropSettle"`},
		`{"webhookMaxBackoff": {"m": 5}}`: {`"webhookMaxBackoff"`},
		// Values a server starts on but cannot run sensibly (found from outside).
		`{"workers": 100000}`:                               {`"workers" must be at most 256`},
		`{"shardBytes": 1}`:                                 {`"shardBytes" must be at least 1024`},
		`{"pollInterval": "1ns"}`:                           {`"pollInterval" must be at least 1ms`},
		`{"sweepInterval": "1ns"}`:                          {`"sweepInterval" must be at least 1s`},
		`{"visibilityTimeout": "10ms"}`:                     {`"visibilityTimeout" must be at least 1s`},
		`{"retention": "1ns"}`:                              {`"retention" must be at least 1h0m0s`},
		`{"inputRetention": "30m"}`:                         {`"inputRetention" must be at least 1h0m0s`},
		`{"uploadTTL": "1ns"}`:                              {`"uploadTTL" must be at least 1s`},
		`{"webhookMaxBackoff": "1ns"}`:                      {`"webhookMaxBackoff" must be at least 1s`},
		`{"stuckAfter": "1ns"}`:                             {`"stuckAfter" 1ns must be longer than "visibilityTimeout" 1m0s`},
		`{"stuckAfter": "30s", "visibilityTimeout": "30s"}`: {`"stuckAfter" 30s must be longer than "visibilityTimeout" 30s`},
		`{"visibilityTimeout": "30m"}`:                      {`"stuckAfter" 15m0s must be longer than "visibilityTimeout" 30m0s`},
		// Past SQS's 12 hours (far past them a message's deadline overflowed: found by fuzzing).
		`{"visibilityTimeout": "13h", "stuckAfter": "14h"}`:           {`"visibilityTimeout" must be at most 12h0m0s`},
		`{"visibilityTimeout": "2100000h", "stuckAfter": "2100001h"}`: {`"visibilityTimeout" must be at most 12h0m0s`},
		// Keys as documented, once each, as in the API's bodies (found from outside).
		`{"Workers": 2}`:               {"Workers"},
		`{"workers": 2, "workers": 3}`: {"workers"},
	} {
		c, err := load(body)
		if err == nil {
			t.Errorf("%s: accepted as %+v", body, c)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v; want %q in it", body, err, w)
			}
		}
	}
}

// TestConfigEmptyFile: an empty (or blank) config file is an error saying it is empty and what
// it should hold, a JSON object (found from outside: "config ream.json: EOF").
func TestConfigEmptyFile(t *testing.T) {
	dir := t.TempDir()
	for _, body := range []string{"", " \n\t\n"} {
		p := filepath.Join(dir, "ream.json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(p)
		if err == nil || !strings.Contains(err.Error(), "config "+p+": the file is empty") || !strings.Contains(err.Error(), "JSON object") || strings.Contains(err.Error(), "EOF") {
			t.Errorf("config %q: %v; want an error saying %s is empty and should hold a JSON object", body, err, p)
		}
	}
}

// TestCodingRetentionDefaultWithinRetention: left out, codingRetention is 24 hours or the
// retention when that is shorter, since a coding operation may not be kept longer than a job
// (a codingRetention given longer than retention is refused); with "retention": "1h" a coding
// operation was kept 24 hours.
func TestCodingRetentionDefaultWithinRetention(t *testing.T) {
	for ret, want := range map[time.Duration]time.Duration{
		0: 24 * time.Hour, time.Hour: time.Hour, 5 * time.Hour: 5 * time.Hour, 48 * time.Hour: 24 * time.Hour,
	} {
		c := Config{Retention: Duration(ret)}
		if err := c.validate(); err != nil {
			t.Fatalf("retention %v: %v", ret, err)
		}
		if got := time.Duration(c.withDefaults().CodingRetention); got != want {
			t.Errorf("retention %v: codingRetention defaults to %v; want %v", ret, got, want)
		}
	}
}

// TestInputRetentionDefault: left out, inputRetention is the retention (its default when that
// is left out too), as InputRetentionDays is RetentionDays on AWS; given, it is kept.
func TestInputRetentionDefault(t *testing.T) {
	for _, c := range []struct{ cfg, want time.Duration }{
		{0, pipeline.DefaultRetention}, {5 * time.Hour, 5 * time.Hour},
	} {
		if got := time.Duration(Config{Retention: Duration(c.cfg)}.withDefaults().InputRetention); got != c.want {
			t.Errorf("retention %v: inputRetention defaults to %v; want %v", c.cfg, got, c.want)
		}
	}
	if got := time.Duration(Config{Retention: Duration(5 * time.Hour), InputRetention: Duration(2 * time.Hour)}.withDefaults().InputRetention); got != 2*time.Hour {
		t.Errorf("inputRetention 2h: %v", got)
	}
}

// TestConfigNotAnObject: a config file holding another JSON value than an object (null, an
// array, a number, a string) is an error saying it should hold a JSON object (found from
// outside: null was taken for {}, every default, without a word).
func TestConfigNotAnObject(t *testing.T) {
	dir := t.TempDir()
	for _, body := range []string{"null", " null\n", "[]", "4", `"workers"`} {
		p := filepath.Join(dir, "ream.json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(p)
		if err == nil || !strings.Contains(err.Error(), "config "+p+": the file holds "+strings.TrimSpace(body)+", not a JSON object") {
			t.Errorf("config %q: %v; want an error saying %s should hold a JSON object", body, err, p)
		}
	}
}

// TestConfigWebhookErrorHidesSecrets: a webhook the config refuses is named as the logs name it,
// scheme and host, without the user information, path and query that may hold the receiver's
// secret (both were printed whole at start).
func TestConfigWebhookErrorHidesSecrets(t *testing.T) {
	for _, raw := range []string{
		"http://ream:s3cret@127.0.0.1:99999/hook/s3cret-path?k=s3cret",
		"ftp://ream:s3cret@127.0.0.1:9000/hook/s3cret-path",
		"ream:s3cret@127.0.0.1:9000/s3cret-path",
	} {
		err := startErr(t, Config{Webhooks: []Webhook{{URL: raw}}})
		if err == nil {
			t.Errorf("%q accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), `"webhooks"[0]: url `) {
			t.Errorf("%q refused with %q; want the url named without its secrets", raw, err)
		}
	}
}

// TestExposedCredentialsWarning: a server other machines can reach (not on loopback) that still
// takes the credentials the README publishes warns at start, naming each; on loopback, or with
// credentials of the operator's own, it says nothing (found in review: `ream serve --addr
// 0.0.0.0:8080` without a config let anyone on the network in as tenant "local", silently). A
// server on loopback whose publicURL names another host is reached through a proxy: it warns too
// (found from outside: behind a team's TLS proxy it said nothing).
func TestExposedCredentialsWarning(t *testing.T) {
	own := Config{Keys: map[string]string{"k-7f3a": "team"},
		OAuthClients: []OAuthClient{{ClientID: "c", ClientSecret: "s-91bd", Tenant: "team"}},
		AccessKeys:   []AccessKey{{AccessKeyID: "AKIAOWN0000000000001", SecretAccessKey: "x-22", Tenant: "team"}}}
	onlyClients := Config{OAuthClients: own.OAuthClients} // keys left out: the built-in key stays
	every := &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}
	lan := &net.TCPAddr{IP: net.ParseIP("192.168.1.20"), Port: 8080}
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	for _, tc := range []struct {
		name string
		cfg  Config
		addr net.Addr
		want []string // substrings of the warning; nil: no warning
	}{
		{"defaults, every interface", Config{}, every, []string{DefaultKey, DefaultClientID + " with the secret " + DefaultClientSecret, DefaultAccessKeyID + " with the secret " + DefaultSecretAccessKey}},
		{"defaults, one address", Config{}, lan, []string{DefaultKey}},
		{"defaults, loopback", Config{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, nil},
		{"defaults, ::1", Config{}, &net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, nil},
		{"own credentials", own, every, nil},
		{"own clients, built-in key", onlyClients, every, []string{DefaultKey}},
		// Behind a reverse proxy: loopback, but served to others at publicURL.
		{"defaults, loopback behind a proxy", Config{PublicURL: "https://ream.example.internal/ream/"}, loopback, []string{"https://ream.example.internal/ream/", DefaultKey, DefaultAccessKeyID}},
		{"own credentials behind a proxy", Config{Keys: own.Keys, OAuthClients: own.OAuthClients, AccessKeys: own.AccessKeys, PublicURL: "https://ream.example.internal"}, loopback, nil},
		{"defaults, loopback, publicURL on localhost", Config{PublicURL: "https://localhost:8443"}, loopback, nil},
		{"defaults, loopback, publicURL on 127.0.0.2", Config{PublicURL: "http://127.0.0.2:8080"}, loopback, nil},
		{"defaults, loopback, publicURL on [::1]", Config{PublicURL: "http://[::1]:8080"}, loopback, nil},
	} {
		got := tc.cfg.withDefaults().exposedCredentials(tc.addr)
		if tc.want == nil {
			if got != "" {
				t.Errorf("%s: warned %q", tc.name, got)
			}
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: warning %q does not name %q", tc.name, got, w)
			}
		}
		if tc.name == "own clients, built-in key" && strings.Contains(got, DefaultClientSecret) {
			t.Errorf("%s: warning %q names a client the config replaced", tc.name, got)
		}
	}
}

// TestConfigJSONErrorsInTheFilesTerms: a config file's JSON mistakes are said in the file's
// terms: a value of the wrong kind names the field and the kind it takes, not Go's types
// (`cannot unmarshal string into Go struct field Config.workers of type int`); a syntax error
// says on which line and column; an unknown key inside a webhook says where it is; anything
// after the object, a stray "}" included (it was taken), is refused with where it starts.
func TestConfigJSONErrorsInTheFilesTerms(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		body string
		want []string
	}{
		{`{"workers": "4"}`, []string{"workers must be an integer, not a JSON string"}},
		{`{"keys": ["k"]}`, []string{"keys must be an object, not a JSON array"}},
		{`{"webhooks": {"url": "http://127.0.0.1:9/h"}}`, []string{"webhooks must be an array, not a JSON object"}},
		{"{\"workers\": 4\n  \"shardBytes\": 4096}", []string{"line 2, column 3", "invalid character"}},
		{"{\"workers\": 4,\n}", []string{"line 2, column 1"}},
		{`{"workers": 4`, []string{"ends before its JSON object does"}},
		{`{"webhooks": [{"url": "http://127.0.0.1:9/h", "secret": "s"}]}`, []string{`"secret" is not a field in webhooks[0]`}},
		{`{"workers": 4}}`, []string{"line 1, column 15", "data after the JSON object"}},
		{"{}\n{}", []string{"line 2, column 1", "data after the JSON object"}},
	} {
		p := filepath.Join(dir, "ream.json")
		if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(p)
		if err == nil {
			t.Errorf("config %q: taken; want an error", c.body)
			continue
		}
		for _, w := range append(c.want, "config "+p+": ") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("config %q: %v; want it to say %q", c.body, err, w)
			}
		}
		for _, leak := range []string{"Go struct", "local.", "json: cannot", "json: unknown", "int64", "map[string]"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("config %q: %v; it names Go's %q", c.body, err, leak)
			}
		}
	}
}

// TestStartOnATakenPortSaysWhatToDo: a listen address another process holds stops the start
// with an error that says so and how to give another port, not only Go's `bind: address
// already in use`.
func TestStartOnATakenPortSaysWhatToDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: ln.Addr().String()}
	s, err := Start(t.Context(), cfg, Options{Analyzers: analysis.Registry{}, Log: slog.New(slog.DiscardHandler)})
	if err == nil {
		s.Close()
		t.Fatalf("started on %s, which another listener holds", cfg.Addr)
	}
	for _, want := range []string{"listen on " + cfg.Addr, "another process listens there", "--addr", "REAM_ADDR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start on a taken port: %v; want it to say %q", err, want)
		}
	}
}
