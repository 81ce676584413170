package db

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/lib/pq"
)

// The hourly aggregate (sample_hourly) is kept equal to what the raw samples give. These SQL pieces are shared
// by the ingest statement (adding) and the recompute after deletions, so both agree by construction.
//
// hoursOf lists the UTC hours a sample [s, e) overlaps; a sample with s = e belongs to the hour of s.
func hoursOf(s, e string) string {
	return fmt.Sprintf(`generate_series(date_trunc('hour', %[1]s, 'UTC'),
		CASE WHEN %[2]s > %[1]s THEN date_trunc('hour', %[2]s - interval '1 microsecond', 'UTC')
		     ELSE date_trunc('hour', %[1]s, 'UTC') END, interval '1 hour')`, s, e)
}

// hourlyAggregates are the aggregate columns (n, sum_start, min_value, max_value, prorated) over samples
// aliased r joined to their hours h.
const hourlyAggregates = `
	count(*) FILTER (WHERE date_trunc('hour', r.start_time, 'UTC') = h.hour),
	coalesce(sum(r.value) FILTER (WHERE date_trunc('hour', r.start_time, 'UTC') = h.hour), 0),
	min(r.value) FILTER (WHERE date_trunc('hour', r.start_time, 'UTC') = h.hour),
	max(r.value) FILTER (WHERE date_trunc('hour', r.start_time, 'UTC') = h.hour),
	sum(CASE WHEN r.end_time = r.start_time THEN r.value
	         ELSE r.value * extract(epoch FROM least(r.end_time, h.hour + interval '1 hour') - greatest(r.start_time, h.hour))
	                      / extract(epoch FROM r.end_time - r.start_time) END)`

// span is a removed sample's place in the aggregate.
type span struct {
	metric     string
	sourceID   int64
	start, end time.Time
}

// recomputeHourly rebuilds the aggregate rows of every (metric, source, hour) the removed samples touched, from
// the samples that remain. Two statements: the delete must be visible to the insert.
func (t *Tx) recomputeHourly(ctx context.Context, removed []span) error {
	if len(removed) == 0 {
		return nil
	}
	n := len(removed)
	metric, src, start, end := make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, s := range removed {
		metric[i], src[i], start[i], end[i] = s.metric, s.sourceID, micros(s.start), micros(s.end)
	}
	touched := touchedHoursSQL()
	args := []any{t.userID, pq.Array(metric), pq.Array(src), pq.Array(start), pq.Array(end)}
	if err := t.lockMergedShared(ctx); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, recomputeForgetSQL(touched), args...); err != nil {
		return fmt.Errorf("forget merged totals and cached days: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `
		DELETE FROM sample_hourly a USING (`+touched+`) k
		WHERE a.user_id = $1 AND a.metric = k.metric AND a.source_id = k.source_id AND a.hour = k.hour`, args...); err != nil {
		return fmt.Errorf("recompute hourly aggregate: clear: %w", err)
	}
	// Samples are at most 31 days long (ingest refuses longer ones), which bounds the index range scanned.
	// The user id comes from the samples rather than $1: Citus then runs the statement on the user's shard; with
	// a constant it pulls the rows to the coordinator and copies them in, which row-level security refuses.
	if _, err := t.tx.ExecContext(ctx, `
		INSERT INTO sample_hourly (user_id, metric, source_id, hour, n, sum_start, min_value, max_value, prorated)
		SELECT r.user_id, h.metric, h.source_id, h.hour, `+hourlyAggregates+`
		FROM (`+touched+`) h
		JOIN samples r ON r.user_id = $1 AND r.metric = h.metric AND r.source_id = h.source_id
			AND r.start_time < h.hour + interval '1 hour' AND r.start_time > h.hour - interval '32 days'
			AND (r.end_time > h.hour OR (r.end_time = r.start_time AND r.start_time >= h.hour))
		GROUP BY r.user_id, h.metric, h.source_id, h.hour
		ORDER BY h.metric, h.hour, h.source_id`, args...); err != nil {
		return fmt.Errorf("recompute hourly aggregate: rebuild: %w", err)
	}
	return nil
}

// touchedHoursSQL lists the (metric, source_id, hour) of the removed samples ($2 metrics, $3 sources, $4 and $5
// starts and ends in Unix microseconds).
func touchedHoursSQL() string {
	return fmt.Sprintf(`
		SELECT DISTINCT x.m AS metric, x.src AS source_id, h.hour
		FROM (SELECT m, src, %s AS s, %s AS e
		      FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(m, src, s, e)) x
		CROSS JOIN LATERAL %s AS h(hour)`,
		fmt.Sprintf(tsFromMicros, "u.s"), fmt.Sprintf(tsFromMicros, "u.e"), hoursOf("x.s", "x.e"))
}

// recomputeForgetSQL is recomputeHourly's first statement: it forgets the merged totals and cached days of the
// hours of touched (a query of metric, source_id, hour).
func recomputeForgetSQL(touched string) string {
	return `
		WITH ` + forgetKeysCTE(touched) + `,
		days AS (` + forgetDaysSQL + `)
		DELETE FROM merged_hourly a USING k WHERE a.user_id = $1 AND a.metric = k.metric AND a.hour = k.hour`
}

// BucketRow is the hourly aggregate summed over one bucket.
type BucketRow struct {
	Start    time.Time `db:"bucket"`
	N        int64     `db:"n"`
	SumStart float64   `db:"sum_start"`
	Min      *float64  `db:"min_value"`
	Max      *float64  `db:"max_value"`
	Prorated float64   `db:"prorated"`
}

// HourlyBuckets sums the aggregate of one metric over [from, to) into calendar buckets (unit: hour, day, week,
// month or year, as date_trunc takes them) of the zone, optionally for some sources only. Summing in SQL sends a
// year of days as 365 rows instead of 8,760 hours.
func (t *Tx) HourlyBuckets(ctx context.Context, metric string, from, to time.Time, sources []int64, unit, zone string) ([]BucketRow, error) {
	var out []BucketRow
	err := t.tx.SelectContext(ctx, &out, `
		SELECT date_trunc($6, hour, $7) AS bucket, sum(n) AS n, sum(sum_start) AS sum_start,
			min(min_value) AS min_value, max(max_value) AS max_value, sum(prorated) AS prorated
		FROM sample_hourly
		WHERE user_id = $1 AND metric = $2 AND hour >= $3 AND hour < $4
			AND ($5::bigint[] IS NULL OR source_id = ANY($5))
		GROUP BY 1 ORDER BY 1`, t.userID, metric, from, to, nullableIDs(sources), unit, zone)
	if err != nil {
		return nil, fmt.Errorf("read hourly aggregate: %w", err)
	}
	return out, nil
}

func nullableIDs(ids []int64) any {
	if ids == nil {
		return nil
	}
	return pq.Array(ids)
}

// MetricStats is what the user has of one metric.
type MetricStats struct {
	Metric string     `db:"metric"`
	First  *time.Time `db:"first_hour"`
	Last   *time.Time `db:"last_hour"`
	Count  int64      `db:"n"`
}

// MetricStats summarizes the user's samples per metric from the aggregate (hour precision for first/last is
// refined from the raw rows of those hours).
func (t *Tx) MetricStats(ctx context.Context) ([]MetricStats, error) {
	var out []MetricStats
	err := t.tx.SelectContext(ctx, &out, `
		WITH a AS (
			SELECT metric, min(hour) AS first_hour, max(hour) AS last_hour, sum(n) AS n
			FROM sample_hourly WHERE user_id = $1 GROUP BY metric HAVING sum(n) > 0)
		SELECT a.metric,
			(SELECT min(s.start_time) FROM samples s WHERE s.user_id = $1 AND s.metric = a.metric
				AND s.start_time >= a.first_hour - interval '32 days' AND s.start_time < a.first_hour + interval '1 hour') AS first_hour,
			(SELECT max(s.end_time) FROM samples s WHERE s.user_id = $1 AND s.metric = a.metric
				AND s.start_time >= a.last_hour - interval '32 days' AND s.start_time < a.last_hour + interval '1 hour') AS last_hour,
			a.n
		FROM a ORDER BY a.metric`, t.userID)
	if err != nil {
		return nil, fmt.Errorf("metric stats: %w", err)
	}
	return out, nil
}

// DayBucketRow is one cached bucket of day_buckets: the hourly aggregate summed over [Start, End) for all
// sources, and the merged total when one was computed.
type DayBucketRow struct {
	Metric     string
	Start, End time.Time
	N          int64
	SumStart   float64
	Min, Max   *float64
	Prorated   float64
	Merged     *float64
}

// qDayBuckets packs the cached buckets into one bytea of fixed-size records (see dayBucketRecord): reading a year
// of days as 365 rows cost more CPU in database/sql and lib/pq (about 1 ms: a Next and nine conversions per row)
// than PostgreSQL spent finding them, and timestamps and floats in their binary send forms are exact and need no
// parsing. The records are in no particular order.
const qDayBuckets = `
	SELECT coalesce(string_agg(
		int4send(array_position($2::text[], metric)) || timestamptz_send(bucket_start) || timestamptz_send(bucket_end) ||
		int8send(n) || float8send(sum_start) || float8send(coalesce(min_value, 0)) || float8send(coalesce(max_value, 0)) ||
		float8send(prorated) || float8send(coalesce(merged, 0)) ||
		int2send(((min_value IS NULL)::int + 2 * (max_value IS NULL)::int + 4 * (merged IS NULL)::int)::int2),
		''::bytea), ''::bytea)
	FROM day_buckets
	WHERE user_id = $1 AND metric = ANY($2::text[]) AND bucket_start >= $3 AND bucket_start < $4`

// dayBucketRecord is the size of one packed bucket: metric index (int4), start and end (timestamptz: int8
// microseconds since 2000-01-01 UTC), n (int8), sum_start, min, max, prorated, merged (float8), null flags (int2).
const dayBucketRecord = 4 + 8 + 8 + 8 + 8*5 + 2

// pgEpochMicros is PostgreSQL's timestamp epoch, 2000-01-01 UTC, in Unix microseconds.
const pgEpochMicros = 946684800 * 1000000

// DayBuckets lists the cached buckets of the metrics that start in [from, to). The caller keeps those whose
// interval is one it asked for (another zone's days may be cached beside them).
func (t *Tx) DayBuckets(ctx context.Context, metrics []string, from, to time.Time) ([]DayBucketRow, error) {
	var packed []byte
	if err := t.getRow(ctx, &packed, qDayBuckets, t.userID, pq.Array(metrics), from, to); err != nil {
		return nil, fmt.Errorf("read day buckets: %w", err)
	}
	out, err := unpackDayBuckets(packed, metrics)
	if err != nil {
		return nil, fmt.Errorf("read day buckets: %w", err)
	}
	return out, nil
}

func unpackDayBuckets(b []byte, metrics []string) ([]DayBucketRow, error) {
	if len(b)%dayBucketRecord != 0 {
		return nil, fmt.Errorf("packed day buckets: %d bytes is not a whole number of %d-byte records", len(b), dayBucketRecord)
	}
	n := len(b) / dayBucketRecord
	out := make([]DayBucketRow, n)
	floats := make([]float64, 3*n) // the pointed-to min, max and merged, in one allocation
	be := binary.BigEndian
	f := func(p []byte) float64 { return math.Float64frombits(be.Uint64(p)) }
	for i := range out {
		r := b[i*dayBucketRecord : (i+1)*dayBucketRecord]
		m := int(int32(be.Uint32(r)))
		if m < 1 || m > len(metrics) {
			return nil, fmt.Errorf("packed day buckets: metric index %d of %d", m, len(metrics))
		}
		row := &out[i]
		row.Metric = metrics[m-1]
		row.Start = time.UnixMicro(int64(be.Uint64(r[4:])) + pgEpochMicros).UTC()
		row.End = time.UnixMicro(int64(be.Uint64(r[12:])) + pgEpochMicros).UTC()
		row.N = int64(be.Uint64(r[20:]))
		row.SumStart = f(r[28:])
		row.Prorated = f(r[52:])
		nulls := be.Uint16(r[68:])
		if nulls&1 == 0 {
			floats[3*i] = f(r[36:])
			row.Min = &floats[3*i]
		}
		if nulls&2 == 0 {
			floats[3*i+1] = f(r[44:])
			row.Max = &floats[3*i+1]
		}
		if nulls&4 == 0 {
			floats[3*i+2] = f(r[60:])
			row.Merged = &floats[3*i+2]
		}
	}
	return out, nil
}

// FillDayBuckets computes the buckets [starts[i], ends[i]) of metric from the hourly aggregate (and, with
// merged, from merged_hourly, whose hours the caller has filled) and stores them. The caller holds the user's
// merged fill lock (LockMergedFill), so no write of the user is between its reads and its commit.
func (t *Tx) FillDayBuckets(ctx context.Context, metric string, starts, ends []time.Time, merged bool) ([]DayBucketRow, error) {
	if len(starts) == 0 {
		return nil, nil
	}
	s, e := make([]int64, len(starts)), make([]int64, len(ends))
	for i := range starts {
		s[i], e[i] = micros(starts[i]), micros(ends[i])
	}
	rows, err := t.tx.QueryContext(ctx, fillDayBucketsSQL(),
		t.userID, metric, pq.Array(s), pq.Array(e), merged)
	if err != nil {
		return nil, fmt.Errorf("fill day buckets: %w", err)
	}
	out, err := scanDayBuckets(rows)
	if err != nil {
		return nil, fmt.Errorf("fill day buckets: %w", err)
	}
	return out, nil
}

// fillDayBucketsSQL is FillDayBuckets' statement ($1 user, $2 metric, $3 and $4 bucket edges in Unix
// microseconds, $5 merged). The buckets come from windowsCTE so that each bucket's hours are an index range under
// row-level security.
func fillDayBucketsSQL() string {
	return `
		WITH ` + windowsCTE("b", "unnest($3::bigint[], $4::bigint[]) AS u(s, e)", tsCol("u.s", "s"), tsCol("u.e", "e")) + `
		INSERT INTO day_buckets AS d (user_id, metric, bucket_start, bucket_end, n, sum_start, min_value, max_value, prorated, merged)
		SELECT $1, $2, b.s, b.e, h.n, h.sum_start, h.min_value, h.max_value, h.prorated,
			CASE WHEN $5 THEN (SELECT coalesce(sum(m.value), 0) FROM merged_hourly m
				WHERE m.user_id = $1 AND m.metric = $2 AND m.hour >= b.s AND m.hour < b.e) END
		FROM b
		-- Per bucket, so that each is an index range: as a join, the planner scanned all the metric's hours.
		CROSS JOIN LATERAL (
			SELECT coalesce(sum(x.n), 0) AS n, coalesce(sum(x.sum_start), 0) AS sum_start, min(x.min_value) AS min_value,
				max(x.max_value) AS max_value, coalesce(sum(x.prorated), 0) AS prorated
			FROM sample_hourly x WHERE x.user_id = $1 AND x.metric = $2 AND x.hour >= b.s AND x.hour < b.e) h
		ON CONFLICT (user_id, metric, bucket_start, bucket_end) DO UPDATE SET
			n = EXCLUDED.n, sum_start = EXCLUDED.sum_start, min_value = EXCLUDED.min_value,
			max_value = EXCLUDED.max_value, prorated = EXCLUDED.prorated, merged = EXCLUDED.merged
		RETURNING d.metric, ` + dayBucketTimes + `, d.n, d.sum_start, d.min_value, d.max_value, d.prorated, d.merged`
}

// dayBucketTimes are a bucket's edges as Unix microseconds: parsing timestamp text was a visible part of
// reading a year of days.
const dayBucketTimes = `(extract(epoch FROM bucket_start) * 1000000)::bigint, (extract(epoch FROM bucket_end) * 1000000)::bigint`

// scanDayBuckets reads rows by position (a year of days is hundreds of rows per metric; no reflection).
func scanDayBuckets(rows *sql.Rows) ([]DayBucketRow, error) {
	defer rows.Close()
	var out []DayBucketRow
	for rows.Next() {
		var r DayBucketRow
		var start, end int64
		if err := rows.Scan(&r.Metric, &start, &end, &r.N, &r.SumStart, &r.Min, &r.Max, &r.Prorated, &r.Merged); err != nil {
			return nil, err
		}
		r.Start, r.End = time.UnixMicro(start).UTC(), time.UnixMicro(end).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// forgetDaysSQL deletes the cached day buckets holding any hour of k (a CTE of metric, hour): a part of every
// statement that changes sample_hourly (addHourly, recomputeHourly), so a cached day is never older than the
// hours it sums. It was a trigger on sample_hourly until migration 0017: Citus cannot distribute a table with
// triggers, nor run that one on the shards. Buckets are at most 26 hours long, which bounds the index range.
// k comes from forgetKeysCTE, whose lo column is the range's lower edge, for the reason given at windowsCTE.
const forgetDaysSQL = `DELETE FROM day_buckets b USING k
	WHERE b.user_id = $1 AND b.metric = k.metric
		AND b.bucket_start <= k.hour AND b.bucket_start > k.lo AND b.bucket_end > k.hour`

// forgetKeysCTE is the WITH item k of forgetDaysSQL from sel, a query of (metric, hour): materialized, with lo =
// hour − 26 hours as a column, so that under row-level security both edges of the bucket_start range are index
// conditions (written as k.hour - interval '26 hours' in the DELETE, the lower edge was a filter over all the
// user's cached days of the metric before the hour, once per hour the batch touched).
func forgetKeysCTE(sel string) string {
	return `k AS MATERIALIZED (SELECT DISTINCT metric, hour, hour - interval '26 hours' AS lo FROM (` + sel + `) k0)`
}

// forgetDayBuckets drops the cached day buckets of metric ("" = every metric): a change of source priority
// changes every day.
func (t *Tx) forgetDayBuckets(ctx context.Context, metric string) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM day_buckets WHERE user_id = $1 AND ($2 = '' OR metric = $2)`,
		t.userID, metric); err != nil {
		return fmt.Errorf("forget day buckets: %w", err)
	}
	return nil
}
