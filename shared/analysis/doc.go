// Package analysis holds the analysers: pure functions over a document's text, with output in
// Amazon Comprehend's field names and shapes. No network, no cgo.
//
// This package is what the rest of Ream uses: the Analyzer interface, the Registry
// (DefaultRegistry, NewRegistry, LanguageCodes, CanonicalLanguageCode), the per-document
// Result with its JSON encoding and the result types, Options and DocError, and the helpers
// the pipeline calls (DocumentLanguage, Redact). Each analyser is a package of its own below
// it, with its models, word lists, tests and labelled data:
//
//	package                    analysis      what
//	language                   LANGUAGE      dominant language: script rules, then lingua-go's n-gram models
//	                                         (re-implemented); DocumentLanguage
//	sentiment                  SENTIMENT     hashed logistic regression on IMDB + VADER lexicon + review phrases
//	entities                   ENTITIES      CoNLL-2003 sequence model (entities/internal/ner) + rules
//	keyphrases                 KEY_PHRASES   noun-phrase chunks ranked by a learned model
//	pii                        PII           rules and validators; Redact
//	coding                     CODING        free-text survey answers coded to SOC 2010 occupations
//	topics                     -             topic model (the replacement of Comprehend's topic modeling)
//	internal/result            -             Result (and its JSON encoding), span types, Options,
//	                                         DocError; aliased here
//	internal/text              -             tokenizer, sentence ends, stemmer, stopwords, date and
//	                                         number words, the English check (CheckEnglish), NFC
//	                                         with offsets mapped back to the text (NFC, OffsetMap)
//	internal/evaltest          -             test helpers: evaluation data, readers, bench runner
//
// The analyser packages do not import this one (it imports them to build the registry), so
// what they share lives in internal/result and internal/text. Each package's documentation
// describes its method, limits and figures; make analysers prints the figures.
//
// The analysers read text in NFC: ENTITIES, KEY_PHRASES and PII report offsets (code points)
// and Texts of the text as given, mapped back from its NFC form (text.NFC), so decomposed
// input ("Jose" and U+0301) gives the results of its precomposed form.
//
// DefaultRegistry returns the LANGUAGE, SENTIMENT, ENTITIES, KEY_PHRASES and PII analysers;
// all are pure Go (no cgo, no network), built once at cold start and safe for concurrent use
// by any number of goroutines without locks.
package analysis
