package expr

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// PathElem is one step of a document path: a map member or attribute name,
// or, when IsIndex, a list index.
type PathElem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a resolved document path (placeholders replaced by the names they
// stand for): a top-level attribute name followed by member names and list
// indexes.
type Path []PathElem

// String renders p as DynamoDB does in messages: [a, b, [0]].
func (p Path) String() string {
	parts := make([]string, len(p))
	for i, e := range p {
		if e.IsIndex {
			parts[i] = "[" + strconv.Itoa(e.Index) + "]"
		} else {
			parts[i] = e.Name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// rawElem is a path step as written: a bare name (checked against the
// reserved words), a #placeholder, or an index.
type rawElem struct {
	text    string
	index   int
	isIndex bool
	isName  bool // text is a #placeholder
}

// get returns the value at p in it.
func get(it attr.Item, p Path) (attr.Value, bool) {
	v, ok := it[p[0].Name]
	if !ok {
		return attr.Value{}, false
	}
	for _, e := range p[1:] {
		if e.IsIndex {
			l := v.L()
			if v.Kind() != attr.L || e.Index >= len(l) {
				return attr.Value{}, false
			}
			v = l[e.Index]
		} else {
			if v.Kind() != attr.M {
				return attr.Value{}, false
			}
			if v, ok = v.M()[e.Name]; !ok {
				return attr.Value{}, false
			}
		}
	}
	return v, true
}

// setIn returns parent with v stored at p, copying what it changes. A list
// index past the end appends. A missing or mistyped parent is DynamoDB's
// invalid document path.
func setIn(parent attr.Value, p Path, v attr.Value) (attr.Value, error) {
	e := p[0]
	if e.IsIndex {
		if parent.Kind() != attr.L {
			return attr.Value{}, fail(msgInvalidPath)
		}
		l := slices.Clone(parent.L())
		if len(p) == 1 {
			if e.Index >= len(l) {
				l = append(l, v)
			} else {
				l[e.Index] = v
			}
			return attr.List(l...), nil
		}
		if e.Index >= len(l) {
			return attr.Value{}, fail(msgInvalidPath)
		}
		child, err := setIn(l[e.Index], p[1:], v)
		if err != nil {
			return attr.Value{}, err
		}
		l[e.Index] = child
		return attr.List(l...), nil
	}
	if parent.Kind() != attr.M {
		return attr.Value{}, fail(msgInvalidPath)
	}
	m := maps.Clone(parent.M())
	if m == nil {
		m = attr.Item{}
	}
	if len(p) == 1 {
		m[e.Name] = v
		return attr.Map(m), nil
	}
	c, ok := m[e.Name]
	if !ok {
		return attr.Value{}, fail(msgInvalidPath)
	}
	child, err := setIn(c, p[1:], v)
	if err != nil {
		return attr.Value{}, err
	}
	m[e.Name] = child
	return attr.Map(m), nil
}

// removeIn returns parent without the value at p; a missing last step
// changes nothing, a missing or mistyped parent is invalid.
func removeIn(parent attr.Value, p Path) (attr.Value, error) {
	e := p[0]
	if e.IsIndex {
		if parent.Kind() != attr.L {
			return attr.Value{}, fail(msgInvalidPath)
		}
		old := parent.L()
		if e.Index >= len(old) {
			if len(p) == 1 {
				return parent, nil
			}
			return attr.Value{}, fail(msgInvalidPath)
		}
		l := slices.Clone(old)
		if len(p) == 1 {
			return attr.List(slices.Delete(l, e.Index, e.Index+1)...), nil
		}
		child, err := removeIn(l[e.Index], p[1:])
		if err != nil {
			return attr.Value{}, err
		}
		l[e.Index] = child
		return attr.List(l...), nil
	}
	if parent.Kind() != attr.M {
		return attr.Value{}, fail(msgInvalidPath)
	}
	c, ok := parent.M()[e.Name]
	if !ok {
		if len(p) == 1 {
			return parent, nil
		}
		return attr.Value{}, fail(msgInvalidPath)
	}
	m := maps.Clone(parent.M())
	if len(p) == 1 {
		delete(m, e.Name)
		return attr.Map(m), nil
	}
	child, err := removeIn(c, p[1:])
	if err != nil {
		return attr.Value{}, err
	}
	m[e.Name] = child
	return attr.Map(m), nil
}

// setPath stores v at p in it, which the caller owns (top level only is
// modified in place; nested values are copied).
func setPath(it attr.Item, p Path, v attr.Value) error {
	if len(p) == 1 {
		it[p[0].Name] = v
		return nil
	}
	top, ok := it[p[0].Name]
	if !ok {
		return fail(msgInvalidPath)
	}
	nv, err := setIn(top, p[1:], v)
	if err != nil {
		return err
	}
	it[p[0].Name] = nv
	return nil
}

// removePath removes p from it, which the caller owns.
func removePath(it attr.Item, p Path) error {
	if len(p) == 1 {
		delete(it, p[0].Name)
		return nil
	}
	top, ok := it[p[0].Name]
	if !ok {
		return fail(msgInvalidPath)
	}
	nv, err := removeIn(top, p[1:])
	if err != nil {
		return err
	}
	it[p[0].Name] = nv
	return nil
}

// checkPaths refuses two paths where one is a prefix of the other
// (overlap) or that step into the same value once as a map and once as a
// list (conflict); the first overlap found wins over any conflict.
func checkPaths(what string, paths []Path) error {
	var conflict error
	for j := 1; j < len(paths); j++ {
		for i := 0; i < j; i++ {
			a, b := paths[i], paths[j]
			n := min(len(a), len(b))
			same := true
			for k := 0; k < n; k++ {
				if a[k].IsIndex != b[k].IsIndex {
					if conflict == nil {
						conflict = invalid(what, fmt.Sprintf(msgConflict, a, b))
					}
					same = false
					break
				}
				if a[k] != b[k] {
					same = false
					break
				}
			}
			if same {
				return invalid(what, fmt.Sprintf(msgOverlap, a, b))
			}
		}
	}
	return conflict
}
