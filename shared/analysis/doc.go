// # Analysers
//
// DefaultRegistry returns the two analysers Ream ships; both are pure Go (no cgo, no
// network), built once at cold start and safe for concurrent use by any number of
// goroutines without locks.
//
// # LANGUAGE (LanguageAnalyzer, NewLanguage)
//
// Dominant-language detection restricted to the configured languages, in three steps
// (language.go, langfast.go). Output follows Comprehend's DetectDominantLanguage:
// "Languages", up to three {"LanguageCode","Score"} candidates, best first, each scoring at
// least 0.01, scores in (0,1] from a softmax over the candidates (so they sum to at most 1).
//
//  1. Script: when most words of the sample are in a script that only one configured
//     language uses (Hangul→ko, kana→ja, Han without kana→zh, Greek→el, Hebrew→he, Arabic→ar
//     when neither fa nor ur is configured, Thai, Georgian, Armenian, ...), that language,
//     score 1 (lingua-go's own rules answer the same, more slowly).
//  2. N-grams, for Latin- and Cyrillic-script text: lingua-go v1.4.0's low-accuracy algorithm
//     (github.com/pemistahl/lingua-go, Apache-2.0; sum over the sample's distinct letter
//     trigrams of each candidate's log-probability, backing off to bigram and unigram),
//     re-implemented over lingua-go's own models for the 27 Latin- and Cyrillic-script
//     default languages, extracted into models/lang-ngrams.bin.gz (3.4 MB, regenerated with
//     REAM_GEN_LANGMODEL=1 go test ./shared/analysis/ -run TestGenerateLanguageModels). One
//     map lookup per trigram serves every language, nothing is allocated per n-gram, and the
//     softmax is float64 (lingua-go falls back to arbitrary-precision decimals).
//  3. Otherwise (a configured language without a shipped model, or a sample in another
//     script, such as Han text when zh is not configured), lingua-go itself in low-accuracy
//     mode, built on first use.
//
// ModelVersion is "ream-ngram-1+lingua-go-1.4.0-low-accuracy-models" ("lingua-go-1.4.0-low-
// accuracy" when lingua-go handles every document).
//
//   - Languages: DefaultLanguages, 33 ISO 639-1 codes — ar bg ca cs da de el en es et fi fr he
//     hr hu id it ja ko lt nb nl pl pt ro ru sk sl sv tr uk vi zh. Any of lingua-go's 75
//     languages can be configured (LanguageConfig.Languages, at least two). "no" is accepted
//     for Norwegian Bokmål ("nb"); Chinese is always reported as "zh" (Traditional and
//     Simplified are not told apart, so Comprehend's "zh-TW" is never produced).
//   - A document in a language outside the configured set is reported as the closest
//     configured language: configure every language the corpus may hold.
//   - Only the first 300 bytes (DefaultLanguagePrefixBytes, cut at a rune and, when near,
//     a word boundary) are examined, after Unicode NFC normalisation (skipped for ASCII).
//     Accuracy on the DEP-11 set (3,279 human translations, 33 languages) is 0.9896 at 150
//     bytes, 0.9957 at 300, 0.9966 at 500 and 0.9963 at 1000 (TestLanguagePrefixSweep;
//     lingua-go itself: 0.9893, 0.9960, 0.9960, 0.9963).
//   - Speed: about 30,000 documents/s on one core for 1 KB documents (BenchmarkLanguage,
//     5 allocations per document); lingua-go alone managed about 1,000.
//   - Text in which no configured language can be recognised (digits, punctuation, emoji,
//     fewer than three letters, a script none of the languages uses) is a DocError
//     UNSUPPORTED_LANGUAGE: the analyser never guesses.
//   - Size limit: 100,000 bytes per document (Comprehend's), though only the prefix is read.
//   - Memory and cold start: decoding the n-gram tables takes about 0.3 s (more on a loaded
//     machine; BenchmarkLanguageModelDecode) and about 11 MiB of heap (TestLanguageMemory:
//     process RSS about 55 MiB in the test binary). lingua-go's detector (about 28 MiB of
//     heap and 0.3 s more) is built only when a document needs it. lingua-go still embeds
//     the models of all its languages in the binary (about 125 MiB), which matters for
//     Lambda package limits (deploy through S3 or as a container image).
//
// # SENTIMENT (SentimentAnalyzer, NewSentiment)
//
// English sentiment in Comprehend's four classes: "Sentiment" is POSITIVE, NEGATIVE, NEUTRAL
// or MIXED and "SentimentScore" holds the four class scores, each in (0,1), summing to 1, the
// label always being the highest. ModelVersion is
// "ream-hashlr-2^18-imdb-1+govader-<module version>-lexicon".
//
//   - Polarity: a hashed logistic-regression model (sentimodel.go) over unigrams and bigrams
//     with negation marking (tokens after "not", "no", "never", "...n't", ... up to the next
//     punctuation mark are distinct features), 2^18 buckets, naive-Bayes-scaled features
//     (NBSVM-style) trained by averaged SGD on the 25,000 IMDB train reviews only, weights
//     quantised to int8: models/sentiment.bin, 262,160 bytes, embedded. Reproducible and
//     deterministic (same bytes every run, about 3 s):
//     go run ./shared/analysis/internal/trainsentiment -data $(go env GOMODCACHE)/github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10/datasets -out shared/analysis/models/sentiment.bin
//   - Opinion and contrast: VADER's valence lexicon (github.com/jonreiter/govader, MIT; Hutto
//     and Gilbert's 7,500 words, with its booster words and negation scalar) decides how
//     opinionated a text is (no opinion words: NEUTRAL, so plain statements of fact such as
//     "The package arrived on Tuesday." are NEUTRAL) and whether it holds clearly positive
//     and clearly negative clauses (MIXED, when the model is also undecided). For short texts
//     the lexicon also moves the polarity (the review-trained model is damped by
//     words/(words+40)); for reviews the model decides. The formula is on classify in
//     sentiment.go. Negation: "not bad at all" is POSITIVE, "not good" NEGATIVE.
//   - English only. When SentimentConfig.LanguageCode or the job's Options.LanguageCode is
//     set to anything but "en" (or "en-XX"), every document is a DocError
//     UNSUPPORTED_LANGUAGE. Documents of a job without a declared language are assumed to
//     be English; non-English text then scores mostly NEUTRAL.
//   - Size limit: 5,000 bytes per document (Comprehend's 5 KB).
//   - Quality: IMDB test split (24,728 reviews up to 5,000 bytes; never used for training):
//     polarity accuracy 0.9074 (Positive score > Negative score, whatever the label; the
//     model alone: 0.9103), strict label accuracy 0.7989 (a MIXED or NEUTRAL label counts as
//     wrong; about 16 % of reviews come out MIXED) (TestSentimentIMDB). Hand-written 84-
//     sentence set (testdata/sentiment-labelled.tsv): 0.94 (TestSentimentLabelled). Words
//     missing from the lexicon ("filthy") can hide a clause's polarity in short texts.
//   - Speed: about 200,000 documents/s on one core for 200-byte documents
//     (BenchmarkSentiment, 2 allocations per document).
package analysis
