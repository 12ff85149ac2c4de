package client_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
)

// TestDownloadResultsWholeOrNothing: a download that is cut (Ctrl-C, SIGTERM, a lost
// connection: here the body ends before its Content-Length) leaves no file under the name of
// the one it was writing, and no temporary file, so that a rerun of the script cannot take a
// truncated output.tar.gz for the results (found from outside: the partial file stayed under its
// own name); a whole download leaves the files it names and nothing else.
func TestDownloadResultsWholeOrNothing(t *testing.T) {
	var archive bytes.Buffer
	gz := gzip.NewWriter(&archive)
	tw := tar.NewWriter(gz)
	const lines = "{\"Line\":1}\n"
	tw.WriteHeader(&tar.Header{Name: "output", Mode: 0o644, Size: int64(len(lines)), Typeflag: tar.TypeReg})
	tw.Write([]byte(lines))
	tw.Close()
	gz.Close()
	for _, cut := range []bool{true, false} {
		srv := httptest.NewServer(nil)
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/v1/jobs/j1/results":
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(api.ResultLinks{JobId: "j1", JobStatus: "COMPLETED",
					Output: api.Presigned{URL: srv.URL + "/output", Method: "GET"}, Manifest: api.Presigned{URL: srv.URL + "/manifest", Method: "GET"}})
			case "/manifest":
				w.Write([]byte("{}"))
			case "/output":
				w.Header().Set("Content-Length", strconv.Itoa(archive.Len()))
				if cut {
					w.Write(archive.Bytes()[:archive.Len()/2]) // the connection is lost halfway
					return
				}
				w.Write(archive.Bytes())
			}
		})
		dir := t.TempDir()
		c := &client.Client{Endpoint: srv.URL, APIKey: "k"}
		files, err := c.DownloadResults(context.Background(), "j1", dir)
		srv.Close()
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if cut {
			if err == nil || !slices.Equal(names, []string{api.ManifestName}) {
				t.Errorf("a cut download: %v; files %q, returned %q; want an error and only the whole %s", err, names, files, api.ManifestName)
			}
			continue
		}
		if err != nil || !slices.Equal(names, []string{api.ManifestName, "output", api.ArchiveName}) {
			t.Errorf("a whole download: %v; files %q; want %s, output and %s", err, names, api.ManifestName, api.ArchiveName)
		}
		ref, err := os.Create(filepath.Join(t.TempDir(), "ref"))
		if err != nil {
			t.Fatal(err)
		}
		ref.Close()
		want, _ := os.Stat(ref.Name())
		if st, err := os.Stat(filepath.Join(dir, api.ArchiveName)); err != nil || st.Mode() != want.Mode() {
			t.Errorf("the archive: %v (%v); want the mode of a created file, %v (not a temporary file's 0600)", err, st, want.Mode())
		}
	}
}

// TestUnpackLongName: an entry whose name is as long as a file name may be (a PII job's
// redacted/<input name>, the input's base name kept up to 255 bytes) is unpacked under that
// name; the temporary file beside it must fit the file system's 255-byte limit too (found
// reviewing: ".<name>.partial-<26 characters>" made any name over 219 bytes fail with "file
// name too long", where os.Create had written it).
func TestUnpackLongName(t *testing.T) {
	for _, name := range []string{
		strings.Repeat("a", 255),
		strings.Repeat("é", 120) + ".txt", // 244 bytes: the cut must not split a character
	} {
		var archive bytes.Buffer
		gz := gzip.NewWriter(&archive)
		tw := tar.NewWriter(gz)
		const body = "redacted line\n"
		tw.WriteHeader(&tar.Header{Name: "redacted/" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
		tw.Close()
		gz.Close()
		dir := t.TempDir()
		path := filepath.Join(dir, "output.tar.gz")
		if err := os.WriteFile(path, archive.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := client.Unpack(path, dir)
		if err != nil {
			t.Errorf("%d-byte name: %v", len(name), err)
			continue
		}
		got, err := os.ReadFile(filepath.Join(dir, "redacted", name))
		if err != nil || string(got) != body || len(out) != 1 {
			t.Errorf("%d-byte name: %q, %v, files %q; want %q", len(name), got, err, out, body)
		}
		if entries, _ := os.ReadDir(filepath.Join(dir, "redacted")); len(entries) != 1 {
			t.Errorf("%d-byte name: redacted/ holds %d files, want the one", len(name), len(entries))
		}
	}
}
