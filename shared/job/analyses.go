package job

import "slices"

// TextAnalyses are the analyses of as that the analyser registry runs (CODING,
// CODING_TRAINING and TOPICS are the pipeline's own).
func TextAnalyses(as []Analysis) []Analysis {
	out := make([]Analysis, 0, len(as))
	for _, a := range as {
		if a != Coding && a != CodingTraining && a != Topics {
			out = append(out, a)
		}
	}
	return out
}

// RecordAnalyses are the analyses of as that run on each record: the analyser registry's and
// CODING (not CODING_TRAINING or TOPICS, which run over the whole input).
func RecordAnalyses(as []Analysis) []Analysis {
	out := TextAnalyses(as)
	if slices.Contains(as, Coding) {
		out = append(out, Coding)
	}
	return out
}
