// # Analysers
//
// DefaultRegistry returns the two analysers Ream ships; both are pure Go (no cgo, no
// network), built once at cold start and safe for concurrent use by any number of
// goroutines without locks.
//
// # LANGUAGE (LanguageAnalyzer, NewLanguage)
//
// Dominant-language detection restricted to the configured languages, in two steps
// (language.go, langfast.go); lingua-go is not linked into the binaries (only tests import
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
//     REAM_GEN_LANGMODEL=1 go test ./shared/analysis/ -run TestGenerateLanguageModels -v,
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
//     the 75 that can be configured (LanguageConfig.Languages, at least two), all of
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
//   - Only the first 300 bytes (DefaultLanguagePrefixBytes, cut at a rune and, when near,
//     a word boundary) are examined, after Unicode NFC normalisation (skipped for ASCII).
//     Accuracy on the DEP-11 set (3,279 human translations, 33 languages) is 0.9896 at 150
//     bytes, 0.9957 at 300, 0.9966 at 500 and 0.9963 at 1000 (TestLanguagePrefixSweep;
//     lingua-go itself: 0.9893, 0.9960, 0.9960, 0.9963). TestLanguageAccuracyDEP11 asserts
//     at least 0.98.
//   - Speed: about 50,000 documents/s on one core for 1 KB documents (BenchmarkLanguage,
//     5 allocations per document); lingua-go alone managed about 1,000.
//   - Text in which no configured language can be recognised (digits, punctuation, emoji,
//     fewer than three letters, a script none of the languages uses) is a DocError
//     UNSUPPORTED_LANGUAGE: the analyser never guesses.
//   - Size limit: 100,000 bytes per document (Comprehend's), though only the prefix is read.
//   - Memory and cold start: decoding the tables of every language takes about 0.1 s
//     (BenchmarkLanguageModelDecode; 40 MB allocated); the default set's, done once per
//     process and language set by NewLanguage, about 0.17 s including the first build and
//     11 MiB of heap (TestLanguageMemory: process RSS about 43 MiB in the test binary). The
//     Lambda binaries are about 18 MiB (lingua-go's embedded models made them 148 MiB).
//
// # SENTIMENT (SentimentAnalyzer, NewSentiment)
//
// English sentiment in Comprehend's four classes: "Sentiment" is POSITIVE, NEGATIVE, NEUTRAL
// or MIXED and "SentimentScore" holds the four class scores, each in (0,1), summing to 1, the
// label always being the highest. ModelVersion is
// "ream-hashlr-2^18-imdb-1+govader-<module version>-lexicon+review-phrases-1" (the review phrase list in lexicon/sentiment_phrases.txt).
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
