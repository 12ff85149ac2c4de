// Package sentiment is the SENTIMENT analyser (Analyzer, New): English sentiment in Comprehend's four classes: "Sentiment" is POSITIVE, NEGATIVE, NEUTRAL
// or MIXED and "SentimentScore" holds the four class scores, each in (0,1), summing to 1, the
// label always being the highest. ModelVersion is
// "ream-hashlr-2^20-imdb-2+opinion-hashlr-2^16-1+govader-<module version>-lexicon+review-phrases-1" (the review phrase list in lexicon/sentiment_phrases.txt).
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
//   - Opinion gate: one lexicon word ("free", "error", "ignored", "value") does not make a
//     plain technical or news statement polar. An opinion model, a hashed logistic regression
//     over the same features (the low 16 bits of the same buckets, read in the same pass;
//     models/opinion.bin, 65,552 bytes, embedded), trained on objective text (CoNLL-2003 news
//     sentences, KDD/WWW abstracts and DEP-11 application descriptions, the train parts of
//     ../shared/data) against sentences of the IMDB train reviews (80 % by hash), tells
//     review prose from the rest; with the lexicon valence per word (a short evaluation such
//     as "Died within a week." is opinion whatever the model says) it decides how much of the
//     lexicon valence counts as opinion. It moves only NEUTRAL (and MIXED, which yields to
//     it), never the polarity. Reproducible and deterministic (same bytes every run, a few
//     seconds): make train-opinion, or
//     go run ./shared/analysis/sentiment/internal/trainopinion -imdb $(go env GOMODCACHE)/github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10/datasets -data ../shared/data -out shared/analysis/sentiment/models/opinion.bin
//     Held out (never trained or tuned on): NEUTRAL on 83 % of 1,716 man-page paragraphs
//     (40 % before; paragraphs of 12+ words from 17 man pages, split in two by hash, the
//     other half tuned on: 85 %, 41 % before), 87 % of 59,912 Debian bookworm package short
//     descriptions (80 % before; 167 of them are sentences of the DEP-11 descriptions trained
//     on, 86.6 % with or without them), 75 % of 1,856 CoNLL held-out news sentences (54 % before);
//     1.9 % of 1,349 short blog opinions (opinmind.txt of the IMDB module, not trained on;
//     unchanged). Short technical sentences with a strong lexicon word ("If this option is
//     set, the default capath value will be ignored.") can still come out polar.
//   - English only. When Config.LanguageCode or the job's Options.LanguageCode is
//     set to anything but "en" (or "en-XX"), every document is a DocError
//     UNSUPPORTED_LANGUAGE. Documents of a job without a declared language are assumed to
//     be English; non-English text then scores mostly NEUTRAL.
//   - Size limit: 5,000 bytes per document (Comprehend's 5 KB).
//   - Quality: IMDB test split (24,728 reviews up to 5,000 bytes; never used for training):
//     polarity accuracy 0.9100 (Positive score > Negative score, whatever the label),
//     strict label accuracy 0.8036 (a MIXED or NEUTRAL label counts as wrong; about 15 % of
//     reviews come out MIXED, 4 NEUTRAL; all the same with and without the opinion gate)
//     (TestSentimentIMDB). 120 of the test reviews repeat a train review (case, white space and
//     punctuation folded; the IMDB set's own split): polarity 0.9095 on the other 24,608. Hand-written 84-sentence set (testdata/sentiment-labelled.tsv):
//     0.988 (TestSentimentLabelled); 141 short review snippets (sentiment-short.tsv): 0.979
//     (TestSentimentShort); both unchanged by the gate. Words missing from the lexicon ("filthy") can hide a clause's polarity in short texts.
//   - Speed: about 200,000 documents/s on one core for 200-byte documents
//     (BenchmarkSentiment, 2 allocations per document; the opinion model costs about 5 % on
//     200-byte and 9 % on 1 KB documents).
package sentiment
