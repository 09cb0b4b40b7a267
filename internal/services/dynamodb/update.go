package dynamodb

import (
	"context"
	"fmt"
	"slices"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// UpdateItem changes an item's attributes with an UpdateExpression (or the
// legacy AttributeUpdates), creating the item when it does not exist, under
// an optional condition (ConditionExpression, or the legacy Expected).
func (s *Service) UpdateItem(ctx context.Context, in *UpdateItemInput) (*UpdateItemOutput, error) {
	if err := updateParams(in).check(); err != nil {
		return nil, err
	}
	if err := checkConditionalOperator(in.ConditionalOperator, len(in.Expected)); err != nil {
		return nil, err
	}
	// The legacy AttributeUpdates and Expected, compiled (legacy*.go).
	legacy, err := compileAttributeUpdates(in.AttributeUpdates)
	if err != nil {
		return nil, err
	}
	cond, err := compileExpected(in.Expected, in.ConditionalOperator)
	if err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	rv := ptr.Value(in.ReturnValues)
	if rv != "" && !slices.Contains([]string{"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}, rv) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", rv)
	}
	names, values := in.ExpressionAttributeNames, in.ExpressionAttributeValues
	var used expr.Usage
	var update *expr.Update
	if legacy != nil {
		update = legacy.update
	}
	if u := in.UpdateExpression; u != nil {
		if update, err = expr.ParseUpdate(*u, names, values, &used); err != nil {
			return nil, validation(err)
		}
	}
	if c := in.ConditionExpression; c != nil {
		if cond, err = expr.ParseCondition(*c, names, values, &used); err != nil {
			return nil, validation(err)
		}
	}
	if err := used.Check(names, values); err != nil {
		return nil, validation(err)
	}
	keyItem := attr.Item(in.Key)
	key, verr := t.storageKey(keyItem, false)
	if verr != nil {
		return nil, verr
	}
	hash, _, rng, _ := t.keyAttrs()
	if update != nil {
		for _, target := range update.Targets() {
			if target == hash || (rng != "" && target == rng) {
				return nil, errValidation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", target)
			}
		}
	}

	t, release, err := s.beginWrite(t)
	if err != nil {
		return nil, err
	}
	defer release()
	mu := s.itemLock(key)
	mu.Lock()
	defer mu.Unlock()
	old, err := s.load(key)
	if err != nil {
		return nil, fmt.Errorf("reading an item: %w", err)
	}
	if err := checkCondition(cond, old, in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	base := attr.Item{}
	for k, v := range old {
		base[k] = v
	}
	for k, v := range keyItem {
		base[k] = v
	}
	updated := base
	if legacy != nil {
		if err := legacy.checkKinds(base); err != nil {
			return nil, err
		}
	}
	if update != nil {
		if updated, err = update.Apply(base); err != nil {
			return nil, validation(err)
		}
	}
	if attr.ItemSize(updated) > maxItemSize {
		return nil, errValidation("Item size to update has exceeded the maximum allowed size")
	}
	if verr := t.checkIndexKeys(updated); verr != nil {
		return nil, verr
	}
	data, err := attr.AppendItemJSON(nil, updated)
	if err != nil {
		return nil, fmt.Errorf("encoding an item: %w", err)
	}
	if err := s.commit(t, key, old, updated, data); err != nil {
		return nil, fmt.Errorf("storing an item: %w", err)
	}
	u := newUsage(in.ReturnConsumedCapacity)
	u.write(t, key, old, updated)
	out := &UpdateItemOutput{ConsumedCapacity: u.consumed(t.rec.Name)}
	switch rv {
	case "ALL_OLD":
		out.Attributes = old
	case "ALL_NEW":
		out.Attributes = updated
	case "UPDATED_OLD", "UPDATED_NEW":
		from := updated
		if rv == "UPDATED_OLD" {
			from = old
		}
		if update != nil {
			// Only the updated paths, nested ones within their parents.
			if picked := expr.Project(from, update.TargetPaths()); len(picked) > 0 {
				out.Attributes = picked
			}
		}
	}
	return out, nil
}
