package db

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/lib/pq"
)

// WorkoutRow is one normalized workout.
type WorkoutRow struct {
	ID               string
	ActivityType     string // canonical
	OrigActivityType string
	SourceID         int64
	Start, End       time.Time
	DurationSeconds  float64
	EnergyKcal       *float64
	DistanceM        *float64
	TimeZone         string
	Version          int64
	Metadata         string
	// Segments, Laps and Events are JSON arrays (ingest validates and encodes them); "" = none sent.
	Segments, Laps, Events string
}

// WorkoutSegment, WorkoutLap and WorkoutEvent are the canonical JSON of a workout's segments, laps and events
// (workouts.segments, .laps, .events): UTC times, snake_case types, metres.
type (
	WorkoutSegment struct {
		Start       time.Time `json:"start"`
		End         time.Time `json:"end"`
		Type        string    `json:"type"`
		Repetitions *int64    `json:"repetitions,omitempty"`
	}
	WorkoutLap struct {
		Start     time.Time `json:"start"`
		End       time.Time `json:"end"`
		DistanceM *float64  `json:"distanceM,omitempty"`
	}
	WorkoutEvent struct {
		Type  string     `json:"type"`
		Start time.Time  `json:"start"`
		End   *time.Time `json:"end,omitempty"`
	}
)

// WriteWorkouts stores rows like WriteSamples.
func (t *Tx) WriteWorkouts(ctx context.Context, deviceID string, rows []WorkoutRow) (WriteOutcome, error) {
	out := newOutcome()
	if len(rows) == 0 {
		return out, nil
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	if err := t.replaceOlder(ctx, "workouts", "workout_id", workoutRecordLocks, versionedRecords(len(rows), func(i int) (string, int64) {
		return rows[i].ID, rows[i].Version
	}), out.Replaced); err != nil {
		return out, err
	}
	if t.values() {
		v := valuesInsert{
			head: `INSERT INTO workouts (user_id, workout_id, activity_type, orig_activity_type, source_id, device_id,
				start_time, end_time, duration_s, energy_kcal, distance_m, time_zone, version, metadata, segments, laps, events)`,
			tuple: `($1, ?, ?, ?, ?, $2, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?::jsonb)`,
			tail:  `ON CONFLICT (user_id, workout_id) DO NOTHING RETURNING workout_id`,
			fixed: []any{t.userID, deviceID},
		}
		if _, err := v.run(ctx, t.tx, len(rows), func(i int, args []any) []any {
			r := &rows[i]
			var en, di any
			if r.EnergyKcal != nil {
				en = *r.EnergyKcal
			}
			if r.DistanceM != nil {
				di = *r.DistanceM
			}
			return append(args, r.ID, r.ActivityType, r.OrigActivityType, r.SourceID, tsMicros(r.Start), tsMicros(r.End),
				r.DurationSeconds, en, di, nullText(r.TimeZone), r.Version, nullText(r.Metadata),
				nullText(r.Segments), nullText(r.Laps), nullText(r.Events))
		}, scanID(out.Inserted)); err != nil {
			return out, fmt.Errorf("insert workouts: %w", err)
		}
		return out, nil
	}
	n := len(rows)
	var (
		id, act, orig, tz, meta = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		src, start, end, ver    = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		dur                     = make([]float64, n)
		// NULL-able floats travel as text ('' = NULL): lib/pq has no fast path for arrays with NULLs.
		energyArr, distArr = make([]string, n), make([]string, n)
		segs, laps, evs    = make([]string, n), make([]string, n), make([]string, n)
	)
	for i, r := range rows {
		id[i], act[i], orig[i], tz[i], meta[i] = r.ID, r.ActivityType, r.OrigActivityType, r.TimeZone, r.Metadata
		src[i], start[i], end[i], ver[i], dur[i] = r.SourceID, micros(r.Start), micros(r.End), r.Version, r.DurationSeconds
		segs[i], laps[i], evs[i] = r.Segments, r.Laps, r.Events
		if r.EnergyKcal != nil {
			energyArr[i] = strconv.FormatFloat(*r.EnergyKcal, 'g', -1, 64)
		}
		if r.DistanceM != nil {
			distArr[i] = strconv.FormatFloat(*r.DistanceM, 'g', -1, 64)
		}
	}
	q := fmt.Sprintf(`
		INSERT INTO workouts (user_id, workout_id, activity_type, orig_activity_type, source_id, device_id,
			start_time, end_time, duration_s, energy_kcal, distance_m, time_zone, version, metadata, segments, laps, events)
		SELECT $1, id, a, oa, src, $2, %s, %s, dur, nullif(en, '')::float8, nullif(di, '')::float8,
			nullif(tz, ''), ver, nullif(meta, '')::jsonb, nullif(sg, '')::jsonb, nullif(lp, '')::jsonb, nullif(ev, '')::jsonb
		FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::float8[],
			$10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[], $15::text[], $16::text[], $17::text[])
			AS r(id, a, oa, src, s, e, dur, en, di, tz, ver, meta, sg, lp, ev)
		ON CONFLICT (user_id, workout_id) DO NOTHING
		RETURNING workout_id`, fmt.Sprintf(tsFromMicros, "s"), fmt.Sprintf(tsFromMicros, "e"))
	if err := t.collectIDs(ctx, out.Inserted, q, t.userID, deviceID, pq.Array(id), pq.Array(act), pq.Array(orig),
		pq.Array(src), pq.Array(start), pq.Array(end), pq.Array(dur), pq.Array(energyArr), pq.Array(distArr),
		pq.Array(tz), pq.Array(ver), pq.Array(meta), pq.Array(segs), pq.Array(laps), pq.Array(evs)); err != nil {
		return out, fmt.Errorf("insert workouts: %w", err)
	}
	return out, nil
}
