package dbtest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// dbClock matches SQL that reads the database's clock.
var dbClock = regexp.MustCompile(`(?i)\b(now\(\)|current_timestamp|current_date|localtimestamp|clock_timestamp\(\)|transaction_timestamp\(\)|statement_timestamp\(\))`)

// clockMix is one function that reads a fixed clock and the database's clock.
type clockMix struct {
	pos   token.Position
	fn    string
	fixed string // what makes the clock fixed: time.Date(2026, ...) or the variable holding it
	sql   string // the database clock it meets
}

// findClockMixes reports the functions of the Go files in dir whose body uses both a fixed date (a
// time.Date or time.Parse of constants, or a package variable set to one) and SQL that reads the
// database's now(). Such a test passes only while the fixed date and the day it runs stay close.
func findClockMixes(fset *token.FileSet, files []*ast.File) []clockMix {
	// Package variables holding a fixed date, across the package's files.
	fixedVars := map[string]bool{}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if i < len(vs.Names) && fixedDate(v) != "" {
						fixedVars[vs.Names[i].Name] = true
					}
				}
			}
		}
	}
	var out []clockMix
	for _, f := range files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			var fixed, sql string
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if d := fixedDate(n); d != "" && fixed == "" {
						fixed = d
					}
				case *ast.Ident:
					if fixedVars[n.Name] && fixed == "" && n.Obj == nil {
						fixed = n.Name
					}
				case *ast.BasicLit:
					if n.Kind == token.STRING && sql == "" {
						if s, err := strconv.Unquote(n.Value); err == nil && looksLikeSQL(s) {
							if m := dbClock.FindString(s); m != "" {
								sql = m
							}
						}
					}
				}
				return true
			})
			if fixed != "" && sql != "" {
				out = append(out, clockMix{pos: fset.Position(fd.Pos()), fn: fd.Name.Name, fixed: fixed, sql: sql})
			}
		}
	}
	return out
}

func looksLikeSQL(s string) bool {
	u := strings.ToUpper(s)
	for _, kw := range []string{"SELECT ", "UPDATE ", "INSERT ", "DELETE ", "SET ", "VALUES"} {
		if strings.Contains(u, kw) {
			return true
		}
	}
	return false
}

// fixedDate names the call when it is time.Date(...) or time.Parse(...) of constants only.
func fixedDate(e ast.Expr) string {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return ""
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok || pkg.Name != "time" || (sel.Sel.Name != "Date" && sel.Sel.Name != "Parse") {
		return ""
	}
	for _, a := range call.Args {
		if !constant(a) {
			return ""
		}
	}
	return "time." + sel.Sel.Name + "(constants)"
}

func constant(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.SelectorExpr: // time.UTC, time.November
		return true
	case *ast.UnaryExpr:
		return constant(e.X)
	case *ast.BinaryExpr:
		return constant(e.X) && constant(e.Y)
	case *ast.ParenExpr:
		return constant(e.X)
	}
	return false
}

// The rule itself, on every package of the module: no function may meet a fixed date with the database's
// now(). Date the data from the clock the code under test uses instead (the scripts/with-time-shift run
// proves the suite does not depend on the day).
func TestNoFixedClockMeetsDatabaseNow(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found above dbtest: %v", err)
	}
	byDir := map[string][]string{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" || p == filepath.Join(root, "graph")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			byDir[filepath.Dir(p)] = append(byDir[filepath.Dir(p)], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	packages := 0
	for dir, paths := range byDir {
		fset := token.NewFileSet()
		// Test files of a package and of its _test package see each other's helpers only by name; one
		// list per folder is close enough for a lint.
		var files []*ast.File
		for _, p := range paths {
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		packages++
		for _, m := range findClockMixes(fset, files) {
			rel, _ := filepath.Rel(root, m.pos.Filename)
			found = append(found, rel+":"+strconv.Itoa(m.pos.Line)+": "+m.fn+" meets the fixed date "+m.fixed+" with the database's "+m.sql)
		}
		_ = dir
	}
	if packages < 20 {
		t.Fatalf("walked %d packages under %s; the module has more: the walk is broken", packages, root)
	}
	sort.Strings(found)
	for _, f := range found {
		t.Error(f)
	}
}

// The rule fails on the shape that broke the suite in November 2026 (a fixed clock, rows aged by now()).
func TestClockRuleCatchesAFixedClockBesideNow(t *testing.T) {
	t.Parallel()
	const src = `package p
var fixedNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
func TestPrune(t *testing.T) {
	start := fixedNow.Add(-24 * time.Hour)
	db.MustExec("UPDATE idempotency_keys SET created_at = now() - interval '40 days'")
	_ = start
}
func TestInline(t *testing.T) {
	db.Exec("INSERT INTO t (at) VALUES (now())", time.Date(2024, time.May, 1, 0, 0, 0, 0, time.UTC))
}
func TestRelative(t *testing.T) {
	db.Exec("INSERT INTO t (at) VALUES (now())", time.Now().Add(-time.Hour))
}
func TestFixedOnly(t *testing.T) {
	_ = fixedNow.Add(time.Hour)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p_test.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range findClockMixes(fset, []*ast.File{f}) {
		got = append(got, m.fn)
	}
	if strings.Join(got, ",") != "TestPrune,TestInline" {
		t.Fatalf("flagged %v, want [TestPrune TestInline]", got)
	}
}
