package dynamodb

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// maxTransactItems bounds a transaction's actions.
const maxTransactItems = 100

// tokenWindow is how long a ClientRequestToken makes a retry idempotent.
const tokenWindow = 10 * time.Minute

// txAction is one checked action of a TransactWriteItems: the item it
// touches, its condition, and what it does to the item.
type txAction struct {
	table    *table
	key      []byte
	cond     *expr.Condition
	onFail   *string
	apply    func(old attr.Item) (attr.Item, error) // nil: condition check only; returns nil to delete
	keyAttrs attr.Item
}

// TransactWriteItems applies up to 100 puts, updates, deletes and
// condition checks on distinct items, all or none.
func (s *Service) TransactWriteItems(ctx context.Context, in *TransactWriteItemsInput) (*TransactWriteItemsOutput, error) {
	if n := len(in.TransactItems); n == 0 || n > maxTransactItems {
		return nil, errValidation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1")
	}
	if tok := ptr.Value(in.ClientRequestToken); tok != "" {
		digest := sha256.Sum256(mustJSON(in.TransactItems))
		if done, err := s.checkToken(tok, digest); err != nil || done {
			if err != nil {
				return nil, err
			}
			return &TransactWriteItemsOutput{}, nil
		}
	}
	actions := make([]txAction, 0, len(in.TransactItems))
	seen := map[string]bool{}
	for _, it := range in.TransactItems {
		a, err := s.txAction(ctx, it)
		if err != nil {
			return nil, err
		}
		if seen[string(a.key)] {
			return nil, errValidation("Transaction request cannot include multiple operations on one item")
		}
		seen[string(a.key)] = true
		actions = append(actions, a)
	}
	tables := map[string]*table{}
	for _, a := range actions {
		tables[a.table.rec.Name] = a.table
	}
	current, release, err := s.beginWrites(tables)
	if err != nil {
		return nil, err
	}
	defer release()
	keys := make([][]byte, len(actions))
	for i, a := range actions {
		keys[i] = a.key
	}
	defer s.lockItems(keys)()

	olds := make([]attr.Item, len(actions))
	reasons := make([]map[string]any, len(actions))
	failed := false
	next := make([]attr.Item, len(actions))
	for i, a := range actions {
		old, err := s.load(a.key)
		if err != nil {
			return nil, fmt.Errorf("reading an item: %w", err)
		}
		olds[i] = old
		reasons[i] = map[string]any{"Code": "None"}
		if err := checkCondition(a.cond, old, a.onFail); err != nil {
			if !isConditionFailure(err) {
				return nil, err
			}
			ae, _ := awserr.As(err)
			failed = true
			reasons[i] = map[string]any{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
			if item, ok := ae.Fields["Item"]; ok {
				reasons[i]["Item"] = item
			}
			continue
		}
		if a.apply != nil {
			base := attr.Item{}
			for k, v := range old {
				base[k] = v
			}
			for k, v := range a.keyAttrs {
				base[k] = v
			}
			if next[i], err = a.apply(base); err != nil {
				return nil, validation(err)
			}
			if next[i] != nil {
				if verr := current[a.table.rec.Name].checkIndexKeys(next[i]); verr != nil {
					return nil, verr
				}
			}
		}
	}
	if failed {
		codes := make([]string, len(reasons))
		for i, r := range reasons {
			codes[i] = r["Code"].(string)
		}
		return nil, awserr.New(400, nsDynamoDB+"TransactionCanceledException",
			"Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", ")).
			With("CancellationReasons", reasons)
	}
	w := s.newWrite()
	defer w.close()
	u := newUsage(in.ReturnConsumedCapacity)
	if u != nil {
		u.factor = 2
	}
	for i, a := range actions {
		t := current[a.table.rec.Name]
		if a.apply == nil {
			u.table(t.rec.Name, writeUnits(attr.ItemSize(olds[i])))
			continue
		}
		var data []byte
		if next[i] != nil {
			if attr.ItemSize(next[i]) > maxItemSize {
				return nil, errValidation("Item size has exceeded the maximum allowed size")
			}
			if data, err = attr.AppendItemJSON(nil, next[i]); err != nil {
				return nil, fmt.Errorf("encoding an item: %w", err)
			}
		}
		if err := s.stage(w, t, a.key, olds[i], next[i], data, nil); err != nil {
			return nil, err
		}
		u.write(t, a.key, olds[i], next[i])
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("storing a transaction: %w", err)
	}
	return &TransactWriteItemsOutput{ConsumedCapacity: u.all()}, nil
}

// txAction checks one TransactWriteItem.
func (s *Service) txAction(ctx context.Context, it TransactWriteItem) (txAction, error) {
	set := 0
	for _, p := range []bool{it.ConditionCheck != nil, it.Put != nil, it.Delete != nil, it.Update != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return txAction{}, errValidation("TransactItems can only contain one of Check, Put, Update or Delete")
	}
	var (
		table, condition *string
		names            map[string]string
		values           map[string]attr.Value
		key              attr.Item
		onFail           *string
	)
	switch {
	case it.ConditionCheck != nil:
		c := it.ConditionCheck
		table, condition, names, values, key, onFail = c.TableName, c.ConditionExpression, c.ExpressionAttributeNames, c.ExpressionAttributeValues, c.Key, c.ReturnValuesOnConditionCheckFailure
	case it.Put != nil:
		p := it.Put
		table, condition, names, values, key, onFail = p.TableName, p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues, p.Item, p.ReturnValuesOnConditionCheckFailure
	case it.Delete != nil:
		d := it.Delete
		table, condition, names, values, key, onFail = d.TableName, d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues, d.Key, d.ReturnValuesOnConditionCheckFailure
	case it.Update != nil:
		u := it.Update
		table, condition, names, values, key, onFail = u.TableName, u.ConditionExpression, u.ExpressionAttributeNames, u.ExpressionAttributeValues, u.Key, u.ReturnValuesOnConditionCheckFailure
	}
	t, err := s.lookup(ctx, ptr.Value(table))
	if err != nil {
		return txAction{}, err
	}
	a := txAction{table: t, onFail: onFail}
	var verr *awserr.Error
	if a.key, verr = t.storageKey(key, it.Put != nil); verr != nil {
		return txAction{}, verr
	}
	var used expr.Usage
	if condition != nil {
		if a.cond, err = expr.ParseCondition(*condition, names, values, &used); err != nil {
			return txAction{}, validation(err)
		}
	} else if it.ConditionCheck != nil {
		return txAction{}, errValidation("The ConditionExpression is required for ConditionCheck")
	}
	switch {
	case it.Put != nil:
		item := attr.Item(it.Put.Item)
		a.apply = func(attr.Item) (attr.Item, error) { return item, nil }
	case it.Delete != nil:
		a.apply = func(attr.Item) (attr.Item, error) { return nil, nil }
	case it.Update != nil:
		if it.Update.UpdateExpression == nil {
			return txAction{}, errValidation("The UpdateExpression is required for Update")
		}
		update, err := expr.ParseUpdate(*it.Update.UpdateExpression, names, values, &used)
		if err != nil {
			return txAction{}, validation(err)
		}
		hash, _, rng, _ := t.keyAttrs()
		for _, target := range update.Targets() {
			if target == hash || (rng != "" && target == rng) {
				return txAction{}, errValidation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", target)
			}
		}
		a.apply = update.Apply
		a.keyAttrs = attr.Item(key)
	}
	if err := used.Check(names, values); err != nil {
		return txAction{}, validation(err)
	}
	return a, nil
}

// checkToken remembers a ClientRequestToken for ten minutes: a retry with
// the same request is answered as done, one with another request refused.
func (s *Service) checkToken(token string, digest [32]byte) (done bool, err error) {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	now := s.clock.Now()
	if s.tokens == nil {
		s.tokens = map[string]tokenUse{}
	}
	for k, u := range s.tokens {
		if now.Sub(u.at) > tokenWindow {
			delete(s.tokens, k)
		}
	}
	if u, ok := s.tokens[token]; ok {
		if u.digest != digest {
			return false, awserr.New(400, nsDynamoDB+"IdempotentParameterMismatchException",
				"Request has a different set of parameters than a prior request with the same client request token")
		}
		return true, nil
	}
	s.tokens[token] = tokenUse{at: now, digest: digest}
	return false, nil
}

// tokenUse is a ClientRequestToken seen, with its request's digest.
type tokenUse struct {
	at     time.Time
	digest [32]byte
}

// TransactGetItems reads up to 100 items at once, consistently.
func (s *Service) TransactGetItems(ctx context.Context, in *TransactGetItemsInput) (*TransactGetItemsOutput, error) {
	if n := len(in.TransactItems); n == 0 || n > maxTransactItems {
		return nil, errValidation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1")
	}
	type get struct {
		table      string
		key        []byte
		projection []expr.Path
	}
	gets := make([]get, len(in.TransactItems))
	keys := make([][]byte, len(in.TransactItems))
	for i, it := range in.TransactItems {
		if it.Get == nil {
			return nil, errValidation("TransactItems can only contain Get")
		}
		t, err := s.lookup(ctx, ptr.Value(it.Get.TableName))
		if err != nil {
			return nil, err
		}
		key, verr := t.storageKey(attr.Item(it.Get.Key), false)
		if verr != nil {
			return nil, verr
		}
		var used expr.Usage
		g := get{table: t.rec.Name, key: key}
		if p := it.Get.ProjectionExpression; p != nil {
			if g.projection, err = expr.ParseProjection(*p, it.Get.ExpressionAttributeNames, &used); err != nil {
				return nil, validation(err)
			}
		}
		if err := used.Check(it.Get.ExpressionAttributeNames, nil); err != nil {
			return nil, validation(err)
		}
		gets[i], keys[i] = g, key
	}
	defer s.lockItems(keys)()
	out := &TransactGetItemsOutput{Responses: make([]ItemResponse, len(gets))}
	u := newUsage(in.ReturnConsumedCapacity)
	if u != nil {
		u.factor = 2
	}
	for i, g := range gets {
		item, err := s.load(g.key)
		if err != nil {
			return nil, fmt.Errorf("reading an item: %w", err)
		}
		u.table(g.table, readUnits(attr.ItemSize(item), true))
		if item != nil && g.projection != nil {
			item = expr.Project(item, g.projection)
		}
		out.Responses[i] = ItemResponse{Item: item}
	}
	out.ConsumedCapacity = u.all()
	return out, nil
}
