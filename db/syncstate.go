package db

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"
)

// SyncUpdate is what one batch tells about one data type of the uploading device.
type SyncUpdate struct {
	DataType  string
	Cursor    *string    // nil = the batch sent no cursor for this type
	NewestEnd *time.Time // newest sample end covered
	NewItems  int64      // items stored now (new or updated)
}

// UpdateSyncState merges the batch's updates into the device's sync state in one statement.
func (t *Tx) UpdateSyncState(ctx context.Context, deviceID string, updates []SyncUpdate, at time.Time) error {
	if len(updates) == 0 {
		return nil
	}
	sort.Slice(updates, func(i, j int) bool { return updates[i].DataType < updates[j].DataType })
	if t.values() {
		v := valuesInsert{
			head: `INSERT INTO sync_state (user_id, device_id, data_type, cursor, newest_sample_end, last_upload_at,
				last_data_at, item_count)`,
			tuple: `($1, $2, ?, ?, ?, $3, ?, ?)`,
			tail:  syncStateUpsert,
			fixed: []any{t.userID, deviceID, at},
		}
		if _, err := v.run(ctx, t.tx, len(updates), func(i int, args []any) []any {
			u := &updates[i]
			var cur, newest, data any
			if u.Cursor != nil {
				cur = *u.Cursor
			}
			if u.NewestEnd != nil {
				newest = tsMicros(*u.NewestEnd)
			}
			if u.NewItems > 0 {
				data = at
			}
			return append(args, u.DataType, cur, newest, data, u.NewItems)
		}, nil); err != nil {
			return fmt.Errorf("update sync state: %w", err)
		}
		return nil
	}
	n := len(updates)
	dt, cur := make([]string, n), make([]string, n)
	hasCur := make([]bool, n)
	newest, count := make([]int64, n), make([]int64, n)
	for i, u := range updates {
		dt[i], count[i] = u.DataType, u.NewItems
		if u.Cursor != nil {
			cur[i], hasCur[i] = *u.Cursor, true
		}
		if u.NewestEnd != nil {
			newest[i] = micros(*u.NewestEnd)
		}
	}
	q := fmt.Sprintf(`
		INSERT INTO sync_state (user_id, device_id, data_type, cursor, newest_sample_end, last_upload_at,
			last_data_at, item_count)
		SELECT $1, $2, dt, CASE WHEN hc THEN c END, CASE WHEN ne <> 0 THEN %s END, $3,
			CASE WHEN n > 0 THEN $3::timestamptz END, n
		FROM unnest($4::text[], $5::text[], $6::bool[], $7::bigint[], $8::bigint[]) AS r(dt, c, hc, ne, n)
		`, fmt.Sprintf(tsFromMicros, "ne")) + syncStateUpsert
	if _, err := t.tx.ExecContext(ctx, q, t.userID, deviceID, at, pq.Array(dt), pq.Array(cur), pq.Array(hasCur),
		pq.Array(newest), pq.Array(count)); err != nil {
		return fmt.Errorf("update sync state: %w", err)
	}
	return nil
}

// syncStateUpsert merges a batch's update into the stored state of its device and data type.
const syncStateUpsert = `ON CONFLICT (user_id, device_id, data_type) DO UPDATE SET
			cursor            = coalesce(EXCLUDED.cursor, sync_state.cursor),
			newest_sample_end = greatest(sync_state.newest_sample_end, EXCLUDED.newest_sample_end),
			last_upload_at    = greatest(sync_state.last_upload_at, EXCLUDED.last_upload_at),
			last_data_at      = greatest(sync_state.last_data_at, EXCLUDED.last_data_at),
			item_count        = sync_state.item_count + EXCLUDED.item_count`

// SyncState is one (device, data type) row with its device's last upload.
type SyncState struct {
	DeviceID        string     `db:"device_id"`
	DataType        string     `db:"data_type"`
	Cursor          *string    `db:"cursor"`
	NewestSampleEnd *time.Time `db:"newest_sample_end"`
	LastUploadAt    time.Time  `db:"last_upload_at"`
	LastDataAt      *time.Time `db:"last_data_at"`
	Count           int64      `db:"item_count"`
	DeviceLastSeen  time.Time  `db:"device_last_seen"`
}

// SyncStates lists sync state of one device (or all when deviceID is nil), by device then type.
func (t *Tx) SyncStates(ctx context.Context, deviceID *string) ([]SyncState, error) {
	var out []SyncState
	err := t.tx.SelectContext(ctx, &out, `
		SELECT s.device_id, s.data_type, s.cursor, s.newest_sample_end, s.last_upload_at, s.last_data_at,
			s.item_count, d.last_seen AS device_last_seen
		FROM sync_state s
		JOIN devices d ON d.user_id = s.user_id AND d.device_id = s.device_id
		WHERE s.user_id = $1 AND ($2::text IS NULL OR s.device_id = $2)
		ORDER BY s.device_id, s.data_type`, t.userID, deviceID)
	if err != nil {
		return nil, fmt.Errorf("list sync state: %w", err)
	}
	return out, nil
}
