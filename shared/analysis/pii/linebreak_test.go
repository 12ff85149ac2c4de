package pii

import (
	"testing"

	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
)

// TestContextStopsAtEveryLineBreak: a context word reaches a value on its own line, or on the
// next line when the word's line is a label ending in a colon, whatever ends the lines: CRLF, a
// lone CR (old Mac files, some exports), VT, FF, NEL, U+2028 and U+2029, as ENTITIES and
// KEY_PHRASES read line breaks (found from outside: with any line end but LF and CRLF, "Please
// renew the passport⏎X12345678" was a PASSPORT_NUMBER and "Call⏎555-123-4567" a PHONE, which
// the same document with LF line ends did not have).
func TestContextStopsAtEveryLineBreak(t *testing.T) {
	a := newPIITest(t)
	breaks := []string{"\r\n"}
	for _, r := range txt.LineBreaks {
		breaks = append(breaks, string(r))
	}
	for _, br := range breaks {
		for _, tc := range []struct{ text, want, typ string }{
			{"Please renew the passport" + br + "X12345678 is the parcel id", "", PassportNumber},
			{"Passport number:" + br + "X12345678", "PASSPORT_NUMBER X12345678", PassportNumber},
			{"Call" + br + "555-123-4567 was the old line", "", Phone},
			{"Call: " + br + "555-123-4567", "PHONE 555-123-4567", Phone},
			{"NHS services" + br + "943 476 5919 in the table", "", UKNHS},
			{"NHS Number:" + br + "943 476 5919", "UK_NATIONAL_HEALTH_SERVICE_NUMBER 943 476 5919", UKNHS},
			{"NHS Number:" + br + br + "943 476 5919", "", UKNHS}, // a blank line between
			// a negative context word ("Order #4111…" is an order number) stops there too
			{"Order" + br + "4111 1111 1111 1111", "CREDIT_DEBIT_NUMBER 4111 1111 1111 1111", CreditDebitNumber},
		} {
			checkTypes(t, a, tc.text, tc.want, tc.typ)
		}
	}
}

// TestKeyValueEndsAtWhiteSpace: an unquoted key=value value is a run of characters up to white
// space, Unicode's too: a line break other than LF and CR (VT, FF, NEL, U+2028, U+2029) or a
// no-break space ends it, where the value ran on into the next line's first word
// ("password=hunter2⏎Regards" was PASSWORD "hunter2⏎Regards"; found from outside). A quoted
// value holding such a line break is no value, as one holding LF is not.
func TestKeyValueEndsAtWhiteSpace(t *testing.T) {
	a := newPIITest(t)
	for _, sep := range []string{"\n", "\r", "\t", " ", "\v", "\f", "\u0085", "\u2028", "\u2029", "\u00a0", "\u3000"} {
		checkTypes(t, a, "password=hunter2"+sep+"Regards", "PASSWORD hunter2", Password)
		checkTypes(t, a, "user=jdoe"+sep+"next", "USERNAME jdoe", Username)
	}
	for _, br := range []string{"\n", "\r", "\u2028", "\u0085", "\v"} {
		checkTypes(t, a, `password="hunter2`+br+`Regards"`, "", Password)
	}
	checkTypes(t, a, `password="hunter 2"`, "PASSWORD hunter 2", Password)
	// blanks between the key and the value are skipped, a no-break space too (word processors
	// put one after a colon), but not a line break
	checkTypes(t, a, "password:\u00a0hunter2", "PASSWORD hunter2", Password)
	checkTypes(t, a, "password: \thunter2", "PASSWORD hunter2", Password)
	checkTypes(t, a, "password=\u2028hunter2", "", Password)
}
