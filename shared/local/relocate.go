package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// The store's location as the records name it: the file:// base (the data directory's
// objects/ folder) of the URIs stored in jobs, drop rules and notifications, recorded by
// Relocate.
func init() {
	migrations = append(migrations, `CREATE TABLE IF NOT EXISTS store_location (
		id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
		base TEXT    NOT NULL
	)`)
}

// Relocation is what Relocate rewrote: the base the records named before (From, "" when
// nothing was rewritten) and how many records of each kind now name the new one.
type Relocation struct {
	From                           string
	Jobs, DropRules, Notifications int
}

// Relocate makes the stored URIs name the store at base (the objects folder's file:// URI,
// ending in "/"), where the data directory now is. Jobs (their input and output locations and
// manifest), drop rules (their folder, and their template's output location) and notifications
// (their OutputLocation) store the store's file:// URIs, which name the data directory's
// absolute path: after the directory was moved or restored elsewhere, a job's own output
// location was "not in this deployment's store" (found by moving a data directory: a retry of
// an earlier job was refused 400, every file dropped under a rule with an output location
// started a FAILED job, a job's custom output folder was no longer deleted when it expired, and
// the Comprehend surface answered file:// paths that no longer existed instead of s3:// ones).
//
// The base is recorded in the database; a database without it (a release before this one) has
// the bases its records name read off them (formerBases). Everything is rewritten in one transaction, before anything else uses the database:
// call it once, holding the data directory's lock, before the stack serves.
func Relocate(ctx context.Context, db *sql.DB, base string) (Relocation, error) {
	var moved Relocation
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return moved, fmt.Errorf("relocate: %w", err)
	}
	defer tx.Rollback()
	var recorded string
	var from []string
	err = tx.QueryRowContext(ctx, `SELECT base FROM store_location WHERE id = 1`).Scan(&recorded)
	switch {
	case err == nil:
		from = []string{recorded}
	case isNoRows(err):
		from, err = formerBases(ctx, tx)
	}
	if err != nil {
		return moved, fmt.Errorf("relocate: %w", err)
	}
	from = slices.DeleteFunc(from, func(b string) bool { return b == base })
	slices.SortFunc(from, func(a, b string) int { return len(b) - len(a) }) // the longest that fits
	if len(from) > 0 {
		moved.From = strings.Join(from, ", ")
		re := func(uri string) string {
			for _, f := range from {
				if rest, ok := strings.CutPrefix(uri, f); ok {
					return base + rest
				}
			}
			return uri
		}
		if moved.Jobs, err = rewriteRows(ctx, tx, `jobs`, `body, version`, func(sc func(...any) error) ([]byte, error) {
			var body []byte
			var version int64
			if err := sc(&body, &version); err != nil {
				return nil, err
			}
			j, err := decodeJob(body, version)
			if err != nil {
				return nil, err
			}
			in, out, manifest := j.InputDataConfig.S3Uri, j.OutputDataConfig.S3Uri, j.ManifestFilePath
			j.InputDataConfig.S3Uri, j.OutputDataConfig.S3Uri, j.ManifestFilePath = re(in), re(out), re(manifest)
			if j.InputDataConfig.S3Uri == in && j.OutputDataConfig.S3Uri == out && j.ManifestFilePath == manifest {
				return nil, nil
			}
			return encodeJob(j)
		}); err != nil {
			return moved, err
		}
		if moved.DropRules, err = rewriteRows(ctx, tx, `drop_rules`, `body`, func(sc func(...any) error) ([]byte, error) {
			var body []byte
			if err := sc(&body); err != nil {
				return nil, err
			}
			r, err := decodeDropRule(body)
			if err != nil {
				return nil, err
			}
			loc, out := r.Location, r.Template.OutputDataConfig.S3Uri
			r.Location, r.Template.OutputDataConfig.S3Uri = re(loc), re(out)
			if r.Location == loc && r.Template.OutputDataConfig.S3Uri == out {
				return nil, nil
			}
			return encodeDropRule(r)
		}); err != nil {
			return moved, err
		}
		if moved.Notifications, err = rewriteRows(ctx, tx, `notifications`, `body`, func(sc func(...any) error) ([]byte, error) {
			var body []byte
			if err := sc(&body); err != nil {
				return nil, err
			}
			var note api.Notification
			if err := json.Unmarshal(body, &note); err != nil {
				return nil, fmt.Errorf("decode notification: %w", err)
			}
			loc := note.OutputLocation
			if note.OutputLocation = re(loc); note.OutputLocation == loc {
				return nil, nil
			}
			return json.Marshal(note)
		}); err != nil {
			return moved, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO store_location (id, base) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET base = excluded.base`, base); err != nil {
		return moved, fmt.Errorf("relocate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return moved, fmt.Errorf("relocate: %w", err)
	}
	return moved, nil
}

// relocatePage is how many rows rewriteRows reads at a time (its memory, whatever the table's
// size).
const relocatePage = 256

// rewriteRows passes each row of table (its columns cols) to fix, a page at a time in rowid
// order, and stores the body fix returns (nil: the row is unchanged). It returns how many rows
// it rewrote.
func rewriteRows(ctx context.Context, tx *sql.Tx, table, cols string, fix func(scan func(...any) error) ([]byte, error)) (int, error) {
	type change struct {
		rowid int64
		body  []byte
	}
	n := 0
	for after := int64(-1 << 63); ; {
		rows, err := tx.QueryContext(ctx, `SELECT rowid, `+cols+` FROM `+table+` WHERE rowid > ? ORDER BY rowid LIMIT ?`, after, relocatePage)
		if err != nil {
			return n, fmt.Errorf("relocate %s: %w", table, err)
		}
		var changes []change
		read := 0
		for rows.Next() {
			read++
			var body []byte
			body, err = fix(func(dest ...any) error { return rows.Scan(append([]any{&after}, dest...)...) })
			if err != nil {
				break
			}
			if body != nil {
				changes = append(changes, change{after, body})
			}
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close()
		if err != nil {
			return n, fmt.Errorf("relocate %s: %w", table, err)
		}
		for _, c := range changes {
			if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET body = ? WHERE rowid = ?`, c.body, c.rowid); err != nil {
				return n, fmt.Errorf("relocate %s: %w", table, err)
			}
			n++
		}
		if read < relocatePage {
			return n, nil
		}
	}
}

// formerBases reads the bases a database made before the base was recorded names (a data
// directory moved under those releases names several): each job's whose input location is its
// input key's URI (every job but a retry, whose location is its parent's), and each drop rule's
// folder's.
func formerBases(ctx context.Context, tx *sql.Tx) ([]string, error) {
	seen := map[string]bool{}
	var bases []string
	add := func(uri, key string) {
		if base, ok := strings.CutSuffix(uri, key); ok && key != "" && strings.HasPrefix(base, "file://") && !seen[base] {
			seen[base] = true
			bases = append(bases, base)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT body, version FROM jobs`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var body []byte
		var version int64
		if err := rows.Scan(&body, &version); err != nil {
			return nil, err
		}
		j, err := decodeJob(body, version)
		if err != nil {
			return nil, err
		}
		add(j.InputDataConfig.S3Uri, j.InputKey)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rules, err := tx.QueryContext(ctx, `SELECT body FROM drop_rules`)
	if err != nil {
		return nil, err
	}
	defer rules.Close()
	for rules.Next() {
		var body []byte
		if err := rules.Scan(&body); err != nil {
			return nil, err
		}
		r, err := decodeDropRule(body)
		if err != nil {
			return nil, err
		}
		add(r.Location, droprule.Prefix(r.Tenant, r.Name))
	}
	return bases, rules.Err()
}
