package ingest

import (
	"math"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// record is one valid item of the batch, with the rows it becomes.
type record struct {
	kind     ItemKind
	index    int
	id       string
	dataType string
	end      time.Time
	version  int64
	source   *db.Source     // shared by the batch's items of that source (normalizer.source)
	samples  []db.SampleRow // a quantity sample (one row) or a series record (one row per point)
	category *db.CategoryRow
	workout  *db.WorkoutRow
	kindRow  db.KindRow // a State of Mind, ECG or medication dose (kinds.go)
	recordID string     // a part's multi-value record id (its id without ".field"): deletions go by it; else ""
}

// deletionID is the id a deletion names to remove the record: its multi-value record's for a part.
func (r *record) deletionID() string {
	if r.recordID != "" {
		return r.recordID
	}
	return r.id
}

// table tells which stored table (and so which id space) a record belongs to.
func (r *record) table() string {
	switch {
	case r.category != nil:
		return "category"
	case r.workout != nil:
		return "workout"
	case r.kindRow != nil:
		return r.kindRow.Table()
	}
	return "sample"
}

// envelope is what every kind of item carries besides its value: times, zone, source, version, metadata.
type envelope struct {
	tz      string
	source  *db.Source
	version int64
	meta    string
}

// envelope validates the shared fields in one order for every kind of item. metaJSON, when not nil, is meta
// already encoded (by the fingerprint).
func (n *normalizer) envelope(start, end time.Time, zone *string, meta map[string]any, metaJSON *string, src Source, ver *int64) (envelope, *problem) {
	var e envelope
	var p *problem
	if p = n.checkTimes(start, end); p != nil {
		return e, p
	}
	if e.tz, p = n.timeZone(zone, meta); p != nil {
		return e, p
	}
	if e.source, p = n.source(src); p != nil {
		return e, p
	}
	if e.version, p = version(ver); p != nil {
		return e, p
	}
	if metaJSON != nil {
		e.meta, p = *metaJSON, checkMeta(*metaJSON)
		return e, p
	}
	e.meta, p = encodeMeta(meta)
	return e, p
}

func (n *normalizer) quantitySample(i int, s QuantitySample) *record {
	id, p := n.normalizeID(s.ID)
	if p != nil {
		n.reject(KindSample, i, s.ID, p.code, "%s", p.msg)
		return nil
	}
	m, ok := n.metric(s.Type)
	if !ok {
		hint := ""
		if _, isCat := n.cat.LookupCategory(s.Type); isCat {
			hint = " (it is a category type: send it in categorySamples)"
		}
		n.reject(KindSample, i, id, CodeUnknownType, "unknown quantity type %q%s; the metrics query lists the known types", clip(s.Type), hint)
		return nil
	}
	recordID := ""
	if field := catalog.RecordField(s.Type); field != "" {
		// The values of one multi-value record (BloodPressure, Nutrition) share its id: each is kept as its own sample.
		recordID, id = id, id+"."+field
	}
	rec := n.newRecord(record{kind: KindSample, index: i, id: id, recordID: recordID, dataType: m.Name, end: s.End})
	v, p := n.quantity(m, s.Value, s.Unit)
	if p == nil && len(s.Unit) > maxFieldLen {
		p = fail(CodeBadUnit, "unit is too long")
	}
	var env envelope
	if p == nil {
		var pre *string
		if i < len(n.metas) {
			pre = &n.metas[i]
		}
		env, p = n.envelope(s.Start, s.End, s.TimeZone, s.Metadata, pre, s.Source, s.Version)
	}
	if p != nil {
		n.reject(KindSample, i, id, p.code, "%s", p.msg)
		return nil
	}
	rec.source = env.source
	row := db.SampleRow{ID: id, Metric: m.Name, Start: s.Start, End: s.End, Value: v, OrigValue: float64(s.Value),
		OrigUnit: s.Unit, UserEntered: userEntered(s.UserEntered, s.Metadata), TimeZone: env.tz, Version: env.version,
		Metadata: env.meta}
	rec.version = row.Version
	rec.samples = n.sampleRow(row)
	return rec
}

func (n *normalizer) seriesSample(i int, s SeriesSample) *record {
	id, p := n.normalizeID(s.ID)
	if p != nil {
		n.reject(KindSeriesSample, i, s.ID, p.code, "%s", p.msg)
		return nil
	}
	m, ok := n.metric(s.Type)
	if !ok {
		n.reject(KindSeriesSample, i, id, CodeUnknownType, "unknown series type %q; the metrics query lists the known types", clip(s.Type))
		return nil
	}
	rec := n.newRecord(record{kind: KindSeriesSample, index: i, id: id, dataType: m.Name, end: s.End})
	env, p := n.envelope(s.Start, s.End, s.TimeZone, s.Metadata, nil, s.Source, s.Version)
	if p == nil && len(s.Points) == 0 {
		p = fail(CodeBadField, "a series record needs at least one point")
	}
	if p != nil {
		n.reject(KindSeriesSample, i, id, p.code, "%s", p.msg)
		return nil
	}
	rec.source = env.source
	tz, ver, meta := env.tz, env.version, env.meta
	seen := make(map[int64]bool, len(s.Points))
	rows := make([]db.SampleRow, 0, len(s.Points))
	for j, pt := range s.Points {
		if pt.Time.Before(s.Start) || pt.Time.After(s.End) {
			n.reject(KindSeriesSample, i, id, CodeBadTime, "point %d at %s is outside the record's start–end", j, pt.Time.Format(time.RFC3339))
			return nil
		}
		v, p := n.quantity(m, pt.Value, s.Unit)
		if p != nil {
			n.reject(KindSeriesSample, i, id, p.code, "point %d: %s", j, p.msg)
			return nil
		}
		ms := pt.Time.UnixMilli()
		if seen[ms] { // the same instant twice in one record: keep the first
			continue
		}
		seen[ms] = true
		rows = append(rows, db.SampleRow{ID: id, PointMS: ms, Metric: m.Name, Start: pt.Time, End: pt.Time,
			Value: v, OrigValue: float64(pt.Value), OrigUnit: s.Unit, TimeZone: tz, Version: ver, Metadata: meta})
	}
	// Metadata belongs to the record: keep it once, on its first point.
	for j := 1; j < len(rows); j++ {
		rows[j].Metadata = ""
	}
	rec.version = ver
	rec.samples = rows
	return rec
}

func (n *normalizer) categorySample(i int, s CategorySample) *record {
	id, p := n.normalizeID(s.ID)
	if p != nil {
		n.reject(KindCategorySample, i, s.ID, p.code, "%s", p.msg)
		return nil
	}
	c, ok := n.cat.LookupCategory(s.Type)
	if !ok {
		n.reject(KindCategorySample, i, id, CodeUnknownType, "unknown category type %q; the categories query lists the known types", clip(s.Type))
		return nil
	}
	value, ok := c.NormalizeValue(n.dialect, s.Value)
	if !ok || hasNUL(s.Value) || len(s.Value) > maxFieldLen {
		n.reject(KindCategorySample, i, id, CodeBadValue, "%q is not a %s value (known: %s)", clip(s.Value), c.Name, strings.Join(c.Values, ", "))
		return nil
	}
	rec := n.newRecord(record{kind: KindCategorySample, index: i, id: id, dataType: c.Name, end: s.End})
	env, p := n.envelope(s.Start, s.End, s.TimeZone, s.Metadata, nil, s.Source, s.Version)
	if p != nil {
		n.reject(KindCategorySample, i, id, p.code, "%s", p.msg)
		return nil
	}
	rec.source = env.source
	row := db.CategoryRow{ID: id, Category: c.Name, Value: value, OrigValue: s.Value, Start: s.Start, End: s.End,
		UserEntered: userEntered(s.UserEntered, s.Metadata), TimeZone: env.tz, Version: env.version, Metadata: env.meta}
	rec.version = row.Version
	rec.category = &row
	return rec
}

func (n *normalizer) workout(i int, w Workout) *record {
	id, p := n.normalizeID(w.ID)
	if p != nil {
		n.reject(KindWorkout, i, w.ID, p.code, "%s", p.msg)
		return nil
	}
	act, ok := n.cat.ActivityType(n.dialect, w.ActivityType)
	if !ok {
		n.reject(KindWorkout, i, id, CodeUnknownType, "unknown workout activity type %q", clip(w.ActivityType))
		return nil
	}
	rec := n.newRecord(record{kind: KindWorkout, index: i, id: id, dataType: workoutType, end: w.End})
	env, p := n.envelope(w.Start, w.End, w.TimeZone, w.Metadata, nil, w.Source, w.Version)
	row := db.WorkoutRow{ID: id, ActivityType: act, OrigActivityType: w.ActivityType, Start: w.Start, End: w.End,
		DurationSeconds: w.End.Sub(w.Start).Seconds(), TimeZone: env.tz, Version: env.version, Metadata: env.meta}
	if p == nil && w.DurationSeconds != nil {
		if d := *w.DurationSeconds; math.IsNaN(d) || d < 0 || d > row.DurationSeconds+1 {
			p = fail(CodeBadValue, "durationSeconds %g must be between 0 and the workout's span (%g s)", d, row.DurationSeconds)
		} else {
			row.DurationSeconds = d
		}
	}
	if p == nil {
		row.EnergyKcal, p = n.workoutQuantity("active_energy_burned", w.Energy)
	}
	if p == nil {
		row.DistanceM, p = n.workoutQuantity("distance_walking_running", w.Distance)
	}
	if p == nil {
		row.Segments, row.Laps, row.Events, p = n.workoutParts(w)
	}
	if p != nil {
		n.reject(KindWorkout, i, id, p.code, "%s", p.msg)
		return nil
	}
	rec.source = env.source
	rec.version = row.Version
	rec.workout = &row
	return rec
}

// workoutQuantity converts a workout total with the unit rules of a reference metric, without its per-sample range.
func (n *normalizer) workoutQuantity(metric string, q *Quantity) (*float64, *problem) {
	if q == nil {
		return nil, nil
	}
	m, ok := n.cat.Lookup(metric)
	if !ok {
		return nil, fail(CodeBadField, "catalog has no %s metric", metric)
	}
	f := float64(q.Value)
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return nil, fail(CodeBadValue, "workout total %v must be a finite, non-negative number", f)
	}
	v, err := n.cat.Convert(m, f, q.Unit, n.dialect)
	if err != nil {
		return nil, fail(CodeBadUnit, "%v", err)
	}
	return &v, nil
}
