package input

// The JSONL record decoder as it was before decodeRecord scanned records without reflection
// (a map[string]json.RawMessage and json.Unmarshal for every string), kept word for word as
// the oracle FuzzDecodeRecordMatchesReflective holds decodeRecord to. Only the names differ.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ream-dev/ream/shared/internal/jsonw"
	"github.com/ream-dev/ream/shared/job"
)

// decodeRecordReflective fills d from one JSONL line (kept bytes and full size); coding says the line is a
// coding record, {"recordId", "occp_text", "tasks_text"} (and a training record's "code"),
// rather than {"recordId", "text"}. Keys match exactly: encoding/json would match a struct's
// fields case-insensitively and let a later "recordid" replace the "recordId" echoed back, so
// the line is decoded into a map and the fields are taken by their exact names.
func decodeRecordReflective(d *Document, line []byte, size, maxDoc, keep int64, coding bool) {
	// A byte-order mark at the start of a later line (files joined with cat, each with its
	// own) is no part of the record, for its size too (the reader keeps keep bytes after it);
	// the input's first is skipped when reading starts.
	if bytes.HasPrefix(line, BOM) {
		line, size = line[len(BOM):], size-int64(len(BOM))
	}
	d.Bytes = size
	if size > keep {
		d.RecordId, _ = recordIDReflective(salvageRecordID(line))
		setError(d, job.CodeDocumentSizeExceeded, "JSONL record is %d bytes, over the %d bytes a line may take (3 × the text limit of %d bytes + 64 KiB for escapes and other fields); it was not read", size, keep, maxDoc)
		return
	}
	if blank(line) {
		setError(d, job.CodeEmptyDocument, "line is empty or contains only whitespace")
		return
	}
	// Decode first, so that the recordId is echoed on every error record where it can be read
	// (encoding/json replaces invalid UTF-8, so that works even for an encoding error; a line
	// that does not decode, such as one with a NUL inside a string, is searched for it).
	var fields map[string]json.RawMessage
	err := json.Unmarshal(line, &fields)
	var typeErr *json.UnmarshalTypeError
	rawID := fields["recordId"]
	if err != nil {
		rawID = salvageRecordID(line)
	}
	id, idErr := recordIDReflective(rawID)
	d.RecordId = id
	if msg := encodingProblem(line, "line"); msg != "" {
		setError(d, job.CodeUnsupportedEncoding, "%s", msg)
		return
	}
	switch {
	case err != nil && !errors.As(err, &typeErr):
		setError(d, job.CodeInvalidRecord, "line is not valid JSON: %v", err)
		return
	case bytes.TrimSpace(line)[0] != '{':
		setError(d, job.CodeInvalidRecord, "line is not a JSON object")
		return
	}
	read := recordKeys
	if coding {
		read = codingRecordKeys
	}
	if k := duplicateKeyReflective(line, read); k != "" {
		// A key Ream reads given twice: encoding/json keeps the last silently, and which one
		// the writer meant cannot be known (found from outside).
		if k == "recordId" {
			d.RecordId = ""
		}
		setError(d, job.CodeInvalidRecord, "key %q is given twice in the record; each key may be given once", k)
		return
	}
	switch {
	case idErr != nil:
		setError(d, job.CodeInvalidRecord, "%v", idErr)
		return
	}
	if !coding {
		text, ferr := stringFieldReflective(fields, "text")
		switch {
		case ferr != nil:
			setError(d, job.CodeInvalidRecord, "%v", ferr)
		case text == nil:
			setError(d, job.CodeInvalidRecord, "record does not have a string \"text\"")
		default:
			setText(d, *text, int64(len(*text)), maxDoc, "text is")
		}
		return
	}
	occp, err := stringFieldReflective(fields, "occp_text")
	tasks, err2 := stringFieldReflective(fields, "tasks_text")
	code, err3 := stringFieldReflective(fields, "code") // training records only
	switch err := cmp.Or(err, err2, err3); {            // the first field at fault
	case err != nil:
		// Name the field at fault: "occp_text", "tasks_text" or a training record's "code".
		setError(d, job.CodeInvalidRecord, "%v", err)
	case occp == nil || tasks == nil:
		setError(d, job.CodeInvalidRecord, "record must have both \"occp_text\" and \"tasks_text\" (strings; either may be empty)")
	default:
		if setText(d, *occp+"\n"+*tasks, CodingBytes(*occp, *tasks), maxDoc, "occp_text and tasks_text are") {
			d.Occupation, d.Tasks = *occp, *tasks
			if code != nil {
				d.Code = *code
			}
		}
	}
}

// duplicateKeyReflective returns the first of names that is a key of the JSON object line more than once
// at its top level (after unescaping: "te\u0078t" is "text"), "" when none is. line is valid
// JSON (the caller decoded it). The strings are skipped by their quotes (IndexByte), so the
// cost is about that of finding them, not of decoding them again.
func duplicateKeyReflective(line []byte, names []string) string {
	var seen uint
	depth := 0
	key := false // the next string is a key of the top-level object
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '{':
			depth++
			key = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			key = depth == 1
		case '"':
			end := jsonw.StringEnd(line, i+1)
			if end < 0 {
				end = len(line) - 1 // an unterminated string: the line is no JSON, which decoding says
			}
			if key {
				k := line[i+1 : end]
				if bytes.IndexByte(k, '\\') >= 0 {
					var u string
					if json.Unmarshal(line[i:end+1], &u) == nil {
						k = []byte(u)
					}
				}
				for n, name := range names {
					if string(k) == name {
						if seen&(1<<n) != 0 {
							return name
						}
						seen |= 1 << n
					}
				}
				key = false
			}
			i = end
		}
	}
	return ""
}

// stringFieldReflective returns the string field name of a decoded JSONL record: nil when it is absent
// or null, an error naming the field and the JSON type it has when it is not a string.
func stringFieldReflective(fields map[string]json.RawMessage, name string) (*string, error) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '"' {
		return nil, fmt.Errorf("record field %q is a JSON %s; %q must be a string", name, jsonKind(raw), name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("record field %q: %v", name, err)
	}
	return &s, nil
}

// recordIDReflective returns a JSONL recordId as a string: a JSON string unquoted, a number as written.
func recordIDReflective(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("recordId: %v", err)
		}
		return s, nil
	case c == '-' || '0' <= c && c <= '9':
		return string(raw), nil
	}
	// Its kind, not its bytes: an error record names what is wrong, never what the record holds.
	return "", fmt.Errorf("recordId must be a string or a number, not a JSON %s", jsonKind(raw))
}
