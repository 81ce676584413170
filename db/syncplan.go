package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ItemTable names which stored table holds a data type: quantity samples, category samples or workouts.
type ItemTable int

const (
	QuantityTable ItemTable = iota
	CategoryTable
	WorkoutTable
)

// idsOfWeek is, per table, the ids of one data type whose item starts in [w.s, w.e): each an index range of
// the table's (user_id, type, start_time) index. $1 user, $2 data type. A series record has a row per point:
// UNION in the digest query makes its id count once.
var idsOfWeek = map[ItemTable]string{
	QuantityTable: `SELECT lower(sample_id COLLATE "C") AS id FROM samples
		WHERE user_id = $1 AND metric = $2 AND start_time >= w.s AND start_time < w.e`,
	CategoryTable: `SELECT lower(sample_id COLLATE "C") AS id FROM category_samples
		WHERE user_id = $1 AND category = $2 AND start_time >= w.s AND start_time < w.e`,
	WorkoutTable: `SELECT lower(workout_id COLLATE "C") AS id FROM workouts
		WHERE user_id = $1 AND $2::text = 'workout' AND start_time >= w.s AND start_time < w.e`,
}

// digestOf is the digest of the ids of the subquery `ids`: SHA-256 over the distinct ASCII-lower-cased ids in
// byte order joined by "\n", lower-case hex (docs/upload-digests.md).
const digestOf = `count(*) AS n,
	encode(sha256(convert_to(coalesce(string_agg(id, E'\n' ORDER BY id COLLATE "C"), ''), 'UTF8')), 'hex') AS digest`

// DigestWeek is one week's digest of a data type's held ids (stored and tombstoned).
type DigestWeek struct {
	Start  time.Time `db:"s"`
	End    time.Time `db:"e"`
	Count  int64     `db:"n"`
	Digest string    `db:"digest"`
}

// UploadDigests digests, per week [starts[i], ends[i]), the ids of dataType the user holds: stored items that
// start in the week and tombstones of deleted items that started in it. One statement, two index ranges per week.
func (t *Tx) UploadDigests(ctx context.Context, table ItemTable, dataType string, starts, ends []time.Time) ([]DigestWeek, error) {
	q := fmt.Sprintf(`
		SELECT w.s, w.e, d.n, d.digest
		FROM unnest($3::timestamptz[], $4::timestamptz[]) AS w(s, e)
		CROSS JOIN LATERAL (
			SELECT %s FROM (
				%s
				UNION
				SELECT lower(item_id COLLATE "C") FROM deletions
				WHERE user_id = $1 AND data_type = $2 AND start_time >= w.s AND start_time < w.e) ids
		) d
		ORDER BY w.s`, digestOf, idsOfWeek[table])
	var out []DigestWeek
	if err := t.tx.SelectContext(ctx, &out, q, t.userID, dataType, pq.Array(starts), pq.Array(ends)); err != nil {
		return nil, fmt.Errorf("upload digests: %w", err)
	}
	return out, nil
}

// TypeHoldings is what the user holds of one data type, from every device.
type TypeHoldings struct {
	Count     int64      `db:"n"`
	First     *time.Time `db:"first_start"`
	Last      *time.Time `db:"last_start"`
	NewestEnd *time.Time `db:"newest_end"`
	// Weeks are the Mondays (local to the zone asked for) of the weeks that hold data, newest first.
	Weeks pq.StringArray `db:"weeks"`
}

// holdings per table. $1 user, $2 data type, $3 IANA zone. First and last starts are one index probe each; the
// newest end looks 32 days behind the last start (longer items are rejected at ingest, see catalog spans). That
// range is bounded above by the last start too, which every row meets anyway: the bounds are known only when the
// statement runs, and for a range open on one side PostgreSQL guesses a third of the user's rows of the type,
// enough to read a heavy user's whole table in parallel instead (677 ms at 10.2M stored rows); a range closed on
// both sides it guesses small, and reads as the one index range it is. For
// quantities the count and weeks come from the hourly aggregate (a row per hour and source, never the raw
// history); category samples and workouts are few enough to count on their index.
var holdings = map[ItemTable]string{
	QuantityTable: `
		WITH f AS (SELECT start_time FROM samples WHERE user_id = $1 AND metric = $2 ORDER BY start_time LIMIT 1),
		     l AS (SELECT start_time FROM samples WHERE user_id = $1 AND metric = $2 ORDER BY start_time DESC LIMIT 1)
		SELECT (SELECT coalesce(sum(n), 0) FROM sample_hourly WHERE user_id = $1 AND metric = $2)::bigint AS n,
			(SELECT start_time FROM f) AS first_start, (SELECT start_time FROM l) AS last_start,
			(SELECT max(end_time) FROM samples WHERE user_id = $1 AND metric = $2
				AND start_time >= (SELECT start_time FROM l) - interval '32 days'
				AND start_time <= (SELECT start_time FROM l)) AS newest_end,
			coalesce((SELECT array_agg(wk::text ORDER BY wk DESC) FROM (
				SELECT DISTINCT date_trunc('week', hour AT TIME ZONE $3)::date AS wk
				FROM sample_hourly WHERE user_id = $1 AND metric = $2 AND n > 0) x), '{}') AS weeks`,
	CategoryTable: holdingsOfRaw("category_samples", "category = $2"),
	WorkoutTable:  holdingsOfRaw("workouts", "$2::text = 'workout'"),
}

func holdingsOfRaw(table, match string) string {
	return fmt.Sprintf(`
		SELECT count(*) AS n, min(start_time) AS first_start, max(start_time) AS last_start, max(end_time) AS newest_end,
			coalesce(array_agg(DISTINCT date_trunc('week', start_time AT TIME ZONE $3)::date::text)
				FILTER (WHERE start_time IS NOT NULL), '{}') AS weeks
		FROM %s WHERE user_id = $1 AND %s`, table, match)
}

// Holdings summarizes what the user holds of dataType; weeks are cut in zone.
func (t *Tx) Holdings(ctx context.Context, table ItemTable, dataType, zone string) (TypeHoldings, error) {
	var h TypeHoldings
	if err := t.tx.GetContext(ctx, &h, holdings[table], t.userID, dataType, zone); err != nil {
		return h, fmt.Errorf("holdings of %s: %w", dataType, err)
	}
	return h, nil
}

// DeviceZone is the device's last reported IANA zone, "" when the device or its zone is unknown.
func (t *Tx) DeviceZone(ctx context.Context, deviceID string) (string, error) {
	var zone []string
	if err := t.tx.SelectContext(ctx, &zone, `SELECT coalesce(time_zone, '') FROM devices WHERE user_id = $1 AND device_id = $2`,
		t.userID, deviceID); err != nil {
		return "", fmt.Errorf("device zone: %w", err)
	}
	if len(zone) == 0 {
		return "", nil
	}
	return zone[0], nil
}
