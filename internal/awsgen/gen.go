package main

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// generator holds one model and the names it assigns.
type generator struct {
	m        *model
	pkg      string
	reach    map[string]bool // structure shapes reachable from operations (not errors)
	inputs   map[string]bool // structure shapes reachable from operation inputs
	errs     map[string]bool // error shapes
	patterns map[string]string
	opNames  []string
	// validationCode is the error code of constraint violations.
	validationCode string
	// noValidate holds shapes whose constraints are left to the handlers.
	noValidate map[string]bool
	// external maps structure shapes to Go types defined by hand elsewhere
	// (DynamoDB's AttributeValue → attr.Value): no struct or validator is
	// generated for them, and their codec is theirs.
	external map[string]externalType
	// usedExternal records the external shapes the reachable shapes use.
	usedExternal map[string]bool
}

// externalType is a Go type in another package: import path and type name.
type externalType struct{ path, name string }

// qualified is the type as generated code names it (attr.Value).
func (e externalType) qualified() string {
	return e.path[strings.LastIndex(e.path, "/")+1:] + "." + e.name
}

// parseExternal reads "Shape=import/path.Type".
func parseExternal(spec string) (string, externalType, error) {
	shape, typ, ok := strings.Cut(spec, "=")
	dot := strings.LastIndex(typ, ".")
	if !ok || shape == "" || dot <= 0 || dot == len(typ)-1 {
		return "", externalType{}, fmt.Errorf("-external wants Shape=import/path.Type, not %q", spec)
	}
	return shape, externalType{path: typ[:dot], name: typ[dot+1:]}, nil
}

// externalImports lists the import paths of the external types in use.
func (g *generator) externalImports() []string {
	seen := map[string]bool{}
	var paths []string
	for name, e := range g.external {
		if !seen[e.path] && (g.reach[name] || g.usedExternal[name]) {
			seen[e.path] = true
			paths = append(paths, e.path)
		}
	}
	sort.Strings(paths)
	return paths
}

// reservedTypeNames are names a service package defines by hand.
var reservedTypeNames = map[string]bool{"Service": true, "Config": true, "Spec": true}

func newGenerator(m *model, pkg string) *generator {
	g := &generator{m: m, pkg: pkg, reach: map[string]bool{}, inputs: map[string]bool{}, errs: map[string]bool{}, patterns: map[string]string{},
		noValidate: map[string]bool{}, external: map[string]externalType{}, usedExternal: map[string]bool{}}
	for name := range m.Operations {
		g.opNames = append(g.opNames, name)
	}
	sort.Strings(g.opNames)
	return g
}

// prepare finds the shapes reachable from the operations; render calls it,
// once the generator is configured.
func (g *generator) prepare() {
	if len(g.reach) > 0 || len(g.errs) > 0 {
		return
	}
	m := g.m
	for _, name := range g.opNames {
		op := m.Operations[name]
		if op.Input != nil {
			g.walk(op.Input.Shape, g.inputs)
			g.walk(op.Input.Shape, g.reach)
		}
		if op.Output != nil {
			g.walk(op.Output.Shape, g.reach)
		}
		for _, e := range op.Errors {
			g.errs[e.Shape] = true
		}
	}
}

// walk adds to seen the structure shapes reachable from name.
func (g *generator) walk(name string, seen map[string]bool) {
	s := g.m.Shapes[name]
	if _, ok := g.external[name]; ok {
		g.usedExternal[name] = true
		return
	}
	switch s.Type {
	case "structure":
		// Event streams are not encoded yet; their members are not needed.
		if seen[name] || s.Exception || s.EventStream {
			return
		}
		seen[name] = true
		for _, mem := range sortedMembers(s) {
			g.walk(s.Members[mem].Shape, seen)
		}
	case "list":
		g.walk(s.Member.Shape, seen)
	case "map":
		g.walk(s.Key.Shape, seen)
		g.walk(s.Value.Shape, seen)
	}
}

func sortedMembers(s *shape) []string {
	names := make([]string, 0, len(s.Members))
	for n := range s.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// typeName is the Go name of a structure shape.
func typeName(shape string) string {
	n := exported(shape)
	if reservedTypeNames[n] {
		n += "Shape"
	}
	return n
}

func exported(name string) string {
	if name == "" {
		return name
	}
	r := []rune(name)
	r[0] = unicode.ToUpper(r[0])
	return strings.Map(func(c rune) rune {
		if unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' {
			return c
		}
		return '_'
	}, string(r))
}

// validationName is the member's name in AWS validation messages
// (lower camel case: "functionName", "vpcConfig").
func validationName(member string) string {
	r := []rune(member)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

func (g *generator) isJSON() bool {
	return g.m.Metadata.Protocol == "json" || g.m.Metadata.Protocol == "rest-json"
}

// goType is the Go type of a value of shape name; scalars are pointers when
// they are struct fields (pointer), values inside lists and maps.
func (g *generator) goType(name string, pointer bool) string {
	s := g.m.Shapes[name]
	ptr := ""
	if pointer {
		ptr = "*"
	}
	switch s.Type {
	case "structure":
		if e, ok := g.external[name]; ok {
			return ptr + e.qualified()
		}
		if s.Document {
			return "json.RawMessage"
		}
		return ptr + typeName(name)
	case "string":
		return ptr + "string"
	case "integer":
		return ptr + "int32"
	case "long":
		return ptr + "int64"
	case "boolean":
		return ptr + "bool"
	case "double", "float":
		return ptr + "float64"
	case "timestamp":
		return ptr + g.timeType(s.TimestampFormat)
	case "blob":
		return "[]byte"
	case "list":
		return "[]" + g.goType(s.Member.Shape, false)
	case "map":
		return "map[string]" + g.goType(s.Value.Shape, false)
	}
	panic("unknown shape type " + s.Type + " of " + name)
}

// timeType is the Go type of a timestamp with the model's format trait
// (empty: the protocol's default for bodies, epoch seconds in JSON and
// ISO 8601 in XML).
func (g *generator) timeType(format string) string {
	if format == "" && !g.isJSON() {
		format = "iso8601"
	}
	switch format {
	case "iso8601":
		return "awsproto.ISOTime"
	case "rfc822":
		return "awsproto.HTTPTime"
	}
	return "awsproto.Time"
}

func (g *generator) writeShapes(b *bytes.Buffer) {
	b.WriteString("import (\n\"encoding/json\"\n\n\"github.com/nimbus-dev/nimbus/internal/awsproto\"\n")
	for _, path := range g.externalImports() {
		fmt.Fprintf(b, "%q\n", path)
	}
	b.WriteString(")\n\n")
	b.WriteString("var _ json.RawMessage\nvar _ awsproto.Time\n\n")
	for _, name := range sortedKeys(g.reach) {
		s := g.m.Shapes[name]
		if s.Document {
			continue
		}
		fmt.Fprintf(b, "// %s is the %s shape of the %s model.\n", typeName(name), name, g.m.Metadata.ServiceID)
		fmt.Fprintf(b, "type %s struct {\n", typeName(name))
		for _, mem := range sortedMembers(s) {
			ref := s.Members[mem]
			ms := g.m.Shapes[ref.Shape]
			if ms.EventStream {
				fmt.Fprintf(b, "// %s is an event stream, which Nimbus does not encode yet.\n", exported(mem))
				fmt.Fprintf(b, "%s struct{} `json:\"-\"`\n", exported(mem))
				continue
			}
			typ := g.goType(ref.Shape, true)
			if ms.Type == "timestamp" && ref.TimestampFormat != "" {
				typ = "*" + g.timeType(ref.TimestampFormat)
			}
			fmt.Fprintf(b, "%s %s `%s`\n", exported(mem), typ, g.tags(s, mem, ref))
		}
		b.WriteString("}\n\n")
	}
}

// tags renders a member's struct tags: json for body members, aws for
// members bound elsewhere in the HTTP message.
func (g *generator) tags(parent *shape, mem string, ref *shapeRef) string {
	jsonName := mem
	if ref.LocationName != "" && ref.Location == "" {
		jsonName = ref.LocationName
	}
	switch {
	case parent.Payload == mem:
		return `json:"-" aws:"payload"`
	case ref.Location == "uri" || ref.Location == "querystring" || ref.Location == "header" || ref.Location == "headers":
		name := ref.LocationName
		if name == "" {
			name = mem
		}
		return fmt.Sprintf(`json:"-" aws:"%s=%s"`, ref.Location, name)
	case ref.Location == "statusCode":
		return `json:"-" aws:"statusCode"`
	}
	return fmt.Sprintf(`json:"%s,omitzero"`, jsonName)
}

func (g *generator) writeOperations(b *bytes.Buffer) {
	md := g.m.Metadata
	b.WriteString("import (\n\"context\"\n\n\"github.com/nimbus-dev/nimbus/internal/awserr\"\n\"github.com/nimbus-dev/nimbus/internal/awsproto\"\n)\n\n")
	signing := md.SigningName
	if signing == "" {
		signing = md.EndpointPrefix
	}
	protocol := map[string]string{
		"rest-json": "awsproto.RestJSON", "rest-xml": "awsproto.RestXML", "query": "awsproto.Query",
	}[md.Protocol]
	if md.Protocol == "json" {
		protocol = "awsproto.JSON" + strings.ReplaceAll(md.JSONVersion, ".", "")
	}
	fmt.Fprintf(b, "// spec describes the %s API as generated from its model; the operations call s's methods.\n", md.ServiceID)
	fmt.Fprintf(b, "func (s *Service) spec() *awsproto.Spec {\nreturn &awsproto.Spec{\n")
	fmt.Fprintf(b, "Name: %q,\nSigningName: %q,\nProtocol: %s,\nTargetPrefix: %q,\nAPIVersion: %q,\nXMLNamespace: %q,\nQueryCompatible: %v,\nValidationCode: %q,\n",
		md.ServiceID, signing, protocol, md.TargetPrefix, md.APIVersion, md.XMLNamespace, md.AWSQueryCompatible != nil, g.validationCode)
	if md.AWSQueryCompatible != nil {
		// The JSON model no longer says how query clients spell members;
		// the service package states it by hand in queryProtocol().
		b.WriteString("// queryProtocol is hand-written: this JSON model no longer spells members as query clients do.\n")
		b.WriteString("QueryProtocol: queryProtocol(),\n")
	}
	b.WriteString("Operations: []awsproto.Operation{\n")
	for _, name := range g.opNames {
		op := g.m.Operations[name]
		fmt.Fprintf(b, "{Name: %q, Method: %q, Path: %q, Status: %d,\n", name, op.HTTP.Method, op.HTTP.RequestURI, op.HTTP.ResponseCode)
		if op.Input != nil {
			in := typeName(op.Input.Shape)
			fmt.Fprintf(b, "NewInput: func() any { return new(%s) },\n", in)
			if op.Output != nil {
				fmt.Fprintf(b, "Call: func(ctx context.Context, in any) (any, error) { return s.%s(ctx, in.(*%s)) },\n", name, in)
			} else {
				fmt.Fprintf(b, "Call: func(ctx context.Context, in any) (any, error) { return nil, s.%s(ctx, in.(*%s)) },\n", name, in)
			}
		} else {
			b.WriteString("NewInput: func() any { return new(awsproto.Empty) },\n")
			if op.Output != nil {
				fmt.Fprintf(b, "Call: func(ctx context.Context, _ any) (any, error) { return s.%s(ctx) },\n", name)
			} else {
				fmt.Fprintf(b, "Call: func(ctx context.Context, _ any) (any, error) { return nil, s.%s(ctx) },\n", name)
			}
		}
		if op.Output != nil && g.m.Shapes[op.Output.Shape].Type == "structure" {
			if w := op.Output.ResultWrapper; w != "" {
				fmt.Fprintf(b, "ResultWrapper: %q,\n", w)
			}
		}
		b.WriteString("},\n")
	}
	b.WriteString("},\n}\n}\n\n")

	fmt.Fprintf(b, "// unimplemented answers every %s operation with NotImplemented. Service embeds it\n", md.ServiceID)
	b.WriteString("// and overrides the operations Nimbus serves.\ntype unimplemented struct{}\n\n")
	for _, name := range g.opNames {
		op := g.m.Operations[name]
		params := "ctx context.Context"
		if op.Input != nil {
			params += ", in *" + typeName(op.Input.Shape)
		}
		results, ret := "error", "return awserr.NotImplemented(%q, %q)"
		if op.Output != nil {
			results, ret = "(*"+typeName(op.Output.Shape)+", error)", "return nil, awserr.NotImplemented(%q, %q)"
		}
		fmt.Fprintf(b, "func (unimplemented) %s(%s) %s {\n"+ret+"\n}\n\n", name, params, results, md.ServiceID, name)
	}
}

func (g *generator) writeErrors(b *bytes.Buffer) {
	b.WriteString("import \"github.com/nimbus-dev/nimbus/internal/awserr\"\n\n")
	for _, name := range sortedKeys(g.errs) {
		s := g.m.Shapes[name]
		status := 400
		code := name
		if s.Error != nil {
			if s.Error.HTTPStatusCode != 0 {
				status = s.Error.HTTPStatusCode
			}
			if s.Error.Code != "" {
				code = s.Error.Code
			}
		}
		if s.Fault && (s.Error == nil || s.Error.HTTPStatusCode == 0) {
			status = 500
		}
		fmt.Fprintf(b, "// Err%s returns the model's %s error (HTTP %d).\n", exported(name), name, status)
		fmt.Fprintf(b, "func Err%s(format string, args ...any) *awserr.Error {\n", exported(name))
		fmt.Fprintf(b, "e := awserr.New(%d, %q, format, args...)\n", status, name)
		if code != name {
			fmt.Fprintf(b, "e.QueryCode = %q\n", code)
		}
		if _, ok := s.Members["Message"]; ok {
			b.WriteString("e.MessageMember = \"Message\"\n")
		}
		if _, ok := s.Members["Type"]; ok {
			kind := "User"
			if status >= 500 {
				kind = "Service"
			}
			fmt.Fprintf(b, "e.With(\"Type\", %q)\n", kind)
		}
		b.WriteString("return e\n}\n\n")
	}
}

func (g *generator) writeValidators(b *bytes.Buffer) {
	var body bytes.Buffer
	// Only inputs are validated; outputs are ours.
	for _, name := range sortedKeys(g.inputs) {
		s := g.m.Shapes[name]
		if s.Document {
			continue
		}
		fmt.Fprintf(&body, "// Validate checks %s against the model's constraints, reporting to v under path.\n", typeName(name))
		fmt.Fprintf(&body, "func (x *%s) Validate(v *awsproto.Validator, path string) {\n", typeName(name))
		body.WriteString("if x == nil {\nreturn\n}\n")
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		for _, mem := range sortedMembers(s) {
			ref := s.Members[mem]
			if g.m.Shapes[ref.Shape].EventStream {
				continue
			}
			g.validateMember(&body, "x."+exported(mem), fmt.Sprintf("v.Path(path, %q)", validationName(mem)), ref.Shape, required[mem], true)
		}
		body.WriteString("}\n\n")
	}
	b.WriteString("import \"github.com/nimbus-dev/nimbus/internal/awsproto\"\n\n")
	if len(g.patterns) > 0 {
		b.WriteString("var (\n")
		for _, pat := range sortedKeys(g.patterns) {
			fmt.Fprintf(b, "%s = awsproto.NewPattern(%s)\n", g.patterns[pat], strconv.Quote(pat))
		}
		b.WriteString(")\n\n")
	}
	b.Write(body.Bytes())
}

// validateMember writes the checks of one value. expr is the Go expression
// of the value, path the Go expression of its validation path.
func (g *generator) validateMember(b *bytes.Buffer, expr, path, shapeName string, required, pointer bool) {
	s := g.m.Shapes[shapeName]
	isScalarPtr := pointer && (s.Type == "string" || s.Type == "integer" || s.Type == "long" || s.Type == "boolean" || s.Type == "double" || s.Type == "float" || s.Type == "timestamp")
	nilable := isScalarPtr || s.Type == "structure" || s.Type == "list" || s.Type == "map" || s.Type == "blob"
	if required {
		if nilable {
			fmt.Fprintf(b, "v.Required(%s, %s != nil)\n", path, expr)
		}
	}
	val := expr
	if isScalarPtr {
		val = "*" + expr
	}
	var checks []string
	kind := s.Type
	if _, ext := g.external[shapeName]; g.noValidate[shapeName] || ext {
		kind = "unchecked"
	}
	switch kind {
	case "string":
		if s.Min != nil || s.Max != nil {
			checks = append(checks, fmt.Sprintf("v.Length(%s, %s, len([]rune(%s)), %s, %s)", path, val, val, bound(s.Min), bound(s.Max)))
		}
		if len(s.Enum) > 0 {
			checks = append(checks, fmt.Sprintf("v.Enum(%s, %s, %#v)", path, val, s.Enum))
		}
		if s.Pattern != "" {
			checks = append(checks, fmt.Sprintf("v.Pattern(%s, %s, %s)", path, val, g.pattern(s.Pattern)))
		}
	case "integer", "long", "double", "float":
		if s.Min != nil || s.Max != nil {
			checks = append(checks, fmt.Sprintf("v.Range(%s, float64(%s), %s, %s)", path, val, bound(s.Min), bound(s.Max)))
		}
	case "blob":
		if s.Min != nil || s.Max != nil {
			checks = append(checks, fmt.Sprintf("v.Length(%s, \"[blob]\", len(%s), %s, %s)", path, val, bound(s.Min), bound(s.Max)))
		}
	case "list", "map":
		if s.Min != nil || s.Max != nil {
			checks = append(checks, fmt.Sprintf("v.Length(%s, %s, len(%s), %s, %s)", path, val, val, bound(s.Min), bound(s.Max)))
		}
	case "structure":
		if !s.Document {
			checks = append(checks, fmt.Sprintf("%s.Validate(v, %s)", expr, path))
		}
	}
	if len(checks) > 0 {
		if isScalarPtr || (s.Type == "structure" && pointer) || ((s.Type == "list" || s.Type == "map" || s.Type == "blob") && pointer) {
			fmt.Fprintf(b, "if %s != nil {\n%s\n}\n", expr, strings.Join(checks, "\n"))
		} else {
			b.WriteString(strings.Join(checks, "\n") + "\n")
		}
	}
	switch s.Type {
	case "list":
		var inner bytes.Buffer
		g.validateMember(&inner, "e", "p", s.Member.Shape, false, false)
		if inner.Len() > 0 {
			// AWS reports an element's violation at the list's own path.
			fmt.Fprintf(b, "for _, e := range %s {\np := %s\n%s}\n", expr, path, inner.String())
		}
	case "map":
		var inner bytes.Buffer
		g.validateMember(&inner, "k", "p", s.Key.Shape, false, false)
		g.validateMember(&inner, "e", "p", s.Value.Shape, false, false)
		if inner.Len() > 0 {
			fmt.Fprintf(b, "for k, e := range %s {\np := %s\n_, _ = k, e\n%s}\n", expr, path, inner.String())
		}
	}
}

func bound(f *float64) string {
	if f == nil {
		return "awsproto.NoBound"
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

func (g *generator) pattern(p string) string {
	if name, ok := g.patterns[p]; ok {
		return name
	}
	name := fmt.Sprintf("pattern%d", len(g.patterns)+1)
	g.patterns[p] = name
	return name
}
