package logs

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A filterPattern decides whether a log message matches a CloudWatch Logs
// filter pattern. Patterns come in three syntaxes, told apart by their first
// character:
//
//   - terms: `ERROR "disk full" ?WARN ?FATAL -DEBUG %user [0-9]+%` — every
//     plain term and quoted phrase must occur (case-sensitive substring),
//     no -term may occur, and when ?terms are present at least one must
//     occur; %…% terms are regular expressions;
//   - JSON, in braces: `{ $.level = "error" && ($.latency > 100 || $.retry IS TRUE) }`;
//   - space-delimited, in brackets: `[ip, user, ..., status = 4*, bytes > 1000]`.
//
// The empty (or blank) pattern matches every message.
type filterPattern interface {
	Match(message string) bool
}

// errBadPattern matches (errors.Is) every filter-pattern syntax error.
var errBadPattern = errors.New("invalid filter pattern")

// patternError is a filter-pattern syntax error; its value says what is
// wrong.
type patternError string

func (e patternError) Error() string        { return "invalid filter pattern: " + string(e) }
func (e patternError) Is(target error) bool { return target == errBadPattern }

func badPattern(format string, args ...any) error {
	return patternError(fmt.Sprintf(format, args...))
}

// parseFilterPattern compiles a filter pattern.
func parseFilterPattern(src string) (filterPattern, error) {
	s := strings.TrimSpace(src)
	switch {
	case s == "":
		return matchAll{}, nil
	case s[0] == '{':
		if s[len(s)-1] != '}' {
			return nil, badPattern("JSON pattern must end with }")
		}
		return parseJSONPattern(s[1 : len(s)-1])
	case s[0] == '[':
		if s[len(s)-1] != ']' {
			return nil, badPattern("space-delimited pattern must end with ]")
		}
		return parseSpacePattern(s[1 : len(s)-1])
	}
	return parseTermPattern(s)
}

type matchAll struct{}

func (matchAll) Match(string) bool { return true }

// ---- term patterns ----

// term is one word, phrase or regular expression of a term pattern.
type term struct {
	text string
	re   *regexp.Regexp
}

func (t term) in(message string) bool {
	if t.re != nil {
		return t.re.MatchString(message)
	}
	return strings.Contains(message, t.text)
}

type termPattern struct {
	required, optional, excluded []term
}

func (p *termPattern) Match(message string) bool {
	for _, t := range p.required {
		if !t.in(message) {
			return false
		}
	}
	for _, t := range p.excluded {
		if t.in(message) {
			return false
		}
	}
	if len(p.optional) == 0 {
		return true
	}
	for _, t := range p.optional {
		if t.in(message) {
			return true
		}
	}
	return false
}

func parseTermPattern(s string) (filterPattern, error) {
	p := &termPattern{}
	for i := 0; ; {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return p, nil
		}
		list := &p.required
		switch s[i] {
		case '?':
			list = &p.optional
			i++
		case '-':
			list = &p.excluded
			i++
		}
		if i == len(s) || isSpace(s[i]) {
			return nil, badPattern("empty term at offset %d", i)
		}
		var t term
		switch s[i] {
		case '"':
			text, n, err := readQuoted(s[i:])
			if err != nil {
				return nil, err
			}
			t.text, i = text, i+n
		case '%':
			end := strings.IndexByte(s[i+1:], '%')
			if end <= 0 {
				return nil, badPattern("unterminated or empty regular expression at offset %d", i)
			}
			re, err := regexp.Compile(s[i+1 : i+1+end])
			if err != nil {
				return nil, badPattern("regular expression: %v", err)
			}
			t.re, i = re, i+end+2
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) {
				j++
			}
			t.text, i = s[i:j], j
		}
		*list = append(*list, t)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// readQuoted reads a double-quoted string at the start of s, with \" and \\
// escapes, and returns its contents and the bytes consumed.
func readQuoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
				b.WriteByte(s[i])
				continue
			}
			b.WriteByte(c)
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, badPattern("unterminated quoted string")
}

// ---- lexer shared by JSON and space-delimited patterns ----

type tokKind int

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokOp     // = != < <= > >=
	tokString // "quoted"
	tokWord   // anything else: selectors, names, bare values, keywords
)

type token struct {
	kind tokKind
	text string
}

func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "("})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")"})
			i++
		case strings.HasPrefix(s[i:], "&&"):
			toks = append(toks, token{tokAnd, "&&"})
			i += 2
		case strings.HasPrefix(s[i:], "||"):
			toks = append(toks, token{tokOr, "||"})
			i += 2
		case c == '=' || c == '<' || c == '>' || c == '!':
			op := string(c)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
			}
			if op == "!" {
				return nil, badPattern("unexpected ! at offset %d", i)
			}
			toks = append(toks, token{tokOp, op})
			i += len(op)
		case c == '"':
			text, n, err := readQuoted(s[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokString, text})
			i += n
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) && !strings.ContainsRune("()=<>!\"", rune(s[j])) &&
				!strings.HasPrefix(s[j:], "&&") && !strings.HasPrefix(s[j:], "||") {
				j++
			}
			toks = append(toks, token{tokWord, s[i:j]})
			i = j
		}
	}
	return append(toks, token{kind: tokEOF}), nil
}

// value is the right-hand side of a comparison.
type value struct {
	str    string
	num    float64
	isNum  bool
	quoted bool
}

func parseValue(t token) (value, error) {
	switch t.kind {
	case tokString:
		return value{str: t.text, quoted: true}, nil
	case tokWord:
		v := value{str: t.text}
		if f, err := strconv.ParseFloat(t.text, 64); err == nil {
			v.num, v.isNum = f, true
		}
		return v, nil
	}
	return value{}, badPattern("expected a value, got %q", t.text)
}

// compareNumber applies op to a and b.
func compareNumber(op string, a, b float64) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

// compareString applies = or != with * wildcards in the pattern.
func compareString(op, s, pattern string) bool {
	eq := globMatch(pattern, s)
	if op == "!=" {
		return !eq
	}
	return eq
}

// globMatch reports whether s matches pattern, where * matches any run of
// characters.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// checkOp refuses ordering comparisons of strings.
func checkOp(op string, v value) error {
	if !v.isNum && op != "=" && op != "!=" {
		return badPattern("operator %s needs a number, got %q", op, v.str)
	}
	return nil
}
