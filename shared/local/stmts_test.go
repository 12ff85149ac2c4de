package local

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
)

// TestStmtsPreparesOnce: a query is prepared once however many goroutines ask for it at once,
// and its statement runs inside transactions (Tx.StmtContext) as outside them.
func TestStmtsPreparesOnce(t *testing.T) {
	ctx := context.Background()
	db, err := OpenDB(filepath.Join(t.TempDir(), "ream.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := newStmts(db)
	const query = `SELECT count(*) FROM messages WHERE queue = ?`
	got := make([]*sql.Stmt, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := c.get(ctx, query)
			if err != nil {
				t.Error(err)
			}
			got[i] = st
		}()
	}
	wg.Wait()
	for _, st := range got[1:] {
		if st != got[0] {
			t.Fatal("the same query gave two statements")
		}
	}
	if err := NewQueue(db, "q", 0).SendRaw(ctx, [][]byte{[]byte("a"), []byte("b")}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.StmtContext(ctx, got[0]).QueryRowContext(ctx, "q").Scan(&n); err != nil || n != 2 {
			t.Fatalf("in a transaction: %d messages, %v; want 2", n, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := got[0].QueryRowContext(ctx, "q").Scan(&n); err != nil || n != 2 {
			t.Fatalf("outside: %d messages, %v; want 2", n, err)
		}
	}
}
