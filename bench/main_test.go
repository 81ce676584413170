// Package bench_test measures ingest throughput against raw COPY and a bare INSERT … unnest into copies of the
// samples table, all on one PostgreSQL in one run, so that the ratios between them say something about our code
// and not about the machine. See README.md.
package bench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"healthsync/db"
	"healthsync/dbtest"
)

// The baselines' tables: empty copies of samples with the same columns, defaults, primary key and indexes.
const (
	copyTable   = "samples_copy"
	unnestTable = "samples_unnest"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		if _, err := db.Migrate(ctx, d, nil); err != nil {
			return err
		}
		for _, t := range []string{copyTable, unnestTable} {
			if _, err := d.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s (LIKE samples INCLUDING ALL)`, t)); err != nil {
				return fmt.Errorf("create %s: %w", t, err)
			}
		}
		return nil
	})
}
