package local

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/input"
)

// FuzzLoadConfig loads arbitrary config files: no panic; a file that loads is one JSON object
// (never read as the defaults when it says something else); a loaded config that Start's
// validate accepts keeps within the bounds sensible sets once its defaults are filled in, and
// those defaults pass validate themselves. Every refusal names the file.
func FuzzLoadConfig(f *testing.F) {
	for _, s := range []string{
		`{}`, ``, `null`, `[]`, `{"workers": 4}`, `{} {}`, `{"Workers": 4}`,
		`{"dataDir": "d", "addr": "127.0.0.1:0", "publicURL": "http://ream.example:8080", "keys": {"k": "t1"},
		  "oauthClients": [{"clientId": "c", "clientSecret": "s", "tenant": "t1"}],
		  "accessKeys": [{"accessKeyId": "AKID", "secretAccessKey": "sk", "tenant": "t1"}],
		  "codingRetention": "2h", "webhooks": [{"url": "http://127.0.0.1:9/hook", "tenant": "t1"}],
		  "webhookAttempts": 3, "webhookMaxBackoff": "5s", "languages": ["en", "fr"],
		  "maxDocumentBytes": {"SENTIMENT": 5000}, "shardBytes": 65536, "maxInputBytes": 1000000,
		  "workers": 2, "batchSize": 10, "visibilityTimeout": "30s", "maxReceiveCount": 2,
		  "sweepInterval": "10s", "uploadTTL": "1h", "retention": "48h", "stuckAfter": "2m",
		  "expiryPassEvery": "1h", "pollInterval": "20ms", "maxUploadBytes": 1000, "dropSettle": "1s"}`,
		`{"retention": "1ns"}`, `{"visibilityTimeout": 60}`, `{"stuckAfter": "30s", "visibilityTimeout": "1m"}`,
		`{"keys": {"k1": "a", "k1": "b"}}`, `{"webhooks": [{"url": "http://h:99999/"}]}`, `{"batchSize": 11, "workers": -1}`,
		`{"codingRetention": "90m"}`, `{"maxDocumentBytes": {"sentiment": 0}}`, `{"languages": ["xx"]}`, "\ufeff{}",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "ream.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(p)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("%q: error %q does not name the file", b, err)
			}
			return
		}
		// A leading byte-order mark is skipped (LoadConfig, as request bodies).
		dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, input.BOM)))
		var obj map[string]json.RawMessage
		if dec.Decode(&obj) != nil || obj == nil || dec.More() {
			t.Fatalf("%q loaded as %+v, though it is not one JSON object", b, c)
		}
		if c.validate() != nil {
			return
		}
		d := c.withDefaults()
		if err := d.validate(); err != nil {
			t.Fatalf("%q: the defaults filled in are refused: %v", b, err)
		}
		if err := d.sensible(); err != nil {
			t.Fatalf("%q: the defaults filled in are out of bounds: %v", b, err)
		}
		if d.Workers < 1 || d.Workers > maxWorkers || d.BatchSize < 1 || d.BatchSize > 10 || d.MaxReceiveCount < 1 ||
			d.VisibilityTimeout <= 0 || d.SweepInterval <= 0 || d.PollInterval <= 0 || d.CodingRetention <= 0 || len(d.Keys) == 0 {
			t.Fatalf("%q: with defaults %+v", b, d)
		}
	})
}
