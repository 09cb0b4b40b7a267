// Package version says which Nimbus is running: the release version set at
// build time and the source commit Go records in the binary's build info.
package version

import (
	"runtime/debug"
	"strings"
)

// Version is Nimbus's release version, set at build time with
// -ldflags "-X github.com/nimbus-dev/nimbus/internal/version.Version=v1.2.3".
// The default is "dev".
var Version = "dev"

// Info is what a binary knows of its origin.
type Info struct {
	// Version is the release version ("dev" unless set at build time).
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, "" when the
	// build did not record one (go run, go test, or a build outside a
	// checkout: see go help buildinfo, -buildvcs).
	Commit string `json:"commit,omitempty"`
	// Modified reports uncommitted changes in the checkout at build time.
	Modified bool `json:"modified,omitempty"`
	// GoVersion is the toolchain that built the binary.
	GoVersion string `json:"go"`
}

// Get returns the running binary's Info.
func Get() Info {
	info := Info{Version: Version}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	return fromBuildInfo(Version, bi)
}

func fromBuildInfo(v string, bi *debug.BuildInfo) Info {
	info := Info{Version: v, GoVersion: bi.GoVersion}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one-line form `nimbus version` prints, e.g.
// "nimbus dev (commit 1a84df4c0ffe, modified; go1.26.8)".
func (i Info) String() string {
	var b strings.Builder
	b.WriteString("nimbus ")
	b.WriteString(i.Version)
	var details []string
	switch {
	case i.Commit != "":
		c := "commit " + i.Commit
		if len(i.Commit) > 12 {
			c = "commit " + i.Commit[:12]
		}
		if i.Modified {
			c += ", modified"
		}
		details = append(details, c)
	default:
		details = append(details, "commit unknown")
	}
	if i.GoVersion != "" {
		details = append(details, i.GoVersion)
	}
	b.WriteString(" (" + strings.Join(details, "; ") + ")")
	return b.String()
}
