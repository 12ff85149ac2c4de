package pipeline

import "context"

// detached returns a context with ctx's values and deadline but not its cancellation, for the
// work a caller's request has committed the service to: a created job's planning and a retry
// child's place in its parent's ChildJobIds once the job is stored, a stop once asked for. A
// client that goes away cancels its request's context (net/http does, on the local stack), and
// that work stopped half-way: a stored job was left SUBMITTED, its id told to nobody, until a
// sweep planned it StuckAfter/3 later; a retry's child ran without its parent naming it; a
// stopped job not yet planned stayed STOP_REQUESTED until a sweep ended it. An invocation's
// deadline (the api function's, less beforeDeadline's reserve) still bounds it, and so does the
// service's lifetime (Deps.Lifetime): a server that stops (the local stack's Close, once its
// grace is over) ends it, so that it does not run on over a closed store.
func (s *Service) detached(ctx context.Context) (context.Context, context.CancelFunc) {
	var free context.Context
	var cancel context.CancelFunc
	if dl, ok := ctx.Deadline(); ok {
		free, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
	} else {
		free, cancel = context.WithCancel(context.WithoutCancel(ctx))
	}
	if s.life == nil {
		return free, cancel
	}
	stop := context.AfterFunc(s.life, cancel)
	return free, func() { stop(); cancel() }
}
