package pii

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
)

// ---- DATE_TIME ----

const (
	monthRe     = `(?:January|February|March|April|May|June|July|August|September|October|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)`
	weekdayRe   = `(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|(?:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)\.?),?\s+)?`
	dayRe       = `\d{1,2}(?:st|nd|rd|th)?\b`
	clockRe     = `(?:\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:[AaPp]\.[Mm]\.|[AaPp][Mm]\b))?|\d{1,2}\s?(?:[AaPp]\.[Mm]\.|[AaPp][Mm]\b))(?:\s?(?:UTC|GMT|[ECMP][SD]T)\b)?`
	iso         = `\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`
	numDate     = `\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b|\d{1,2}\.\d{1,2}\.\d{4}`
	mdy         = weekdayRe + monthRe + `\s+` + dayRe + `(?:,?\s+\d{4}\b)?`
	dmy         = weekdayRe + dayRe + `\s+(?:of\s+)?` + monthRe + `(?:,?\s+\d{4}\b)?`
	monthYearRe = monthRe + `\s+\d{4}\b`
)

var dateRe = regexp.MustCompile(`^(?:(?:` + iso + `|` + numDate + `|` + mdy + `|` + dmy + `|` + monthYearRe + `)(?:,?\s+(?:at\s+)?` + clockRe + `)?|` + clockRe + `)`)

// dateStart reports whether a date or time may start at i (the start of a word): a digit
// run followed by a date or clock separator, a day suffix or a space, or a month or weekday
// name. It keeps the (anchored) regular expression off most positions.
func dateStart(t string, i int) bool {
	c := t[i]
	if isDigit(c) {
		j := i
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		if j >= len(t) {
			return false
		}
		n, x := j-i, t[j]
		switch {
		case n == 4:
			return x == '-'
		case n <= 2:
			return x == '/' || x == '.' || x == ':' || x == ' ' || x == 'a' || x == 'p' || x == 'A' || x == 'P' || x == 's' || x == 'n' || x == 'r' || x == 't'
		}
		return false
	}
	if !upper(c) || i+3 > len(t) {
		return false
	}
	return monthPrefix[t[i:i+3]]
}

var monthPrefix = txt.Set("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec Mon Tue Wed Thu Fri Sat Sun")

func (d *detector) dates() {
	t := d.text
	for i := 0; i < len(t); i++ {
		if joinsBefore(t, i) || !dateStart(t, i) {
			continue
		}
		w := t[i:min(len(t), i+64)]
		m := dateRe.FindStringIndex(w)
		if m == nil {
			continue
		}
		s, e := i, i+m[1]
		if joinsBefore(t, s) || s > 1 && (t[s-1] == '.' || t[s-1] == '-' || t[s-1] == '/' || t[s-1] == ':') && isDigit(t[s-2]) {
			continue
		}
		if e < len(t) && t[e-1] != '.' && (joinsAfter(t, e) || ((t[e] == '.' || t[e] == '-' || t[e] == '/' || t[e] == ':') && e+1 < len(t) && isDigit(t[e+1]))) {
			continue
		}
		if !dateValid(t[s:e]) {
			continue
		}
		d.add(s, e, DateTime, 0.85)
		i = e - 1
	}
}

// numsIn returns the first few decimal numbers in s with the byte that follows each.
func numsIn(s string, dst []int, after []byte) ([]int, []byte) {
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		v, j := 0, i
		for j < len(s) && isDigit(s[j]) && j-i < 9 {
			v = v*10 + int(s[j]-'0')
			j++
		}
		var a byte
		if j < len(s) {
			a = s[j]
		}
		dst = append(dst, v)
		after = append(after, a)
		i = j
	}
	return dst, after
}

// dateValid checks month, day, hour and minute ranges of a DATE_TIME match.
func dateValid(m string) bool {
	var nb [12]int
	var ab [12]byte
	ns, as := numsIn(m, nb[:0], ab[:0])
	if len(ns) == 0 {
		return false
	}
	// Clock parts: a number followed by ':' is an hour, the next a minute.
	for i := 0; i+1 < len(ns); i++ {
		if as[i] == ':' {
			if ns[i] > 23 || ns[i+1] > 59 {
				return false
			}
			if i+2 < len(ns) && as[i+1] == ':' {
				if ns[i+2] > 60 {
					return false
				}
				i++
			}
			i++
		}
	}
	switch {
	case len(m) >= 10 && m[4] == '-' && isDigit(m[0]): // ISO
		return ns[1] >= 1 && ns[1] <= 12 && ns[2] >= 1 && ns[2] <= 31
	case len(ns) >= 3 && (as[0] == '/' || as[0] == '.') && as[1] == as[0]:
		a, b := ns[0], ns[1]
		if a == 0 || b == 0 {
			return false
		}
		if as[0] == '.' {
			return a <= 31 && b <= 12
		}
		return (a <= 12 && b <= 31) || (a <= 31 && b <= 12)
	case isDigit(m[0]) && (as[0] != ':' && !ampm(m)):
		// "5 March 2024": the day.
		return ns[0] >= 1 && ns[0] <= 31
	case !isDigit(m[0]):
		// "March 5, 2024", "Monday, March 5": the day, unless "March 2024".
		if ns[0] >= 1000 {
			return true
		}
		return ns[0] >= 1 && ns[0] <= 31
	}
	// A bare clock time: "9 am" needs hour 1–12.
	if as[0] != ':' {
		return ns[0] >= 1 && ns[0] <= 12
	}
	return true
}

func ampm(m string) bool {
	l := strings.ToLower(m)
	return strings.Contains(l, "am") || strings.Contains(l, "pm") || strings.Contains(l, "a.m") || strings.Contains(l, "p.m")
}

// ---- ADDRESS ----

const states = `AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC`

// stateNames are the US states spelled out ("Cupertino, California 95014").
const stateNames = `Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming`

// provinces are Canada's province and territory codes, and caPostcode its postal codes
// ("Toronto, ON M5H 2M9").
const (
	provinces  = `AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT`
	caPostcode = `[ABCEGHJ-NPRSTVXY]\d[A-Z]\s?\d[A-Z]\d`
)

// addressTail is what may follow a street or a post-office box: a city, then a US state (code
// or name) with an optional ZIP code, a Canadian province with an optional postal code, or a
// UK postcode. It is optional after most street types, and required after the weak ones.
const addressTail = `,\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}(?:,?\s+(?:` + states + `)\b(?:\s+\d{5}(?:-\d{4})?\b)?` +
	`|,?\s+(?:` + stateNames + `)\b(?:\s+\d{5}(?:-\d{4})?\b)?` +
	`|,?\s+(?:` + provinces + `)\b(?:\s+` + caPostcode + `\b)?` +
	`|,?\s+` + ukPostcode + `\b)`

// addressStreet is a house number, an optional direction and a capitalised street name.
const addressStreet = `^\d{1,6}[A-Za-z]?\s+` +
	`(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?\s+)?` +
	`(?:[A-Z][a-z']+|\d{1,3}(?:st|nd|rd|th))(?:\s+[A-Z][a-z']+){0,3}\s+`

// addressAfterType is what may follow the street type: a direction, then a unit.
const addressAfterType = `(?:\s(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\b\.?)?` +
	`(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|Room|Rm)\.?\s*#?[A-Za-z0-9-]+|,?\s+#\s?[0-9A-Za-z-]+)?`

// addressRe is a street address. The weak street types (Loop, Heights, Gardens, …) are also
// ordinary words after a number ("3 While Loop examples", "2 Royal Botanic Gardens"), so they
// make an address only with the city part after them ("1 Infinite Loop, Cupertino, California
// 95014").
var addressRe = regexp.MustCompile(addressStreet + `(?:` +
	`(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Place|Terrace|Parkway|Highway|Circle|Square|Way|Trail|Plaza|Crescent|Close|Row|Alley|Expressway|Freeway|Turnpike|St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Pkwy|Hwy|Cir|Sq|Ter)\b\.?` +
	addressAfterType + `(?:` + addressTail + `)?` +
	`|(?:Loop|Mews|Grove|Gardens|Heights|Pike)\b` + addressAfterType + addressTail + `)`)

// poBoxRe is a post-office box ("P.O. Box 1234", "PO Box 77, Springfield, IL 62701").
var poBoxRe = regexp.MustCompile(`\b(?:P\.\s?O\.|PO|Post Office)\s+Box\s+\d{1,6}\b(?:` + addressTail + `)?`)

// ukPostcode is a UK postcode ("SW1A 2AA", "M1 1AE"), accepted after a city.
const ukPostcode = `[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}`

func (d *detector) addresses() {
	t := d.text
	for i := 0; i < len(t); i++ {
		if !isDigit(t[i]) || joinsBefore(t, i) {
			continue
		}
		// A house number (up to six digits and a letter) and a space.
		j := i
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		if j-i > 6 {
			i = j
			continue
		}
		if j < len(t) && isAlpha(t[j]) {
			j++
		}
		if j+1 >= len(t) || t[j] != ' ' || !(upper(t[j+1]) || isDigit(t[j+1])) {
			continue
		}
		m := addressRe.FindStringIndex(t[i:min(len(t), i+200)])
		if m == nil {
			continue
		}
		s, e := i, i+m[1]
		if s > 0 && (t[s-1] == '.' || t[s-1] == ',' || t[s-1] == '-' || t[s-1] == '/') && s > 1 && isDigit(t[s-2]) {
			continue
		}
		d.add(s, e, Address, 0.8)
		i = e - 1
	}
	if strings.Contains(t, "Box") {
		for _, m := range poBoxRe.FindAllStringIndex(t, -1) {
			d.add(m[0], m[1], Address, 0.8)
		}
	}
}

// ---- European addresses ----
//
// A street, then a postal code and a city: "ul. Marszałkowska 10/2, 00-590 Warszawa",
// "Hauptstraße 5, 10115 Berlin", "12 rue de la Paix, 75002 Paris", "Keizersgracht 123, 1015 CJ
// Amsterdam", "Via Roma 15, 00184 Roma", "Calle Mayor 5, 28013 Madrid". The postal code and
// city are required (a street alone, "Via Roma 15", is missed): the detector starts from a
// postal code (NN-NNN, NNNNN, NNNN or NNNN LL) followed by a capitalised city and looks back
// for a street that ends right before it.

const (
	euWord = `\p{Lu}[\p{L}'’-]*`
	euPart = `(?:(?:de|del|della|delle|dei|di|da|das|dos|do|la|las|los|le|les|du|des|van|der|den)\s+|[dl]['’])`
	euNum  = `\d{1,5}[A-Za-z]?(?:\s?[/-]\s?\d{1,5}[A-Za-z]?)?`
)

var euStreetRe = regexp.MustCompile(`(?:^|[^\p{L}\p{N}])(` +
	// Keyword first, number after (PL, IT, ES, PT).
	`(?i:ul\.|ulica|al\.|aleja|pl\.|plac|os\.|via|viale|piazza|piazzale|corso|largo|vicolo|calle|c/|avenida|avda\.|plaza|paseo|carrer|rua|travessa)\s+` + euPart + `*` + euWord + `(?:\s+` + euPart + `*` + euWord + `){0,3},?\s+(?:n[º°.]\s?)?` + euNum +
	// Name with a street suffix, number after (DE, AT, CH, NL, Nordic).
	`|\p{Lu}[\p{L}-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|straat|laan|gracht|plein|kade|singel|dijk|steeg|gatan|vägen|gata|gade|vej|veien|vei)\s+` + euNum +
	// Number first (FR, BE).
	`|` + euNum + `(?:\s(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours|square)\s+` + euPart + `*` + euWord + `(?:[\s-]+` + euPart + `*` + euWord + `){0,3}` +
	`)\s*,?\s+$`)

// frStreetWords are the number-first street types (the street ends with its name).
var frStreetWords = []string{"rue ", "avenue ", "av. ", "boulevard ", "bd ", "place ", "chemin ", "allée ", "impasse ", "quai ", "route ", "cours ", "square "}

var euCityRe = regexp.MustCompile(`^[ \t]+\p{Lu}[\p{L}'’]+(?:[ -]\p{Lu}[\p{L}'’]+){0,2}`)

func (d *detector) euroAddresses() {
	t := d.text
	for i := 0; i < len(t); i++ {
		if !isDigit(t[i]) || (i > 0 && (wordByte(t[i-1]) || t[i-1] != ' ')) {
			continue
		}
		j := i
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		p := j
		switch n := j - i; {
		case n == 2 && j+4 <= len(t) && t[j] == '-' && isDigit(t[j+1]) && isDigit(t[j+2]) && isDigit(t[j+3]):
			p = j + 4 // PL
		case n == 5:
		case n == 4:
			if j+3 <= len(t) && t[j] == ' ' && upper(t[j+1]) && upper(t[j+2]) && (j+3 == len(t) || !wordByte(t[j+3])) {
				p = j + 3 // NL
			}
		default:
			i = j
			continue
		}
		if p < len(t) && wordByte(t[p]) {
			i = j
			continue
		}
		cm := euCityRe.FindStringIndex(t[p:min(len(t), p+60)])
		if cm == nil {
			i = j
			continue
		}
		// The street ends with a house number ("10/2", "12a") just before the postal code,
		// unless it is a French "12 rue de la Paix".
		k := i
		for k > 0 && (t[k-1] == ' ' || t[k-1] == ',' || t[k-1] == '\n' || t[k-1] == '\t') {
			k--
		}
		if k > 0 && isAlpha(t[k-1]) {
			k--
		}
		w0 := max(0, i-100)
		if (k == 0 || !isDigit(t[k-1])) && !hasAny(t[w0:i], frStreetWords) {
			i = j
			continue
		}
		m := euStreetRe.FindStringSubmatchIndex(t[w0:i])
		if m == nil {
			i = j
			continue
		}
		e := p + cm[1]
		d.add(w0+m[2], e, Address, 0.8)
		i = e - 1
	}
}

// ---- NAME ----

// personNameScore is the score of a NAME found only by the ENTITIES analyser's PERSON spans
// (the rules' names score 0.6–0.9).
const personNameScore = 0.8

// personNames adds persons, the ENTITIES analyser's PERSON entities of d.text (character
// offsets; see entities.Analyzer.Persons), as NAME candidates in bytes. The model's person spans are
// taken when they read as names a form or a story writes: not in capitals (headings, codes: the
// rules read names in capitals), and a one-word span only when it is a known given name or
// surname (not one that is also a common word, "Grace", "May") or a word of a longer person
// span of the same text ("Simmons" after "Bobby Simmons"): alone, the model takes a label
// opening a short text for a surname ("Tel (020) 7946 0958", "Chapter 12").
func (d *detector) personNames(persons []result.Entity) {
	t := d.text
	type span struct{ s, e int }
	var multi, single []span
	fullWords := map[string]bool{} // the words of the multi-word spans
	pos, chars := 0, 0             // a byte offset and its character offset, moving forward
	byteAt := func(c int) int {
		if c < chars {
			pos, chars = 0, 0 // (entities come in document order; this is only a safeguard)
		}
		for chars < c && pos < len(t) {
			_, n := utf8.DecodeRuneInString(t[pos:])
			pos += n
			chars++
		}
		return pos
	}
	for _, e := range persons {
		if e.Type != "PERSON" {
			continue
		}
		sp := span{byteAt(e.BeginOffset), 0}
		sp.e = byteAt(e.EndOffset)
		w := t[sp.s:sp.e]
		if allCaps(w) {
			continue
		}
		words := strings.Fields(w)
		if slices.ContainsFunc(words, func(x string) bool { return nameStop[x] }) {
			continue // a word no name holds, as for the rules ("… Bank", "… Gardens")
		}
		if commonPhrase(words) {
			continue // a heading, a product or a title: "Master Secret", "Go Authors", "N.B. Use"
		}
		if slices.ContainsFunc(words, innerCapital) || repeatsWord(words) {
			continue // code in prose: "PrimaryExpr", "ModTime", "Pos   Pos"
		}
		if len(words) > 1 {
			multi = append(multi, sp)
			for _, x := range words {
				fullWords[x] = true
			}
		} else {
			single = append(single, sp)
		}
	}
	for _, sp := range multi {
		d.add(sp.s, sp.e, Name, personNameScore)
	}
	for _, sp := range single {
		w := t[sp.s:sp.e]
		if fullWords[w] || (firstNames[w] || surnameSet[w]) && !ambiguousNames[w] {
			d.add(sp.s, sp.e, Name, personNameScore)
		}
	}
}

// innerCapital reports whether w has an upper-case letter after a lower-case one, as an
// identifier written in camelCase does ("PrimaryExpr", "ModTime"), unless it is a name's prefix
// (McDonald, MacArthur, DeLillo, LaGuardia, DiCaprio, VanDyke) or follows a hyphen or an
// apostrophe (Jean-Luc, O'Neil).
func innerCapital(w string) bool {
	lowerSeen := false
	for i, r := range w {
		switch {
		case r == '-' || r == '\'' || r == '’':
			lowerSeen = false
		case unicode.IsLower(r):
			lowerSeen = true
		case unicode.IsUpper(r) && lowerSeen:
			switch w[:i] {
			case "Mc", "Mac", "De", "Di", "Da", "La", "Le", "Van", "Von", "Du", "Fitz":
				lowerSeen = false
				continue
			}
			return true
		}
	}
	return false
}

// repeatsWord reports whether a word occurs twice in words (code laid out in columns, "Pos Pos").
func repeatsWord(words []string) bool {
	for i, w := range words {
		if slices.Contains(words[i+1:], w) {
			return true
		}
	}
	return false
}

// commonPhrase reports whether the words of a person span of the ENTITIES model are all
// common words (lexicon/common_words.txt, in lower case) or initials, none a known given name
// or surname: the model, trained on news, takes any run of capitalised words for a person
// ("Public License", "Cloud Build", "Computer Science", "Little Big Man"), and an initial
// before a sentence's first word for a name ("N.B. Use", "T. Because").
func commonPhrase(words []string) bool {
	common := false
	for _, x := range words {
		x = strings.TrimSuffix(strings.TrimSuffix(x, "'s"), "’s")
		if firstNames[x] || surnameSet[x] {
			return false
		}
		if isInitials(x) {
			continue
		}
		if !commonWords[strings.ToLower(x)] {
			return false
		}
		common = true
	}
	return common
}

// isInitials: "J.", "N.B.", "P.T." (letters each followed by a full stop).
func isInitials(x string) bool {
	if len(x) < 2 {
		return false
	}
	for i, r := range x {
		if i%2 == 0 && !unicode.IsLetter(r) || i%2 == 1 && r != '.' {
			return false
		}
	}
	return len(x)%2 == 0
}

type wordSpan struct {
	s, e int  // bytes; a possessive 's is excluded
	cap  bool // first letter upper case, not all upper case (or a single letter)
	poss bool // followed by a possessive 's
}

var honorifics = map[string]bool{
	"Mr": true, "Mrs": true, "Ms": true, "Miss": true, "Mx": true, "Dr": true, "Prof": true,
	"Professor": true, "Sir": true, "Dame": true, "Rev": true, "MR": true, "MRS": true, "MS": true, "DR": true,
}

var nameParticles = map[string]bool{"van": true, "de": true, "der": true, "den": true, "von": true, "da": true, "di": true, "del": true, "della": true, "la": true, "le": true, "bin": true, "ibn": true, "dos": true, "das": true}

// splitWords splits text into letter words (with inner apostrophes and hyphens).
func splitWords(t string, dst []wordSpan) []wordSpan {
	for i := 0; i < len(t); {
		r, n := utf8.DecodeRuneInString(t[i:])
		if !unicode.IsLetter(r) {
			i += n
			continue
		}
		s := i
		upper := unicode.IsUpper(r)
		lowerSeen := false
		i += n
		for i < len(t) {
			r2, n2 := utf8.DecodeRuneInString(t[i:])
			if unicode.IsLetter(r2) || unicode.IsMark(r2) {
				if unicode.IsLower(r2) {
					lowerSeen = true
				}
				i += n2
				continue
			}
			if r2 == '\'' || r2 == '’' || r2 == '-' {
				r3, _ := utf8.DecodeRuneInString(t[i+n2:])
				if i+n2 < len(t) && unicode.IsLetter(r3) {
					i += n2
					continue
				}
			}
			break
		}
		w := wordSpan{s: s, e: i, cap: upper && (lowerSeen || i-s == n)}
		if strings.HasSuffix(t[s:i], "'s") {
			w.e, w.poss = i-2, true
		} else if strings.HasSuffix(t[s:i], "’s") {
			w.e, w.poss = i-len("’s"), true
		}
		dst = append(dst, w)
	}
	return dst
}

// gapSpace reports whether the bytes between two words are one or two spaces (and, with
// dot, an optional period before them).
func gapSpace(g string, dot bool) bool {
	if dot && strings.HasPrefix(g, ".") {
		g = g[1:]
	}
	return g == " " || g == "  "
}

func (d *detector) names() {
	t := d.text
	var buf [256]wordSpan
	ws := splitWords(t, buf[:0])
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if !w.cap {
			if k := d.capsName(ws, i); k > i {
				d.add(w.s, ws[k].e, Name, 0.8)
				i = k
			}
			continue
		}
		word := t[w.s:w.e]
		if honorifics[word] && !w.poss && i+1 < len(ws) && gapSpace(t[w.e:ws[i+1].s], true) {
			last := d.nameTail(ws, i, 4)
			if last > i {
				d.add(ws[i+1].s, ws[last].e, Name, 0.9)
				i = last
			}
			continue
		}
		if !knownGivenName(word) {
			// An unknown given name before a common surname: "Cressida Anderson".
			if i+1 >= len(ws) || w.poss || w.e-w.s < 3 || nameStop[word] || !gapSpace(t[w.e:ws[i+1].s], false) ||
				(i > 0 && ws[i-1].cap && gapSpace(t[ws[i-1].e:w.s], false)) {
				continue
			}
			k := i + 1
			if ws[k].e-ws[k].s == 1 && ws[k].cap && k+1 < len(ws) && gapSpace(t[ws[k].e:ws[k+1].s], true) && t[ws[k].e] == '.' {
				k++ // a middle initial
			}
			if surnameSet[t[ws[k].s:ws[k].e]] {
				d.add(w.s, ws[k].e, Name, 0.7)
				i = k
			}
			continue
		}
		last := i
		if !w.poss {
			last = d.nameTail(ws, i, 3)
		}
		// The tail must end with a surname, not an initial.
		for last > i && ws[last].e-ws[last].s == 1 {
			last--
		}
		if last > i {
			d.add(w.s, ws[last].e, Name, 0.85)
			i = last
			continue
		}
		if ambiguousNames[word] || nameStop[word] {
			continue
		}
		d.add(w.s, w.e, Name, 0.6)
	}
}

// knownGivenName reports whether word is a given name of the gazetteer, or a hyphenated one
// whose first part is ("Jean-Luc", "Anne-Sophie"; not an ambiguous first part: "Will-Call").
func knownGivenName(word string) bool {
	if firstNames[word] {
		return true
	}
	first, rest, ok := strings.Cut(word, "-")
	r, _ := utf8.DecodeRuneInString(rest)
	return ok && firstNames[first] && !ambiguousNames[first] && unicode.IsUpper(r)
}

// capsName is the index of the surname of a name written in capitals at word i ("JOHN SMITH",
// "MARÍA GARCÍA": forms and headers write names so), or i when there is none. Without case to go
// by, it takes only a known given name followed by a known surname.
func (d *detector) capsName(ws []wordSpan, i int) int {
	t := d.text
	var buf [64]byte
	if i+1 >= len(ws) || ws[i].poss || !allCaps(t[ws[i].s:ws[i].e]) || !firstNames[string(titleCase(buf[:0], t[ws[i].s:ws[i].e]))] {
		return i
	}
	next := ws[i+1]
	if !gapSpace(t[ws[i].e:next.s], false) || !allCaps(t[next.s:next.e]) || !surnameSet[string(titleCase(buf[:0], t[next.s:next.e]))] {
		return i
	}
	return i + 1
}

// allCaps reports whether word (letters) has two letters or more and no lower-case one.
func allCaps(word string) bool {
	n := 0
	for _, r := range word {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n >= 2
}

// titleCase appends word with its first letter upper case and the rest lower case ("GARCÍA":
// García) to dst (a map key built without allocating: m[string(b)] does not copy).
func titleCase(dst []byte, word string) []byte {
	for k, r := range word {
		if k == 0 {
			dst = utf8.AppendRune(dst, unicode.ToUpper(r))
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	return dst
}

// nameTail extends a name from word i over up to max following capitalised words, initials
// ("J.") and particles ("van"), and returns the index of the last word taken (i if none).
func (d *detector) nameTail(ws []wordSpan, i, max int) int {
	t := d.text
	last := i
	for k := i + 1; k < len(ws) && k-i <= max; k++ {
		prev, w := ws[k-1], ws[k]
		if prev.poss {
			break
		}
		initialPrev := prev.e-prev.s == 1 || honorifics[t[prev.s:prev.e]]
		if !gapSpace(t[prev.e:w.s], initialPrev) {
			break
		}
		word := t[w.s:w.e]
		if nameParticles[word] && k+1 < len(ws) && ws[k+1].cap {
			continue
		}
		initial := w.e-w.s == 1 && w.e < len(t) && t[w.e] == '.'
		if !w.cap || (!initial && (nameStop[word] || honorifics[word])) {
			break
		}
		if w.e-w.s == 1 && !initial {
			break // a lone capital letter that is not an initial
		}
		last = k
	}
	return last
}
