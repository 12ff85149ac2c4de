package jsonkeys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Problem describes err, an error of encoding/json decoding a value, in the document's terms
// rather than Go's: a value of the wrong JSON kind is said as `RetentionHours must be an
// integer, not a JSON string`, never as `cannot unmarshal string into Go struct field
// CreateJobRequest.RetentionHours of type int`. whole names the document where the error is
// about the value as a whole ("the body", "the file"). Other errors (syntax) are err's text.
// The API's request bodies and the local stack's configuration file both say it this way.
func Problem(err error, whole string) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = whole
		}
		if lo, hi, ok := intRange(typeErr.Type); ok && isWholeNumber(typeErr.Value) {
			// a whole number the field cannot hold: "must be an integer" would puzzle
			return fmt.Sprintf("%s must be an integer from %s to %s, not %s", field, lo, hi, strings.TrimPrefix(typeErr.Value, "number "))
		}
		if want := jsonKind(typeErr.Type); want != "" {
			return fmt.Sprintf("%s must be %s, not a JSON %s", field, want, typeErr.Value)
		}
		return fmt.Sprintf("%s must not be a JSON %s", field, typeErr.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Position is where byte offset n of data is, as an editor shows it: "line 3, column 14"
// (lines and columns from 1, a column counted in bytes), for errors in a file a person edits
// (a json.SyntaxError's Offset).
func Position(data []byte, n int64) string {
	n = min(max(n, 0), int64(len(data)))
	before := data[:n]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := len(before) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}

// intRange gives the bounds of an integer type t (through pointers; DecodedType), ok false for others.
func intRange(t reflect.Type) (lo, hi string, ok bool) {
	if t = DecodedType(t); t == nil {
		return "", "", false
	}
	bits := uint(t.Size() * 8)
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(-1<<(bits-1), 10), strconv.FormatInt(1<<(bits-1)-1, 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "0", strconv.FormatUint(1<<bits-1, 10), true
	}
	return "", "", false
}

// isWholeNumber reports whether an UnmarshalTypeError's Value is a JSON number written
// without a fraction or an exponent ("number 99999999999999999999").
func isWholeNumber(v string) bool {
	n, ok := strings.CutPrefix(v, "number ")
	n = strings.TrimPrefix(n, "-")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// jsonKind names what a field of Go type t takes, in JSON's terms ("" when there is no short
// name for it).
func jsonKind(t reflect.Type) string {
	if t = DecodedType(t); t == nil {
		return "" // it decodes itself: its Go kind says nothing of its JSON form
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return ""
}
