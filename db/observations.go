package db

import (
	"context"
	"fmt"
	"strings"
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
	// EndBefore keeps rows that end before it (FHIR's eb prefix); NotFrom/NotTo pair up ranges of start
	// times to leave out (FHIR's ne), each [NotFrom[i], NotTo[i]).
	EndBefore      *time.Time
	NotFrom, NotTo []time.Time
	// IDs, when not nil, keeps the rows with these sample (or workout) ids whose identifier value (the id, or
	// id#pointMs for a series point) is in Idents: the identifier search and the read by id.
	IDs, Idents []string
	Desc        bool // newest first (FHIR _sort=-date): the keyset runs backwards
	After       *ObservationKey
	Limit       int
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
	SourceKey   *string   `db:"source_key"`
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
	var out []ObservationRow
	text := observationsSQL
	if q.Desc {
		text = observationsDescSQL
	}
	if err := t.tx.SelectContext(ctx, &out, text, q.args(t.userID, q.Limit)...); err != nil {
		return nil, fmt.Errorf("list observations: %w", err)
	}
	return out, nil
}

// CountObservations counts every row of q (its cursor, order and limit ignored): FHIR's _summary=count.
func (t *Tx) CountObservations(ctx context.Context, q ObservationQuery) (int64, error) {
	q.After = nil
	// The count's estimate is every row of the user, which makes PostgreSQL compile it (JIT): half a second of
	// compiling for a pass over an index. Off for this transaction only. (Its branches keep the page query's
	// ORDER BY with a NULL limit: without it the planner leaves the index and a year of samples took seconds.)
	if _, err := t.tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
		return 0, fmt.Errorf("count observations: %w", err)
	}
	var n int64
	if err := t.tx.GetContext(ctx, &n, countObservationsSQL, q.args(t.userID, nil)...); err != nil {
		return 0, fmt.Errorf("count observations: %w", err)
	}
	return n, nil
}

func (q ObservationQuery) args(userID int64, limit any) []any {
	var from, to, afterStart, endBefore *int64
	if q.From != nil {
		m := micros(*q.From)
		from = &m
	}
	if q.To != nil {
		m := micros(*q.To)
		to = &m
	}
	if q.EndBefore != nil {
		m := micros(*q.EndBefore)
		endBefore = &m
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
	var names, ids, idents any
	if q.Names != nil {
		names = pq.Array(q.Names)
	}
	if q.IDs != nil {
		ids, idents = pq.Array(q.IDs), pq.Array(q.Idents)
	}
	notFrom, notTo := make([]int64, 0, len(q.NotFrom)), make([]int64, 0, len(q.NotTo))
	for i := range min(len(q.NotFrom), len(q.NotTo)) {
		notFrom, notTo = append(notFrom, micros(q.NotFrom[i])), append(notTo, micros(q.NotTo[i]))
	}
	return []any{userID, metrics, names, q.Sleep, q.Workouts, from, to, afterStart, afterKind, afterID, afterPoint,
		limit, ids, idents, endBefore, pq.Array(notFrom), pq.Array(notTo)}
}

// The conditions each branch repeats: $6/$7 bound the start, $15 the end, $16/$17 cut ranges out, $13/$14 pick
// ids, $8..$11 are the cursor (its plain start_time bound is what lets the index range scan begin at the cursor;
// the row comparison alone would not).
const (
	obsFrom = `($6::bigint IS NULL OR %[1]s.start_time >= (timestamptz 'epoch' + $6 * interval '1 microsecond'))`
	obsTo   = `($7::bigint IS NULL OR %[1]s.start_time < (timestamptz 'epoch' + $7 * interval '1 microsecond'))`
	obsEnd  = `($15::bigint IS NULL OR %[1]s.end_time < (timestamptz 'epoch' + $15 * interval '1 microsecond'))`
	obsNot  = `NOT EXISTS (SELECT 1 FROM unnest($16::bigint[], $17::bigint[]) AS n(lo, hi)
		WHERE %[1]s.start_time >= (timestamptz 'epoch' + n.lo * interval '1 microsecond')
		  AND %[1]s.start_time < (timestamptz 'epoch' + n.hi * interval '1 microsecond'))`
	obsIDs   = `($13::text[] IS NULL OR (%[1]s = ANY($13) AND %[2]s = ANY($14)))`
	obsAfter = `($8::bigint IS NULL OR (%[1]s.start_time %[5]s= (timestamptz 'epoch' + $8 * interval '1 microsecond')
		AND (%[1]s.start_time, %[2]d, %[3]s, %[4]s) %[5]s ((timestamptz 'epoch' + $8 * interval '1 microsecond'), $9::int, $10::text, $11::bigint)))`
)

// obsWindow is every condition of one branch; ident is the SQL of the row's identifier value.
func obsWindow(alias string, kind int, id, point, ident, cmp string) string {
	return fmt.Sprintf(obsFrom, alias) + " AND " + fmt.Sprintf(obsTo, alias) + " AND " + fmt.Sprintf(obsEnd, alias) +
		" AND " + fmt.Sprintf(obsNot, alias) + " AND " + fmt.Sprintf(obsIDs, id, ident) + " AND " +
		fmt.Sprintf(obsAfter, alias, kind, id, point, cmp)
}

var (
	observationsSQL      = observationsText(false, false)
	observationsDescSQL  = observationsText(true, false)
	countObservationsSQL = observationsText(false, true)
)

// observationsText is the page query in either order, or the count of everything it would page through.
// A diastolic sample pairs with the systolic of the same source and span (HealthKit's blood pressure
// correlation, Health Connect's BloodPressure record, both split into two samples on the way in).
func observationsText(desc, count bool) string {
	cmp, dir := ">", ""
	if desc {
		cmp, dir = "<", " DESC"
	}
	order := func(cols ...string) string {
		for i := range cols {
			cols[i] += dir
		}
		return strings.Join(cols, ", ")
	}
	tail := fmt.Sprintf(`SELECT r.*, src.name AS source_name, src.bundle_id, src.device_name, src.device_model,
		src.device_manufacturer, src.provider, src.source_key
	FROM (SELECT * FROM rows ORDER BY %[1]s LIMIT $12) r
	LEFT JOIN sources src ON src.user_id = $1 AND src.source_id = r.source_id
	ORDER BY %[2]s`, order("start_time", "kind", "id", "point_ms"), order("r.start_time", "r.kind", "r.id", "r.point_ms"))
	if count {
		tail = `SELECT count(*) FROM rows`
	}
	return fmt.Sprintf(`
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
				WHERE s.metric = 'blood_pressure_systolic' AND d.user_id = $1 AND d.metric = 'blood_pressure_diastolic'
				  AND d.source_id = s.source_id AND d.start_time = s.start_time AND d.end_time = s.end_time
				ORDER BY d.sample_id LIMIT 1
			) dia ON true
			WHERE s.user_id = $1 AND s.metric = m.metric AND %[1]s
			  AND NOT (s.metric = 'blood_pressure_diastolic' AND EXISTS (
				SELECT 1 FROM samples y
				WHERE y.user_id = $1 AND y.metric = 'blood_pressure_systolic' AND y.source_id = s.source_id
				  AND y.start_time = s.start_time AND y.end_time = s.end_time))
			  AND ($3::text[] IS NULL OR (CASE WHEN dia.sample_id IS NOT NULL THEN 'blood_pressure' ELSE s.metric END) = ANY($3))
			ORDER BY %[4]s LIMIT $12
		) q
		ORDER BY %[5]s LIMIT $12)
		UNION ALL
		(SELECT 1, c.sample_id, 0, 'sleep', NULL, NULL, NULL, c.value, c.start_time, c.end_time, NULL, NULL,
			c.user_entered, c.device_id, c.source_id
		FROM category_samples c
		WHERE $4 AND c.user_id = $1 AND c.category = 'sleep' AND %[2]s
		ORDER BY %[6]s LIMIT $12)
		UNION ALL
		(SELECT 2, w.workout_id, 0, 'workout', w.duration_s, NULL, NULL, w.activity_type, w.start_time, w.end_time,
			w.energy_kcal, w.distance_m, false, w.device_id, w.source_id
		FROM workouts w
		WHERE $5 AND w.user_id = $1 AND %[3]s
		ORDER BY %[7]s LIMIT $12)
	)
	%[8]s`,
		obsWindow("s", ObsSample, "s.sample_id", "s.point_ms",
			"(CASE WHEN s.point_ms = 0 THEN s.sample_id ELSE s.sample_id || '#' || s.point_ms END)", cmp),
		obsWindow("c", ObsSleep, "c.sample_id", "0::bigint", "c.sample_id", cmp),
		obsWindow("w", ObsWorkout, "w.workout_id", "0::bigint", "w.workout_id", cmp),
		order("s.start_time", "s.sample_id", "s.point_ms"), order("q.start_time", "q.sample_id", "q.point_ms"),
		order("c.start_time", "c.sample_id"), order("w.start_time", "w.workout_id"), tail)
}

// ObservationRef names one stored row the FHIR export lists: its kind, id and series point.
type ObservationRef struct {
	Kind    int    `db:"kind"`
	ID      string `db:"id"`
	PointMS int64  `db:"point_ms"`
}

// ObservationByDigest finds the row whose Observation id is digest: the first 16 bytes of
// sha256(prefix(kind) || id || 0x00 || point as decimal), the digest fhir.ResourceID writes. Ids are digests
// so that any uploader id fits R4's id syntax; reading one back therefore hashes the user's rows (an index-only
// pass over their keys) instead of looking it up; no column stores it.
func (t *Tx) ObservationByDigest(ctx context.Context, digest []byte, prefix func(kind int) []byte) (*ObservationRef, error) {
	var out []ObservationRef
	err := t.tx.SelectContext(ctx, &out, `
		(SELECT 0 AS kind, sample_id AS id, point_ms FROM samples WHERE user_id = $1
		   AND substring(sha256($2::bytea || convert_to(sample_id, 'UTF8') || '\x00'::bytea || convert_to(point_ms::text, 'UTF8')) FROM 1 FOR 16) = $5
		 LIMIT 1)
		UNION ALL
		(SELECT 1, sample_id, 0 FROM category_samples WHERE user_id = $1 AND category = 'sleep'
		   AND substring(sha256($3::bytea || convert_to(sample_id, 'UTF8') || '\x00'::bytea || convert_to('0', 'UTF8')) FROM 1 FOR 16) = $5
		 LIMIT 1)
		UNION ALL
		(SELECT 2, workout_id, 0 FROM workouts WHERE user_id = $1
		   AND substring(sha256($4::bytea || convert_to(workout_id, 'UTF8') || '\x00'::bytea || convert_to('0', 'UTF8')) FROM 1 FOR 16) = $5
		 LIMIT 1)
		LIMIT 1`, t.userID, prefix(ObsSample), prefix(ObsSleep), prefix(ObsWorkout), digest)
	if err != nil {
		return nil, fmt.Errorf("find observation by id: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// PanelSystolics maps diastolic sample ids among ids to the identifier of the systolic sample they are
// exported with (one blood pressure panel), so that a search by either identifier finds the panel.
func (t *Tx) PanelSystolics(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	err := t.tx.SelectContext(ctx, &out, `
		SELECT DISTINCT CASE WHEN y.point_ms = 0 THEN y.sample_id ELSE y.sample_id || '#' || y.point_ms END
		FROM samples d
		JOIN samples y ON y.user_id = d.user_id AND y.metric = 'blood_pressure_systolic' AND y.source_id = d.source_id
			AND y.start_time = d.start_time AND y.end_time = d.end_time
		WHERE d.user_id = $1 AND d.sample_id = ANY($2) AND d.metric = 'blood_pressure_diastolic'`, t.userID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("find blood pressure panels: %w", err)
	}
	return out, nil
}

// SourcesAfter is one page of the user's sources in source_id order after the id after (0: from the first).
func (t *Tx) SourcesAfter(ctx context.Context, after int64, limit int) ([]Source, error) {
	var out []Source
	err := t.tx.SelectContext(ctx, &out, `
		SELECT source_id, provider, source_key, name, bundle_id, version, product_type, device_name, device_model,
			device_manufacturer, hardware_version, software_version, first_seen, last_seen
		FROM sources WHERE user_id = $1 AND source_id > $2 ORDER BY source_id LIMIT $3`, t.userID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}
