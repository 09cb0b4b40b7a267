package version

import (
	"runtime/debug"
	"testing"
)

func TestString(t *testing.T) {
	for _, tt := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{
			name: "built in a clean checkout",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "1a84df4c0ffee1234567890abcdef12345678901"}, {Key: "vcs.modified", Value: "false"}}},
			want: "nimbus dev (commit 1a84df4c0ffe; go1.26.8)",
		},
		{
			name: "built with uncommitted changes",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "1a84df4"}, {Key: "vcs.modified", Value: "true"}}},
			want: "nimbus dev (commit 1a84df4, modified; go1.26.8)",
		},
		{
			name: "go run records no commit",
			bi:   debug.BuildInfo{GoVersion: "go1.26.8"},
			want: "nimbus dev (commit unknown; go1.26.8)",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromBuildInfo("dev", &tt.bi).String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
