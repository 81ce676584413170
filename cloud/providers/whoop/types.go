package whoop

import "time"

// The JSON shapes below carry the field names of WHOOP's v2 OpenAPI document (developer.whoop.com/api),
// limited to what the mapping reads.

type profileJSON struct {
	UserID int64 `json:"user_id"`
}

type bodyJSON struct {
	HeightMeter    *float64 `json:"height_meter"`
	WeightKilogram *float64 `json:"weight_kilogram"`
	MaxHeartRate   *int     `json:"max_heart_rate"`
}

// Score states: only SCORED records carry a score.
const scored = "SCORED"

type cycleJSON struct {
	ID             int64       `json:"id"`
	UserID         int64       `json:"user_id"`
	Start          time.Time   `json:"start"`
	End            *time.Time  `json:"end"` // absent while the member is in the cycle
	TimezoneOffset string      `json:"timezone_offset"`
	ScoreState     string      `json:"score_state"`
	Score          *cycleScore `json:"score"`
}

type cycleScore struct {
	Strain           *float64 `json:"strain"`
	Kilojoule        *float64 `json:"kilojoule"`
	AverageHeartRate *float64 `json:"average_heart_rate"`
	MaxHeartRate     *float64 `json:"max_heart_rate"`
}

type recoveryJSON struct {
	CycleID    int64          `json:"cycle_id"`
	SleepID    string         `json:"sleep_id"`
	UserID     int64          `json:"user_id"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	ScoreState string         `json:"score_state"`
	Score      *recoveryScore `json:"score"`
}

type recoveryScore struct {
	UserCalibrating  *bool    `json:"user_calibrating"`
	RecoveryScore    *float64 `json:"recovery_score"`
	RestingHeartRate *float64 `json:"resting_heart_rate"`
	HRVRMSSDMilli    *float64 `json:"hrv_rmssd_milli"`
	SpO2Percentage   *float64 `json:"spo2_percentage"`   // WHOOP 4.0 and later
	SkinTempCelsius  *float64 `json:"skin_temp_celsius"` // WHOOP 4.0 and later
}

type sleepJSON struct {
	ID             string      `json:"id"`
	CycleID        int64       `json:"cycle_id"`
	UserID         int64       `json:"user_id"`
	Start          time.Time   `json:"start"`
	End            *time.Time  `json:"end"`
	TimezoneOffset string      `json:"timezone_offset"`
	Nap            bool        `json:"nap"`
	ScoreState     string      `json:"score_state"`
	Score          *sleepScore `json:"score"`
}

type sleepScore struct {
	StageSummary               *stageSummary `json:"stage_summary"`
	RespiratoryRate            *float64      `json:"respiratory_rate"`
	SleepPerformancePercentage *float64      `json:"sleep_performance_percentage"`
	SleepConsistencyPercentage *float64      `json:"sleep_consistency_percentage"`
	SleepEfficiencyPercentage  *float64      `json:"sleep_efficiency_percentage"`
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

type workoutJSON struct {
	ID             string        `json:"id"`
	UserID         int64         `json:"user_id"`
	Start          time.Time     `json:"start"`
	End            *time.Time    `json:"end"`
	TimezoneOffset string        `json:"timezone_offset"`
	SportName      string        `json:"sport_name"`
	SportID        *int          `json:"sport_id"` // dropped by WHOOP after 2025-09-01; read when present
	ScoreState     string        `json:"score_state"`
	Score          *workoutScore `json:"score"`
}

type workoutScore struct {
	Strain              *float64       `json:"strain"`
	AverageHeartRate    *float64       `json:"average_heart_rate"`
	MaxHeartRate        *float64       `json:"max_heart_rate"`
	Kilojoule           *float64       `json:"kilojoule"`
	PercentRecorded     *float64       `json:"percent_recorded"`
	DistanceMeter       *float64       `json:"distance_meter"`
	AltitudeGainMeter   *float64       `json:"altitude_gain_meter"`
	AltitudeChangeMeter *float64       `json:"altitude_change_meter"`
	ZoneDurations       *zoneDurations `json:"zone_durations"`
}

type zoneDurations struct {
	ZoneZeroMilli  int64 `json:"zone_zero_milli"`
	ZoneOneMilli   int64 `json:"zone_one_milli"`
	ZoneTwoMilli   int64 `json:"zone_two_milli"`
	ZoneThreeMilli int64 `json:"zone_three_milli"`
	ZoneFourMilli  int64 `json:"zone_four_milli"`
	ZoneFiveMilli  int64 `json:"zone_five_milli"`
}
