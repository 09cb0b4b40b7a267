// Package ptr has the pointer helpers the service packages use with the
// generated shapes, whose optional members are pointers.
package ptr

// To returns a pointer to a copy of v.
func To[T any](v T) *T { return &v }

// Value returns *p, or T's zero value when p is nil.
func Value[T any](p *T) T {
	var zero T
	return ValueOr(p, zero)
}

// ValueOr returns *p, or def when p is nil.
func ValueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
