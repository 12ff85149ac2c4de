package porttest

import (
	"context"
	"strings"
	"testing"

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
