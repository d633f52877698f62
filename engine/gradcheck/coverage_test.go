package gradcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"
)

// autogradOps lists the exported functions of engine/autograd that return
// a *Var (the differentiable operations), excluding leaf constructors.
func autogradOps(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Recv != nil || !fn.Name.IsExported() || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
					continue
				}
				if star, ok := fn.Type.Results.List[0].Type.(*ast.StarExpr); ok {
					if id, ok := star.X.(*ast.Ident); ok && id.Name == "Var" && fn.Name.Name != "Param" && fn.Name.Name != "Const" {
						ops = append(ops, fn.Name.Name)
					}
				}
			}
		}
	}
	if len(ops) < 40 {
		t.Fatalf("found only %d autograd ops: %v", len(ops), ops)
	}
	return ops
}

// Every differentiable autograd operation is exercised by the gradient
// checker's op cases, so a new op without a check fails here.
func TestEveryAutogradOpIsChecked(t *testing.T) {
	src, err := os.ReadFile("ops_test.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`autograd\.([A-Z]\w*)\(`).FindAllStringSubmatch(string(src), -1) {
		used[m[1]] = true
	}
	for _, op := range autogradOps(t, "../autograd") {
		if !used[op] {
			t.Errorf("autograd.%s has no gradient-check case in ops_test.go", op)
		}
	}
}
