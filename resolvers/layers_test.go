package resolvers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Resolvers map GraphQL to one service call and back; transactions, SQL and driver errors belong to the
// services and db. Test files are exempt: they may build driver errors to check how PresentError shows them.
var (
	forbiddenImports = map[string]string{
		"database/sql":            "SQL belongs in db/",
		"github.com/jmoiron/sqlx": "SQL belongs in db/",
		"github.com/lib/pq":       "driver errors are classified in db/ (db.IsStorageError, db.IsInvalidText)",
	}
	// forbiddenDBNames are the storage handles a resolver must not hold or call: a service opens the
	// transaction.
	forbiddenDBNames = map[string]bool{"Store": true, "Tx": true}
)

func TestResolversStayThin(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, problem := range layerProblems(fset, f) {
			t.Error(problem)
		}
	}
	if checked == 0 {
		t.Fatal("no resolver files found: the rule checked nothing")
	}
}

// layerProblems lists what f does that a resolver must not: forbidden imports, db.Store or db.Tx, InUserTx.
func layerProblems(fset *token.FileSet, f *ast.File) []string {
	var out []string
	dbName := ""
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if why, bad := forbiddenImports[path]; bad {
			out = append(out, fset.Position(imp.Pos()).String()+": imports "+path+": "+why)
		}
		if path == "healthsync/db" {
			dbName = "db"
			if imp.Name != nil {
				dbName = imp.Name.Name
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && dbName != "" && id.Name == dbName && forbiddenDBNames[n.Sel.Name] {
				out = append(out, fset.Position(n.Pos()).String()+": uses db."+n.Sel.Name+": a service owns storage and its transactions")
			}
		case *ast.Ident:
			if n.Name == "InUserTx" {
				out = append(out, fset.Position(n.Pos()).String()+": refers to InUserTx: a service opens the user's transaction")
			}
		}
		return true
	})
	return out
}

// The rule must see what it forbids: a resolver written the old way fails it on every count.
func TestLayerRuleCatchesTheOldShape(t *testing.T) {
	const old = `package resolvers

import (
	"database/sql"
	store "healthsync/db"
	"github.com/lib/pq"
)

type R struct{ S *store.Store }

func (r *R) read(ctx context.Context) error {
	return r.S.InUserTx(ctx, 1, func(tx *store.Tx) error { var e *pq.Error; _ = e; return sql.ErrNoRows })
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "old.go", old, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(layerProblems(fset, f), "\n")
	for _, want := range []string{"imports database/sql", "imports github.com/lib/pq", "uses db.Store", "uses db.Tx", "refers to InUserTx"} {
		if !strings.Contains(got, want) {
			t.Errorf("the rule missed %q; it said:\n%s", want, got)
		}
	}
}
