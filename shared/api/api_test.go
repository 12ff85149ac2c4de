package api

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// readmeNotification is the JSON example under "### Notifications" in the repository's README.
func readmeNotification(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	_, sec, ok := strings.Cut(string(b), "### Notifications\n")
	if !ok {
		t.Fatal("README has no ### Notifications section")
	}
	_, block, ok := strings.Cut(sec, "```json\n")
	if !ok {
		t.Fatal("README's Notifications section has no ```json example")
	}
	block, _, _ = strings.Cut(block, "```")
	var m map[string]any
	if err := json.Unmarshal([]byte(block), &m); err != nil {
		t.Fatalf("README's notification example is not JSON: %v\n%s", err, block)
	}
	return m
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestNotificationMatchesREADME: a notification of a job without a name, message or output (a
// TIMED_OUT one) carries exactly the fields of README's example, every one of them, and the
// example's values decode into the type unchanged.
func TestNotificationMatchesREADME(t *testing.T) {
	doc := readmeNotification(t)
	b, err := json.Marshal(Notification{JobId: "j", Tenant: "local", JobStatus: "TIMED_OUT", TopicArn: "arn:aws:sns:eu-west-1:123456789012:t"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if g, w := keysOf(got), keysOf(doc); !reflect.DeepEqual(g, w) {
		t.Errorf("a notification has the fields %v; README documents %v", g, w)
	}
	for _, k := range []string{"JobName", "Message", "OutputLocation"} {
		if v, ok := got[k]; !ok || v != "" {
			t.Errorf("%s = %v (present %v), want an empty string", k, v, ok)
		}
	}
	// The example round-trips: every field it shows is one the type reads.
	var n Notification
	dec := json.NewDecoder(strings.NewReader(mustJSON(t, doc)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		t.Errorf("README's example does not decode as a Notification: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParseTime: the SubmitTime filters take RFC 3339 with "T" and "Z" in either case and any
// offset; a time whose offset's "+" came through a URL's query as a space is refused with a
// message that says so (it said only "must be an RFC 3339 time", of a time typed as one).
func TestParseTime(t *testing.T) {
	want := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for _, v := range []string{"2026-12-05T00:00:00Z", "2026-12-05t00:00:00z", "2026-12-05T01:00:00+01:00", "2026-12-04T23:00:00.000-01:00"} {
		got, err := ParseTime("SubmitTimeAfter", v)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, c := range []struct{ v, hint string }{
		{"2026-12-05T01:00:00 01:00", "%2B"},
		{"2026-12-05", "not \"2026-12-05\""},
		{"yesterday", "not \"yesterday\""},
	} {
		_, err := ParseTime("SubmitTimeAfter", c.v)
		if !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "SubmitTimeAfter must be an RFC 3339 time") || !strings.Contains(err.Error(), c.hint) {
			t.Errorf("ParseTime(%q): %v; want an invalid-request error naming the field and %q", c.v, err, c.hint)
		}
	}
	if _, err := ParseTime("--after", "2026-12-05T00:00:00"); err == nil || strings.Contains(err.Error(), "%2B") {
		t.Errorf("a time without an offset: %v; want refused without the %%2B hint", err)
	}
}
