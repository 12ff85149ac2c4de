package pii

import (
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

func TestRedact(t *testing.T) {
	a := newPIITest(t)
	text := "Zoë Müller — zoë@exemple.fr, ☎ +33 1 42 68 53 00, 日本 192.0.2.1."
	ents := a.Detect(text)
	if len(ents) != 4 {
		t.Fatalf("entities %q", render(text, ents))
	}
	got := Redact(text, ents, RedactReplaceWithType, 0)
	want := "[NAME] — [EMAIL], ☎ [PHONE], 日本 [IP_ADDRESS]."
	if got != want {
		t.Errorf("replace:\n got  %q\n want %q", got, want)
	}
	got = Redact(text, ents, RedactMask, '#')
	want = "########## — ##############, ☎ #################, 日本 #########."
	if got != want {
		t.Errorf("mask:\n got  %q\n want %q", got, want)
	}
	if got := Redact(text, ents, RedactMask, 0); []rune(got)[0] != '*' || len([]rune(got)) != len([]rune(text)) {
		t.Errorf("default mask: %q", got)
	}
	if Redact(text, nil, RedactMask, 0) != text || Redact("", ents[:0], RedactMask, 0) != "" {
		t.Error("no entities must return the text")
	}
	// Unsorted, overlapping and out-of-range entities; an unknown mode still redacts.
	odd := []result.PiiEntity{{BeginOffset: 4, EndOffset: 8, Type: "B"}, {BeginOffset: 0, EndOffset: 2, Type: "A"}, {BeginOffset: 6, EndOffset: 99, Type: "C"}}
	if got := Redact("héllo wörld", odd, "SOMETHING", 0); got != "[A]ll[B][C]" {
		t.Errorf("odd: %q", got)
	}
	if got := Redact("héllo wörld", odd, RedactMask, 'x'); got != "xxllxxxxxxx" {
		t.Errorf("odd mask: %q", got)
	}
}
