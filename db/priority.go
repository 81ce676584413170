package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// SourcePriority returns the user's source order for metric: its own, else the all-metrics one, else nil.
func (t *Tx) SourcePriority(ctx context.Context, metric string) ([]int64, error) {
	var ids pq.Int64Array
	err := t.tx.GetContext(ctx, &ids, `
		SELECT source_ids FROM source_priority WHERE user_id = $1 AND metric IN ($2, '')
		ORDER BY metric DESC LIMIT 1`, t.userID, metric)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read source priority: %w", err)
	}
	return ids, nil
}

const qSourcePriorities = `
	SELECT metric, source_ids FROM source_priority WHERE user_id = $1 AND (metric = ANY($2) OR metric = '')`

// SourcePriorities is SourcePriority for several metrics (or scopes) in one statement.
func (t *Tx) SourcePriorities(ctx context.Context, metrics []string) (map[string][]int64, error) {
	rows, err := t.query(ctx, qSourcePriorities, t.userID, pq.Array(metrics))
	if err != nil {
		return nil, fmt.Errorf("read source priorities: %w", err)
	}
	defer rows.Close()
	stored := map[string][]int64{}
	for rows.Next() {
		var m string
		var ids pq.Int64Array
		if err := rows.Scan(&m, &ids); err != nil {
			return nil, fmt.Errorf("read source priorities: %w", err)
		}
		stored[m] = ids
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read source priorities: %w", err)
	}
	out := make(map[string][]int64, len(metrics))
	for _, m := range metrics {
		if ids, ok := stored[m]; ok {
			out[m] = ids
		} else if ids, ok := stored[""]; ok {
			out[m] = ids
		}
	}
	return out, nil
}

// SetSourcePriority stores the order for metric (” = all metrics); an empty list removes it.
func (t *Tx) SetSourcePriority(ctx context.Context, metric string, ids []int64) error {
	var err error
	if len(ids) == 0 {
		_, err = t.tx.ExecContext(ctx, `DELETE FROM source_priority WHERE user_id = $1 AND metric = $2`, t.userID, metric)
	} else {
		// EXCLUDED.updated_at is the column default, now(): Citus refuses a volatile function in DO UPDATE SET.
		_, err = t.tx.ExecContext(ctx, `
			INSERT INTO source_priority (user_id, metric, source_ids) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, metric) DO UPDATE SET source_ids = EXCLUDED.source_ids, updated_at = EXCLUDED.updated_at`,
			t.userID, metric, pq.Array(ids))
	}
	if err != nil {
		return fmt.Errorf("set source priority: %w", err)
	}
	// Merged totals depend on the order: drop them ('' changes every metric without an order of its own).
	return t.forgetMerged(ctx, metric)
}

const qLatestDeviceTimeZone = `
	SELECT time_zone FROM devices WHERE user_id = $1 AND time_zone IS NOT NULL ORDER BY last_seen DESC LIMIT 1`

// LatestDeviceTimeZone is the time zone of the user's most recently seen device that has one ("" when none).
func (t *Tx) LatestDeviceTimeZone(ctx context.Context) (string, error) {
	var tz string
	err := t.getRow(ctx, &tz, qLatestDeviceTimeZone, t.userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read device time zone: %w", err)
	}
	return tz, nil
}
