package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// Models is the coding-model registry on SQLite (table models, see the migrations). A model is
// stored as JSON (including its `json:"-"` fields, by Go name) next to the columns it is
// queried by; its Metrics are a column of their own, so they come back byte for byte (encoding
// them inside the JSON would compact and re-escape them). A shipped model has the empty tenant.
// Training is in the JSON, absent when nil, as in the bodies stored before it was kept.
type Models struct {
	db *sql.DB
}

var _ pipeline.Models = (*Models)(nil)

// NewModels returns the model registry on db (from OpenDB).
func NewModels(db *sql.DB) *Models { return &Models{db: db} }

// modelRecord is the stored body of a model.
type modelRecord struct {
	Model  api.Model                  `json:"model"`
	Hidden map[string]json.RawMessage `json:"hidden,omitempty"`
}

// modelHidden are the indexes of api.Model's exported `json:"-"` fields (Tenant, Key, and any
// added later).
var modelHidden = func() []int {
	var idx []int
	t := reflect.TypeOf(api.Model{})
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && f.Tag.Get("json") == "-" {
			idx = append(idx, i)
		}
	}
	return idx
}()

func encodeModel(m api.Model) ([]byte, error) {
	rec := modelRecord{Model: m, Hidden: map[string]json.RawMessage{}}
	rec.Model.Metrics = nil
	v := reflect.ValueOf(m)
	for _, i := range modelHidden {
		b, err := json.Marshal(v.Field(i).Interface())
		if err != nil {
			return nil, fmt.Errorf("encode model %s field %s: %w", m.ModelId, v.Type().Field(i).Name, err)
		}
		rec.Hidden[v.Type().Field(i).Name] = b
	}
	return json.Marshal(rec)
}

func decodeModel(body, metrics []byte) (api.Model, error) {
	var rec modelRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return api.Model{}, fmt.Errorf("decode model: %w", err)
	}
	v := reflect.ValueOf(&rec.Model).Elem()
	for _, i := range modelHidden {
		name := v.Type().Field(i).Name
		if raw, ok := rec.Hidden[name]; ok {
			if err := json.Unmarshal(raw, v.Field(i).Addr().Interface()); err != nil {
				return api.Model{}, fmt.Errorf("decode model field %s: %w", name, err)
			}
		}
	}
	rec.Model.ModelReleaseDate = rec.Model.ModelReleaseDate.UTC()
	if len(metrics) > 0 {
		rec.Model.Metrics = append(json.RawMessage(nil), metrics...)
	}
	return rec.Model, nil
}

// validateModel checks what both registries require of a model to register.
func validateModel(m api.Model) error {
	if m.ModelId == "" || m.Topic == "" {
		return fmt.Errorf("register model: id and topic are required: %w", job.ErrInvalid)
	}
	if m.ModelVersion < 0 {
		return fmt.Errorf("register model %s: negative version %d: %w", m.ModelId, m.ModelVersion, job.ErrInvalid)
	}
	return nil
}

// Register implements pipeline.Models in one IMMEDIATE transaction: an existing id returns the
// stored model (created=false); otherwise the insert fails on the unique (topic, tenant,
// version) index if another model holds that version (ErrConflict). An id held by a model that
// m.Tenant may not see (another tenant's) is ErrConflict too, and reveals nothing of it.
func (s *Models) Register(ctx context.Context, m api.Model) (api.Model, bool, error) {
	if err := validateModel(m); err != nil {
		return api.Model{}, false, err
	}
	st := m.Normalized()
	body, err := encodeModel(st)
	if err != nil {
		return api.Model{}, false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return api.Model{}, false, fmt.Errorf("register model %s: %w", m.ModelId, err)
	}
	defer tx.Rollback()
	var tenant string
	var oldBody, oldMetrics []byte
	err = tx.QueryRowContext(ctx, `SELECT tenant, body, metrics FROM models WHERE id = ?`, m.ModelId).Scan(&tenant, &oldBody, &oldMetrics)
	switch {
	case err == nil:
		if tenant != "" && tenant != m.Tenant {
			return api.Model{}, false, fmt.Errorf("register model %s: the id is taken: %w", m.ModelId, job.ErrConflict)
		}
		old, err := decodeModel(oldBody, oldMetrics)
		if err != nil {
			return api.Model{}, false, err
		}
		return old, false, nil
	case !isNoRows(err):
		return api.Model{}, false, fmt.Errorf("register model %s: %w", m.ModelId, err)
	}
	var metrics any // NULL when the model has none
	if st.Metrics != nil {
		metrics = []byte(st.Metrics)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO models (id, tenant, topic, version, metrics, body) VALUES (?, ?, ?, ?, ?, ?)`,
		st.ModelId, st.Tenant, st.Topic, st.ModelVersion, metrics, body)
	if isUnique(err) {
		return api.Model{}, false, fmt.Errorf("register model %s: topic %q version %d is taken: %w", m.ModelId, m.Topic, m.ModelVersion, job.ErrConflict)
	}
	if err != nil {
		return api.Model{}, false, fmt.Errorf("register model %s: %w", m.ModelId, err)
	}
	if err := tx.Commit(); err != nil {
		return api.Model{}, false, fmt.Errorf("register model %s: %w", m.ModelId, err)
	}
	return st.Normalized(), true, nil
}

// Get implements pipeline.Models.
func (s *Models) Get(ctx context.Context, tenant, modelID string) (api.Model, error) {
	var body, metrics []byte
	err := s.db.QueryRowContext(ctx, `SELECT body, metrics FROM models WHERE id = ? AND (tenant = ? OR tenant = '')`,
		modelID, tenant).Scan(&body, &metrics)
	if isNoRows(err) {
		return api.Model{}, fmt.Errorf("get model %s: %w", modelID, job.ErrNotFound)
	}
	if err != nil {
		return api.Model{}, fmt.Errorf("get model %s: %w", modelID, err)
	}
	return decodeModel(body, metrics)
}

// List implements pipeline.Models. Ids compare as bytes (SQLite's BINARY collation), as Go
// strings do.
func (s *Models) List(ctx context.Context, tenant, topic string) ([]api.Model, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body, metrics FROM models WHERE topic = ? AND tenant IN ('', ?)
		ORDER BY version, id`, topic, tenant)
	if err != nil {
		return nil, fmt.Errorf("list models of %s: %w", topic, err)
	}
	defer rows.Close()
	var out []api.Model
	for rows.Next() {
		var body, metrics []byte
		if err := rows.Scan(&body, &metrics); err != nil {
			return nil, fmt.Errorf("list models of %s: %w", topic, err)
		}
		m, err := decodeModel(body, metrics)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list models of %s: %w", topic, err)
	}
	return out, nil
}
