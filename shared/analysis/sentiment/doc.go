// Package sentiment is the SENTIMENT analyser (Analyzer, New): English sentiment in Comprehend's four classes: "Sentiment" is POSITIVE, NEGATIVE, NEUTRAL
// or MIXED and "SentimentScore" holds the four class scores, each in (0,1), summing to 1, the
// label always being the highest. ModelVersion is
// "ream-hashlr-2^20-imdb-2+govader-<module version>-lexicon+review-phrases-1" (the review phrase list in lexicon/sentiment_phrases.txt).
//
//   - Polarity: a hashed logistic-regression model (model.go) over unigrams and bigrams
//     with negation marking (tokens after "not", "no", "never", "...n't", ... up to the next
//     punctuation mark are distinct features), 2^20 buckets, naive-Bayes-scaled features
//     (NBSVM-style) trained by averaged SGD on the 25,000 IMDB train reviews only, weights
//     quantised to int8: models/sentiment.bin, 1,048,592 bytes, embedded. Reproducible and
//     deterministic (same bytes every run, about 3 s):
//     go run ./shared/analysis/sentiment/internal/trainsentiment -data $(go env GOMODCACHE)/github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10/datasets -out shared/analysis/sentiment/models/sentiment.bin
//   - Opinion and contrast: VADER's valence lexicon (github.com/jonreiter/govader, MIT; Hutto
//     and Gilbert's 7,500 words, with its booster words and negation scalar) decides how
//     opinionated a text is (no opinion words: NEUTRAL, so plain statements of fact such as
//     "The package arrived on Tuesday." are NEUTRAL) and whether it holds clearly positive
//     and clearly negative clauses (MIXED, when the model is also undecided). For short texts
//     the lexicon also moves the polarity (the review-trained model is damped by
//     words/(words+40)); for reviews the model decides. The formula is on classify in
//     sentiment.go. Negation: "not bad at all" is POSITIVE, "not good" NEGATIVE.
//   - English only. When Config.LanguageCode or the job's Options.LanguageCode is
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
package sentiment
