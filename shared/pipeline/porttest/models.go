package porttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestModels runs the conformance suite for pipeline.Models. newStore is called once per
// subtest; the stores it returns may share a backend (every subtest uses its own tenants,
// topics and ids).
//
// Besides what the port's doc comments say, the suite pins down these choices, which every
// implementation must share:
//   - Every field of api.Model round-trips, the `json:"-"` ones (Tenant, Key) included.
//     Metrics come back byte for byte (not re-encoded or compacted); empty Metrics come back
//     empty. ModelReleaseDate comes back in UTC, equal to the one registered at least to the
//     millisecond. Training comes back with every count, or nil when registered nil (as every
//     model was before the registry kept it: such a record reads, and answers without it).
//   - Register of an id that another tenant's model holds is ErrConflict, and returns nothing
//     of that model (an id a tenant cannot Get is never revealed through Register).
//   - Register without ModelId or Topic, or with a negative ModelVersion, is ErrInvalid.
//   - (Tenant, Topic, ModelVersion) is unique per tenant: a shipped model (Tenant "") and a
//     tenant's model may have the same version of a topic, as may two tenants.
func TestModels(t *testing.T, newStore func(t *testing.T) pipeline.Models) {
	t.Run("RegisterGet", func(t *testing.T) { modelsRegisterGet(t, newStore(t)) })
	t.Run("IdempotentRegister", func(t *testing.T) { modelsIdempotent(t, newStore(t)) })
	t.Run("VersionConflict", func(t *testing.T) { modelsVersionConflict(t, newStore(t)) })
	t.Run("TenantIsolation", func(t *testing.T) { modelsTenants(t, newStore(t)) })
	t.Run("ListOrderAndVisibility", func(t *testing.T) { modelsList(t, newStore(t)) })
	t.Run("MetricsByteIdentical", func(t *testing.T) { modelsMetrics(t, newStore(t)) })
	t.Run("Training", func(t *testing.T) { modelsTraining(t, newStore(t)) })
	t.Run("TimeRoundTrip", func(t *testing.T) { modelsTime(t, newStore(t)) })
	t.Run("Invalid", func(t *testing.T) { modelsInvalid(t, newStore(t)) })
	t.Run("ConcurrentSameVersion", func(t *testing.T) { modelsConcurrentVersion(t, newStore(t)) })
	t.Run("ConcurrentSameID", func(t *testing.T) { modelsConcurrentID(t, newStore(t)) })
	t.Run("ConcurrentNextVersions", func(t *testing.T) { modelsConcurrentNext(t, newStore(t)) })
}

// newModel returns a tenant's model (a shipped one when tenant is "") with every field set.
func newModel(tenant, topic string, version int, id string) api.Model {
	m := api.Model{
		ModelId:          id,
		Topic:            topic,
		ModelVersion:     version,
		ModelReleaseDate: baseTime.Add(time.Duration(version) * time.Hour),
		ModelType:        "tfidf-logreg",
		TopicStandard:    "SOC",
		TopicVersion:     "2010",
		TrainedOn:        "coded answers of " + id + " (80/20 split)",
		Metrics:          json.RawMessage(`{"accuracy":0.91,"macroF1":0.83}`),
		Training: &api.ModelTraining{
			TrainRecords: 900 + version, HeldOutRecords: 100 + version, RefitRecords: 1000 + 2*version,
			Skipped: api.ModelTrainingSkipped{UnknownCode: 3 + version, Empty: 4 + version},
		},
		Shipped:   tenant == "",
		SizeBytes: int64(1000 + version),
		Tenant:    tenant,
		Key:       "models/" + topic + "/" + id + ".bin",
	}
	if tenant != "" {
		m.TrainingJobId = "job-" + id
	}
	return m
}

// sameModel reports how got differs from want ("" if it does not): every field equal, times
// by Equal, Metrics byte for byte (nil and empty alike).
func sameModel(got, want api.Model) string {
	var diffs []string
	if !got.ModelReleaseDate.Equal(want.ModelReleaseDate) {
		diffs = append(diffs, fmt.Sprintf("ModelReleaseDate %v, want %v", got.ModelReleaseDate, want.ModelReleaseDate))
	}
	if !bytes.Equal(got.Metrics, want.Metrics) {
		diffs = append(diffs, fmt.Sprintf("Metrics %q, want %q", got.Metrics, want.Metrics))
	}
	g, w := got, want
	g.ModelReleaseDate, w.ModelReleaseDate = time.Time{}, time.Time{}
	g.Metrics, w.Metrics = nil, nil
	if !reflect.DeepEqual(g, w) {
		diffs = append(diffs, fmt.Sprintf("%+v, want %+v", g, w))
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprint(diffs)
}

func mustRegister(t *testing.T, s pipeline.Models, m api.Model) api.Model {
	t.Helper()
	stored, created, err := s.Register(context.Background(), m)
	if err != nil {
		t.Fatalf("Register %s (tenant %q, topic %s, version %d): %v", m.ModelId, m.Tenant, m.Topic, m.ModelVersion, err)
	}
	if !created {
		t.Fatalf("Register %s: created = false for a new model", m.ModelId)
	}
	if d := sameModel(stored, m); d != "" {
		t.Fatalf("Register %s returned %s", m.ModelId, d)
	}
	return stored
}

func mustGetModel(t *testing.T, s pipeline.Models, tenant, id string) api.Model {
	t.Helper()
	m, err := s.Get(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("Get(%q, %s): %v", tenant, id, err)
	}
	return m
}

// modelsRegisterGet: a tenant's model and a shipped one round-trip with every field.
func modelsRegisterGet(t *testing.T, s pipeline.Models) {
	tenant, topic := "t-"+uniq(t), "occupation-"+uniq(t)
	own := newModel(tenant, topic, 2, "m-"+uniq(t))
	shipped := newModel("", topic, 1, "m-"+uniq(t))
	mustRegister(t, s, own)
	mustRegister(t, s, shipped)
	if d := sameModel(mustGetModel(t, s, tenant, own.ModelId), own); d != "" {
		t.Errorf("Get own model: %s", d)
	}
	if d := sameModel(mustGetModel(t, s, tenant, shipped.ModelId), shipped); d != "" {
		t.Errorf("Get shipped model: %s", d)
	}
	if d := sameModel(mustGetModel(t, s, "", shipped.ModelId), shipped); d != "" {
		t.Errorf("Get shipped model without a tenant: %s", d)
	}
	if _, err := s.Get(context.Background(), tenant, "m-"+uniq(t)); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get of an unknown id = %v, want ErrNotFound", err)
	}
}

// modelsIdempotent: registering an id again changes nothing and returns the stored model, even
// when the second record differs (another version, or a version someone else holds).
func modelsIdempotent(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	tenant, topic := "t-"+uniq(t), "occupation-"+uniq(t)
	m := newModel(tenant, topic, 1, "m-"+uniq(t))
	mustRegister(t, s, m)
	again := m
	again.TrainedOn = "something else"
	again.Metrics = json.RawMessage(`{"accuracy":0.1}`)
	again.Training = &api.ModelTraining{TrainRecords: 1}
	again.ModelVersion = 7
	stored, created, err := s.Register(ctx, again)
	if err != nil || created {
		t.Fatalf("Register of an existing id = created %v, %v; want the stored model, created=false", created, err)
	}
	if d := sameModel(stored, m); d != "" {
		t.Errorf("Register of an existing id returned %s", d)
	}
	if d := sameModel(mustGetModel(t, s, tenant, m.ModelId), m); d != "" {
		t.Errorf("after re-registering: %s", d)
	}
	// Version 7 was not taken by the ignored registration.
	mustRegister(t, s, newModel(tenant, topic, 7, "m-"+uniq(t)))

	// A shipped model registered at every start.
	shipped := newModel("", topic, 1, "m-"+uniq(t))
	mustRegister(t, s, shipped)
	for i := 0; i < 2; i++ {
		stored, created, err := s.Register(ctx, shipped)
		if err != nil || created {
			t.Fatalf("Register shipped again = created %v, %v", created, err)
		}
		if d := sameModel(stored, shipped); d != "" {
			t.Errorf("Register shipped again returned %s", d)
		}
	}
	if got, err := s.List(ctx, tenant, topic); err != nil || len(got) != 3 {
		t.Errorf("List = %d models, %v; want 3", len(got), err)
	}
}

// modelsVersionConflict: (tenant, topic, version) is held by one model; other tenants, the
// shipped scope, other topics and other versions are free.
func modelsVersionConflict(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	tenant, other, topic := "t-"+uniq(t), "t-"+uniq(t), "occupation-"+uniq(t)
	first := newModel(tenant, topic, 3, "m-"+uniq(t))
	mustRegister(t, s, first)
	dup := newModel(tenant, topic, 3, "m-"+uniq(t))
	if _, created, err := s.Register(ctx, dup); !errors.Is(err, job.ErrConflict) || created {
		t.Fatalf("Register of a taken version = created %v, %v; want ErrConflict", created, err)
	}
	if _, err := s.Get(ctx, tenant, dup.ModelId); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("the refused model: Get = %v, want ErrNotFound", err)
	}
	if got, err := s.List(ctx, tenant, topic); err != nil || len(got) != 1 || got[0].ModelId != first.ModelId {
		t.Errorf("List after the refused registration = %v, %v; want only %s", ids(got), err, first.ModelId)
	}
	// The caller picks the next version and retries, with the same id.
	dup.ModelVersion = 4
	mustRegister(t, s, dup)
	mustRegister(t, s, newModel(other, topic, 3, "m-"+uniq(t)))
	mustRegister(t, s, newModel("", topic, 3, "m-"+uniq(t)))
	mustRegister(t, s, newModel(tenant, "other-"+uniq(t), 3, "m-"+uniq(t)))
	shippedDup := newModel("", topic, 3, "m-"+uniq(t))
	if _, _, err := s.Register(ctx, shippedDup); !errors.Is(err, job.ErrConflict) {
		t.Errorf("Register of a taken shipped version = %v, want ErrConflict", err)
	}
}

// modelsTenants: another tenant's model is not found (by Get) and not revealed (by Register).
func modelsTenants(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	a, b, topic := "t-"+uniq(t), "t-"+uniq(t), "occupation-"+uniq(t)
	ma := newModel(a, topic, 1, "m-"+uniq(t))
	mustRegister(t, s, ma)
	if _, err := s.Get(ctx, b, ma.ModelId); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get of another tenant's model = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "", ma.ModelId); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("Get of a tenant's model without a tenant = %v, want ErrNotFound", err)
	}
	steal := newModel(b, topic, 1, ma.ModelId)
	stored, created, err := s.Register(ctx, steal)
	if !errors.Is(err, job.ErrConflict) || created {
		t.Errorf("Register of another tenant's id = created %v, %v; want ErrConflict", created, err)
	}
	if stored.Tenant == a || stored.Key == ma.Key || stored.TrainedOn == ma.TrainedOn {
		t.Errorf("Register of another tenant's id revealed it: %+v", stored)
	}
	asShipped := newModel("", topic, 1, ma.ModelId)
	if _, created, err := s.Register(ctx, asShipped); !errors.Is(err, job.ErrConflict) || created {
		t.Errorf("Register of a tenant's id as shipped = created %v, %v; want ErrConflict", created, err)
	}
	if d := sameModel(mustGetModel(t, s, a, ma.ModelId), ma); d != "" {
		t.Errorf("the owner's model after the attempts: %s", d)
	}
}

func ids(ms []api.Model) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ModelId
	}
	return out
}

// modelsList: shipped models of the topic plus the tenant's own, by version then id; never
// another tenant's, never another topic's.
func modelsList(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	a, b, topic, otherTopic := "t-"+uniq(t), "t-"+uniq(t), "occupation-"+uniq(t), "industry-"+uniq(t)
	p := "m-" + uniq(t) + "-"
	// Registered out of order; ids chosen so that id order and registration order differ.
	shipped1 := newModel("", topic, 1, p+"s1")
	shipped3 := newModel("", topic, 3, p+"z3")
	a2 := newModel(a, topic, 2, p+"a2")
	a3 := newModel(a, topic, 3, p+"b3") // same version as shipped3: ordered by id
	a10 := newModel(a, topic, 10, p+"a10")
	b2 := newModel(b, topic, 2, p+"c2")
	aOther := newModel(a, otherTopic, 1, p+"o1")
	shippedOther := newModel("", otherTopic, 2, p+"o2")
	for _, m := range []api.Model{a10, shipped3, b2, a3, aOther, shipped1, a2, shippedOther} {
		mustRegister(t, s, m)
	}
	check := func(tenant, topic string, want ...api.Model) {
		t.Helper()
		got, err := s.List(ctx, tenant, topic)
		if err != nil {
			t.Fatalf("List(%q, %s): %v", tenant, topic, err)
		}
		if !reflect.DeepEqual(ids(got), ids(want)) {
			t.Fatalf("List(%q, %s) = %v, want %v", tenant, topic, ids(got), ids(want))
		}
		for i := range got {
			if d := sameModel(got[i], want[i]); d != "" {
				t.Errorf("List(%q, %s)[%d]: %s", tenant, topic, i, d)
			}
		}
	}
	check(a, topic, shipped1, a2, a3, shipped3, a10)
	check(b, topic, shipped1, b2, shipped3)
	check("t-"+uniq(t), topic, shipped1, shipped3)
	check("", topic, shipped1, shipped3)
	check(a, otherTopic, aOther, shippedOther)
	check(b, otherTopic, shippedOther)
	if got, err := s.List(ctx, a, "none-"+uniq(t)); err != nil || len(got) != 0 {
		t.Errorf("List of a topic without models = %v, %v; want none", ids(got), err)
	}
}

// modelsMetrics: Metrics come back as registered, byte for byte, from Register, Get and List.
func modelsMetrics(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	tenant, topic := "t-"+uniq(t), "occupation-"+uniq(t)
	cases := []json.RawMessage{
		// Whitespace, key order, escapes and HTML characters that a re-encoding would change.
		json.RawMessage("{ \"macroF1\" : 0.8300,\n  \"accuracy\":9.1e-1,\t\"labels\": [\"<a&b>\", \"\\u00e9\", \"é\"],\"z\":{}, \"a\":null }"),
		json.RawMessage(`[1,2,3]`),
		json.RawMessage(`0.5`),
		nil,
	}
	for i, metrics := range cases {
		m := newModel(tenant, topic, i+1, "m-"+uniq(t))
		m.Metrics = metrics
		stored := mustRegister(t, s, m)
		if !bytes.Equal(stored.Metrics, metrics) {
			t.Errorf("Register returned Metrics %q, want %q", stored.Metrics, metrics)
		}
		got := mustGetModel(t, s, tenant, m.ModelId)
		if !bytes.Equal(got.Metrics, metrics) {
			t.Errorf("Get: Metrics %q, want %q", got.Metrics, metrics)
		}
	}
	got, err := s.List(ctx, tenant, topic)
	if err != nil || len(got) != len(cases) {
		t.Fatalf("List = %d models, %v", len(got), err)
	}
	for i, m := range got {
		if !bytes.Equal(m.Metrics, cases[i]) {
			t.Errorf("List[%d]: Metrics %q, want %q", i, m.Metrics, cases[i])
		}
	}
}

// modelsTraining: Training comes back with every count from Register, Get and List, and is not
// shared with the caller's; a model registered without it (as every model was before the
// registry kept it, and so stored as those were) reads back without it, and its description has
// no "training"; registering its id again with Training returns the stored model unchanged.
func modelsTraining(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	tenant, topic := "t-"+uniq(t), "occupation-"+uniq(t)
	with := newModel(tenant, topic, 1, "m-"+uniq(t))
	with.Training = &api.ModelTraining{TrainRecords: 52311, HeldOutRecords: 5813, RefitRecords: 58124,
		Skipped: api.ModelTrainingSkipped{UnknownCode: 17, Empty: 2}}
	want := *with.Training
	stored := mustRegister(t, s, with)
	with.Training.TrainRecords = 0 // the caller's, changed after registering
	if stored.Training == nil || *stored.Training != want {
		t.Errorf("Register returned Training %+v, want %+v", stored.Training, want)
	}
	old := newModel(tenant, topic, 2, "m-"+uniq(t))
	old.Training = nil
	mustRegister(t, s, old)
	listed, err := s.List(ctx, tenant, topic)
	if err != nil || len(listed) != 2 {
		t.Fatalf("List = %d models, %v", len(listed), err)
	}
	for what, got := range map[string]api.Model{"Get": mustGetModel(t, s, tenant, stored.ModelId), "List": listed[0]} {
		if got.Training == nil || *got.Training != want {
			t.Errorf("%s: Training %+v, want %+v", what, got.Training, want)
		}
	}
	for what, got := range map[string]api.Model{"Get": mustGetModel(t, s, tenant, old.ModelId), "List": listed[1]} {
		if d := sameModel(got, old); d != "" {
			t.Errorf("%s of a model without Training: %s", what, d)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(`"training"`)) {
			t.Errorf("%s of a model without Training: its description has one: %s", what, b)
		}
	}
	again := old
	again.Training = &want
	got, created, err := s.Register(ctx, again)
	if err != nil || created {
		t.Fatalf("Register of the id again, with Training = created %v, %v; want the stored model", created, err)
	}
	if d := sameModel(got, old); d != "" {
		t.Errorf("Register of the id again, with Training, returned %s", d)
	}
}

// modelsTime: a release date in another zone, with sub-millisecond digits, comes back in UTC
// and equal to the millisecond.
func modelsTime(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	tenant, topic := "t-"+uniq(t), "occupation-"+uniq(t)
	zone := time.FixedZone("UTC-7", -7*3600)
	release := time.Date(2025, 11, 3, 22, 45, 7, 123456789, zone)
	m := newModel(tenant, topic, 1, "m-"+uniq(t))
	m.ModelReleaseDate = release
	stored, created, err := s.Register(ctx, m)
	if err != nil || !created {
		t.Fatalf("Register = created %v, %v", created, err)
	}
	zero := newModel(tenant, topic, 2, "m-"+uniq(t))
	zero.ModelReleaseDate = time.Time{}
	if _, _, err := s.Register(ctx, zero); err != nil {
		t.Fatalf("Register with a zero release date: %v", err)
	}
	listed, err := s.List(ctx, tenant, topic)
	if err != nil || len(listed) != 2 {
		t.Fatalf("List = %d models, %v", len(listed), err)
	}
	for what, got := range map[string]time.Time{
		"Register": stored.ModelReleaseDate,
		"Get":      mustGetModel(t, s, tenant, m.ModelId).ModelReleaseDate,
		"List":     listed[0].ModelReleaseDate,
	} {
		if got.Location() != time.UTC {
			t.Errorf("%s: release date %v is not in UTC", what, got)
		}
		if d := got.Sub(release); d < 0 || d >= time.Millisecond {
			t.Errorf("%s: release date %v, want %v (to the millisecond)", what, got, release)
		}
	}
	if got := mustGetModel(t, s, tenant, zero.ModelId).ModelReleaseDate; !got.IsZero() {
		t.Errorf("zero release date came back as %v", got)
	}
}

// modelsInvalid: a model without id or topic, or with a negative version, is refused.
func modelsInvalid(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	tenant, topic := "t-"+uniq(t), "occupation-"+uniq(t)
	noID := newModel(tenant, topic, 1, "")
	noTopic := newModel(tenant, "", 1, "m-"+uniq(t))
	negative := newModel(tenant, topic, -1, "m-"+uniq(t))
	for what, m := range map[string]api.Model{"no id": noID, "no topic": noTopic, "negative version": negative} {
		if _, created, err := s.Register(ctx, m); !errors.Is(err, job.ErrInvalid) || created {
			t.Errorf("Register with %s = created %v, %v; want ErrInvalid", what, created, err)
		}
	}
	if got, err := s.List(ctx, tenant, topic); err != nil || len(got) != 0 {
		t.Errorf("List after refused registrations = %v, %v; want none", ids(got), err)
	}
}

// modelsConcurrentVersion: models with distinct ids registered at once for the same (tenant,
// topic, version): exactly one wins, the others are ErrConflict.
func modelsConcurrentVersion(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	tenant, topic := "t-"+uniq(t), "occupation-"+uniq(t)
	const n = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	type result struct {
		m       api.Model
		created bool
		err     error
	}
	results := make([]result, n)
	for i := 0; i < n; i++ {
		m := newModel(tenant, topic, 5, fmt.Sprintf("m-%s-%d", uniq(t), i))
		if i%2 == 1 {
			m = newModel("", topic, 5, m.ModelId) // a race among shipped models too
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, created, err := s.Register(ctx, m)
			results[i] = result{m, created, err}
		}()
	}
	close(start)
	wg.Wait()
	winners := map[string]string{} // scope → winning id
	for _, r := range results {
		scope := "tenant"
		if r.m.Tenant == "" {
			scope = "shipped"
		}
		switch {
		case r.err == nil && r.created:
			if w, ok := winners[scope]; ok {
				t.Errorf("%s: both %s and %s registered version 5", scope, w, r.m.ModelId)
			}
			winners[scope] = r.m.ModelId
		case errors.Is(r.err, job.ErrConflict):
		default:
			t.Errorf("Register %s = created %v, %v; want created or ErrConflict", r.m.ModelId, r.created, r.err)
		}
	}
	if len(winners) != 2 {
		t.Fatalf("winners %v, want one per scope", winners)
	}
	got, err := s.List(ctx, tenant, topic)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{winners["shipped"], winners["tenant"]}
	if want[1] < want[0] {
		want[0], want[1] = want[1], want[0]
	}
	if !reflect.DeepEqual(ids(got), want) {
		t.Errorf("List = %v, want %v", ids(got), want)
	}
}

// modelsConcurrentID: the same model registered at once by several callers (every process
// registering the shipped models at start): one creates it, the others get it back.
func modelsConcurrentID(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	topic := "occupation-" + uniq(t)
	m := newModel("", topic, 1, "m-"+uniq(t))
	const n = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	created := make([]bool, n)
	errs := make([]error, n)
	stored := make([]api.Model, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stored[i], created[i], errs[i] = s.Register(ctx, m)
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Errorf("Register %d: %v", i, errs[i])
			continue
		}
		if created[i] {
			wins++
		}
		if d := sameModel(stored[i], m); d != "" {
			t.Errorf("Register %d returned %s", i, d)
		}
	}
	if wins != 1 {
		t.Errorf("%d registrations created the model, want exactly 1", wins)
	}
	if got, err := s.List(ctx, "t-"+uniq(t), topic); err != nil || len(got) != 1 {
		t.Errorf("List = %v, %v; want the one model", ids(got), err)
	}
}

// modelsConcurrentNext: many models of one tenant and topic registered at once (training jobs
// finishing together), each caller doing what the port asks of it: take the version after the
// highest it lists, and on ErrConflict list again and take the next. Every one registers; the
// versions are unique and without gaps; at every moment a List shows whole models in version
// order (never a version without its model, nor a model twice), and its last is the highest;
// the shipped scope and another tenant are untouched.
func modelsConcurrentNext(t *testing.T, s pipeline.Models) {
	ctx := context.Background()
	tenant, other, topic := "t-"+uniq(t), "t-"+uniq(t), "occupation-"+uniq(t)
	shipped := newModel("", topic, 1, "m-"+uniq(t)+"-shipped")
	mustRegister(t, s, shipped)
	theirs := newModel(other, topic, 1, "m-"+uniq(t)+"-theirs")
	mustRegister(t, s, theirs)
	const n = 24
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]api.Model, n)
	errs := make([]error, n)
	listed := make(chan []api.Model, 4*n)
	for i := 0; i < n; i++ {
		m := newModel(tenant, topic, 0, fmt.Sprintf("m-%s-%02d", uniq(t), i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for try := 0; try <= n; try++ { // at most n-1 others can take a version first
				all, err := s.List(ctx, tenant, topic)
				if err != nil {
					errs[i] = err
					return
				}
				select {
				case listed <- all:
				default:
				}
				m.ModelVersion = 1
				for _, o := range all {
					if o.Tenant == tenant {
						m.ModelVersion = max(m.ModelVersion, o.ModelVersion+1)
					}
				}
				stored, created, err := s.Register(ctx, m)
				if errors.Is(err, job.ErrConflict) {
					continue
				}
				if err == nil && !created {
					err = fmt.Errorf("created = false for a new model")
				}
				got[i], errs[i] = stored, err
				return
			}
			errs[i] = fmt.Errorf("no free version after %d tries", n+1)
		}()
	}
	close(start)
	wg.Wait()
	close(listed)
	versions := map[int]string{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
		if w, ok := versions[got[i].ModelVersion]; ok {
			t.Fatalf("version %d registered twice: %s and %s", got[i].ModelVersion, w, got[i].ModelId)
		}
		versions[got[i].ModelVersion] = got[i].ModelId
	}
	for v := 1; v <= n; v++ {
		if versions[v] == "" {
			t.Errorf("no model has version %d of %d: versions %v", v, n, versions)
		}
	}
	// Every List taken meanwhile: the shipped model once, and the tenant's in version order,
	// each once and whole (its id is the one that registered that version).
	for all := range listed {
		var shippedSeen int
		prev := 0
		for _, m := range all {
			if m.ModelId == shipped.ModelId {
				shippedSeen++
				continue
			}
			if m.Tenant != tenant || versions[m.ModelVersion] != m.ModelId || m.Key == "" || m.Training == nil {
				t.Fatalf("a List during the registrations showed %+v", m)
			}
			if m.ModelVersion <= prev {
				t.Fatalf("a List during the registrations is not in version order: %v", ids(all))
			}
			prev = m.ModelVersion
		}
		if shippedSeen != 1 {
			t.Fatalf("a List during the registrations = %v; want the shipped model once", ids(all))
		}
	}
	final, err := s.List(ctx, tenant, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(final) != n+1 || final[n].ModelVersion != n || final[n].ModelId != versions[n] {
		t.Fatalf("List after the registrations = %v; want the shipped model and versions 1 to %d, the highest last", ids(final), n)
	}
	if mine, err := s.List(ctx, other, topic); err != nil || len(mine) != 2 || !slices.ContainsFunc(mine, func(m api.Model) bool { return m.ModelId == theirs.ModelId }) {
		t.Errorf("the other tenant's List = %v, %v; want the shipped model and its own", ids(mine), err)
	}
}
