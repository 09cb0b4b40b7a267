package partiql

import (
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF     tokKind = iota
	tIdent           // a bare word: a name, keyword or function
	tQuoted          // a "quoted" name, case and all
	tString          // a 'string' literal
	tNumber          // a number literal, as written
	tParam           // ?
	tPunct           // ( ) [ ] { } , . : ; * = <> != < <= > >= + - << >> / % ||
	tKeyword         // a bare word that is a keyword (text lowercased)
)

type token struct {
	kind tokKind
	text string // the name, the literal's content, the lowercased keyword
	pos  Pos
}

// lexer splits a statement into tokens, counting lines and columns in
// characters as DynamoDB's positions do.
type lexer struct {
	src       string
	i         int
	line, col int // of src[i]
}

// lex returns the tokens of src, ending with a tEOF token, or the error
// DynamoDB answers for a statement its lexer refuses (the envelope with
// nothing after it).
func lex(src string) ([]token, error) {
	l := &lexer{src: src, line: 1, col: 1}
	var toks []token
	for {
		if err := l.skipSpace(); err != nil {
			return nil, err
		}
		if l.i >= len(l.src) {
			return append(toks, token{kind: tEOF, text: "<EOF>", pos: Pos{l.line, l.col, 0}}), nil
		}
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
	}
}

// advance moves past n bytes, counting characters and lines.
func (l *lexer) advance(n int) {
	for end := l.i + n; l.i < end; {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		l.i += size
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
}

func (l *lexer) skipSpace() error {
	for l.i < len(l.src) {
		switch c := l.src[l.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance(1)
		case strings.HasPrefix(l.src[l.i:], "--"):
			n := strings.IndexByte(l.src[l.i:], '\n')
			if n < 0 {
				n = len(l.src) - l.i
			}
			l.advance(n)
		case strings.HasPrefix(l.src[l.i:], "/*"):
			n := strings.Index(l.src[l.i+2:], "*/")
			if n < 0 {
				return malformed("")
			}
			l.advance(n + 4)
		default:
			return nil
		}
	}
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

// twoChar are the punctuation tokens of two characters.
var twoChar = []string{"<>", "!=", "<=", ">=", "<<", ">>", "||"}

func (l *lexer) next() (token, error) {
	start := Pos{Line: l.line, Col: l.col}
	begin := l.i
	c := l.src[l.i]
	tok := func(kind tokKind, text string) token {
		start.Len = utf8.RuneCountInString(l.src[begin:l.i])
		return token{kind: kind, text: text, pos: start}
	}
	switch {
	case isIdentStart(c):
		n := 1
		for l.i+n < len(l.src) && isIdentPart(l.src[l.i+n]) {
			n++
		}
		word := l.src[l.i : l.i+n]
		l.advance(n)
		if lower := strings.ToLower(word); keywords[lower] {
			return tok(tKeyword, lower), nil
		}
		return tok(tIdent, word), nil
	case c == '"' || c == '\'':
		s, ok := l.quoted(c)
		if !ok {
			return token{}, malformed("")
		}
		if c == '"' {
			return tok(tQuoted, s), nil
		}
		return tok(tString, s), nil
	case isDigit(c) || c == '.' && l.i+1 < len(l.src) && isDigit(l.src[l.i+1]):
		n, ok := l.number()
		if !ok {
			return token{}, malformed("")
		}
		text := l.src[l.i : l.i+n]
		l.advance(n)
		return tok(tNumber, text), nil
	case c == '?':
		l.advance(1)
		return tok(tParam, "?"), nil
	}
	for _, p := range twoChar {
		if strings.HasPrefix(l.src[l.i:], p) {
			l.advance(2)
			return tok(tPunct, p), nil
		}
	}
	if strings.IndexByte("()[]{},.:;*=<>+-/%", c) >= 0 {
		l.advance(1)
		return tok(tPunct, string(c)), nil
	}
	return token{}, malformed("")
}

// quoted reads a literal or name between quote characters, where a doubled
// quote stands for one.
func (l *lexer) quoted(q byte) (string, bool) {
	var b strings.Builder
	j := l.i + 1
	for j < len(l.src) {
		if l.src[j] == q {
			if j+1 < len(l.src) && l.src[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			l.advance(j + 1 - l.i)
			return b.String(), true
		}
		b.WriteByte(l.src[j])
		j++
	}
	return "", false
}

// maxExponent bounds a number literal's exponent and scale, as the
// reference lexer's 32-bit integers do.
const maxExponent = 1<<31 - 1

// number measures a number literal: digits [. digits] [e [+-] digits]. It
// refuses an exponent, or a scale (digits after the point less the
// exponent), that does not fit 32 bits, as DynamoDB does.
func (l *lexer) number() (int, bool) {
	s := l.src[l.i:]
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	frac := 0
	if n < len(s) && s[n] == '.' {
		n++
		for n < len(s) && isDigit(s[n]) {
			n++
			frac++
		}
	}
	if n < len(s) && (s[n] == 'e' || s[n] == 'E') {
		m := n + 1
		neg := false
		if m < len(s) && (s[m] == '+' || s[m] == '-') {
			neg = s[m] == '-'
			m++
		}
		if m >= len(s) || !isDigit(s[m]) {
			return n, true // "1e" is 1 then the name e
		}
		exp := int64(0)
		for m < len(s) && isDigit(s[m]) {
			if exp <= maxExponent {
				exp = exp*10 + int64(s[m]-'0')
			}
			m++
		}
		if neg {
			exp = -exp
		}
		if exp > maxExponent || exp < -maxExponent-1 || int64(frac)-exp > maxExponent {
			return 0, false
		}
		n = m
	}
	return n, true
}
