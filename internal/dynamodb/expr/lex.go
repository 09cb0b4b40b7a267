package expr

import "strings"

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // a bare word: attribute name, keyword or function
	tName           // #placeholder
	tValue          // :placeholder
	tNumber         // digits, a list index
	tPunct          // = <> < <= > >= ( ) [ ] , . + -
	tBad            // a character no token starts with
)

type token struct {
	kind     tokKind
	text     string
	pos, end int // byte offsets in the expression
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// lex splits s into tokens, ending with a tEOF token. A character that
// starts no token becomes a tBad token, which every parser refuses.
func lex(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		start := i
		var kind tokKind
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isIdentStart(c):
			kind = tIdent
			for i++; i < len(s) && isIdentPart(s[i]); i++ {
			}
		case c >= '0' && c <= '9':
			kind = tNumber
			for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			}
		case c == '#' || c == ':':
			kind = tName
			if c == ':' {
				kind = tValue
			}
			for i++; i < len(s) && isIdentPart(s[i]); i++ {
			}
		case c == '<' && i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '>'),
			c == '>' && i+1 < len(s) && s[i+1] == '=':
			kind = tPunct
			i += 2
		case strings.IndexByte("=<>()[],.+-", c) >= 0:
			kind = tPunct
			i++
		default:
			kind = tBad
			i++
			for i < len(s) && s[i]&0xC0 == 0x80 { // the rest of a UTF-8 sequence
				i++
			}
		}
		toks = append(toks, token{kind: kind, text: s[start:i], pos: start, end: i})
	}
	return append(toks, token{kind: tEOF, text: "<EOF>", pos: len(s), end: len(s)})
}

// near returns the text DynamoDB quotes after "near:" for a syntax error at
// toks[i]: from the token before it to the token after it.
func near(src string, toks []token, i int) string {
	start, end := toks[i].pos, toks[i].end
	if i > 0 {
		start = toks[i-1].pos
	}
	if toks[i].kind == tEOF && i > 0 {
		end = toks[i-1].end
	} else if i+1 < len(toks) && toks[i+1].kind != tEOF {
		end = toks[i+1].end
	}
	return src[start:end]
}
