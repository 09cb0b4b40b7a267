package dynamodb

import (
	"context"
	"fmt"
	"sort"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// Batch limits.
const (
	maxBatchGetKeys  = 100
	maxBatchWriteOps = 25
)

// BatchGetItem reads up to 100 items from one or more tables, each table's
// with its ProjectionExpression or legacy AttributesToGet. Nimbus never
// leaves keys unprocessed.
func (s *Service) BatchGetItem(ctx context.Context, in *BatchGetItemInput) (*BatchGetItemOutput, error) {
	total := 0
	for _, ka := range in.RequestItems {
		total += len(ka.Keys)
	}
	if total > maxBatchGetKeys {
		return nil, errValidation("Too many items requested for the BatchGetItem call")
	}
	if len(in.RequestItems) == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
	}
	names := make([]string, 0, len(in.RequestItems))
	for name := range in.RequestItems {
		names = append(names, name)
	}
	sort.Strings(names)
	out := &BatchGetItemOutput{Responses: map[string][]map[string]attr.Value{}, UnprocessedKeys: map[string]KeysAndAttributes{}}
	u := newUsage(in.ReturnConsumedCapacity)
	for _, name := range names {
		ka := in.RequestItems[name]
		if err := getParams(ka.AttributesToGet, ka.ProjectionExpression, ka.ExpressionAttributeNames).check(); err != nil {
			return nil, err
		}
		t, err := s.lookup(ctx, name)
		if err != nil {
			return nil, err
		}
		var used expr.Usage
		projection, err := readProjection(ka.AttributesToGet, ka.ProjectionExpression, ka.ExpressionAttributeNames, &used)
		if err != nil {
			return nil, err
		}
		if err := used.Check(ka.ExpressionAttributeNames, nil); err != nil {
			return nil, validation(err)
		}
		seen := map[string]bool{}
		items := []map[string]attr.Value{}
		for _, k := range ka.Keys {
			key, verr := t.storageKey(attr.Item(k), false)
			if verr != nil {
				return nil, verr
			}
			if seen[string(key)] {
				return nil, errValidation("Provided list of item keys contains duplicates")
			}
			seen[string(key)] = true
			item, err := s.load(key)
			if err != nil {
				return nil, fmt.Errorf("reading an item: %w", err)
			}
			u.table(name, readUnits(attr.ItemSize(item), ptr.Value(ka.ConsistentRead)))
			if item == nil {
				continue
			}
			if projection != nil {
				item = expr.Project(item, projection)
			}
			items = append(items, item)
		}
		out.Responses[name] = items
	}
	out.ConsumedCapacity = u.all()
	return out, nil
}

// BatchWriteItem puts or deletes up to 25 items across tables, each write
// on its own (no conditions). Nimbus never leaves items unprocessed.
func (s *Service) BatchWriteItem(ctx context.Context, in *BatchWriteItemInput) (*BatchWriteItemOutput, error) {
	total := 0
	for _, reqs := range in.RequestItems {
		total += len(reqs)
	}
	if total > maxBatchWriteOps {
		return nil, errValidation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
	}
	type write struct {
		table string
		key   []byte
		item  attr.Item // nil: delete
		data  []byte
	}
	var writes []write
	seen := map[string]bool{}
	tables := map[string]*table{}
	for name, reqs := range in.RequestItems {
		t, err := s.lookup(ctx, name)
		if err != nil {
			return nil, err
		}
		tables[name] = t
		for _, r := range reqs {
			var w write
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				item := attr.Item(r.PutRequest.Item)
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
				w = write{table: name, key: key, item: item, data: data}
			case r.DeleteRequest != nil && r.PutRequest == nil:
				key, verr := t.storageKey(attr.Item(r.DeleteRequest.Key), false)
				if verr != nil {
					return nil, verr
				}
				w = write{table: name, key: key}
			default:
				return nil, errValidation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			if seen[string(w.key)] {
				return nil, errValidation("Provided list of item keys contains duplicates")
			}
			seen[string(w.key)] = true
			writes = append(writes, w)
		}
	}
	// One synced batch; each item's writers are held while it commits.
	current, release, err := s.beginWrites(tables)
	if err != nil {
		return nil, err
	}
	defer release()
	for _, w := range writes {
		if w.item != nil {
			if verr := current[w.table].checkIndexKeys(w.item); verr != nil {
				return nil, verr
			}
		}
	}
	keys := make([][]byte, len(writes))
	for i, w := range writes {
		keys[i] = w.key
	}
	defer s.lockItems(keys)()
	w := s.newWrite()
	defer w.close()
	u := newUsage(in.ReturnConsumedCapacity)
	for _, wr := range writes {
		t := current[wr.table]
		var old attr.Item
		if len(t.indexes) > 0 || t.stream != nil || u != nil {
			if old, err = s.load(wr.key); err != nil {
				return nil, fmt.Errorf("reading an item: %w", err)
			}
		}
		if err := s.stage(w, t, wr.key, old, wr.item, wr.data, nil); err != nil {
			return nil, err
		}
		u.write(t, wr.key, old, wr.item)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("storing a batch: %w", err)
	}
	return &BatchWriteItemOutput{UnprocessedItems: map[string][]WriteRequest{}, ConsumedCapacity: u.all()}, nil
}
