package attr

import "strings"

// Compare orders S values by their UTF-8 bytes, B values by their bytes
// (unsigned), and N values by number, as DynamoDB orders sort keys and
// evaluates < <= > >= BETWEEN; it returns -1, 0 or +1. Values of different
// kinds order by kind — B before N before S before all others — as their
// AppendKey encodings do. Two values of the same other kind compare as 0:
// use Equal for them.
func Compare(a, b Value) int {
	if a.kind != b.kind {
		ra, rb := kindRank(a.kind), kindRank(b.kind)
		switch {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	}
	switch a.kind {
	case S, B:
		return strings.Compare(a.s, b.s)
	case N:
		return compareNumbers(a.s, b.s)
	}
	return 0
}

// kindRank orders kinds as their key encodings do.
func kindRank(k Kind) int {
	switch k {
	case B:
		return tagB
	case N:
		return tagN
	case S:
		return tagS
	}
	return 0x100 + int(k)
}

// Equal reports whether a and b are the same value, as DynamoDB's = and
// <> compare: numbers by value, sets regardless of member order, lists in
// order, maps member by member.
func Equal(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case S, N, B: // numbers are normalized: equal text is equal value
		return a.s == b.s
	case BOOL:
		return a.b == b.b
	case SS, NS, BS:
		return sameMembers(a.strs(), b.strs())
	case L:
		al, bl := a.elems(), b.elems()
		if len(al) != len(bl) {
			return false
		}
		for i := range al {
			if !Equal(al[i], bl[i]) {
				return false
			}
		}
		return true
	case M:
		am, bm := a.item(), b.item()
		if len(am) != len(bm) {
			return false
		}
		for name, av := range am {
			bv, ok := bm[name]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	}
	return true // NULL, None
}

// sameMembers reports whether two duplicate-free sets hold the same
// strings.
func sameMembers(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) <= 16 {
		for _, s := range a {
			if !contains(b, s) {
				return false
			}
		}
		return true
	}
	in := make(map[string]struct{}, len(b))
	for _, s := range b {
		in[s] = struct{}{}
	}
	for _, s := range a {
		if _, ok := in[s]; !ok {
			return false
		}
	}
	return true
}

func contains(set []string, s string) bool {
	for _, m := range set {
		if m == s {
			return true
		}
	}
	return false
}

// Contains reports whether the set v holds the member of the scalar m of
// the matching kind (S in SS, N in NS, B in BS), as DynamoDB's contains()
// tests sets.
func (v Value) Contains(m Value) bool {
	switch {
	case v.kind == SS && m.kind == S, v.kind == NS && m.kind == N, v.kind == BS && m.kind == B:
		return contains(v.strs(), m.s)
	}
	return false
}
