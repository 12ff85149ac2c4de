package pii

import (
	txt "github.com/ream-dev/ream/shared/analysis/internal/text"

	"net/netip"
	"regexp"
	"strings"
)

// detector collects candidate spans (in bytes) for one document.
type detector struct {
	text  string
	cands []candidate
	runs  []numberRun
	awsAt []int // byte ends of AWS access keys, for the secret-key proximity rule
}

func (d *detector) add(s, e int, typ string, score float64) {
	d.cands = append(d.cands, candidate{s: s, e: e, typ: typ, score: score})
}

func (d *detector) run() {
	t := d.text
	hasDigit, hasAt, hasColon, hasEq, hasUpper := false, false, false, false, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			hasDigit = true
		case c == '@':
			hasAt = true
		case c == ':':
			hasColon = true
		case c == '=':
			hasEq = true
		case c >= 'A' && c <= 'Z':
			hasUpper = true
		}
	}
	if hasAt {
		d.emails()
	}
	if strings.Contains(t, "://") || strings.Contains(t, "www.") || strings.Contains(t, "WWW.") {
		d.urls()
	}
	if hasDigit {
		d.numericRuns()
		if hasColon {
			d.ipv6()
		}
		d.macs()
		if hasUpper {
			d.ibans()
		}
		d.dates()
		if hasUpper {
			d.addresses()
			d.euroAddresses()
		}
	}
	if hasUpper {
		d.awsKeys()
		d.names()
	}
	if hasColon || hasEq {
		d.keyValues()
	}
	if hasDigit && (containsFold(t, "cv") || containsFold(t, "exp") || containsFold(t, "valid ") || containsFold(t, "security code")) {
		d.cardKeywords()
	}
	d.awsSecrets()
}

// ---- character classes ----

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// wordByte reports whether c can be part of a word (ASCII alnum, '_' or any non-ASCII byte).
func wordByte(c byte) bool { return isAlnum(c) || c == '_' || c >= 0x80 }

// containsFold reports whether hay contains needle (lower-case ASCII), ignoring ASCII case.
func containsFold(hay, needle string) bool {
	n := len(needle)
outer:
	for i := 0; i+n <= len(hay); i++ {
		for j := 0; j < n; j++ {
			c := hay[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

// before returns up to n bytes of text before byte offset i.
func (d *detector) before(i, n int) string {
	s := i - n
	if s < 0 {
		s = 0
	}
	return d.text[s:i]
}

// near reports whether one of the context words ends at most maxGap bytes before byte i, with
// no digit and no sentence end between it and i ("SSN: ", "account number ", "call me at ").
func (d *detector) near(i, maxGap int, words []string) bool {
	w := d.before(i, maxGap+24)
	for _, word := range words {
		k := lastIndexFold(w, word)
		if k < 0 {
			continue
		}
		gap := w[k+len(word):]
		if len(gap) > maxGap || strings.ContainsAny(gap, "0123456789\n") || sentenceBreak(gap) {
			continue
		}
		// The keyword must start a word.
		if k > 0 && isAlpha(w[k-1]) {
			continue
		}
		return true
	}
	return false
}

// sentenceBreak reports whether s holds a sentence end: '.', '!' or '?', spaces, and an
// upper-case letter.
func sentenceBreak(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '.' && s[i] != '!' && s[i] != '?' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j > i+1 && j < len(s) && upper(s[j]) {
			return true
		}
	}
	return false
}

// lastIndexFold is the last index of needle (lower-case ASCII) in hay, ignoring ASCII case.
func lastIndexFold(hay, needle string) int {
	n := len(needle)
outer:
	for i := len(hay) - n; i >= 0; i-- {
		for j := 0; j < n; j++ {
			c := hay[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				continue outer
			}
		}
		return i
	}
	return -1
}

// hasAny reports whether window contains any of the words (ASCII case-insensitive).
func hasAny(window string, words []string) bool {
	for _, w := range words {
		if containsFold(window, w) {
			return true
		}
	}
	return false
}

// ---- numeric runs: cards, SSNs, phones, IPv4, routing and account numbers ----

type digitGroup struct {
	s, e  int  // digits
	paren bool // written as (digits)
	sep   byte // separator before this group: 0 (none), ' ', '-', '.'
}

type numberRun struct {
	s, e   int // whole run, including a leading '+' or '('
	plus   bool
	groups []digitGroup
}

const maxGroups = 12

// numericRuns finds runs of digit groups joined by single separators and hands each to the
// numeric validators.
func (d *detector) numericRuns() {
	t := d.text
	var groups [maxGroups]digitGroup
	for i := 0; i < len(t); {
		c := t[i]
		if !(isDigit(c) || c == '+' || c == '(') {
			i++
			continue
		}
		if i > 0 && !runStartOK(t, i) {
			// Skip the rest of this token.
			for i < len(t) && (wordByte(t[i]) || t[i] == '+' || t[i] == '(') {
				i++
			}
			continue
		}
		r := numberRun{s: i, groups: groups[:0]}
		j := i
		if c == '+' {
			r.plus = true
			j++
		}
		var sep byte
		for len(r.groups) < maxGroups {
			g, nj, ok := scanGroup(t, j)
			if !ok {
				break
			}
			g.sep = sep
			r.groups = append(r.groups, g)
			j = nj
			// A separator counts only if a group follows it.
			if j < len(t) && (t[j] == ' ' || t[j] == '-' || t[j] == '.') {
				if _, _, ok := scanGroup(t, j+1); ok {
					sep = t[j]
					j++
					continue
				}
			}
			if j < len(t) && t[j] == '(' || (len(r.groups) > 0 && r.groups[len(r.groups)-1].paren) {
				// "(555)123-4567", "+1(555)…": no separator next to a parenthesis.
				if _, _, ok := scanGroup(t, j); ok {
					sep = 0
					continue
				}
			}
			break
		}
		if len(r.groups) == 0 {
			i++
			continue
		}
		r.e = j
		d.numeric(&r)
		if j <= i {
			j = i + 1
		}
		i = j
	}
}

// runStartOK reports whether a numeric run may start at i (i > 0).
func runStartOK(t string, i int) bool {
	p := t[i-1]
	if wordByte(p) {
		return false
	}
	switch p {
	case '-', '/', '+', '@', '\\', '$', '#':
		// '#' is fine ("card #4111…"), the others join tokens or are currencies.
		return p == '#'
	case '.', ',', ':':
		// "1.5", "1,000", "10:30" continue a number.
		return i < 2 || !isDigit(t[i-2])
	}
	return true
}

// scanGroup reads "digits" or "(digits)" at j.
func scanGroup(t string, j int) (digitGroup, int, bool) {
	if j >= len(t) {
		return digitGroup{}, j, false
	}
	paren := false
	if t[j] == '(' {
		paren = true
		j++
	}
	s := j
	for j < len(t) && isDigit(t[j]) && j-s < 20 {
		j++
	}
	if j == s {
		return digitGroup{}, j, false
	}
	g := digitGroup{s: s, e: j, paren: paren}
	if paren {
		if j >= len(t) || t[j] != ')' || j-s > 4 {
			return digitGroup{}, j, false
		}
		j++
	}
	return g, j, true
}

// runEndOK reports whether the text after byte e lets a number end there.
func runEndOK(t string, e int) bool {
	if e >= len(t) {
		return true
	}
	c := t[e]
	if wordByte(c) {
		return false
	}
	switch c {
	case '@', '/', '\\', '_':
		return false
	case ':':
		// A port ("10.0.0.1:8080") may follow; a word may not.
		return e+1 >= len(t) || !isAlpha(t[e+1])
	case '-', '.', ',':
		return e+1 >= len(t) || !isAlnum(t[e+1])
	}
	return true
}

// numeric runs the validators over prefix windows of a run (longest first). A window shorter
// than the run must be followed by a space, so "123-45-6789-01" is not an SSN.
func (d *detector) numeric(r *numberRun) {
	t := d.text
	var found [6]bool // card, ssn, phone, ip, routing, account
	for k := len(r.groups); k >= 1; k-- {
		gs := r.groups[:k]
		end := gs[k-1].e
		if gs[k-1].paren {
			end++
		}
		if k < len(r.groups) && r.groups[k].sep != ' ' {
			continue
		}
		if k == len(r.groups) && !runEndOK(t, r.e) {
			continue
		}
		if !found[0] && d.card(r, gs, end) {
			found[0] = true
		}
		if !found[1] && d.ssn(r, gs, end) {
			found[1] = true
		}
		if !found[2] && d.phone(r, gs, end) {
			found[2] = true
		}
		if !found[3] && k == len(r.groups) && d.ipv4(r, gs, end) {
			found[3] = true
		}
		if !found[4] && d.routing(r, gs, end) {
			found[4] = true
		}
		if !found[5] && d.account(r, gs, end) {
			found[5] = true
		}
	}
}

// digits appends the digits of gs to dst.
func (d *detector) digits(dst []byte, gs []digitGroup) []byte {
	for _, g := range gs {
		dst = append(dst, d.text[g.s:g.e]...)
	}
	return dst
}

func plain(r *numberRun, gs []digitGroup) bool {
	if r.plus {
		return false
	}
	for _, g := range gs {
		if g.paren {
			return false
		}
	}
	return true
}

func sameSep(gs []digitGroup, allowed string) bool {
	if len(gs) < 2 {
		return true
	}
	s := gs[1].sep
	if strings.IndexByte(allowed, s) < 0 || s == 0 {
		return false
	}
	for _, g := range gs[2:] {
		if g.sep != s {
			return false
		}
	}
	return true
}

// ---- credit and debit cards ----

func (d *detector) card(r *numberRun, gs []digitGroup, end int) bool {
	if !plain(r, gs) || !sameSep(gs, " -") {
		return false
	}
	var buf [40]byte
	ds := d.digits(buf[:0], gs)
	n := len(ds)
	if n < 14 || n > 19 {
		return false
	}
	if len(gs) > 1 && !cardGrouping(gs) {
		return false
	}
	if !luhn(string(ds)) || !cardIIN(ds) {
		return false
	}
	// Order, invoice and tracking numbers are often generated with a Luhn check digit, so
	// the checksum does not prove a card: an order/invoice/ref/tracking/ISBN/SKU word as the
	// nearest keyword before the number (within three words) vetoes it; a card word nearer
	// than that ("order … paid with card 4012…") does not.
	if d.negBefore(r.s, cardWords) {
		return false
	}
	// Digits that follow an IBAN's country code and check digits ("DE12 4047 …") are the
	// account part of an IBAN (one whose checksum failed, or the IBAN detector would have
	// taken it), not a card, even when 16 of them happen to pass Luhn.
	if d.afterIBANPrefix(r.s) {
		return false
	}
	d.add(r.s, end, CreditDebitNumber, 1.0)
	return true
}

func cardGrouping(gs []digitGroup) bool {
	l := func(i int) int { return gs[i].e - gs[i].s }
	if len(gs) == 3 && l(0) == 4 && l(1) == 6 && (l(2) == 5 || l(2) == 4) {
		return true
	}
	for i := range gs {
		if i < len(gs)-1 && l(i) != 4 {
			return false
		}
	}
	return l(len(gs)-1) >= 1 && l(len(gs)-1) <= 4
}

// luhn reports whether the digit string passes the Luhn (mod 10) checksum.
func luhn(ds string) bool {
	sum, dbl := 0, false
	for i := len(ds) - 1; i >= 0; i-- {
		c := ds[i]
		if c < '0' || c > '9' {
			return false
		}
		v := int(c - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return len(ds) > 0 && sum%10 == 0
}

func prefixNum(ds []byte, n int) int {
	v := 0
	for i := 0; i < n && i < len(ds); i++ {
		v = v*10 + int(ds[i]-'0')
	}
	return v
}

// cardIIN checks the issuer prefix against the length.
func cardIIN(ds []byte) bool {
	n := len(ds)
	p1, p2, p3, p4, p6 := prefixNum(ds, 1), prefixNum(ds, 2), prefixNum(ds, 3), prefixNum(ds, 4), prefixNum(ds, 6)
	in := func(v, lo, hi int) bool { return v >= lo && v <= hi }
	switch {
	case p1 == 4: // Visa
		return n == 16 || n == 19
	case in(p2, 51, 55) || in(p4, 2221, 2720): // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case in(p4, 2200, 2204): // Mir
		return n >= 16
	case p4 == 6011 || in(p3, 644, 649) || p2 == 65 || in(p6, 622126, 622925): // Discover
		return n >= 16
	case p2 == 62 || p2 == 81: // UnionPay
		return n >= 16
	case in(p4, 3528, 3589): // JCB
		return n >= 16
	case in(p3, 300, 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39: // Diners Club
		return n >= 14
	case p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759 || in(p4, 6761, 6763): // Maestro
		return n >= 16
	case p2 == 60 || p3 == 508: // RuPay
		return n == 16
	}
	return false
}

// ---- SSN ----

var ssnContext = []string{"ssn", "social security", "soc sec", "ss#", "ss #", "ss no", "taxpayer id"}

func (d *detector) ssn(r *numberRun, gs []digitGroup, end int) bool {
	if !plain(r, gs) {
		return false
	}
	t := d.text
	l := func(i int) int { return gs[i].e - gs[i].s }
	var ds string
	dashed := false
	switch {
	case len(gs) == 3 && l(0) == 3 && l(1) == 2 && l(2) == 4 && sameSep(gs, "- "):
		dashed = gs[1].sep == '-'
		ds = t[gs[0].s:gs[0].e] + t[gs[1].s:gs[1].e] + t[gs[2].s:gs[2].e]
	case len(gs) == 1 && l(0) == 9:
		ds = t[gs[0].s:gs[0].e]
	default:
		return false
	}
	if !validSSN(ds) {
		return false
	}
	ctx := d.near(r.s, 24, ssnContext)
	switch {
	case ctx:
		d.add(r.s, end, SSN, 0.95)
	case dashed:
		d.add(r.s, end, SSN, 0.85)
	default:
		return false
	}
	return true
}

// validSSN checks a nine-digit US social security number against the SSA's rules: area
// not 000, 666 or 900–999, group not 00, serial not 0000, and not one of the two voided
// numbers.
func validSSN(ds string) bool {
	if len(ds) != 9 {
		return false
	}
	for i := 0; i < 9; i++ {
		if !isDigit(ds[i]) {
			return false
		}
	}
	area, group, serial := ds[:3], ds[3:5], ds[5:]
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return false
	}
	return ds != "078051120" && ds != "219099999"
}

// ---- phones ----

var phoneContext = []string{"phone", "tel", "call", "mobile", "mob", "cell", "fax", "contact", "text me", "sms", "whatsapp", "dial", "ring", "reach", "switchboard", "landline", "hotline", "helpline", "toll free", "tél", "telefon", "teléfono", "telefono"}

// callingCodes holds the ITU country calling codes (without zones' unassigned codes).
var callingCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58
		60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218 220 221 222 223
		224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245
		246 247 248 249 250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268
		269 290 291 297 298 299 350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375
		376 377 378 379 380 381 382 383 385 386 387 389 420 421 423 500 501 502 503 504 505 506
		507 508 509 590 591 592 593 594 595 596 597 598 599 670 672 673 674 675 676 677 678 679
		680 681 682 683 685 686 687 688 689 690 691 692 850 852 853 855 856 870 880 886 960 961
		962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995 996 998`) {
		m[c] = true
	}
	return m
}()

// nanp checks a ten-digit North American number: area code and exchange NXX with N 2–9,
// neither N11.
func nanp(ds []byte) bool {
	if len(ds) != 10 {
		return false
	}
	ok := func(x []byte) bool { return x[0] >= '2' && !(x[1] == '1' && x[2] == '1') }
	return ok(ds[0:3]) && ok(ds[3:6])
}

// nsnLengths is the national significant number length range (digits after the country
// code, without a trunk 0) for common countries; codes not listed accept 8–15 digits in all.
var nsnLengths = map[string][2]int{
	"1": {10, 10}, "7": {10, 10}, "27": {9, 9}, "31": {9, 9}, "32": {8, 9}, "33": {9, 9},
	"34": {9, 9}, "39": {6, 11}, "41": {9, 9}, "43": {4, 13}, "44": {9, 10}, "45": {8, 8},
	"46": {7, 9}, "47": {8, 8}, "48": {9, 9}, "49": {6, 13}, "52": {10, 10}, "55": {10, 11},
	"61": {9, 9}, "64": {8, 10}, "81": {9, 10}, "86": {10, 11}, "91": {10, 10}, "351": {9, 9},
	"353": {7, 9}, "358": {6, 12},
}

// negWords, phoneWords and cardWords are the words that, nearest before a number,
// mark it as an identifier of something else (an order, an invoice, a parcel), a phone or a card.
var (
	negWords   = txt.Set("order orders invoice inv ref reference tracking isbn sku ticket batch serial receipt confirmation booking transaction txn shipment parcel ean upc gtin imei awb po part")
	phoneWords = txt.Set("phone telephone tel call mobile mob cell fax contact sms text whatsapp dial ring reach switchboard landline hotline helpline")
	cardWords  = txt.Set("card visa mastercard amex discover maestro credit debit cc pan")
)

// afterIBANPrefix reports whether byte i is preceded, across one space or hyphen, by an IBAN's
// country code and check digits standing alone ("DE12 4047…", "GB-82 …" not).
func (d *detector) afterIBANPrefix(i int) bool {
	t := d.text
	if i < 5 || (t[i-1] != ' ' && t[i-1] != '-') {
		return false
	}
	p := t[i-5 : i-1]
	if !(p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z' && isDigit(p[2]) && isDigit(p[3])) {
		return false
	}
	return i == 5 || !wordByte(t[i-6])
}

// negBefore reports whether, among the three words before byte i (no digit, line break or
// sentence end between), the nearest one in neg or pos is in neg: "Order #4111…", "call about
// order 0612345678" but not "Order questions? Call 0612345678" nor "… for the parcel. Paid with
// 4047…" (a sentence end is '.', '!' or '?' and a space before a capital letter; "Order no.
// 4111…" is not one).
func (d *detector) negBefore(i int, pos map[string]bool) bool {
	t := d.text
	j := i
	for w := 0; w < 3; w++ {
		next := j // the start of the word (or the number) after this gap
		for j > 0 && !wordByte(t[j-1]) {
			if isDigit(t[j-1]) || t[j-1] == '\n' || i-j > 32 {
				return false
			}
			if c := t[j-1]; (c == '.' || c == '!' || c == '?') && j < next && t[j] == ' ' && next < len(t) && t[next] >= 'A' && t[next] <= 'Z' {
				return false
			}
			j--
		}
		e := j
		for j > 0 && wordByte(t[j-1]) {
			if isDigit(t[j-1]) {
				return false
			}
			j--
		}
		if e == j || i-j > 40 || e-j > 16 {
			return false
		}
		var buf [16]byte
		wb := buf[:0]
		for k := j; k < e; k++ {
			c := t[k]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			wb = append(wb, c)
		}
		if pos[string(wb)] {
			return false
		}
		if negWords[string(wb)] {
			return true
		}
	}
	return false
}

// phoneGrouping checks the layout of a national number (no '+'): a first group in
// parentheses or not, then groups of 2–8 digits joined by one kind of separator.
func phoneGrouping(gs []digitGroup) bool {
	if len(gs) > 5 {
		return false
	}
	var sep byte
	for i, g := range gs {
		l := g.e - g.s
		if i > 0 && g.paren {
			return false
		}
		if len(gs) > 1 && (l < 2 || l > 8) {
			return false
		}
		if i == 0 || (i == 1 && gs[0].paren) {
			continue
		}
		if sep == 0 {
			sep = g.sep
		}
		if g.sep != sep || sep == 0 {
			return false
		}
	}
	if len(gs) > 1 && gs[0].paren && gs[1].sep != ' ' && gs[1].sep != 0 {
		return false
	}
	return true
}

// nationalPhone validates a number written without a country code, by the digit counts
// and groupings of national plans. It returns ok when the digits fit a plan and distinctive
// when the layout alone is typical enough of a phone number to need no context word:
//
//	trunk 0, 10–12 digits (FR, DE, UK, IT, NL, AU, IN landlines, mobiles):
//	  distinctive: 0X XX XX XX XX (FR), 07XXX XXXXXX (UK mobile), 0XX XXXX XXXX (UK, IN),
//	  04XX XXX XXX (AU mobile), (0X…) in parentheses (AU, DE, UK);
//	nine digits, no trunk (PL, ES): XX XXX XX XX, XXX XXX XXX, XXX XX XX XX;
//	ten digits, no trunk: XXXXX XXXXX (IN mobile, 6–9), 3XX XXX XXXX (IT mobile).
func nationalPhone(ds []byte, gs []digitGroup) (ok, distinctive bool) {
	n := len(ds)
	var lb [8]byte
	lens := lb[:0]
	for _, g := range gs {
		lens = append(lens, byte(g.e-g.s))
	}
	shape := string(lens)
	is := func(ls ...byte) bool { return shape == string(ls) }
	if ds[0] == '0' {
		if ds[1] == '0' || n < 10 || n > 12 || (len(gs) == 1 && n > 11) {
			return false, false
		}
		if gs[0].paren && lens[0] >= 2 && lens[0] <= 5 && len(gs) >= 2 {
			return true, true
		}
		switch {
		case n == 10 && is(2, 2, 2, 2, 2):
			return true, true
		case n == 11 && ds[1] == '7' && is(5, 6):
			return true, true
		case n == 11 && is(3, 4, 4):
			return true, true
		case n == 10 && ds[1] == '4' && is(4, 3, 3):
			return true, true
		}
		return !gs[0].paren, false
	}
	if gs[0].paren {
		return false, false
	}
	switch {
	case n == 9 && (is(2, 3, 2, 2) || is(3, 3, 3) || is(3, 2, 2, 2)):
		return true, false
	case n == 10 && ds[0] >= '6' && is(5, 5):
		return true, false
	case n == 10 && ds[0] == '3' && is(3, 3, 4):
		return true, false
	}
	return false, false
}

func (d *detector) phone(r *numberRun, gs []digitGroup, end int) bool {
	var buf [48]byte
	ds := d.digits(buf[:0], gs)
	n := len(ds)
	t := d.text
	l := func(i int) int { return gs[i].e - gs[i].s }
	parens := 0
	for _, g := range gs {
		if g.paren {
			parens++
		}
	}
	if parens > 1 || n < 7 {
		return false
	}
	if d.negBefore(r.s, phoneWords) {
		return false
	}
	ctx := func() bool { return d.near(r.s, 20, phoneContext) }
	// "0044 20 7946 0958": the 00 international prefix written instead of '+'.
	intl00 := !r.plus && len(gs) > 1 && l(0) >= 3 && l(0) <= 5 && ds[0] == '0' && ds[1] == '0' && ds[2] != '0'
	if r.plus || intl00 {
		if gs[0].paren {
			return false
		}
		pfx := 0
		if intl00 {
			pfx = 2
		}
		// "+44 (0)20 …": the bracketed trunk 0 is not dialled from abroad.
		nd := ds
		ng := len(gs)
		if len(gs) > 2 && gs[1].paren && l(1) == 1 && t[gs[1].s] == '0' {
			var nb [48]byte
			nd = append(append(nb[:0], ds[:l(0)]...), ds[l(0)+1:]...)
			ng--
		}
		nd = nd[pfx:]
		n = len(nd)
		if n < 8 || n > 15 || ng > 6 {
			return false
		}
		cc := ""
		if l(0)-pfx <= 3 && len(gs) > 1 {
			cc = t[gs[0].s+pfx : gs[0].e]
		} else {
			for k := 1; k <= 3; k++ {
				if callingCodes[string(nd[:k])] {
					cc = string(nd[:k])
					break
				}
			}
		}
		if !callingCodes[cc] {
			return false
		}
		nsn := n - len(cc)
		if cc == "1" && !nanp(nd[1:]) {
			return false
		}
		score := 0.9
		if lr, ok := nsnLengths[cc]; ok && (nsn < lr[0] || nsn > lr[1]) {
			if cc == "1" || intl00 {
				return false
			}
			// A registered code but a length that country does not use: still a phone
			// number by its layout, with less confidence.
			score = 0.6
		}
		d.add(r.s, end, Phone, score)
		return true
	}
	// North American layouts, optionally after a leading 1.
	hs := gs
	nd := ds
	if len(hs) > 1 && l(0) == 1 && ds[0] == '1' {
		hs, nd = hs[1:], ds[1:]
	}
	if len(hs) == 3 && hs[0].e-hs[0].s == 3 && hs[1].e-hs[1].s == 3 && hs[2].e-hs[2].s == 4 && !hs[1].paren && !hs[2].paren && nanp(nd) {
		// The two separators after the area code: "-"/"."/" " consistent, or "(555) 234-5678".
		s1, s2 := hs[1].sep, hs[2].sep
		if hs[0].paren || s1 == s2 || (s2 == '-' && (s1 == ' ' || s1 == '.')) {
			d.add(r.s, end, Phone, 0.85)
			return true
		}
	}
	if len(gs) == 1 && n == 10 && nanp(ds) && ctx() {
		d.add(r.s, end, Phone, 0.7)
		return true
	}
	if len(gs) == 2 && l(0) == 3 && l(1) == 4 && gs[1].sep == '-' && ds[0] >= '2' && parens == 0 && ctx() {
		d.add(r.s, end, Phone, 0.7)
		return true
	}
	if !phoneGrouping(gs) {
		return false
	}
	if ok, distinctive := nationalPhone(ds, gs); ok {
		if distinctive {
			d.add(r.s, end, Phone, 0.75)
			return true
		}
		if ctx() {
			d.add(r.s, end, Phone, 0.7)
			return true
		}
	}
	return false
}

// ---- IPv4 ----

var versionWords = []string{"version", "ver", "v", "release", "build", "firmware", "rev", "revision", "section", "sec", "§", "chapter", "clause"}

func (d *detector) ipv4(r *numberRun, gs []digitGroup, end int) bool {
	if !plain(r, gs) || len(gs) != 4 || !sameSep(gs, ".") {
		return false
	}
	for _, g := range gs {
		s := d.text[g.s:g.e]
		if len(s) > 3 || (len(s) > 1 && s[0] == '0') {
			return false
		}
		v := 0
		for i := 0; i < len(s); i++ {
			v = v*10 + int(s[i]-'0')
		}
		if v > 255 {
			return false
		}
	}
	if versionBefore(d.text, r.s) {
		return false
	}
	d.add(r.s, end, IPAddress, 0.98)
	return true
}

// versionBefore reports whether the word just before i (skipping spaces, ':' and '.') is a
// version or section word.
func versionBefore(t string, i int) bool {
	j := i
	for j > 0 && (t[j-1] == ' ' || t[j-1] == ':' || t[j-1] == '.' || t[j-1] == '\t') {
		j--
	}
	k := j
	for k > 0 && (isAlpha(t[k-1]) || t[k-1] >= 0x80) {
		k--
	}
	w := t[k:j]
	for _, v := range versionWords {
		if strings.EqualFold(w, v) {
			return true
		}
	}
	return false
}

// ---- bank routing and account numbers ----

var routingContext = []string{"routing", "aba", "rtn", "transit number"}
var accountContext = []string{"account number", "account no", "account #", "acct", "a/c", "bank account", "checking", "savings", "account:", "kontonummer", "konto-nr", "numéro de compte", "n° de compte", "no de compte", "número de cuenta", "numero di conto", "rekeningnummer", "numer rachunku", "nr rachunku"}

// accountShort are bare account words that count only right before the number
// ("account 000123456789", "Konto 1234567890"), not as the subject of a sentence.
var accountShort = []string{"account", "konto", "compte", "cuenta", "conto", "rekening", "rachunek"}

func (d *detector) routing(r *numberRun, gs []digitGroup, end int) bool {
	if !plain(r, gs) || len(gs) != 1 || gs[0].e-gs[0].s != 9 {
		return false
	}
	if !validABA(d.text[gs[0].s:gs[0].e]) || !d.near(r.s, 16, routingContext) {
		return false
	}
	d.add(r.s, end, BankRouting, 1.0)
	return true
}

// validABA checks a nine-digit ABA routing number's 3-7-1 checksum.
func validABA(ds string) bool {
	if len(ds) != 9 || ds == "000000000" {
		return false
	}
	w := [3]int{3, 7, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		if !isDigit(ds[i]) {
			return false
		}
		sum += w[i%3] * int(ds[i]-'0')
	}
	return sum%10 == 0
}

func (d *detector) account(r *numberRun, gs []digitGroup, end int) bool {
	if !plain(r, gs) || !sameSep(gs, "-") {
		return false
	}
	n := 0
	for _, g := range gs {
		n += g.e - g.s
	}
	if n < 6 || n > 17 {
		return false
	}
	if !(d.near(r.s, 16, accountContext) || d.near(r.s, 4, accountShort)) || d.near(r.s, 16, routingContext) {
		return false
	}
	d.add(r.s, end, BankAccountNumber, 0.8)
	return true
}

// ---- e-mail ----

var emailRe = regexp.MustCompile(`[\p{L}\p{N}!#$%&'*+/=?^_{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_{|}~-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\pL{2,24}`)

var fileExt = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "pdf": true, "bmp": true, "ico": true, "tif": true, "tiff": true}

func (d *detector) emails() {
	t := d.text
	for _, m := range emailRe.FindAllStringIndex(t, -1) {
		s, e := m[0], m[1]
		if e < len(t) && (isAlnum(t[e]) || t[e] == '-' || t[e] == '_') {
			continue
		}
		// Leading symbols such as quotes or '=' belong to the surrounding text.
		for s < e && t[s] < 0x80 && !isAlnum(t[s]) && t[s] != '_' {
			s++
		}
		dot := strings.LastIndexByte(t[s:e], '.')
		if fileExt[strings.ToLower(t[s+dot+1:e])] {
			continue
		}
		d.add(s, e, Email, 0.99)
	}
}

// ---- URLs ----

var urlRe = regexp.MustCompile("(?i)\\b(?:(?:https?|ftp)://|www\\.)[^\\s<>\"'`]+")

func (d *detector) urls() {
	t := d.text
	for _, m := range urlRe.FindAllStringIndex(t, -1) {
		s, e := m[0], m[1]
		e = trimURL(t, s, e)
		u := t[s:e]
		rest := u
		if i := strings.Index(rest, "://"); i >= 0 {
			rest = rest[i+3:]
		}
		if i := strings.LastIndexByte(rest[:hostEnd(rest)], '@'); i >= 0 {
			rest = rest[i+1:]
		}
		host := rest[:hostEnd(rest)]
		if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
			host = h
		}
		if !validHost(host) {
			continue
		}
		d.add(s, e, URL, 0.99)
	}
}

func hostEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/', '?', '#':
			return i
		}
	}
	return len(s)
}

func validHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		_, err := netip.ParseAddr(h[1 : len(h)-1])
		return err == nil
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' && l[i] < 0x80 {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isAlpha(tld[i]) && tld[i] < 0x80 {
			return false
		}
	}
	return true
}

// trimURL drops trailing punctuation and closing brackets that do not close an opening one
// inside the URL.
func trimURL(t string, s, e int) int {
	for e > s {
		c := t[e-1]
		switch c {
		case '.', ',', ';', ':', '!', '?', '*':
			e--
			continue
		case ')', ']', '}':
			open := map[byte]byte{')': '(', ']': '[', '}': '{'}[c]
			if strings.Count(t[s:e], string(open)) < strings.Count(t[s:e], string(c)) {
				e--
				continue
			}
		}
		break
	}
	return e
}

// ---- IPv6 ----

func hex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func (d *detector) ipv6() {
	t := d.text
	last := -1
	for i := 0; i < len(t); i++ {
		if t[i] != ':' || i < last {
			continue
		}
		s, e := i, i
		for s > 0 && (hex(t[s-1]) || t[s-1] == ':' || t[s-1] == '.') {
			s--
		}
		for e < len(t) && (hex(t[e]) || t[e] == ':' || t[e] == '.') {
			e++
		}
		last = e
		for s < e && t[s] == '.' {
			s++
		}
		for e > s && (t[e-1] == '.' || (t[e-1] == ':' && !(e-2 >= s && t[e-2] == ':'))) {
			e--
		}
		cand := t[s:e]
		if strings.Count(cand, ":") < 2 || cand == "::" {
			continue
		}
		if s > 0 && wordByte(t[s-1]) {
			continue
		}
		if e < len(t) && (wordByte(t[e]) && t[e] != '%') {
			continue
		}
		a, err := netip.ParseAddr(cand)
		if err != nil || !a.Is6() {
			continue
		}
		d.add(s, e, IPAddress, 0.98)
	}
}

// ---- MAC addresses ----

var macRe = regexp.MustCompile(`\b(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})\b`)

func (d *detector) macs() {
	t := d.text
	if strings.Count(t, ":") < 5 && strings.Count(t, "-") < 5 && strings.Count(t, ".") < 2 {
		return
	}
	for i := 0; i+14 <= len(t); i++ {
		if !hex(t[i]) || (i > 0 && wordByte(t[i-1])) {
			continue
		}
		if !((t[i+2] == ':' || t[i+2] == '-') && t[i+5] == t[i+2]) && t[i+4] != '.' {
			continue
		}
		m := macRe.FindStringIndex(t[i:min(len(t), i+17)])
		if m == nil || m[0] != 0 {
			continue
		}
		s, e := i, i+m[1]
		if (s > 0 && (t[s-1] == ':' || t[s-1] == '-' || t[s-1] == '.')) || (e < len(t) && (t[e] == ':' || t[e] == '-') && e+1 < len(t) && hex(t[e+1])) {
			continue
		}
		d.add(s, e, MACAddress, 0.95)
	}
}

// ---- IBAN ----

// ibanLengths is the registered IBAN length per country (SWIFT IBAN registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
	"NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23,
	"TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }

func (d *detector) ibans() {
	t := d.text
	for i := 0; i+4 <= len(t); i++ {
		if !upper(t[i]) || !upper(t[i+1]) || !isDigit(t[i+2]) || !isDigit(t[i+3]) {
			continue
		}
		if i > 0 && wordByte(t[i-1]) {
			continue
		}
		L, ok := ibanLengths[t[i:i+2]]
		if !ok {
			continue
		}
		var buf [40]byte
		b := buf[:0]
		j := i
		for j < len(t) && len(b) < L {
			c := t[j]
			if upper(c) || isDigit(c) {
				b = append(b, c)
				j++
				continue
			}
			if c == ' ' && len(b)%4 == 0 && j+1 < len(t) && (upper(t[j+1]) || isDigit(t[j+1])) {
				j++
				continue
			}
			break
		}
		if len(b) != L || (j < len(t) && wordByte(t[j])) {
			continue
		}
		if !validIBAN(string(b)) {
			continue
		}
		d.add(i, j, IBAN, 1.0)
		i = j - 1
	}
}

// validIBAN checks a compact IBAN (no spaces): country length and ISO 7064 mod 97-10.
func validIBAN(s string) bool {
	if len(s) < 5 || ibanLengths[s[:2]] != len(s) {
		return false
	}
	rem := 0
	for k := 0; k < len(s); k++ {
		c := s[(k+4)%len(s)]
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case upper(c):
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// ---- AWS keys ----

func base32(c byte) bool { return upper(c) || (c >= '2' && c <= '7') }

func (d *detector) awsKeys() {
	t := d.text
	for _, p := range []string{"AKIA", "ASIA"} {
		off := 0
		for {
			k := strings.Index(t[off:], p)
			if k < 0 {
				break
			}
			s := off + k
			off = s + 4
			e := s + 20
			if e > len(t) || (s > 0 && wordByte(t[s-1])) || (e < len(t) && wordByte(t[e])) {
				continue
			}
			ok := true
			for j := s + 4; j < e; j++ {
				if !base32(t[j]) {
					ok = false
					break
				}
			}
			if ok {
				d.add(s, e, AWSAccessKey, 0.95)
				d.awsAt = append(d.awsAt, e)
			}
		}
	}
}

func b64(c byte) bool { return isAlnum(c) || c == '/' || c == '+' }

// secretShape: 40 base64 characters with upper, lower and a digit or symbol.
func secretShape(s string) bool {
	if len(s) != 40 {
		return false
	}
	up, lo, other := false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case upper(c):
			up = true
		case c >= 'a' && c <= 'z':
			lo = true
		case isDigit(c) || c == '/' || c == '+':
			other = true
		default:
			return false
		}
	}
	return up && lo && other
}

var secretContext = []string{"secret", "aws_secret", "secretaccesskey", "secret_access_key", "secret key"}

// awsSecrets finds 40-character tokens near secret-key context or after an access key.
func (d *detector) awsSecrets() {
	t := d.text
	if len(t) < 40 {
		return
	}
	for i := 0; i < len(t); {
		if !b64(t[i]) {
			i++
			continue
		}
		j := i
		for j < len(t) && b64(t[j]) {
			j++
		}
		s, e := i, j
		i = j
		if e-s != 40 || (e < len(t) && t[e] == '=') || (s > 0 && (t[s-1] == '_' || t[s-1] >= 0x80)) {
			continue
		}
		if !secretShape(t[s:e]) {
			continue
		}
		near := hasAny(d.before(s, 160), secretContext)
		for _, a := range d.awsAt {
			if a <= s && s-a <= 160 {
				near = true
			}
		}
		if near {
			d.add(s, e, AWSSecretKey, 0.85)
		}
	}
}

// ---- key=value secrets and credentials ----

// kvRe matches the key just before a ':' or '=' (the window ends at the separator).
var kvRe = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9])(aws_secret_access_key|secret_access_key|secretaccesskey|aws_secret_key|secret_key|password|passwd|passphrase|passcode|pwd|user_?name|login|pin|cvv2?|cvc2?|security code|exp(?:iry|iration)?(?: date)?|expires|valid thru)["']?[ \t]{0,3}$`)

func (d *detector) keyValues() {
	t := d.text
	for p := 0; p < len(t); p++ {
		if t[p] != ':' && t[p] != '=' {
			continue
		}
		w0 := max(0, p-32)
		m := kvRe.FindStringSubmatchIndex(t[w0:p])
		if m == nil {
			continue
		}
		key := strings.ToLower(t[w0+m[2] : w0+m[3]])
		vp := p + 1
		for k := 0; k < 3 && vp < len(t) && (t[vp] == ' ' || t[vp] == '\t'); k++ {
			vp++
		}
		s, e, ok := kvValue(t, vp)
		if !ok {
			continue
		}
		v := t[s:e]
		switch {
		case strings.Contains(key, "secret"):
			if secretShape(v) {
				d.add(s, e, AWSSecretKey, 0.9)
			}
		case strings.HasPrefix(key, "pass") || key == "pwd":
			d.add(s, e, Password, 0.85)
		case strings.HasPrefix(key, "user") || key == "login":
			d.add(s, e, Username, 0.8)
		case key == "pin":
			if allDigits(v) && len(v) >= 4 && len(v) <= 8 {
				d.add(s, e, PIN, 0.8)
			}
		case strings.HasPrefix(key, "cvv") || strings.HasPrefix(key, "cvc") || key == "security code":
			if allDigits(v) && (len(v) == 3 || len(v) == 4) {
				d.add(s, e, CreditDebitCVV, 0.85)
			}
		default: // expiry
			if expiry(v) {
				d.add(s, e, CreditDebitExpiry, 0.85)
			}
		}
	}
}

// cardKeyRe finds a CVV or expiry keyword followed by spaces rather than ':' or '='
// ("exp 12/27 cvv 123"); keyValues handles the separated forms.
var cardKeyRe = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9_])(cvv2?|cvc2?|security code|exp(?:iry|iration)?(?: date)?\.?|expires|valid (?:thru|through|until))[ \t]{1,3}[0-9]`)

func (d *detector) cardKeywords() {
	t := d.text
	for _, m := range cardKeyRe.FindAllStringSubmatchIndex(t, -1) {
		key := strings.ToLower(strings.TrimSuffix(t[m[2]:m[3]], "."))
		s := m[1] - 1
		e := s
		for e < len(t) && (isDigit(t[e]) || t[e] == '/' || t[e] == '-') {
			e++
		}
		if e < len(t) && (wordByte(t[e]) || ((t[e] == '.' || t[e] == ',' || t[e] == ':') && e+1 < len(t) && isDigit(t[e+1]))) {
			continue
		}
		v := t[s:e]
		if strings.HasPrefix(key, "cv") || key == "security code" {
			if allDigits(v) && (len(v) == 3 || len(v) == 4) {
				d.add(s, e, CreditDebitCVV, 0.85)
			}
		} else if expiry(v) {
			d.add(s, e, CreditDebitExpiry, 0.85)
		}
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// expiry accepts MM/YY, MM/YYYY, MM-YY.
func expiry(v string) bool {
	m, y, ok := strings.Cut(v, "/")
	if !ok {
		m, y, ok = strings.Cut(v, "-")
	}
	if !ok || len(m) != 2 || !allDigits(m) || !allDigits(y) || (len(y) != 2 && len(y) != 4) {
		return false
	}
	return m >= "01" && m <= "12"
}

// kvValue reads the value at i: quoted, or a run of non-space characters minus one
// trailing '.', ',' or ';'. Masked values are refused.
func kvValue(t string, i int) (int, int, bool) {
	if i >= len(t) {
		return 0, 0, false
	}
	var s, e int
	if q := t[i]; q == '"' || q == '\'' || q == '`' {
		s = i + 1
		k := strings.IndexByte(t[s:], q)
		if k <= 0 || k > 200 || strings.ContainsAny(t[s:s+k], "\n\r") {
			return 0, 0, false
		}
		e = s + k
	} else {
		s, e = i, i
		for e < len(t) && t[e] != ' ' && t[e] != '\t' && t[e] != '\n' && t[e] != '\r' && e-s < 200 {
			e++
		}
		// A query string or a list goes on after '&' or ';' with another key=.
		for k := s + 1; k < e; k++ {
			if t[k] == '&' || t[k] == ';' {
				j := k + 1
				for j < e && (isAlnum(t[j]) || t[j] == '_') {
					j++
				}
				if j > k+1 && j < e && t[j] == '=' {
					e = k
					break
				}
			}
		}
		if e-s > 1 && strings.IndexByte(".,;", t[e-1]) >= 0 {
			e--
		}
		// A closing bracket or quote that does not belong to the value.
		for e > s && strings.IndexByte(")]}\"'", t[e-1]) >= 0 && !strings.ContainsAny(t[s:e-1], "([{\"'") {
			e--
		}
	}
	if e <= s {
		return 0, 0, false
	}
	v := t[s:e]
	if strings.Trim(v, "*xX•#.") == "" || strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">") || v == "null" || v == "None" {
		return 0, 0, false
	}
	return s, e, true
}
