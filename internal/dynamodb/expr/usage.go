package expr

import (
	"fmt"
	"sort"
	"strings"
)

// Usage records which ExpressionAttributeNames and ExpressionAttributeValues
// the expressions of one request used; pass the same *Usage to every Parse
// call of the request, then call Check. The zero Usage is ready to use and a
// nil *Usage records nothing. A Usage is not safe for concurrent use.
type Usage struct {
	names, values map[string]bool
}

func (u *Usage) name(k string) {
	if u == nil {
		return
	}
	if u.names == nil {
		u.names = map[string]bool{}
	}
	u.names[k] = true
}

func (u *Usage) value(k string) {
	if u == nil {
		return
	}
	if u.values == nil {
		u.values = map[string]bool{}
	}
	u.values[k] = true
}

// Check returns DynamoDB's error for names or values the request defined
// but no expression used (names are reported first), or nil.
func (u *Usage) Check(names Names, values Values) error {
	var un, uv []string
	for k := range names {
		if u == nil || !u.names[k] {
			un = append(un, k)
		}
	}
	for k := range values {
		if u == nil || !u.values[k] {
			uv = append(uv, k)
		}
	}
	if len(un) > 0 {
		sort.Strings(un)
		return fail(fmt.Sprintf(msgUnusedNames, strings.Join(un, ", ")))
	}
	if len(uv) > 0 {
		sort.Strings(uv)
		return fail(fmt.Sprintf(msgUnusedValues, strings.Join(uv, ", ")))
	}
	return nil
}
