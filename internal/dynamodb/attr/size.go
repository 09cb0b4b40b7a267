package attr

// Item size, as DynamoDB counts it against its 400 KB item limit and for
// capacity units — "DynamoDB item sizes and formats",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html:
//
//   - an attribute is the UTF-8 bytes of its name plus its value;
//   - S: its UTF-8 bytes; B: its raw bytes (not the base64);
//   - N: 1 byte per two significant digits, plus 1 byte, leading and
//     trailing zeros trimmed — the page says "approximately"; we count
//     (digits+1)/2 + 1, and zero, having no significant digit, as 1;
//   - BOOL and NULL: 1 byte;
//   - L and M: 3 bytes, plus each element's size plus 1 byte (an M member's
//     size includes its name).
//
// The page does not list sets; we count a set as the sum of its members'
// sizes, each as the scalar of its kind.

// Size returns the bytes DynamoDB counts for an attribute named name with
// value v.
func Size(name string, v Value) int { return len(name) + valueSize(v) }

// ItemSize returns the bytes DynamoDB counts for the item: the sum of its
// attributes' Size.
func ItemSize(it Item) int {
	n := 0
	for name, v := range it {
		n += Size(name, v)
	}
	return n
}

func valueSize(v Value) int {
	n := 0
	switch v.kind {
	case S, B:
		return len(v.s)
	case N:
		return numberSize(v.s)
	case BOOL, NULL:
		return 1
	case SS, BS:
		for _, s := range v.strs() {
			n += len(s)
		}
	case NS:
		for _, s := range v.strs() {
			n += numberSize(s)
		}
	case L:
		n = 3
		for _, e := range v.elems() {
			n += 1 + valueSize(e)
		}
	case M:
		n = 3
		for name, e := range v.item() {
			n += 1 + len(name) + valueSize(e)
		}
	}
	return n
}

func numberSize(s string) int { return (significantDigits(s)+1)/2 + 1 }
