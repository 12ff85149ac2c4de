package pii

// internet.go holds the detectors of e-mail addresses, URLs, IPv4 and IPv6 addresses and MAC
// addresses.

import (
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"
)

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
		// Leading symbols such as quotes or '=' belong to the surrounding text, as does what
		// a '/', '?', '=' or '&' ends before the address: a URL's path and query
		// ("…/u?email=jane@example.com"), a key ("password=john@example.com"). RFC 5322 allows
		// them in a local part; addresses people write do not use them.
		if at := strings.IndexByte(t[s:e], '@'); at > 0 {
			if i := strings.LastIndexAny(t[s:s+at], "/?=&"); i >= 0 && i+1 < at {
				s += i + 1
			}
		}
		for s < e && t[s] < 0x80 && !isAlnum(t[s]) && t[s] != '_' {
			s++
		}
		s, e = trimUnspaced(t, s, e)
		if s == e {
			continue
		}
		dot := strings.LastIndexByte(t[s:e], '.')
		if fileExt[strings.ToLower(t[s+dot+1:e])] {
			continue
		}
		d.add(s, e, Email, 0.99)
	}
}

// trimUnspaced cuts from the address t[s:e] the letters of an unspaced script (Chinese,
// Japanese, Korean, Thai…) that the text around it wrote against it: in "メールは
// taro@example.jpまで" (no spaces) the local part ends in Latin letters and the top-level domain
// begins with them, so the kana before and after belong to the sentence. An address written
// wholly in such a script ("用户@例子.广告") is left whole. It returns s == e when what is left
// is no address (a top-level domain under two letters).
func trimUnspaced(t string, s, e int) (int, int) {
	at := s + strings.IndexByte(t[s:e], '@')
	if r, _ := utf8.DecodeLastRuneInString(t[s:at]); !unspaced(r) {
		for i := at; i > s; {
			r, n := utf8.DecodeLastRuneInString(t[s:i])
			if unspaced(r) {
				s = i
				break
			}
			i -= n
		}
	}
	tld := at + strings.LastIndexByte(t[at:e], '.') + 1
	if r, _ := utf8.DecodeRuneInString(t[tld:e]); !unspaced(r) {
		for i := tld; i < e; {
			r, n := utf8.DecodeRuneInString(t[i:e])
			if unspaced(r) {
				e = i
				break
			}
			i += n
		}
	}
	if utf8.RuneCountInString(t[tld:e]) < 2 || at <= s {
		return s, s
	}
	return s, e
}

// ---- URLs ----

// urlRe's URL runs to white space, Unicode's too (a no-break or ideographic space, VT, NEL,
// U+2028, U+2029: \s is ASCII's alone), as no URL holds one unescaped.
var urlRe = regexp.MustCompile("(?i)\\b(?:(?:https?|ftp)://|www\\.)[^\\s\\p{Z}\\x{0085}\\x{000B}<>\"'`]+")

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
		if joinsBefore(t, s) {
			continue
		}
		if joinsAfter(t, e) && t[e] != '%' {
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
		if !hex(t[i]) || joinsBefore(t, i) {
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
		dotted := t[s+4] == '.'
		// A group after the match continues it: a colon or dash form into another pair, a dotted
		// form into a fourth group (a card written with dots, 4111.1111.1111.1111, is no MAC);
		// a sentence's full stop after a colon form ends it.
		next := e < len(t) && e+1 < len(t) && hex(t[e+1]) && ((!dotted && (t[e] == ':' || t[e] == '-')) || (dotted && t[e] == '.'))
		if (s > 0 && (t[s-1] == ':' || t[s-1] == '-' || t[s-1] == '.')) || next {
			continue
		}
		d.add(s, e, MACAddress, 0.95)
	}
}
