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
// announced for their current last_data_at, and says how many it picked before locking (claimed < picked: another
// sweep holds the rest, or they were announced meanwhile). It goes in two steps, like the job claims (claims.go),
// because a distributed PostgreSQL (Citus) refuses FOR UPDATE on a statement that reaches several users' shards:
// it picks the candidates of every user in a stable order without locks, then locks each user's candidates with a
// statement that names the user, FOR UPDATE SKIP LOCKED. Locking re-checks the condition on the row's latest
// version, so a row another sweep announced and committed meanwhile no longer qualifies, and one it still holds
// is skipped: two sweeps never both take the same transition.
func (t *SysTx) ClaimNewlyStale(ctx context.Context, staleAfter time.Duration, limit int) (claimed []StaleCandidate, picked int, err error) {
	var cands []struct {
		UserID   int64  `db:"user_id"`
		DeviceID string `db:"device_id"`
		DataType string `db:"data_type"`
	}
	if err := t.tx.SelectContext(ctx, &cands, `
		SELECT s.user_id, s.device_id, s.data_type
		FROM sync_state s
		JOIN devices d ON d.user_id = s.user_id AND d.device_id = s.device_id
		WHERE `+staleCond+`
		ORDER BY s.user_id, s.device_id, s.data_type
		LIMIT $2`, staleAfter.Microseconds(), limit); err != nil {
		return nil, 0, fmt.Errorf("find newly stale sync states: %w", err)
	}
	for lo := 0; lo < len(cands); {
		hi := lo
		var devs, types []string
		for ; hi < len(cands) && cands[hi].UserID == cands[lo].UserID; hi++ {
			devs, types = append(devs, cands[hi].DeviceID), append(types, cands[hi].DataType)
		}
		var got []StaleCandidate
		if err := t.tx.SelectContext(ctx, &got, `
			SELECT s.user_id, s.device_id, s.data_type, s.newest_sample_end, s.last_upload_at, s.last_data_at,
				d.last_seen AS device_last_seen
			FROM sync_state s
			JOIN devices d ON d.user_id = s.user_id AND d.device_id = s.device_id
			WHERE s.user_id = $2 AND d.user_id = $2
			  AND (s.device_id, s.data_type) IN (SELECT k.d, k.t FROM unnest($3::text[], $4::text[]) AS k(d, t))
			  AND `+staleCond+`
			ORDER BY s.device_id, s.data_type
			FOR UPDATE OF s SKIP LOCKED`, staleAfter.Microseconds(), cands[lo].UserID, pq.Array(devs), pq.Array(types)); err != nil {
			return nil, 0, fmt.Errorf("lock newly stale sync states: %w", err)
		}
		claimed = append(claimed, got...)
		lo = hi
	}
	return claimed, len(cands), nil
}

// staleCond is a newly stale sync state s of device d ($1: the threshold in microseconds).
const staleCond = `s.last_data_at IS NOT NULL AND d.last_seen - s.last_data_at > $1 * interval '1 microsecond'
		  AND s.stale_announced_for IS DISTINCT FROM s.last_data_at`

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
