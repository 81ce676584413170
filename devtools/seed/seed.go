// Package seed gives a service test a migrated database of its own, the ingest service that fills it, and its
// users: the set-up every service test against real PostgreSQL starts with.
package seed

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

// Main is dbtest.Main with the schema's migrations, for a test binary's TestMain.
func Main(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}

// Env is one test's database with the services that fill it.
type Env struct {
	Store   *db.Store
	Catalog *catalog.Catalog
	Ingest  *ingest.Service
	// Now is the ingest service's clock: the test's start unless the test moves it. Data dated relative to it
	// stays valid whatever day the suite runs on.
	Now time.Time
}

// New gives the test its own database.
func New(t testing.TB) *Env {
	e := &Env{Store: db.New(dbtest.New(t), db.Options{}), Catalog: catalog.New(), Now: time.Now().UTC()}
	e.Ingest = ingest.NewService(e.Store, e.Catalog, ingest.Limits{}, func() time.Time { return e.Now })
	return e
}

// User creates (or finds) the user of subject.
func (e *Env) User(t testing.TB, subject string) db.User {
	t.Helper()
	u, err := e.Store.EnsureUser(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Upload ingests b for the user and fails the test on any error or rejected item.
func (e *Env) Upload(t testing.TB, userID int64, b ingest.Batch) {
	t.Helper()
	res, err := e.Ingest.Ingest(context.Background(), userID, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		t.Fatalf("batch %s: rejected %+v", b.IdempotencyKey, res.Rejected)
	}
}

// Sources are the user's sources' ids by name.
func (e *Env) Sources(t testing.TB, userID int64) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	err := e.Store.InUserTx(context.Background(), userID, func(tx *db.Tx) error {
		all, err := tx.Sources(context.Background())
		for _, s := range all {
			ids[s.Name] = s.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
