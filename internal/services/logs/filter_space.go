package logs

import (
	"strconv"
	"strings"
)

// Space-delimited patterns: [ip, user, ..., status = 4*, bytes > 1000].

// spaceCond is one comparison of a field's value.
type spaceCond struct {
	op  string
	val value
}

func (c spaceCond) test(field string) bool {
	if c.val.isNum && !c.val.quoted {
		f, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return false
		}
		return compareNumber(c.op, f, c.val.num)
	}
	return compareString(c.op, field, c.val.str)
}

// spaceField is one slot of a space-delimited pattern: an ellipsis, or a
// named field with optional conditions in disjunctive normal form (an OR of
// ANDs).
type spaceField struct {
	ellipsis bool
	name     string
	anyOf    [][]spaceCond
}

func (f *spaceField) ok(field string) bool {
	if len(f.anyOf) == 0 {
		return true
	}
	for _, all := range f.anyOf {
		match := true
		for _, c := range all {
			if !c.test(field) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

type spacePattern struct {
	fields   []spaceField
	ellipsis bool
}

func parseSpacePattern(s string) (filterPattern, error) {
	p := &spacePattern{}
	for _, slot := range splitSlots(s) {
		slot = strings.TrimSpace(slot)
		if slot == "..." {
			p.fields = append(p.fields, spaceField{ellipsis: true})
			p.ellipsis = true
			continue
		}
		f, err := parseSlot(slot)
		if err != nil {
			return nil, err
		}
		p.fields = append(p.fields, f)
	}
	return p, nil
}

// splitSlots splits on commas outside double quotes.
func splitSlots(s string) []string {
	var slots []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				slots = append(slots, s[start:i])
				start = i + 1
			}
		}
	}
	return append(slots, s[start:])
}

func parseSlot(slot string) (spaceField, error) {
	toks, err := lex(slot)
	if err != nil {
		return spaceField{}, err
	}
	if toks[0].kind != tokWord {
		return spaceField{}, badPattern("expected a field name, got %q", toks[0].text)
	}
	f := spaceField{name: toks[0].text}
	if toks[1].kind == tokEOF {
		return f, nil
	}
	var all []spaceCond
	for i := 0; ; {
		if toks[i].kind != tokWord || toks[i].text != f.name {
			return spaceField{}, badPattern("condition on %q must name that field, got %q", f.name, toks[i].text)
		}
		if toks[i+1].kind != tokOp {
			return spaceField{}, badPattern("expected an operator after %q", f.name)
		}
		v, err := parseValue(toks[i+2])
		if err != nil {
			return spaceField{}, err
		}
		c := spaceCond{op: toks[i+1].text, val: v}
		if err := checkOp(c.op, c.val); err != nil {
			return spaceField{}, err
		}
		all = append(all, c)
		i += 3
		switch toks[i].kind {
		case tokEOF:
			f.anyOf = append(f.anyOf, all)
			return f, nil
		case tokAnd:
		case tokOr:
			f.anyOf = append(f.anyOf, all)
			all = nil
		default:
			return spaceField{}, badPattern("unexpected %q", toks[i].text)
		}
		i++
	}
}

// splitFields splits a log line into space-delimited fields; "quoted" and
// [bracketed] runs are one field, without their delimiters.
func splitFields(line string) []string {
	var fields []string
	for i := 0; i < len(line); {
		if isSpace(line[i]) {
			i++
			continue
		}
		var closer byte
		switch line[i] {
		case '"':
			closer = '"'
		case '[':
			closer = ']'
		}
		if closer != 0 {
			end := strings.IndexByte(line[i+1:], closer)
			if end < 0 {
				fields = append(fields, line[i+1:])
				break
			}
			fields = append(fields, line[i+1:i+1+end])
			i += end + 2
			continue
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		fields = append(fields, line[i:j])
		i = j
	}
	return fields
}

func (p *spacePattern) Match(message string) bool {
	tokens := splitFields(message)
	n, m := len(p.fields), len(tokens)
	if !p.ellipsis {
		if n != m {
			return false
		}
		for i := range p.fields {
			if !p.fields[i].ok(tokens[i]) {
				return false
			}
		}
		return true
	}
	// ok[j] after processing field i: fields i.. match tokens j..; computed
	// from the last field backwards in O(n·m).
	next := make([]bool, m+1)
	next[m] = true
	cur := make([]bool, m+1)
	for i := n - 1; i >= 0; i-- {
		f := &p.fields[i]
		for j := m; j >= 0; j-- {
			if f.ellipsis {
				cur[j] = next[j] || (j < m && cur[j+1])
			} else {
				cur[j] = j < m && next[j+1] && f.ok(tokens[j])
			}
		}
		next, cur = cur, next
	}
	return next[0]
}
