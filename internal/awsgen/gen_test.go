package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func tinyGenerator(t *testing.T) *generator {
	t.Helper()
	m, err := loadModel("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	return newGenerator(m, "tiny")
}

// TestGolden compares the generated files with testdata/golden; -update
// rewrites them.
func TestGolden(t *testing.T) {
	g := tinyGenerator(t)
	g.validationCode = "ValidationException"
	files, err := g.render()
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range files {
		golden := filepath.Join("testdata", "golden", name+".txt")
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s (-golden +generated):\n%s", name, diff)
		}
	}
}

// TestGeneratedCodeCompiles builds the generated package with a minimal
// hand-written Service, as a service package has.
func TestGeneratedCodeCompiles(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	g := tinyGenerator(t)
	files, err := g.render()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	files["service.go"] = []byte("package tiny\n\ntype Service struct{ unimplemented }\n\nvar _ = (*Service).spec\n")
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(goTool, "vet", "./"+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("generated code does not vet: %v\n%s", err, out)
	}
}

func TestValidationNames(t *testing.T) {
	for in, want := range map[string]string{"FunctionName": "functionName", "logGroupName": "logGroupName", "VPCConfig": "vPCConfig"} {
		if got := validationName(in); got != want {
			t.Errorf("validationName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := typeName("Service"); !strings.HasSuffix(got, "Shape") {
		t.Errorf("typeName(Service) = %q, want a name that does not collide with the hand-written Service", got)
	}
}

// A query-compatible model's spec takes the package's hand-written query
// spellings; other models' specs are as before.
func TestQueryCompatibleSpecsNameTheirQueryProtocol(t *testing.T) {
	for _, compatible := range []bool{false, true} {
		g := tinyGenerator(t)
		if compatible {
			g.m.Metadata.AWSQueryCompatible = &struct{}{}
		}
		files, err := g.render()
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(string(files["zz_operations.go"]), "QueryProtocol: queryProtocol(),")
		if got != compatible {
			t.Errorf("awsQueryCompatible %v: spec names queryProtocol() = %v", compatible, got)
		}
	}
}

// An external shape is named by its hand-written type, gets no struct and
// no validator, and its package is imported; the result still vets.
func TestExternalShapes(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	g := tinyGenerator(t)
	shape, typ, err := parseExternal("Part=net/netip.Addr")
	if err != nil {
		t.Fatal(err)
	}
	g.external[shape] = typ
	files, err := g.render()
	if err != nil {
		t.Fatal(err)
	}
	shapes := string(files["zz_shapes.go"])
	if strings.Contains(shapes, "type Part struct") || !strings.Contains(shapes, "[]netip.Addr") || !strings.Contains(shapes, `"net/netip"`) {
		t.Errorf("zz_shapes.go:\n%s", shapes)
	}
	if strings.Contains(string(files["zz_validate.go"]), "func (s *Part) Validate") {
		t.Error("a validator was generated for the external shape")
	}
	dir, err := os.MkdirTemp("testdata", "build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	files["service.go"] = []byte("package tiny\n\ntype Service struct{ unimplemented }\n\nvar _ = (*Service).spec\n")
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(goTool, "vet", "./"+dir).CombinedOutput(); err != nil {
		t.Fatalf("generated code does not vet: %v\n%s", err, out)
	}
	for _, bad := range []string{"Part", "Part=", "Part=Addr", "=net/netip.Addr", "Part=net/netip."} {
		if _, _, err := parseExternal(bad); err == nil {
			t.Errorf("parseExternal(%q) accepted it", bad)
		}
	}
}
