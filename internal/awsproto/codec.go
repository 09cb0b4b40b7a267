package awsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// Resolve finds the operation a request is for: by X-Amz-Target for the
// JSON protocols, by method and path for REST ones. An operation the model
// does not have is an UnknownOperationException (JSON) or a 404 (REST).
func (s *Spec) Resolve(r *http.Request) (*Operation, map[string]string, *awserr.Error) {
	s.init()
	switch s.Protocol {
	case JSON10, JSON11:
		target := r.Header.Get("X-Amz-Target")
		prefix, name, ok := strings.Cut(target, ".")
		if !ok || prefix != s.TargetPrefix {
			return nil, nil, awserr.New(http.StatusBadRequest, "UnknownOperationException", "")
		}
		if op := s.byName[name]; op != nil {
			return op, nil, nil
		}
		return nil, nil, awserr.New(http.StatusBadRequest, "UnknownOperationException", "")
	case RestJSON, RestXML:
		op, labels := s.Route(r)
		if op == nil {
			return nil, nil, awserr.New(http.StatusNotFound, "UnknownOperationException",
				"No %s operation matches %s %s", s.Name, r.Method, r.URL.EscapedPath())
		}
		return op, labels, nil
	}
	return nil, nil, awserr.NotImplemented(s.Name, "")
}

// Decode builds op's input from the request: path labels, query string,
// headers and body, as the input struct's tags bind them.
func (s *Spec) Decode(r *http.Request, body []byte, op *Operation, labels map[string]string) (any, *awserr.Error) {
	in := op.NewInput()
	v := reflect.ValueOf(in).Elem()
	payloadBound := false
	for _, b := range bindingsOf(v.Type()) {
		f := v.Field(b.index)
		var err error
		switch b.location {
		case "uri":
			if val, ok := labels[b.name]; ok {
				err = setFromString(f, val)
			}
		case "querystring":
			if f.Kind() == reflect.Map {
				m := reflect.MakeMap(f.Type())
				for k, vals := range r.URL.Query() {
					if len(vals) > 0 && m.Type().Elem().Kind() == reflect.String {
						m.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(vals[0]))
					}
				}
				f.Set(m)
				continue
			}
			for _, val := range r.URL.Query()[b.name] {
				if err = setFromString(f, val); err != nil || f.Kind() != reflect.Slice {
					break
				}
			}
		case "header":
			vals := r.Header.Values(b.name)
			if len(vals) == 0 {
				continue
			}
			if f.Kind() != reflect.Slice || f.Type().Elem().Kind() == reflect.Uint8 {
				err = setFromString(f, vals[0])
				break // to the error check below
			}
			// A list travels as one header line per element or as a
			// comma-separated line, with elements that hold commas quoted.
			for _, line := range vals {
				for _, item := range splitHeaderList(line) {
					if err = setFromString(f, item); err != nil {
						break
					}
				}
			}
		case "headers":
			m := reflect.MakeMap(f.Type())
			for k, vals := range r.Header {
				if len(k) >= len(b.name) && strings.EqualFold(k[:len(b.name)], b.name) && len(vals) > 0 {
					m.SetMapIndex(reflect.ValueOf(strings.ToLower(k[len(b.name):])), reflect.ValueOf(vals[0]))
				}
			}
			if m.Len() > 0 {
				f.Set(m)
			}
		case "payload":
			payloadBound = true
			err = decodePayload(f, body)
		}
		if err != nil {
			return nil, serializationError(fmt.Errorf("%s: %w", b.name, err))
		}
	}
	if !payloadBound && len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, in); err != nil {
			return nil, serializationError(err)
		}
	}
	return in, nil
}

func decodePayload(f reflect.Value, body []byte) error {
	switch {
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Uint8:
		if len(body) > 0 {
			f.SetBytes(body)
		}
		return nil
	case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String:
		if len(body) > 0 {
			s := string(body)
			f.Set(reflect.ValueOf(&s))
		}
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	p := reflect.New(f.Type().Elem())
	if err := json.Unmarshal(body, p.Interface()); err != nil {
		return err
	}
	f.Set(p)
	return nil
}

// coded is an error a decoder reports in AWS's own terms: a type that
// validates while it decodes (DynamoDB's attribute values) says which
// error to answer.
type coded interface {
	error
	AWSError() (code, message string)
}

func serializationError(err error) *awserr.Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var c coded
	switch {
	case errors.As(err, &c):
		code, msg := c.AWSError()
		return awserr.New(http.StatusBadRequest, code, "%s", msg)
	case errors.As(err, &syn):
		return awserr.New(http.StatusBadRequest, "SerializationException", "Could not parse the request body: %v", syn)
	case errors.As(err, &typ):
		return awserr.New(http.StatusBadRequest, "SerializationException",
			"Unexpected value for member %s: expected %s, got %s", typ.Field, typ.Type, typ.Value)
	}
	return awserr.New(http.StatusBadRequest, "SerializationException", "%v", err)
}

// contentType is the Content-Type of the protocol's bodies.
func (s *Spec) contentType() string {
	switch s.Protocol {
	case JSON10:
		return "application/x-amz-json-1.0"
	case JSON11:
		return "application/x-amz-json-1.1"
	}
	return "application/json"
}

// WriteOutput encodes a successful result. out may be nil for operations
// without output.
func (s *Spec) WriteOutput(w http.ResponseWriter, op *Operation, out any) {
	status := op.Status
	if status == 0 {
		status = http.StatusOK
	}
	h := w.Header()
	rv := reflect.ValueOf(out)
	if out == nil || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		if s.Protocol == JSON10 || s.Protocol == JSON11 {
			h.Set("Content-Type", s.contentType())
			s.setCRC32(h, []byte("{}"))
			w.WriteHeader(status)
			w.Write([]byte("{}"))
			return
		}
		w.WriteHeader(status)
		return
	}
	v := rv.Elem()
	var payload []byte
	hasPayload := false
	for _, b := range bindingsOf(v.Type()) {
		f := v.Field(b.index)
		switch b.location {
		case "header":
			if f.Kind() == reflect.Slice && f.Type().Elem().Kind() != reflect.Uint8 {
				for j := 0; j < f.Len(); j++ {
					if str, ok := formatString(f.Index(j)); ok {
						h.Add(b.name, quoteHeaderItem(str))
					}
				}
			} else if str, ok := formatString(f); ok {
				h.Set(b.name, str)
			}
		case "headers":
			for _, k := range f.MapKeys() {
				h.Set(b.name+k.String(), f.MapIndex(k).String())
			}
		case "statusCode":
			if !f.IsNil() {
				status = int(f.Elem().Int())
			}
		case "payload":
			hasPayload = true
			switch {
			case f.Kind() == reflect.Slice:
				payload = f.Bytes()
			case f.Kind() == reflect.Pointer && f.IsNil():
			case f.Type().Elem().Kind() == reflect.String:
				payload = []byte(f.Elem().String())
			default:
				payload, _ = json.Marshal(f.Interface())
			}
		}
	}
	if !hasPayload {
		var err error
		if a, ok := out.(JSONAppender); ok {
			payload, err = a.AppendJSON(nil)
		} else {
			payload, err = json.Marshal(out)
		}
		if err != nil {
			s.WriteError(w, awserr.Internal())
			return
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", s.contentType())
	}
	s.setCRC32(h, payload)
	w.WriteHeader(status)
	w.Write(payload)
}

// JSONAppender is an output that encodes its own JSON body. The outputs
// that carry many values with their own MarshalJSON (DynamoDB's items)
// implement it: encoding/json re-validates every byte each Marshaler
// returns, which costs more than encoding them.
type JSONAppender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// setCRC32 sets x-amz-crc32, the body's IEEE CRC-32 that DynamoDB sends
// and its SDKs check, when the service sends it.
func (s *Spec) setCRC32(h http.Header, body []byte) {
	if s.CRC32 {
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
}

// WriteError encodes e in the protocol's error shape.
func (s *Spec) WriteError(w http.ResponseWriter, e *awserr.Error) {
	WriteJSONError(w, s.Protocol, s.QueryCompatible, e)
}

// WriteJSONError writes e as the JSON protocols do: awsJson puts the code
// in "__type", restJson in the X-Amzn-ErrorType header; both send the
// message and the error shape's extra members in the body.
func WriteJSONError(w http.ResponseWriter, p Protocol, queryCompatible bool, e *awserr.Error) {
	h := w.Header()
	for k, vals := range e.Header {
		for _, v := range vals {
			h.Add(k, v)
		}
	}
	body := make(map[string]any, len(e.Fields)+2)
	for k, v := range e.Fields {
		body[k] = v
	}
	msgKey := e.MessageMember
	if msgKey == "" {
		msgKey = "message"
	}
	if e.Message != "" {
		body[msgKey] = e.Message
	}
	h.Set("X-Amzn-ErrorType", e.Code)
	switch p {
	case JSON10, JSON11:
		body["__type"] = e.Code
		h.Set("Content-Type", map[Protocol]string{JSON10: "application/x-amz-json-1.0", JSON11: "application/x-amz-json-1.1"}[p])
		if queryCompatible {
			code, fault := e.Code, "Sender"
			if e.QueryCode != "" {
				code = e.QueryCode
			}
			if e.Fault == awserr.Receiver {
				fault = "Receiver"
			}
			h.Set("X-Amzn-Query-Error", code+";"+fault)
		}
	default:
		h.Set("Content-Type", "application/json")
	}
	b, _ := json.Marshal(body)
	w.WriteHeader(e.Status)
	w.Write(b)
}

// splitHeaderList splits a header line holding a list: items separated by
// commas, an item in double quotes may hold commas and escaped quotes.
func splitHeaderList(line string) []string {
	var items []string
	for i := 0; i < len(line); {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < len(line) && line[i] == '"' {
			var b strings.Builder
			i++
			for i < len(line) && line[i] != '"' {
				if line[i] == '\\' && i+1 < len(line) {
					i++
				}
				b.WriteByte(line[i])
				i++
			}
			items = append(items, b.String())
			for i < len(line) && line[i] != ',' {
				i++
			}
			i++
			continue
		}
		end := strings.IndexByte(line[i:], ',')
		if end < 0 {
			end = len(line) - i
		}
		items = append(items, strings.TrimSpace(line[i:i+end]))
		i += end + 1
	}
	return items
}

// quoteHeaderItem quotes a list item that holds a comma or a quote.
func quoteHeaderItem(s string) string {
	if !strings.ContainsAny(s, ",\"") {
		return s
	}
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
