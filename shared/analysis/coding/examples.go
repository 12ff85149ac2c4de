package coding

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// maxLineBytes bounds one input line of NewJSONLExamples and NewTSVExamples.
const maxLineBytes = 1 << 20

// lineReader reads lines of at most maxLineBytes.
type lineReader struct {
	r    *bufio.Reader
	c    io.Closer
	line int
	buf  []byte
}

func newLineReader(r io.Reader) lineReader {
	lr := lineReader{r: bufio.NewReaderSize(r, 64<<10)}
	if c, ok := r.(io.Closer); ok {
		lr.c = c
	}
	return lr
}

// next returns the next line without its line ending, or io.EOF.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		l.buf = append(l.buf, chunk...)
		if len(l.buf) > maxLineBytes {
			return nil, fmt.Errorf("line %d longer than %d bytes", l.line+1, maxLineBytes)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(l.buf) > 0 {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		l.line++
		return bytes.TrimRight(l.buf, "\r\n"), nil
	}
}

func (l *lineReader) Close() error {
	if l.c != nil {
		return l.c.Close()
	}
	return nil
}

type jsonlExamples struct{ lineReader }

// NewJSONLExamples reads examples from JSON Lines: one object a line with the string fields
// "code", "occp_text" and "tasks_text" (others are ignored; blank lines are skipped). A line
// that is not such an object, or longer than 1 MiB, is an error naming its line number.
// Close closes r when it is an io.Closer.
func NewJSONLExamples(r io.Reader) Examples { return &jsonlExamples{newLineReader(r)} }

func (j *jsonlExamples) Next() (Example, bool, error) {
	for {
		line, err := j.next()
		if err == io.EOF {
			return Example{}, false, nil
		}
		if err != nil {
			return Example{}, false, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Example
		if err := json.Unmarshal(line, &e); err != nil {
			return Example{}, false, fmt.Errorf("line %d: %v", j.line, err)
		}
		return e, true, nil
	}
}

type tsvExamples struct{ lineReader }

// NewTSVExamples reads examples from lines "code<TAB>title" (the format of the ONS coding
// index file the shipped model is trained on; a third column, when present, is the tasks
// text). Blank lines and lines starting with # are skipped; another line without a tab is
// an error.
func NewTSVExamples(r io.Reader) Examples { return &tsvExamples{newLineReader(r)} }

func (t *tsvExamples) Next() (Example, bool, error) {
	for {
		line, err := t.next()
		if err == io.EOF {
			return Example{}, false, nil
		}
		if err != nil {
			return Example{}, false, err
		}
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
			continue
		}
		code, rest, ok := strings.Cut(string(line), "\t")
		if !ok {
			return Example{}, false, fmt.Errorf("line %d: no tab", t.line)
		}
		occp, tasks, _ := strings.Cut(rest, "\t")
		return Example{Code: code, Occp: occp, Tasks: tasks}, true, nil
	}
}

type sliceExamples struct {
	s []Example
	i int
}

// SliceExamples streams the examples of a slice.
func SliceExamples(s []Example) Examples { return &sliceExamples{s: s} }

func (s *sliceExamples) Next() (Example, bool, error) {
	if s.i >= len(s.s) {
		return Example{}, false, nil
	}
	s.i++
	return s.s[s.i-1], true, nil
}

func (s *sliceExamples) Close() error { return nil }

// FilterExamples passes on the examples for which keep is true.
func FilterExamples(ex Examples, keep func(Example) bool) Examples {
	return &filterExamples{ex, keep}
}

type filterExamples struct {
	inner Examples
	keep  func(Example) bool
}

func (f *filterExamples) Next() (Example, bool, error) {
	for {
		e, ok, err := f.inner.Next()
		if !ok || err != nil || f.keep(e) {
			return e, ok, err
		}
	}
}

func (f *filterExamples) Close() error { return f.inner.Close() }
