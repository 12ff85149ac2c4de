package pipeline

import (
	"path"
	"strings"
	"testing"
)

// TestRedactedEntryNameStaysInFolder: a redacted copy's archive entry stays under redacted/
// whatever its file's name: an S3 key's "." and ".." segments are not followed by an extractor
// (found from outside: the key in/docs/../../x made the entry redacted/../../x, which Python's
// tarfile.extractall before 3.14 writes outside its target folder).
func TestRedactedEntryNameStaysInFolder(t *testing.T) {
	for file, want := range map[string]string{
		"a.txt":           "redacted/a.txt",
		"sub/b.txt":       "redacted/sub/b.txt",
		"../../x":         "redacted/%2E%2E/%2E%2E/x",
		"a/./b":           "redacted/a/%2E/b",
		"a/../../../etc":  "redacted/a/%2E%2E/%2E%2E/%2E%2E/etc",
		"..":              "redacted/%2E%2E",
		"...":             "redacted/...",
		"..hidden/x..y":   "redacted/..hidden/x..y",
		"/abs":            "redacted//abs",
		"naïve ..txt":     "redacted/naïve ..txt",
		"dir/":            "redacted/dir/",
		"a/b/../../../..": "redacted/a/b/%2E%2E/%2E%2E/%2E%2E/%2E%2E",
	} {
		got := redactedEntryName(file)
		if got != want {
			t.Errorf("redactedEntryName(%q) = %q; want %q", file, got, want)
		}
		if c := path.Clean(got); c != "redacted" && !strings.HasPrefix(c, "redacted/") {
			t.Errorf("redactedEntryName(%q) = %q leaves the folder (cleaned: %q)", file, got, c)
		}
	}
}
