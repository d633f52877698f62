package autograd_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every exported operation (a function returning *Var, leaf constructors
// aside) has a PyTorch parity case in ops_torch_test.go or another
// *_torch_test.go file.
func TestTorchParityCoversEveryOp(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The cases are in ops_torch_test.go, and for some ops in a
	// *_torch_test.go file of their own.
	files, err := filepath.Glob("*_torch_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no parity test files (%v)", err)
	}
	used := map[string]bool{}
	for _, f := range files {
		if f == "coverage_torch_test.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`autograd\.([A-Z]\w*)\(`).FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	n := 0
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Recv != nil || !fn.Name.IsExported() || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
					continue
				}
				star, ok := fn.Type.Results.List[0].Type.(*ast.StarExpr)
				if !ok {
					continue
				}
				if id, ok := star.X.(*ast.Ident); !ok || id.Name != "Var" || fn.Name.Name == "Param" || fn.Name.Name == "Const" {
					continue
				}
				n++
				if !used[fn.Name.Name] {
					t.Errorf("autograd.%s has no PyTorch parity case", fn.Name.Name)
				}
			}
		}
	}
	if n < 40 {
		t.Fatalf("found only %d ops", n)
	}
}
