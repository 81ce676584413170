package dbtest_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines bounds a function on the request path: one that long still reads on one screen, so a newcomer
// can follow an upload or a read step by step.
const maxFuncLines = 120

// requestPath are the packages a request runs through, from the module root (non-test files only).
var requestPath = []string{"ingest", "resolvers", "series", "db", "server", "cloud/cloudsync"}

// longFuncs reports every function or method declared in files longer than limit lines, counting from its
// func keyword (doc comment excluded) to its closing brace.
func longFuncs(fset *token.FileSet, files []*ast.File, limit int) []string {
	var out []string
	for _, f := range files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			from, to := fset.Position(fd.Pos()), fset.Position(fd.End())
			if n := to.Line - from.Line + 1; n > limit {
				out = append(out, fmt.Sprintf("%s:%d: %s is %d lines; at most %d: split it into named steps",
					from.Filename, from.Line, funcName(fd), n, limit))
			}
		}
	}
	return out
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if g, ok := t.(*ast.IndexExpr); ok { // a generic receiver
		t = g.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// The rule on the request path's packages.
func TestNoLongFunctionOnTheRequestPath(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range requestPath {
		dir := filepath.Join(root, filepath.FromSlash(pkg))
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("package %s: %v", pkg, err)
		}
		fset := token.NewFileSet()
		var files []*ast.File
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		if len(files) == 0 {
			t.Fatalf("package %s has no Go files under %s: the list is stale", pkg, dir)
		}
		for _, msg := range longFuncs(fset, files, maxFuncLines) {
			t.Error(strings.TrimPrefix(msg, root+string(filepath.Separator)))
		}
	}
}

// The rule catches a function one line over the limit and lets one at the limit pass.
func TestFuncRuleCatchesALongFunction(t *testing.T) {
	t.Parallel()
	body := func(name string, lines int) string { // lines counts the func line and the closing brace
		return "func " + name + "() {\n" + strings.Repeat("\t_ = 1\n", lines-2) + "}\n"
	}
	src := "package p\n\n" + body("atLimit", maxFuncLines) + body("over", maxFuncLines+1) +
		"type T struct{}\n\n// A doc comment does not count.\n" +
		strings.Replace(body("method", maxFuncLines+5), "func method", "func (t *T) method", 1)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	got := longFuncs(fset, []*ast.File{f}, maxFuncLines)
	if len(got) != 2 || !strings.Contains(got[0], " over is 121 lines") || !strings.Contains(got[1], " T.method is 125 lines") {
		t.Fatalf("flagged %q, want over (121 lines) and T.method (125 lines)", got)
	}
}
