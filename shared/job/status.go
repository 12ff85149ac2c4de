package job

import "strings"

// Status is a job's place in its lifecycle.
type Status string

// Job statuses. The names follow Amazon Comprehend's JobStatus, plus AWAITING_INPUT (a job created
// with a presigned upload URL whose input has not arrived yet) and TIMED_OUT (it never did).
const (
	AwaitingInput  Status = "AWAITING_INPUT"
	Submitted      Status = "SUBMITTED"
	InProgress     Status = "IN_PROGRESS"
	Completed      Status = "COMPLETED"
	PartialSuccess Status = "PARTIAL_SUCCESS"
	Failed         Status = "FAILED"
	StopRequested  Status = "STOP_REQUESTED"
	Stopped        Status = "STOPPED"
	TimedOut       Status = "TIMED_OUT"
)

// AllStatuses lists every status, in lifecycle order.
var AllStatuses = []Status{AwaitingInput, Submitted, InProgress, Completed, PartialSuccess, Failed, StopRequested, Stopped, TimedOut}

// ActiveStatuses lists the statuses of a job not yet finished (those not Terminal), in
// lifecycle order: the jobs the sweeper reads on every sweep, and whose inputs the local
// stack's input expiry keeps.
var ActiveStatuses = []Status{AwaitingInput, Submitted, InProgress, StopRequested}

// transitions is the one table of legal moves. Everything not listed is illegal.
//
//	AWAITING_INPUT → SUBMITTED (input arrived) | TIMED_OUT (never arrived) | STOPPED (stopped before upload)
//	SUBMITTED      → IN_PROGRESS (shards enqueued) | FAILED (bad input file) | STOP_REQUESTED
//	IN_PROGRESS    → COMPLETED | PARTIAL_SUCCESS (some documents failed) | FAILED | STOP_REQUESTED
//	STOP_REQUESTED → STOPPED (outstanding shards skipped, done work kept) | FAILED |
//	                 COMPLETED | PARTIAL_SUCCESS (the stop came too late to skip anything)
var transitions = map[Status][]Status{
	AwaitingInput: {Submitted, TimedOut, Stopped},
	Submitted:     {InProgress, Failed, StopRequested},
	InProgress:    {Completed, PartialSuccess, Failed, StopRequested},
	StopRequested: {Stopped, Failed, Completed, PartialSuccess},
}

// CanTransition reports whether from → to is a legal move.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Terminal reports whether no further transition is possible.
func (s Status) Terminal() bool {
	switch s {
	case Completed, PartialSuccess, Failed, Stopped, TimedOut:
		return true
	}
	return false
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range AllStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// List writes names (analyses, statuses, codes) as a message shows them: "A, B, C".
func List[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}
