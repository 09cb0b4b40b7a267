package testenv

import (
	"fmt"
	"testing"
)

// recorder is a TB that records how the test ended.
type recorder struct{ skipped, failed string }

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestMissing(t *testing.T) {
	for _, tt := range []struct {
		name, ci            string
		wantSkip, wantFatal string
	}{
		{"developer machine", "", "skip: no node on PATH", ""},
		{"CI=false", "false", "skip: no node on PATH", ""},
		{"CI=true", "true", "", "CI=true and a test input is missing: no node on PATH"},
		{"CI=1", "1", "", "CI=true and a test input is missing: no node on PATH"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			var r recorder
			Missing(&r, "no %s on PATH", "node")
			if r.skipped != tt.wantSkip || r.failed != tt.wantFatal {
				t.Errorf("Missing: skipped %q, failed %q; want %q, %q", r.skipped, r.failed, tt.wantSkip, tt.wantFatal)
			}
		})
	}
}
