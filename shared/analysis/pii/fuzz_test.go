package pii

import (
	"testing"
	"unicode/utf8"
)

// FuzzDetect: Detect never panics, and its spans are within the text, ordered and apart (a span
// read past the end of a text ending inside a pattern was found by a probe over IMDB reviews).
func FuzzDetect(f *testing.F) {
	for _, s := range []string{"I am 40 years old", "aged", "age: 7", "SWIFT: DEUTDEFF", "NINO AB 12 34 56 C",
		"Passport number: 123456789", "License plate ABC 1234", "VIN 1HGCM82633A004352", "SIN: 130 692 544",
		"Call 555-123-4567 or mail a@b.co", "1 Infinite Loop, Cupertino, CA 95014", "old", "at age"} {
		f.Add(s)
	}
	a, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := utf8.RuneCountInString(s)
		end := 0
		for _, e := range a.Detect(s) {
			if e.BeginOffset < end || e.EndOffset <= e.BeginOffset || e.EndOffset > n {
				t.Fatalf("%q: span %+v (previous end %d, %d characters)", s, e, end, n)
			}
			end = e.EndOffset
		}
	})
}
