package whoopfake

import (
	"math"
	"time"
)

// The shapes WHOOP's v2 API documents (developer.whoop.com/api), written out for the fake: it must not
// share the adapter's types, or a misspelt field would pass on both sides.

type sleepJSON struct {
	ID             string     `json:"id"`
	CycleID        int64      `json:"cycle_id"`
	UserID         int64      `json:"user_id"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Start          time.Time  `json:"start"`
	End            time.Time  `json:"end"`
	TimezoneOffset string     `json:"timezone_offset"`
	Nap            bool       `json:"nap"`
	ScoreState     string     `json:"score_state"`
	Score          sleepScore `json:"score"`
}

type sleepScore struct {
	StageSummary               stageSummary `json:"stage_summary"`
	SleepNeeded                sleepNeeded  `json:"sleep_needed"`
	RespiratoryRate            float64      `json:"respiratory_rate"`
	SleepPerformancePercentage float64      `json:"sleep_performance_percentage"`
	SleepConsistencyPercentage float64      `json:"sleep_consistency_percentage"`
	SleepEfficiencyPercentage  float64      `json:"sleep_efficiency_percentage"`
}

type stageSummary struct {
	TotalInBedTimeMilli         int64 `json:"total_in_bed_time_milli"`
	TotalAwakeTimeMilli         int64 `json:"total_awake_time_milli"`
	TotalNoDataTimeMilli        int64 `json:"total_no_data_time_milli"`
	TotalLightSleepTimeMilli    int64 `json:"total_light_sleep_time_milli"`
	TotalSlowWaveSleepTimeMilli int64 `json:"total_slow_wave_sleep_time_milli"`
	TotalREMSleepTimeMilli      int64 `json:"total_rem_sleep_time_milli"`
	SleepCycleCount             int64 `json:"sleep_cycle_count"`
	DisturbanceCount            int64 `json:"disturbance_count"`
}

type sleepNeeded struct {
	BaselineMilli             int64 `json:"baseline_milli"`
	NeedFromSleepDebtMilli    int64 `json:"need_from_sleep_debt_milli"`
	NeedFromRecentStrainMilli int64 `json:"need_from_recent_strain_milli"`
	NeedFromRecentNapMilli    int64 `json:"need_from_recent_nap_milli"`
}

type recoveryJSON struct {
	CycleID    int64         `json:"cycle_id"`
	SleepID    string        `json:"sleep_id"`
	UserID     int64         `json:"user_id"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	ScoreState string        `json:"score_state"`
	Score      recoveryScore `json:"score"`
}

type recoveryScore struct {
	UserCalibrating  bool    `json:"user_calibrating"`
	RecoveryScore    float64 `json:"recovery_score"`
	RestingHeartRate float64 `json:"resting_heart_rate"`
	HRVRMSSDMilli    float64 `json:"hrv_rmssd_milli"`
	SpO2Percentage   float64 `json:"spo2_percentage"`
	SkinTempCelsius  float64 `json:"skin_temp_celsius"`
}

type cycleJSON struct {
	ID             int64       `json:"id"`
	UserID         int64       `json:"user_id"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
	Start          time.Time   `json:"start"`
	End            *time.Time  `json:"end,omitempty"`
	TimezoneOffset string      `json:"timezone_offset"`
	ScoreState     string      `json:"score_state"`
	Score          *cycleScore `json:"score,omitempty"`
}

type cycleScore struct {
	Strain           float64 `json:"strain"`
	Kilojoule        float64 `json:"kilojoule"`
	AverageHeartRate int     `json:"average_heart_rate"`
	MaxHeartRate     int     `json:"max_heart_rate"`
}

type workoutJSON struct {
	ID             string       `json:"id"`
	UserID         int64        `json:"user_id"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	Start          time.Time    `json:"start"`
	End            time.Time    `json:"end"`
	TimezoneOffset string       `json:"timezone_offset"`
	SportName      string       `json:"sport_name"`
	ScoreState     string       `json:"score_state"`
	Score          workoutScore `json:"score"`
}

type workoutScore struct {
	Strain              float64       `json:"strain"`
	AverageHeartRate    int           `json:"average_heart_rate"`
	MaxHeartRate        int           `json:"max_heart_rate"`
	Kilojoule           float64       `json:"kilojoule"`
	PercentRecorded     float64       `json:"percent_recorded"`
	DistanceMeter       float64       `json:"distance_meter"`
	AltitudeGainMeter   float64       `json:"altitude_gain_meter"`
	AltitudeChangeMeter float64       `json:"altitude_change_meter"`
	ZoneDurations       zoneDurations `json:"zone_durations"`
}

type zoneDurations struct {
	ZoneZeroMilli  int64 `json:"zone_zero_milli"`
	ZoneOneMilli   int64 `json:"zone_one_milli"`
	ZoneTwoMilli   int64 `json:"zone_two_milli"`
	ZoneThreeMilli int64 `json:"zone_three_milli"`
	ZoneFourMilli  int64 `json:"zone_four_milli"`
	ZoneFiveMilli  int64 `json:"zone_five_milli"`
}

// The values below follow from the day's position and corrections only, so a test can predict them.

// sleepOf is the night ending on d's morning; ok is false once deleted or while it has not ended.
func (f *Fake) sleepOf(d *day) (sleepJSON, bool) {
	if d.sleepDeleted || d.sleepEnd.After(f.o.Now()) {
		return sleepJSON{}, false
	}
	inBed := d.sleepEnd.Sub(d.sleepStart).Milliseconds()
	awake := int64(24+d.i+3*d.corrections) * 60_000
	asleep := inBed - awake
	light := asleep * 50 / 100
	deep := asleep * 22 / 100
	return sleepJSON{
		ID: d.sleepID, CycleID: d.cycleID, UserID: f.o.UserID,
		CreatedAt: d.sleepEnd.Add(5 * time.Minute), UpdatedAt: d.updated,
		Start: d.sleepStart, End: d.sleepEnd, TimezoneOffset: f.o.TimezoneOffset, ScoreState: "SCORED",
		Score: sleepScore{
			StageSummary: stageSummary{
				TotalInBedTimeMilli: inBed, TotalAwakeTimeMilli: awake,
				TotalLightSleepTimeMilli: light, TotalSlowWaveSleepTimeMilli: deep,
				TotalREMSleepTimeMilli: asleep - light - deep,
				SleepCycleCount:        4, DisturbanceCount: int64(11 + d.i),
			},
			SleepNeeded: sleepNeeded{
				BaselineMilli: 27_395_716, NeedFromSleepDebtMilli: 352_230,
				NeedFromRecentStrainMilli: 208_595, NeedFromRecentNapMilli: 0,
			},
			RespiratoryRate:            15.25 + float64(d.i)/4 + float64(d.corrections)/2,
			SleepPerformancePercentage: 91,
			SleepConsistencyPercentage: 85,
			SleepEfficiencyPercentage:  math.Round(float64(asleep)/float64(inBed)*10000) / 100,
		},
	}, true
}

// recoveryOf is the recovery scored from d's sleep.
func (f *Fake) recoveryOf(d *day) recoveryJSON {
	return recoveryJSON{
		CycleID: d.cycleID, SleepID: d.sleepID, UserID: f.o.UserID,
		CreatedAt: d.sleepEnd.Add(6 * time.Minute), UpdatedAt: d.updated, ScoreState: "SCORED",
		Score: recoveryScore{
			RecoveryScore:    float64(60 + d.i),
			RestingHeartRate: float64(52 + d.i%3),
			HRVRMSSDMilli:    61.5 + float64(d.i) + 5*float64(d.corrections),
			SpO2Percentage:   96.5,
			SkinTempCelsius:  33.5 + float64(d.i)/10,
		},
	}
}

// cycleOf is the cycle that starts with d's sleep and lasts a day; it has no end (and no final score
// changes) while it is still running.
func (f *Fake) cycleOf(d *day) (cycleJSON, bool) {
	if d.sleepStart.After(f.o.Now()) {
		return cycleJSON{}, false
	}
	c := cycleJSON{
		ID: d.cycleID, UserID: f.o.UserID, CreatedAt: d.sleepStart.Add(time.Minute), UpdatedAt: d.updated,
		Start: d.sleepStart, TimezoneOffset: f.o.TimezoneOffset, ScoreState: "SCORED",
		Score: &cycleScore{
			Strain: 12.25, Kilojoule: 9000 + 50*float64(d.i) + 300*float64(d.corrections),
			AverageHeartRate: 64, MaxHeartRate: 171,
		},
	}
	if end := d.sleepStart.Add(24 * time.Hour); !end.After(f.o.Now()) {
		c.End = &end
	}
	return c, true
}

// workoutOf is d's evening workout, 17:30 to 18:15 local.
func (f *Fake) workoutOf(d *day) (workoutJSON, bool) {
	if d.workoutDeleted || d.workoutEnd.After(f.o.Now()) {
		return workoutJSON{}, false
	}
	return workoutJSON{
		ID: d.workoutID, UserID: f.o.UserID, CreatedAt: d.workoutEnd.Add(2 * time.Minute), UpdatedAt: d.updated,
		Start: d.workoutStart, End: d.workoutEnd, TimezoneOffset: f.o.TimezoneOffset, SportName: f.o.Sport,
		ScoreState: "SCORED",
		Score: workoutScore{
			Strain: 11.5, AverageHeartRate: 152, MaxHeartRate: 178,
			Kilojoule:         2100 + 10*float64(d.i) + 100*float64(d.corrections),
			PercentRecorded:   100,
			DistanceMeter:     7500 + 100*float64(d.i) + 250*float64(d.corrections),
			AltitudeGainMeter: 42, AltitudeChangeMeter: -1.5,
			ZoneDurations: zoneDurations{
				ZoneZeroMilli: 60_000, ZoneOneMilli: 300_000, ZoneTwoMilli: 900_000,
				ZoneThreeMilli: 1_080_000, ZoneFourMilli: 360_000, ZoneFiveMilli: 0,
			},
		},
	}, true
}
