package dynamodb

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/partiql"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// selectPlan is how a SELECT reads: the partitions a Query reads one after
// the other (none: a Scan), the condition on the sort key that joins each
// Query's key condition, and the conditions left for the filter.
type selectPlan struct {
	partitions []attr.Value
	sortKey    partiql.Expr
	filter     []partiql.Expr
	forward    bool
}

// planSelect finds in a WHERE what makes it a Query: a conjunct that fixes
// the partition key (hash = c, hash IN [...], or an OR of those), then a
// conjunct on the sort key that a key condition can hold.
func planSelect(where partiql.Expr, ks keySchema, params []attr.Value) (selectPlan, error) {
	plan := selectPlan{forward: true}
	cs := conjuncts(where)
	for i, c := range cs {
		vals, ok, err := hashValues(c, ks, params)
		if err != nil {
			return plan, err
		}
		if ok {
			plan.partitions = vals
			cs = slices.Delete(slices.Clone(cs), i, i+1)
			break
		}
	}
	if plan.partitions != nil && ks.rng != "" {
		for i, c := range cs {
			ok, err := isSortCondition(c, ks, params)
			if err != nil {
				return plan, err
			}
			if ok {
				plan.sortKey = c
				cs = slices.Delete(cs, i, i+1)
				break
			}
		}
	}
	plan.filter = cs
	return plan, nil
}

// hashValues returns the partition key values a condition allows, when it
// allows only those.
func hashValues(e partiql.Expr, ks keySchema, params []attr.Value) ([]attr.Value, bool, error) {
	var exprs []partiql.Expr
	switch e := e.(type) {
	case *partiql.Binary:
		if e.Op == "OR" {
			l, lok, err := hashValues(e.L, ks, params)
			if err != nil || !lok {
				return nil, false, err
			}
			r, rok, err := hashValues(e.R, ks, params)
			if err != nil || !rok {
				return nil, false, err
			}
			return dedupe(append(l, r...)), true, nil
		}
		c, ok := keyEquality(e, ks.hash)
		if !ok {
			return nil, false, nil
		}
		exprs = []partiql.Expr{c}
	case *partiql.In:
		p, ok := e.X.(*partiql.Path)
		if e.Not || !ok || p.Name() != ks.hash || !partiql.IsConstant(e.Set) {
			return nil, false, nil
		}
		if l, ok := e.Set.(*partiql.List); ok {
			exprs = l.Elems
		} else {
			v, err := partiql.Value(e.Set, params)
			if err != nil || v.Kind() != attr.L {
				return nil, false, err
			}
			if err := checkKeyValues(ks, v.L()); err != nil {
				return nil, false, err
			}
			return dedupe(v.L()), len(v.L()) > 0, nil
		}
	default:
		return nil, false, nil
	}
	vals := make([]attr.Value, 0, len(exprs))
	for _, x := range exprs {
		v, err := partiql.Value(x, params)
		if err != nil {
			return nil, false, err
		}
		vals = append(vals, v)
	}
	if err := checkKeyValues(ks, vals); err != nil {
		return nil, false, err
	}
	return dedupe(vals), len(vals) > 0, nil
}

func checkKeyValues(ks keySchema, vals []attr.Value) error {
	for _, v := range vals {
		if err := checkKeyValue(ks.hash, ks.hashType, v); err != nil {
			return err
		}
	}
	return nil
}

func dedupe(vals []attr.Value) []attr.Value {
	var out []attr.Value
	for _, v := range vals {
		if !slices.ContainsFunc(out, func(o attr.Value) bool { return attr.Equal(o, v) }) {
			out = append(out, v)
		}
	}
	return out
}

// isSortCondition reports whether a conjunct is one a key condition holds
// on the sort key: a comparison other than <>, BETWEEN or begins_with, with
// constants of the key's type.
func isSortCondition(e partiql.Expr, ks keySchema, params []attr.Value) (bool, error) {
	isKey := func(x partiql.Expr) bool {
		p, ok := x.(*partiql.Path)
		return ok && p.Name() == ks.rng
	}
	var consts []partiql.Expr
	switch e := e.(type) {
	case *partiql.Binary:
		switch e.Op {
		case "=", "<", "<=", ">", ">=":
		default:
			return false, nil
		}
		switch {
		case isKey(e.L) && partiql.IsConstant(e.R):
			consts = []partiql.Expr{e.R}
		case isKey(e.R) && partiql.IsConstant(e.L):
			consts = []partiql.Expr{e.L}
		default:
			return false, nil
		}
	case *partiql.Between:
		if e.Not || !isKey(e.X) || !partiql.IsConstant(e.Lo) || !partiql.IsConstant(e.Hi) {
			return false, nil
		}
		consts = []partiql.Expr{e.Lo, e.Hi}
	case *partiql.Call:
		if e.Name != "begins_with" || len(e.Args) != 2 || !isKey(e.Args[0]) || !partiql.IsConstant(e.Args[1]) {
			return false, nil
		}
		consts = []partiql.Expr{e.Args[1]}
	default:
		return false, nil
	}
	for _, c := range consts {
		v, err := partiql.Value(c, params)
		if err != nil {
			return false, err
		}
		if err := checkKeyValue(ks.rng, ks.rngType, v); err != nil {
			return false, err
		}
	}
	return true, nil
}

// orderBy applies ORDER BY to a plan: it needs a Query; the sort key's
// direction is the Query's, the partition key's orders the partitions.
func orderBy(st *partiql.Select, plan *selectPlan, ks keySchema) error {
	if len(st.OrderBy) == 0 {
		return nil
	}
	if st.Where == nil {
		return errValidation(msgOrderByWhere)
	}
	if plan.partitions == nil {
		return errValidation(msgOrderByHash)
	}
	byHash := false
	for _, k := range st.OrderBy {
		switch k.Name {
		case ks.hash:
			byHash = true
			slices.SortStableFunc(plan.partitions, func(a, b attr.Value) int {
				if k.Desc {
					return attr.Compare(b, a)
				}
				return attr.Compare(a, b)
			})
		case ks.rng:
			plan.forward = !k.Desc
		default:
			return errValidation(msgOrderByKey, k.Name)
		}
	}
	if len(plan.partitions) > 1 && !byHash {
		return errValidation(msgOrderByHashN)
	}
	return nil
}

// pqlToken is what a SELECT's NextToken holds: the request it continues
// (a digest of the statement and parameters), the partition it stopped in
// and the key to resume after.
type pqlToken struct {
	Digest    string    `json:"d"`
	Partition int       `json:"p,omitempty"`
	Key       attr.Item `json:"k,omitempty"`
}

func requestDigest(stmt string, params []attr.Value) string {
	h := sha256.New()
	h.Write([]byte(stmt))
	h.Write(mustJSON(params))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (t pqlToken) encode() *string {
	return ptr.To(base64.RawURLEncoding.EncodeToString(mustJSON(t)))
}

func decodeToken(s *string, digest string) (pqlToken, error) {
	var t pqlToken
	if s == nil {
		return pqlToken{Digest: digest}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil || json.Unmarshal(raw, &t) != nil || t.Partition < 0 {
		return t, errValidation(msgInvalidToken)
	}
	if t.Digest != digest {
		return t, errValidation(msgTokenMismatch)
	}
	return t, nil
}

// pqlSelect runs a page of a SELECT: Queries of the partitions its WHERE
// fixes, one after the other, or a Scan.
func (s *Service) pqlSelect(ctx context.Context, st *partiql.Select, in *ExecuteStatementInput) (*ExecuteStatementOutput, error) {
	t, err := s.pqlTable(ctx, st.Table)
	if err != nil {
		return nil, err
	}
	ks := t.pqlKeys()
	var index *string
	if st.Index != "" {
		ix := t.index(st.Index)
		if ix == nil {
			return nil, errValidation(msgNoIndex)
		}
		if ix.global && ptr.Value(in.ConsistentRead) {
			return nil, errValidation(msgConsistentGSI)
		}
		ks, index = keySchema{ix.hash, ix.hashType, ix.rng, ix.rngType}, &ix.name
	}
	params := in.Parameters
	plan, err := planSelect(st.Where, ks, params)
	if err != nil {
		return nil, err
	}
	if err := orderBy(st, &plan, ks); err != nil {
		return nil, err
	}
	tok, err := decodeToken(in.NextToken, requestDigest(ptr.Value(in.Statement), params))
	if err != nil {
		return nil, err
	}
	out := &ExecuteStatementOutput{Items: []map[string]attr.Value{}}
	// read runs one Query (partition p) or the Scan (p < 0) from start.
	read := func(p int, start attr.Item, limit *int32) ([]map[string]attr.Value, attr.Item, int32, error) {
		r := &partiql.Renderer{Params: params}
		var keyCond string
		if p >= 0 {
			keyCond = r.Name(ks.hash) + " = " + r.Value(plan.partitions[p])
			if plan.sortKey != nil {
				c, err := r.Condition(plan.sortKey)
				if err != nil {
					return nil, nil, 0, err
				}
				keyCond += " AND " + c
			}
		}
		var filter, projection *string
		if len(plan.filter) > 0 {
			c, err := r.Condition(andAll(plan.filter))
			if err != nil {
				return nil, nil, 0, err
			}
			filter = &c
		}
		if st.Projection != nil {
			projection = ptr.To(r.Projection(st.Projection))
		}
		if p < 0 {
			o, err := s.Scan(ctx, &ScanInput{TableName: &t.rec.Name, IndexName: index, FilterExpression: filter,
				ProjectionExpression: projection, ExpressionAttributeNames: r.Names, ExpressionAttributeValues: r.Values,
				ConsistentRead: in.ConsistentRead, Limit: limit, ExclusiveStartKey: start, ReturnConsumedCapacity: in.ReturnConsumedCapacity})
			if err != nil {
				return nil, nil, 0, err
			}
			out.ConsumedCapacity = addCapacity(out.ConsumedCapacity, o.ConsumedCapacity)
			return o.Items, o.LastEvaluatedKey, ptr.Value(o.ScannedCount), nil
		}
		o, err := s.Query(allowKeyFilters(ctx), &QueryInput{TableName: &t.rec.Name, IndexName: index, KeyConditionExpression: &keyCond,
			FilterExpression: filter, ProjectionExpression: projection, ExpressionAttributeNames: r.Names,
			ExpressionAttributeValues: r.Values, ConsistentRead: in.ConsistentRead, Limit: limit, ExclusiveStartKey: start,
			ScanIndexForward: &plan.forward, ReturnConsumedCapacity: in.ReturnConsumedCapacity})
		if err != nil {
			return nil, nil, 0, err
		}
		out.ConsumedCapacity = addCapacity(out.ConsumedCapacity, o.ConsumedCapacity)
		return o.Items, o.LastEvaluatedKey, ptr.Value(o.ScannedCount), nil
	}
	var next *pqlToken
	if plan.partitions == nil {
		items, last, _, err := read(-1, tok.Key, in.Limit)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, items...)
		if last != nil {
			next = &pqlToken{Digest: tok.Digest, Key: last}
		}
	} else {
		limit := in.Limit
		start := tok.Key
		for p := tok.Partition; p < len(plan.partitions); p++ {
			items, last, scanned, err := read(p, start, limit)
			if err != nil {
				return nil, err
			}
			start = nil
			out.Items = append(out.Items, items...)
			if last != nil {
				next = &pqlToken{Digest: tok.Digest, Partition: p, Key: last}
				break
			}
			if limit != nil {
				if limit = ptr.To(*limit - scanned); *limit <= 0 {
					if p+1 < len(plan.partitions) {
						next = &pqlToken{Digest: tok.Digest, Partition: p + 1}
					}
					break
				}
			}
		}
	}
	for i, item := range out.Items {
		out.Items[i] = reshape(item, st.Projection)
	}
	if next != nil {
		out.NextToken, out.LastEvaluatedKey = next.encode(), next.Key
	}
	return out, nil
}

// addCapacity adds what one more read consumed to a total.
func addCapacity(total, c *ConsumedCapacity) *ConsumedCapacity {
	if total == nil || c == nil {
		if total == nil {
			return c
		}
		return total
	}
	sum := func(a, b *float64) *float64 {
		if a == nil && b == nil {
			return nil
		}
		return ptr.To(ptr.Value(a) + ptr.Value(b))
	}
	total.CapacityUnits = sum(total.CapacityUnits, c.CapacityUnits)
	if c.Table != nil {
		if total.Table == nil {
			total.Table = &Capacity{}
		}
		total.Table.CapacityUnits = sum(total.Table.CapacityUnits, c.Table.CapacityUnits)
	}
	for name, u := range c.GlobalSecondaryIndexes {
		if total.GlobalSecondaryIndexes == nil {
			total.GlobalSecondaryIndexes = map[string]Capacity{}
		}
		g := total.GlobalSecondaryIndexes[name]
		g.CapacityUnits = sum(g.CapacityUnits, u.CapacityUnits)
		total.GlobalSecondaryIndexes[name] = g
	}
	for name, u := range c.LocalSecondaryIndexes {
		if total.LocalSecondaryIndexes == nil {
			total.LocalSecondaryIndexes = map[string]Capacity{}
		}
		l := total.LocalSecondaryIndexes[name]
		l.CapacityUnits = sum(l.CapacityUnits, u.CapacityUnits)
		total.LocalSecondaryIndexes[name] = l
	}
	return total
}
