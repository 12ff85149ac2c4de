package local

import (
	"bytes"
	"testing"

	"github.com/ream-dev/ream/shared/api"
)

// A model body stored before the registry kept Training (no "training") reads, without it; a
// model registered without Training is stored as those were, and one with it keeps every count.
func TestModelBodyTraining(t *testing.T) {
	old := []byte(`{"model":{"modelId":"m-old","topic":"occupation","modelVersion":2,` +
		`"modelReleaseDate":"2026-11-02T10:00:00Z","modelType":"hashed-linear","topicStandard":"SOC",` +
		`"topicVersion":"2010","trainedOn":"the uploaded file (10 bytes), training job j","shipped":false,` +
		`"trainingJobId":"j","sizeBytes":1234},"hidden":{"Key":"models/acme/occupation/m-old.bin","Tenant":"acme"}}`)
	m, err := decodeModel(old, []byte(`{"top1":0.8}`))
	if err != nil {
		t.Fatalf("decode a body without training: %v", err)
	}
	if m.ModelId != "m-old" || m.Tenant != "acme" || m.SizeBytes != 1234 || m.Training != nil {
		t.Fatalf("decoded %+v, want m-old of acme, 1234 bytes, without Training", m)
	}

	body, err := encodeModel(m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte(`"training"`)) {
		t.Errorf("a model without Training is stored with one: %s", body)
	}

	m.Training = &api.ModelTraining{TrainRecords: 9, HeldOutRecords: 1, RefitRecords: 10,
		Skipped: api.ModelTrainingSkipped{UnknownCode: 2, Empty: 3}}
	body, err = encodeModel(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeModel(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Training == nil || *got.Training != *m.Training {
		t.Errorf("Training came back %+v, want %+v", got.Training, m.Training)
	}
}
