package pipeline

import "context"

type computeDoneKey struct{}

// WithComputeDone returns a context whose handler calls done once the shard it processes has
// no more CPU work to do: its records are encoded and what remains is waiting for storage (the
// result object's sync, the error records' object, the shard record, and finalize when it was
// the last). A runtime that bounds how many shards compute at once (the local stack runs as
// many as it has cores) can then start the next shard while this one waits, instead of leaving
// a core idle. A TOPICS shard calls it once its map step is done, before its record and the
// stage's reduce that may follow (the initial fit, minutes long: it computes, but it is no
// shard's work, and holding a slot through it left other jobs' shards without one), and a
// finalize message at once. done may be called from any goroutine; the handler calls it at most
// once, and not at all on paths that compute until they return (training, planning).
func WithComputeDone(ctx context.Context, done func()) context.Context {
	return context.WithValue(ctx, computeDoneKey{}, done)
}

// computeDone calls the function WithComputeDone put in ctx, if any.
func computeDone(ctx context.Context) {
	if done, ok := ctx.Value(computeDoneKey{}).(func()); ok && done != nil {
		done()
	}
}
