package dynamodb

import (
	"context"
	"errors"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/partiql"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// pqlOp is a write statement planned as the single-item operation it
// stands for: a put, update or delete, or a transaction's condition check,
// with generated expressions.
type pqlOp struct {
	kind         string // "put", "update", "delete" or "check"
	table        string
	item         attr.Item // put
	key          attr.Item // update, delete, check
	update, cond *string
	names        map[string]string
	values       map[string]attr.Value
	returnValues *string // update, delete: the RETURNING clause's
}

// errDuplicate is what an INSERT of a key that exists answers.
func errDuplicate() *awserr.Error {
	return awserr.New(400, nsDynamoDB+"DuplicateItemException", msgDuplicateItem)
}

// pqlPlanWrite plans an INSERT, UPDATE or DELETE (or a transaction's EXISTS)
// against its table.
func (s *Service) pqlPlanWrite(ctx context.Context, st partiql.Statement, params []attr.Value) (*pqlOp, error) {
	switch st := st.(type) {
	case *partiql.Insert:
		return s.pqlPlanInsert(ctx, st, params)
	case *partiql.Update:
		op, err := s.pqlPlanKeyed(ctx, "update", st.Table, st.Where, params, st.Returning, func(r *partiql.Renderer) (string, error) {
			return r.Update(st.Actions)
		})
		return op, err
	case *partiql.Delete:
		return s.pqlPlanKeyed(ctx, "delete", st.Table, st.Where, params, st.Returning, nil)
	case *partiql.Exists:
		return s.pqlPlanKeyed(ctx, "check", st.Select.Table, st.Select.Where, params, partiql.ReturnNone, nil)
	}
	return nil, errors.New("dynamodb: not a write statement")
}

func (s *Service) pqlPlanInsert(ctx context.Context, st *partiql.Insert, params []attr.Value) (*pqlOp, error) {
	item, err := partiql.Item(st.Item, params)
	if err != nil {
		return nil, err
	}
	t, err := s.pqlTable(ctx, st.Table)
	if err != nil {
		return nil, err
	}
	ks := t.pqlKeys()
	for _, k := range []struct{ name, typ string }{{ks.hash, ks.hashType}, {ks.rng, ks.rngType}} {
		if k.name == "" {
			continue
		}
		v, ok := item[k.name]
		if !ok {
			return nil, errValidation(msgKeyAbsent, k.name)
		}
		if err := checkKeyValue(k.name, k.typ, v); err != nil {
			return nil, err
		}
	}
	r := &partiql.Renderer{}
	cond := "attribute_not_exists(" + r.Name(ks.hash) + ")"
	return &pqlOp{kind: "put", table: t.rec.Name, item: item, cond: &cond, names: r.Names}, nil
}

// pqlPlanKeyed plans a statement on one item named by its full key in the
// WHERE: the other conditions become the ConditionExpression, with the
// item's existence as the statement implies it (an UPDATE or EXISTS needs
// the item; a DELETE of a missing item does nothing).
func (s *Service) pqlPlanKeyed(ctx context.Context, kind, table string, where partiql.Expr, params []attr.Value,
	ret partiql.Returning, update func(*partiql.Renderer) (string, error)) (*pqlOp, error) {
	if where == nil {
		return nil, errValidation(msgIncompleteKey)
	}
	t, err := s.pqlTable(ctx, table)
	if err != nil {
		return nil, err
	}
	ks := t.pqlKeys()
	key, rest, err := whereKey(where, ks, params)
	if err != nil {
		return nil, err
	}
	op := &pqlOp{kind: kind, table: t.rec.Name, key: key}
	r := &partiql.Renderer{Params: params}
	if update != nil {
		u, err := update(r)
		if err != nil {
			return nil, err
		}
		op.update = &u
	}
	var restCond string
	if len(rest) > 0 {
		if restCond, err = r.Condition(andAll(rest)); err != nil {
			return nil, err
		}
	}
	var cond string
	switch {
	case kind == "check" && restCond == "":
		return nil, errValidation(msgTxExists)
	case kind == "check":
		cond = restCond
	case kind == "update" && restCond == "":
		cond = "attribute_exists(" + r.Name(ks.hash) + ")"
	case kind == "update":
		cond = "attribute_exists(" + r.Name(ks.hash) + ") AND (" + restCond + ")"
	case restCond != "":
		cond = "attribute_not_exists(" + r.Name(ks.hash) + ") OR (" + restCond + ")"
	}
	if cond != "" {
		op.cond = &cond
	}
	op.names, op.values = r.Names, r.Values
	if ret != partiql.ReturnNone {
		op.returnValues = ptr.To(map[partiql.Returning]string{partiql.ReturnAllOld: "ALL_OLD", partiql.ReturnAllNew: "ALL_NEW",
			partiql.ReturnModifiedOld: "UPDATED_OLD", partiql.ReturnModifiedNew: "UPDATED_NEW"}[ret])
	}
	return op, nil
}

// pqlWriteResult is what a write statement answered.
type pqlWriteResult struct {
	returned attr.Item // RETURNING's attributes, if any
	capacity *ConsumedCapacity
}

// pqlRunWrite runs a planned write through PutItem, UpdateItem or
// DeleteItem. An INSERT whose key exists is DuplicateItemException.
func (s *Service) pqlRunWrite(ctx context.Context, op *pqlOp, onFail, capacity *string) (pqlWriteResult, error) {
	table := ptr.To(op.table)
	switch op.kind {
	case "put":
		out, err := s.PutItem(ctx, &PutItemInput{TableName: table, Item: op.item, ConditionExpression: op.cond,
			ExpressionAttributeNames: op.names, ExpressionAttributeValues: op.values, ReturnConsumedCapacity: capacity})
		if isConditionFailure(err) {
			return pqlWriteResult{}, errDuplicate()
		}
		if err != nil {
			return pqlWriteResult{}, err
		}
		return pqlWriteResult{capacity: out.ConsumedCapacity}, nil
	case "update":
		out, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: table, Key: op.key, UpdateExpression: op.update,
			ConditionExpression: op.cond, ExpressionAttributeNames: op.names, ExpressionAttributeValues: op.values,
			ReturnValues: op.returnValues, ReturnValuesOnConditionCheckFailure: onFail, ReturnConsumedCapacity: capacity})
		if err != nil {
			return pqlWriteResult{}, err
		}
		return pqlWriteResult{returned: out.Attributes, capacity: out.ConsumedCapacity}, nil
	case "delete":
		out, err := s.DeleteItem(ctx, &DeleteItemInput{TableName: table, Key: op.key, ConditionExpression: op.cond,
			ExpressionAttributeNames: op.names, ExpressionAttributeValues: op.values, ReturnValues: op.returnValues,
			ReturnValuesOnConditionCheckFailure: onFail, ReturnConsumedCapacity: capacity})
		if err != nil {
			return pqlWriteResult{}, err
		}
		return pqlWriteResult{returned: out.Attributes, capacity: out.ConsumedCapacity}, nil
	}
	return pqlWriteResult{}, errValidation(msgExistsOutside)
}

// isConditionFailure reports whether err is ConditionalCheckFailedException.
func isConditionFailure(err error) bool {
	ae, ok := awserr.As(err)
	return ok && ae.Code == nsDynamoDB+"ConditionalCheckFailedException"
}

// transactItem is op as one action of TransactWriteItems.
func (op *pqlOp) transactItem(onFail *string) TransactWriteItem {
	table := ptr.To(op.table)
	switch op.kind {
	case "put":
		return TransactWriteItem{Put: &Put{TableName: table, Item: op.item, ConditionExpression: op.cond,
			ExpressionAttributeNames: op.names, ExpressionAttributeValues: op.values}}
	case "update":
		return TransactWriteItem{Update: &Update{TableName: table, Key: op.key, UpdateExpression: op.update,
			ConditionExpression: op.cond, ExpressionAttributeNames: op.names, ExpressionAttributeValues: op.values,
			ReturnValuesOnConditionCheckFailure: onFail}}
	case "delete":
		return TransactWriteItem{Delete: &Delete{TableName: table, Key: op.key, ConditionExpression: op.cond,
			ExpressionAttributeNames: op.names, ExpressionAttributeValues: op.values, ReturnValuesOnConditionCheckFailure: onFail}}
	}
	return TransactWriteItem{ConditionCheck: &ConditionCheck{TableName: table, Key: op.key, ConditionExpression: op.cond,
		ExpressionAttributeNames: op.names, ExpressionAttributeValues: op.values, ReturnValuesOnConditionCheckFailure: onFail}}
}
