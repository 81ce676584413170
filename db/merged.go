package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// The merged_hourly cache is filled by reads and emptied by writes. A fill must not store totals computed
// from data that a concurrent write is changing, so writers hold a shared advisory lock of the user while they
// empty touched hours (until they commit) and a fill holds the exclusive one while it reads and stores.
const mergedLockSpace = 7312

func (t *Tx) lockMergedShared(ctx context.Context) error {
	if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared($1, ($2 % 2147483647)::int)`,
		mergedLockSpace, t.userID); err != nil {
		return fmt.Errorf("lock merged cache: %w", err)
	}
	return nil
}

// LockMergedFill takes the user's exclusive fill lock until the transaction ends.
func (t *Tx) LockMergedFill(ctx context.Context) error {
	if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, ($2 % 2147483647)::int)`,
		mergedLockSpace, t.userID); err != nil {
		return fmt.Errorf("lock merged cache fill: %w", err)
	}
	return nil
}

// MissingMergedHours lists the hours in [from, to) that hold samples of metric but no cached merged total.
func (t *Tx) MissingMergedHours(ctx context.Context, metric string, from, to time.Time) ([]time.Time, error) {
	var out []time.Time
	err := t.tx.SelectContext(ctx, &out, `
		SELECT h.hour FROM (
			SELECT DISTINCT hour FROM sample_hourly
			WHERE user_id = $1 AND metric = $2 AND hour >= $3 AND hour < $4) h
		WHERE NOT EXISTS (SELECT 1 FROM merged_hourly m WHERE m.user_id = $1 AND m.metric = $2 AND m.hour = h.hour)
		ORDER BY h.hour`, t.userID, metric, from, to)
	if err != nil {
		return nil, fmt.Errorf("find missing merged hours: %w", err)
	}
	return out, nil
}

// PutMergedHours stores merged totals (hours and values aligned).
func (t *Tx) PutMergedHours(ctx context.Context, metric string, hours []time.Time, values []float64) error {
	if len(hours) == 0 {
		return nil
	}
	if t.values() {
		v := valuesInsert{head: `INSERT INTO merged_hourly (user_id, metric, hour, value)`, tuple: `($1, $2, ?, ?)`,
			tail: `ON CONFLICT (user_id, metric, hour) DO UPDATE SET value = EXCLUDED.value`, fixed: []any{t.userID, metric}}
		if _, err := v.run(ctx, t.tx, len(hours), func(i int, args []any) []any {
			return append(args, tsMicros(hours[i]), values[i])
		}, nil); err != nil {
			return fmt.Errorf("store merged hours: %w", err)
		}
		return nil
	}
	us := make([]int64, len(hours))
	for i, h := range hours {
		us[i] = micros(h)
	}
	if _, err := t.tx.ExecContext(ctx, fmt.Sprintf(`
		INSERT INTO merged_hourly (user_id, metric, hour, value)
		SELECT $1, $2, %s, v FROM unnest($3::bigint[], $4::float8[]) AS r(h, v)
		ON CONFLICT (user_id, metric, hour) DO UPDATE SET value = EXCLUDED.value`, fmt.Sprintf(tsFromMicros, "r.h")),
		t.userID, metric, pq.Array(us), pq.Array(values)); err != nil {
		return fmt.Errorf("store merged hours: %w", err)
	}
	return nil
}

// forgetMerged empties the cache (and the day buckets built on it) for metric, or for every metric when metric
// is "".
func (t *Tx) forgetMerged(ctx context.Context, metric string) error {
	if err := t.lockMergedShared(ctx); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM merged_hourly WHERE user_id = $1 AND ($2 = '' OR metric = $2)`,
		t.userID, metric); err != nil {
		return fmt.Errorf("forget merged totals: %w", err)
	}
	// The day buckets' merged totals were summed from those hours.
	return t.forgetDayBuckets(ctx, metric)
}

// MergedStatsBucket is one calendar bucket of a merged series: the merged total from the cache, the sample
// statistics from the hourly aggregate (all sources), and how many of its hours lack a cached total.
type MergedStatsBucket struct {
	Start    time.Time `db:"bucket"`
	N        int64     `db:"n"`
	SumStart float64   `db:"sum_start"`
	Min      *float64  `db:"min_value"`
	Max      *float64  `db:"max_value"`
	Total    float64   `db:"total"`
	Missing  int64     `db:"missing"`
}

// MergedStatsBuckets reads a merged series in one statement (the usual, warm case).
func (t *Tx) MergedStatsBuckets(ctx context.Context, metric string, from, to time.Time, unit, zone string) ([]MergedStatsBucket, error) {
	var out []MergedStatsBucket
	err := t.tx.SelectContext(ctx, &out, `
		WITH h AS (
			SELECT hour, sum(n) AS n, sum(sum_start) AS sum_start, min(min_value) AS min_value, max(max_value) AS max_value
			FROM sample_hourly WHERE user_id = $1 AND metric = $2 AND hour >= $3 AND hour < $4
			GROUP BY hour)
		SELECT date_trunc($5, h.hour, $6) AS bucket, sum(h.n) AS n, sum(h.sum_start) AS sum_start,
			min(h.min_value) AS min_value, max(h.max_value) AS max_value,
			coalesce(sum(m.value), 0) AS total, count(*) - count(m.value) AS missing
		FROM h LEFT JOIN merged_hourly m ON m.user_id = $1 AND m.metric = $2 AND m.hour = h.hour
		GROUP BY 1 ORDER BY 1`, t.userID, metric, from, to, unit, zone)
	if err != nil {
		return nil, fmt.Errorf("read merged series: %w", err)
	}
	return out, nil
}
