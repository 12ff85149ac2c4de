package evaltest

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// ReadJSONL reads a labelled file with one JSON value per line.
func ReadJSONL[T any](t testing.TB, path ...string) []T {
	t.Helper()
	f, err := os.Open(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s line %d: %v", filepath.Join(path...), len(out)+1, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
