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

// TestURLEndsAtWhiteSpace: a URL ends at white space, Unicode's too: a line break other than
// LF and CR (VT, NEL, U+2028, U+2029) or a no-break space or other space ends it, where it ran
// on into the next line ("https://example.com/u?ip=192.0.2.61⏎Your PIN is 7391" was one URL to
// "Your", which a redacted copy masked line break and all, and the offsets output listed no
// PIN; found by TestRedactionProperties in shared/pipeline, which checks that a copy keeps its
// line breaks).
func TestURLEndsAtWhiteSpace(t *testing.T) {
	a := newPIITest(t)
	for _, sep := range []string{"\n", "\r", "\t", " ", "\v", "\f", "\u0085", "\u2028", "\u2029", "\u00a0", "\u3000", "\u2003"} {
		checkTypes(t, a, "see https://example.com/u?ip=192.0.2.61"+sep+"Regards", "URL https://example.com/u?ip=192.0.2.61", URL)
		checkTypes(t, a, "www.example.org/a"+sep+"next", "URL www.example.org/a", URL)
		checkTypes(t, a, "https://example.com/u?ip=192.0.2.19"+sep+"AKIABPZQDNDLGJUVI6FY", "AWS_ACCESS_KEY AKIABPZQDNDLGJUVI6FY", AWSAccessKey)
	}
}

// TestCodesBesideNonASCIISeparators: an IBAN, a CVV, an expiry, an AWS access key, a MAC and an
// IPv6 address are found when a character beyond ASCII that separates words stands just before
// or after them (a NEL, U+2028 or U+2029 line break, a no-break space, a right-to-left mark,
// curly quotes), as every other number and code is (found from outside: an IBAN at the start
// of a line after U+2028, and "cvv 123" before one, were not found, though they were after LF).
func TestCodesBesideNonASCIISeparators(t *testing.T) {
	a := newPIITest(t)
	for _, sp := range [][2]string{{"\u2028", "\u2028"}, {"\u0085", "\u0085"}, {"\u2029", "\u2029"}, {"\u00a0", "\u00a0"}, {"“", "”"}, {"\u200f", "\u200f"}} {
		b, e := sp[0], sp[1]
		checkTypes(t, a, "Account:"+b+"GB82 WEST 1234 5698 7654 32"+e+"Thanks", "INTERNATIONAL_BANK_ACCOUNT_NUMBER GB82 WEST 1234 5698 7654 32", IBAN)
		checkTypes(t, a, "Card 4111 1111 1111 1111 cvv 123"+e+"Regards", "CREDIT_DEBIT_CVV 123", CreditDebitCVV)
		checkTypes(t, a, "Card 4111 1111 1111 1111 exp 12/26"+e+"Regards", "CREDIT_DEBIT_EXPIRY 12/26", CreditDebitExpiry)
		checkTypes(t, a, "key"+b+"AKIAIOSFODNN7EXAMPLE"+e+"ok", "AWS_ACCESS_KEY AKIAIOSFODNN7EXAMPLE", AWSAccessKey)
		checkTypes(t, a, "mac"+b+"00:1A:2B:3C:4D:5E"+e+"ok", "MAC_ADDRESS 00:1A:2B:3C:4D:5E", MACAddress)
		checkTypes(t, a, "host"+b+"2001:db8::1"+e+"ok", "IP_ADDRESS 2001:db8::1", IPAddress)
	}
	// a letter beyond ASCII still joins: the code is inside a longer word
	checkTypes(t, a, "éGB82 WEST 1234 5698 7654 32", "", IBAN)
	checkTypes(t, a, "AKIAIOSFODNN7EXAMPLEé", "", AWSAccessKey)
}

// TestDatesAndAddressesBesideNonASCIISeparators: a date and a street address are found after
// and before a non-ASCII separator (a line break such as U+2028, a no-break space, a curly
// quote) as after and before LF or a space (found from outside, as for the codes above).
func TestDatesAndAddressesBesideNonASCIISeparators(t *testing.T) {
	a := newPIITest(t)
	for _, sp := range [][2]string{{"\n", "\n"}, {"\u2028", "\u2028"}, {"\u0085", "\u0085"}, {"\u00a0", "\u00a0"}, {"“", "”"}} {
		b, e := sp[0], sp[1]
		checkTypes(t, a, "Due:"+b+"03/15/2024"+e+"Thanks", "DATE_TIME 03/15/2024", DateTime)
		checkTypes(t, a, "Ship to:"+b+"1600 Pennsylvania Avenue NW, Washington, DC 20500"+e+"Thanks", "ADDRESS 1600 Pennsylvania Avenue NW, Washington, DC 20500", Address)
	}
	checkTypes(t, a, "é03/15/2024", "", DateTime)
}
