package topics

// The English (Porter2) stemmer of the Snowball project (Martin Porter,
// snowballstem.org/algorithms/english/stemmer.html), written for lower-case ASCII words held in
// a byte slice, without allocating. Words with any other byte are left alone (the stemmer is
// English only; accented and non-Latin words are kept as they are).

var stemExceptions1 = map[string]string{
	"skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli",
	"singly": "singl", "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas",
	"cosmos": "cosmos", "bias": "bias", "andes": "andes",
}

var stemExceptions2 = map[string]bool{
	"inning": true, "outing": true, "canning": true, "herring": true, "earring": true,
	"proceed": true, "exceed": true, "succeed": true,
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

func hasSuffix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
}

func hasPrefix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[:len(s)]) == s
}

// endsShortSyllable reports whether w ends in a short syllable: a non-vowel, a vowel and a
// non-vowel other than w, x and Y; or, for a two-letter word, a vowel and a non-vowel.
func endsShortSyllable(w []byte) bool {
	n := len(w)
	if n == 2 {
		return isVowel(w[0]) && !isVowel(w[1])
	}
	if n >= 3 {
		c := w[n-1]
		return !isVowel(w[n-3]) && isVowel(w[n-2]) && !isVowel(c) && c != 'w' && c != 'x' && c != 'Y'
	}
	return false
}

// stem returns the Porter2 stem of the lower-case word w, rewriting w in place (the result
// shares w's storage and is never longer than w).
func stem(w []byte) []byte {
	if len(w) <= 2 {
		return w
	}
	for _, c := range w {
		if (c < 'a' || c > 'z') && c != '\'' {
			return w
		}
	}
	if w[0] == '\'' {
		w = w[1:]
		if len(w) <= 2 {
			return w
		}
	}
	if s, ok := stemExceptions1[string(w)]; ok {
		return append(w[:0], s...)
	}
	// y at the start or after a vowel is a consonant: mark it Y.
	if w[0] == 'y' {
		w[0] = 'Y'
	}
	for i := 1; i < len(w); i++ {
		if w[i] == 'y' && isVowel(w[i-1]) {
			w[i] = 'Y'
		}
	}
	// R1 and R2.
	r1 := len(w)
	switch {
	case hasPrefix(w, "gener"), hasPrefix(w, "arsen"):
		r1 = 5
	case hasPrefix(w, "commun"):
		r1 = 6
	default:
		for i := 1; i < len(w); i++ {
			if !isVowel(w[i]) && isVowel(w[i-1]) {
				r1 = i + 1
				break
			}
		}
	}
	r2 := len(w)
	for i := r1 + 1; i < len(w); i++ {
		if !isVowel(w[i]) && isVowel(w[i-1]) {
			r2 = i + 1
			break
		}
	}

	// Step 0: possessives.
	switch {
	case hasSuffix(w, "'s'"):
		w = w[:len(w)-3]
	case hasSuffix(w, "'s"):
		w = w[:len(w)-2]
	case hasSuffix(w, "'"):
		w = w[:len(w)-1]
	}

	// Step 1a.
	switch {
	case hasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case hasSuffix(w, "ied"), hasSuffix(w, "ies"):
		if len(w) > 4 {
			w = w[:len(w)-2]
		} else {
			w = w[:len(w)-1]
		}
	case hasSuffix(w, "us"), hasSuffix(w, "ss"):
	case hasSuffix(w, "s"):
		for i := 0; i < len(w)-2; i++ {
			if isVowel(w[i]) {
				w = w[:len(w)-1]
				break
			}
		}
	}
	if stemExceptions2[string(w)] {
		return w
	}

	// Step 1b.
	if suf := longestSuffix(w, "eedly", "eed"); suf != "" {
		if len(w)-len(suf) >= r1 {
			w = append(w[:len(w)-len(suf)], "ee"...)
		}
	} else if suf := longestSuffix(w, "ingly", "edly", "ing", "ed"); suf != "" {
		pre := w[:len(w)-len(suf)]
		hasV := false
		for _, c := range pre {
			if isVowel(c) {
				hasV = true
				break
			}
		}
		if hasV {
			w = pre
			switch {
			case hasSuffix(w, "at"), hasSuffix(w, "bl"), hasSuffix(w, "iz"):
				w = append(w, 'e')
			case len(w) >= 2 && w[len(w)-1] == w[len(w)-2] && isDoubleEnd(w[len(w)-1]):
				w = w[:len(w)-1]
			case r1 >= len(w) && endsShortSyllable(w):
				w = append(w, 'e')
			}
		}
	}

	// Step 1c.
	if n := len(w); n > 2 && (w[n-1] == 'y' || w[n-1] == 'Y') && !isVowel(w[n-2]) {
		w[n-1] = 'i'
	}

	// Step 2.
	if suf, rep := step2(w); suf != "" && len(w)-len(suf) >= r1 {
		w = append(w[:len(w)-len(suf)], rep...)
	}

	// Step 3.
	if suf, rep := step3(w); suf != "" && len(w)-len(suf) >= r1 {
		if suf != "ative" || len(w)-len(suf) >= r2 {
			w = append(w[:len(w)-len(suf)], rep...)
		}
	}

	// Step 4.
	if suf := step4(w); suf != "" && len(w)-len(suf) >= r2 {
		if suf != "ion" || (len(w) > 3 && (w[len(w)-4] == 's' || w[len(w)-4] == 't')) {
			w = w[:len(w)-len(suf)]
		}
	}

	// Step 5.
	if n := len(w); n > 0 {
		switch w[n-1] {
		case 'e':
			if n-1 >= r2 || (n-1 >= r1 && !endsShortSyllable(w[:n-1])) {
				w = w[:n-1]
			}
		case 'l':
			if n-1 >= r2 && n >= 2 && w[n-2] == 'l' {
				w = w[:n-1]
			}
		}
	}

	for i, c := range w {
		if c == 'Y' {
			w[i] = 'y'
		}
	}
	return w
}

func isDoubleEnd(c byte) bool {
	switch c {
	case 'b', 'd', 'f', 'g', 'm', 'n', 'p', 'r', 't':
		return true
	}
	return false
}

func longestSuffix(w []byte, sufs ...string) string {
	for _, s := range sufs { // listed longest first
		if hasSuffix(w, s) {
			return s
		}
	}
	return ""
}

// step2 returns the longest step-2 suffix of w and its replacement, or "" when the longest
// match's condition fails.
func step2(w []byte) (string, string) {
	var best, rep string
	if len(w) == 0 {
		return "", ""
	}
	for _, p := range step2ByLast[w[len(w)-1]] {
		if len(p[0]) > len(best) && hasSuffix(w, p[0]) {
			best, rep = p[0], p[1]
		}
	}
	n := len(w) - len(best)
	switch best {
	case "ogi":
		if n < 1 || w[n-1] != 'l' {
			return "", ""
		}
	case "li":
		if n < 1 {
			return "", ""
		}
		switch w[n-1] {
		case 'c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't':
		default:
			return "", ""
		}
	}
	return best, rep
}

var step2Rules = [][2]string{
	{"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"}, {"abli", "able"}, {"entli", "ent"},
	{"izer", "ize"}, {"ization", "ize"}, {"ational", "ate"}, {"ation", "ate"}, {"ator", "ate"},
	{"alism", "al"}, {"aliti", "al"}, {"alli", "al"}, {"fulness", "ful"}, {"ousli", "ous"},
	{"ousness", "ous"}, {"iveness", "ive"}, {"iviti", "ive"}, {"biliti", "ble"}, {"bli", "ble"},
	{"ogi", "og"}, {"fulli", "ful"}, {"lessli", "less"}, {"li", ""},
}

var step3Rules = [][2]string{
	{"tional", "tion"}, {"ational", "ate"}, {"alize", "al"}, {"icate", "ic"}, {"iciti", "ic"},
	{"ical", "ic"}, {"ful", ""}, {"ness", ""}, {"ative", ""},
}

func step3(w []byte) (string, string) {
	var best, rep string
	if len(w) == 0 {
		return "", ""
	}
	for _, p := range step3ByLast[w[len(w)-1]] {
		if len(p[0]) > len(best) && hasSuffix(w, p[0]) {
			best, rep = p[0], p[1]
		}
	}
	return best, rep
}

var step4Suffixes = []string{
	"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism",
	"ate", "iti", "ous", "ive", "ize", "ion",
}

func step4(w []byte) string {
	var best string
	if len(w) == 0 {
		return ""
	}
	for _, s := range step4ByLast[w[len(w)-1]] {
		if len(s) > len(best) && hasSuffix(w, s) {
			best = s
		}
	}
	return best
}

// The suffix lists grouped by last letter, so that a step only tries suffixes that can match.
var step2ByLast, step3ByLast [256][][2]string
var step4ByLast [256][]string

func init() {
	for _, r := range step2Rules {
		c := r[0][len(r[0])-1]
		step2ByLast[c] = append(step2ByLast[c], r)
	}
	for _, r := range step3Rules {
		c := r[0][len(r[0])-1]
		step3ByLast[c] = append(step3ByLast[c], r)
	}
	for _, s := range step4Suffixes {
		c := s[len(s)-1]
		step4ByLast[c] = append(step4ByLast[c], s)
	}
}
