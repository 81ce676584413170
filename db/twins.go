package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// TwinProbe describes a sample to look for under another id.
type TwinProbe struct {
	ID         string
	Metric     string
	Start, End time.Time
	Value      float64
	SourceName string
}

// SampleTwins returns the positions of probes that match a stored sample with another id: same metric, the
// same start and end to the second (exports print whole seconds), the same value, and a source of the same
// name (exports carry names, not bundle ids). One statement; the LATERAL … LIMIT 1 keeps it one index probe per
// sample on (user, metric, start) (as a semi-join the planner may hash all of the user's samples instead).
func (t *Tx) SampleTwins(ctx context.Context, probes []TwinProbe) (map[int]bool, error) {
	if len(probes) == 0 {
		return map[int]bool{}, nil
	}
	n := len(probes)
	id, metric, name := make([]string, n), make([]string, n), make([]string, n)
	start, end := make([]int64, n), make([]int64, n)
	value := make([]float64, n)
	for i, p := range probes {
		id[i], metric[i], name[i], value[i] = p.ID, p.Metric, p.SourceName, p.Value
		start[i], end[i] = micros(p.Start.Truncate(time.Second)), micros(p.End.Truncate(time.Second))
	}
	return t.twinPositions(ctx, "samples", sampleTwinsSQL(),
		t.userID, pq.Array(id), pq.Array(metric), pq.Array(start), pq.Array(end), pq.Array(value), pq.Array(name))
}

// CategoryTwinProbe describes a category sample to look for under another id.
type CategoryTwinProbe struct {
	ID         string
	Category   string
	Value      string // canonical
	Start, End time.Time
	SourceName string
}

// CategoryTwins is SampleTwins for category samples: same category and canonical value, the same start and end
// to the second, a source of the same name.
func (t *Tx) CategoryTwins(ctx context.Context, probes []CategoryTwinProbe) (map[int]bool, error) {
	if len(probes) == 0 {
		return map[int]bool{}, nil
	}
	n := len(probes)
	id, cat, value, name := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	start, end := make([]int64, n), make([]int64, n)
	for i, p := range probes {
		id[i], cat[i], value[i], name[i] = p.ID, p.Category, p.Value, p.SourceName
		start[i], end[i] = micros(p.Start.Truncate(time.Second)), micros(p.End.Truncate(time.Second))
	}
	return t.twinPositions(ctx, "category samples", categoryTwinsSQL(),
		t.userID, pq.Array(id), pq.Array(cat), pq.Array(start), pq.Array(end), pq.Array(value), pq.Array(name))
}

// WorkoutTwinProbe describes a workout to look for under another id.
type WorkoutTwinProbe struct {
	ID           string
	ActivityType string // canonical
	Start, End   time.Time
	SourceName   string
}

// WorkoutTwins is SampleTwins for workouts: same activity, the same start and end to the second, a source of
// the same name. Totals are left out: an export states them in its own units, or only in its statistics.
func (t *Tx) WorkoutTwins(ctx context.Context, probes []WorkoutTwinProbe) (map[int]bool, error) {
	if len(probes) == 0 {
		return map[int]bool{}, nil
	}
	n := len(probes)
	id, act, name := make([]string, n), make([]string, n), make([]string, n)
	start, end := make([]int64, n), make([]int64, n)
	for i, p := range probes {
		id[i], act[i], name[i] = p.ID, p.ActivityType, p.SourceName
		start[i], end[i] = micros(p.Start.Truncate(time.Second)), micros(p.End.Truncate(time.Second))
	}
	return t.twinPositions(ctx, "workouts", workoutTwinsSQL(),
		t.userID, pq.Array(id), pq.Array(act), pq.Array(start), pq.Array(end), pq.Array(name))
}

// twinPositions runs a twin look-up that returns the 0-based positions of the probes with a twin.
func (t *Tx) twinPositions(ctx context.Context, what, q string, args ...any) (map[int]bool, error) {
	twins := map[int]bool{}
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find twin %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return nil, fmt.Errorf("find twin %s: %w", what, err)
		}
		twins[i] = true
	}
	return twins, rows.Err()
}

// twinWindows is the probes of a twin look-up as a windowsCTE named r: cols are the unnest's columns in order
// (s and e the start and end in Unix microseconds, i the ordinality), and the probe's start second becomes
// r.s .. r.s1 and its end r.e as timestamptz, so that the start range is the scan's index condition under
// row-level security.
func twinWindows(unnest string, cols ...string) string {
	sel := []string{"u.i"}
	for _, c := range cols {
		switch c {
		case "s":
			sel = append(sel, tsCol("u.s", "s"), tsCol("(u.s + 1000000)", "s1"))
		case "e":
			sel = append(sel, tsCol("u.e", "e"))
		default:
			sel = append(sel, "u."+c)
		}
	}
	return windowsCTE("r", unnest+" WITH ORDINALITY AS u("+strings.Join(cols, ", ")+", i)", sel...)
}

// sampleTwinsSQL is SampleTwins' statement ($1 user; $2 … $7 the probes' ids, metrics, starts, ends, values,
// source names).
func sampleTwinsSQL() string {
	return `
		WITH ` + twinWindows("unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::text[])",
		"id", "m", "s", "e", "v", "n") + `
		SELECT r.i - 1 FROM r
		CROSS JOIN LATERAL (
			SELECT 1 FROM samples x JOIN sources so ON so.user_id = x.user_id AND so.source_id = x.source_id
			WHERE x.user_id = $1 AND x.metric = r.m
				AND x.start_time >= r.s AND x.start_time < r.s1
				AND date_trunc('second', x.end_time) = r.e
				AND abs(x.value - r.v) <= 1e-9 * greatest(1, abs(r.v))
				AND so.name = r.n AND x.sample_id <> r.id
			LIMIT 1) hit`
}

// categoryTwinsSQL is CategoryTwins' statement ($1 user; $2 … $7 the probes' ids, categories, starts, ends,
// values, source names).
func categoryTwinsSQL() string {
	return `
		WITH ` + twinWindows("unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[])",
		"id", "c", "s", "e", "v", "n") + `
		SELECT r.i - 1 FROM r
		CROSS JOIN LATERAL (
			SELECT 1 FROM category_samples x JOIN sources so ON so.user_id = x.user_id AND so.source_id = x.source_id
			WHERE x.user_id = $1 AND x.category = r.c
				AND x.start_time >= r.s AND x.start_time < r.s1
				AND date_trunc('second', x.end_time) = r.e
				AND x.value = r.v AND so.name = r.n AND x.sample_id <> r.id
			LIMIT 1) hit`
}

// workoutTwinsSQL is WorkoutTwins' statement ($1 user; $2 … $6 the probes' ids, activity types, starts, ends,
// source names).
func workoutTwinsSQL() string {
	return `
		WITH ` + twinWindows("unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])",
		"id", "a", "s", "e", "n") + `
		SELECT r.i - 1 FROM r
		CROSS JOIN LATERAL (
			SELECT 1 FROM workouts x JOIN sources so ON so.user_id = x.user_id AND so.source_id = x.source_id
			WHERE x.user_id = $1
				AND x.start_time >= r.s AND x.start_time < r.s1
				AND date_trunc('second', x.end_time) = r.e
				AND x.activity_type = r.a AND so.name = r.n AND x.workout_id <> r.id
			LIMIT 1) hit`
}
