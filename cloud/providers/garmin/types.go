package garmin

// The JSON shapes below follow the Garmin Health API (Health REST API specification, push and pull share
// them): every summary carries the userId it belongs to, times are Unix seconds in UTC and
// startTimeOffsetInSeconds is what to add to get the device's local time. Optional numbers are pointers so
// that an absent field is not read as zero.

// daily is a daily summary ("dailies"): the device's running totals for one local calendar day, re-sent as
// the day fills up.
type daily struct {
	UserID                     string             `json:"userId"`
	SummaryID                  string             `json:"summaryId"`
	CalendarDate               string             `json:"calendarDate"`
	StartTimeInSeconds         int64              `json:"startTimeInSeconds"`
	StartTimeOffsetInSeconds   int                `json:"startTimeOffsetInSeconds"`
	DurationInSeconds          int64              `json:"durationInSeconds"`
	Steps                      *float64           `json:"steps"`
	DistanceInMeters           *float64           `json:"distanceInMeters"`
	ActiveKilocalories         *float64           `json:"activeKilocalories"`
	BMRKilocalories            *float64           `json:"bmrKilocalories"`
	FloorsClimbed              *float64           `json:"floorsClimbed"`
	RestingHeartRate           *float64           `json:"restingHeartRateInBeatsPerMinute"`
	AverageHeartRate           *float64           `json:"averageHeartRateInBeatsPerMinute"`
	TimeOffsetHeartRateSamples map[string]float64 `json:"timeOffsetHeartRateSamples"`
}

// epoch is a 15-minute slice of one activity type ("epochs"); one slot can hold several epochs, one per
// activity type the device saw in it (SEDENTARY, WALKING, RUNNING, ...).
type epoch struct {
	UserID                   string   `json:"userId"`
	SummaryID                string   `json:"summaryId"`
	ActivityType             string   `json:"activityType"`
	StartTimeInSeconds       int64    `json:"startTimeInSeconds"`
	StartTimeOffsetInSeconds int      `json:"startTimeOffsetInSeconds"`
	DurationInSeconds        int64    `json:"durationInSeconds"`
	ActiveTimeInSeconds      *float64 `json:"activeTimeInSeconds"`
	Steps                    *float64 `json:"steps"`
	DistanceInMeters         *float64 `json:"distanceInMeters"`
	ActiveKilocalories       *float64 `json:"activeKilocalories"`
	Intensity                string   `json:"intensity"`
}

// sleepInterval is one stretch of a sleep level in sleepLevelsMap.
type sleepInterval struct {
	StartTimeInSeconds int64 `json:"startTimeInSeconds"`
	EndTimeInSeconds   int64 `json:"endTimeInSeconds"`
}

// sleep is one night ("sleeps"), filed under the calendarDate Garmin Connect shows it on.
type sleep struct {
	UserID                      string                     `json:"userId"`
	SummaryID                   string                     `json:"summaryId"`
	CalendarDate                string                     `json:"calendarDate"`
	StartTimeInSeconds          int64                      `json:"startTimeInSeconds"`
	StartTimeOffsetInSeconds    int                        `json:"startTimeOffsetInSeconds"`
	DurationInSeconds           int64                      `json:"durationInSeconds"`
	UnmeasurableSleepInSeconds  *int64                     `json:"unmeasurableSleepInSeconds"`
	DeepSleepDurationInSeconds  *int64                     `json:"deepSleepDurationInSeconds"`
	LightSleepDurationInSeconds *int64                     `json:"lightSleepDurationInSeconds"`
	REMSleepInSeconds           *int64                     `json:"remSleepInSeconds"`
	AwakeDurationInSeconds      *int64                     `json:"awakeDurationInSeconds"`
	SleepLevelsMap              map[string][]sleepInterval `json:"sleepLevelsMap"`
	Validation                  string                     `json:"validation"`
}

// activity is a completed activity summary ("activities").
type activity struct {
	UserID                   string   `json:"userId"`
	SummaryID                string   `json:"summaryId"`
	ActivityID               *int64   `json:"activityId"`
	ActivityName             string   `json:"activityName"`
	ActivityType             string   `json:"activityType"`
	DeviceName               string   `json:"deviceName"`
	StartTimeInSeconds       int64    `json:"startTimeInSeconds"`
	StartTimeOffsetInSeconds int      `json:"startTimeOffsetInSeconds"`
	DurationInSeconds        int64    `json:"durationInSeconds"`
	DistanceInMeters         *float64 `json:"distanceInMeters"`
	ActiveKilocalories       *float64 `json:"activeKilocalories"`
	AverageHeartRate         *float64 `json:"averageHeartRateInBeatsPerMinute"`
	Manual                   bool     `json:"manual"`
}

// bodyComp is one body composition measurement ("bodyComps"), from an Index scale or entered by hand.
type bodyComp struct {
	UserID                         string   `json:"userId"`
	SummaryID                      string   `json:"summaryId"`
	MeasurementTimeInSeconds       int64    `json:"measurementTimeInSeconds"`
	MeasurementTimeOffsetInSeconds int      `json:"measurementTimeOffsetInSeconds"`
	WeightInGrams                  *float64 `json:"weightInGrams"`
	BodyFatInPercent               *float64 `json:"bodyFatInPercent"`
	BodyMassIndex                  *float64 `json:"bodyMassIndex"`
}

// userIDAnswer is GET /wellness-api/rest/user/id.
type userIDAnswer struct {
	UserID string `json:"userId"`
}

// deregistration says a user withdrew the app's access in Garmin Connect.
type deregistration struct {
	UserID string `json:"userId"`
}

// permissionsChange says a user changed which data the app may read; HEALTH_EXPORT is the Health API's.
type permissionsChange struct {
	UserID      string   `json:"userId"`
	Permissions []string `json:"permissions"`
}

// hrvSummary is one night's heart rate variability ("hrv"): RMSSD in milliseconds, the night's average and
// 5-minute values keyed by seconds after the start.
type hrvSummary struct {
	UserID                   string             `json:"userId"`
	SummaryID                string             `json:"summaryId"`
	CalendarDate             string             `json:"calendarDate"`
	StartTimeInSeconds       int64              `json:"startTimeInSeconds"`
	StartTimeOffsetInSeconds int                `json:"startTimeOffsetInSeconds"`
	DurationInSeconds        int64              `json:"durationInSeconds"`
	LastNightAvg             *float64           `json:"lastNightAvg"`
	LastNight5MinHigh        *float64           `json:"lastNight5MinHigh"`
	HRVValues                map[string]float64 `json:"hrvValues"`
}

// pulseOx is a stretch of blood oxygen readings ("pulseOx"), in percent, keyed by seconds after the start;
// on-demand spot checks come as their own summaries.
type pulseOx struct {
	UserID                   string             `json:"userId"`
	SummaryID                string             `json:"summaryId"`
	CalendarDate             string             `json:"calendarDate"`
	StartTimeInSeconds       int64              `json:"startTimeInSeconds"`
	StartTimeOffsetInSeconds int                `json:"startTimeOffsetInSeconds"`
	DurationInSeconds        int64              `json:"durationInSeconds"`
	TimeOffsetSpo2Values     map[string]float64 `json:"timeOffsetSpo2Values"`
	OnDemand                 bool               `json:"onDemand"`
}

// respiration is a stretch of breathing rates ("respiration", pushed as "allDayRespiration"), in breaths per
// minute, keyed by seconds after the start.
type respiration struct {
	UserID                   string             `json:"userId"`
	SummaryID                string             `json:"summaryId"`
	StartTimeInSeconds       int64              `json:"startTimeInSeconds"`
	StartTimeOffsetInSeconds int                `json:"startTimeOffsetInSeconds"`
	DurationInSeconds        int64              `json:"durationInSeconds"`
	TimeOffsetEpochToBreaths map[string]float64 `json:"timeOffsetEpochToBreaths"`
}
