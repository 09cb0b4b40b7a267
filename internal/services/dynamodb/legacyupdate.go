package dynamodb

import (
	"maps"
	"slices"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// legacyUpdate is UpdateItem's AttributeUpdates compiled into the update
// expression that does the same:
//
//	PUT (the default)         SET #a = :v
//	DELETE without a Value    REMOVE #a
//	DELETE with a set         DELETE #a :set
//	ADD of a number or a set  ADD #a :v
//	ADD of a list             SET #a = list_append(if_not_exists(#a, :empty), :list)
//
// An absent item or attribute is created as with the expression: ADD
// starts a number from 0 and a set or list from empty.
type legacyUpdate struct {
	update *expr.Update
	// kinds are the attributes that ADD and DELETE combine with what the
	// item holds, and the kind each must hold if present.
	kinds map[string]attr.Kind
}

// compileAttributeUpdates checks AttributeUpdates [local, dynalite] and
// compiles it; nil for none.
func compileAttributeUpdates(updates map[string]AttributeValueUpdate) (*legacyUpdate, error) {
	if len(updates) == 0 {
		return nil, nil
	}
	var b placeholders
	var set, remove, add, del []string
	lu := &legacyUpdate{kinds: map[string]attr.Kind{}}
	for _, name := range slices.Sorted(maps.Keys(updates)) {
		u := updates[name]
		action := ptr.Value(u.Action)
		if action == "" {
			action = "PUT"
		}
		if u.Value == nil && action != "DELETE" {
			return nil, invalidParam("Only DELETE action is allowed when no attribute value is specified")
		}
		n := b.name(name)
		switch action {
		case "PUT":
			set = append(set, n+" = "+b.value(*u.Value))
		case "DELETE":
			if u.Value == nil {
				remove = append(remove, n)
				continue
			}
			switch k := u.Value.Kind(); k {
			case attr.SS, attr.NS, attr.BS:
				del = append(del, n+" "+b.value(*u.Value))
				lu.kinds[name] = k
			default:
				return nil, invalidParam("DELETE action with value is not supported for the type %s", k)
			}
		case "ADD":
			switch k := u.Value.Kind(); k {
			case attr.N, attr.SS, attr.NS, attr.BS:
				add = append(add, n+" "+b.value(*u.Value))
				lu.kinds[name] = k
			case attr.L:
				empty := b.value(attr.List())
				set = append(set, n+" = list_append(if_not_exists("+n+", "+empty+"), "+b.value(*u.Value)+")")
				lu.kinds[name] = k
			default:
				return nil, invalidParam("ADD action is not supported for the type %s", k)
			}
		}
	}
	var s []string
	for _, clause := range []struct {
		word    string
		actions []string
	}{{"SET", set}, {"REMOVE", remove}, {"ADD", add}, {"DELETE", del}} {
		if len(clause.actions) > 0 {
			s = append(s, clause.word+" "+strings.Join(clause.actions, ", "))
		}
	}
	var err error
	if lu.update, err = expr.ParseUpdate(strings.Join(s, " "), b.names, b.values, nil); err != nil {
		return nil, validation(err)
	}
	return lu, nil
}

// checkKinds refuses to ADD to or DELETE from an attribute of another
// kind than the update's value, with the legacy message [dynalite; the
// text is in the API reference's list of UpdateItem errors].
func (lu *legacyUpdate) checkKinds(item attr.Item) error {
	for name, k := range lu.kinds {
		if v, ok := item[name]; ok && v.Kind() != k {
			return errValidation("Type mismatch for attribute to update")
		}
	}
	return nil
}
