package db

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"
)

// SampleRow is one normalized quantity sample, or one point of a series record.
type SampleRow struct {
	ID          string
	PointMS     int64 // the point's time in Unix ms for series points, 0 for plain samples
	Metric      string
	SourceID    int64
	Start, End  time.Time
	Value       float64
	OrigValue   float64
	OrigUnit    string
	TimeZone    string // "" = unknown
	UserEntered bool
	Version     int64
	Metadata    string // JSON object, "" = none
}

// WriteOutcome tells, per record id, what a write did. An id in neither set was already stored (a duplicate).
type WriteOutcome struct {
	Inserted map[string]struct{} // stored now (new, or replacing an older version)
	Replaced map[string]struct{} // an older version was removed to make room
}

func newOutcome() WriteOutcome {
	return WriteOutcome{Inserted: map[string]struct{}{}, Replaced: map[string]struct{}{}}
}

// WriteSamples stores rows in one INSERT … SELECT FROM unnest … ON CONFLICT DO NOTHING: a sample id that is
// already stored is left alone, also when another transaction is inserting it at the same moment. Rows whose
// record carries a higher version than the stored one first remove the stored record. Rows of one record must
// share ID and Version; the caller removes duplicates inside the batch.
func (t *Tx) WriteSamples(ctx context.Context, deviceID string, rows []SampleRow) (WriteOutcome, error) {
	out := newOutcome()
	if len(rows) == 0 {
		return out, nil
	}
	// Key order gives concurrent overlapping batches one lock order, so they wait for each other instead of deadlocking.
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].ID != rows[j].ID {
			return rows[i].ID < rows[j].ID
		}
		return rows[i].PointMS < rows[j].PointMS
	})
	if err := t.replaceOlderSamples(ctx, versionedRecords(len(rows), func(i int) (string, int64) {
		return rows[i].ID, rows[i].Version
	}), out.Replaced); err != nil {
		return out, err
	}

	n := len(rows)
	var (
		id, metric, unit, tz, meta  = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		point, src, start, end, ver = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		val, orig                   = make([]float64, n), make([]float64, n)
		manual                      = make([]bool, n)
	)
	for i, r := range rows {
		id[i], point[i], metric[i], src[i] = r.ID, r.PointMS, r.Metric, r.SourceID
		start[i], end[i], val[i], orig[i] = micros(r.Start), micros(r.End), r.Value, r.OrigValue
		unit[i], tz[i], manual[i], ver[i], meta[i] = r.OrigUnit, r.TimeZone, r.UserEntered, r.Version, r.Metadata
	}
	if err := t.lockMergedShared(ctx); err != nil {
		return out, err
	}
	// The rows that were really inserted feed the hourly aggregate, and empty the merged totals of their hours,
	// in the same statement.
	q := fmt.Sprintf(`
		WITH ins AS (
			INSERT INTO samples (user_id, sample_id, point_ms, metric, source_id, device_id, start_time, end_time,
				value, orig_value, orig_unit, time_zone, user_entered, version, metadata)
			SELECT $1, id, pt, m, src, $2, %s, %s, v, ov, ou, nullif(tz, ''), manual, ver, nullif(meta, '')::jsonb
			FROM unnest($3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],
				$9::float8[], $10::float8[], $11::text[], $12::text[], $13::bool[], $14::bigint[], $15::text[])
				AS r(id, pt, m, src, s, e, v, ov, ou, tz, manual, ver, meta)
			ON CONFLICT (user_id, sample_id, point_ms) DO NOTHING
			RETURNING sample_id, metric, source_id, start_time, end_time, value),
		agg AS (
			INSERT INTO sample_hourly AS a (user_id, metric, source_id, hour, n, sum_start, min_value, max_value, prorated)
			SELECT $1, r.metric, r.source_id, h.hour, %s
			FROM ins r CROSS JOIN LATERAL %s AS h(hour)
			GROUP BY r.metric, r.source_id, h.hour
			ORDER BY r.metric, h.hour, r.source_id
			ON CONFLICT (user_id, metric, hour, source_id) DO UPDATE SET
				n         = a.n + EXCLUDED.n,
				sum_start = a.sum_start + EXCLUDED.sum_start,
				min_value = least(a.min_value, EXCLUDED.min_value),
				max_value = greatest(a.max_value, EXCLUDED.max_value),
				prorated  = a.prorated + EXCLUDED.prorated),
		forget AS (
			DELETE FROM merged_hourly m
			USING (SELECT DISTINCT r.metric, h.hour FROM ins r CROSS JOIN LATERAL %s AS h(hour)) k
			WHERE m.user_id = $1 AND m.metric = k.metric AND m.hour = k.hour)
		SELECT DISTINCT sample_id FROM ins`, fmt.Sprintf(tsFromMicros, "s"), fmt.Sprintf(tsFromMicros, "e"),
		hourlyAggregates, hoursOf("r.start_time", "r.end_time"), hoursOf("r.start_time", "r.end_time"))
	err := t.collectIDs(ctx, out.Inserted, q, t.userID, deviceID, pq.Array(id), pq.Array(point), pq.Array(metric),
		pq.Array(src), pq.Array(start), pq.Array(end), pq.Array(val), pq.Array(orig), pq.Array(unit),
		pq.Array(tz), pq.Array(manual), pq.Array(ver), pq.Array(meta))
	if err != nil {
		return out, fmt.Errorf("insert samples: %w", err)
	}
	return out, nil
}

type versioned struct {
	id  string
	ver int64
}

// versionedRecords lists the distinct records that carry a version (only those can replace anything).
func versionedRecords(n int, at func(i int) (string, int64)) []versioned {
	var out []versioned
	last := ""
	for i := 0; i < n; i++ {
		id, ver := at(i)
		if ver > 0 && (len(out) == 0 || id != last) {
			out = append(out, versioned{id, ver})
		}
		last = id
	}
	return out
}

// replaceOlderSamples is replaceOlder for the samples table, which also has to mend the hourly aggregate.
func (t *Tx) replaceOlderSamples(ctx context.Context, recs []versioned, replaced map[string]struct{}) error {
	if len(recs) == 0 {
		return nil
	}
	ids, vers := make([]string, len(recs)), make([]int64, len(recs))
	for i, r := range recs {
		ids[i], vers[i] = r.id, r.ver
	}
	removed, err := t.removeSamples(ctx, replaced, `
		DELETE FROM samples t USING unnest($2::text[], $3::bigint[]) AS v(id, ver)
		WHERE t.user_id = $1 AND t.sample_id = v.id AND t.version < v.ver
		RETURNING t.sample_id, t.metric, t.source_id, t.start_time, t.end_time`, t.userID, pq.Array(ids), pq.Array(vers))
	if err != nil {
		return fmt.Errorf("replace older samples: %w", err)
	}
	return t.recomputeHourly(ctx, removed)
}

// removeSamples runs a DELETE … RETURNING sample_id, metric, source_id, start_time, end_time and collects
// the ids and the spans the aggregate must recompute.
func (t *Tx) removeSamples(ctx context.Context, ids map[string]struct{}, q string, args ...any) ([]span, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var spans []span
	for rows.Next() {
		var id string
		var sp span
		if err := rows.Scan(&id, &sp.metric, &sp.sourceID, &sp.start, &sp.end); err != nil {
			return nil, err
		}
		ids[id] = struct{}{}
		spans = append(spans, sp)
	}
	return spans, rows.Err()
}

// replaceOlder removes stored records whose version is lower than the incoming one and notes their ids.
// table and key are package constants, never input.
func (t *Tx) replaceOlder(ctx context.Context, table, key string, recs []versioned, replaced map[string]struct{}) error {
	if len(recs) == 0 {
		return nil
	}
	ids, vers := make([]string, len(recs)), make([]int64, len(recs))
	for i, r := range recs {
		ids[i], vers[i] = r.id, r.ver
	}
	q := fmt.Sprintf(`
		DELETE FROM %[1]s t USING unnest($2::text[], $3::bigint[]) AS v(id, ver)
		WHERE t.user_id = $1 AND t.%[2]s = v.id AND t.version < v.ver
		RETURNING t.%[2]s`, table, key)
	if err := t.collectIDs(ctx, replaced, q, t.userID, pq.Array(ids), pq.Array(vers)); err != nil {
		return fmt.Errorf("replace older %s: %w", table, err)
	}
	return nil
}

// collectIDs runs a statement that returns one text column and adds each value to set.
func (t *Tx) collectIDs(ctx context.Context, set map[string]struct{}, q string, args ...any) error {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = struct{}{}
	}
	return rows.Err()
}

// StoredSample is a quantity sample as read back.
type StoredSample struct {
	ID          string    `db:"sample_id"`
	PointMS     int64     `db:"point_ms"`
	Metric      string    `db:"metric"`
	SourceID    int64     `db:"source_id"`
	DeviceID    string    `db:"device_id"`
	Start       time.Time `db:"start_time"`
	End         time.Time `db:"end_time"`
	Value       float64   `db:"value"`
	OrigValue   float64   `db:"orig_value"`
	OrigUnit    string    `db:"orig_unit"`
	TimeZone    *string   `db:"time_zone"`
	UserEntered bool      `db:"user_entered"`
	Version     int64     `db:"version"`
	Metadata    *string   `db:"metadata"`
}

// Samples lists stored samples of one metric starting in [from, to), newest first.
func (t *Tx) Samples(ctx context.Context, metric string, from, to time.Time, limit int) ([]StoredSample, error) {
	var out []StoredSample
	err := t.tx.SelectContext(ctx, &out, `
		SELECT sample_id, point_ms, metric, source_id, device_id, start_time, end_time, value, orig_value,
			orig_unit, time_zone, user_entered, version, metadata::text AS metadata
		FROM samples
		WHERE user_id = $1 AND metric = $2 AND start_time >= $3 AND start_time < $4
		ORDER BY start_time DESC, sample_id, point_ms
		LIMIT $5`, t.userID, metric, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("list samples: %w", err)
	}
	return out, nil
}

// SpanRow is a sample reduced to what series need.
type SpanRow struct {
	SourceID    int64
	Start, End  time.Time
	Value       float64
	UserEntered bool
}

// SamplesOverlapping returns the metric's samples that overlap [from, to) (an instant sample: lies in it),
// optionally of some sources only, ordered by start.
func (t *Tx) SamplesOverlapping(ctx context.Context, metric string, from, to time.Time, sources []int64) ([]SpanRow, error) {
	// Samples are at most 31 days long (ingest refuses longer ones): that bounds the index range from below.
	rows, err := t.tx.QueryContext(ctx, `
		SELECT source_id, start_time, end_time, value, user_entered
		FROM samples
		WHERE user_id = $1 AND metric = $2 AND start_time < $4 AND start_time > $3::timestamptz - interval '32 days'
			AND (end_time > $3 OR (end_time = start_time AND start_time >= $3))
			AND ($5::bigint[] IS NULL OR source_id = ANY($5))
		ORDER BY start_time`, t.userID, metric, from, to, nullableIDs(sources))
	if err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	defer rows.Close()
	var out []SpanRow
	for rows.Next() {
		var r SpanRow
		if err := rows.Scan(&r.SourceID, &r.Start, &r.End, &r.Value, &r.UserEntered); err != nil {
			return nil, fmt.Errorf("read samples: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	return out, nil
}
