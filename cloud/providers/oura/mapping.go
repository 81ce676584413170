package oura

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/cloud/providers"
	"healthsync/ingest"
)

// phaseStep is the span of one character of sleep_phase_5_min.
const phaseStep = 5 * time.Minute

// hourID names a heart rate hour record: the rows have no id of their own.
const hourID = "2006-01-02T15Z"

// source is the one source every Oura item carries: the ring, as the Oura app stores it in Apple Health.
func source() ingest.Source {
	return ingest.Source{
		Name:               "Oura",
		BundleID:           ptr("com.ouraring.oura"),
		DeviceModel:        ptr("Oura Ring"),
		DeviceManufacturer: ptr("Oura"),
	}
}

func ptr[T any](v T) *T { return &v }

// parseLocal reads an Oura LocalizedDateTime ("2026-11-24T23:05:00+01:00"): the instant in UTC and the zone
// its offset names, when IANA has one.
func parseLocal(s string) (time.Time, *string, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("oura: time %q: %w", s, err)
	}
	_, off := t.Zone()
	return t.UTC(), providers.OffsetZone(off), nil
}

// parseDay reads an ISODate as midnight UTC of that date, the form DailyTotal.Day takes.
func parseDay(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("oura: day %q: %w", s, err)
	}
	return d, nil
}

// plausible says whether v (in the metric's canonical unit) is a value the core would accept: a value out of
// range would make the core refuse the item, and for a series the whole hour.
func (a *Adapter) plausible(metric string, v float64) bool {
	m, ok := a.cat.Lookup(metric)
	return ok && m.InRange(v)
}

// heartRateHours groups heart rate rows by UTC hour within [from, to), one series per hour, points in time
// order without repeated instants (consecutive queries overlap at their inclusive bounds).
func (a *Adapter) heartRateHours(rows []heartRate, from, to time.Time) ([]providers.Record, error) {
	hr, ok := a.cat.Lookup("heart_rate")
	if !ok {
		return nil, fmt.Errorf("oura: the catalog has no heart_rate")
	}
	hours := map[time.Time][]ingest.SeriesPoint{}
	for _, r := range rows {
		t, err := time.Parse(time.RFC3339, r.Timestamp)
		if err != nil {
			return nil, fmt.Errorf("oura: heartrate timestamp %q: %w", r.Timestamp, err)
		}
		t = t.UTC()
		if t.Before(from) || !t.Before(to) || !hr.InRange(r.BPM) {
			continue
		}
		h := t.Truncate(time.Hour)
		hours[h] = append(hours[h], ingest.SeriesPoint{Time: t, Value: ingest.Float(r.BPM)})
	}
	keys := make([]time.Time, 0, len(hours))
	for h := range hours {
		keys = append(keys, h)
	}
	slices.SortFunc(keys, func(x, y time.Time) int { return x.Compare(y) })
	out := make([]providers.Record, 0, len(keys))
	for _, h := range keys {
		pts := hours[h]
		slices.SortStableFunc(pts, func(x, y ingest.SeriesPoint) int { return x.Time.Compare(y.Time) })
		pts = slices.CompactFunc(pts, func(x, y ingest.SeriesPoint) bool { return x.Time.Equal(y.Time) })
		out = append(out, providers.Record{
			DataType: HeartRate,
			ID:       h.Format(hourID),
			Series: []ingest.SeriesSample{{
				Type: "heart_rate", Unit: "count/min",
				Start: pts[0].Time, End: pts[len(pts)-1].Time,
				Source: source(), Points: pts,
			}},
		})
	}
	return out, nil
}

// dailyActivity maps a day's activity to Oura's own totals for that local day.
func (a *Adapter) dailyActivity(d dailyActivity) (providers.Record, error) {
	rec := providers.Record{DataType: DailyActivity, ID: recordID(d.ID, d.Day)}
	day, err := parseDay(d.Day)
	if err != nil {
		return rec, err
	}
	var zone *string
	if _, z, err := parseLocal(d.Timestamp); err == nil {
		zone = z
	}
	add := func(metric string, v *float64, unit string) {
		if v == nil || !a.plausible(metric, *v) {
			return
		}
		rec.Totals = append(rec.Totals, providers.DailyTotal{Metric: metric, Day: day, TimeZone: zone,
			Value: *v, Unit: unit, Source: source()})
	}
	add("steps", d.Steps, "count")
	add("active_energy_burned", d.ActiveCalories, "kcal")
	add("total_energy_burned", d.TotalCalories, "kcal")
	return rec, nil
}

// sleep maps one sleep period. A period the user deleted or rejected (types deleted and rest) is sent as an
// empty record, so whatever an earlier version stored is removed.
func (a *Adapter) sleep(s sleepPeriod) (providers.Record, error) {
	rec := providers.Record{DataType: Sleep, ID: s.ID}
	if s.ID == "" {
		return rec, fmt.Errorf("oura: sleep period without id (day %s)", s.Day)
	}
	if s.Type == "deleted" || s.Type == "rest" {
		return rec, nil
	}
	start, zone, err := parseLocal(s.BedtimeStart)
	if err != nil {
		return rec, err
	}
	end, _, err := parseLocal(s.BedtimeEnd)
	if err != nil {
		return rec, err
	}
	if !end.After(start) {
		return rec, fmt.Errorf("oura: sleep %s ends (%s) before it starts (%s)", s.ID, s.BedtimeEnd, s.BedtimeStart)
	}
	cat := func(value string, from, to time.Time, meta map[string]any) ingest.CategorySample {
		return ingest.CategorySample{Type: "sleep", Value: value, Start: from, End: to, Source: source(),
			TimeZone: zone, Metadata: meta}
	}
	var meta map[string]any
	if s.Type != "" {
		meta = map[string]any{"oura_sleep_type": s.Type}
	}
	rec.Categories = append(rec.Categories, cat("in_bed", start, end, meta))
	if s.SleepPhase5Min != nil {
		for _, st := range phases(*s.SleepPhase5Min, start, end) {
			rec.Categories = append(rec.Categories, cat(st.value, st.start, st.end, nil))
		}
	}
	// The night's summary values sit at its end: day views bucket a discrete sample by its start, and the
	// wake-up falls on the day Oura files the night under (its "day"), where a start at bedtime would not.
	add := func(metric string, v *float64, unit string) {
		if v == nil || !a.plausible(metric, *v) {
			return
		}
		rec.Samples = append(rec.Samples, ingest.QuantitySample{Type: metric, Value: ingest.Float(*v), Unit: unit,
			Start: end, End: end, Source: source(), TimeZone: zone})
	}
	// Oura's HRV is the night's RMSSD in milliseconds.
	add("hrv_rmssd", s.AverageHRV, "ms")
	add("respiratory_rate", s.AverageBreath, "count/min")
	// Oura's app calls the lowest heart rate of the main sleep the resting heart rate; naps would add a
	// second, higher "resting" value for the same day, so only long_sleep counts.
	if s.Type == "long_sleep" {
		add("resting_heart_rate", s.LowestHeartRate, "count/min")
	}
	return rec, nil
}

// stage is one run of equal sleep phases.
type stage struct {
	value      string
	start, end time.Time
}

// phases turns sleep_phase_5_min into runs of equal phases from start, clipped to end. Characters Oura does
// not document are skipped, and they end a run.
func phases(s string, start, end time.Time) []stage {
	var out []stage
	for i := 0; i < len(s); i++ {
		from := start.Add(time.Duration(i) * phaseStep)
		if !from.Before(end) {
			break
		}
		to := from.Add(phaseStep)
		if to.After(end) {
			to = end
		}
		v := phaseValue(s[i])
		if v == "" {
			continue
		}
		if n := len(out); n > 0 && out[n-1].value == v && out[n-1].end.Equal(from) {
			out[n-1].end = to
			continue
		}
		out = append(out, stage{value: v, start: from, end: to})
	}
	return out
}

// phaseValue maps Oura's documented phase digits to canonical sleep values (light sleep is Apple's "core").
func phaseValue(c byte) string {
	switch c {
	case '1':
		return "asleep_deep"
	case '2':
		return "asleep_core"
	case '3':
		return "asleep_rem"
	case '4':
		return "awake"
	}
	return ""
}

// workout maps one workout. Zero calories or distance mean Oura had nothing to say, not a measured zero.
func (a *Adapter) workout(w workout) (providers.Record, error) {
	rec := providers.Record{DataType: Workout, ID: w.ID}
	if w.ID == "" {
		return rec, fmt.Errorf("oura: workout without id (day %s)", w.Day)
	}
	start, zone, err := parseLocal(w.StartDatetime)
	if err != nil {
		return rec, err
	}
	end, _, err := parseLocal(w.EndDatetime)
	if err != nil {
		return rec, err
	}
	if end.Before(start) {
		return rec, fmt.Errorf("oura: workout %s ends before it starts", w.ID)
	}
	out := ingest.Workout{ActivityType: a.activity(w.Activity), Start: start, End: end, Source: source(),
		TimeZone: zone, Metadata: map[string]any{"oura_activity": w.Activity}}
	if w.Intensity != "" {
		out.Metadata["oura_intensity"] = w.Intensity
	}
	if w.Source != "" {
		out.Metadata["oura_source"] = w.Source
	}
	if w.Label != nil && *w.Label != "" {
		out.Metadata["label"] = *w.Label
	}
	if w.Calories != nil && *w.Calories > 0 && !math.IsInf(*w.Calories, 0) {
		out.Energy = &ingest.Quantity{Value: ingest.Float(*w.Calories), Unit: "kcal"}
	}
	if w.Distance != nil && *w.Distance > 0 && !math.IsInf(*w.Distance, 0) {
		out.Distance = &ingest.Quantity{Value: ingest.Float(*w.Distance), Unit: "m"}
	}
	rec.Workouts = []ingest.Workout{out}
	return rec, nil
}

// activity maps Oura's activity name (lower camel case: "walking", "strengthTraining", "cycling") to the
// catalog's. Names that fold to a catalog name need no entry; the aliases below are Oura's words for
// activities the catalog spells otherwise. Anything else is "other".
func (a *Adapter) activity(raw string) string {
	k := strings.NewReplacer("_", "", " ", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(raw)))
	switch k {
	case "dancing":
		k = "dance"
	case "weightlifting", "weighttraining", "strength":
		k = "strength_training"
	case "highintensityintervaltraining", "intervaltraining":
		k = "hiit"
	case "indoorcycling", "spinning", "mountainbiking", "biking", "ebiking", "stationarycycling":
		k = "cycling"
	case "trailrunning", "treadmillrunning", "treadmill":
		k = "running"
	case "nordicwalking":
		k = "walking"
	case "stairexercise", "stairs", "stairclimber":
		k = "stair_climbing"
	case "stretching":
		k = "flexibility"
	case "rockclimbing", "bouldering", "indoorclimbing":
		k = "climbing"
	case "iceskating", "rollerskating", "inlineskating":
		k = "skating"
	case "kayaking", "canoeing", "paddleboarding", "standuppaddling":
		k = "paddling"
	case "jumpingrope":
		k = "jump_rope"
	case "rowingmachine", "indoorrowing":
		k = "rowing"
	}
	if v, ok := a.cat.ActivityType(catalog.Canonical, k); ok {
		return v
	}
	return "other"
}

// dailySpO2 maps the night's average SpO2 (a percentage, 0–100) to one sample. The document has a day and no
// time or zone, so the sample sits at 12:00 UTC of that day: the instant that falls on the same calendar date
// in every zone from UTC−11 to UTC+11, so the value lands on its day in the user's local view.
func (a *Adapter) dailySpO2(d dailySpO2) (providers.Record, error) {
	rec := providers.Record{DataType: DailySpO2, ID: recordID(d.ID, d.Day)}
	day, err := parseDay(d.Day)
	if err != nil {
		return rec, err
	}
	if d.SpO2Percentage == nil || d.SpO2Percentage.Average == nil || !a.plausible("oxygen_saturation", *d.SpO2Percentage.Average) {
		return rec, nil
	}
	at := day.Add(12 * time.Hour)
	rec.Samples = []ingest.QuantitySample{{Type: "oxygen_saturation", Value: ingest.Float(*d.SpO2Percentage.Average),
		Unit: "%", Start: at, End: at, Source: source()}}
	return rec, nil
}

// recordID is the document's id, or its day for a document that somehow has none.
func recordID(id, day string) string {
	if id != "" {
		return id
	}
	return day
}
