package awsproto

import (
	"encoding"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// formNode is a query form as a tree of its keys' dotted segments: the
// form "Attribute.1.Name=a&Attribute.1.Value=b" is the tree
// Attribute → 1 → {Name: a, Value: b}.
type formNode struct {
	value    string
	hasValue bool
	kids     map[string]*formNode
}

func (n *formNode) child(seg string) *formNode {
	if n.kids == nil {
		n.kids = map[string]*formNode{}
	}
	c := n.kids[seg]
	if c == nil {
		c = &formNode{}
		n.kids[seg] = c
	}
	return c
}

// get returns the value of a top-level key, or "".
func (n *formNode) get(key string) string {
	if c := n.kids[key]; c != nil {
		return c.value
	}
	return ""
}

// indexed returns n's children whose names are list indexes (1, 2, …),
// in index order. Query lists are 1-based and should be dense; gaps and
// other names are skipped, not refused.
func (n *formNode) indexed() []*formNode {
	type item struct {
		i int
		n *formNode
	}
	var items []item
	for seg, c := range n.kids {
		if i, err := strconv.Atoi(seg); err == nil && i > 0 {
			items = append(items, item{i, c})
		}
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]*formNode, len(items))
	for j, it := range items {
		out[j] = it.n
	}
	return out
}

// maxFormDepth bounds the dotted segments of a key: no shape nests deeper
// (SQS's deepest is SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringListValue.1),
// and a key of a million dots should not become a million nodes.
const maxFormDepth = 32

// parseQueryForm builds the form tree of a query request from its URL's
// query and its form-encoded body. The body wins over the URL, and the
// first of a repeated key wins. Keys deeper than maxFormDepth are ignored.
func parseQueryForm(rawQuery, body string) (*formNode, *awserr.Error) {
	root := &formNode{}
	for _, raw := range []string{body, rawQuery} {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return nil, awserr.New(http.StatusBadRequest, "MalformedQueryString", "The request's parameters are malformed: %v", err)
		}
		for k, vs := range vals {
			if strings.Count(k, ".") >= maxFormDepth {
				continue
			}
			n := root
			for seg := range strings.SplitSeq(k, ".") {
				n = n.child(seg)
			}
			if !n.hasValue && len(vs) > 0 {
				n.value, n.hasValue = vs[0], true
			}
		}
	}
	return root, nil
}

// formValue returns the first value of key in a form-encoded body, without
// decoding the other pairs; "" when it is absent or malformed.
func formValue(body, key string) string {
	for pair := range strings.SplitSeq(body, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if k != key {
			if uk, err := url.QueryUnescape(k); err != nil || uk != key {
				continue
			}
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			return uv
		}
		return ""
	}
	return ""
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// isFormScalar reports whether values of t are one form value: strings,
// numbers, booleans, blobs (base64) and timestamps.
func isFormScalar(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int32, reflect.Int64, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8
	case reflect.Struct:
		return reflect.PointerTo(t).Implements(textUnmarshalerType)
	}
	return false
}

// decodeStruct fills the struct v from the form node n. path is the
// member's place in the form ("SendMessageBatchRequestEntry.1"), for
// errors.
func (c *queryCodec) decodeStruct(n *formNode, v reflect.Value, path string) *awserr.Error {
	for _, f := range c.spec.queryFields(v.Type()) {
		child := n.kids[f.member.Name]
		if child == nil && f.json != f.member.Name {
			child = n.kids[f.json]
		}
		if child == nil {
			continue
		}
		if err := c.decodeValue(child, v.Field(f.index), f.member, joinPath(path, f.member.Name)); err != nil {
			return err
		}
	}
	return nil
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// decodeValue fills f, a member spelled as m, from the form node n.
func (c *queryCodec) decodeValue(n *formNode, f reflect.Value, m QueryMember, path string) *awserr.Error {
	t := f.Type()
	switch {
	case isFormScalar(t):
		if !n.hasValue {
			return nil
		}
		if err := setFromString(f, n.value); err != nil {
			return c.invalidParameter(path, err)
		}
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		p := reflect.New(t.Elem())
		if err := c.decodeStruct(n, p.Elem(), path); err != nil {
			return err
		}
		f.Set(p)
	case t.Kind() == reflect.Struct:
		return c.decodeStruct(n, f, path)
	case t.Kind() == reflect.Slice:
		return c.decodeList(n, f, m, path)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		return c.decodeMap(n, f, m, path)
	}
	return nil
}

// decodeList fills a list from Name.N (flat) or Name.member.N. An empty
// list travels as "Name=".
func (c *queryCodec) decodeList(n *formNode, f reflect.Value, m QueryMember, path string) *awserr.Error {
	items := n
	if !m.Flat {
		path += "." + m.item()
		if items = n.kids[m.item()]; items == nil {
			if n.hasValue {
				f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			}
			return nil
		}
	}
	nodes := items.indexed()
	s := reflect.MakeSlice(f.Type(), 0, len(nodes))
	for i, item := range nodes {
		e := reflect.New(f.Type().Elem()).Elem()
		if err := c.decodeValue(item, e, QueryMember{}, path+"."+strconv.Itoa(i+1)); err != nil {
			return err
		}
		s = reflect.Append(s, e)
	}
	if len(nodes) > 0 || n.hasValue {
		f.Set(s)
	}
	return nil
}

// decodeMap fills a map from Name.N.Key/Name.N.Value (flat) or
// Name.entry.N.key/Name.entry.N.value. Entries without a key are skipped.
func (c *queryCodec) decodeMap(n *formNode, f reflect.Value, m QueryMember, path string) *awserr.Error {
	entries := n
	if !m.Flat {
		path += ".entry"
		if entries = n.kids["entry"]; entries == nil {
			return nil
		}
	}
	nodes := entries.indexed()
	if len(nodes) == 0 {
		return nil
	}
	mv := reflect.MakeMapWithSize(f.Type(), len(nodes))
	for i, entry := range nodes {
		k := entry.kids[m.key()]
		if k == nil || !k.hasValue {
			continue
		}
		e := reflect.New(f.Type().Elem()).Elem()
		if val := entry.kids[m.value()]; val != nil {
			if err := c.decodeValue(val, e, QueryMember{}, path+"."+strconv.Itoa(i+1)+"."+m.value()); err != nil {
				return err
			}
		}
		mv.SetMapIndex(reflect.ValueOf(k.value).Convert(f.Type().Key()), e)
	}
	f.Set(mv)
	return nil
}

// invalidParameter is the error of a form value that does not parse as its
// member's type, with the service's validation code.
func (c *queryCodec) invalidParameter(path string, err error) *awserr.Error {
	code := c.spec.ValidationCode
	if code == "" {
		code = "ValidationException"
	}
	return awserr.New(http.StatusBadRequest, code, "Value for parameter %s is invalid. Reason: %v.", path, err)
}
