package expr

import (
	"slices"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// ParseProjection compiles a ProjectionExpression: a comma-separated list
// of document paths, none overlapping or conflicting with another. Errors
// are *attr.Error with DynamoDB's messages.
func ParseProjection(s string, names Names, used *Usage) ([]Path, error) {
	const what = "ProjectionExpression"
	if strings.TrimSpace(s) == "" {
		return nil, invalid(what, msgEmpty)
	}
	if err := checkSize(what, s); err != nil {
		return nil, err
	}
	p := newParser(what, s, names, nil, used)
	var ops []*operand
	var err error
	for {
		var op *operand
		if op, err = p.parsePath(); err != nil {
			break
		}
		ops = append(ops, op)
		if !p.isPunct(",") {
			if p.peek().kind != tEOF {
				err = p.syntax()
			}
			break
		}
		p.next()
	}
	if err := p.finish(err); err != nil {
		return nil, err
	}
	paths := make([]Path, len(ops))
	for i, op := range ops {
		paths[i] = p.resolvePath(op.raw)
	}
	if err := p.sem.first(); err != nil {
		return nil, err
	}
	if err := checkPaths(what, paths); err != nil {
		return nil, err
	}
	return paths, nil
}

// projNode is the tree of projected paths below one value.
type projNode struct {
	leaf    bool
	members map[string]*projNode
	elems   map[int]*projNode
}

// Project returns the parts of item the paths name, as DynamoDB returns
// them: maps keep the projected members, lists keep the projected elements
// in order (their indexes close up), and missing paths are left out. paths
// are as ParseProjection returns them (no overlaps).
func Project(item attr.Item, paths []Path) attr.Item {
	root := &projNode{}
	for _, p := range paths {
		n := root
		for _, e := range p {
			var next *projNode
			if e.IsIndex {
				if n.elems == nil {
					n.elems = map[int]*projNode{}
				}
				if next = n.elems[e.Index]; next == nil {
					next = &projNode{}
					n.elems[e.Index] = next
				}
			} else {
				if n.members == nil {
					n.members = map[string]*projNode{}
				}
				if next = n.members[e.Name]; next == nil {
					next = &projNode{}
					n.members[e.Name] = next
				}
			}
			n = next
		}
		n.leaf = true
	}
	out := attr.Item{}
	for name, child := range root.members {
		if v, ok := item[name]; ok {
			if pv, ok := project(v, child); ok {
				out[name] = pv
			}
		}
	}
	return out
}

func project(v attr.Value, n *projNode) (attr.Value, bool) {
	if n.leaf {
		return v, true
	}
	switch {
	case n.members != nil && v.Kind() == attr.M:
		m := attr.Item{}
		for name, child := range n.members {
			if c, ok := v.M()[name]; ok {
				if pc, ok := project(c, child); ok {
					m[name] = pc
				}
			}
		}
		if len(m) == 0 {
			return attr.Value{}, false
		}
		return attr.Map(m), true
	case n.elems != nil && v.Kind() == attr.L:
		idx := make([]int, 0, len(n.elems))
		for i := range n.elems {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		var l []attr.Value
		for _, i := range idx {
			if i < v.Len() {
				if pc, ok := project(v.L()[i], n.elems[i]); ok {
					l = append(l, pc)
				}
			}
		}
		if len(l) == 0 {
			return attr.Value{}, false
		}
		return attr.List(l...), true
	}
	return attr.Value{}, false
}
