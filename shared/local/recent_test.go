package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecentDocumentsUsesIndex: the rate's query reads only recent shard records (an index
// search), not every record of the job: Get runs it for every shard a worker takes.
func TestRecentDocumentsUsesIndex(t *testing.T) {
	db, err := OpenDB(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+recentDocumentsQuery, "t", "j", "2026-12-02T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, " | "); !strings.Contains(p, "USING INDEX shards_by_recorded") || !strings.Contains(p, "<expr>") {
		t.Errorf("query plan %q does not search the shards_by_recorded index by time", p)
	}
}
