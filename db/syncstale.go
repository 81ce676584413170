package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// StaleCandidate is a (device, data type) of any user that looks newly STALE: its device uploaded more than the
// threshold after the type last brought new data, and that silence (this last_data_at) was not announced yet.
type StaleCandidate struct {
	UserID          int64      `db:"user_id"`
	DeviceID        string     `db:"device_id"`
	DataType        string     `db:"data_type"`
	NewestSampleEnd *time.Time `db:"newest_sample_end"`
	LastUploadAt    time.Time  `db:"last_upload_at"`
	LastDataAt      time.Time  `db:"last_data_at"`
	DeviceLastSeen  time.Time  `db:"device_last_seen"`
}

// ClaimNewlyStale locks up to limit sync states of any user that turned stale after staleAfter and were not
// announced for their current last_data_at, in a stable order. SKIP LOCKED: a row another sweep (or an upload)
// holds is left to it; once that sweep commits, the row no longer qualifies (PostgreSQL re-checks the condition
// on the row it locks), so two sweeps never both take the same transition.
func (t *SysTx) ClaimNewlyStale(ctx context.Context, staleAfter time.Duration, limit int) ([]StaleCandidate, error) {
	var out []StaleCandidate
	err := t.tx.SelectContext(ctx, &out, `
		SELECT s.user_id, s.device_id, s.data_type, s.newest_sample_end, s.last_upload_at, s.last_data_at,
			d.last_seen AS device_last_seen
		FROM sync_state s
		JOIN devices d ON d.user_id = s.user_id AND d.device_id = s.device_id
		WHERE s.last_data_at IS NOT NULL AND d.last_seen - s.last_data_at > $1 * interval '1 microsecond'
		  AND s.stale_announced_for IS DISTINCT FROM s.last_data_at
		ORDER BY s.user_id, s.device_id, s.data_type
		LIMIT $2
		FOR UPDATE OF s SKIP LOCKED`, staleAfter.Microseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("find newly stale sync states: %w", err)
	}
	return out, nil
}

// MarkStaleAnnounced records that the silence of each claimed sync state (up to its last_data_at) was announced.
func (t *SysTx) MarkStaleAnnounced(ctx context.Context, cs []StaleCandidate) error {
	if len(cs) == 0 {
		return nil
	}
	users, devs, types := make([]int64, len(cs)), make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		users[i], devs[i], types[i] = c.UserID, c.DeviceID, c.DataType
	}
	// The rows are locked since the claim, so last_data_at is still the one announced.
	_, err := t.tx.ExecContext(ctx, `
		UPDATE sync_state s SET stale_announced_for = s.last_data_at
		FROM unnest($1::bigint[], $2::text[], $3::text[]) AS r(u, d, t)
		WHERE (s.user_id, s.device_id, s.data_type) = (r.u, r.d, r.t)`,
		pq.Array(users), pq.Array(devs), pq.Array(types))
	if err != nil {
		return fmt.Errorf("mark stale announced: %w", err)
	}
	return nil
}
