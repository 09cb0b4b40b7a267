package awsproto

import (
	"fmt"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// NoBound marks a missing min or max in generated validators.
const NoBound = math.MaxFloat64

// Validator collects constraint violations in AWS's words ("Value 'x' at
// 'functionName' failed to satisfy constraint: Member must …").
type Validator struct {
	msgs []string
}

// Path joins a member's name onto its parent's path.
func (v *Validator) Path(parent, member string) string {
	if parent == "" {
		return member
	}
	return parent + "." + member
}

func (v *Validator) fail(path string, value any, constraint string) {
	v.msgs = append(v.msgs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must %s", render(value), path, constraint))
}

func render(value any) string {
	switch x := value.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	rv := reflect.ValueOf(value)
	if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() != reflect.Uint8 {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(value)
}

// Required reports a missing required member.
func (v *Validator) Required(path string, present bool) {
	if !present {
		v.msgs = append(v.msgs, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", path))
	}
}

// Length checks a string's, list's, map's or blob's length.
func (v *Validator) Length(path string, value any, n int, min, max float64) {
	if min != NoBound && float64(n) < min {
		v.fail(path, value, fmt.Sprintf("have length greater than or equal to %g", min))
	}
	if max != NoBound && float64(n) > max {
		v.fail(path, value, fmt.Sprintf("have length less than or equal to %g", max))
	}
}

// Range checks a number's value.
func (v *Validator) Range(path string, value, min, max float64) {
	if min != NoBound && value < min {
		v.fail(path, value, fmt.Sprintf("have value greater than or equal to %g", min))
	}
	if max != NoBound && value > max {
		v.fail(path, value, fmt.Sprintf("have value less than or equal to %g", max))
	}
}

// Enum checks that value is one of allowed.
func (v *Validator) Enum(path, value string, allowed []string) {
	for _, a := range allowed {
		if a == value {
			return
		}
	}
	v.fail(path, value, "satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// Pattern checks value against a model pattern. Patterns Go's regexp
// cannot compile (lookaheads) are not checked; handlers check what matters.
func (v *Validator) Pattern(path, value string, p *Pattern) {
	re := p.compiled()
	if re != nil && !re.MatchString(value) {
		v.fail(path, value, "satisfy regular expression pattern: "+p.source)
	}
}

// Err returns the collected violations as AWS's ValidationException, or nil.
func (v *Validator) Err() *awserr.Error {
	if len(v.msgs) == 0 {
		return nil
	}
	noun := "error"
	if len(v.msgs) > 1 {
		noun = "errors"
	}
	return awserr.New(http.StatusBadRequest, "ValidationException", "%d validation %s detected: %s", len(v.msgs), noun, strings.Join(v.msgs, "; "))
}

// Validate runs in's generated validator, if it has one, and answers the
// violations with the service's validation error code.
func (s *Spec) Validate(in any) *awserr.Error {
	if s.PreValidate != nil {
		if e := s.PreValidate(in); e != nil {
			return e
		}
	}
	vi, ok := in.(Validatable)
	if !ok {
		return nil
	}
	var v Validator
	vi.Validate(&v, "")
	e := v.Err()
	if e != nil && s.ValidationCode != "" {
		e.Code = s.ValidationCode
	}
	return e
}

// Pattern is a model pattern, compiled on first use so that start-up does
// not pay for patterns no request meets.
type Pattern struct {
	source string
	once   sync.Once
	re     *regexp.Regexp
}

// NewPattern returns a lazily compiled, fully anchored pattern.
func NewPattern(source string) *Pattern { return &Pattern{source: source} }

func (p *Pattern) compiled() *regexp.Regexp {
	p.once.Do(func() {
		re, err := regexp.Compile(`^(?:` + p.source + `)$`)
		if err == nil {
			p.re = re
		}
	})
	return p.re
}
