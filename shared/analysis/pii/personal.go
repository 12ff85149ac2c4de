package pii

// personal.go holds the types of Comprehend's that have no check digit and are told from other
// numbers only by the words around them: AGE ("40 years old", "aged 40") and, after their
// context word, PASSPORT_NUMBER, DRIVER_ID and LICENSE_PLATE.

import "strings"

// The types this file detects, as Comprehend spells them.
const (
	Age            = "AGE"
	PassportNumber = "PASSPORT_NUMBER"
	DriverID       = "DRIVER_ID"
	LicensePlate   = "LICENSE_PLATE"
)

// Context words, within 24 bytes before the identifier (see near).
var (
	passportContext = []string{"passport"}
	driverContext   = []string{"driver's license", "drivers license", "driver license", "driving licence", "driving license", "driver's licence", "dl#", "dl #", "dl:", "dl no", "dl number", "license number", "licence number", "license no", "licence no"}
	plateContext    = []string{"license plate", "licence plate", "plate number", "plate no", "plate:", "registration number", "registration plate", "number plate", "reg. no", "reg no", "vehicle registration"}
)

// ageUnits are the units an age is given in before "old" ("40 years old", "18-month-old").
var ageUnits = []string{"years", "year", "yrs", "yr", "months", "month", "weeks", "week", "days", "day"}

// ages finds an individual's age, as Comprehend's AGE takes it ("I am 40 years old": "40
// years"): a number of at most three digits (at most 130 years) and its unit before "old",
// spaced or hyphenated ("a 40-year-old"), or the number after an age's lead word (ageLead).
func (d *detector) ages() {
	t := d.text
	for i := 0; i+3 <= len(t); i++ {
		if c := t[i] | 0x20; c != 'o' && c != 'a' {
			continue // ("old", "age", "aged")
		}
		if foldAt(t, i, "old") && (i+3 == len(t) || !isAlpha(t[i+3])) && i > 0 && (t[i-1] == ' ' || t[i-1] == '-') {
			d.ageBefore(i - 1)
			continue
		}
		j := ageLead(t, i)
		if j < 0 {
			continue
		}
		for j < len(t) && (t[j] == 'd' || t[j] == 'D' || t[j] == ':' || t[j] == ' ') {
			j++
		}
		e := j
		for e < len(t) && isDigit(t[e]) {
			e++
		}
		if n := e - j; n >= 1 && n <= 3 && atoi(t[j:e]) <= 130 && runEndOK(t, e) && !(e < len(t) && (t[e] == '-' || t[e] == '%')) && !timeUnitAfter(t, e) {
			d.add(j, e, Age, 0.85)
		}
	}
}

// Words before "aged" that make it a process ("the cheese was aged 18 months"), and before
// "age" that say whose age it is ("at age 40", "her age 40", "at the age of 40": "age" and a
// number alone is as often a title, "Ice Age 2", or a level).
var (
	passiveWords  = []string{"was ", "were ", "been ", "is ", "are ", "be "}
	ageOwnerWords = []string{"at ", "his ", "her ", "my ", "your ", "their ", "whose ", "its ", "the "}
)

// ageLead returns where the number may start after an age's lead word at i ("aged 40", "age:
// 40", "at age 40", "at the age of 40"), or -1; "Max-Age: 60" is a header.
func ageLead(t string, i int) int {
	if i > 0 && (isAlpha(t[i-1]) || t[i-1] == '-') {
		return -1
	}
	switch {
	case wordAt(t, i, "aged ") && !wordBefore(t, i, passiveWords):
		return i + 3
	case wordAt(t, i, "age: "):
		return i + 3
	case wordAt(t, i, "age of ") && wordBefore(t, i, ageOwnerWords):
		return i + 7
	case t[i] == 'a' && wordAt(t, i, "age ") && wordBefore(t, i, ageOwnerWords):
		return i + 3
	}
	return -1
}

// ageBefore reads "<number>[ -]<unit>" ending at byte e (the separator before "old").
func (d *detector) ageBefore(e int) {
	t := d.text
	for _, u := range ageUnits {
		s := e - len(u)
		if s < 2 || !foldAt(t, s, u) || t[s-1] != ' ' && t[s-1] != '-' {
			continue
		}
		ne := s - 1
		ns := ne
		for ns > 0 && isDigit(t[ns-1]) {
			ns--
		}
		if n := ne - ns; n < 1 || n > 3 || ns > 0 && (isAlnum(t[ns-1]) || t[ns-1] == '.' || t[ns-1] == ',') {
			return
		}
		if (strings.HasPrefix(u, "year") || strings.HasPrefix(u, "yr")) && atoi(t[ns:ne]) > 130 {
			return
		}
		d.add(ns, e, Age, 0.85)
		return
	}
}

// timeUnitAfter reports whether a unit shorter than a day follows the number ending at e ("age:
// 5 seconds", a cache's age).
func timeUnitAfter(t string, e int) bool {
	for e < len(t) && t[e] == ' ' {
		e++
	}
	for _, u := range []string{"s", "ms", "sec", "second", "min", "minute", "h", "hr", "hour"} {
		if wordAt(t, e, u) && (e+len(u) == len(t) || !isAlpha(t[e+len(u)]) || t[e+len(u)] == 's') {
			return true
		}
	}
	return false
}

// atoi reads a short run of digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// documentNumber finds, at the word of capitals and digits [i, e), a passport number (6–9
// characters with at least 5 digits), a driver's licence number (5–20 characters, or up to three
// groups joined by '-' or ' ', the groups after the first with a digit each, at least 4 digits
// in all) or a licence plate (2–9 characters, up to three groups, with a digit), each after its
// context word: the longest reading that ends a word and fits is taken ("ABC 1234 CA" is the
// plate ABC 1234; "D1234567 DMV issued" the licence D1234567; found in review). It reports
// whether one was found.
func (d *detector) documentNumber(i, e int) bool {
	t := d.text
	digits := func(s string) int {
		n := 0
		for k := 0; k < len(s); k++ {
			if isDigit(s[k]) {
				n++
			} else if !upper(s[k]) && s[k] != '-' && s[k] != ' ' {
				return -1
			}
		}
		return n
	}
	// The ends of the readings: the word alone, then with one and two more groups.
	ends := []int{e}
	for end := e; len(ends) < 3 && end+1 < len(t) && (t[end] == '-' || t[end] == ' ') && isAlnum(t[end+1]); {
		next := word(t, end+1)
		if digits(t[end+1:next]) < 0 {
			break
		}
		end = next
		ends = append(ends, end)
	}
	groupsHaveDigits := func(end int) bool { // every group after the first holds a digit
		for k := e; k < end; {
			next := word(t, k+1)
			if digits(t[k+1:next]) < 1 {
				return false
			}
			k = next
		}
		return true
	}
	first := t[i:e]
	if len(first) >= 6 && len(first) <= 9 && wordEnds(t, e) && digits(first) >= 5 && d.nearWord(i, 24, passportContext) {
		d.add(i, e, PassportNumber, 0.85)
		return true
	}
	for k := len(ends) - 1; k >= 0; k-- {
		end := ends[k]
		whole := t[i:end]
		if !wordEnds(t, end) {
			continue
		}
		if len(whole) >= 5 && len(whole) <= 20 && digits(whole) >= 4 && groupsHaveDigits(end) && d.nearWord(i, 24, driverContext) {
			d.add(i, end, DriverID, 0.8)
			return true
		}
		if len(whole) >= 2 && len(whole) <= 9 && digits(whole) >= 1 && d.nearWord(i, 24, plateContext) {
			d.add(i, end, LicensePlate, 0.8)
			return true
		}
	}
	return false
}
