package garmin

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"healthsync/cloud/providers"
	"healthsync/ingest"
)

// source is every Garmin item's source: summaries do not say which device recorded them (only activities
// name one, kept in their metadata), so one source stands for the user's Garmin devices.
func source() ingest.Source {
	return ingest.Source{
		Name:               "Garmin Connect",
		BundleID:           ptr("com.garmin.connect.mobile"),
		DeviceManufacturer: ptr("Garmin"),
	}
}

func ptr[T any](v T) *T { return &v }

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// seconds is a duration field, with a fallback for summaries that leave it out.
func seconds(s, fallback int64) time.Duration {
	if s <= 0 {
		s = fallback
	}
	return time.Duration(s) * time.Second
}

// localDay is the calendar date a summary is filed under: its calendarDate, else the local date of its
// start.
func localDay(calendarDate string, start int64, offset int) time.Time {
	if d, err := time.Parse(time.DateOnly, calendarDate); err == nil {
		return d
	}
	t := unix(start + int64(offset))
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// present is a quantity worth storing: given, finite and not negative. Zeros are kept only where the caller
// says so (a daily total of 0 steps is a fact; an epoch sample of 0 steps is noise).
func present(v *float64, keepZero bool) bool {
	if v == nil || *v != *v || *v < 0 || *v > 1e12 {
		return false
	}
	return keepZero || *v > 0
}

// mapDaily maps a daily summary to the day's totals (never samples: epochs carry the intraday steps, and
// summing both would count every step twice) and a resting heart rate sample over the day, in a record keyed
// by the day (Garmin re-sends the daily as the day fills up, and the day is what stays the same), and the
// day's heart rate in one record per hour (keyed day and hour). Hours matter because of those re-sends: a
// day is up to 5,760 points at 15 s, and an hour whose points did not change is recognised and not written
// again, where one series per day would replace, and tombstone, the whole day's points on every re-send.
func mapDaily(d daily) []providers.Record {
	rec := mapDayTotals(d)
	start := unix(d.StartTimeInSeconds)
	end := start.Add(seconds(d.DurationInSeconds, 86400))
	pts := offsetPoints(d.TimeOffsetHeartRateSamples, start, end)
	out := []providers.Record{rec}
	for len(pts) > 0 {
		hour := pts[0].Time.Truncate(time.Hour)
		n := 1
		for n < len(pts) && pts[n].Time.Before(hour.Add(time.Hour)) {
			n++
		}
		out = append(out, providers.Record{DataType: Dailies, ID: hour.Format("2006-01-02T15Z"),
			Series: []ingest.SeriesSample{{Type: "heart_rate", Unit: "count/min", Start: pts[0].Time,
				End: pts[n-1].Time, Source: source(), TimeZone: providers.OffsetZone(d.StartTimeOffsetInSeconds),
				Points: pts[:n:n]}}})
		pts = pts[n:]
	}
	return out
}

func mapDayTotals(d daily) providers.Record {
	day := localDay(d.CalendarDate, d.StartTimeInSeconds, d.StartTimeOffsetInSeconds)
	zone := providers.OffsetZone(d.StartTimeOffsetInSeconds)
	start := unix(d.StartTimeInSeconds)
	end := start.Add(seconds(d.DurationInSeconds, 86400))
	rec := providers.Record{DataType: Dailies, ID: day.Format(time.DateOnly)}
	total := func(metric string, v *float64, unit string) {
		if present(v, true) {
			rec.Totals = append(rec.Totals, providers.DailyTotal{Metric: metric, Day: day, TimeZone: zone,
				Value: *v, Unit: unit, Source: source()})
		}
	}
	total("steps", d.Steps, "count")
	total("distance_walking_running", d.DistanceInMeters, "m")
	total("active_energy_burned", d.ActiveKilocalories, "kcal")
	total("basal_energy_burned", d.BMRKilocalories, "kcal")
	total("flights_climbed", d.FloorsClimbed, "count")
	if present(d.RestingHeartRate, false) {
		rec.Samples = append(rec.Samples, ingest.QuantitySample{Type: "resting_heart_rate",
			Value: ingest.Float(*d.RestingHeartRate), Unit: "count/min", Start: start, End: end,
			Source: source(), TimeZone: zone})
	}
	return rec
}

// offsetPoints reads a {"seconds after start": value} map into time-ordered points within [start, end].
func offsetPoints(m map[string]float64, start, end time.Time) []ingest.SeriesPoint {
	pts := make([]ingest.SeriesPoint, 0, len(m))
	for k, v := range m {
		off, err := strconv.ParseInt(k, 10, 64)
		if err != nil || off < 0 || !present(&v, false) {
			continue
		}
		t := start.Add(time.Duration(off) * time.Second)
		if t.After(end) {
			continue
		}
		pts = append(pts, ingest.SeriesPoint{Time: t, Value: ingest.Float(v)})
	}
	slices.SortFunc(pts, func(a, b ingest.SeriesPoint) int { return a.Time.Compare(b.Time) })
	return pts
}

// mapEpoch maps a 15-minute epoch to steps, distance and active energy over its interval: these are the
// intraday samples that merge with a phone's or watch's own steps.
func mapEpoch(e epoch) providers.Record {
	start := unix(e.StartTimeInSeconds)
	end := start.Add(seconds(e.DurationInSeconds, 900))
	zone := providers.OffsetZone(e.StartTimeOffsetInSeconds)
	id := e.SummaryID
	if id == "" {
		id = fmt.Sprintf("%d-%s", e.StartTimeInSeconds, e.ActivityType)
	}
	rec := providers.Record{DataType: Epochs, ID: id}
	add := func(metric string, v *float64, unit string) {
		if present(v, false) {
			rec.Samples = append(rec.Samples, ingest.QuantitySample{Type: metric, Value: ingest.Float(*v),
				Unit: unit, Start: start, End: end, Source: source(), TimeZone: zone})
		}
	}
	add("steps", e.Steps, "count")
	add(epochDistanceMetric(e.ActivityType), e.DistanceInMeters, "m")
	add("active_energy_burned", e.ActiveKilocalories, "kcal")
	return rec
}

// epochDistanceMetric routes an epoch's distance by the activity the device saw.
func epochDistanceMetric(activityType string) string {
	switch strings.ToUpper(activityType) {
	case "CYCLING":
		return "distance_cycling"
	case "SWIMMING":
		return "distance_swimming"
	}
	return "distance_walking_running"
}

// sleepStage maps the keys of sleepLevelsMap; other keys (unmeasurable) stay covered by in_bed only.
func sleepStage(level string) (string, bool) {
	switch strings.ToLower(level) {
	case "deep":
		return "asleep_deep", true
	case "light":
		return "asleep_core", true
	case "rem":
		return "asleep_rem", true
	case "awake":
		return "awake", true
	}
	return "", false
}

// mapSleep maps a night to one in_bed item over the whole session plus one item per stage interval. The
// session runs from the earlier of startTimeInSeconds and the first stage to the later of start+duration
// and the last stage: durationInSeconds leaves out awake time at the ends. Without stages the night is one
// asleep_unspecified item. The record is keyed by calendarDate: editing a sleep's times in Garmin Connect
// gives it other times but files it under the same day.
func mapSleep(s sleep) providers.Record {
	start := unix(s.StartTimeInSeconds)
	end := start.Add(seconds(s.DurationInSeconds, 0))
	zone := providers.OffsetZone(s.StartTimeOffsetInSeconds)
	rec := providers.Record{DataType: Sleeps,
		ID: localDay(s.CalendarDate, s.StartTimeInSeconds+s.DurationInSeconds, s.StartTimeOffsetInSeconds).Format(time.DateOnly)}
	var entered *bool
	if strings.EqualFold(s.Validation, "MANUAL") {
		entered = ptr(true)
	}
	item := func(value string, from, to time.Time) ingest.CategorySample {
		return ingest.CategorySample{Type: "sleep", Value: value, Start: from, End: to, Source: source(),
			TimeZone: zone, UserEntered: entered}
	}
	var stages []ingest.CategorySample
	for level, spans := range s.SleepLevelsMap {
		value, ok := sleepStage(level)
		if !ok {
			continue
		}
		for _, sp := range spans {
			if sp.EndTimeInSeconds > sp.StartTimeInSeconds {
				stages = append(stages, item(value, unix(sp.StartTimeInSeconds), unix(sp.EndTimeInSeconds)))
			}
		}
	}
	slices.SortFunc(stages, func(a, b ingest.CategorySample) int { return a.Start.Compare(b.Start) })
	for _, st := range stages {
		if st.Start.Before(start) {
			start = st.Start
		}
		if st.End.After(end) {
			end = st.End
		}
	}
	if !end.After(start) {
		return rec // a night with no length: nothing to store, and an earlier version is withdrawn
	}
	rec.Categories = append(rec.Categories, item("in_bed", start, end))
	if len(stages) == 0 {
		stages = append(stages, item("asleep_unspecified", start, end))
	}
	rec.Categories = append(rec.Categories, stages...)
	return rec
}

// mapActivity maps an activity summary to a workout. Garmin's own activity type stays in the metadata.
func mapActivity(a activity) providers.Record {
	start := unix(a.StartTimeInSeconds)
	dur := seconds(a.DurationInSeconds, 0)
	id := a.SummaryID
	if id == "" && a.ActivityID != nil {
		id = strconv.FormatInt(*a.ActivityID, 10)
	}
	if id == "" {
		id = strconv.FormatInt(a.StartTimeInSeconds, 10)
	}
	meta := map[string]any{"garmin_activity_type": a.ActivityType}
	if a.DeviceName != "" {
		meta["garmin_device_name"] = a.DeviceName
	}
	if a.Manual {
		meta["garmin_manual"] = true
	}
	w := ingest.Workout{ActivityType: activityType(a.ActivityType), Start: start, End: start.Add(dur),
		DurationSeconds: ptr(dur.Seconds()), Source: source(),
		TimeZone: providers.OffsetZone(a.StartTimeOffsetInSeconds), Metadata: meta}
	if present(a.ActiveKilocalories, true) {
		w.Energy = &ingest.Quantity{Value: ingest.Float(*a.ActiveKilocalories), Unit: "kcal"}
	}
	if present(a.DistanceInMeters, true) {
		w.Distance = &ingest.Quantity{Value: ingest.Float(*a.DistanceInMeters), Unit: "m"}
	}
	return providers.Record{DataType: Activities, ID: id, Workouts: []ingest.Workout{w}}
}

// mapBodyComp maps a measurement to body mass (sent in grams), body fat and BMI at the measurement's time.
func mapBodyComp(b bodyComp) providers.Record {
	t := unix(b.MeasurementTimeInSeconds)
	zone := providers.OffsetZone(b.MeasurementTimeOffsetInSeconds)
	id := b.SummaryID
	if id == "" {
		id = strconv.FormatInt(b.MeasurementTimeInSeconds, 10)
	}
	rec := providers.Record{DataType: BodyComps, ID: id}
	add := func(metric string, v *float64, unit string) {
		if present(v, false) {
			rec.Samples = append(rec.Samples, ingest.QuantitySample{Type: metric, Value: ingest.Float(*v),
				Unit: unit, Start: t, End: t, Source: source(), TimeZone: zone})
		}
	}
	add("body_mass", b.WeightInGrams, "g")
	add("body_fat_percentage", b.BodyFatInPercent, "%")
	add("body_mass_index", b.BodyMassIndex, "kg/m2")
	return rec
}

// activityType maps Garmin's activity type keys to canonical activities; anything else is "other".
func activityType(raw string) string {
	if v, ok := activityTypes()[strings.ToUpper(strings.TrimSpace(raw))]; ok {
		return v
	}
	return "other"
}

// activityTypes lists Garmin activity type keys (as the Activity and Health APIs spell them) by canonical
// activity. Keys ending in _WS are Garmin's winter sports, _V2 the newer water sports.
func activityTypes() map[string]string {
	groups := map[string][]string{
		"running": {"RUNNING", "STREET_RUNNING", "TRACK_RUNNING", "TRAIL_RUNNING", "TREADMILL_RUNNING",
			"INDOOR_RUNNING", "VIRTUAL_RUN", "ULTRA_RUN", "OBSTACLE_RUN"},
		"walking": {"WALKING", "CASUAL_WALKING", "SPEED_WALKING", "INDOOR_WALKING"},
		"hiking":  {"HIKING", "MOUNTAINEERING"},
		"cycling": {"CYCLING", "ROAD_BIKING", "MOUNTAIN_BIKING", "GRAVEL_CYCLING", "INDOOR_CYCLING", "VIRTUAL_RIDE",
			"CYCLOCROSS", "DOWNHILL_BIKING", "RECUMBENT_CYCLING", "TRACK_CYCLING", "BMX", "E_BIKE_FITNESS",
			"E_BIKE_MOUNTAIN"},
		"hand_cycling":         {"HAND_CYCLING", "INDOOR_HAND_CYCLING"},
		"swimming":             {"SWIMMING", "LAP_SWIMMING", "OPEN_WATER_SWIMMING"},
		"strength_training":    {"STRENGTH_TRAINING"},
		"hiit":                 {"HIIT"},
		"mixed_cardio":         {"CARDIO_TRAINING", "FITNESS_EQUIPMENT"},
		"yoga":                 {"YOGA"},
		"pilates":              {"PILATES"},
		"guided_breathing":     {"BREATHWORK"},
		"mind_and_body":        {"MEDITATION"},
		"elliptical":           {"ELLIPTICAL"},
		"stair_climbing":       {"STAIR_CLIMBING", "FLOOR_CLIMBING"},
		"rowing":               {"ROWING", "INDOOR_ROWING", "ROWING_V2"},
		"paddling":             {"PADDLING", "PADDLING_V2", "KAYAKING", "KAYAKING_V2", "STAND_UP_PADDLEBOARDING", "STAND_UP_PADDLEBOARDING_V2", "WHITEWATER_RAFTING_KAYAKING"},
		"surfing":              {"SURFING", "SURFING_V2", "KITEBOARDING", "KITEBOARDING_V2", "WINDSURFING", "WINDSURFING_V2"},
		"sailing":              {"SAILING", "SAILING_V2"},
		"skiing":               {"SKIING_WS"},
		"snow_sports":          {"RESORT_SKIING_SNOWBOARDING_WS", "BACKCOUNTRY_SKIING_SNOWBOARDING_WS", "WINTER_SPORTS"},
		"cross_country_skiing": {"CROSS_COUNTRY_SKIING_WS", "SKATE_SKIING_WS"},
		"snowboarding":         {"SNOWBOARDING_WS"},
		"snowshoeing":          {"SNOWSHOE_WS"},
		"skating":              {"SKATING_WS", "INLINE_SKATING", "ICE_SKATING"},
		"tennis":               {"TENNIS"},
		"pickleball":           {"PICKLEBALL"},
		"table_tennis":         {"TABLE_TENNIS"},
		"badminton":            {"BADMINTON"},
		"squash":               {"SQUASH"},
		"racquetball":          {"RACQUETBALL"},
		"soccer":               {"SOCCER"},
		"basketball":           {"BASKETBALL"},
		"volleyball":           {"VOLLEYBALL"},
		"golf":                 {"GOLF"},
		"disc_sports":          {"DISC_GOLF"},
		"climbing":             {"ROCK_CLIMBING", "BOULDERING", "INDOOR_CLIMBING"},
		"boxing":               {"BOXING"},
		"martial_arts":         {"MIXED_MARTIAL_ARTS"},
		"swim_bike_run":        {"MULTI_SPORT"},
		"transition":           {"TRANSITION_V2"},
		"equestrian_sports":    {"HORSEBACK_RIDING"},
		"fishing":              {"FISHING"},
		"hunting":              {"HUNTING"},
		"other":                {"OTHER"},
	}
	out := make(map[string]string, 128)
	for canonical, keys := range groups {
		for _, k := range keys {
			out[k] = canonical
		}
	}
	return out
}

// offsetSamples turns a {"seconds after start": value} map into samples of one metric, each over step from
// its offset (Garmin's readings stand for the stretch up to the next one), within [start, end].
func offsetSamples(m map[string]float64, start, end time.Time, step time.Duration, metric, unit string, offset int) []ingest.QuantitySample {
	pts := offsetPoints(m, start, end)
	out := make([]ingest.QuantitySample, 0, len(pts))
	for _, p := range pts {
		out = append(out, ingest.QuantitySample{Type: metric, Value: p.Value, Unit: unit, Start: p.Time,
			End: p.Time.Add(step), Source: source(), TimeZone: providers.OffsetZone(offset)})
	}
	return out
}

// summaryKey is a summary's record id: its summaryId, or its start when it has none.
func summaryKey(id string, start int64) string {
	if id != "" {
		return id
	}
	return strconv.FormatInt(start, 10)
}

// mapHRV maps a night's HRV to hrv_rmssd samples: the 5-minute values, or the night's average over the night
// when a summary has no values (never both, which would weigh the night twice in averages). Keyed by the
// night's date, like sleeps.
func mapHRV(h hrvSummary) providers.Record {
	start := unix(h.StartTimeInSeconds)
	end := start.Add(seconds(h.DurationInSeconds, 8*3600))
	day := localDay(h.CalendarDate, h.StartTimeInSeconds, h.StartTimeOffsetInSeconds)
	rec := providers.Record{DataType: HRV, ID: day.Format(time.DateOnly),
		Samples: offsetSamples(h.HRVValues, start, end, 5*time.Minute, "hrv_rmssd", "ms", h.StartTimeOffsetInSeconds)}
	if len(rec.Samples) == 0 && present(h.LastNightAvg, false) {
		rec.Samples = []ingest.QuantitySample{{Type: "hrv_rmssd", Value: ingest.Float(*h.LastNightAvg), Unit: "ms",
			Start: start, End: end, Source: source(), TimeZone: providers.OffsetZone(h.StartTimeOffsetInSeconds)}}
	}
	return rec
}

// mapPulseOx maps SpO2 readings to oxygen_saturation samples of a minute each.
func mapPulseOx(p pulseOx) providers.Record {
	start := unix(p.StartTimeInSeconds)
	end := start.Add(seconds(p.DurationInSeconds, 86400))
	return providers.Record{DataType: PulseOx, ID: summaryKey(p.SummaryID, p.StartTimeInSeconds),
		Samples: offsetSamples(p.TimeOffsetSpo2Values, start, end, time.Minute, "oxygen_saturation", "%", p.StartTimeOffsetInSeconds)}
}

// mapRespiration maps breathing rates to respiratory_rate samples of a minute each.
func mapRespiration(r respiration) providers.Record {
	start := unix(r.StartTimeInSeconds)
	end := start.Add(seconds(r.DurationInSeconds, 86400))
	return providers.Record{DataType: Respiration, ID: summaryKey(r.SummaryID, r.StartTimeInSeconds),
		Samples: offsetSamples(r.TimeOffsetEpochToBreaths, start, end, time.Minute, "respiratory_rate", "count/min", r.StartTimeOffsetInSeconds)}
}
