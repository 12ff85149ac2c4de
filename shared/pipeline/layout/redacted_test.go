package layout

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
		got := RedactedEntryName(file)
		if got != want {
			t.Errorf("RedactedEntryName(%q) = %q; want %q", file, got, want)
		}
		if c := path.Clean(got); c != "redacted" && !strings.HasPrefix(c, "redacted/") {
			t.Errorf("RedactedEntryName(%q) = %q leaves the folder (cleaned: %q)", file, got, c)
		}
	}
}

// TestRedactedEntryNameBackslash: a backslash is a folder separator to Windows extractors
// (Python's tarfile on Windows, tar.exe, 7-Zip), so an S3 key's ".." between backslashes
// ("in/docs/..\..\x", one segment to S3 and to a POSIX extractor) must not lead out of
// redacted/ there either.
func TestRedactedEntryNameBackslash(t *testing.T) {
	for file, want := range map[string]string{
		`..\..\x`:      `redacted/%2E%2E\%2E%2E\x`,
		`a\..\..\..\x`: `redacted/a\%2E%2E\%2E%2E\%2E%2E\x`,
		`a/b\.\c`:      `redacted/a/b\%2E\c`,
		`a\b..\c`:      `redacted/a\b..\c`,
		`..\`:          `redacted/%2E%2E\`,
		`\..`:          `redacted/\%2E%2E`,
	} {
		got := RedactedEntryName(file)
		if got != want {
			t.Errorf("RedactedEntryName(%q) = %q; want %q", file, got, want)
		}
		windows := path.Clean(strings.ReplaceAll(got, `\`, "/"))
		if windows != "redacted" && !strings.HasPrefix(windows, "redacted/") {
			t.Errorf("RedactedEntryName(%q) = %q leaves the folder on Windows (cleaned: %q)", file, got, windows)
		}
	}
}
