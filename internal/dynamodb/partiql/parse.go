package partiql

// Parse parses one statement of DynamoDB's PartiQL. Errors are *Error with
// DynamoDB's message.
func Parse(src string) (Statement, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	if p.isPunct(";") {
		p.next()
	}
	if p.peek().kind != tEOF {
		return nil, malformed(detailLeftover)
	}
	switch st := st.(type) {
	case *Select:
		st.n = p.params
	case *Insert:
		st.n = p.params
	case *Update:
		st.n = p.params
	case *Delete:
		st.n = p.params
	case *Exists:
		st.n = p.params
		st.Select.n = p.params
	}
	return st, nil
}

type parser struct {
	toks   []token
	i      int
	params int // ? seen so far
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tKeyword && t.text == kw
}

// accept consumes the keyword kw if it is next.
func (p *parser) accept(kw string) bool {
	if p.isKeyword(kw) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return malformed(detailToken)
	}
	p.next()
	return nil
}

// atEnd reports whether no term can follow: the end of the statement.
func (p *parser) atEnd() bool {
	return p.peek().kind == tEOF || p.isPunct(";")
}

func (p *parser) statement() (Statement, error) {
	switch {
	case p.isKeyword("select"):
		return p.selectStmt()
	case p.isKeyword("insert"):
		return p.insertStmt()
	case p.isKeyword("update"):
		return p.updateStmt()
	case p.isKeyword("delete"):
		return p.deleteStmt()
	case p.isKeyword("exists") && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "(":
		p.next()
		p.next()
		if !p.isKeyword("select") {
			return nil, malformed(detailDML)
		}
		sel, err := p.selectStmt()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &Exists{Select: sel}, nil
	}
	return nil, malformed(detailDML)
}

func (p *parser) selectStmt() (*Select, error) {
	p.next() // SELECT
	switch {
	case p.isKeyword("distinct"):
		return nil, fail(msgDistinct)
	case p.isKeyword("value"), p.isKeyword("pivot"):
		return nil, fail(msgSelectValue)
	}
	p.accept("all")
	s := &Select{}
	if p.isPunct("*") {
		p.next()
		if p.isPunct(",") {
			return nil, fail(msgStarAndOthers)
		}
	} else {
		for {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			path, ok := e.(*Path)
			if !ok {
				return nil, failAt(e.At(), msgPathComponent)
			}
			if p.isKeyword("as") || p.peek().kind == tIdent || p.peek().kind == tQuoted {
				return nil, fail(msgAliasing)
			}
			s.Projection = append(s.Projection, path)
			if p.isPunct(",") {
				p.next()
				if p.isPunct("*") {
					return nil, fail(msgStarAndOthers)
				}
				continue
			}
			break
		}
	}
	seen := map[string]bool{}
	for _, path := range s.Projection {
		name := path.OutputName()
		if seen[name] {
			return nil, fail(msgDuplicateSelect, name)
		}
		seen[name] = true
	}
	if !p.accept("from") {
		if p.atEnd() {
			return nil, malformed(detailTerm)
		}
		return nil, malformed(detailToken)
	}
	if err := p.source(s); err != nil {
		return nil, err
	}
	if p.accept("where") {
		w, err := p.expr()
		if err != nil {
			return nil, err
		}
		s.Where = w
	}
	if p.isKeyword("group") {
		return nil, fail(msgUnsupportedClause, "GROUP BY")
	}
	if p.isKeyword("having") {
		p.next()
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return nil, failAt(e.At(), msgUnsupportedClause, "HAVING")
	}
	if p.isKeyword("order") {
		if err := p.orderBy(s); err != nil {
			return nil, err
		}
	}
	if p.accept("limit") {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return nil, failAt(e.At(), msgUnsupportedClause, "LIMIT")
	}
	return s, nil
}

// source reads FROM's table[.index].
func (p *parser) source(s *Select) error {
	if p.atEnd() {
		return malformed(detailTerm)
	}
	var parts []string
	for {
		t := p.peek()
		switch {
		case t.kind == tIdent || t.kind == tQuoted:
			p.next()
			parts = append(parts, t.text)
		case len(parts) > 0:
			return malformed(detailDotComponent)
		case t.kind == tKeyword:
			return malformed(detailKeyword)
		default:
			return malformed(detailTerm)
		}
		if !p.isPunct(".") {
			break
		}
		p.next()
	}
	for _, part := range parts {
		if part == "" {
			return fail(msgEmptyComponent)
		}
	}
	if len(parts) > 2 {
		return fail(msgFromComponents)
	}
	s.Table = parts[0]
	if len(parts) == 2 {
		s.Index = parts[1]
	}
	switch t := p.peek(); {
	case t.kind == tIdent || t.kind == tQuoted || p.isKeyword("as") || p.isKeyword("at"):
		return fail(msgAliasing)
	case p.isPunct(","), p.isKeyword("join"), p.isKeyword("cross"), p.isKeyword("inner"), p.isKeyword("left"),
		p.isKeyword("right"), p.isKeyword("full"), p.isKeyword("outer"):
		return fail(msgSingleSource)
	}
	return nil
}

func (p *parser) orderBy(s *Select) error {
	p.next() // ORDER
	if !p.accept("by") {
		return malformed(detailToken)
	}
	for {
		t := p.peek()
		if t.kind != tIdent && t.kind != tQuoted {
			if t.kind == tKeyword {
				return malformed(detailKeyword)
			}
			return malformed(detailTerm)
		}
		p.next()
		k := OrderKey{Name: t.text, Pos: t.pos}
		if p.accept("desc") {
			k.Desc = true
		} else {
			p.accept("asc")
		}
		s.OrderBy = append(s.OrderBy, k)
		if !p.isPunct(",") {
			return nil
		}
		p.next()
	}
}

// tableName reads the table of INSERT, UPDATE and DELETE.
func (p *parser) tableName() (string, error) {
	t := p.peek()
	if t.kind != tIdent && t.kind != tQuoted {
		return "", malformed(detailSimplePath)
	}
	p.next()
	if t.text == "" {
		return "", fail(msgEmptyComponent)
	}
	return t.text, nil
}

// noAlias refuses an alias after the table of UPDATE and DELETE.
func (p *parser) noAlias() error {
	if t := p.peek(); t.kind == tIdent || t.kind == tQuoted || p.isKeyword("as") {
		return fail(msgAliasing)
	}
	return nil
}

func (p *parser) insertStmt() (*Insert, error) {
	p.next() // INSERT
	if !p.accept("into") {
		return nil, malformed(detailToken)
	}
	table, err := p.tableName()
	if err != nil {
		return nil, err
	}
	ins := &Insert{Table: table}
	switch {
	case p.accept("value"):
	case p.isKeyword("values"):
		return nil, fail(msgInsertMultiple)
	default:
		return nil, malformed(detailLeftover)
	}
	item, err := p.expr()
	if err != nil {
		return nil, err
	}
	switch item.(type) {
	case *Tuple, *Param:
	default:
		return nil, fail(msgItemFormat)
	}
	ins.Item = item
	if p.isKeyword("returning") {
		return nil, fail(msgInsertReturning)
	}
	return ins, nil
}

func (p *parser) updateStmt() (*Update, error) {
	p.next() // UPDATE
	table, err := p.tableName()
	if err != nil {
		return nil, err
	}
	if err := p.noAlias(); err != nil {
		return nil, err
	}
	u := &Update{Table: table}
	for {
		switch {
		case p.accept("set"):
			for {
				target, err := p.targetPath()
				if err != nil {
					return nil, err
				}
				if err := p.expectPunct("="); err != nil {
					return nil, err
				}
				if p.atEnd() {
					return nil, malformed(detailInfix)
				}
				v, err := p.expr()
				if err != nil {
					return nil, err
				}
				u.Actions = append(u.Actions, Action{Path: target, Value: v})
				if !p.isPunct(",") {
					break
				}
				p.next()
			}
			continue
		case p.accept("remove"):
			for {
				target, err := p.targetPath()
				if err != nil {
					return nil, err
				}
				u.Actions = append(u.Actions, Action{Remove: true, Path: target})
				if !p.isPunct(",") {
					break
				}
				p.next()
			}
			continue
		}
		break
	}
	if len(u.Actions) == 0 {
		if p.atEnd() {
			return nil, malformed(detailTerm)
		}
		return nil, malformed(detailToken)
	}
	if p.accept("where") {
		if u.Where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("returning") {
		if u.Returning, err = p.returning(); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// targetPath reads the path a SET or REMOVE changes.
func (p *parser) targetPath() (*Path, error) {
	t := p.peek()
	switch t.kind {
	case tIdent, tQuoted:
		return p.path()
	case tKeyword:
		return nil, malformed(detailKeyword)
	}
	if p.atEnd() {
		return nil, malformed(detailTerm)
	}
	return nil, malformed(detailToken)
}

func (p *parser) deleteStmt() (*Delete, error) {
	p.next() // DELETE
	if !p.accept("from") {
		return nil, malformed(detailToken)
	}
	table, err := p.tableName()
	if err != nil {
		return nil, err
	}
	if err := p.noAlias(); err != nil {
		return nil, err
	}
	d := &Delete{Table: table}
	if p.accept("where") {
		if d.Where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("returning") {
		if d.Returning, err = p.returning(); err != nil {
			return nil, err
		}
		if d.Returning != ReturnAllOld {
			return nil, fail(msgDeleteReturning, d.Returning)
		}
	}
	return d, nil
}

func (p *parser) returning() (Returning, error) {
	p.next() // RETURNING
	var r Returning
	switch {
	case p.accept("all"):
		switch {
		case p.accept("old"):
			r = ReturnAllOld
		case p.accept("new"):
			r = ReturnAllNew
		}
	case p.accept("modified"):
		switch {
		case p.accept("old"):
			r = ReturnModifiedOld
		case p.accept("new"):
			r = ReturnModifiedNew
		}
	}
	if r == ReturnNone {
		return 0, malformed(detailToken)
	}
	if !p.isPunct("*") {
		return 0, fail(msgReturningStar)
	}
	p.next()
	if p.isPunct(",") {
		return 0, fail(msgReturningMany)
	}
	return r, nil
}
