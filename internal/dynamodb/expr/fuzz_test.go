package expr

import (
	"testing"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

var fuzzSeeds = []string{
	"a = :a", "#n.b[1] <> :n", "a BETWEEN :n AND :n2", "a IN (:a, :n)", "NOT (a = :a OR b < :n) AND c >= :n",
	"attribute_exists(a.b) AND attribute_type(c, :t)", "begins_with(a, :a) OR contains(l, :n)", "size(l) > :n",
	"((a = :a))", "(a) = :a", "a = = b", "foo(", "SET a = :a", "SET a = b + :n, c = list_append(l, :l)",
	"SET a = if_not_exists(a, :n) REMOVE b, l[0] ADD n :n, s :ss DELETE s :ss", "remove a.b[2].c",
	"set a[1] = :a", "set #n = :a set b = :a", "ADD a :a", "DELETE d :ss", "SET a = :n - :n2",
}

func fuzzEnv(t *testing.T) (Names, Values, attr.Item) {
	ssv, _ := attr.StringSet("x", "y")
	n, _ := attr.Number("3")
	n2, _ := attr.Number("9")
	names := Names{"#n": "n", "#m": "m"}
	values := Values{":a": attr.String("a"), ":n": n, ":n2": n2, ":t": attr.String("S"), ":l": attr.List(n), ":ss": ssv}
	item := attr.Item{
		"a": attr.String("abc"), "n": n, "l": attr.List(n, attr.String("q"), attr.Map(attr.Item{"c": n})),
		"s": ssv, "m": attr.Map(attr.Item{"b": attr.List(n, n)}), "b": attr.Map(attr.Item{}),
	}
	return names, values, item
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, values, item := fuzzEnv(t)
		c, err := ParseCondition(s, names, values, &Usage{})
		if err != nil {
			return
		}
		if _, err := c.Eval(item); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Eval(nil); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseUpdate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, values, item := fuzzEnv(t)
		u, err := ParseUpdate(s, names, values, &Usage{})
		if err != nil {
			return
		}
		_, _ = u.Apply(item)
		_, _ = u.Apply(nil)
		if paths, err := ParseProjection(s, names, nil); err == nil {
			Project(item, paths)
		}
	})
}
