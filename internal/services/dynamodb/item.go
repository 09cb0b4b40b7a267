package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
)

// maxItemSize is DynamoDB's item size limit, 400 KB.
const maxItemSize = 400 * 1024

// Key value limits, in bytes.
const (
	maxPartitionKeySize = 2048
	maxSortKeySize      = 1024
)

// keyValueSize is the size of a key value as DynamoDB limits it: the bytes
// of a string or binary (a number always fits).
func keyValueSize(v attr.Value) int {
	switch v.Kind() {
	case attr.S:
		return len(v.S())
	case attr.B:
		return len(v.B())
	}
	return 0
}

// kindOf maps an AttributeDefinitions type to a value kind.
var kindOf = map[string]attr.Kind{"S": attr.S, "N": attr.N, "B": attr.B}

// storageKey is where an item of t with these key values is stored: the
// table's prefix, then the partition and sort key values, encoded so that
// items of one partition sort by their sort key.
func (t *table) storageKey(item attr.Item, whole bool) ([]byte, *awserr.Error) {
	hash, hashType, rng, rngType := t.keyAttrs()
	key := itemPrefix(t.key())
	for _, k := range []struct{ name, typ string }{{hash, hashType}, {rng, rngType}} {
		if k.name == "" {
			continue
		}
		v, ok := item[k.name]
		if !ok {
			if whole {
				return nil, errValidation("One or more parameter values were invalid: Missing the key %s in the item", k.name)
			}
			return nil, errValidation("The provided key element does not match the schema")
		}
		if v.Kind() != kindOf[k.typ] {
			if whole {
				return nil, errValidation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", k.name, k.typ, v.Kind())
			}
			return nil, errValidation("The provided key element does not match the schema")
		}
		if (v.Kind() == attr.S && v.S() == "") || (v.Kind() == attr.B && len(v.B()) == 0) {
			return nil, errValidation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s",
				map[attr.Kind]string{attr.S: "string", attr.B: "binary"}[v.Kind()], k.name)
		}
		if n := keyValueSize(v); k.name == hash && n > maxPartitionKeySize {
			return nil, errValidation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of%d bytes", maxPartitionKeySize)
		} else if k.name == rng && n > maxSortKeySize {
			return nil, errValidation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of %d bytes", maxSortKeySize)
		}
		key = attr.AppendKey(key, v)
	}
	if !whole {
		n := 1
		if rng != "" {
			n = 2
		}
		if len(item) != n {
			return nil, errValidation("The provided key element does not match the schema")
		}
	}
	return key, nil
}

// itemLock serializes the writers of one item.
func (s *Service) itemLock(key []byte) *sync.Mutex { return &s.locks[s.stripe(key)] }

func (s *Service) stripe(key []byte) int {
	h := fnv.New32a()
	h.Write(key)
	return int(h.Sum32() % uint32(len(s.locks)))
}

// lockItems holds the writers of several items at once, taking the stripes
// in order so that two multi-item writes cannot deadlock, and returns the
// unlock.
func (s *Service) lockItems(keys [][]byte) func() {
	stripes := make([]int, 0, len(keys))
	for _, k := range keys {
		stripes = append(stripes, s.stripe(k))
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, i := range stripes {
		s.locks[i].Lock()
	}
	return func() {
		for _, i := range stripes {
			s.locks[i].Unlock()
		}
	}
}

// load reads the item stored under key, or nil.
func (s *Service) load(key []byte) (attr.Item, error) {
	raw, err := s.db.Get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return attr.ParseItem(raw)
}

// PutItem writes an item, replacing any with the same key.
func (s *Service) PutItem(ctx context.Context, in *PutItemInput) (*PutItemOutput, error) {
	t, cond, err := s.prepareWrite(ctx, writeCommon{in.TableName, in.Expected, in.ConditionalOperator,
		in.ReturnValues, in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues})
	if err != nil {
		return nil, err
	}
	rv := ptr.Value(in.ReturnValues)
	item := attr.Item(in.Item)
	if attr.ItemSize(item) > maxItemSize {
		return nil, errValidation("Item size has exceeded the maximum allowed size")
	}
	key, verr := t.storageKey(item, true)
	if verr != nil {
		return nil, verr
	}
	data, err := attr.AppendItemJSON(nil, item)
	if err != nil {
		return nil, fmt.Errorf("encoding an item: %w", err)
	}
	t, release, err := s.beginWrite(t)
	if err != nil {
		return nil, err
	}
	defer release()
	if verr := t.checkIndexKeys(item); verr != nil {
		return nil, verr
	}
	mu := s.itemLock(key)
	mu.Lock()
	defer mu.Unlock()
	out := &PutItemOutput{}
	u := newUsage(in.ReturnConsumedCapacity)
	var old attr.Item
	if rv == "ALL_OLD" || cond != nil || len(t.indexes) > 0 || t.stream != nil || u != nil {
		if old, err = s.load(key); err != nil {
			return nil, fmt.Errorf("reading an item: %w", err)
		}
		if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
			return nil, err
		}
		if rv == "ALL_OLD" {
			out.Attributes = old
		}
	}
	if err := s.commit(t, key, old, item, data); err != nil {
		return nil, fmt.Errorf("storing an item: %w", err)
	}
	u.write(t, key, old, item)
	out.ConsumedCapacity = u.consumed(t.rec.Name)
	return out, nil
}

// GetItem reads an item by its key, or the attributes of it that
// ProjectionExpression (or the legacy AttributesToGet) names.
func (s *Service) GetItem(ctx context.Context, in *GetItemInput) (*GetItemOutput, error) {
	if err := getParams(in.AttributesToGet, in.ProjectionExpression, in.ExpressionAttributeNames).check(); err != nil {
		return nil, err
	}
	var used expr.Usage
	projection, err := readProjection(in.AttributesToGet, in.ProjectionExpression, in.ExpressionAttributeNames, &used)
	if err != nil {
		return nil, err
	}
	if err := used.Check(in.ExpressionAttributeNames, nil); err != nil {
		return nil, validation(err)
	}
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	key, verr := t.storageKey(attr.Item(in.Key), false)
	if verr != nil {
		return nil, verr
	}
	item, err := s.load(key)
	if err != nil {
		return nil, fmt.Errorf("reading an item: %w", err)
	}
	u := newUsage(in.ReturnConsumedCapacity)
	u.table(t.rec.Name, readUnits(attr.ItemSize(item), ptr.Value(in.ConsistentRead)))
	if item != nil && projection != nil {
		item = expr.Project(item, projection)
	}
	return &GetItemOutput{Item: item, ConsumedCapacity: u.consumed(t.rec.Name)}, nil
}

// DeleteItem deletes an item by its key.
func (s *Service) DeleteItem(ctx context.Context, in *DeleteItemInput) (*DeleteItemOutput, error) {
	t, cond, err := s.prepareWrite(ctx, writeCommon{in.TableName, in.Expected, in.ConditionalOperator,
		in.ReturnValues, in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues})
	if err != nil {
		return nil, err
	}
	rv := ptr.Value(in.ReturnValues)
	key, verr := t.storageKey(attr.Item(in.Key), false)
	if verr != nil {
		return nil, verr
	}
	t, release, err := s.beginWrite(t)
	if err != nil {
		return nil, err
	}
	defer release()
	mu := s.itemLock(key)
	mu.Lock()
	defer mu.Unlock()
	out := &DeleteItemOutput{}
	u := newUsage(in.ReturnConsumedCapacity)
	var old attr.Item
	if rv == "ALL_OLD" || cond != nil || len(t.indexes) > 0 || t.stream != nil || u != nil {
		if old, err = s.load(key); err != nil {
			return nil, fmt.Errorf("reading an item: %w", err)
		}
		if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
			return nil, err
		}
		if rv == "ALL_OLD" {
			out.Attributes = old
		}
	}
	if err := s.commit(t, key, old, nil, nil); err != nil {
		return nil, fmt.Errorf("deleting an item: %w", err)
	}
	u.write(t, key, old, nil)
	out.ConsumedCapacity = u.consumed(t.rec.Name)
	return out, nil
}

// refuseUnsupported takes (set, name) pairs and refuses the first set one.
func refuseUnsupported(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if set, _ := pairs[i].(bool); set {
			return errUnsupported(pairs[i+1].(string))
		}
	}
	return nil
}

// compileCondition compiles a write's ConditionExpression (nil when there
// is none) and checks that every name and value given is used.
func compileCondition(condition *string, names map[string]string, values map[string]attr.Value) (*expr.Condition, error) {
	var used expr.Usage
	var cond *expr.Condition
	if condition != nil {
		var err error
		if cond, err = expr.ParseCondition(*condition, names, values, &used); err != nil {
			return nil, validation(err)
		}
	}
	if err := used.Check(names, values); err != nil {
		return nil, validation(err)
	}
	return cond, nil
}

// checkCondition evaluates cond against the item as stored (nil: absent):
// false is ConditionalCheckFailedException, carrying the item when the
// request asked for ALL_OLD.
func checkCondition(cond *expr.Condition, old attr.Item, returnOnFailure *string) error {
	if cond == nil {
		return nil
	}
	ok, err := cond.Eval(old)
	if err != nil {
		return validation(err)
	}
	if ok {
		return nil
	}
	e := awserr.New(400, nsDynamoDB+"ConditionalCheckFailedException", "The conditional request failed")
	if ptr.Value(returnOnFailure) == "ALL_OLD" && old != nil {
		e = e.With("Item", old)
	}
	return e
}

// validation answers an error of the attr or expr packages (a value or
// expression DynamoDB refuses) as its ValidationException.
func validation(err error) error {
	var ae *attr.Error
	if errors.As(err, &ae) {
		return errValidation("%s", ae.Message)
	}
	return err
}

// writeCommon is what PutItem and DeleteItem share.
type writeCommon struct {
	table        *string
	expected     map[string]ExpectedAttributeValue // legacy
	conditional  *string                           // the legacy ConditionalOperator
	returnValues *string
	condition    *string
	names        map[string]string
	values       map[string]attr.Value
}

// prepareWrite checks what PutItem and DeleteItem check first: the mix of
// legacy and expression parameters, the table, ReturnValues (NONE or
// ALL_OLD) and the condition (ConditionExpression or the legacy Expected).
func (s *Service) prepareWrite(ctx context.Context, w writeCommon) (*table, *expr.Condition, error) {
	if err := writeParams(w).check(); err != nil {
		return nil, nil, err
	}
	if err := checkConditionalOperator(w.conditional, len(w.expected)); err != nil {
		return nil, nil, err
	}
	legacy, err := compileExpected(w.expected, w.conditional)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.lookup(ctx, ptr.Value(w.table))
	if err != nil {
		return nil, nil, err
	}
	if rv := ptr.Value(w.returnValues); rv != "" && rv != "NONE" && rv != "ALL_OLD" {
		return nil, nil, errValidation("ReturnValues can only be ALL_OLD or NONE")
	}
	if legacy != nil {
		return t, legacy, nil
	}
	cond, err := compileCondition(w.condition, w.names, w.values)
	if err != nil {
		return nil, nil, err
	}
	return t, cond, nil
}
