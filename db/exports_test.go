package db

import (
	"context"
	"testing"

	"healthsync/devtools/dbtest"
)

// The export promises everything the server holds of a user: every table with a user_id is either exported or
// named in NotExported with its reason. The list comes from the database's catalog, so a table added by a later
// migration fails here until someone decides.
func TestEveryUserTableIsExportedOrExplained(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	var tables []string
	if err := d.SelectContext(context.Background(), &tables, `
		SELECT c.table_name FROM information_schema.columns c
		JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.column_name = 'user_id' AND t.table_type = 'BASE TABLE'
		  AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if len(tables) < len(ExportKinds) {
		t.Fatalf("found %d user tables, fewer than the %d exported kinds: the catalog query is wrong", len(tables), len(ExportKinds))
	}
	exported := map[string]bool{}
	for _, k := range ExportKinds {
		if _, both := NotExported[k]; both {
			t.Errorf("%s is both exported and listed as not exported", k)
		}
		exported[k] = true
	}
	seen := map[string]bool{}
	for _, tb := range tables {
		seen[tb] = true
		if _, ok := NotExported[tb]; !exported[tb] && !ok {
			t.Errorf("user table %s is neither in ExportKinds nor in NotExported: decide whether an export carries it", tb)
		}
	}
	for _, k := range ExportKinds {
		if !seen[k] {
			t.Errorf("exported kind %s is not a table with a user_id", k)
		}
	}
}
