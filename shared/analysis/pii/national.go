package pii

// national.go holds the national identifiers and other codes of Comprehend's PII types that
// have a published structure or check digit: UK National Insurance and NHS numbers, US ITINs,
// Canadian social insurance numbers, Indian PANs and Aadhaar numbers, SWIFT (BIC) codes and
// vehicle identification numbers. A code whose structure alone is distinctive (National
// Insurance, PAN, a VIN with a valid check digit) is found anywhere; one that is only digits,
// shaped like other numbers or with a checksum that one number in ten or eleven passes by
// chance (ITIN, SIN, NHS, Aadhaar), or a SWIFT code, which looks like a word in capitals, needs
// its context word before it (…Context), as Comprehend's examples have it.

import "strings"

// The types this file detects, as Comprehend spells them.
const (
	UKNationalInsurance = "UK_NATIONAL_INSURANCE_NUMBER"
	UKNHS               = "UK_NATIONAL_HEALTH_SERVICE_NUMBER"
	USITIN              = "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"
	CASIN               = "CA_SOCIAL_INSURANCE_NUMBER"
	INPAN               = "IN_PERMANENT_ACCOUNT_NUMBER"
	INAadhaar           = "IN_AADHAAR"
	SwiftCode           = "SWIFT_CODE"
	VIN                 = "VEHICLE_IDENTIFICATION_NUMBER"
)

// Context words, within 24 bytes before the code (see near).
var (
	ninoContext    = []string{"national insurance", "ni number", "ni no", "nino", "n.i."}
	nhsContext     = []string{"nhs"}
	itinContext    = []string{"itin", "individual taxpayer", "taxpayer identification", "taxpayer id", "tax id"}
	sinContext     = []string{"social insurance", "sin:", "sin ", "sin#", "s.i.n", "assurance sociale", "nas:"}
	panContext     = []string{"pan", "permanent account"}
	aadhaarContext = []string{"aadhaar", "aadhar", "uid"}
	// Phrases, in any case: "swift" alone is a word (and a singer), found from outside before
	// a word in capitals, and "SWIFT" in capitals heads "SWIFT MESSAGES" (found in review).
	swiftContext = []string{"swift code", "swift:", "swift/bic", "swift bic", "swift no", "swift #", "bic code", "bic:", "bic/swift", "(bic)"}
	vinContext   = []string{"vin", "vehicle identification", "chassis"}
)

// nationalNumber tries the digit-only codes on a run's groups gs (a window ending at end): an
// ITIN, a SIN, an NHS number or an Aadhaar number, each in its usual grouping or as one run of
// digits, after its context word. It reports whether one was found.
func (d *detector) nationalNumber(r *numberRun, gs []digitGroup, end int) bool {
	if !plain(r, gs) || len(gs) != 1 && len(gs) != 3 {
		return false
	}
	shape := func(grouped [3]int) bool {
		if len(gs) == 1 {
			return gs[0].e-gs[0].s == grouped[0]+grouped[1]+grouped[2]
		}
		if !sameSep(gs, "- ") {
			return false
		}
		for i, l := range grouped {
			if gs[i].e-gs[i].s != l {
				return false
			}
		}
		return true
	}
	var buf [12]byte
	digits := func() string { return string(d.digits(buf[:0], gs)) }
	switch {
	case shape([3]int{3, 2, 4}) && d.nearWord(r.s, 24, itinContext):
		// Only with its context: a dashed 9xx-xx-xxxx alone is as often an SSN written wrong
		// or a test number (the generated set's hard negatives).
		if !validITIN(digits()) {
			return false
		}
		d.add(r.s, end, USITIN, 0.95)
	case shape([3]int{3, 3, 3}) && d.nearWord(r.s, 24, sinContext):
		ds := digits()
		if ds[0] == '0' || ds[0] == '8' || !luhn(ds) {
			return false
		}
		d.add(r.s, end, CASIN, 0.9)
	case shape([3]int{3, 3, 4}) && d.nearWord(r.s, 24, nhsContext):
		if !validNHS(digits()) {
			return false
		}
		d.add(r.s, end, UKNHS, 0.9)
	case shape([3]int{4, 4, 4}) && d.nearWord(r.s, 24, aadhaarContext):
		ds := digits()
		if ds[0] < '2' || !verhoeff(ds) {
			return false
		}
		d.add(r.s, end, INAadhaar, 0.9)
	default:
		return false
	}
	return true
}

// validITIN checks the nine digits of a US ITIN: 9, two digits, then a group in 50–65, 70–88,
// 90–92 or 94–99 (the IRS's ranges), then four digits.
func validITIN(ds string) bool {
	if len(ds) != 9 || ds[0] != '9' {
		return false
	}
	g := int(ds[3]-'0')*10 + int(ds[4]-'0')
	return g >= 50 && g <= 65 || g >= 70 && g <= 88 || g >= 90 && g <= 92 || g >= 94 && g <= 99
}

// validNHS checks a ten-digit NHS number's modulus-11 check digit (weights 10 to 2; a remainder
// giving 10 is never issued).
func validNHS(ds string) bool {
	if len(ds) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(ds[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(ds[9]-'0')
}

// verhoeff checks the Verhoeff check digit of a digit string (Aadhaar's).
func verhoeff(ds string) bool {
	c := 0
	for i := 0; i < len(ds); i++ {
		c = verhoeffD[c][verhoeffP[i%8][ds[len(ds)-1-i]-'0']]
	}
	return c == 0
}

var verhoeffD = [10][10]int{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
	{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
	{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
	{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
}

var verhoeffP = [8][10]int{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
	{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
	{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
}

// codes finds the codes written as words of capitals and digits, by the word's length: National
// Insurance numbers, PANs, SWIFT codes and VINs.
func (d *detector) codes() {
	t := d.text
	for i := 0; i < len(t); i++ {
		if !isAlnum(t[i]) || i > 0 && isAlnum(t[i-1]) {
			continue
		}
		e := word(t, i)
		if i > 0 && (t[i-1] == '-' || t[i-1] == '_' || t[i-1] >= 0x80 && !sepBefore(t, i)) {
			i = e - 1 // part of a longer word ("order-SPACE2024X", "SKU_ABCPE1234F"; found in review)
			continue
		}
		n := len(d.cands)
		switch e - i {
		case 2, 9: // "AB 12 34 56 C", "AB123456C"
			d.nino(i)
		case 10:
			d.pan(i, e)
		case 17:
			d.vin(i, e)
		case 8, 11:
			d.swift(i, e)
		}
		if len(d.cands) == n && d.docContext && codeWord(t[i:e]) {
			d.documentNumber(i, e)
		}
		i = e - 1
	}
}

// codeWord reports whether w is only capitals and digits (documentNumber wants a digit in the
// word or in the groups after it: "ABC 1234").
func codeWord(w string) bool {
	for k := 0; k < len(w); k++ {
		if !isDigit(w[k]) && !upper(w[k]) {
			return false
		}
	}
	return w != ""
}

// word returns the end of the run of ASCII letters and digits from i.
func word(t string, i int) int {
	for i < len(t) && isAlnum(t[i]) {
		i++
	}
	return i
}

// wordEnds reports whether byte e ends a word (no letter or digit after it, nor a '-' or '_'
// joining it to another).
func wordEnds(t string, e int) bool {
	return e >= len(t) || !isAlnum(t[e]) && t[e] != '-' && t[e] != '_' && (t[e] < 0x80 || sepAfter(t, e))
}

// nino finds a UK National Insurance number at i: two prefix letters (not D, F, I, Q, U or V;
// the second not O; not BG, GB, KN, NK, NT, TN or ZZ), six digits (in pairs, spaced or not) and
// a suffix letter A–D: "QQ 12 34 56 C", "AB123456C".
func (d *detector) nino(i int) bool {
	t := d.text
	if i+9 > len(t) || !upper(t[i]) || !upper(t[i+1]) {
		return false
	}
	p := t[i : i+2]
	if strings.ContainsAny(p, "DFIQUV") || p[1] == 'O' || strings.Contains(" BG GB KN NK NT TN ZZ ", " "+p+" ") {
		return false
	}
	j := i + 2
	spaced := j < len(t) && t[j] == ' '
	for pair := 0; pair < 3; pair++ {
		if spaced {
			if j >= len(t) || t[j] != ' ' {
				return false
			}
			j++
		}
		if j+2 > len(t) || !isDigit(t[j]) || !isDigit(t[j+1]) {
			return false
		}
		j += 2
	}
	if spaced && j < len(t) && t[j] == ' ' {
		j++
	}
	if j >= len(t) || t[j] < 'A' || t[j] > 'D' || !wordEnds(t, j+1) {
		return false
	}
	d.add(i, j+1, UKNationalInsurance, d.scoreNear(i, ninoContext, 0.9, 0.95))
	return true
}

// pan finds an Indian Permanent Account Number at i: five capitals, the fourth the holder's
// kind (P person, C company, H, F, A, T, B, L, J, G, K), four digits and a capital.
func (d *detector) pan(i, e int) bool {
	t := d.text
	if e-i != 10 || !wordEnds(t, e) {
		return false
	}
	w := t[i:e]
	for k := 0; k < 10; k++ {
		if (k < 5 || k == 9) != upper(w[k]) || (k >= 5 && k < 9) != isDigit(w[k]) {
			return false
		}
	}
	if !strings.ContainsRune("PCHFATBLJGK", rune(w[3])) {
		return false
	}
	d.add(i, e, INPAN, d.scoreNear(i, panContext, 0.85, 0.95))
	return true
}

// vin finds a vehicle identification number at i: 17 capitals and digits (no I, O or Q), with
// letters and digits both; its check digit (the ninth, North American) validated, or, for the
// VINs elsewhere that have none, its context word before it.
func (d *detector) vin(i, e int) bool {
	t := d.text
	if e-i != 17 || !wordEnds(t, e) {
		return false
	}
	w := t[i:e]
	letters, digits := 0, 0
	for k := 0; k < 17; k++ {
		switch c := w[k]; {
		case isDigit(c):
			digits++
		case upper(c) && c != 'I' && c != 'O' && c != 'Q':
			letters++
		default:
			return false
		}
	}
	if letters < 2 || digits < 2 {
		return false
	}
	switch {
	case vinCheck(w):
		d.add(i, e, VIN, d.scoreNear(i, vinContext, 0.9, 0.95))
	case d.nearWord(i, 24, vinContext):
		d.add(i, e, VIN, 0.85)
	default:
		return false
	}
	return true
}

// vinCheck checks a VIN's ninth character against its check digit (ISO 3779, as North America
// requires: letters transliterated, weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2, modulo 11, X
// for 10).
func vinCheck(w string) bool {
	const values = "0123456789" + "12345678.12345.7.923456789" // '0'…'9', then 'A'…'Z' ('.': I, O, Q, never valid)
	weights := [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	sum := 0
	for k := 0; k < 17; k++ {
		c := w[k]
		idx := int(c - '0')
		if upper(c) {
			idx = 10 + int(c-'A')
		}
		v := values[idx]
		if v == '.' {
			return false
		}
		sum += int(v-'0') * weights[k]
	}
	check := byte('0' + sum%11)
	if sum%11 == 10 {
		check = 'X'
	}
	return w[8] == check
}

// swift finds a SWIFT (BIC) code at i after its context word: four capitals (the bank), two (the
// country: an ISO 3166 code, or XK), two capitals or digits (the place) and optionally three
// more (the branch).
func (d *detector) swift(i, e int) bool {
	t := d.text
	if n := e - i; n != 8 && n != 11 || !wordEnds(t, e) {
		return false
	}
	w := t[i:e]
	for k := 0; k < len(w); k++ {
		if k < 6 && !upper(w[k]) || k >= 6 && !upper(w[k]) && !isDigit(w[k]) {
			return false
		}
	}
	if !isoCountries[w[4:6]] || !d.nearWord(i, 24, swiftContext) {
		return false
	}
	d.add(i, e, SwiftCode, 0.9)
	return true
}

// isoCountries are the ISO 3166-1 alpha-2 country codes (and XK, which SWIFT uses for Kosovo).
var isoCountries = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields("AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW") {
		m[c] = true
	}
	return m
}()
