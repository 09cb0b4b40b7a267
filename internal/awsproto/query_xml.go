package awsproto

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/xml"
	"reflect"
	"sort"
	"strconv"
)

// encodeResponse renders a query answer:
// <OpResponse xmlns="…"><OpResult>…</OpResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>.
// The result element is there whenever the operation has an output type,
// even when the handler returned a nil one, since clients look for it.
func (c *queryCodec) encodeResponse(op *Operation, out any) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<" + op.Name + "Response")
	if ns := c.namespace(); ns != "" {
		b.WriteString(` xmlns="`)
		xml.EscapeText(&b, []byte(ns))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	if out != nil {
		wrapper := op.ResultWrapper
		if wrapper == "" {
			wrapper = op.Name + "Result"
		}
		b.WriteString("<" + wrapper + ">")
		if rv := reflect.ValueOf(out); rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct {
			c.writeFields(&b, rv.Elem())
		}
		b.WriteString("</" + wrapper + ">")
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	xml.EscapeText(&b, []byte(c.requestID))
	b.WriteString("</RequestId></ResponseMetadata></" + op.Name + "Response>")
	return b.Bytes()
}

// writeFields writes a struct's members as elements, in field order.
func (c *queryCodec) writeFields(b *bytes.Buffer, v reflect.Value) {
	for _, f := range c.spec.queryFields(v.Type()) {
		c.writeValue(b, f.member.Name, v.Field(f.index), f.member)
	}
}

// writeValue writes v as the element(s) name, spelled as m. Nil pointers,
// lists and maps are left out, as omitzero leaves them out of JSON.
func (c *queryCodec) writeValue(b *bytes.Buffer, name string, v reflect.Value, m QueryMember) {
	if v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.IsNil() {
		return
	}
	if text, ok := xmlText(v); ok {
		b.WriteString("<" + name + ">")
		xml.EscapeText(b, []byte(text))
		b.WriteString("</" + name + ">")
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		b.WriteString("<" + name + ">")
		c.writeFields(b, v)
		b.WriteString("</" + name + ">")
	case reflect.Slice, reflect.Array:
		item := name
		if !m.Flat {
			item = m.item()
			b.WriteString("<" + name + ">")
		}
		for i := 0; i < v.Len(); i++ {
			c.writeValue(b, item, v.Index(i), QueryMember{})
		}
		if !m.Flat {
			b.WriteString("</" + name + ">")
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		entry := name
		if !m.Flat {
			entry = "entry"
			b.WriteString("<" + name + ">")
		}
		for _, k := range keys {
			b.WriteString("<" + entry + "><" + m.key() + ">")
			xml.EscapeText(b, []byte(k.String()))
			b.WriteString("</" + m.key() + ">")
			c.writeValue(b, m.value(), v.MapIndex(k), QueryMember{})
			b.WriteString("</" + entry + ">")
		}
		if !m.Flat {
			b.WriteString("</" + name + ">")
		}
	}
}

// xmlText renders a scalar as XML text: timestamps as their type says
// (ISO 8601 unless the model says otherwise), blobs as base64.
func xmlText(v reflect.Value) (string, bool) {
	if v.CanInterface() {
		if tm, ok := v.Interface().(encoding.TextMarshaler); ok && v.Kind() == reflect.Struct {
			s, err := tm.MarshalText()
			return string(s), err == nil
		}
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64), true
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(v.Bytes()), true
		}
	}
	return "", false
}
