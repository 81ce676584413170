package client

import "time"

// Provider names the platform a batch comes from.
type Provider string

// Providers the server knows.
const (
	AppleHealth   Provider = "APPLE_HEALTH"
	HealthConnect Provider = "HEALTH_CONNECT"
	Garmin        Provider = "GARMIN"
	Oura          Provider = "OURA"
	Whoop         Provider = "WHOOP"
	OtherProvider Provider = "OTHER"
)

// Batch is one upload: the schema's IngestBatchInput. IngestBatch splits it into requests of at most
// Options.MaxBatchItems items; IdempotencyKey names the whole upload and must stay the same when the upload is
// repeated (after a crash, on the next app start), so the server answers the parts it already stored from
// its record instead of storing them again.
type Batch struct {
	IdempotencyKey  string           `json:"idempotencyKey"`
	Provider        Provider         `json:"provider"`
	Device          Device           `json:"device"`
	Samples         []QuantitySample `json:"samples,omitempty"`
	SeriesSamples   []SeriesSample   `json:"seriesSamples,omitempty"`
	CategorySamples []CategorySample `json:"categorySamples,omitempty"`
	Workouts        []Workout        `json:"workouts,omitempty"`
	Deletions       []string         `json:"deletions,omitempty"`
	// Cursors travel with the last request of a split upload, so a device's sync position never moves past
	// data that has not been stored yet.
	Cursors []Cursor `json:"cursors,omitempty"`
}

// Device is the uploading app installation.
type Device struct {
	ID         string `json:"id"`
	Model      string `json:"model,omitempty"`
	OSVersion  string `json:"osVersion,omitempty"`
	AppVersion string `json:"appVersion,omitempty"`
	TimeZone   string `json:"timeZone,omitempty"`
}

// Source is the app and hardware that recorded an item.
type Source struct {
	Name               string `json:"name"`
	BundleID           string `json:"bundleId,omitempty"`
	Version            string `json:"version,omitempty"`
	ProductType        string `json:"productType,omitempty"`
	DeviceName         string `json:"deviceName,omitempty"`
	DeviceModel        string `json:"deviceModel,omitempty"`
	DeviceManufacturer string `json:"deviceManufacturer,omitempty"`
	HardwareVersion    string `json:"hardwareVersion,omitempty"`
	SoftwareVersion    string `json:"softwareVersion,omitempty"`
}

// QuantitySample is a HealthKit quantity sample or a one-value Health Connect record.
type QuantitySample struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Value       float64        `json:"value"`
	Unit        string         `json:"unit"`
	Start       time.Time      `json:"start"`
	End         time.Time      `json:"end"`
	Source      Source         `json:"source"`
	TimeZone    string         `json:"timeZone,omitempty"`
	UserEntered bool           `json:"userEntered,omitempty"`
	Version     *int64         `json:"version,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// SeriesPoint is one value of a series record.
type SeriesPoint struct {
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
}

// SeriesSample is a Health Connect series record (heart rate, speed, power, cadence).
type SeriesSample struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Unit     string         `json:"unit"`
	Start    time.Time      `json:"start"`
	End      time.Time      `json:"end"`
	Source   Source         `json:"source"`
	TimeZone string         `json:"timeZone,omitempty"`
	Version  *int64         `json:"version,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
	Points   []SeriesPoint  `json:"points"`
}

// CategorySample is a sleep stage, an event or a mindful session.
type CategorySample struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Value       string         `json:"value,omitempty"`
	Start       time.Time      `json:"start"`
	End         time.Time      `json:"end"`
	Source      Source         `json:"source"`
	TimeZone    string         `json:"timeZone,omitempty"`
	UserEntered bool           `json:"userEntered,omitempty"`
	Version     *int64         `json:"version,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// Quantity is a value with its unit.
type Quantity struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// Workout is one exercise session.
type Workout struct {
	ID              string         `json:"id"`
	ActivityType    string         `json:"activityType"`
	Start           time.Time      `json:"start"`
	End             time.Time      `json:"end"`
	DurationSeconds *float64       `json:"durationSeconds,omitempty"`
	Energy          *Quantity      `json:"energy,omitempty"`
	Distance        *Quantity      `json:"distance,omitempty"`
	Source          Source         `json:"source"`
	TimeZone        string         `json:"timeZone,omitempty"`
	Version         *int64         `json:"version,omitempty"`
	Metadata        map[string]any `json:"metadata,omitempty"`
}

// Cursor is a device's sync position for one data type.
type Cursor struct {
	Type            string     `json:"type"`
	Cursor          string     `json:"cursor"`
	NewestSampleEnd *time.Time `json:"newestSampleEnd,omitempty"`
}

// Rejection is an item the server refused; the batch's other items were stored. Index counts within its kind
// over the whole Batch, also when IngestBatch split it.
type Rejection struct {
	Kind    string `json:"kind"`
	Index   int    `json:"index"`
	ID      string `json:"id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// IngestResult adds up the answers to every request of an upload.
type IngestResult struct {
	// Replayed: every request was answered from the server's record of an earlier identical one.
	Replayed   bool
	Accepted   int
	Duplicates int
	Updated    int
	Deleted    int
	Rejected   []Rejection
	// Requests is how many requests the upload took (retries not counted).
	Requests int
}

// Bucket is the width of a series point.
type Bucket string

// Buckets.
const (
	Minute Bucket = "MINUTE"
	Hour   Bucket = "HOUR"
	Day    Bucket = "DAY"
	Week   Bucket = "WEEK"
	Month  Bucket = "MONTH"
	Year   Bucket = "YEAR"
)

// SeriesQuery selects a series. TimeZone empty: the server's choice (the user's latest device, else UTC).
// Merge empty: PRIORITY.
type SeriesQuery struct {
	Metric   string
	From, To time.Time
	Bucket   Bucket
	TimeZone string
	Merge    string
	Sources  []string
}

// Series is a metric's values in buckets.
type Series struct {
	Metric      string        `json:"metric"`
	Unit        string        `json:"unit"`
	Aggregation string        `json:"aggregation"`
	Bucket      Bucket        `json:"bucket"`
	TimeZone    string        `json:"timeZone"`
	Merge       string        `json:"merge"`
	Points      []SeriesValue `json:"points"`
}

// SeriesValue is one bucket of a Series.
type SeriesValue struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Value float64   `json:"value"`
	Count int       `json:"count"`
	Sum   float64   `json:"sum"`
	Min   *float64  `json:"min"`
	Max   *float64  `json:"max"`
	Avg   *float64  `json:"avg"`
}

// SyncState is a device's position and health for one data type.
type SyncState struct {
	DeviceID        string     `json:"deviceId"`
	DataType        string     `json:"dataType"`
	Cursor          *string    `json:"cursor"`
	NewestSampleEnd *time.Time `json:"newestSampleEnd"`
	LastUploadAt    time.Time  `json:"lastUploadAt"`
	LastDataAt      *time.Time `json:"lastDataAt"`
	Count           int64      `json:"count"`
	// Status is ACTIVE or STALE (the type brought nothing new for 72 hours while the device kept uploading:
	// check the app's Health permissions).
	Status string `json:"status"`
}
