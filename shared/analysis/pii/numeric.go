package pii

// numeric.go holds the scan for runs of digit groups (numericRuns, numeric) and the helpers
// shared by the validators it calls, including the words that veto a card or phone number
// (negBefore). The validators themselves are in finance.go (cards, routing and account
// numbers), ssn.go, phone.go and internet.go (IPv4).

import (
	txt "github.com/ream-dev/ream/shared/analysis/internal/text"

	"strings"
)

// ---- numeric runs: cards, SSNs, phones, IPv4, routing and account numbers ----

type digitGroup struct {
	s, e  int  // digits
	paren bool // written as (digits)
	sep   byte // separator before this group: 0 (none), ' ', '-', '.'
}

type numberRun struct {
	s, e   int // whole run, including a leading '+' or '('
	plus   bool
	host   bool // starts a URL's host ("//" or "user@" before it): a '/', ':', '?' or '#' may end it
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
		r := numberRun{s: i, groups: groups[:0], host: i > 0 && (t[i-1] == '@' || i > 1 && t[i-2:i] == "//")}
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
		return p >= 0x80 && sepBefore(t, i)
	}
	switch p {
	case '/':
		// A URL's host ("http://192.168.1.10/"); else "12/05" joins tokens.
		return i >= 2 && t[i-2] == '/'
	case '@':
		return true // a host after "user@" ("root@203.0.113.5")
	case '-', '+', '\\', '$', '#':
		// '#' is fine ("card #4111…"), the others join tokens or are currencies.
		return p == '#'
	case ',':
		// "1,000" continues a number; after a comma that ends one, a field of a CSV row
		// ("512-44-9012,4111111111111111") starts one.
		return i < 2 || !isDigit(t[i-2]) || !thousands(t, i) || digitsBefore(t, i-1) > 3
	case '.', ':':
		// "1.5", "10:30" continue a number.
		return i < 2 || !isDigit(t[i-2])
	}
	return true
}

// digitsBefore counts the digits just before e.
func digitsBefore(t string, e int) int {
	n := 0
	for e-n > 0 && isDigit(t[e-n-1]) {
		n++
	}
	return n
}

// thousands reports whether a group of exactly three digits starts at i: what follows a
// thousands separator ("1,000"). A group that another separator continues ("415-555-2671",
// "415.555.2671", "415) 555") starts a number of its own ("1,415-555-2671" is two fields).
func thousands(t string, i int) bool {
	if !(i+3 <= len(t) && isDigit(t[i]) && isDigit(t[i+1]) && isDigit(t[i+2])) {
		return false
	}
	return i+3 == len(t) || !isDigit(t[i+3]) && t[i+3] != '-' && t[i+3] != '.' && t[i+3] != ')'
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
		return c >= 0x80 && sepAfter(t, e)
	}
	switch c {
	case '@', '/', '\\', '_':
		return false
	case ':':
		// A port ("10.0.0.1:8080") may follow; a word may not.
		return e+1 >= len(t) || !isAlpha(t[e+1])
	case '-':
		return e+1 >= len(t) || !isAlnum(t[e+1])
	case '.':
		// A decimal part may not follow; a letter may ("0958.ok", a sentence without its space).
		return e+1 >= len(t) || !isDigit(t[e+1])
	case ',':
		// A thousands group may not follow a group of at most three digits ("1,000"); another
		// CSV field may ("…9012,4111…", "…1111,512-44…", "…0958,ok").
		return e+1 >= len(t) || !thousands(t, e+1) || digitsBefore(t, e) > 3
	}
	return true
}

// hostEndOK reports whether a URL's host may end at e: at its path, port, query or fragment.
func hostEndOK(t string, e int) bool {
	return e >= len(t) || strings.IndexByte("/:?#", t[e]) >= 0 || runEndOK(t, e)
}

// numeric runs the validators over prefix windows of a run (longest first). A window shorter
// than the run must be followed by a space, so "123-45-6789-01" is not an SSN.
func (d *detector) numeric(r *numberRun) {
	t := d.text
	var found [7]bool // card, ssn, phone, ip, routing, account, national number
	for k := len(r.groups); k >= 1; k-- {
		gs := r.groups[:k]
		end := gs[k-1].e
		if gs[k-1].paren {
			end++
		}
		if k < len(r.groups) && r.groups[k].sep != ' ' {
			continue
		}
		// "0958/59", the alternatives of a phone number's last digits, ends a phone number
		// only: "123-45-6789/10" is no SSN.
		phoneOnly := false
		if k == len(r.groups) && !runEndOK(t, r.e) && !(r.host && hostEndOK(t, r.e)) {
			if !(r.e+1 < len(t) && t[r.e] == '/' && isDigit(t[r.e+1])) {
				continue
			}
			phoneOnly = true
		}
		if phoneOnly {
			if !found[2] && d.phone(r, gs, end) {
				found[2] = true
			}
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
		if !found[6] && d.nationalNumber(r, gs, end) {
			found[6] = true
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

// negWords, phoneWords and cardWords are the words that, nearest before a number,
// mark it as an identifier of something else (an order, an invoice, a parcel), a phone or a card.
var (
	negWords   = txt.Set("order orders invoice inv ref reference tracking isbn sku ticket batch serial receipt confirmation booking transaction txn shipment parcel ean upc gtin imei awb po part")
	phoneWords = txt.Set("phone telephone tel call mobile mob cell fax contact sms text whatsapp dial ring reach switchboard landline hotline helpline")
	cardWords  = txt.Set("card visa mastercard amex discover maestro credit debit cc pan")
)

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
			if isDigit(t[j-1]) || txt.EndsInLineBreak(t[:j]) || i-j > 32 {
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
