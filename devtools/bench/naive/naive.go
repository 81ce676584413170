// Package naive holds the SQL a developer would first write for a dashboard read, as the baseline benchmarks
// measure the real read paths against. It lives with the benchmark so that the server binary carries none of it.
package naive

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/db"
)

// Daily runs the naive daily series (date_trunc + GROUP BY over raw samples, no proration, no merge) for one
// user's metric in zone, and returns how many days it answered. It runs as the application's role with the
// user set, as the server's own reads do, so row-level security costs both sides alike.
func Daily(ctx context.Context, d *sqlx.DB, userID int64, metric string, from, to time.Time, zone string) (n int, err error) {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("naive daily: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to commit
	// SET LOCAL statements, not set_config calls, as db.Store's transactions: Citus carries SET LOCAL to the
	// workers (with citus.propagate_set_commands = 'local', which the Citus test databases set for every
	// session), and without the user there the shards' policies return no row.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL healthsync.user_id = '%d'; SET LOCAL jit = off; SET LOCAL ROLE %s`,
		userID, db.AppRole)); err != nil {
		return 0, fmt.Errorf("naive daily: set user: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT date_trunc('day', start_time, $5) AS day, count(*), sum(value), avg(value), min(value), max(value)
		FROM samples WHERE user_id = $1 AND metric = $2 AND start_time >= $3 AND start_time < $4
		GROUP BY 1 ORDER BY 1`, userID, metric, from, to, zone)
	if err != nil {
		return 0, fmt.Errorf("naive daily: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}
