package pii

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The PII evaluation set is generated, not stored: generate builds documents from sentence
// frames with a fixed seed (evalSeed), so every run sees the same 3,000 documents. Values of
// the validated types are produced by code independent of the analyser's validators (cards by
// network prefix + Luhn check digit, IBANs with math/big mod 97, ABA weights, SSA rules), and
// each document mixes labelled PII with unlabelled hard negatives: invoice and order numbers,
// valid ISBN-13s (plain and hyphenated), EAN-13 product codes, dotted version strings
// ("version 1.2.3.4": a dotted quad after a version word is labelled NOT an IP address),
// OIDs, 16-digit numbers that fail Luhn, IBANs with a wrong check digit, invalid SSNs
// (000-, 666-, 9xx-), out-of-range dotted quads, tracking numbers (UPS 1Z…, USPS 22-digit),
// prices, quantities, ZIP codes alone, git SHAs and ten-digit order numbers without phone
// context. Dates in negatives are labelled DATE_TIME (Comprehend reports them).

// evalShow is how many errors TestPIIEvaluation logs.
var evalShow = 40

const (
	evalSeed = 20240501
	evalDocs = 3000
)

type goldSpan struct {
	b, e int // characters
	typ  string
}

type doc struct {
	text string
	gold []goldSpan
}

type builder struct {
	sb    strings.Builder
	chars int
	gold  []goldSpan
}

func (b *builder) lit(s string) {
	b.sb.WriteString(s)
	b.chars += utf8.RuneCountInString(s)
}

func (b *builder) pii(typ, s string) {
	n := utf8.RuneCountInString(s)
	b.gold = append(b.gold, goldSpan{b.chars, b.chars + n, typ})
	b.lit(s)
}

type gen struct{ r *rand.Rand }

func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g gen) digits(n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return sb.String()
}
func (g gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// luhnDigit computes the check digit that makes payload+d pass Luhn (independent code).
func genLuhnDigit(payload string) byte {
	sum := 0
	for i := 0; i < len(payload); i++ {
		d := int(payload[len(payload)-1-i] - '0')
		if i%2 == 0 { // these get doubled once the check digit is appended
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

func (g gen) card() string {
	type net struct {
		prefix string
		n      int
	}
	nets := []net{{"4", 16}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16}, {"34", 15}, {"37", 15}, {"6011", 16}, {"65", 16}, {"3530", 16}, {"36", 14}, {"62", 16}, {"4", 19}}
	nt := nets[g.r.IntN(len(nets))]
	p := nt.prefix + g.digits(nt.n-1-len(nt.prefix))
	num := p + string(genLuhnDigit(p))
	switch {
	case nt.n == 15 && g.r.IntN(2) == 0:
		sep := g.pick(" ", "-")
		return num[:4] + sep + num[4:10] + sep + num[10:]
	case nt.n == 16 && g.r.IntN(3) > 0:
		sep := g.pick(" ", "-")
		return num[:4] + sep + num[4:8] + sep + num[8:12] + sep + num[12:]
	}
	return num
}

// badCard: 16 digits that fail Luhn.
func (g gen) badCard() string {
	p := g.pick("4", "5", "3", "6") + g.digits(14)
	d := genLuhnDigit(p)
	bad := byte('0' + (int(d-'0')+1+g.r.IntN(9))%10)
	s := p + string(bad)
	if g.r.IntN(2) == 0 {
		return s[:4] + " " + s[4:8] + " " + s[8:12] + " " + s[12:]
	}
	return s
}

func (g gen) ibanRaw(bad bool) string {
	type c struct {
		cc, pat string // pat: n = digit, a = upper letter
	}
	cs := []c{{"DE", "nnnnnnnnnnnnnnnnnn"}, {"GB", "aaaannnnnnnnnnnnnn"}, {"FR", "nnnnnnnnnnnnnnnnnnnnnnn"}, {"ES", "nnnnnnnnnnnnnnnnnnnn"},
		{"NL", "aaaannnnnnnnnn"}, {"IT", "annnnnnnnnnnnnnnnnnnnnn"}, {"CH", "nnnnnnnnnnnnnnnnn"}, {"BE", "nnnnnnnnnnnn"}, {"PL", "nnnnnnnnnnnnnnnnnnnnnnnn"},
		{"SE", "nnnnnnnnnnnnnnnnnnnn"}, {"NO", "nnnnnnnnnnn"}, {"IE", "aaaannnnnnnnnnnnnn"}, {"AT", "nnnnnnnnnnnnnnnn"}}
	x := cs[g.r.IntN(len(cs))]
	var bb strings.Builder
	for _, p := range x.pat {
		if p == 'n' {
			bb.WriteByte(byte('0' + g.r.IntN(10)))
		} else {
			bb.WriteByte(byte('A' + g.r.IntN(26)))
		}
	}
	bban := bb.String()
	var num strings.Builder
	for _, ch := range bban + x.cc + "00" {
		if ch >= 'A' && ch <= 'Z' {
			num.WriteString(strconv.Itoa(int(ch-'A') + 10))
		} else {
			num.WriteRune(ch)
		}
	}
	n, _ := new(big.Int).SetString(num.String(), 10)
	check := 98 - int(new(big.Int).Mod(n, big.NewInt(97)).Int64())
	if bad {
		check = (check+1+g.r.IntN(90))%97 + 2
		if check > 98 {
			check = 2
		}
	}
	return x.cc + fmt.Sprintf("%02d", check) + bban
}

func (g gen) iban(bad bool) string {
	s := g.ibanRaw(bad)
	if g.r.IntN(2) == 0 {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s[i:min(i+4, len(s))])
	}
	return sb.String()
}

func (g gen) ssnParts() (string, string, string) {
	area := g.between(1, 899)
	for area == 666 {
		area = g.between(1, 899)
	}
	return fmt.Sprintf("%03d", area), fmt.Sprintf("%02d", g.between(1, 99)), fmt.Sprintf("%04d", g.between(1, 9999))
}

func (g gen) nxx() string {
	return strconv.Itoa(g.between(2, 9)) + fmt.Sprintf("%02d", g.between(0, 99))
}
func (g gen) nanpPart() string {
	for {
		s := g.nxx()
		if s[1:] != "11" {
			return s
		}
	}
}

func (g gen) phone() string {
	a, x, l := g.nanpPart(), g.nanpPart(), g.digits(4)
	switch g.r.IntN(9) {
	case 0:
		return "(" + a + ") " + x + "-" + l
	case 1:
		return a + "-" + x + "-" + l
	case 2:
		return a + "." + x + "." + l
	case 3:
		return "+1 " + a + " " + x + " " + l
	case 4:
		return "1-" + a + "-" + x + "-" + l
	case 5:
		return "+1 (" + a + ") " + x + "-" + l
	case 6:
		return "+44 20 " + g.digits(4) + " " + g.digits(4)
	case 7:
		return "+33 " + strconv.Itoa(g.between(1, 9)) + " " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2)
	default:
		return g.pick("+49 30 ", "+61 2 ", "+91 ", "+81 3 ", "+34 91 ", "+55 11 ") + g.digits(4) + " " + g.digits(4)
	}
}

var (
	genFirst = strings.Fields(`James Mary Robert Patricia Michael Jennifer David Linda Sarah Daniel Emily Olivia Liam
		Sophia Lucas Amelia Ethan Chloe Priya Rahul Aisha Omar Mohammed Fatima Wei Yuki Hiroshi Carlos Lucía José
		María Zoë Søren Björn Renée François Jürgen Małgorzata Siobhan Niamh Kwame Ngozi Thabo Elena Giulia Marco
		Thaddeus Ottoline Bartholomew Eustace Wilhelmina Percival Cressida Leopold Ignatius Philippa`)
	genLast = strings.Fields(`Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
		Lopez Gonzalez Wilson Anderson Thomas Moore Jackson Martin Perez Thompson White Harris Sanchez Clark Ramirez
		Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall
		Rivera Campbell Mitchell Roberts Müller Schmidt Dubois García Kowalski O'Brien McDonald Nakamura Patel Okafor
		Haddad Søndergaard Fernández Whitfield Ashworth`)
	genStreets = strings.Fields(`Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Sunset Highland Baker
		Church Market Mill River Spring Chestnut Walnut Willow Jefferson Franklin Madison`)
	genCities = []string{"Springfield", "Portland", "Austin", "San Francisco", "New York", "Denver", "Boston", "Salt Lake City", "Madison", "Seattle"}
	genStates = strings.Fields("IL OR TX CA NY CO MA UT WI WA")
	genMonths = strings.Fields("January February March April May June July August September October November December")
)

func (g gen) name() string {
	f := g.pick(genFirst...)
	l := g.pick(genLast...)
	if g.r.IntN(6) == 0 {
		return f + " " + string(rune('A'+g.r.IntN(26))) + ". " + l
	}
	return f + " " + l
}

func (g gen) address() string {
	s := strconv.Itoa(g.between(1, 9999)) + " " + g.pick(genStreets...) + " " +
		g.pick("Street", "Avenue", "Road", "Lane", "Drive", "Boulevard", "Court", "Way", "St.", "Ave.", "Rd.", "Blvd.")
	if g.r.IntN(3) == 0 {
		s += g.pick(", Apt ", ", Suite ", " Unit ") + strconv.Itoa(g.between(1, 40)) + g.pick("", "B")
	}
	if g.r.IntN(2) == 0 {
		i := g.r.IntN(len(genCities))
		s += ", " + genCities[i] + ", " + genStates[i] + " " + g.digits(5)
	}
	return s
}

func (g gen) date() string {
	m := g.between(1, 12)
	d := g.between(1, 28)
	y := g.between(1950, 2030)
	mn := genMonths[m-1]
	switch g.r.IntN(9) {
	case 0:
		return fmt.Sprintf("%s %d, %d", mn, d, y)
	case 1:
		return fmt.Sprintf("%d %s %d", d, mn, y)
	case 2:
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	case 3:
		return fmt.Sprintf("%02d/%02d/%d", m, d, y)
	case 4:
		return fmt.Sprintf("%s, %s %d, %d", g.pick("Monday", "Tuesday", "Friday"), mn, d, y)
	case 5:
		return fmt.Sprintf("%d:%02d %s", g.between(1, 12), g.between(0, 59), g.pick("AM", "PM", "am", "pm"))
	case 6:
		return fmt.Sprintf("%s %d, %d at %d:%02d %s", mn, d, y, g.between(1, 12), g.between(0, 59), g.pick("AM", "PM"))
	case 7:
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, g.between(0, 23), g.between(0, 59), g.between(0, 59))
	default:
		if len(mn) > 4 {
			mn = mn[:3] + "."
		}
		return fmt.Sprintf("%s %d", mn, d)
	}
}

func (g gen) b32(n int) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(a[g.r.IntN(len(a))])
	}
	return sb.String()
}

func (g gen) secret() string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
	for {
		var sb strings.Builder
		for i := 0; i < 40; i++ {
			sb.WriteByte(a[g.r.IntN(len(a))])
		}
		s := sb.String()
		if strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(s, "0123456789/+") {
			return s
		}
	}
}

func (g gen) password() string {
	const a = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@#$%^&*-_"
	var sb strings.Builder
	for i, n := 0, g.between(8, 16); i < n; i++ {
		sb.WriteByte(a[g.r.IntN(len(a))])
	}
	return strings.TrimRight(sb.String(), ".,;")
}

func (g gen) routing() string {
	for {
		p := g.digits(8)
		w := []int{3, 7, 1, 3, 7, 1, 3, 7}
		s := 0
		for i := range p {
			s += w[i] * int(p[i]-'0')
		}
		r := p + strconv.Itoa((10-s%10)%10)
		if r[0] <= '3' {
			return r
		}
	}
}

func (g gen) ipv4() string {
	return fmt.Sprintf("%d.%d.%d.%d", g.between(1, 223), g.between(0, 255), g.between(0, 255), g.between(1, 254))
}

func (g gen) ipv6() string {
	var b [16]byte
	b[0], b[1] = 0x20, 0x01
	for i := 2; i < 16; i++ {
		if g.r.IntN(3) > 0 || i < 6 {
			b[i] = byte(g.r.IntN(256))
		}
	}
	return netip.AddrFrom16(b).String()
}

func (g gen) url() string {
	dom := g.pick("example", "acme-corp", "shop", "mybank", "portal", "docs") + g.pick(".com", ".org", ".co.uk", ".io", ".de")
	switch g.r.IntN(4) {
	case 0:
		return "https://" + dom + "/" + g.pick("account", "orders", "reset", "u") + "/" + g.digits(5)
	case 1:
		return "http://www." + dom + "/" + g.pick("index.html", "login?next=/home", "a/b/c")
	case 2:
		return "www." + dom
	default:
		return "https://" + dom + "/?ref=" + g.b32(6)
	}
}

func (g gen) email() string {
	f := strings.ToLower(g.pick("james", "mary", "li", "omar", "sofia", "zoë", "jp", "k.ito", "ana-maria"))
	l := strings.ToLower(g.pick(genLast[:40]...))
	loc := g.pick(f+"."+l, f[:1]+l, f+"_"+l+strconv.Itoa(g.between(1, 99)), f+"+"+g.pick("news", "billing"))
	return loc + "@" + g.pick("example.com", "mail.example.org", "uni.ac.uk", "corp.example.de", "gmail.com")
}

// isbn13: a valid ISBN-13, hyphenated or plain.
func (g gen) isbn13() string {
	p := g.pick("978", "979") + g.digits(9)
	s := 0
	for i := range p {
		w := 1
		if i%2 == 1 {
			w = 3
		}
		s += w * int(p[i]-'0')
	}
	full := p + strconv.Itoa((10-s%10)%10)
	if g.r.IntN(2) == 0 {
		return full[:3] + "-" + full[3:4] + "-" + full[4:7] + "-" + full[7:12] + "-" + full[12:]
	}
	return full
}

// sentence writes one sentence with one PII value of type typ.
func (g gen) sentence(b *builder, typ string) {
	frame := func(pre, post string, v string) {
		b.lit(pre)
		b.pii(typ, v)
		b.lit(post)
	}
	switch typ {
	case Email:
		frame(g.pick("Please email ", "Contact: ", "Reply to ", "Escríbeme a "), g.pick(" for the refund.", " today.", ", thanks.", "."), g.email())
	case Phone:
		frame(g.pick("Call me at ", "Phone: ", "You can reach the desk on ", "Tel. "), g.pick(" after lunch.", ".", " (office).", " any time."), g.phone())
	case CreditDebitNumber:
		frame(g.pick("Charge card ", "My card number is ", "Visa/MC: ", "Paid with "), g.pick(" yesterday.", ".", " and it was declined."), g.card())
	case IBAN:
		frame(g.pick("Transfer to IBAN ", "Account: ", "Bankverbindung: ", "Wire the deposit to "), g.pick(".", " by Friday.", " (savings)."), g.iban(false))
	case SSN:
		a, gr, s := g.ssnParts()
		switch g.r.IntN(3) {
		case 0:
			frame(g.pick("SSN: ", "Social security number ", "Her SSN is "), ".", a+" "+gr+" "+s)
		case 1:
			frame(g.pick("SSN ", "social security no. "), " on file.", a+gr+s)
		default:
			frame(g.pick("The applicant's number is ", "SSN: ", "Enter "), g.pick(" on the form.", "."), a+"-"+gr+"-"+s)
		}
	case IPAddress:
		if g.r.IntN(3) == 0 {
			frame(g.pick("Login from ", "Blocked address "), g.pick(" was flagged.", "."), g.ipv6())
		} else {
			frame(g.pick("Login from ", "The server at ", "Client IP: ", "ping "), g.pick(" failed.", ".", ":8080 refused the connection."), g.ipv4())
		}
	case URL:
		frame(g.pick("Visit ", "Reset it at ", "Link: ", "See ("), g.pick(" for details.", ".", ")."), g.url())
	case AWSAccessKey:
		frame(g.pick("aws_access_key_id = ", "Key ID: ", "Rotated "), g.pick("", " yesterday.", "."), g.pick("AKIA", "ASIA")+g.b32(16))
	case AWSSecretKey:
		frame(g.pick("aws_secret_access_key = ", "secret key: ", "The secret is "), g.pick("", " (rotate it)"), g.secret())
	case Name:
		if g.r.IntN(3) == 0 {
			frame(g.pick("Meeting notes from ", "Signed, ", "Ask ")+g.pick("Dr. ", "Mr. ", "Ms. ", "Mrs ", "Prof. "), g.pick(" today.", ".", " about the invoice."), g.pick(genLast...))
		} else {
			frame(g.pick("Please forward this to ", "The claim was filed by ", "Approved by ", ""), g.pick(" in accounting.", ".", ", who called twice.", " signed the lease."), g.name())
		}
	case Address:
		frame(g.pick("Ship it to ", "She moved to ", "Our office is at ", "Mail checks to "), g.pick(" next week.", " before noon.", " please"), g.address())
	case DateTime:
		frame(g.pick("The appointment is on ", "Born ", "Delivered ", "Due "), g.pick(".", " as agreed.", ", per the contract."), g.date())
	case Password:
		switch g.r.IntN(3) {
		case 0:
			frame(g.pick("password=", "pwd=", "db_password="), g.pick("", " ", "&user=x"), g.password())
		case 1:
			frame(g.pick(`"password": "`, `{"passwd": "`), `"`, g.password()+g.pick("", " x"))
		default:
			frame(g.pick("Password: ", "passphrase: ", "Wi-Fi password: "), g.pick(" (temporary)", ""), g.password())
		}
	case BankRouting:
		frame(g.pick("Routing number ", "ABA: "), ".", g.routing())
	case BankAccountNumber:
		frame(g.pick("Account number ", "acct # ", "checking account "), ".", g.digits(g.between(8, 12)))
	}
}

// negative writes one sentence of hard negatives (dates in it are labelled DATE_TIME).
func (g gen) negative(b *builder) {
	switch g.r.IntN(20) {
	case 0:
		b.lit("Invoice INV-" + strconv.Itoa(g.between(2015, 2026)) + "-" + g.digits(6) + " totals $" + strconv.Itoa(g.between(1, 9)) + "," + g.digits(3) + "." + g.digits(2) + ".")
	case 1:
		b.lit("Order " + g.digits(3) + "-" + g.digits(7) + "-" + g.digits(7) + " has shipped.")
	case 2:
		b.lit("ISBN " + g.isbn13() + " is out of print.")
	case 3:
		b.lit("Upgrade to " + g.pick("version ", "v", "release ", "build ", "firmware ") + fmt.Sprintf("%d.%d.%d.%d", g.between(1, 12), g.between(0, 20), g.between(0, 9), g.between(0, 300)) + " before the audit.")
	case 4:
		b.lit("Reference " + g.badCard() + " was rejected by the parser.")
	case 5:
		b.lit(g.pick("UPS tracking 1Z", "Tracking: 1Z") + g.b32(6) + g.digits(10) + " and USPS " + "9400 " + g.digits(4) + " " + g.digits(4) + " " + g.digits(4) + " " + g.digits(4) + " " + g.digits(2) + ".")
	case 6:
		b.lit("It costs €" + strconv.Itoa(g.between(1, 999)) + "," + g.digits(2) + " or $" + strconv.Itoa(g.between(1, 99)) + "." + g.digits(2) + " for " + strconv.Itoa(g.between(2, 500)) + " units.")
	case 7:
		b.lit("The ZIP code " + g.digits(5) + " covers " + strconv.Itoa(g.between(2, 90)) + " blocks.")
	case 8:
		a, gr, s := g.ssnParts()
		_ = a
		b.lit("Test ID " + g.pick("000", "666", "9"+g.digits(2)) + "-" + gr + "-" + s + " is not valid.")
	case 9:
		b.lit("Value " + fmt.Sprintf("%d.%d.%d.%d", g.between(256, 999), g.between(0, 255), g.between(0, 255), g.between(0, 255)) + " is out of range; OID 1.3.6.1.4.1." + g.digits(4) + ".")
	case 10:
		b.lit("IBAN " + g.iban(true) + " failed validation.")
	case 11:
		b.lit("Order number " + strconv.Itoa(g.between(2, 9)) + g.digits(9) + " was split into " + strconv.Itoa(g.between(2, 9)) + " parcels.")
	case 12:
		b.lit("commit " + strings.ToLower(fmt.Sprintf("%x", g.r.Uint64())+fmt.Sprintf("%x", g.r.Uint64())+fmt.Sprintf("%08x", g.r.Uint32())) + " fixed the build.")
	case 13:
		b.lit("SKU " + g.pick("400", "501", "871") + g.digits(10) + " weighs " + strconv.Itoa(g.between(1, 20)) + "." + g.digits(1) + " kg.")
	case 14:
		b.lit("The meeting moved to ")
		b.pii(DateTime, g.date())
		b.lit(" in room " + strconv.Itoa(g.between(100, 999)) + ".")
	case 15:
		b.lit("Ticket #" + g.digits(7) + " was closed after " + strconv.Itoa(g.between(2, 48)) + " hours.")
	case 16:
		b.lit("Forgot your password? Use the reset link in the portal.")
	case 17:
		b.lit("Section " + fmt.Sprintf("%d.%d.%d.%d", g.between(1, 9), g.between(1, 9), g.between(1, 9), g.between(1, 9)) + " of the policy applies to " + strconv.Itoa(g.between(10, 99)) + "% of cases.")
	case 18:
		b.lit("Batch " + g.digits(4) + " " + g.digits(4) + " " + g.digits(4) + " passed QA.")
	default:
		b.lit("Shipment weight " + strconv.Itoa(g.between(1, 99)) + " lbs, dimensions " + strconv.Itoa(g.between(5, 40)) + "x" + strconv.Itoa(g.between(5, 40)) + " in.")
	}
}

var evalTypes = []string{Email, Phone, CreditDebitNumber, IBAN, SSN, IPAddress, URL, AWSAccessKey,
	Name, Address, DateTime, Password, AWSSecretKey, BankRouting, BankAccountNumber}

// generate builds the evaluation documents.
func generate(seed uint64, n int) []doc {
	g := gen{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
	docs := make([]doc, 0, n)
	for i := 0; i < n; i++ {
		var b builder
		k := g.between(2, 4)
		for j := 0; j < k; j++ {
			if j > 0 {
				b.lit(g.pick(" ", "  ", "\n"))
			}
			if g.r.IntN(5) < 2 {
				g.negative(&b)
			} else {
				g.sentence(&b, evalTypes[g.r.IntN(len(evalTypes))])
			}
		}
		docs = append(docs, doc{text: b.sb.String(), gold: b.gold})
	}
	return docs
}

type tally struct{ tp, fp, fn int }

func (c tally) precision() float64 {
	if c.tp+c.fp == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}
func (c tally) recall() float64 {
	if c.tp+c.fn == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fn)
}

// TestPIIEvaluation prints per-type precision and recall (exact span and type) on the
// generated set and enforces the floors.
func TestPIIEvaluation(t *testing.T) {
	a := newPIITest(t)
	docs := generate(evalSeed, evalDocs)
	counts := map[string]*tally{}
	get := func(typ string) *tally {
		if counts[typ] == nil {
			counts[typ] = &tally{}
		}
		return counts[typ]
	}
	var errs []string
	for _, d := range docs {
		ents := a.Detect(d.text)
		want := map[goldSpan]bool{}
		for _, gd := range d.gold {
			want[gd] = true
		}
		got := map[goldSpan]bool{}
		for _, e := range ents {
			k := goldSpan{e.BeginOffset, e.EndOffset, e.Type}
			got[k] = true
			if want[k] {
				get(e.Type).tp++
			} else {
				get(e.Type).fp++
				errs = append(errs, fmt.Sprintf("FP %s %q in %q", e.Type, string([]rune(d.text)[e.BeginOffset:e.EndOffset]), d.text))
			}
		}
		for _, gd := range d.gold {
			if !got[gd] {
				get(gd.typ).fn++
				errs = append(errs, fmt.Sprintf("FN %s %q in %q", gd.typ, string([]rune(d.text)[gd.b:gd.e]), d.text))
			}
		}
	}
	floors := map[string]float64{
		Email: 0.98, Phone: 0.98, CreditDebitNumber: 0.98, IBAN: 0.98, SSN: 0.98, IPAddress: 0.98,
		URL: 0.98, AWSAccessKey: 0.98, BankRouting: 0.98,
		Name: 0.85, Address: 0.9, DateTime: 0.9, Password: 0.9, AWSSecretKey: 0.9, BankAccountNumber: 0.9,
	}
	types := make([]string, 0, len(counts))
	for typ := range counts {
		types = append(types, typ)
	}
	sort.Strings(types)
	t.Logf("PII evaluation: %d generated documents (seed %d)", len(docs), evalSeed)
	t.Logf("%-34s %6s %6s %6s %9s %7s", "type", "tp", "fp", "fn", "precision", "recall")
	for _, typ := range types {
		c := counts[typ]
		t.Logf("%-34s %6d %6d %6d %9.4f %7.4f", typ, c.tp, c.fp, c.fn, c.precision(), c.recall())
		f, ok := floors[typ]
		if !ok {
			f = 0.9 // types found incidentally (e.g. CVV) must still be precise
			if c.precision() < f {
				t.Errorf("%s: precision %.4f below %.2f", typ, c.precision(), f)
			}
			continue
		}
		if c.precision() < f || c.recall() < f {
			t.Errorf("%s: precision %.4f recall %.4f, floor %.2f", typ, c.precision(), c.recall(), f)
		}
	}
	for _, typ := range evalTypes {
		if c := counts[typ]; c == nil || c.tp+c.fn < 50 {
			t.Errorf("%s: too few gold spans", typ)
		}
	}
	sort.Strings(errs)
	for i, e := range errs {
		if i >= evalShow {
			t.Logf("... %d more errors", len(errs)-i)
			break
		}
		t.Log(e)
	}
}

func init() {
	if v := os.Getenv("PII_EVAL_SHOW"); v != "" {
		evalShow, _ = strconv.Atoi(v)
	}
}
