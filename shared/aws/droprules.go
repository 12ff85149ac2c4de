package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// Drop rules live in the jobs table under the tenant's own partition, beside the jobs' keys:
//
//	item       PK            SK             other attributes
//	drop rule  T#<tenant>    RULE#<name>    Name, Template (the template's JSON, as the API stored
//	                                        it), UpdatedAt (RFC 3339, UTC)
//
// No job key is "T#<tenant>" alone (jobs are T#<tenant>#J#<id>, tokens T#<tenant>#TOKEN#<tok>),
// so the partition holds only the tenant's rules: List is one Query of it, Get a GetItem. The
// items carry no GSI attributes, so they never appear in the jobs' indexes. Tenants and names are
// escaped as the jobs' keys are.
const skRule = "RULE#"

// DropRulesAPI is the part of the DynamoDB client the DropRules adapter calls.
type DropRulesAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DropRules is droprule.Store on the jobs table.
type DropRules struct {
	db    DropRulesAPI
	table string
}

var _ droprule.Store = (*DropRules)(nil)

// NewDropRules returns the drop rule store on table (the jobs table; see CreateTable).
func NewDropRules(client DropRulesAPI, table string) *DropRules {
	return &DropRules{db: client, table: table}
}

func ruleSK(name string) string { return skRule + esc(name) }

// Put implements droprule.Store.
func (s *DropRules) Put(ctx context.Context, r api.DropRule) error {
	if r.Tenant == "" || r.Name == "" {
		return fmt.Errorf("put drop rule: tenant and name are required: %w", job.ErrInvalid)
	}
	tmpl, err := json.Marshal(r.Template)
	if err != nil {
		return fmt.Errorf("encode drop rule %s: %w", r.Name, err)
	}
	item := key(tenantKey(r.Tenant), ruleSK(r.Name))
	item["Name"] = &types.AttributeValueMemberS{Value: r.Name}
	item["Location"] = &types.AttributeValueMemberS{Value: r.Location}
	item["Template"] = &types.AttributeValueMemberS{Value: string(tmpl)}
	item["UpdatedAt"] = &types.AttributeValueMemberS{Value: r.UpdatedAt.UTC().Format(time.RFC3339Nano)}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("put drop rule %s: %w", r.Name, err)
	}
	return nil
}

func decodeDropRule(tenant string, item map[string]types.AttributeValue) (api.DropRule, error) {
	str := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	r := api.DropRule{Tenant: tenant, Name: str("Name"), Location: str("Location")}
	if err := json.Unmarshal([]byte(str("Template")), &r.Template); err != nil {
		return api.DropRule{}, fmt.Errorf("decode drop rule %s: %w", r.Name, err)
	}
	t, err := time.Parse(time.RFC3339Nano, str("UpdatedAt"))
	if err != nil {
		return api.DropRule{}, fmt.Errorf("decode drop rule %s: %w", r.Name, err)
	}
	r.UpdatedAt = t.UTC()
	return r, nil
}

// Get implements droprule.Store.
func (s *DropRules) Get(ctx context.Context, tenant, name string) (api.DropRule, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(tenantKey(tenant), ruleSK(name)), ConsistentRead: sdkaws.Bool(true)})
	if err != nil {
		return api.DropRule{}, fmt.Errorf("get drop rule %s: %w", name, err)
	}
	if len(out.Item) == 0 {
		return api.DropRule{}, fmt.Errorf("drop rule %s: %w", name, job.ErrNotFound)
	}
	return decodeDropRule(tenant, out.Item)
}

// List implements droprule.Store: one Query of the tenant's partition (sort keys order the
// rules by escaped name, which is their name: names never hold '%' or '#').
func (s *DropRules) List(ctx context.Context, tenant string) ([]api.DropRule, error) {
	items, err := queryPartition(ctx, s.db, s.table, tenantKey(tenant), expression.Key(attrSK).BeginsWith(skRule))
	if err != nil {
		return nil, fmt.Errorf("list drop rules: %w", err)
	}
	var out []api.DropRule
	for _, item := range items {
		r, err := decodeDropRule(tenant, item)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Delete implements droprule.Store: a conditional delete, so an unknown name is ErrNotFound.
func (s *DropRules) Delete(ctx context.Context, tenant, name string) error {
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeExists(expression.Name(attrPK))).Build()
	if err != nil {
		return err
	}
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: key(tenantKey(tenant), ruleSK(name)),
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("drop rule %s: %w", name, job.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete drop rule %s: %w", name, err)
	}
	return nil
}
