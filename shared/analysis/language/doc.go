// Package language is the LANGUAGE analyser (Analyzer, New): dominant-language detection
// restricted to the configured languages, in two steps
// (language.go, ngram.go); lingua-go is not linked into the binaries (only tests import
// it, TestLanguageNoLinguaLinked checks). Output follows Comprehend's
// DetectDominantLanguage: "Languages", up to three {"LanguageCode","Score"} candidates, best
// first, each scoring at least 0.01, scores in (0,1] from a softmax over the candidates (so
// they sum to at most 1).
//
//  1. Script: when most words of the sample are in a script that only one configured
//     language uses (Hangul→ko, kana→ja, Han without kana→zh, Greek→el, Hebrew→he, Arabic→ar
//     when neither fa nor ur is configured, Thai, Georgian, Armenian, ...), that language,
//     score 1 (lingua-go's own rules answer the same, more slowly).
//  2. N-grams, for Latin-, Cyrillic-, Arabic- and Devanagari-script text: lingua-go v1.4.0's
//     low-accuracy algorithm (github.com/pemistahl/lingua-go, Apache-2.0; sum over the
//     sample's distinct letter trigrams of each candidate's log-probability, backing off to
//     bigram and unigram), re-implemented over lingua-go's own models for 62 languages,
//     extracted into models/lang-ngrams.bin.gz (5.9 MB, format RLM2; regenerated with
//     REAM_GEN_LANGMODEL=1 go test ./shared/analysis/language/ -run TestGenerateLanguageModels -v,
//     which logs each language's share: 19 KB (tn) to 185 KB (cs) gzipped, 95 KB on
//     average). One map lookup per trigram serves every candidate, nothing is allocated per
//     n-gram, and the softmax is float64 (lingua-go falls back to arbitrary-precision
//     decimals). The tables are decoded for the configured languages only.
//  3. Otherwise the majority script decides: a script of a single configured language (even
//     under half of the words) gives that language, Han text gives ja when only ja is
//     configured, and a script no configured language uses gives UNSUPPORTED_LANGUAGE.
//
// ModelVersion is "ream-ngram-2+lingua-go-1.4.0-low-accuracy-models".
//
//   - Languages: DefaultLanguages, 33 ISO 639-1 codes — ar bg ca cs da de el en es et fi fr he
//     hr hu id it ja ko lt nb nl pl pt ro ru sk sl sv tr uk vi zh. SupportedLanguages lists
//     the 75 that can be configured (Config.Languages, at least two), all of
//     lingua-go's: with an n-gram model af ar az be bg bs ca cs cy da de en eo es et eu fa fi
//     fr ga hi hr hu id is it kk la lg lt lv mi mk mn mr ms nb nl nn pl pt ro ru sk sl sn so
//     sq sr st sv sw tl tn tr ts uk ur vi xh yo zu; by script alone bn el gu he hy ja ka ko
//     pa ta te th zh. Any other code is an error wrapping job.ErrInvalid. "no" is accepted
//     for Norwegian Bokmål ("nb"); Chinese is always reported as "zh" (Traditional and
//     Simplified are not told apart, so Comprehend's "zh-TW" is never produced).
//   - With all 75 languages configured, DEP-11 accuracy is 0.9820 and the top language
//     agrees with lingua-go's on 0.9982 of the documents (TestLanguageMatchesLingua).
//   - hi and mr configured together: lingua-go's letter runs stop at Devanagari vowel signs,
//     so a Hindi or Marathi sample may hold no trigram; it is then UNSUPPORTED_LANGUAGE (as
//     lingua-go, which answers nothing). Configured alone, either is identified by script.
//   - A document in a language outside the configured set but in a script a configured
//     language uses is reported as the closest configured language: configure every
//     language the corpus may hold.
//   - Only the first 300 bytes (DefaultPrefixBytes, cut at a rune and, when near,
//     a word boundary) are examined, after Unicode NFC normalisation (skipped for ASCII).
//     Accuracy on the DEP-11 set (3,279 human translations, 33 languages) is 0.9896 at 150
//     bytes, 0.9957 at 300, 0.9966 at 500 and 0.9963 at 1000 (TestLanguagePrefixSweep;
//     lingua-go itself: 0.9893, 0.9960, 0.9960, 0.9963). TestLanguageAccuracyDEP11 asserts
//     at least 0.98.
//   - Speed: about 50,000 documents/s on one core for 1 KB documents (BenchmarkLanguage,
//     2 allocations per document); lingua-go alone managed about 1,000.
//   - Text in which no configured language can be recognised (digits, punctuation, emoji,
//     fewer than three letters, a script none of the languages uses) is a DocError
//     UNSUPPORTED_LANGUAGE: the analyser never guesses.
//   - Size limit: 100,000 bytes per document (Comprehend's), though only the prefix is read.
//   - Memory and cold start: decoding the tables of every language takes about 0.1 s
//     (BenchmarkLanguageModelDecode; 40 MB allocated); the default set's, done once per
//     process and language set by New, about 0.17 s including the first build and
//     11 MiB of heap (TestLanguageMemory: process RSS about 43 MiB in the test binary). The
//     Lambda binaries are about 18 MiB (lingua-go's embedded models made them 148 MiB).
//
// DocumentLanguage (gate.go) decides the language the other analysers assume for a document
// of a job without a declared language, from this analyser's candidates.
package language
