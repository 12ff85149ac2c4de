// # Analysers
//
// DefaultRegistry returns the two analysers Ream ships; both are pure Go (no cgo, no
// network), built once at cold start and safe for concurrent use by any number of
// goroutines without locks.
//
// # LANGUAGE (LanguageAnalyzer, NewLanguage)
//
// Dominant-language detection with lingua-go v1.4.0 (github.com/pemistahl/lingua-go,
// Apache-2.0): character n-gram models in low-accuracy mode (trigrams only), restricted to
// the configured languages, models preloaded when the analyser is built. Output follows
// Comprehend's DetectDominantLanguage: "Languages", up to three {"LanguageCode","Score"}
// candidates, best first, each scoring at least 0.01, scores in (0,1] from lingua-go's
// softmax over the candidates (so they sum to at most 1). ModelVersion is
// "lingua-go-1.4.0-low-accuracy".
//
//   - Languages: DefaultLanguages, 33 ISO 639-1 codes — ar bg ca cs da de el en es et fi fr he
//     hr hu id it ja ko lt nb nl pl pt ro ru sk sl sv tr uk vi zh. Any of lingua-go's 75
//     languages can be configured (LanguageConfig.Languages, at least two). "no" is accepted
//     for Norwegian Bokmål ("nb"); Chinese is always reported as "zh" (lingua-go does not tell
//     Traditional from Simplified, so Comprehend's "zh-TW" is never produced).
//   - A document in a language outside the configured set is reported as the closest
//     configured language: configure every language the corpus may hold.
//   - Only the first 300 bytes (DefaultLanguagePrefixBytes, cut at a rune and, when near,
//     a word boundary) are examined, after Unicode NFC normalisation. Accuracy on the DEP-11
//     set (3,279 human translations, 33 languages) is 0.9893 at 150 bytes, 0.9960 at 300,
//     0.9960 at 500 and 0.9963 at 1000 (TestLanguagePrefixSweep); longer samples cost more
//     because lingua-go's softmax falls back to arbitrary-precision decimals when the
//     summed log-probabilities underflow float64.
//   - Text in which no configured language can be recognised (digits, punctuation, emoji,
//     fewer than three letters, a script none of the languages uses) is a DocError
//     UNSUPPORTED_LANGUAGE: the analyser never guesses.
//   - Size limit: 100,000 bytes per document (Comprehend's), though only the prefix is read.
//   - Memory: the trigram models of the 33 default languages take about 28 MiB of heap
//     (process RSS about 72 MiB after building, which takes about 0.3 s on two cores;
//     TestLanguageMemory logs both). lingua-go keeps
//     models in process-wide maps, so building a second analyser costs almost nothing.
//     lingua-go embeds the models of all its languages in the binary (about 125 MiB), which
//     matters for Lambda package limits (deploy through S3 or as a container image).
//
// # SENTIMENT (SentimentAnalyzer, NewSentiment)
//
// English sentiment with VADER (github.com/jonreiter/govader, MIT; a Go port of Hutto and
// Gilbert's rule-based model with its 7,500-word lexicon, negation, booster, "but" and
// emphasis rules), mapped to Comprehend's four classes: "Sentiment" is POSITIVE, NEGATIVE,
// NEUTRAL or MIXED and "SentimentScore" holds the four class scores, each in (0,1), summing
// to 1, the label always being the highest. The mapping is described on classify in
// sentiment.go: MIXED when the document's clearly negative clauses weigh about half as much
// as its clearly positive ones or more (or the other way round), NEUTRAL when VADER's
// compound score is within about ±0.2 (plain statements of fact), otherwise the sign of the
// compound. ModelVersion is "govader-<module version>+ream-4class-1".
//
//   - English only. When SentimentConfig.LanguageCode or the job's Options.LanguageCode is
//     set to anything but "en" (or "en-XX"), every document is a DocError
//     UNSUPPORTED_LANGUAGE. Documents of a job without a declared language are assumed to
//     be English; non-English text then scores mostly NEUTRAL, because the lexicon does not
//     know its words.
//   - Size limit: 5,000 bytes per document (Comprehend's 5 KB).
//   - Quality: 0.94 on a hand-written 84-sentence set (testdata/sentiment-labelled.tsv:
//     positive, negative, neutral facts, mixed, negations); 0.70 polarity accuracy on the
//     IMDB test reviews up to 5,000 bytes, which is VADER's known level on long reviews. On
//     IMDB about 38 % of reviews come out MIXED: long reviews usually weigh pros and cons.
//     It is a lexicon model: sarcasm, domain words missing from the lexicon ("filthy",
//     "exceeded expectations") and comparisons are beyond it.
package analysis
