package language

import (
	"os"
	"strings"
	"testing"
)

// TestAliasesInREADME: README's /v1 LanguageCode entry names every alias a job's LanguageCode
// may use beyond the supported codes with a region ("no", "iw", "in"; zh-cn and zh-tw are zh
// with a region), with the code it stands for, so that code and README agree (found from
// outside: no and iw were accepted though the README's list named neither).
func TestAliasesInREADME(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	_, entry, ok := strings.Cut(string(b), "\n- `LanguageCode`: optional.")
	if !ok {
		t.Fatal("README has no /v1 `LanguageCode` entry")
	}
	entry, _, _ = strings.Cut(entry, "\n- `")
	for alias, code := range aliases {
		if strings.Contains(alias, "-") {
			continue
		}
		if !strings.Contains(entry, "`"+alias+"`") || !strings.Contains(entry, "`"+code+"`") {
			t.Errorf("README's LanguageCode entry does not name the alias %s (of %s)", alias, code)
		}
	}
}
