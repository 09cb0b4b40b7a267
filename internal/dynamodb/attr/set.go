package attr

// sameSetKinds reports whether a and b are sets of the same kind.
func sameSetKinds(a, b Value) bool {
	switch a.kind {
	case SS, NS, BS:
		return a.kind == b.kind
	}
	return false
}

// Union returns the set a with the members of b it lacks added after its
// own, as UpdateExpression's ADD does to a set. a and b must be sets of the
// same kind; otherwise the error is DynamoDB's for an operand of the wrong
// type.
func Union(a, b Value) (Value, error) {
	if !sameSetKinds(a, b) {
		return Value{}, validationError(msgOperandType)
	}
	as, bs := a.strs(), b.strs()
	out := make([]string, len(as), len(as)+len(bs))
	copy(out, as)
	var index map[string]struct{}
	if len(as)+len(bs) > 32 {
		index = make(map[string]struct{}, len(as)+len(bs))
		for _, s := range as {
			index[s] = struct{}{}
		}
	}
	for _, s := range bs {
		if index != nil {
			if _, ok := index[s]; ok {
				continue
			}
			index[s] = struct{}{}
		} else if contains(out, s) {
			continue
		}
		out = append(out, s)
	}
	return Value{kind: a.kind, x: out}, nil
}

// Difference returns the set a without the members of b, as
// UpdateExpression's DELETE does. a and b must be sets of the same kind;
// otherwise the error is DynamoDB's for an operand of the wrong type. When
// no member is left the result has Len 0, which is not a valid value:
// DynamoDB then removes the attribute.
func Difference(a, b Value) (Value, error) {
	if !sameSetKinds(a, b) {
		return Value{}, validationError(msgOperandType)
	}
	as, bs := a.strs(), b.strs()
	var drop map[string]struct{}
	if len(bs) > 16 {
		drop = make(map[string]struct{}, len(bs))
		for _, s := range bs {
			drop[s] = struct{}{}
		}
	}
	out := make([]string, 0, len(as))
	for _, s := range as {
		var gone bool
		if drop != nil {
			_, gone = drop[s]
		} else {
			gone = contains(bs, s)
		}
		if !gone {
			out = append(out, s)
		}
	}
	return Value{kind: a.kind, x: out}, nil
}
