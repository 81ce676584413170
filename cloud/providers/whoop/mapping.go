package whoop

import (
	"strconv"
	"strings"
	"time"

	"healthsync/cloud/providers"
	"healthsync/ingest"
)

// source is the one source every WHOOP item carries: the API does not say which strap generation measured
// a record, so the device model stays empty rather than guessed.
func source() ingest.Source {
	return ingest.Source{Name: "WHOOP", DeviceManufacturer: ptr("WHOOP")}
}

func ptr[T any](v T) *T { return &v }

// zoneOf turns WHOOP's timezone_offset ("-05:00", "+05:30", "Z") into a zone name via providers.OffsetZone;
// nil when the offset is malformed or has no IANA name.
func zoneOf(offset string) *string {
	offset = strings.TrimSpace(offset)
	if offset == "Z" || offset == "z" {
		return providers.OffsetZone(0)
	}
	if len(offset) != 6 || (offset[0] != '+' && offset[0] != '-') || offset[3] != ':' {
		return nil
	}
	h, err1 := strconv.Atoi(offset[1:3])
	m, err2 := strconv.Atoi(offset[4:6])
	if err1 != nil || err2 != nil || m >= 60 {
		return nil
	}
	secs := h*3600 + m*60
	if offset[0] == '-' {
		secs = -secs
	}
	return providers.OffsetZone(secs)
}

// interval is a record's [start, end) in UTC; ok is false when the record has not ended or ends before it
// starts (an activity in progress, or a broken record).
func interval(start time.Time, end *time.Time) (time.Time, time.Time, bool) {
	if end == nil || start.IsZero() || !end.After(start) {
		return time.Time{}, time.Time{}, false
	}
	return start.UTC(), end.UTC(), true
}

// setIf stores *v under key when v is present.
func setIf[T any](m map[string]any, key string, v *T) {
	if v != nil {
		m[key] = *v
	}
}

// mapSleep: one in_bed item over the sleep, with WHOOP's stage totals as metadata, and the respiratory rate.
func mapSleep(s sleepJSON) (providers.Record, bool) {
	start, end, ok := interval(s.Start, s.End)
	if s.ID == "" || !ok {
		return providers.Record{}, false
	}
	zone := zoneOf(s.TimezoneOffset)
	meta := map[string]any{
		"nap":          s.Nap,
		"score_state":  s.ScoreState,
		"stage_detail": "summary_only", // WHOOP v2 gives totals per stage, never stage intervals
	}
	if s.CycleID != 0 {
		meta["cycle_id"] = s.CycleID
	}
	rec := providers.Record{DataType: TypeSleep, ID: s.ID}
	if s.ScoreState == scored && s.Score != nil {
		sc := s.Score
		if st := sc.StageSummary; st != nil {
			meta["total_in_bed_time_milli"] = st.TotalInBedTimeMilli
			meta["total_awake_time_milli"] = st.TotalAwakeTimeMilli
			meta["total_no_data_time_milli"] = st.TotalNoDataTimeMilli
			meta["total_light_sleep_time_milli"] = st.TotalLightSleepTimeMilli
			meta["total_slow_wave_sleep_time_milli"] = st.TotalSlowWaveSleepTimeMilli
			meta["total_rem_sleep_time_milli"] = st.TotalREMSleepTimeMilli
			meta["sleep_cycle_count"] = st.SleepCycleCount
			meta["disturbance_count"] = st.DisturbanceCount
		}
		setIf(meta, "sleep_performance_percentage", sc.SleepPerformancePercentage)
		setIf(meta, "sleep_consistency_percentage", sc.SleepConsistencyPercentage)
		setIf(meta, "sleep_efficiency_percentage", sc.SleepEfficiencyPercentage)
		if sc.RespiratoryRate != nil {
			// At waking, like the recovery's measurements (see mapRecovery).
			rec.Samples = append(rec.Samples, ingest.QuantitySample{
				Type: "respiratory_rate", Value: ingest.Float(*sc.RespiratoryRate), Unit: "count/min",
				Start: end, End: end, Source: source(), TimeZone: zone,
			})
		}
	}
	rec.Categories = []ingest.CategorySample{{
		Type: "sleep", Value: "in_bed", Start: start, End: end, Source: source(), TimeZone: zone, Metadata: meta,
	}}
	return rec, true
}

// mapRecovery: the recovery's measurements as samples at the end of the sleep they were taken in (WHOOP
// scores the recovery on waking). An instant at waking, not the whole night, so that a day's series shows the
// night's values on the day of waking, as WHOOP does and as sleep sessions are dated, rather than on the day
// the night began. Without its sleep a recovery has no time and is left out. An unscored recovery is a record
// without items, so a recovery that loses its score also loses its samples.
func mapRecovery(r recoveryJSON, s *sleepJSON) (providers.Record, bool) {
	id := r.SleepID
	if id == "" {
		return providers.Record{}, false
	}
	if s == nil {
		return providers.Record{}, false
	}
	_, end, ok := interval(s.Start, s.End)
	if !ok {
		return providers.Record{}, false
	}
	rec := providers.Record{DataType: TypeRecovery, ID: id}
	if r.ScoreState != scored || r.Score == nil {
		return rec, true
	}
	sc := r.Score
	meta := map[string]any{"cycle_id": r.CycleID}
	setIf(meta, "recovery_score", sc.RecoveryScore)
	setIf(meta, "user_calibrating", sc.UserCalibrating)
	zone := zoneOf(s.TimezoneOffset)
	add := func(metric, unit string, v *float64) {
		if v == nil {
			return
		}
		rec.Samples = append(rec.Samples, ingest.QuantitySample{
			Type: metric, Value: ingest.Float(*v), Unit: unit, Start: end, End: end,
			Source: source(), TimeZone: zone, Metadata: meta,
		})
	}
	add("resting_heart_rate", "count/min", sc.RestingHeartRate)
	add("hrv_rmssd", "ms", sc.HRVRMSSDMilli)
	add("oxygen_saturation", "%", sc.SpO2Percentage)
	add("sleeping_wrist_temperature", "degC", sc.SkinTempCelsius)
	return rec, true
}

// mapWorkout: one workout; WHOOP's own measures that the workout shape has no field for go to metadata.
func mapWorkout(w workoutJSON) (providers.Record, bool) {
	start, end, ok := interval(w.Start, w.End)
	if w.ID == "" || !ok {
		return providers.Record{}, false
	}
	activity, known := activityFor(w.SportName, w.SportID)
	meta := map[string]any{"sport_name": w.SportName, "score_state": w.ScoreState}
	if !known {
		meta["sport_unmapped"] = true
	}
	setIf(meta, "sport_id", w.SportID)
	dur := end.Sub(start).Seconds()
	wo := ingest.Workout{
		ActivityType: activity, Start: start, End: end, DurationSeconds: &dur,
		Source: source(), TimeZone: zoneOf(w.TimezoneOffset), Metadata: meta,
	}
	if w.ScoreState == scored && w.Score != nil {
		sc := w.Score
		if sc.Kilojoule != nil {
			wo.Energy = &ingest.Quantity{Value: ingest.Float(*sc.Kilojoule), Unit: "kJ"}
		}
		if sc.DistanceMeter != nil {
			wo.Distance = &ingest.Quantity{Value: ingest.Float(*sc.DistanceMeter), Unit: "m"}
		}
		setIf(meta, "strain", sc.Strain)
		// The keys the workouts API reads a workout's own heart rate statistics from.
		setIf(meta, "averageHeartRate", sc.AverageHeartRate)
		setIf(meta, "maxHeartRate", sc.MaxHeartRate)
		setIf(meta, "percent_recorded", sc.PercentRecorded)
		setIf(meta, "altitude_gain_meter", sc.AltitudeGainMeter)
		setIf(meta, "altitude_change_meter", sc.AltitudeChangeMeter)
		if z := sc.ZoneDurations; z != nil {
			meta["zone_durations_milli"] = []int64{
				z.ZoneZeroMilli, z.ZoneOneMilli, z.ZoneTwoMilli, z.ZoneThreeMilli, z.ZoneFourMilli, z.ZoneFiveMilli,
			}
		}
	}
	return providers.Record{DataType: TypeWorkout, ID: w.ID, Workouts: []ingest.Workout{wo}}, true
}

// mapCycle: the cycle's energy as one total_energy_burned sample over the cycle. A cycle still running is
// left out (its total grows until it ends); an ended cycle without a score is a record without items.
func mapCycle(c cycleJSON) (providers.Record, bool) {
	start, end, ok := interval(c.Start, c.End)
	if c.ID == 0 || !ok {
		return providers.Record{}, false
	}
	rec := providers.Record{DataType: TypeCycle, ID: strconv.FormatInt(c.ID, 10)}
	if c.ScoreState != scored || c.Score == nil || c.Score.Kilojoule == nil {
		return rec, true
	}
	meta := map[string]any{}
	setIf(meta, "strain", c.Score.Strain)
	setIf(meta, "average_heart_rate", c.Score.AverageHeartRate)
	setIf(meta, "max_heart_rate", c.Score.MaxHeartRate)
	rec.Samples = []ingest.QuantitySample{{
		Type: "total_energy_burned", Value: ingest.Float(*c.Score.Kilojoule), Unit: "kJ",
		Start: start, End: end, Source: source(), TimeZone: zoneOf(c.TimezoneOffset), Metadata: meta,
	}}
	return rec, true
}

// bodyRecordID names the single body measurement record: WHOOP keeps one current value per member.
const bodyRecordID = "body_measurement"

// mapBody: the member's entered height and weight, dated at; max_heart_rate (WHOOP's estimate) has no
// catalog metric and rides along as metadata.
func mapBody(b bodyJSON, at time.Time) providers.Record {
	at = at.UTC()
	rec := providers.Record{DataType: TypeBody, ID: bodyRecordID}
	var meta map[string]any
	if b.MaxHeartRate != nil {
		meta = map[string]any{"max_heart_rate": *b.MaxHeartRate}
	}
	entered := true
	add := func(metric, unit string, v *float64) {
		if v == nil || *v <= 0 {
			return
		}
		rec.Samples = append(rec.Samples, ingest.QuantitySample{
			Type: metric, Value: ingest.Float(*v), Unit: unit, Start: at, End: at,
			Source: source(), UserEntered: &entered, Metadata: meta,
		})
	}
	add("height", "m", b.HeightMeter)
	add("body_mass", "kg", b.WeightKilogram)
	return rec
}
