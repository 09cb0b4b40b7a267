package awsproto

import (
	"cmp"
	"context"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// QueryProtocol says how a service spells its members in the query
// protocol (form-encoded requests, XML answers) where that differs from
// the JSON member names of the generated structs. JSON services that older
// clients still call over query (SQS) set Spec.QueryProtocol; services
// whose model is query may too. The query codec fills and reads the same
// generated structs as the JSON one, by reflection; only the spellings
// the JSON models no longer carry are stated here. A QueryProtocol is
// read-only once in a Spec.
type QueryProtocol struct {
	// XMLNamespace is the xmlns of answers
	// ("http://queue.amazonaws.com/doc/2012-11-05/"). The default is the
	// Spec's XMLNamespace.
	XMLNamespace string
	// Members respells members, keyed by "<Go type>.<JSON name>"
	// ("SendMessageRequest.MessageAttributes"). A member not listed keeps
	// its JSON name, and its lists and maps are wrapped (Name.member.N,
	// Name.entry.N.key).
	Members map[string]QueryMember
	// PathMember names the input member (by JSON name) that a request
	// sent to a resource's own path stands for when the form leaves it
	// out: SQS clients post to the queue URL and may omit QueueUrl. The
	// member is then the URL the request was sent to. Empty: none.
	PathMember string
	// ErrorMessages holds, by query code, the messages the query protocol
	// words differently from the JSON one (SQS: "The specified queue does
	// not exist for this wsdl version."). An error with a listed code is
	// sent with the listed message.
	ErrorMessages map[string]string
}

// QueryMember is one member's spelling in the query protocol.
type QueryMember struct {
	// Name is the member's form key and XML element; the default is its
	// JSON name. Forms that spell it by its JSON name are accepted too
	// (botocore flattens maps under the member's name).
	Name string
	// Flat lists and maps repeat Name (Name.1, Name.2; <Name/><Name/>)
	// instead of wrapping their items (Name.member.1; <Name><member/></Name>).
	Flat bool
	// Item names a wrapped list's items; the default is "member".
	Item string
	// Key and Value name a map entry's parts; the defaults are "key" and
	// "value".
	Key, Value string
}

func (m QueryMember) item() string  { return cmp.Or(m.Item, "member") }
func (m QueryMember) key() string   { return cmp.Or(m.Key, "key") }
func (m QueryMember) value() string { return cmp.Or(m.Value, "value") }

// Codec reads one request and writes its answer in one wire protocol.
// *Spec is the codec of the service's own protocol; CodecFor picks one for
// a request.
type Codec interface {
	// Dispatch finds the operation, decodes and validates its input and
	// calls it; see Spec.Dispatch.
	Dispatch(ctx context.Context, r *http.Request, body []byte) (op *Operation, out any, err error)
	// WriteOutput encodes a successful result; out may be nil.
	WriteOutput(w http.ResponseWriter, op *Operation, out any)
	// WriteError encodes e in the protocol's error shape.
	WriteError(w http.ResponseWriter, e *awserr.Error)
}

var (
	_ Codec = (*Spec)(nil)
	_ Codec = (*queryCodec)(nil)
)

// CodecFor returns the codec of the protocol r speaks: the query protocol
// when s speaks it (see SpeaksQuery) and r is a query request (see
// IsQueryRequest), s's own protocol otherwise. requestID goes into XML
// bodies, which carry it.
func (s *Spec) CodecFor(r *http.Request, requestID string) Codec {
	if s.SpeaksQuery() && (s.Protocol == Query || IsQueryRequest(r)) {
		return &queryCodec{spec: s, requestID: requestID}
	}
	return s
}

// SpeaksQuery reports whether s answers query-protocol requests.
func (s *Spec) SpeaksQuery() bool { return s.Protocol == Query || s.QueryProtocol != nil }

// IsQueryRequest reports whether r looks like a query-protocol request: no
// X-Amz-Target, and a form-encoded body or an Action in the URL.
func IsQueryRequest(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/x-www-form-urlencoded" {
		return true
	}
	return strings.Contains(r.URL.RawQuery, "Action=") && r.URL.Query().Get("Action") != ""
}

// QueryAction returns the Action of a query request: from body, a form,
// without decoding the rest of it, or else from the URL (the body wins, as
// in Dispatch). The edge uses it to find the service of an unsigned
// request.
func QueryAction(r *http.Request, body []byte) string {
	if a := formValue(string(body), "Action"); a != "" {
		return a
	}
	return r.URL.Query().Get("Action")
}

// queryCodec is the query protocol's codec of one request.
type queryCodec struct {
	spec      *Spec
	requestID string
}

// query returns the spec's QueryProtocol, or the protocol's defaults.
func (c *queryCodec) query() *QueryProtocol {
	if c.spec.QueryProtocol != nil {
		return c.spec.QueryProtocol
	}
	return &QueryProtocol{}
}

func (c *queryCodec) namespace() string {
	if ns := c.query().XMLNamespace; ns != "" {
		return ns
	}
	return c.spec.XMLNamespace
}

// Dispatch reads the form (the URL's query and the body), finds the
// operation named by Action, decodes and validates its input and calls it.
func (c *queryCodec) Dispatch(ctx context.Context, r *http.Request, body []byte) (*Operation, any, error) {
	form, aerr := parseQueryForm(r.URL.RawQuery, string(body))
	if aerr != nil {
		return nil, nil, aerr
	}
	action := form.get("Action")
	if action == "" {
		return nil, nil, awserr.New(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action.")
	}
	op := c.spec.Operation(action)
	if op == nil {
		return nil, nil, awserr.New(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action)
	}
	in := op.NewInput()
	v := reflect.ValueOf(in).Elem()
	if aerr := c.decodeStruct(form, v, ""); aerr != nil {
		return op, nil, aerr
	}
	c.fillPathMember(r, v)
	if aerr := c.spec.Validate(in); aerr != nil {
		return op, nil, aerr
	}
	out, err := op.Call(ctx, in)
	return op, out, err
}

// fillPathMember sets the PathMember from the URL a request was posted to
// when the form left it out ("/000000000000/orders").
func (c *queryCodec) fillPathMember(r *http.Request, v reflect.Value) {
	name := c.query().PathMember
	if name == "" || strings.Trim(r.URL.Path, "/") == "" {
		return
	}
	for _, f := range c.spec.queryFields(v.Type()) {
		if f.json != name {
			continue
		}
		fv := v.Field(f.index)
		if fv.Kind() != reflect.Pointer || !fv.IsNil() || fv.Type().Elem().Kind() != reflect.String {
			return
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u := scheme + "://" + r.Host + r.URL.EscapedPath()
		fv.Set(reflect.ValueOf(&u))
		return
	}
}

// WriteOutput writes <OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>;
// operations without output have no result element.
func (c *queryCodec) WriteOutput(w http.ResponseWriter, op *Operation, out any) {
	body := c.encodeResponse(op, out)
	w.Header().Set("Content-Type", "text/xml")
	status := op.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(body)
}

// WriteError writes e as the query protocol's ErrorResponse, with its
// query code.
func (c *queryCodec) WriteError(w http.ResponseWriter, e *awserr.Error) {
	if msg, ok := c.query().ErrorMessages[cmp.Or(e.QueryCode, e.Code)]; ok {
		reworded := *e
		reworded.Message = msg
		e = &reworded
	}
	writeQueryError(w, e, c.requestID, c.namespace())
}

// queryField is a struct field as the query protocol spells it.
type queryField struct {
	index  int
	json   string // the JSON member name
	member QueryMember
}

// queryFields returns the body members of a generated struct type with
// their query spellings, cached per Spec.
func (s *Spec) queryFields(t reflect.Type) []queryField {
	if fs, ok := s.queryFieldCache.Load(t); ok {
		return fs.([]queryField)
	}
	var members map[string]QueryMember
	if s.QueryProtocol != nil {
		members = s.QueryProtocol.Members
	}
	var fs []queryField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Name
		if tag, ok := sf.Tag.Lookup("json"); ok {
			name, _, _ = strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
		}
		m := members[t.Name()+"."+name]
		if m.Name == "" {
			m.Name = name
		}
		fs = append(fs, queryField{index: i, json: name, member: m})
	}
	s.queryFieldCache.Store(t, fs)
	return fs
}
