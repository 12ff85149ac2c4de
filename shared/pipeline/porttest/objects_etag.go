package porttest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// objETag: every object has an ETag (without quotes), Head and List report the same one, and
// replacing the object with other bytes gives another (drop rules key their jobs on it).
func objETag(t *testing.T, s pipeline.Objects) {
	ctx := context.Background()
	key := "etag/" + uniq(t) + "/a.txt"
	if err := s.Put(ctx, key, strings.NewReader("first version")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	head, err := s.Head(ctx, key)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	if head.ETag == "" || strings.Contains(head.ETag, `"`) {
		t.Fatalf("Head ETag = %q; want a non-empty ETag without quotes", head.ETag)
	}
	var listed []pipeline.ObjectInfo
	if err := s.List(ctx, key, func(o pipeline.ObjectInfo) error { listed = append(listed, o); return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(listed) != 1 || listed[0].ETag != head.ETag {
		t.Fatalf("List = %+v; want one object with Head's ETag %q", listed, head.ETag)
	}
	if err := s.Put(ctx, key, strings.NewReader("the second, longer version")); err != nil {
		t.Fatalf("Put again: %v", err)
	}
	again, err := s.Head(ctx, key)
	if err != nil {
		t.Fatalf("Head again: %v", err)
	}
	if again.ETag == "" || again.ETag == head.ETag {
		t.Errorf("ETag after replacing the object with other bytes = %q, was %q; want a new one", again.ETag, head.ETag)
	}
}

// objOpenInfo: OpenInfo streams the whole object and gives the size and ETag that Head and List
// give for the version it streams (the pipeline checks a file's listed version on it instead of
// a Head); a missing key, or a prefix of keys, is ErrNotFound.
func objOpenInfo(t *testing.T, s pipeline.Objects) {
	ctx := context.Background()
	key := "openinfo/" + uniq(t) + "/a.txt"
	for _, body := range []string{"first version", "the second, longer version"} {
		put(t, s, key, []byte(body))
		head, err := s.Head(ctx, key)
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		rc, info, err := s.OpenInfo(ctx, key)
		if err != nil {
			t.Fatalf("OpenInfo: %v", err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read OpenInfo's body: %v", err)
		}
		if string(got) != body || info.Key != key || info.Size != int64(len(body)) || info.ETag != head.ETag {
			t.Errorf("OpenInfo = %q, %+v; want %q with size %d and Head's ETag %q", got, info, body, len(body), head.ETag)
		}
	}
	for _, missing := range []string{key + "-missing", strings.TrimSuffix(key, "/a.txt")} {
		if _, _, err := s.OpenInfo(ctx, missing); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("OpenInfo(%s) error = %v, want ErrNotFound", missing, err)
		}
	}
}
