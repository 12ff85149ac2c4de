// # Analysers
//
// DefaultRegistry returns the two analysers Ream ships; both are pure Go (no cgo, no
// network), built once at cold start and safe for concurrent use by any number of
// goroutines without locks.
//
// # LANGUAGE
//
// See package language.
//
// # SENTIMENT
//
// See package sentiment.
package analysis
