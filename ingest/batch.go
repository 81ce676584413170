// Package ingest is the write path's domain: it validates and normalizes an uploaded batch against the
// metric catalog, collects per-item rejections, and stores the good items, the sources, the device's sync
// state and the answer under the idempotency key in one transaction. It knows nothing of GraphQL or HTTP.
package ingest

import "time"

// Provider names the platform a batch comes from.
type Provider string

const (
	AppleHealth   Provider = "APPLE_HEALTH"
	HealthConnect Provider = "HEALTH_CONNECT"
	Garmin        Provider = "GARMIN"
	Oura          Provider = "OURA"
	Whoop         Provider = "WHOOP"
	OtherProvider Provider = "OTHER"
)

// Float is a sample value as uploaded; it may be NaN or infinite (rejected per item with BAD_VALUE).
type Float float64

// Batch is one upload from one device.
type Batch struct {
	IdempotencyKey string
	Provider       Provider
	Device         Device
	Samples        []QuantitySample
	Series         []SeriesSample
	Categories     []CategorySample
	Workouts       []Workout
	Deletions      []string
	Cursors        []Cursor
	// The kinds that are neither a number nor a category (kinds.go).
	StatesOfMind    []StateOfMind
	ECGs            []ECGRecording
	MedicationDoses []MedicationDose
	Audiograms      []Audiogram // audiogram.go
	// ContentIDs says the item ids are content hashes (export imports, Health Auto Export), not the platform's
	// own: a record the app already sent with its HealthKit UUID is then recognised by content.
	ContentIDs bool
}

// Device is the uploading app installation.
type Device struct {
	ID         string
	Model      *string
	OSVersion  *string
	AppVersion *string
	TimeZone   *string
}

// Source is the app or device that produced an item.
type Source struct {
	Name               string
	BundleID           *string
	Version            *string
	ProductType        *string
	DeviceName         *string
	DeviceModel        *string
	DeviceManufacturer *string
	HardwareVersion    *string
	SoftwareVersion    *string
}

// QuantitySample is a HealthKit quantity sample or a one-value Health Connect record.
type QuantitySample struct {
	ID          string
	Type        string
	Value       Float
	Unit        string
	Start, End  time.Time
	Source      Source
	TimeZone    *string
	UserEntered *bool
	Version     *int64
	Metadata    map[string]any
}

// SeriesPoint is one point of a series record.
type SeriesPoint struct {
	Time  time.Time
	Value Float
}

// SeriesSample is a Health Connect series record (heart rate, speed, power, cadence).
type SeriesSample struct {
	ID         string
	Type       string
	Unit       string
	Start, End time.Time
	Source     Source
	TimeZone   *string
	Version    *int64
	Metadata   map[string]any
	Points     []SeriesPoint
}

// CategorySample is a sleep stage, mindful session, stand hour or heart event.
type CategorySample struct {
	ID          string
	Type        string
	Value       string
	Start, End  time.Time
	Source      Source
	TimeZone    *string
	UserEntered *bool
	Version     *int64
	Metadata    map[string]any
}

// Quantity is a value with its unit.
type Quantity struct {
	Value Float
	Unit  string
}

// Workout is one workout session.
type Workout struct {
	ID              string
	ActivityType    string
	Start, End      time.Time
	DurationSeconds *float64
	Energy          *Quantity
	Distance        *Quantity
	Source          Source
	TimeZone        *string
	Version         *int64
	Metadata        map[string]any
	// Segments, Laps and Events are the workout's inside (workoutparts.go); nil = not sent.
	Segments []WorkoutSegment
	Laps     []WorkoutLap
	Events   []WorkoutEvent
}

// Cursor is the device's sync position for one data type.
type Cursor struct {
	Type            string
	Cursor          string
	NewestSampleEnd *time.Time
}

// ItemKind names the input list an item came from.
type ItemKind string

const (
	KindSample         ItemKind = "SAMPLE"
	KindSeriesSample   ItemKind = "SERIES_SAMPLE"
	KindCategorySample ItemKind = "CATEGORY_SAMPLE"
	KindWorkout        ItemKind = "WORKOUT"
	KindDeletion       ItemKind = "DELETION"
	KindCursor         ItemKind = "CURSOR"
)

// Code says why an item was rejected.
type Code string

const (
	CodeUnknownType Code = "UNKNOWN_TYPE"
	CodeBadUnit     Code = "BAD_UNIT"
	CodeOutOfRange  Code = "OUT_OF_RANGE"
	CodeBadValue    Code = "BAD_VALUE"
	CodeBadTime     Code = "BAD_TIME"
	CodeBadID       Code = "BAD_ID"
	CodeBadTimeZone Code = "BAD_TIME_ZONE"
	CodeBadField    Code = "BAD_FIELD"
)

// Rejection is one refused item.
type Rejection struct {
	Kind    ItemKind `json:"kind"`
	Index   int      `json:"index"`
	ID      string   `json:"id,omitempty"`
	Code    Code     `json:"code"`
	Message string   `json:"message"`
}

// Result is the answer to a batch. It is stored under the idempotency key and returned again on replay.
type Result struct {
	Replayed   bool        `json:"replayed"`
	Accepted   int         `json:"accepted"`
	Duplicates int         `json:"duplicates"`
	Updated    int         `json:"updated"`
	Deleted    int         `json:"deleted"`
	Rejected   []Rejection `json:"rejected"`
}

// StaleAfter is the default for how long a data type may stay silent while its device keeps uploading before it counts as
// stale: long enough for types that arrive once a day (resting heart rate, sleep), short enough to notice a
// revoked permission within three days.
const StaleAfter = 72 * time.Hour

// SyncStatus tells whether a type still flows: STALE when the device uploaded more than staleAfter after the
// type last brought new data.
func SyncStatus(lastDataAt *time.Time, deviceLastSeen time.Time, staleAfter time.Duration) string {
	if lastDataAt != nil && deviceLastSeen.Sub(*lastDataAt) > staleAfter {
		return "STALE"
	}
	return "ACTIVE"
}
