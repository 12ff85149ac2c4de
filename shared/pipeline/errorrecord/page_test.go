package errorrecord

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// opener serves one object, "k", holding its text.
type opener string

func (o opener) Open(_ context.Context, key string, _ int64) (io.ReadCloser, error) {
	if key != "k" {
		return nil, job.ErrNotFound
	}
	return io.NopCloser(strings.NewReader(string(o))), nil
}

func TestRead(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than the reader's buffer
	objects := opener("a\n" + long + "\nc")
	var got []string
	next, err := Read(context.Background(), objects, "k", 1, func(line []byte) Step {
		got = append(got, string(line))
		if len(got) == 2 {
			return EndsBefore
		}
		return GoesOn
	})
	if err != nil || next != 2 || len(got) != 2 || got[0] != long || got[1] != "c" {
		t.Fatalf("Read from 1, ending before the 2nd: next %d, %d lines, err %v", next, len(got), err)
	}
	if next, err := Read(context.Background(), objects, "k", 3, func([]byte) Step { return GoesOn }); next != -1 || err != nil {
		t.Fatalf("Read from the end: %d, %v; want -1, nil", next, err)
	}
	if _, err := Read(context.Background(), objects, "k", 4, func([]byte) Step { return GoesOn }); !errors.Is(err, errSkipPastEnd) {
		t.Fatalf("Read past the end: %v; want errSkipPastEnd", err)
	}
	if next, err := Read(context.Background(), objects, "gone", 0, func([]byte) Step { return GoesOn }); next != -1 || err != nil {
		t.Fatalf("Read of an expired object: %d, %v; want -1, nil", next, err)
	}
}
