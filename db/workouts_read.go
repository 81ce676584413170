package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// WorkoutPageQuery asks for one page of workouts that are not duplicates of a higher-priority recording.
type WorkoutPageQuery struct {
	From, To time.Time // workouts starting in [From, To)
	// After, when set, starts the page strictly after this (start, id) in newest-first order.
	AfterStart *time.Time
	AfterID    string
	Limit      int
	// Priority lists source ids highest first; a source missing from it ranks below all listed ones.
	Priority []int64
	// A workout is a duplicate of another when they come from different sources, share the activity type and
	// overlap by at least OverlapNum/OverlapDen of the shorter one's span (workouts.SameSession, in SQL).
	OverlapNum, OverlapDen int64
}

// StoredWorkout is a workout as read back, with the sources of the lower-priority recordings of it.
type StoredWorkout struct {
	ID               string        `db:"workout_id"`
	ActivityType     string        `db:"activity_type"`
	OrigActivityType string        `db:"orig_activity_type"`
	SourceID         int64         `db:"source_id"`
	DeviceID         string        `db:"device_id"`
	Start            time.Time     `db:"start_time"`
	End              time.Time     `db:"end_time"`
	DurationSeconds  float64       `db:"duration_s"`
	EnergyKcal       *float64      `db:"energy_kcal"`
	DistanceM        *float64      `db:"distance_m"`
	TimeZone         *string       `db:"time_zone"`
	Metadata         *string       `db:"metadata"`
	Segments         *string       `db:"segments"` // JSON arrays as stored (WorkoutRow); nil = none
	Laps             *string       `db:"laps"`
	Events           *string       `db:"events"`
	AlsoSourceIDs    pq.Int64Array `db:"also_source_ids"` // in priority order
}

// WorkoutPage returns up to q.Limit workouts, newest first by (start, id), leaving out every workout that a
// higher-priority source also recorded. Whether a workout is left out depends only on the stored workouts,
// never on the page, so keyset pages neither repeat nor skip one. The duplicates looked at are all the
// user's workouts, also those starting outside [From, To). One statement whatever the page size.
func (t *Tx) WorkoutPage(ctx context.Context, q WorkoutPageQuery) ([]StoredWorkout, error) {
	var afterMicros *int64
	if q.AfterStart != nil {
		m := micros(*q.AfterStart)
		afterMicros = &m
	}
	// The lower bound on v.start_time (the user's longest workout) keeps the duplicate probes on the
	// (user_id, start_time) index.
	query := workoutPageSQL()
	var out []StoredWorkout
	if err := t.tx.SelectContext(ctx, &out, query, t.userID, pq.Array(q.Priority), q.From, q.To, afterMicros,
		q.AfterID, q.Limit, q.OverlapNum, q.OverlapDen); err != nil {
		return nil, fmt.Errorf("list workouts: %w", err)
	}
	return out, nil
}

// workoutPageSQL is the page statement (a function for EXPLAIN in tests).
func workoutPageSQL() string {
	return fmt.Sprintf(`
		WITH longest AS (%[1]s), page AS (
			SELECT w.*
			FROM workouts w
			WHERE w.user_id = $1 AND w.start_time >= $3 AND w.start_time < $4
			  AND ($5::bigint IS NULL OR (w.start_time <= %[2]s AND (w.start_time, w.workout_id) < (%[2]s, $6::text)))
			  AND NOT EXISTS (%[3]s)
			ORDER BY w.start_time DESC, w.workout_id DESC
			LIMIT $7
		)
		SELECT p.workout_id, p.activity_type, p.orig_activity_type, p.source_id, p.device_id, p.start_time,
			p.end_time, p.duration_s, p.energy_kcal, p.distance_m, p.time_zone, p.metadata::text AS metadata,
			p.segments::text AS segments, p.laps::text AS laps, p.events::text AS events, coalesce(d.ids, '{}') AS also_source_ids
		FROM page p
		LEFT JOIN LATERAL (
			SELECT array_agg(s.source_id ORDER BY s.rank, s.source_id) AS ids
			FROM (
				SELECT DISTINCT v.source_id, %[5]s AS rank
				FROM workouts v, longest
				WHERE %[4]s
			) s
		) d ON true
		ORDER BY p.start_time DESC, p.workout_id DESC`,
		longestSQL, fmt.Sprintf(tsFromMicros, "$5::bigint"), outrankedSQL("w", "v", "$8", "$9"),
		sameSessionProbe("v", "p", "$8", "$9")+" AND "+rankSQL("v", "$2")+" > "+rankSQL("p", "$2"), rankSQL("v", "$2"))
}

const longestSQL = `SELECT coalesce(max(end_time - start_time), interval '0') AS d FROM workouts WHERE user_id = $1`

// rankSQL is a source's position in the priority array param; unlisted sources rank last.
func rankSQL(alias, param string) string {
	return fmt.Sprintf(`coalesce(array_position(%s::bigint[], %s.source_id), 2147483647)`, param, alias)
}

// outrankedSQL selects the higher-priority recordings of the same session as w (priority in $2), needing a
// `longest` CTE in scope.
func outrankedSQL(w, v, num, den string) string {
	return fmt.Sprintf(`SELECT 1 FROM workouts %[1]s, longest WHERE %[2]s AND %[3]s < %[4]s`,
		v, sameSessionProbe(v, w, num, den), rankSQL(v, "$2"), rankSQL(w, "$2"))
}

// sameSessionProbe is workouts.SameSession between the probed alias v and the known row w, in exact numeric
// arithmetic (num/den = the share of the shorter span that must overlap), bounded for the start-time index.
func sameSessionProbe(v, w, num, den string) string {
	return fmt.Sprintf(`%[1]s.user_id = $1 AND %[1]s.activity_type = %[2]s.activity_type AND %[1]s.source_id <> %[2]s.source_id
		AND %[1]s.start_time >= %[2]s.start_time - longest.d AND %[1]s.start_time <= %[2]s.end_time
		AND least(%[1]s.end_time, %[2]s.end_time) >= greatest(%[1]s.start_time, %[2]s.start_time)
		AND extract(epoch FROM least(%[1]s.end_time, %[2]s.end_time) - greatest(%[1]s.start_time, %[2]s.start_time)) * %[4]s::int8
		  >= least(extract(epoch FROM %[1]s.end_time - %[1]s.start_time),
		           extract(epoch FROM %[2]s.end_time - %[2]s.start_time)) * %[3]s::int8`, v, w, num, den)
}

func workoutStartsSQL() string {
	return fmt.Sprintf(`
		WITH longest AS (%s)
		SELECT w.start_time FROM workouts w
		WHERE w.user_id = $1 AND w.start_time >= $3 AND w.start_time < $4 AND NOT EXISTS (%s)
		ORDER BY w.start_time`, longestSQL, outrankedSQL("w", "v", "$5", "$6"))
}

// WorkoutStarts lists the start times of the workouts starting in [from, to) that are not duplicates of a
// higher-priority recording (the rule of WorkoutPage), oldest first. One statement.
func (t *Tx) WorkoutStarts(ctx context.Context, from, to time.Time, priority []int64, overlapNum, overlapDen int64) ([]time.Time, error) {
	var out []time.Time
	if err := t.selectRows(ctx, &out, workoutStartsSQL(), t.userID, pq.Array(priority), from, to, overlapNum, overlapDen); err != nil {
		return nil, fmt.Errorf("list workout starts: %w", err)
	}
	return out, nil
}

// Window is a workout's span, for heart-rate statistics.
type Window struct {
	ID         string
	Start, End time.Time
}

// HeartRateStats are the heart-rate samples inside one window.
type HeartRateStats struct {
	ID      string  `db:"id"`
	Average float64 `db:"avg"`
	Max     float64 `db:"max"`
	Count   int64   `db:"n"`
}

// HeartRateWithin computes, for every window, the mean and maximum of the heart_rate samples (all sources,
// series points included) that start inside [Start, End). Windows without samples are absent from the answer.
// One statement for all windows.
func (t *Tx) HeartRateWithin(ctx context.Context, windows []Window) ([]HeartRateStats, error) {
	if len(windows) == 0 {
		return nil, nil
	}
	ids, starts, ends := make([]string, len(windows)), make([]int64, len(windows)), make([]int64, len(windows))
	for i, w := range windows {
		ids[i], starts[i], ends[i] = w.ID, micros(w.Start), micros(w.End)
	}
	var out []HeartRateStats
	if err := t.tx.SelectContext(ctx, &out, heartRateWithinSQL(), t.userID, pq.Array(ids), pq.Array(starts), pq.Array(ends)); err != nil {
		return nil, fmt.Errorf("workout heart rate: %w", err)
	}
	return out, nil
}

// heartRateWithinSQL is HeartRateWithin's statement ($1 user, $2 ids, $3 and $4 window edges in Unix
// microseconds). LATERAL keeps one index range scan per workout: as a plain join the planner chose to scan every
// heart-rate sample of the user against the page's windows (1.6 s for two years of data, measured). The windows
// come from windowsCTE so that the range is the scan's index condition under row-level security.
func heartRateWithinSQL() string {
	return `
		WITH ` + windowsCTE("w", "unnest($2::text[], $3::bigint[], $4::bigint[]) AS u(id, s, e)",
		"u.id", tsCol("u.s", "s"), tsCol("u.e", "e")) + `
		SELECT w.id, x.avg, x.max, x.n
		FROM w
		CROSS JOIN LATERAL (
			SELECT avg(s.value) AS avg, max(s.value) AS max, count(*) AS n
			FROM samples s
			WHERE s.user_id = $1 AND s.metric = 'heart_rate' AND s.start_time >= w.s AND s.start_time < w.e) x
		WHERE x.n > 0`
}
