package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// The model registry lives in the jobs table (see CreateTable), as two items per model, both
// holding the whole model (every api.Model field under its Go name, `json:"-"` ones included):
//
//	item      PK                          SK
//	by id     MODEL#<id>                  MODEL
//	by topic  MODELS#SHARED#<topic>       V#<ModelVersion, zero-padded to 19 digits>
//	          MODELS#T#<tenant>#<topic>   (the same, for a tenant's model)
//
// The by-topic item is also the uniqueness item: its key is (tenant, topic, version), so the
// transaction that puts both items only if absent registers at most one model per version.
// List is one Query of the shared partition and one of the tenant's (versions sort as text
// because they are zero-padded); Get is one GetItem by id, then a tenant check. Model items
// carry no GSI attributes, so they never appear in the jobs' indexes, and their PKs begin with
// "MODEL", never with the jobs' "T#". Tenants, topics and ids are escaped as the jobs' are.
//
// Metrics are a binary attribute holding the caller's bytes as they are (absent when empty);
// the release date is RFC 3339 text in UTC, to the nanosecond. Training is a map attribute
// (its fields by Go name), absent when nil, as on the items registered before it was kept.
const (
	skModel          = "MODEL"
	attrModelMetrics = "Metrics"
	modelSharedScope = "SHARED"
)

// Models is pipeline.Models on the jobs table.
type Models struct {
	db    DynamoDBAPI
	table string
	tx    *Jobs // only for its transact (retries of TransactionConflict cancellations)
}

var _ pipeline.Models = (*Models)(nil)

// NewModels returns the model registry on table (the jobs table; see CreateTable).
func NewModels(client DynamoDBAPI, table string) *Models {
	return &Models{db: client, table: table, tx: NewJobs(client, table)}
}

func modelPK(id string) string { return "MODEL#" + esc(id) }

func modelsPK(tenant, topic string) string {
	if tenant == "" {
		return "MODELS#" + modelSharedScope + "#" + esc(topic)
	}
	return "MODELS#T#" + esc(tenant) + "#" + esc(topic)
}

func modelVersionSK(v int) string { return fmt.Sprintf("V#%019d", v) }

// encodeModel renders m (normalized) as its item with the given keys.
func encodeModel(m api.Model, pk, sk string) (map[string]types.AttributeValue, error) {
	metrics := m.Metrics
	m.Metrics = nil
	item, err := attributevalue.MarshalMap(m)
	if err != nil {
		return nil, fmt.Errorf("encode model %s: %w", m.ModelId, err)
	}
	delete(item, attrModelMetrics)
	if len(metrics) > 0 {
		item[attrModelMetrics] = &types.AttributeValueMemberB{Value: metrics}
	}
	item[attrPK] = &types.AttributeValueMemberS{Value: pk}
	item[attrSK] = &types.AttributeValueMemberS{Value: sk}
	return item, nil
}

func decodeModel(item map[string]types.AttributeValue) (api.Model, error) {
	rest := make(map[string]types.AttributeValue, len(item))
	for k, v := range item {
		if k != attrModelMetrics && k != attrPK && k != attrSK {
			rest[k] = v
		}
	}
	var m api.Model
	if err := attributevalue.UnmarshalMap(rest, &m); err != nil {
		return api.Model{}, fmt.Errorf("decode model: %w", err)
	}
	switch b := item[attrModelMetrics].(type) {
	case nil:
	case *types.AttributeValueMemberB:
		if len(b.Value) > 0 {
			m.Metrics = append(json.RawMessage(nil), b.Value...)
		}
	default:
		return api.Model{}, fmt.Errorf("decode model %s: Metrics is a %T, not binary", m.ModelId, b)
	}
	m.ModelReleaseDate = m.ModelReleaseDate.UTC()
	return m, nil
}

// Register implements pipeline.Models with one TransactWriteItems: the by-id item and the
// by-topic item, each only if absent. If the id is taken the stored model is returned
// (created=false); if only the version is taken, ErrConflict. An id held by a model that
// m.Tenant may not see (another tenant's) is ErrConflict too, and reveals nothing of it.
func (s *Models) Register(ctx context.Context, m api.Model) (api.Model, bool, error) {
	if m.ModelId == "" || m.Topic == "" {
		return api.Model{}, false, fmt.Errorf("register model: id and topic are required: %w", job.ErrInvalid)
	}
	if m.ModelVersion < 0 {
		return api.Model{}, false, fmt.Errorf("register model %s: negative version %d: %w", m.ModelId, m.ModelVersion, job.ErrInvalid)
	}
	st := m.Normalized()
	byID, err := encodeModel(st, modelPK(st.ModelId), skModel)
	if err != nil {
		return api.Model{}, false, err
	}
	byTopic, err := encodeModel(st, modelsPK(st.Tenant, st.Topic), modelVersionSK(st.ModelVersion))
	if err != nil {
		return api.Model{}, false, err
	}
	absent, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(attrPK))).Build()
	if err != nil {
		return api.Model{}, false, err
	}
	put := func(item map[string]types.AttributeValue) types.TransactWriteItem {
		return types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item,
			ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names(),
		}}
	}
	reasons, err := s.tx.transact(ctx, []types.TransactWriteItem{put(byID), put(byTopic)})
	if err != nil {
		return api.Model{}, false, fmt.Errorf("register model %s: %w", m.ModelId, err)
	}
	if reasons == nil {
		return st.Normalized(), true, nil
	}
	switch {
	case reasons[0] == reasonConditionalCheckFailed:
		item, err := s.tx.getItem(ctx, modelPK(m.ModelId), skModel)
		if err != nil {
			// The id was taken when the transaction ran; models are never deleted.
			return api.Model{}, false, fmt.Errorf("register model %s: read the stored model: %w", m.ModelId, err)
		}
		old, err := decodeModel(item)
		if err != nil {
			return api.Model{}, false, err
		}
		if old.Tenant != "" && old.Tenant != m.Tenant {
			return api.Model{}, false, fmt.Errorf("register model %s: the id is taken: %w", m.ModelId, job.ErrConflict)
		}
		return old, false, nil
	case len(reasons) > 1 && reasons[1] == reasonConditionalCheckFailed:
		return api.Model{}, false, fmt.Errorf("register model %s: topic %q version %d is taken: %w", m.ModelId, m.Topic, m.ModelVersion, job.ErrConflict)
	}
	return api.Model{}, false, fmt.Errorf("register model %s: transaction cancelled: %v", m.ModelId, reasons)
}

// Get implements pipeline.Models with a strongly consistent GetItem of the by-id item.
func (s *Models) Get(ctx context.Context, tenant, modelID string) (api.Model, error) {
	item, err := s.tx.getItem(ctx, modelPK(modelID), skModel)
	if err != nil {
		return api.Model{}, fmt.Errorf("get model %s: %w", modelID, err)
	}
	m, err := decodeModel(item)
	if err != nil {
		return api.Model{}, err
	}
	if m.Tenant != "" && m.Tenant != tenant {
		return api.Model{}, fmt.Errorf("get model %s: %w", modelID, job.ErrNotFound)
	}
	return m, nil
}

// List implements pipeline.Models: a paginated, consistent Query of the shared partition of
// topic and (for a non-empty tenant) one of the tenant's, merged by ModelVersion, then ModelId.
func (s *Models) List(ctx context.Context, tenant, topic string) ([]api.Model, error) {
	pks := []string{modelsPK("", topic)}
	if tenant != "" {
		pks = append(pks, modelsPK(tenant, topic))
	}
	var out []api.Model
	for _, pk := range pks {
		ex, err := expression.NewBuilder().WithKeyCondition(expression.Key(attrPK).Equal(expression.Value(pk))).Build()
		if err != nil {
			return nil, err
		}
		p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName:                 &s.table,
			KeyConditionExpression:    ex.KeyCondition(),
			ExpressionAttributeNames:  ex.Names(),
			ExpressionAttributeValues: ex.Values(),
			ConsistentRead:            sdkaws.Bool(true),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list models of %s: %w", topic, err)
			}
			for _, item := range page.Items {
				m, err := decodeModel(item)
				if err != nil {
					return nil, err
				}
				out = append(out, m)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ModelVersion != out[j].ModelVersion {
			return out[i].ModelVersion < out[j].ModelVersion
		}
		return out[i].ModelId < out[j].ModelId
	})
	return out, nil
}
