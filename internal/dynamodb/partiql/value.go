package partiql

import (
	"errors"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// Value evaluates a constant expression — a literal, a parameter, a list,
// tuple or bag of them, a negated number — to an attribute value, taking
// the N-th ? from params. Errors are *Error with DynamoDB's message; a
// number DynamoDB cannot store names where it sits (" under root").
func Value(e Expr, params []attr.Value) (attr.Value, error) {
	return value(e, params, "root")
}

// Item evaluates an INSERT's item: a tuple of constants, or a parameter
// holding a map. Each attribute's value is its own "root" in messages.
func Item(e Expr, params []attr.Value) (attr.Item, error) {
	switch e := e.(type) {
	case *Param:
		v, err := value(e, params, "root")
		if err != nil {
			return nil, err
		}
		if v.Kind() != attr.M {
			return nil, fail(msgItemFormat)
		}
		return v.M(), nil
	case *Tuple:
		return tuple(e, params, "root", true)
	}
	return nil, fail(msgItemFormat)
}

// IsConstant reports whether e is a constant Value can evaluate.
func IsConstant(e Expr) bool {
	switch e := e.(type) {
	case *Literal:
		return e.Kind != LitMissing
	case *Param:
		return true
	case *Neg:
		return IsConstant(e.X)
	case *List:
		for _, x := range e.Elems {
			if !IsConstant(x) {
				return false
			}
		}
		return true
	case *Bag:
		for _, x := range e.Elems {
			if !IsConstant(x) {
				return false
			}
		}
		return true
	case *Tuple:
		for _, f := range e.Fields {
			if !IsConstant(f.Key) || !IsConstant(f.Value) {
				return false
			}
		}
		return true
	}
	return false
}

func value(e Expr, params []attr.Value, at string) (attr.Value, error) {
	switch e := e.(type) {
	case *Literal:
		switch e.Kind {
		case LitString:
			return attr.String(e.Text), nil
		case LitNumber:
			return number(e.Text, at)
		case LitBool:
			return attr.Bool(e.Text == "true"), nil
		case LitNull:
			return attr.Null(), nil
		}
		return attr.Value{}, fail(msgMissingCompare)
	case *Param:
		if e.N >= len(params) {
			return attr.Value{}, fail(msgParamCount)
		}
		return params[e.N], nil
	case *Neg:
		v, err := value(e.X, params, at)
		if err != nil {
			return attr.Value{}, err
		}
		if v.Kind() != attr.N {
			return attr.Value{}, failAt(e.Pos, msgUnsupportedType, "-", at)
		}
		if e.Plus {
			return v, nil
		}
		if n, ok := strings.CutPrefix(v.N(), "-"); ok {
			return number(n, at)
		}
		return number("-"+v.N(), at)
	case *List:
		elems := make([]attr.Value, len(e.Elems))
		for i, x := range e.Elems {
			v, err := value(x, params, at+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return attr.Value{}, err
			}
			elems[i] = v
		}
		return attr.List(elems...), nil
	case *Tuple:
		m, err := tuple(e, params, at, false)
		if err != nil {
			return attr.Value{}, err
		}
		return attr.Map(m), nil
	case *Bag:
		return bag(e, params, at)
	case *Call:
		return attr.Value{}, failAt(e.Pos, msgUnsupportedType, e.Name, at)
	case *Path:
		return attr.Value{}, failAt(e.Pos, msgUnsupportedType, e.String(), at)
	}
	return attr.Value{}, failAt(e.At(), msgUnsupportedType, "expression", at)
}

func number(text, at string) (attr.Value, error) {
	v, err := attr.Number(text)
	var ae *attr.Error
	if errors.As(err, &ae) {
		return attr.Value{}, fail(msgUnderRoot, ae.Message, at)
	}
	return v, err
}

// tuple evaluates {'k': v, …}. An item's attributes are each a root of
// their own; a nested map's are paths under at.
func tuple(e *Tuple, params []attr.Value, at string, item bool) (attr.Item, error) {
	m := make(attr.Item, len(e.Fields))
	for _, f := range e.Fields {
		k, err := value(f.Key, params, at)
		if err != nil {
			return nil, err
		}
		if k.Kind() != attr.S {
			return nil, fail(msgTupleKeyType, typeName(k), at)
		}
		key := k.S()
		if _, dup := m[key]; dup {
			return nil, fail(msgDuplicateTupleKey, key, at)
		}
		under := at + "." + key
		if item {
			under = "root"
		}
		v, err := value(f.Value, params, under)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	return m, nil
}

// bag evaluates <<a, b>>: a string set or a number set (a binary set when
// its members are binary parameters).
func bag(e *Bag, params []attr.Value, at string) (attr.Value, error) {
	if len(e.Elems) == 0 {
		return attr.Value{}, fail(msgEmptyBag)
	}
	members := make([]string, len(e.Elems))
	var kind attr.Kind
	for i, x := range e.Elems {
		v, err := value(x, params, at)
		if err != nil {
			return attr.Value{}, err
		}
		if k := v.Kind(); i == 0 {
			kind = k
		} else if k != kind {
			return attr.Value{}, fail(msgBagType)
		}
		switch kind {
		case attr.S:
			members[i] = v.S()
		case attr.N:
			members[i] = v.N()
		case attr.B:
			members[i] = string(v.B())
		default:
			return attr.Value{}, fail(msgBagType)
		}
	}
	var v attr.Value
	var err error
	switch kind {
	case attr.S:
		v, err = attr.StringSet(members...)
	case attr.N:
		v, err = attr.NumberSet(members...)
	default:
		bs := make([][]byte, len(members))
		for i, m := range members {
			bs[i] = []byte(m)
		}
		v, err = attr.BinarySet(bs...)
	}
	var ae *attr.Error
	if errors.As(err, &ae) {
		return attr.Value{}, fail("%s", ae.Message)
	}
	return v, err
}

// typeName is a value's PartiQL type name, for messages.
func typeName(v attr.Value) string {
	switch v.Kind() {
	case attr.S:
		return "STRING"
	case attr.N:
		return "DECIMAL"
	case attr.B:
		return "BLOB"
	case attr.BOOL:
		return "BOOL"
	case attr.NULL:
		return "NULL"
	case attr.L:
		return "LIST"
	case attr.M:
		return "STRUCT"
	}
	return "BAG"
}

// CheckParams refuses parameters that are not one for each ? of st.
func CheckParams(st Statement, params []attr.Value) error {
	if st.Params() != len(params) {
		return fail(msgParamCount)
	}
	return nil
}
