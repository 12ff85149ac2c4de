package local

import (
	"context"
	"database/sql"
	"sync"
)

// stmts holds an adapter's prepared statements, each prepared once and then reused. database/sql
// prepares the query of every QueryContext and ExecContext anew and finalizes it after, and for
// the short statements a shard runs through the queue and the job store (receive, delete, the
// job's read, the shard's record) SQLite's parse and plan, Go compiled from C here, cost about as
// much as running them. A *sql.Stmt is prepared on each connection the first time it runs there
// and reused after (Tx.StmtContext too), so the statements run exactly as before, unparsed.
type stmts struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmts(db *sql.DB) *stmts { return &stmts{db: db} }

// all returns the prepared statements of queries, in order (see get).
func (c *stmts) all(ctx context.Context, queries ...string) ([]*sql.Stmt, error) {
	out := make([]*sql.Stmt, len(queries))
	for i, query := range queries {
		st, err := c.get(ctx, query)
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

// get returns the prepared statement of query, preparing it the first time. Preparing takes a
// connection of its own, so it is called before a transaction begins, not inside one.
func (c *stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st := c.m[query]
	c.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil {
		st.Close() // another goroutine prepared it meanwhile
		return prev, nil
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[query] = st
	return st, nil
}
