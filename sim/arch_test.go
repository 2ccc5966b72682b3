package sim

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// corePackages must stay deterministic (DESIGN.md, "Determinism checklist").
var corePackages = []string{"clock", "sim", "netmodel", "node", "policies"}

// Wall-clock and timer functions of package time.
var forbiddenTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
}

// The only math/rand/v2 functions that do not touch the global source.
var allowedRandV2 = map[string]bool{"New": true, "NewPCG": true, "NewChaCha8": true, "NewZipf": true}

// checkDir returns one line per determinism violation in the non-test Go
// files of dir (and its sub-packages, except testdata).
func checkDir(t *testing.T, dir string) []string {
	var problems []string
	var dirs []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if d.Name() == "testdata" && p != dir {
				return filepath.SkipDir
			}
			dirs = append(dirs, p)
		}
		return nil
	})
	for _, d := range dirs {
		found, err := checkPackage(t, d)
		if err != nil {
			t.Fatal(err)
		}
		problems = append(problems, found...)
	}
	sort.Strings(problems)
	return problems
}

// checkPackage returns one line per violation in dir's non-test files, or
// an error when the package does not type-check: a type error leaves holes
// in the type information (a map whose type is unknown is not seen as a
// map), so the checker refuses to judge such a package.
func checkPackage(t *testing.T, dir string) ([]string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, nil
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	var typeErrs []string
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil), Error: func(err error) { typeErrs = append(typeErrs, err.Error()) }}
	conf.Check(dir, fset, files, info)
	if len(typeErrs) > 0 {
		return nil, fmt.Errorf("%s does not type-check, so the determinism checker cannot judge it:\n%s", dir, strings.Join(typeErrs, "\n"))
	}

	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), fmt.Sprintf(format, args...)))
	}
	for _, f := range files {
		for _, imp := range f.Imports {
			switch p := strings.Trim(imp.Path.Value, `"`); p {
			case "math/rand", "crypto/rand":
				report(imp, "imports %s (use a stream from sim.Derive)", p)
			}
		}
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			switch x := n.(type) {
			case *ast.GoStmt:
				report(x, "starts a goroutine")
			case *ast.RangeStmt:
				if tv, ok := info.Types[x.X]; ok {
					if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
						report(x, "ranges over a map (iterate sorted keys)")
					}
				}
			case *ast.SelectorExpr:
				pkg := importedPackage(info, x)
				switch {
				case pkg == "time" && forbiddenTime[x.Sel.Name]:
					report(x, "calls time.%s (read the injected clock)", x.Sel.Name)
				case pkg == "math/rand/v2" && !allowedRandV2[x.Sel.Name] && isFunc(info, x):
					report(x, "calls the global rand.%s (use a derived *rand.Rand)", x.Sel.Name)
				case pkg == "maps" && (x.Sel.Name == "Keys" || x.Sel.Name == "Values" || x.Sel.Name == "All"):
					if !insideSorted(info, stack) {
						report(x, "iterates maps.%s unsorted", x.Sel.Name)
					}
				}
			}
			return true
		})
	}
	return out, nil
}

func importedPackage(info *types.Info, sel *ast.SelectorExpr) string {
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	if pn, ok := info.Uses[id].(*types.PkgName); ok {
		return pn.Imported().Path()
	}
	return ""
}

func isFunc(info *types.Info, sel *ast.SelectorExpr) bool {
	_, ok := info.Uses[sel.Sel].(*types.Func)
	return ok
}

// insideSorted reports whether the maps.Keys-like selector on top of stack
// is called as the argument of slices.Sorted or slices.SortedFunc, i.e. the
// stack ends in slices.Sorted(maps.Keys(m)) → maps.Keys(m) → maps.Keys.
func insideSorted(info *types.Info, stack []ast.Node) bool {
	if len(stack) < 3 {
		return false
	}
	outer, ok := stack[len(stack)-3].(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := outer.Fun.(*ast.SelectorExpr)
	return ok && importedPackage(info, sel) == "slices" && strings.HasPrefix(sel.Sel.Name, "Sorted")
}

func repoRoot(t *testing.T) string {
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("repo root not found from sim/: %v", err)
	}
	return dir
}

// TestCoreIsDeterministic walks the core packages and fails on any use of
// the wall clock, goroutines, global randomness or map iteration.
func TestCoreIsDeterministic(t *testing.T) {
	root := repoRoot(t)
	for _, p := range corePackages {
		dir := filepath.Join(root, p)
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("core package %s missing: %v", p, err)
		}
		for _, problem := range checkDir(t, dir) {
			t.Error(problem)
		}
	}
}

// TestCheckerCatchesViolations proves the checker above can fail: the
// testdata package breaks each rule once.
func TestCheckerCatchesViolations(t *testing.T) {
	found, err := checkPackage(t, "testdata/archbad")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(found, "\n")
	for _, want := range []string{
		"starts a goroutine", "calls time.Now", "calls time.Sleep", "imports math/rand",
		"calls the global rand.IntN", "ranges over a map", "iterates maps.Keys",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("checker missed %q; it reported:\n%s", want, got)
		}
	}
	if strings.Count(got, "iterates maps.Keys") != 1 {
		t.Errorf("slices.Sorted(maps.Keys(m)) must be allowed, the bare loop not:\n%s", got)
	}
	if strings.Contains(got, "rand.New") || strings.Contains(got, "NewPCG") {
		t.Errorf("checker flagged an allowed call:\n%s", got)
	}
}

// layering says which of the project's packages each package must not
// depend on, even indirectly (DESIGN.md's dependency direction: cmd → run
// layer (internal/run) → {scenarios, results} → sim/world → {sim, node,
// netmodel, policies} → clock; the engine below everything, node testable
// without an engine).
var layering = []struct {
	pkg       string
	forbidden []string
}{
	{"clock", []string{"sim", "sim/world", "netmodel", "node", "policies", "results", "scenarios", "internal/feed"}},
	{"sim", []string{"sim/world", "netmodel", "node", "policies", "policies/poldercast", "results", "scenarios", "internal/input", "internal/feed"}},
	{"node", []string{"sim", "sim/world", "netmodel", "policies", "results", "scenarios", "internal/feed"}},
	{"netmodel", []string{"sim", "sim/world", "node", "policies", "results", "scenarios", "internal/feed"}},
	{"policies", []string{"sim", "sim/world", "netmodel", "results", "scenarios", "internal/feed"}},
	// The world starts no goroutine: the run layer hands it its feed.
	{"sim/world", []string{"results", "scenarios", "policies", "internal/run", "internal/feed"}},
	{"sim/flood", []string{"results", "scenarios", "sim/world", "internal/run"}},
	{"results", []string{"scenarios", "internal/run"}},
	{"scenarios", []string{"results", "internal/run"}},
	{"internal/feed", []string{"sim", "sim/world", "netmodel", "policies", "results", "scenarios", "internal/run"}},
}

// TestEngineLayering checks the import graph with go list: the engine
// depends on clock alone among the project's packages, and no package
// reaches one it must not.
func TestEngineLayering(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the import graph: %v", err)
	}
	const mod = "github.com/dpsim/dpsim/"
	for _, l := range layering {
		cmd := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", "./"+l.pkg)
		cmd.Dir = repoRoot(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v", l.pkg, err)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			own, ok := strings.CutPrefix(d, mod)
			switch {
			case ok:
				deps[own] = true
			case l.pkg == "sim" && strings.Contains(strings.Split(d, "/")[0], "."):
				t.Errorf("the engine depends on %s; it may depend on clock and the standard library only", d)
			}
		}
		if !deps[l.pkg] {
			t.Fatalf("go list -deps ./%s did not list the package itself: %s", l.pkg, out)
		}
		for _, f := range l.forbidden {
			if deps[f] {
				t.Errorf("%s depends on %s; the layering forbids it", l.pkg, f)
			}
		}
		if l.pkg == "sim" {
			for _, d := range slices.Sorted(maps.Keys(deps)) {
				if d != "sim" && d != "clock" {
					t.Errorf("the engine depends on %s; it may depend on clock and the standard library only", d)
				}
			}
		}
	}
}

// TestCheckerRefusesTypeErrors: a package that does not type-check is
// an error, not a pass with holes.
func TestCheckerRefusesTypeErrors(t *testing.T) {
	_, err := checkPackage(t, "testdata/archbroken")
	if err == nil || !strings.Contains(err.Error(), "does not type-check") {
		t.Fatalf("checkPackage(archbroken) = %v, want a type-check error", err)
	}
}
