package request

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

func TestSafeJobName(t *testing.T) {
	if got := SafeJobName("nightly-2026/11/a b.txt"); got != "nightly-2026/11/a b.txt" {
		t.Errorf("a valid name changed: %q", got)
	}
	if got := SafeJobName("r/(copy) #1.txt"); got != "r/_copy_ _1.txt" || !jobNameRE.MatchString(got) {
		t.Errorf("SafeJobName = %q", got)
	}
	// A name in decomposed form (a file from macOS's HFS+, "cafe" and U+0301) is composed first:
	// the same readable name as its precomposed twin, not "cafe_.txt" (a combining mark is not
	// a JobName character).
	if got := SafeJobName("drop/cafe\u0301 re\u0301sume\u0301.txt"); got != "drop/caf\u00e9 r\u00e9sum\u00e9.txt" {
		t.Errorf("SafeJobName of a decomposed name = %q", got)
	}
	// A JobName is at most 256 characters (not bytes): a long name keeps 256 of them.
	long := SafeJobName(strings.Repeat("é", 300))
	if utf8.RuneCountInString(long) != MaxJobName || !utf8.ValidString(long) || !jobNameRE.MatchString(long) || CheckNameAndToken(long, "") != nil {
		t.Errorf("a long name became %d characters, valid UTF-8 %v", utf8.RuneCountInString(long), utf8.ValidString(long))
	}
}

// TestValidateLimits: each limit of a create request takes a value at the limit and refuses one
// past it (AWS's: JobName 256 characters, ClientRequestToken 64, DataAccessRoleArn 2048, 50 Tags
// with Keys of 1-128 and Values of at most 256 characters; Ream's: NumberOfTopics 1-100, 1000
// UploadFiles of at most 512 bytes each), and TOPICS is a job of its own.
func TestValidateLimits(t *testing.T) {
	base := func() api.CreateJobRequest {
		return api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}
	}
	tags := func(n, key, value int) []job.Tag {
		out := make([]job.Tag, n)
		for i := range out {
			out[i] = job.Tag{Key: fmt.Sprintf("%0*d", key, i), Value: strings.Repeat("é", value)}
		}
		return out
	}
	files := func(n, size int) []string { // names of size bytes, in folders (a segment is at most 255)
		dir := ""
		if size > 255 {
			dir = strings.Repeat("d", 200) + "/" + strings.Repeat("d", 200) + "/"
		}
		out := make([]string, n)
		for i := range out {
			out[i] = dir + fmt.Sprintf("%0*d", size-len(dir), i)
		}
		return out
	}
	role := func(chars int) string {
		p := "arn:aws:iam::123456789012:role/"
		return p + strings.Repeat("r", chars-len(p))
	}
	topicsJob := func(k int) func(r *api.CreateJobRequest) {
		return func(r *api.CreateJobRequest) { r.Analyses, r.NumberOfTopics = []job.Analysis{job.Topics}, &k }
	}
	for _, c := range []struct {
		name string
		set  func(r *api.CreateJobRequest)
		ok   bool
	}{
		{"JobName of 256 characters", func(r *api.CreateJobRequest) { r.JobName = strings.Repeat("é", 256) }, true},
		{"JobName of 257 characters", func(r *api.CreateJobRequest) { r.JobName = strings.Repeat("é", 257) }, false},
		{"token of 64", func(r *api.CreateJobRequest) { r.ClientRequestToken = strings.Repeat("t", 64) }, true},
		{"token of 65", func(r *api.CreateJobRequest) { r.ClientRequestToken = strings.Repeat("t", 65) }, false},
		{"role of 2048", func(r *api.CreateJobRequest) { r.DataAccessRoleArn = role(2048) }, true},
		{"role of 2049", func(r *api.CreateJobRequest) { r.DataAccessRoleArn = role(2049) }, false},
		{"50 tags", func(r *api.CreateJobRequest) { r.Tags = tags(50, 2, 1) }, true},
		{"51 tags", func(r *api.CreateJobRequest) { r.Tags = tags(51, 2, 1) }, false},
		{"tag key of 128, value of 256", func(r *api.CreateJobRequest) { r.Tags = tags(1, 128, 256) }, true},
		{"tag key of 129", func(r *api.CreateJobRequest) { r.Tags = tags(1, 129, 1) }, false},
		{"tag value of 257", func(r *api.CreateJobRequest) { r.Tags = tags(1, 1, 257) }, false},
		{"empty tag key", func(r *api.CreateJobRequest) { r.Tags = []job.Tag{{Value: "v"}} }, false},
		{"tag key of 1, empty value", func(r *api.CreateJobRequest) { r.Tags = []job.Tag{{Key: "k"}} }, true},
		{"NumberOfTopics 1", topicsJob(1), true},
		{"NumberOfTopics 100", topicsJob(100), true},
		{"NumberOfTopics 0", topicsJob(0), false},
		{"NumberOfTopics 101", topicsJob(101), false},
		{"TOPICS with another analysis", func(r *api.CreateJobRequest) { r.Analyses = []job.Analysis{job.Topics, job.Sentiment} }, false},
		{"1000 upload files of 512 bytes", func(r *api.CreateJobRequest) { r.UploadFiles = files(1000, 512) }, true},
		{"1001 upload files", func(r *api.CreateJobRequest) { r.UploadFiles = files(1001, 4) }, false},
		{"an upload file of 513 bytes", func(r *api.CreateJobRequest) { r.UploadFiles = files(1, 513) }, false},
	} {
		r := base()
		c.set(&r)
		err := Validate(&r)
		if c.ok && err != nil {
			t.Errorf("%s: %v; want it taken", c.name, err)
		}
		if !c.ok && !errors.Is(err, job.ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", c.name, err)
		}
	}
}

// TestTextractNotificationChannelAndJobTag: NotificationChannel and JobTag take what Textract's
// Start… operations take and refuse what they refuse (RoleArn aside, which Textract requires and
// Ream does not: README). Source: botocore's Textract model (textract/2018-06-27/service-2.json):
// JobTag 1-64 of [a-zA-Z0-9_.\-:]; NotificationChannel.RoleArn 20-2048 characters of
// arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+ (IAM's role name characters).
func TestTextractNotificationChannelAndJobTag(t *testing.T) {
	validate := func(tag, role string) error {
		r := api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, JobTag: tag,
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}
		if role != "-" {
			r.NotificationChannel = &job.NotificationChannel{SNSTopicArn: "arn:aws:sns:eu-west-1:123456789012:ream-dev_t", RoleArn: role}
		}
		return Validate(&r)
	}
	for _, c := range []struct {
		tag, role string
		ok        bool
	}{
		{"a", "-", true},
		{strings.Repeat("a", 64), "-", true},
		{"batch_7.2026-12:x", "-", true},
		{strings.Repeat("a", 65), "-", false},
		{"a b", "-", false},
		{"a/b", "-", false},
		{"é", "-", false},
		{"", "arn:aws:iam::123456789012:role/TextractRole", true},
		{"", "arn:aws:iam::123456789012:role/service-role/a+b=c,d.e@f-g_h", true},
		{"", "arn:aws-cn:iam::123456789012:role/r", true},
		{"", "arn:aws:iam::123456789012:role/" + strings.Repeat("r", 2048-31), true},
		{"", "arn:aws:iam::123456789012:role/" + strings.Repeat("r", 2049-31), false},
		{"", "arn:aws:iam::123456789012:role/has space", false},
		{"", "arn:aws:iam::123456789012:role/r*", false},
		{"", "arn:aws:iam::123456789012:role/ré", false},
		{"", "arn:aws:iam::123456789012:user/u", false},
	} {
		err := validate(c.tag, c.role)
		if c.ok && err != nil || !c.ok && !errors.Is(err, job.ErrInvalid) {
			t.Errorf("JobTag %q, RoleArn %q: %v; want accepted %v", c.tag, c.role, err, c.ok)
		}
	}
}
