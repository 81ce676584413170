package dbtest_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"healthsync/devtools/dbtest"
)

// prepareCalls counts prepare runs: the template is built once per binary, not per test (on Citus, once per
// database: there is no template there).
var prepareCalls atomic.Int32

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, db *sqlx.DB) error {
		prepareCalls.Add(1)
		_, err := db.ExecContext(ctx, `
			CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);
			INSERT INTO notes (body) VALUES ('seeded by prepare');`)
		return err
	})
}

func count(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM notes`); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func TestDatabasesAreIsolated(t *testing.T) {
	a, b := dbtest.New(t), dbtest.New(t)

	var nameA, nameB string
	if err := a.Get(&nameA, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	if err := b.Get(&nameB, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Fatalf("both tests got database %q", nameA)
	}

	// Both start from the template, seed row included.
	if n := count(t, a); n != 1 {
		t.Fatalf("fresh database a has %d notes, want the 1 seeded by prepare", n)
	}
	a.MustExec(`INSERT INTO notes (body) VALUES ('only in a'), ('also only in a')`)
	b.MustExec(`DELETE FROM notes`)
	if n := count(t, a); n != 3 {
		t.Errorf("a has %d notes, want 3", n)
	}
	if n := count(t, b); n != 0 {
		t.Errorf("b has %d notes, want 0 (a's writes must not show)", n)
	}
	if n := prepareCalls.Load(); n != 1 && !dbtest.OnCitus() {
		t.Errorf("prepare ran %d times, want once", n)
	}
}

func TestParallelDatabases(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	t.Run("group", func(t *testing.T) {
		for i := range 16 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				db := dbtest.New(t)
				for range i {
					db.MustExec(`INSERT INTO notes (body) VALUES ('x')`)
				}
				if n := count(t, db); n != i+1 {
					t.Errorf("database of subtest %d has %d notes, want %d", i, n, i+1)
				}
				var name string
				if err := db.Get(&name, `SELECT current_database()`); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if seen[name] {
					t.Errorf("database %s handed out twice", name)
				}
				seen[name] = true
			})
		}
	})
	if len(seen) != 16 {
		t.Fatalf("got %d distinct databases, want 16", len(seen))
	}

	// All subtests are done, so their cleanups must have dropped their databases.
	db := dbtest.New(t)
	for name := range seen {
		var exists bool
		if err := db.Get(&exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Errorf("database %s still exists after its test ended", name)
		}
	}
}

func TestNewDSN(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := count(t, db); n != 1 {
		t.Errorf("database from NewDSN has %d notes, want 1", n)
	}
	// A connection the test forgets to close must not make the drop fail.
	if _, err := db.Exec(`SELECT 1`); err != nil {
		t.Fatal(err)
	}
}
