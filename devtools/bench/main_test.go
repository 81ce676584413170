// Package bench_test measures ingest throughput against raw COPY and a bare INSERT … unnest into copies of the
// samples table, all on one PostgreSQL in one run, so that the ratios between them say something about our code
// and not about the machine. See README.md.
package bench_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"healthsync/db"
	"healthsync/devtools/bench"
	"healthsync/devtools/dbtest"
)

// The baselines' tables: empty copies of samples with the same columns, defaults, primary key and indexes.
const (
	copyTable   = bench.CopyTable
	unnestTable = bench.UnnestTable
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		if _, err := db.Migrate(ctx, d, nil); err != nil {
			return err
		}
		return bench.CreateBaselineTables(ctx, d)
	})
}
