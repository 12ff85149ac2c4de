package handlers

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// TestDecodeJSONKeys: decodeJSON takes a struct's keys exactly as its json tags spell them, once
// each, at every depth that decodes into a struct, and leaves a map's keys free (but for a key
// given twice).
func TestDecodeJSONKeys(t *testing.T) {
	type inner struct {
		Name string `json:"Name"`
	}
	type embedded struct {
		Deep  string `json:"Deep"`
		Other string // untagged: its Go name
	}
	type withMap struct {
		embedded
		Headers map[string]string `json:"Headers"`
		ByName  map[string]inner  `json:"ByName"`
		Any     any               `json:"Any"`
		Raw     json.RawMessage   `json:"Raw"`
		When    time.Time         `json:"When"`
		Skipped string            `json:"-"`
	}
	const job1 = `"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}`
	for _, tc := range []struct {
		name, body string
		v          any
		want       string // "" when accepted
	}{
		{"correct", `{` + job1 + `,"Tags":[{"Key":"k","Value":"v"}],"RedactionConfig":{"MaskMode":"MASK"}}`, &api.CreateJobRequest{}, ""},
		{"wrong case top level", `{"analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`, &api.CreateJobRequest{}, `"analyses" is not a field; did you mean "Analyses"?`},
		{"wrong case nested", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"inputformat":"ONE_DOC_PER_LINE"}}`, &api.CreateJobRequest{}, `"inputformat" is not a field in InputDataConfig; did you mean "InputFormat"?`},
		{"wrong case in a slice", `{` + job1 + `,"Tags":[{"Key":"a","Value":"v"},{"key":"b","Value":"v"}]}`, &api.CreateJobRequest{}, `"key" is not a field in Tags[1]; did you mean "Key"?`},
		{"wrong case behind a pointer", `{` + job1 + `,"CodingConfig":{"topic":"t"}}`, &api.CreateJobRequest{}, `"topic" is not a field in CodingConfig; did you mean "Topic"?`},
		{"folded non-ASCII", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE","ſ3Uri":"x"}}`, &api.CreateJobRequest{}, `did you mean "S3Uri"?`},
		{"twice top level", `{"Analyses":["BOGUS"],"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`, &api.CreateJobRequest{}, `"Analyses" is given twice`},
		{"twice, escaped", `{"Analyses":["BOGUS"],"\u0041nalyses":["LANGUAGE"]}`, &api.CreateJobRequest{}, `"Analyses" is given twice`},
		{"twice nested", `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"JSONL","InputFormat":"ONE_DOC_PER_LINE"}}`, &api.CreateJobRequest{}, `"InputFormat" is given twice in InputDataConfig`},
		{"same key in two objects", `{` + job1 + `,"Tags":[{"Key":"a","Value":"v"},{"Key":"b","Value":"v"}]}`, &api.CreateJobRequest{}, ""},
		{"unknown field", `{` + job1 + `,"Colour":"red"}`, &api.CreateJobRequest{}, `"Colour" is not a field`},
		// Found from outside: a nested unknown field said only `json: unknown field "Foo"`.
		{"unknown nested field", `{"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE","Foo":1}}`, &api.CreateJobRequest{}, `"Foo" is not a field in InputDataConfig`},
		{"unknown field in a list", `{"Tags":[{"Key":"k","Value":"v","Colour":"red"}]}`, &api.CreateJobRequest{}, `"Colour" is not a field in Tags[0]`},
		{"retry", `{"errorCodes":["SHARD_FAILED"]}`, &api.RetryRequest{}, `did you mean "ErrorCodes"?`},
		{"drop upload", `{"File":"a","File":"b"}`, &api.DropUploadRequest{}, `"File" is given twice`},
		{"free map keys", `{"Headers":{"x-a":"1","X-A":"2","Name":"3"},"ByName":{"name":{"Name":"n"}},"Any":{"a":1,"A":2},"Raw":{"a":1,"a":2},"When":"2026-01-02T03:04:05Z","Deep":"d","Other":"o"}`, &withMap{}, ""},
		{"struct values of a map", `{"ByName":{"x":{"name":"n"}}}`, &withMap{}, `"name" is not a field in ByName["x"]; did you mean "Name"?`},
		{"promoted field", `{"deep":"d"}`, &withMap{}, `did you mean "Deep"?`},
		{"untagged field", `{"other":"o"}`, &withMap{}, `did you mean "Other"?`},
		{"a number out of float range", `{"Analyses":["LANGUAGE"],"NumberOfTopics":1e999}`, &api.CreateJobRequest{}, "NumberOfTopics"},
		{"a map body (Comprehend's envelope)", `{"JobName":"a","jobName":"b"}`, &map[string]json.RawMessage{}, ""},
		// A map's key given twice is refused as a field's is (found from outside: a
		// configuration's "keys" map took the last tenant of a key listed twice).
		{"a map body's key twice", `{"JobName":"a","jobName":"b","JobName":"c"}`, &map[string]json.RawMessage{}, `"JobName" is given twice`},
		{"a map field's key twice", `{"Headers":{"x-a":"1","x-a":"2"}}`, &withMap{}, `"x-a" is given twice in Headers`},
		// Found from outside: a Latin-1 file name became U+FFFD, two names one.
		{"not UTF-8", "{" + job1 + ",\"UploadFiles\":[\"caf\xe9.txt\"]}", &api.CreateJobRequest{}, "not UTF-8 (byte 97 of the JSON value)"},
		{"UTF-8 beyond ASCII", `{` + job1 + `,"UploadFiles":["café.txt"]}`, &api.CreateJobRequest{}, ""},
		// Found from outside: a body saved with a byte-order mark (Windows editors, PowerShell's
		// UTF8 encoding) was "invalid character 'ï' looking for beginning of value", and a
		// UTF-16 one "invalid character 'ÿ'" or "'\x00'". JSON's RFC 8259 lets a parser ignore
		// a UTF-8 mark, as Ream's inputs do; UTF-16 and UTF-32 are named.
		{"UTF-8 byte-order mark", "\uFEFF{" + job1 + "}", &api.CreateJobRequest{}, ""},
		{"UTF-8 byte-order mark, then white space", "\uFEFF \n{" + job1 + "}", &api.CreateJobRequest{}, ""},
		{"a byte-order mark alone", "\uFEFF", &api.CreateJobRequest{}, "body is empty"},
		{"UTF-16LE with its mark", utf16le("\uFEFF{" + job1 + "}"), &api.CreateJobRequest{}, "it is UTF-16 (it starts with a UTF-16 byte-order mark, bytes 0xFF 0xFE); JSON text is UTF-8"},
		{"UTF-16BE with its mark", "\xfe\xff\x00{\x00}", &api.CreateJobRequest{}, "it is UTF-16 (it starts with a UTF-16 byte-order mark, bytes 0xFE 0xFF)"},
		{"UTF-16LE without a mark", utf16le("{" + job1 + "}"), &api.CreateJobRequest{}, "it is UTF-16 or UTF-32 (it has NUL bytes at its start); JSON text is UTF-8"},
		{"UTF-16BE without a mark", "\x00{\x00}", &api.CreateJobRequest{}, "it is UTF-16 or UTF-32 (it has NUL bytes at its start)"},
		// Found from outside: a gzip-compressed body was "invalid character '\x1f'".
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", &api.CreateJobRequest{}, "it is gzip-compressed (it starts with gzip's bytes 0x1F 0x8B); the API takes no Content-Encoding"},
		{"UTF-32LE with its mark", "\xff\xfe\x00\x00{\x00\x00\x00}\x00\x00\x00", &api.CreateJobRequest{}, "it is UTF-32 (it starts with a UTF-32 byte-order mark, bytes 0xFF 0xFE 0x00 0x00)"},
	} {
		err := decodeJSON(strings.NewReader(tc.body), tc.v, "a valid job", true)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want it accepted", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, job.ErrInvalid)):
			t.Errorf("%s: %v, want an invalid request saying %s", tc.name, err, tc.want)
		}
	}
}

// utf16le is s in UTF-16LE (s is ASCII or U+FEFF).
func utf16le(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}
