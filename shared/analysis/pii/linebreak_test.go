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
