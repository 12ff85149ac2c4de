package aws

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ream-dev/ream/shared/api"
)

// A model item written before the registry kept Training (no such attribute) reads, without
// it; a model registered without Training is written as those were, and one with it keeps
// every count.
func TestModelItemTraining(t *testing.T) {
	old := map[string]types.AttributeValue{
		attrPK:             &types.AttributeValueMemberS{Value: modelPK("m-old")},
		attrSK:             &types.AttributeValueMemberS{Value: skModel},
		"ModelId":          &types.AttributeValueMemberS{Value: "m-old"},
		"Topic":            &types.AttributeValueMemberS{Value: "occupation"},
		"ModelVersion":     &types.AttributeValueMemberN{Value: "2"},
		"ModelReleaseDate": &types.AttributeValueMemberS{Value: "2026-11-02T10:00:00Z"},
		"ModelType":        &types.AttributeValueMemberS{Value: "hashed-linear"},
		"TrainedOn":        &types.AttributeValueMemberS{Value: "the uploaded file (10 bytes), training job j"},
		"Shipped":          &types.AttributeValueMemberBOOL{Value: false},
		"TrainingJobId":    &types.AttributeValueMemberS{Value: "j"},
		"SizeBytes":        &types.AttributeValueMemberN{Value: "1234"},
		"Tenant":           &types.AttributeValueMemberS{Value: "acme"},
		"Key":              &types.AttributeValueMemberS{Value: "models/acme/occupation/m-old.bin"},
		attrModelMetrics:   &types.AttributeValueMemberB{Value: []byte(`{"top1":0.8}`)},
	}
	m, err := decodeModel(old)
	if err != nil {
		t.Fatalf("decode an item without Training: %v", err)
	}
	if m.ModelId != "m-old" || m.Tenant != "acme" || m.SizeBytes != 1234 || m.Training != nil {
		t.Fatalf("decoded %+v, want m-old of acme, 1234 bytes, without Training", m)
	}

	item, err := encodeModel(m, modelPK(m.ModelId), skModel)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := item["Training"]; ok {
		t.Errorf("a model without Training is written with a Training attribute: %v", item["Training"])
	}

	m.Training = &api.ModelTraining{TrainRecords: 9, HeldOutRecords: 1, RefitRecords: 10,
		Skipped: api.ModelTrainingSkipped{UnknownCode: 2, Empty: 3}}
	item, err = encodeModel(m, modelPK(m.ModelId), skModel)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeModel(item)
	if err != nil {
		t.Fatal(err)
	}
	if got.Training == nil || *got.Training != *m.Training {
		t.Errorf("Training came back %+v, want %+v", got.Training, m.Training)
	}
}
