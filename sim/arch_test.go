package sim

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
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
		problems = append(problems, checkPackage(t, d)...)
	}
	sort.Strings(problems)
	return problems
}

func checkPackage(t *testing.T, dir string) []string {
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
		return nil
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil), Error: func(error) {}}
	conf.Check(dir, fset, files, info) // partial info is enough; type errors are the compiler's job

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
	return out
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
	got := strings.Join(checkPackage(t, "testdata/archbad"), "\n")
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
