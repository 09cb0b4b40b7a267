package expr

import (
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// KeyCondition is a compiled KeyConditionExpression: an equality on the
// partition key and at most one condition on the sort key. SortOp is ""
// when there is no sort key condition, else one of = < <= > >= BETWEEN
// begins_with; SortValues holds its one value (two for BETWEEN).
type KeyCondition struct {
	PartitionName  string
	PartitionValue attr.Value
	SortName       string
	SortOp         string
	SortValues     []attr.Value
}

// ParseKeyCondition compiles a KeyConditionExpression for a table or index
// whose key is partitionKey and sortKey ("" for none). It parses s as a
// condition, then refuses what a key condition may not hold (OR, NOT, IN,
// <>, functions other than begins_with, nested paths, conditions on other
// attributes, two conditions on one key, no condition on the partition
// key). Errors are *attr.Error with DynamoDB's messages.
func ParseKeyCondition(s string, names Names, values Values, used *Usage, partitionKey, sortKey string) (*KeyCondition, error) {
	const what = "KeyConditionExpression"
	c, err := parseCondition(what, s, names, values, used)
	if err != nil {
		return nil, err
	}
	var terms []*node
	var flatten func(n *node) error
	flatten = func(n *node) error {
		switch n.op {
		case nAnd:
			if err := flatten(n.kids[0]); err != nil {
				return err
			}
			return flatten(n.kids[1])
		case nOr:
			return fail(msgKeyOperator + "OR")
		case nNot:
			return fail(msgKeyOperator + "NOT")
		case nIn:
			return fail(msgKeyOperator + "IN")
		case nCmp:
			if n.cmp == "<>" {
				return fail(msgKeyOperator + "<>")
			}
		case nFunc:
			if f := n.args[0].fn; f != "begins_with" {
				return fail(msgKeyOperator + f)
			}
		}
		terms = append(terms, n)
		return nil
	}
	if err := flatten(c.root); err != nil {
		return nil, err
	}
	if len(terms) > 2 {
		return nil, fail(msgKeyLength)
	}
	kc := &KeyCondition{}
	seen := map[string]bool{}
	for _, n := range terms {
		args := n.args
		if n.op == nFunc {
			args = n.args[0].args
		}
		key, rest := args[0], args[1:]
		if n.op == nCmp && key.kind == opValue && rest[0].kind == opPath {
			key, rest = rest[0], []*operand{key} // :v = pk
			n = &node{op: nCmp, cmp: flip(n.cmp)}
		}
		if key.kind != opPath {
			return nil, fail(msgKeyNotSupp)
		}
		if len(key.path) != 1 {
			return nil, fail(msgKeyNested)
		}
		var vals []attr.Value
		for _, r := range rest {
			if r.kind != opValue {
				return nil, fail(msgKeyNotSupp)
			}
			vals = append(vals, r.val)
		}
		name := key.path[0].Name
		if seen[name] {
			return nil, fail(msgKeyOnePerKey)
		}
		seen[name] = true
		switch {
		case name == partitionKey:
			if n.op != nCmp || n.cmp != "=" {
				return nil, fail(msgKeyNotSupp)
			}
			kc.PartitionName, kc.PartitionValue = name, vals[0]
		case name == sortKey && sortKey != "":
			kc.SortName, kc.SortValues = name, vals
			switch n.op {
			case nCmp:
				kc.SortOp = n.cmp
			case nBetween:
				kc.SortOp = "BETWEEN"
			default:
				kc.SortOp = "begins_with"
			}
		default:
			return nil, fail(msgKeyNotSupp)
		}
	}
	if kc.PartitionName == "" {
		return nil, fail(msgKeyMissed + partitionKey)
	}
	return kc, nil
}

func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

// Match reports whether a key's sort value satisfies the sort key
// condition (always true when there is none). The partition value is
// matched by the caller's lookup.
func (k *KeyCondition) Match(sort attr.Value) bool {
	if k.SortOp == "" {
		return true
	}
	if sort.Kind() != k.SortValues[0].Kind() {
		return false
	}
	c := attr.Compare(sort, k.SortValues[0])
	switch k.SortOp {
	case "=":
		return c == 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "BETWEEN":
		return c >= 0 && attr.Compare(sort, k.SortValues[1]) <= 0
	}
	// begins_with
	if sort.Kind() == attr.S {
		return strings.HasPrefix(sort.S(), k.SortValues[0].S())
	}
	return strings.HasPrefix(string(sort.B()), string(k.SortValues[0].B()))
}
