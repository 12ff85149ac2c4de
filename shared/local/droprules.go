package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// The drop rules' table: one row per (tenant, name), the rule as JSON (its template byte for
// byte as the API stored it).
func init() {
	migrations = append(migrations, `CREATE TABLE IF NOT EXISTS drop_rules (
		tenant TEXT NOT NULL,
		name   TEXT NOT NULL,
		body   BLOB NOT NULL,
		PRIMARY KEY (tenant, name)
	)`)
}

// DropRules is droprule.Store on SQLite.
type DropRules struct{ db *sql.DB }

var _ droprule.Store = (*DropRules)(nil)

// NewDropRules returns the drop rule store on db (from OpenDB).
func NewDropRules(db *sql.DB) *DropRules { return &DropRules{db: db} }

// dropRuleRecord is the stored form: the rule's public JSON and its tenant.
type dropRuleRecord struct {
	api.DropRule
	Tenant string `json:"tenant"`
}

// Put implements droprule.Store.
func (s *DropRules) Put(ctx context.Context, r api.DropRule) error {
	if r.Tenant == "" || r.Name == "" {
		return fmt.Errorf("put drop rule: tenant and name are required: %w", job.ErrInvalid)
	}
	body, err := encodeDropRule(r)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO drop_rules (tenant, name, body) VALUES (?, ?, ?)
		ON CONFLICT (tenant, name) DO UPDATE SET body = excluded.body`, r.Tenant, r.Name, body)
	if err != nil {
		return fmt.Errorf("put drop rule %s: %w", r.Name, err)
	}
	return nil
}

func encodeDropRule(r api.DropRule) ([]byte, error) {
	body, err := json.Marshal(dropRuleRecord{DropRule: r, Tenant: r.Tenant})
	if err != nil {
		return nil, fmt.Errorf("encode drop rule %s: %w", r.Name, err)
	}
	return body, nil
}

func decodeDropRule(body []byte) (api.DropRule, error) {
	var rec dropRuleRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return api.DropRule{}, fmt.Errorf("decode drop rule: %w", err)
	}
	rec.DropRule.Tenant = rec.Tenant
	return rec.DropRule, nil
}

// Get implements droprule.Store.
func (s *DropRules) Get(ctx context.Context, tenant, name string) (api.DropRule, error) {
	var body []byte
	err := s.db.QueryRowContext(ctx, `SELECT body FROM drop_rules WHERE tenant = ? AND name = ?`, tenant, name).Scan(&body)
	if isNoRows(err) {
		return api.DropRule{}, fmt.Errorf("drop rule %s: %w", name, job.ErrNotFound)
	}
	if err != nil {
		return api.DropRule{}, fmt.Errorf("get drop rule %s: %w", name, err)
	}
	return decodeDropRule(body)
}

// List implements droprule.Store.
func (s *DropRules) List(ctx context.Context, tenant string) ([]api.DropRule, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM drop_rules WHERE tenant = ? ORDER BY name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("list drop rules: %w", err)
	}
	defer rows.Close()
	var out []api.DropRule
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("list drop rules: %w", err)
		}
		r, err := decodeDropRule(body)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list drop rules: %w", err)
	}
	return out, nil
}

// Delete implements droprule.Store.
func (s *DropRules) Delete(ctx context.Context, tenant, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM drop_rules WHERE tenant = ? AND name = ?`, tenant, name)
	if err != nil {
		return fmt.Errorf("delete drop rule %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete drop rule %s: %w", name, err)
	} else if n == 0 {
		return fmt.Errorf("drop rule %s: %w", name, job.ErrNotFound)
	}
	return nil
}
