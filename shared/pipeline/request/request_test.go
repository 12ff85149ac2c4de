package request

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafeJobName(t *testing.T) {
	if got := SafeJobName("nightly-2026/11/a b.txt"); got != "nightly-2026/11/a b.txt" {
		t.Errorf("a valid name changed: %q", got)
	}
	if got := SafeJobName("r/(copy) #1.txt"); got != "r/_copy_ _1.txt" || !jobNameRE.MatchString(got) {
		t.Errorf("SafeJobName = %q", got)
	}
	// A JobName is at most 256 characters (not bytes): a long name keeps 256 of them.
	long := SafeJobName(strings.Repeat("é", 300))
	if utf8.RuneCountInString(long) != MaxJobName || !utf8.ValidString(long) || !jobNameRE.MatchString(long) || CheckNameAndToken(long, "") != nil {
		t.Errorf("a long name became %d characters, valid UTF-8 %v", utf8.RuneCountInString(long), utf8.ValidString(long))
	}
}
