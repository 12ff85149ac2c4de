package layout

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzKeys checks the key layout both ways: a key ParseUploadKey accepts is rebuilt exactly from
// its parts, with a valid tenant; UploadKey and UploadFilesPrefix of a valid tenant and job read
// back as that tenant and job; a key CheckKey accepts is one every store can hold (UTF-8, no
// control character or backslash, no empty, "." or ".." segment, within the lengths); and
// Locations.Key inverts Locations.URI.
func FuzzKeys(f *testing.F) {
	f.Add("inputs/t1/0f1e2d3c/input", "t1", "0f1e2d3c", "a/b.txt")
	f.Add("inputs/t1/job/files/sub/é.txt", "tenant.with-dots_1", "job", "x")
	f.Add("inputs/-t/job/input", "-t", "", "")
	f.Add("inputs/t1//input", "t1", "j/k", "../x")
	f.Add("work/t1/j/plan.jsonl", "T", "j", "./a")
	f.Add("inputs/t1/j/files/.ream-part", "t1", "j", ".ream-x/y")
	f.Add("inputs/t1/j/a\\b", "t1", "j", "a//b/")
	f.Fuzz(func(t *testing.T, key, tenant, jobID, rest string) {
		if tn, j, r, ok := ParseUploadKey(key); ok {
			if !ValidTenant(tn) || j == "" || strings.Contains(j, "/") || InputsPrefix+tn+"/"+j+"/"+r != key {
				t.Fatalf("ParseUploadKey(%q) = %q %q %q", key, tn, j, r)
			}
		}
		if ValidTenant(tenant) && jobID != "" && !strings.Contains(jobID, "/") {
			for _, k := range []string{UploadKey(tenant, jobID), UploadFilesPrefix(tenant, jobID) + rest} {
				if tn, j, ok := UploadJob(k); !ok || tn != tenant || j != jobID {
					t.Fatalf("UploadJob(%q) = %q %q %v, want %q %q", k, tn, j, ok, tenant, jobID)
				}
			}
		}
		if err := CheckKey("key", key); err == nil {
			if len(key) > MaxKeyBytes || !utf8.ValidString(key) || strings.ContainsAny(key, "\\\x7f") {
				t.Fatalf("CheckKey accepted %q", key)
			}
			for _, r := range key {
				if r < 0x20 {
					t.Fatalf("CheckKey accepted %q", key)
				}
			}
			for _, seg := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
				if seg == "" || seg == "." || seg == ".." || len(seg) > MaxSegmentBytes || strings.HasPrefix(seg, ReservedSegmentPrefix) {
					t.Fatalf("CheckKey accepted %q (segment %q)", key, seg)
				}
			}
		}
		l := Locations{Base: "s3://bucket/", Aliases: []string{"s3://ream-local/"}}
		if key != "" {
			if got, err := l.Key(l.URI(key)); err != nil || got != key {
				t.Fatalf("Key(URI(%q)) = %q, %v", key, got, err)
			}
		}
		if got, err := l.Key(rest); err == nil && l.URI(got) != rest && "s3://ream-local/"+got != rest {
			t.Fatalf("Key(%q) = %q, which is not where it points", rest, got)
		}
	})
}
