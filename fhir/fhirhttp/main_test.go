package fhirhttp_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"healthsync/db"
	"healthsync/devtools/dbtest"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}
