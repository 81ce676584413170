package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Kinds of ObservationRow, in the order rows sharing a start time are listed.
const (
	ObsSample  = 0 // one quantity sample (or a systolic sample paired with its diastolic: a blood pressure panel)
	ObsSleep   = 1 // one sleep category sample
	ObsWorkout = 2
)

// ObservationQuery asks for one page of the rows the FHIR export turns into Observations, in (start, kind,
// id, point) order.
type ObservationQuery struct {
	// Metrics lists the quantity metrics to read; blood_pressure_systolic/_diastolic must both be in it for
	// panels. Names then filters the rows by the name they are exported under (nil: all), which tells a
	// panel ("blood_pressure") from a lone systolic sample.
	Metrics, Names  []string
	Sleep, Workouts bool
	From, To        *time.Time // start in [From, To)
	After           *ObservationKey
	Limit           int
}

// ObservationKey is a row's place in the listing order: the keyset cursor.
type ObservationKey struct {
	Start   time.Time
	Kind    int
	ID      string
	PointMS int64
}

// ObservationRow is one sample, sleep sample or workout with its source, as the FHIR export reads it.
type ObservationRow struct {
	Kind        int       `db:"kind"`
	ID          string    `db:"id"`
	PointMS     int64     `db:"point_ms"`
	Name        string    `db:"name"` // metric, "blood_pressure", sleep stage's category or workout activity type
	Value       *float64  `db:"value"`
	Value2      *float64  `db:"value2"` // the diastolic of a panel
	ID2         *string   `db:"id2"`    // the diastolic sample's id
	Text        *string   `db:"text"`   // sleep stage, workout activity type
	Start       time.Time `db:"start_time"`
	End         time.Time `db:"end_time"`
	EnergyKcal  *float64  `db:"energy_kcal"`
	DistanceM   *float64  `db:"distance_m"`
	UserEntered bool      `db:"user_entered"`
	DeviceID    string    `db:"device_id"`
	SourceID    int64     `db:"source_id"`
	SourceName  *string   `db:"source_name"`
	BundleID    *string   `db:"bundle_id"`
	DeviceName  *string   `db:"device_name"`
	DeviceModel *string   `db:"device_model"`
	Maker       *string   `db:"device_manufacturer"`
	Provider    *string   `db:"provider"`
}

// Key is the row's keyset cursor.
func (r ObservationRow) Key() ObservationKey {
	return ObservationKey{Start: r.Start, Kind: r.Kind, ID: r.ID, PointMS: r.PointMS}
}

// Observations returns one page of q. Each metric and each other kind is cut to the page size on its own
// index range scan before the union is ordered, so a page costs one short scan per metric asked for however
// much the user holds (ordering all of a user's samples by time would need an index the write path would pay
// for on every sample).
func (t *Tx) Observations(ctx context.Context, q ObservationQuery) ([]ObservationRow, error) {
	var from, to, afterStart *int64
	if q.From != nil {
		m := micros(*q.From)
		from = &m
	}
	if q.To != nil {
		m := micros(*q.To)
		to = &m
	}
	afterKind, afterID, afterPoint := -1, "", int64(0)
	if q.After != nil {
		m := micros(q.After.Start)
		afterStart, afterKind, afterID, afterPoint = &m, q.After.Kind, q.After.ID, q.After.PointMS
	}
	metrics := pq.Array(q.Metrics)
	if q.Metrics == nil {
		metrics = pq.Array([]string{})
	}
	var names any
	if q.Names != nil {
		names = pq.Array(q.Names)
	}
	var out []ObservationRow
	if err := t.tx.SelectContext(ctx, &out, observationsSQL, t.userID, metrics, names, q.Sleep, q.Workouts,
		from, to, afterStart, afterKind, afterID, afterPoint, q.Limit); err != nil {
		return nil, fmt.Errorf("list observations: %w", err)
	}
	return out, nil
}

// The window and keyset conditions each branch repeats: $6/$7 bound the start, $8..$11 the cursor (its plain
// start_time bound is what lets the index range scan begin at the cursor; the row comparison alone would not).
const (
	obsFrom  = `($6::bigint IS NULL OR %[1]s.start_time >= (timestamptz 'epoch' + $6 * interval '1 microsecond'))`
	obsTo    = `($7::bigint IS NULL OR %[1]s.start_time < (timestamptz 'epoch' + $7 * interval '1 microsecond'))`
	obsAfter = `($8::bigint IS NULL OR (%[1]s.start_time >= (timestamptz 'epoch' + $8 * interval '1 microsecond')
		AND (%[1]s.start_time, %[2]d, %[3]s, %[4]s) > ((timestamptz 'epoch' + $8 * interval '1 microsecond'), $9::int, $10::text, $11::bigint)))`
)

func obsWindow(alias string, kind int, id, point string) string {
	return fmt.Sprintf(obsFrom, alias) + " AND " + fmt.Sprintf(obsTo, alias) + " AND " +
		fmt.Sprintf(obsAfter, alias, kind, id, point)
}

// A diastolic sample pairs with the systolic of the same source and span (HealthKit's blood pressure
// correlation, Health Connect's BloodPressure record, both split into two samples on the way in).
var observationsSQL = fmt.Sprintf(`
	WITH rows AS (
		(SELECT 0 AS kind, q.sample_id AS id, q.point_ms, q.name, q.value, q.value2, q.id2, NULL::text AS text,
			q.start_time, q.end_time, NULL::float8 AS energy_kcal, NULL::float8 AS distance_m, q.user_entered,
			q.device_id, q.source_id
		FROM unnest($2::text[]) AS m(metric)
		CROSS JOIN LATERAL (
			SELECT s.sample_id, s.point_ms, s.value, s.start_time, s.end_time, s.source_id, s.device_id,
				s.user_entered, dia.sample_id AS id2, dia.value AS value2,
				CASE WHEN dia.sample_id IS NOT NULL THEN 'blood_pressure' ELSE s.metric END AS name
			FROM samples s
			LEFT JOIN LATERAL (
				SELECT d.sample_id, d.value FROM samples d
				WHERE s.metric = 'blood_pressure_systolic' AND d.user_id = s.user_id AND d.metric = 'blood_pressure_diastolic'
				  AND d.source_id = s.source_id AND d.start_time = s.start_time AND d.end_time = s.end_time
				ORDER BY d.sample_id LIMIT 1
			) dia ON true
			WHERE s.user_id = $1 AND s.metric = m.metric AND %[1]s
			  AND NOT (s.metric = 'blood_pressure_diastolic' AND EXISTS (
				SELECT 1 FROM samples y
				WHERE y.user_id = s.user_id AND y.metric = 'blood_pressure_systolic' AND y.source_id = s.source_id
				  AND y.start_time = s.start_time AND y.end_time = s.end_time))
			  AND ($3::text[] IS NULL OR (CASE WHEN dia.sample_id IS NOT NULL THEN 'blood_pressure' ELSE s.metric END) = ANY($3))
			ORDER BY s.start_time, s.sample_id, s.point_ms LIMIT $12
		) q
		ORDER BY q.start_time, q.sample_id, q.point_ms LIMIT $12)
		UNION ALL
		(SELECT 1, c.sample_id, 0, 'sleep', NULL, NULL, NULL, c.value, c.start_time, c.end_time, NULL, NULL,
			c.user_entered, c.device_id, c.source_id
		FROM category_samples c
		WHERE $4 AND c.user_id = $1 AND c.category = 'sleep' AND %[2]s
		ORDER BY c.start_time, c.sample_id LIMIT $12)
		UNION ALL
		(SELECT 2, w.workout_id, 0, 'workout', w.duration_s, NULL, NULL, w.activity_type, w.start_time, w.end_time,
			w.energy_kcal, w.distance_m, false, w.device_id, w.source_id
		FROM workouts w
		WHERE $5 AND w.user_id = $1 AND %[3]s
		ORDER BY w.start_time, w.workout_id LIMIT $12)
	)
	SELECT r.*, src.name AS source_name, src.bundle_id, src.device_name, src.device_model, src.device_manufacturer,
		src.provider
	FROM (SELECT * FROM rows ORDER BY start_time, kind, id, point_ms LIMIT $12) r
	LEFT JOIN sources src ON src.user_id = $1 AND src.source_id = r.source_id
	ORDER BY r.start_time, r.kind, r.id, r.point_ms`,
	obsWindow("s", ObsSample, "s.sample_id", "s.point_ms"),
	obsWindow("c", ObsSleep, "c.sample_id", "0::bigint"),
	obsWindow("w", ObsWorkout, "w.workout_id", "0::bigint"))
