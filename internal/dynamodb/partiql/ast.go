package partiql

import "strconv"

// Statement is a parsed statement: *Select, *Insert, *Update, *Delete or
// *Exists.
type Statement interface {
	// Params is the number of ? parameters the statement takes.
	Params() int
}

type params struct{ n int }

func (p params) Params() int { return p.n }

// Returning is an UPDATE's or DELETE's RETURNING clause.
type Returning uint8

// The RETURNING clauses.
const (
	ReturnNone Returning = iota
	ReturnAllOld
	ReturnModifiedOld
	ReturnAllNew
	ReturnModifiedNew
)

func (r Returning) String() string {
	return [...]string{"", "ALL OLD *", "MODIFIED OLD *", "ALL NEW *", "MODIFIED NEW *"}[r]
}

// Select is SELECT projection FROM table[.index] [WHERE …] [ORDER BY …].
type Select struct {
	params
	// Projection lists the projected paths; nil means *.
	Projection []*Path
	Table      string
	Index      string // "" for the table itself
	Where      Expr   // nil when there is no WHERE
	OrderBy    []OrderKey
}

// OrderKey is one key of an ORDER BY.
type OrderKey struct {
	Name string
	Desc bool
	Pos  Pos
}

// Insert is INSERT INTO table VALUE item.
type Insert struct {
	params
	Table string
	Item  Expr // a *Tuple or a *Param
}

// Update is UPDATE table SET …/REMOVE … WHERE … [RETURNING …].
type Update struct {
	params
	Table     string
	Actions   []Action
	Where     Expr
	Returning Returning
}

// Action is one SET path = value or REMOVE path of an UPDATE.
type Action struct {
	Remove bool
	Path   *Path
	Value  Expr // nil for REMOVE
}

// Delete is DELETE FROM table WHERE … [RETURNING ALL OLD *].
type Delete struct {
	params
	Table     string
	Where     Expr
	Returning Returning
}

// Exists is EXISTS(SELECT * FROM table WHERE key AND condition), a
// transaction's condition check.
type Exists struct {
	params
	Select *Select
}

// Expr is an expression of a WHERE, a SET value or an item: *Path,
// *Literal, *Param, *Binary, *Not, *Neg, *Between, *In, *Is, *Call,
// *List, *Bag or *Tuple.
type Expr interface {
	// At is where the expression starts in the statement.
	At() Pos
}

// PathElem is a step of a path: a name, or a list index.
type PathElem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path: name, then .name or [index] steps.
type Path struct {
	Pos   Pos
	Elems []PathElem
}

// LitKind is the kind of a literal.
type LitKind uint8

// The literal kinds.
const (
	LitString LitKind = iota
	LitNumber
	LitBool
	LitNull
	LitMissing
)

// Literal is 'text', a number, TRUE, FALSE, NULL or MISSING.
type Literal struct {
	Pos  Pos
	Kind LitKind
	Text string // the string, the number as written, "true" or "false"
}

// Param is the N-th ? of the statement, from 0.
type Param struct {
	Pos Pos
	N   int
}

// Binary is L Op R, Op one of AND OR = <> < <= > >= + -.
type Binary struct {
	Pos  Pos // of the operator
	Op   string
	L, R Expr
}

// Not is NOT X.
type Not struct {
	Pos Pos
	X   Expr
}

// Neg is -X (or +X, Plus).
type Neg struct {
	Pos  Pos
	X    Expr
	Plus bool
}

// Between is X [NOT] BETWEEN Lo AND Hi.
type Between struct {
	Pos       Pos
	X, Lo, Hi Expr
	Not       bool
}

// In is X [NOT] IN Set, Set a *List (of [..] or (..)) or a *Param.
type In struct {
	Pos Pos
	X   Expr
	Set Expr
	Not bool
}

// Is is X IS [NOT] Type, Type upper case (MISSING, NULL, STRING…).
type Is struct {
	Pos  Pos
	X    Expr
	Not  bool
	Type string
}

// Call is a function call; Name is lowercased.
type Call struct {
	Pos  Pos // of the name
	Name string
	Args []Expr
}

// List is [a, b] (or (a, b) after IN).
type List struct {
	Pos   Pos
	Elems []Expr
}

// Bag is <<a, b>>.
type Bag struct {
	Pos   Pos
	Elems []Expr
}

// Tuple is {'k': v, …}.
type Tuple struct {
	Pos    Pos
	Fields []Field
}

// Field is one key: value of a tuple.
type Field struct {
	Key   Expr
	Value Expr
}

func (e *Path) At() Pos    { return e.Pos }
func (e *Literal) At() Pos { return e.Pos }
func (e *Param) At() Pos   { return e.Pos }
func (e *Binary) At() Pos  { return e.L.At() }
func (e *Not) At() Pos     { return e.Pos }
func (e *Neg) At() Pos     { return e.Pos }
func (e *Between) At() Pos { return e.X.At() }
func (e *In) At() Pos      { return e.X.At() }
func (e *Is) At() Pos      { return e.X.At() }
func (e *Call) At() Pos    { return e.Pos }
func (e *List) At() Pos    { return e.Pos }
func (e *Bag) At() Pos     { return e.Pos }
func (e *Tuple) At() Pos   { return e.Pos }

// Name returns the path's name when it is a single top-level name, else "".
func (p *Path) Name() string {
	if len(p.Elems) == 1 && !p.Elems[0].IsIndex {
		return p.Elems[0].Name
	}
	return ""
}

// String renders the path as DynamoDB's messages do: a.b[1].
func (p *Path) String() string {
	s := ""
	for i, e := range p.Elems {
		switch {
		case e.IsIndex:
			s += "[" + strconv.Itoa(e.Index) + "]"
		case i > 0:
			s += "." + e.Name
		default:
			s += e.Name
		}
	}
	return s
}

// OutputName is the attribute a projected path is answered under: its last
// name and the list indexes after it (a.b[1] → b[1]), as DynamoDB does.
func (p *Path) OutputName() string {
	s := ""
	for _, e := range p.Elems {
		if e.IsIndex {
			s += "[" + strconv.Itoa(e.Index) + "]"
		} else {
			s = e.Name
		}
	}
	return s
}
