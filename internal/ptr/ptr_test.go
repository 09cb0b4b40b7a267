package ptr

import "testing"

func TestPointers(t *testing.T) {
	p := To(7)
	*p = 8
	if got := Value(p); got != 8 {
		t.Errorf("Value(To(7) set to 8) = %d", got)
	}
	if got := Value[string](nil); got != "" {
		t.Errorf("Value(nil) = %q, want zero", got)
	}
	if got := ValueOr(nil, int32(3)); got != 3 {
		t.Errorf("ValueOr(nil, 3) = %d", got)
	}
	if got := ValueOr(To(int32(5)), 3); got != 5 {
		t.Errorf("ValueOr(5, 3) = %d", got)
	}
}
