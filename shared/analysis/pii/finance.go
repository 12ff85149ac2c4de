package pii

// finance.go holds the payment and bank detectors: credit and debit cards (Luhn, issuer
// prefixes), US bank routing and account numbers, and IBANs.

// ---- credit and debit cards ----

func (d *detector) card(r *numberRun, gs []digitGroup, end int) bool {
	if !plain(r, gs) || !sameSep(gs, " -.") {
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

func (d *detector) ibans() {
	t := d.text
	for i := 0; i+4 <= len(t); i++ {
		if !upper(t[i]) || !upper(t[i+1]) || !isDigit(t[i+2]) || !isDigit(t[i+3]) {
			continue
		}
		if joinsBefore(t, i) {
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
		if len(b) != L || joinsAfter(t, j) {
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
