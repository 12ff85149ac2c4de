package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if _, err := LoadConfig(write("typo.json", `{"webhook": [{"url": "http://127.0.0.1:9000/hook"}]}`)); err == nil || !strings.Contains(err.Error(), `"webhook"`) {
		t.Errorf("an unknown field: %v, want an error naming it", err)
	}
	if _, err := LoadConfig(write("two.json", `{} {}`)); err == nil {
		t.Error("two JSON values accepted")
	}
}
