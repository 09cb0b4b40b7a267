package awsproto

import (
	"encoding"
	"encoding/base64"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// binding is how one struct field travels outside the JSON body.
type binding struct {
	index    int
	location string // uri, querystring, header, headers, statusCode, payload
	name     string
}

var bindingCache sync.Map // reflect.Type → []binding

// bindingsOf returns the non-body fields of a generated struct type.
func bindingsOf(t reflect.Type) []binding {
	if b, ok := bindingCache.Load(t); ok {
		return b.([]binding)
	}
	var bs []binding
	for i := 0; i < t.NumField(); i++ {
		tag, ok := t.Field(i).Tag.Lookup("aws")
		if !ok {
			continue
		}
		loc, name, _ := strings.Cut(tag, "=")
		bs = append(bs, binding{index: i, location: loc, name: name})
	}
	bindingCache.Store(t, bs)
	return bs
}

// setFromString parses s into a field of a generated struct.
func setFromString(f reflect.Value, s string) error {
	t := f.Type()
	if t.Kind() == reflect.Pointer {
		v := reflect.New(t.Elem())
		if err := setFromString(v.Elem(), s); err != nil {
			return err
		}
		f.Set(v)
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", s)
		}
		f.SetBool(b)
	case reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		f.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		f.SetFloat(n)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return fmt.Errorf("%q is not base64", s)
			}
			f.SetBytes(b)
			return nil
		}
		e := reflect.New(t.Elem()).Elem()
		if err := setFromString(e, s); err != nil {
			return err
		}
		f.Set(reflect.Append(f, e))
	case reflect.Struct:
		if tu, ok := f.Addr().Interface().(encoding.TextUnmarshaler); ok {
			return tu.UnmarshalText([]byte(s))
		}
		return fmt.Errorf("cannot bind %s from text", t)
	default:
		return fmt.Errorf("cannot bind %s from text", t)
	}
	return nil
}

// formatString renders a field for a header or query string; ok is false
// for a nil pointer.
func formatString(f reflect.Value) (string, bool) {
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return "", false
		}
		f = f.Elem()
	}
	switch f.Kind() {
	case reflect.String:
		return f.String(), true
	case reflect.Bool:
		return strconv.FormatBool(f.Bool()), true
	case reflect.Int32, reflect.Int64:
		return strconv.FormatInt(f.Int(), 10), true
	case reflect.Float64:
		return strconv.FormatFloat(f.Float(), 'f', -1, 64), true
	case reflect.Slice:
		if f.Type().Elem().Kind() == reflect.Uint8 {
			if f.IsNil() {
				return "", false
			}
			return base64.StdEncoding.EncodeToString(f.Bytes()), true
		}
	case reflect.Struct:
		switch tm := f.Interface().(type) {
		case Time: // a header's default format is an HTTP date
			return tm.UTC().Format(http.TimeFormat), true
		case encoding.TextMarshaler:
			b, err := tm.MarshalText()
			return string(b), err == nil
		}
	}
	return "", false
}
