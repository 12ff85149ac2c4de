package pii

// secrets.go holds the detectors of credentials: AWS access keys and secret keys, key=value
// secrets (passwords, user names, PINs) and card security codes and expiry dates.

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
)

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
			if e > len(t) || joinsBefore(t, s) || joinsAfter(t, e) {
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
var kvRe = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9])(aws_secret_access_key|secret_access_key|secretaccesskey|aws_secret_key|secret_key|password|passwd|passphrase|passcode|pwd|user_?name|user|login|pin|cvv2?|cvc2?|security code|exp(?:iry|iration)?(?: date)?|expires|valid thru)["']?[ \t]{0,3}$`)

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
		s, e, ok := valueAfter(t, p+1)
		if !ok {
			continue
		}
		v := t[s:e]
		labelled := false
		if n := len(v); n > 1 && (v[n-1] == ':' || v[n-1] == '=') {
			// The value is another label ("Login: username: jdoe", "Login: user: jdoe"): when a
			// value follows it, that value is the one, of the inner label's kind (found from
			// outside: "username:" came out a USERNAME and jdoe was left). A value that merely
			// ends in a key word and a colon ("Password: my-pin:") is still the value.
			if m2 := kvRe.FindStringSubmatchIndex(v[:n-1]); m2 != nil {
				if s2, e2, ok2 := valueAfter(t, e); ok2 {
					key = strings.ToLower(v[m2[2]:m2[3]])
					s, e, v = s2, e2, t[s2:e2]
					labelled = true
				}
			}
		}
		switch {
		case strings.Contains(key, "secret"):
			if secretShape(v) {
				d.add(s, e, AWSSecretKey, 0.9)
			}
		case strings.HasPrefix(key, "pass") || key == "pwd":
			d.add(s, e, Password, 0.85)
		case key == "user" && t[p] != '=' && !labelled:
			// "user=jdoe" (found from outside); "User: I cannot log in" is a chat line
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
var cardKeyRe = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9_])(cvv2?|cvc2?|security code|exp(?:iry|iration)?(?: date)?\.?|expires|valid (?:thru|through|until)|pin(?: code| number)?(?: is)?)[ \t]{1,3}[0-9]`)

func (d *detector) cardKeywords() {
	t := d.text
	for _, m := range cardKeyRe.FindAllStringSubmatchIndex(t, -1) {
		key := strings.ToLower(strings.TrimSuffix(t[m[2]:m[3]], "."))
		s := m[1] - 1
		e := s
		for e < len(t) && (isDigit(t[e]) || t[e] == '/' || t[e] == '-') {
			e++
		}
		if joinsAfter(t, e) || e < len(t) && (t[e] == '.' || t[e] == ',' || t[e] == ':') && e+1 < len(t) && isDigit(t[e+1]) {
			continue
		}
		v := t[s:e]
		if strings.HasPrefix(key, "pin") {
			// "Your PIN is 7391", "PIN code 0420" (found from outside; "pin: 1234" is a key=value)
			if allDigits(v) && len(v) >= 4 && len(v) <= 8 {
				d.add(s, e, PIN, 0.8)
			}
		} else if strings.HasPrefix(key, "cv") || key == "security code" {
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

// valueAfter is the value (kvValue) after a separator that ends at p, past up to three blanks.
func valueAfter(t string, p int) (int, int, bool) {
	for k := 0; k < 3 && p < len(t); k++ {
		r, n := utf8.DecodeRuneInString(t[p:])
		if r != '\t' && !unicode.Is(unicode.Zs, r) { // a blank: a space, a no-break space, …
			break
		}
		p += n
	}
	return kvValue(t, p)
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
		if k <= 0 || k > 200 || strings.ContainsAny(t[s:s+k], txt.LineBreaks) {
			return 0, 0, false
		}
		e = s + k
	} else {
		s, e = i, i
		// Up to white space, Unicode's included (a line break other than LF or CR, a no-break
		// space: found from outside, the value ran on into the next line), and at most 200
		// bytes, never cut inside a character (offsets shifted; found in review).
		for e < len(t) {
			r, n := utf8.DecodeRuneInString(t[e:])
			if unicode.IsSpace(r) || e+n-s > 200 {
				break
			}
			e += n
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
		// Closing brackets and quotes that do not belong to the value (code around it:
		// `PWD=/tmp"])` is the value /tmp; found from outside): each without its opening one.
		for e > s {
			open := strings.IndexByte(")]}\"'", t[e-1])
			if open < 0 || strings.IndexByte(t[s:e-1], "([{\"'"[open]) >= 0 {
				break
			}
			e--
		}
	}
	if e <= s {
		return 0, 0, false
	}
	v := t[s:e]
	// A value is more than code's punctuation: "User=," and "password :=" hold none ("!@#$%^"
	// is a password).
	if strings.Trim(v, "=,:;()[]{}\"'`") == "" ||
		strings.Trim(v, "*xX•#.") == "" || strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">") || v == "null" || v == "None" {
		return 0, 0, false
	}
	return s, e, true
}
