package main

import (
	"debug/elf"
	"os/exec"
	"strings"
	"testing"
)

// TestStaticBinaryAndVersion: the release build (CGO_ENABLED=0) is one
// static binary, and `nimbus version` and `nimbus --version` name the
// commit it was built from.
func TestStaticBinaryAndVersion(t *testing.T) {
	bin := buildNimbus(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a dynamic loader (PT_INTERP): not a static binary", bin)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s links shared libraries %v", bin, libs)
	}

	var outs []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("nimbus %s: %v\n%s", args[0], err, out)
		}
		outs = append(outs, string(out))
	}
	if outs[0] != outs[1] {
		t.Errorf("nimbus version printed %q, nimbus --version %q", outs[0], outs[1])
	}
	if !strings.HasPrefix(outs[0], "nimbus ") {
		t.Errorf("nimbus version = %q", outs[0])
	}
	// In a git checkout the build records the commit.
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Logf("not in a git checkout (%v): the commit is not checked", err)
		return
	}
	if want := "commit " + strings.TrimSpace(string(head))[:12]; !strings.Contains(outs[0], want) {
		t.Errorf("nimbus version = %q, want it to say %q", outs[0], want)
	}
}
