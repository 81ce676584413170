package oura

// The JSON shapes of Oura API v2 (https://cloud.ouraring.com/v2/docs), field names as documented. Only the
// fields the mapping reads are declared; the rest of each document is ignored.

// page is the envelope of every multi-document route: data plus an opaque next_token (null on the last page).
type page[T any] struct {
	Data      []T     `json:"data"`
	NextToken *string `json:"next_token"`
}

// personalInfo is /v2/usercollection/personal_info; its id is the user_id webhooks carry.
type personalInfo struct {
	ID string `json:"id"`
}

// heartRate is one row of /v2/usercollection/heartrate. The timestamp is UTC; source is one of awake, rest,
// sleep, session, live, workout.
type heartRate struct {
	BPM       float64 `json:"bpm"`
	Source    string  `json:"source"`
	Timestamp string  `json:"timestamp"`
}

// dailyActivity is one document of /v2/usercollection/daily_activity: Oura's activity day runs from 04:00 to
// 04:00 local time, and timestamp carries that local offset.
type dailyActivity struct {
	ID                        string   `json:"id"`
	Day                       string   `json:"day"`
	Timestamp                 string   `json:"timestamp"`
	Steps                     *float64 `json:"steps"`
	ActiveCalories            *float64 `json:"active_calories"`
	TotalCalories             *float64 `json:"total_calories"`
	EquivalentWalkingDistance *float64 `json:"equivalent_walking_distance"`
}

// sample is Oura's PublicSample: items spaced interval seconds apart from timestamp (null items are gaps).
type sample struct {
	Interval  float64    `json:"interval"`
	Items     []*float64 `json:"items"`
	Timestamp string     `json:"timestamp"`
}

// sleepPeriod is one document of /v2/usercollection/sleep (a night or a nap; several per day).
type sleepPeriod struct {
	ID               string   `json:"id"`
	Day              string   `json:"day"`
	Type             string   `json:"type"` // deleted, sleep, long_sleep, late_nap, rest
	BedtimeStart     string   `json:"bedtime_start"`
	BedtimeEnd       string   `json:"bedtime_end"`
	SleepPhase5Min   *string  `json:"sleep_phase_5_min"`
	AverageHRV       *float64 `json:"average_hrv"`
	AverageHeartRate *float64 `json:"average_heart_rate"`
	LowestHeartRate  *float64 `json:"lowest_heart_rate"`
	AverageBreath    *float64 `json:"average_breath"`
	HeartRate        *sample  `json:"heart_rate"`
	HRV              *sample  `json:"hrv"`
	TimeInBed        *float64 `json:"time_in_bed"`
}

// workout is one document of /v2/usercollection/workout. calories (kcal) and distance (m) may be null.
type workout struct {
	ID            string   `json:"id"`
	Activity      string   `json:"activity"`
	Calories      *float64 `json:"calories"`
	Distance      *float64 `json:"distance"`
	Day           string   `json:"day"`
	StartDatetime string   `json:"start_datetime"`
	EndDatetime   string   `json:"end_datetime"`
	Intensity     string   `json:"intensity"` // easy, moderate, hard
	Label         *string  `json:"label"`
	Source        string   `json:"source"` // manual, autodetected, confirmed, workout_heart_rate
}

// dailySpO2 is one document of /v2/usercollection/daily_spo2: the night's average, keyed by day only.
type dailySpO2 struct {
	ID             string `json:"id"`
	Day            string `json:"day"`
	SpO2Percentage *struct {
		Average *float64 `json:"average"`
	} `json:"spo2_percentage"`
}

// webhookBody is what Oura POSTs to the subscription's callback URL.
type webhookBody struct {
	EventType string `json:"event_type"` // create, update, delete
	DataType  string `json:"data_type"`
	ObjectID  string `json:"object_id"`
	UserID    string `json:"user_id"`
	EventTime string `json:"event_time"`
}
