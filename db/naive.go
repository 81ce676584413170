package db

import (
	"context"
	"fmt"
	"time"
)

// NaiveDaily is the query a developer would first write for a daily series (date_trunc + GROUP BY over raw
// samples, no proration, no merge). Only benchmarks use it, as the baseline the real paths are measured against.
func (t *Tx) NaiveDaily(ctx context.Context, metric string, from, to time.Time, zone string) (int, error) {
	rows, err := t.tx.QueryContext(ctx, `
		SELECT date_trunc('day', start_time, $5) AS day, count(*), sum(value), avg(value), min(value), max(value)
		FROM samples WHERE user_id = $1 AND metric = $2 AND start_time >= $3 AND start_time < $4
		GROUP BY 1 ORDER BY 1`, t.userID, metric, from, to, zone)
	if err != nil {
		return 0, fmt.Errorf("naive daily: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}
