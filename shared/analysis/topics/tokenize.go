package topics

import (
	"sync"
	"unicode"
	"unicode/utf8"

	itext "github.com/ream-dev/ream/shared/analysis/internal/text"
	"github.com/ream-dev/ream/shared/job"
)

const (
	// MinWordRunes is the shortest word kept (in letters, before stemming).
	MinWordRunes = 3
	// MaxWordRunes is the longest word kept; longer runs of letters (unspaced scripts,
	// concatenated identifiers, encoded data) are dropped.
	MaxWordRunes = 32
	// maxTermBytes bounds a term or display form in every decoder.
	maxTermBytes = 4 * MaxWordRunes
)

// tokenizer holds the buffers of one goroutine's tokenisation.
type tokenizer struct {
	word []byte // the lower-cased word (the surface form)
	stem []byte // its stem
}

// Language is the language of the stop words and the stemmer Tokens applies: a TOPICS job of
// documents declared to be in another language is refused rather than tokenised as English.
const Language = "en"

// SupportsLanguage reports whether documents declared to be in language code (empty: not
// declared) can be tokenised: English, by the rule every English-only analyser applies.
func SupportsLanguage(code string) bool { return itext.CheckEnglish(job.Topics, code, false) == nil }

var tokenizerPool = sync.Pool{New: func() any { return new(tokenizer) }}

// Tokens appends to dst the terms of text and returns the extended slice. A term is a word of
// the text in Unicode normalisation form C
// (a maximal run of letters, with combining marks and with apostrophes between letters),
// lower-cased (Unicode simple case folding of each rune), at least MinWordRunes and at most
// MaxWordRunes letters, not an English stop word, stemmed with the English Porter2 (Snowball)
// stemmer when it is ASCII, and not a generic word after stemming (see IsStopWord). Digits,
// punctuation and symbols split words, so numbers disappear ("mp3" gives "mp", too short).
// Every stage of the model tokenises with this function, so the terms are the model's
// vocabulary. It allocates only for terms that are not a substring of text (stems that
// rewrote a suffix, words that were not lower case).
func Tokens(text string, dst []string) []string {
	text, _ = itext.NFC(text)
	t := tokenizerPool.Get().(*tokenizer)
	t.eachNFC(text, func(stem, _ []byte, start int) {
		if start >= 0 && start+len(stem) <= len(text) && text[start:start+len(stem)] == string(stem) {
			dst = append(dst, text[start:start+len(stem)])
		} else {
			dst = append(dst, string(stem))
		}
	})
	tokenizerPool.Put(t)
	return dst
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '\u2018' || r == '\u201B'
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r|0x20 >= 'a' && r|0x20 <= 'z'
	}
	return unicode.IsLetter(r) || unicode.IsMark(r)
}

// each calls fn for every term of text with the stem and the lower-cased surface word (both
// valid only during the call). It reads text in Unicode normalisation form C (itext.NFC), so
// that a word written with combining accents (NFD, as macOS and some editors write it) is the
// same term as the precomposed word.
func (t *tokenizer) each(text string, fn func(stem, surface []byte, start int)) {
	text, _ = itext.NFC(text)
	t.eachNFC(text, fn)
}

// eachNFC is each for text already in NFC; it also passes fn the byte offset of the word in
// text when the word was already lower-case ASCII in text (else -1).
func (t *tokenizer) eachNFC(text string, fn func(stem, surface []byte, start int)) {
	i := 0
	for i < len(text) {
		// skip to the start of a word
		c := text[i]
		if c < utf8.RuneSelf {
			if c|0x20 < 'a' || c|0x20 > 'z' {
				i++
				continue
			}
		} else {
			r, n := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) {
				i += n
				continue
			}
		}
		start := i
		t.word = t.word[:0]
		runes, letters := 0, 0
		plain := true // lower-case ASCII letters only, so the word is text[start:i]
		for i < len(text) {
			c := text[i]
			if c < utf8.RuneSelf {
				switch {
				case c >= 'a' && c <= 'z':
					t.word = append(t.word, c)
					i++
					runes++
					letters++
					continue
				case c >= 'A' && c <= 'Z':
					t.word = append(t.word, c+'a'-'A')
					plain = false
					i++
					runes++
					letters++
					continue
				case c == '\'':
					// an apostrophe between letters belongs to the word
					if i+1 < len(text) {
						if r, _ := utf8.DecodeRuneInString(text[i+1:]); isWordRune(r) {
							t.word = append(t.word, '\'')
							i++
							runes++
							continue
						}
					}
				}
				break
			}
			r, n := utf8.DecodeRuneInString(text[i:])
			if isApostrophe(r) {
				if i+n < len(text) {
					if r2, _ := utf8.DecodeRuneInString(text[i+n:]); isWordRune(r2) {
						t.word = append(t.word, '\'')
						plain = false
						i += n
						runes++
						continue
					}
				}
				break
			}
			if !unicode.IsLetter(r) && !unicode.IsMark(r) {
				break
			}
			t.word = utf8.AppendRune(t.word, unicode.ToLower(r))
			plain = false
			i += n
			runes++
			if unicode.IsLetter(r) {
				letters++
			}
		}
		if letters < MinWordRunes || runes > MaxWordRunes {
			continue
		}
		if _, stop := stopWordSet[string(t.word)]; stop {
			continue
		}
		t.stem = append(t.stem[:0], t.word...)
		s := stem(t.stem)
		if len(s) < 2 {
			continue
		}
		if _, generic := genericStemSet[string(s)]; generic {
			continue
		}
		off := -1
		if plain {
			off = start
		}
		fn(s, t.word, off)
	}
}
