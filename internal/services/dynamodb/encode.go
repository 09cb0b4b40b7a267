package dynamodb

import (
	"encoding/json"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// The outputs that carry items encode them with attr's encoder, straight
// into the body (awsproto.JSONAppender): encoding/json would re-validate
// the JSON of every attribute value, which took a third of a Query's CPU.
// The other members go through encoding/json as usual.

// AppendJSON encodes o.
func (o *GetItemOutput) AppendJSON(dst []byte) ([]byte, error) {
	rest := *o
	rest.Item = nil
	return spliceMember(dst, &rest, "Item", o.Item != nil, func(b []byte) ([]byte, error) {
		return attr.AppendItemJSON(b, o.Item)
	})
}

// AppendJSON encodes o.
func (o *QueryOutput) AppendJSON(dst []byte) ([]byte, error) {
	rest := *o
	rest.Items = nil
	return spliceMember(dst, &rest, "Items", o.Items != nil, func(b []byte) ([]byte, error) { return appendItems(b, o.Items) })
}

// AppendJSON encodes o.
func (o *ScanOutput) AppendJSON(dst []byte) ([]byte, error) {
	rest := *o
	rest.Items = nil
	return spliceMember(dst, &rest, "Items", o.Items != nil, func(b []byte) ([]byte, error) { return appendItems(b, o.Items) })
}

// AppendJSON encodes o.
func (o *BatchGetItemOutput) AppendJSON(dst []byte) ([]byte, error) {
	rest := *o
	rest.Responses = nil
	return spliceMember(dst, &rest, "Responses", o.Responses != nil, func(b []byte) ([]byte, error) {
		b = append(b, '{')
		first := true
		for name, items := range o.Responses {
			if !first {
				b = append(b, ',')
			}
			first = false
			quoted, err := json.Marshal(name)
			if err != nil {
				return nil, err
			}
			b = append(append(b, quoted...), ':')
			if b, err = appendItems(b, items); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	})
}

// appendItems appends a JSON array of items.
func appendItems(b []byte, items []map[string]attr.Value) ([]byte, error) {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = attr.AppendItemJSON(b, it); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// spliceMember appends the JSON object of rest (encoding/json) with the
// member name, whose value value appends, put first when present.
func spliceMember(dst []byte, rest any, name string, present bool, value func([]byte) ([]byte, error)) ([]byte, error) {
	head, err := json.Marshal(rest)
	if err != nil {
		return nil, err
	}
	if !present {
		return append(dst, head...), nil
	}
	dst = append(append(append(dst, `{"`...), name...), `":`...)
	if dst, err = value(dst); err != nil {
		return nil, err
	}
	if len(head) > 2 { // more than "{}"
		return append(append(dst, ','), head[1:]...), nil
	}
	return append(dst, '}'), nil
}
