package pii

// phone.go holds the phone number validator: country calling codes, NANP and national
// numbering plans, and the groupings typical of phone numbers.

import "strings"

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
			// Digits the plan does not assign after +1: still the number the writer gave when a
			// phone word is near ("Tel: +1 555-123-4567"; found from outside), as without the +1.
			if nsn == 10 && ctx() {
				d.add(r.s, end, Phone, 0.6)
				return true
			}
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
	if len(hs) == 3 && hs[0].e-hs[0].s == 3 && hs[1].e-hs[1].s == 3 && hs[2].e-hs[2].s == 4 && !hs[1].paren && !hs[2].paren &&
		(hs[0].paren || hs[1].sep == hs[2].sep || (hs[2].sep == '-' && (hs[1].sep == ' ' || hs[1].sep == '.'))) && ctx() {
		// The same layouts with digits the plan does not assign ("call me at 555-123-4567",
		// "Tel. 555 123 4567", "(555) 123-4567": made-up and test numbers are still what the
		// writer gave as a phone number), when a phone word is near.
		d.add(r.s, end, Phone, 0.6)
		return true
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
