package eventpattern

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Messages AWS gives for an operator object with extra content.
const (
	msgOneKey  = "Only one key allowed in match expression"
	msgTooMany = "Too many elements in numeric expression" // also used for anything-but
)

// Numeric bounds of one-sided ranges.
const (
	minNumber = "-5000000000"
	maxNumber = "5000000000"
)

// parseOperator reads an operator object such as {"prefix": "us-"} whose '{'
// has been read, and adds it to rule.
func (c *compiler) parseOperator(rule *leafRule) error {
	tok, err := c.next()
	if err != nil {
		return err
	}
	name, ok := tok.(string)
	if !ok {
		return errorf("Match expression name not found")
	}
	var cond condition
	end := msgOneKey
	switch name {
	case "prefix", "suffix":
		cond, err = c.parseAffix(name)
	case "equals-ignore-case":
		var s string
		s, err = c.nextString("equals-ignore-case match pattern must be a string")
		cond = equalFold(s)
	case "wildcard":
		var s string
		if s, err = c.nextString("wildcard match pattern must be a string"); err == nil {
			cond, err = compileWildcard(s)
		}
	case "numeric":
		cond, err = c.parseNumeric()
		end = msgTooMany
	case "anything-but":
		cond, err = c.parseAnythingBut()
		end = msgTooMany
	case "exists":
		if tok, err = c.next(); err == nil {
			exists, ok := tok.(bool)
			if !ok {
				return errorf("exists match pattern must be either true or false.")
			}
			rule.existsTrue = rule.existsTrue || exists
			rule.existsFalse = rule.existsFalse || !exists
		}
	case "cidr":
		var s string
		if s, err = c.nextString("prefix match pattern must be a string"); err == nil { // sic: AWS's message
			cond, err = compileCIDR(s)
		}
	default:
		return errorf("Unrecognized match type %s", name)
	}
	if err != nil {
		return err
	}
	if err := c.expect('}', end); err != nil {
		return err
	}
	if cond != nil {
		rule.conds = append(rule.conds, cond)
	}
	return nil
}

// nextString reads a string token, refusing anything else with msg.
func (c *compiler) nextString(msg string) (string, error) {
	tok, err := c.next()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", errorf("%s", msg)
	}
	return s, nil
}

// parseAffix reads the operand of prefix or suffix: a string, or
// {"equals-ignore-case": string}.
func (c *compiler) parseAffix(op string) (condition, error) {
	tok, err := c.next()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		s, ok := tok.(string)
		if !ok {
			return nil, errorf("%s match pattern must be a string", op)
		}
		return affix{s: s, suffix: op == "suffix"}, nil
	}
	if tok, err = c.next(); err != nil {
		return nil, err
	}
	inner, ok := tok.(string)
	if !ok {
		return nil, errorf("%s expression name not found", strings.ToUpper(op[:1])+op[1:])
	}
	if inner != "equals-ignore-case" {
		return nil, errorf("Unsupported %s pattern: %s", op, inner)
	}
	s, err := c.nextString("equals-ignore-case match pattern must be a string")
	if err != nil {
		return nil, err
	}
	if err := c.expect('}', msgOneKey); err != nil {
		return nil, err
	}
	return affix{s: s, suffix: op == "suffix", fold: true}, nil
}

// parseNumeric reads the operand of numeric: ["=", n], [op, n], or
// [">" or ">=", n, "<" or "<=", m].
func (c *compiler) parseNumeric() (condition, error) {
	if err := c.expect('[', "Value of numeric must be an array."); err != nil {
		return nil, err
	}
	tok, err := c.next()
	if err != nil {
		return nil, err
	}
	op, ok := tok.(string)
	if !ok {
		return nil, errorf("Invalid member in numeric match: %s", tokenText(tok))
	}
	if tok, err = c.next(); err != nil {
		return nil, err
	}
	num, isNum := tok.(json.Number)
	switch {
	case op == "=" && !isNum:
		return nil, errorf("Value of equals must be numeric")
	case op != "=" && op != ">" && op != ">=" && op != "<" && op != "<=":
		return nil, errorf("Unrecognized numeric range operator: %s", op)
	case !isNum:
		return nil, errorf("Value of %s must be numeric", op)
	}
	if op == ">" || op == ">=" {
		return c.parseUpperBound(num.String(), op == ">")
	}
	if err := c.expect(']', msgTooMany); err != nil {
		return nil, err
	}
	if op == "=" {
		v, err := patternMicros(num.String())
		if err != nil {
			return nil, err
		}
		return numericRange{lo: v, hi: v}, nil
	}
	return newRange(minNumber, false, num.String(), op == "<")
}

// parseUpperBound reads what follows a lower bound: the end of the list, or
// "<" or "<=" and a number.
func (c *compiler) parseUpperBound(bottom string, openBottom bool) (condition, error) {
	tok, err := c.next()
	if err != nil {
		return nil, err
	}
	if tok == json.Delim(']') {
		return newRange(bottom, openBottom, maxNumber, false)
	}
	op, ok := tok.(string)
	if !ok {
		return nil, errorf("Bad value in numeric range: %s", tokenText(tok))
	}
	if op != "<" && op != "<=" {
		return nil, errorf("Bad numeric range operator: %s", op)
	}
	if tok, err = c.next(); err != nil {
		return nil, err
	}
	top, ok := tok.(json.Number)
	if !ok {
		return nil, errorf("Value of %s must be numeric", op)
	}
	if err := c.expect(']', "Too many terms in numeric range expression"); err != nil {
		return nil, err
	}
	return newRange(bottom, openBottom, top.String(), op == "<")
}

// newRange builds a numeric range, refusing an empty one as AWS does.
func newRange(bottom string, openBottom bool, top string, openTop bool) (condition, error) {
	b, _ := strconv.ParseFloat(bottom, 64) // ±Inf on overflow still orders correctly
	t, _ := strconv.ParseFloat(top, 64)
	if b >= t {
		return nil, errorf("Bottom must be less than top")
	}
	lo, err := patternMicros(bottom)
	if err != nil {
		return nil, err
	}
	hi, err := patternMicros(top)
	if err != nil {
		return nil, err
	}
	return numericRange{lo: lo, loOpen: openBottom, hi: hi, hiOpen: openTop}, nil
}

// parseAnythingBut reads the operand of anything-but: a string, a number, a
// list of strings or of numbers, or {op: string or list of strings} for op
// prefix, suffix, equals-ignore-case or wildcard.
func (c *compiler) parseAnythingBut() (condition, error) {
	tok, err := c.next()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return c.parseExcludedValues(tok)
	}
	if tok, err = c.next(); err != nil {
		return nil, err
	}
	op, ok := tok.(string)
	if !ok {
		return nil, errorf("Anything-But expression name not found")
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case", "wildcard":
	default:
		return nil, errorf("Unsupported anything-but pattern: %s", op)
	}
	cond, err := c.parseExcludedPatterns(op)
	if err != nil {
		return nil, err
	}
	if err := c.expect('}', msgTooMany); err != nil {
		return nil, err
	}
	return cond, nil
}

// parseExcludedValues reads the plain form of anything-but, starting at tok.
func (c *compiler) parseExcludedValues(tok json.Token) (condition, error) {
	switch v := tok.(type) {
	case string:
		return anythingBut{equalString{s: v}}, nil
	case json.Number:
		m, err := patternMicros(v.String())
		if err != nil {
			return nil, err
		}
		return anythingBut{numericRange{lo: m, hi: m}}, nil
	}
	if tok != json.Delim('[') {
		return nil, errorf("Value of anything-but must be an array or single string/number value.")
	}
	var not anythingBut
	strs, nums := 0, 0
	for {
		tok, err := c.next()
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case string:
			not = append(not, equalString{s: v})
			strs++
			continue
		case json.Number:
			m, err := patternMicros(v.String())
			if err != nil {
				return nil, err
			}
			not = append(not, numericRange{lo: m, hi: m})
			nums++
			continue
		}
		if tok == json.Delim(']') {
			break
		}
		return nil, errorf("Inside anything but list, start|null|boolean is not supported.")
	}
	if (strs == 0) == (nums == 0) {
		return nil, errorf("Inside anything but list, either all values are number or string, mixed type is not supported")
	}
	return not, nil
}

// msgNotString is AWS's message for a non-string operand of
// {"anything-but": {op: ...}}. For prefix it is the message SNS gives (Event
// Ruler's newer "prefix/suffix match pattern must be a string" is not used).
var msgNotString = map[string]string{
	"prefix":             "prefix match pattern must be a string",
	"suffix":             "suffix match pattern must be a string",
	"equals-ignore-case": "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
	"wildcard":           "wildcard match pattern must be a string",
}

// parseExcludedPatterns reads the operand of {"anything-but": {op: ...}}: a
// string or a list of strings.
func (c *compiler) parseExcludedPatterns(op string) (condition, error) {
	notString := msgNotString[op]
	tok, err := c.next()
	if err != nil {
		return nil, err
	}
	var operands []string
	switch v := tok.(type) {
	case string:
		operands = []string{v}
	case json.Delim:
		if v != '[' {
			return nil, errorf("%s", notString)
		}
		for {
			if tok, err = c.next(); err != nil {
				return nil, err
			}
			if tok == json.Delim(']') {
				break
			}
			s, ok := tok.(string)
			if !ok {
				return nil, errorf("%s", notString)
			}
			operands = append(operands, s)
		}
	default:
		return nil, errorf("%s", notString)
	}
	not := make(anythingBut, 0, len(operands))
	for _, s := range operands {
		switch op {
		case "prefix", "suffix":
			if s == "" {
				return nil, errorf("Null prefix/suffix not allowed")
			}
			not = append(not, affix{s: s, suffix: op == "suffix"})
		case "equals-ignore-case":
			not = append(not, equalFold(s))
		case "wildcard":
			w, err := compileWildcard(s)
			if err != nil {
				return nil, err
			}
			not = append(not, w)
		}
	}
	return not, nil
}

// compileWildcard and compileCIDR return a nil interface, not a typed nil,
// on error.
func compileWildcard(s string) (condition, error) {
	w, err := parseWildcard(s)
	if err != nil {
		return nil, err
	}
	return w, nil
}

func compileCIDR(s string) (condition, error) {
	p, err := parseCIDR(s)
	if err != nil {
		return nil, err
	}
	return cidr{p}, nil
}

// tokenText writes a token as AWS's parser shows it in messages.
func tokenText(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return v.String()
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return "null"
	}
	return fmt.Sprint(tok) // true or false
}
