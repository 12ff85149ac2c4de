package entities

import "testing"

// Two names on consecutive lines are two entities whatever the line end: a lone CR (old Mac
// files), NEL, VT, FF, LINE and PARAGRAPH SEPARATOR end a line as LF does (KEY_PHRASES already
// breaks its phrases at all of them). Before, only LF ended the model's sentence, so "John
// Smith\rMary Jones" came out as one PERSON spanning the line end.
func TestEntitiesNeverSpanALineBreak(t *testing.T) {
	a := newEntities(t)
	for _, sep := range []string{"\n", "\r\n", "\r", "\v", "\f", "\u0085", "\u2028", "\u2029"} {
		text := "John Smith" + sep + "Mary Jones went to Paris."
		var got []string
		for _, e := range a.Find(text) {
			got = append(got, e.Type+":"+e.Text)
		}
		if len(got) < 2 || got[0] != "PERSON:John Smith" || got[1] != "PERSON:Mary Jones" {
			t.Errorf("line end %q: entities %q, want PERSON John Smith then PERSON Mary Jones", sep, got)
		}
	}
}

// The rules' capitalised sequences end at a line break too: a list of one name or product a
// line ("Paris⏎Galaxy S24") gave one COMMERCIAL_ITEM spanning the lines, however many.
func TestCapitalisedSequencesEndAtALineBreak(t *testing.T) {
	a := newEntities(t)
	for _, sep := range []string{"\n", "\n\n", "\r\n", "\r", "\u2028"} {
		for _, text := range []string{"We sold Paris" + sep + "Galaxy S24 phones", "Paris" + sep + "Mary Jones" + sep + "IBM3", "the Bank of" + sep + "England Galaxy S24"} {
			for _, e := range a.Find(text) {
				for _, r := range e.Text {
					if r == '\n' || r == '\r' || r == '\u2028' {
						t.Errorf("%q: %s %q spans a line break", text, e.Type, e.Text)
						break
					}
				}
			}
		}
	}
}

// TestNameEndsNotInAConnector: a name cut by a line break after its connector ends before the
// connector ("Bank of⏎England" gave the ORGANIZATION "Bank of"; found from outside).
func TestNameEndsNotInAConnector(t *testing.T) {
	a := newEntities(t)
	for _, text := range []string{"We met at the Bank of\nEngland yesterday.", "The Ministry of\r\nCommerce said so."} {
		for _, e := range a.Find(text) {
			if last := e.Text[len(e.Text)-2:]; last == "of" {
				t.Errorf("%q: %s %q ends in its connector", text, e.Type, e.Text)
			}
		}
	}
	if got := a.Find("Bank of England raised rates."); len(got) == 0 || got[0].Text != "Bank of England" {
		t.Errorf("Bank of England on one line: %+v; want the whole name", got)
	}
}
