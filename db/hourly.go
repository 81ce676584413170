package db

import (
	"context"
	"fmt"
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
	touched := fmt.Sprintf(`
		SELECT DISTINCT x.m AS metric, x.src AS source_id, h.hour
		FROM (SELECT m, src, %s AS s, %s AS e
		      FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(m, src, s, e)) x
		CROSS JOIN LATERAL %s AS h(hour)`,
		fmt.Sprintf(tsFromMicros, "u.s"), fmt.Sprintf(tsFromMicros, "u.e"), hoursOf("x.s", "x.e"))
	args := []any{t.userID, pq.Array(metric), pq.Array(src), pq.Array(start), pq.Array(end)}
	if err := t.lockMergedShared(ctx); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `
		DELETE FROM merged_hourly a USING (SELECT DISTINCT metric, hour FROM (`+touched+`) x) k
		WHERE a.user_id = $1 AND a.metric = k.metric AND a.hour = k.hour`, args...); err != nil {
		return fmt.Errorf("forget merged totals: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `
		DELETE FROM sample_hourly a USING (`+touched+`) k
		WHERE a.user_id = $1 AND a.metric = k.metric AND a.source_id = k.source_id AND a.hour = k.hour`, args...); err != nil {
		return fmt.Errorf("recompute hourly aggregate: clear: %w", err)
	}
	// Samples are at most 31 days long (ingest refuses longer ones), which bounds the index range scanned.
	if _, err := t.tx.ExecContext(ctx, `
		INSERT INTO sample_hourly (user_id, metric, source_id, hour, n, sum_start, min_value, max_value, prorated)
		SELECT $1, h.metric, h.source_id, h.hour, `+hourlyAggregates+`
		FROM (`+touched+`) h
		JOIN samples r ON r.user_id = $1 AND r.metric = h.metric AND r.source_id = h.source_id
			AND r.start_time < h.hour + interval '1 hour' AND r.start_time > h.hour - interval '32 days'
			AND (r.end_time > h.hour OR (r.end_time = r.start_time AND r.start_time >= h.hour))
		GROUP BY h.metric, h.source_id, h.hour
		ORDER BY h.metric, h.hour, h.source_id`, args...); err != nil {
		return fmt.Errorf("recompute hourly aggregate: rebuild: %w", err)
	}
	return nil
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
