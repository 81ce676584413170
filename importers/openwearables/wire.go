// Package openwearables accepts the uploads of the Open Wearables mobile SDKs (the-momentum: Swift, Kotlin,
// Flutter and React Native) unchanged, so an app that ships one of them can point it at healthsync. Their body
// is decoded tolerantly, mapped onto ingest batches (HealthKit identifiers for Apple, the SDK's own names for
// Samsung Health and Health Connect) and stored through the same write path as ingestBatch.
package openwearables

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Request is the SDK's sync body: {provider, sdkVersion, syncTimestamp, data: {records, sleep, workouts}}. The
// items stay raw until each is decoded on its own, so one malformed item is refused alone instead of the whole
// chunk (which their SDKs drop on any 4xx).
type Request struct {
	Provider      string `json:"provider"`
	SDKVersion    Text   `json:"sdkVersion"`
	SyncTimestamp Text   `json:"syncTimestamp"`
	Data          struct {
		Records  []json.RawMessage `json:"records"`
		Sleep    []json.RawMessage `json:"sleep"`
		Workouts []json.RawMessage `json:"workouts"`
	} `json:"data"`

	// legacy marks the iOS SDK 0.2.x body (DecodeApple), whose oxygen saturation is HealthKit's fraction.
	legacy bool
	// from gives, per collection, where each item sat in the body as the SDK wrote it, when that differs
	// (the 0.2.x body files workouts and sleep among its records); nil means in place.
	from map[string][]Origin
}

// origin is where item i of coll sat in the SDK's body.
func (r *Request) origin(coll string, i int) Origin {
	if f := r.from[coll]; i < len(f) {
		return f[i]
	}
	return Origin{Collection: coll, Index: i}
}

// Source is where an item comes from: the HealthKit source revision and device, or the Android app and device.
type Source struct {
	AppID                  Text       `json:"appId"`
	Name                   Text       `json:"name"`
	BundleIdentifier       Text       `json:"bundleIdentifier"`
	Version                Text       `json:"version"`
	ProductType            Text       `json:"productType"`
	OperatingSystemVersion *OSVersion `json:"operatingSystemVersion"`
	DeviceID               Text       `json:"deviceId"`
	DeviceName             Text       `json:"deviceName"`
	DeviceManufacturer     Text       `json:"deviceManufacturer"`
	DeviceType             Text       `json:"deviceType"`
	DeviceModel            Text       `json:"deviceModel"`
	DeviceHardwareVersion  Text       `json:"deviceHardwareVersion"`
	DeviceSoftwareVersion  Text       `json:"deviceSoftwareVersion"`
	RecordingMethod        Text       `json:"recordingMethod"`
}

// OSVersion is HealthKit's operating system version triple.
type OSVersion struct {
	Major Number `json:"majorVersion"`
	Minor Number `json:"minorVersion"`
	Patch Number `json:"patchVersion"`
}

// Record is a quantity sample, or a category sample (unit null, value the HealthKit enum's integer).
type Record struct {
	ID         Text     `json:"id"`
	ParentID   Text     `json:"parentId"`
	Type       Text     `json:"type"`
	StartDate  Time     `json:"startDate"`
	EndDate    Time     `json:"endDate"`
	ZoneOffset Text     `json:"zoneOffset"`
	Source     *Source  `json:"source"`
	Value      Number   `json:"value"`
	Unit       Text     `json:"unit"`
	Metadata   Metadata `json:"metadata"`
}

// Sleep is one sleep stage interval.
type Sleep struct {
	ID         Text            `json:"id"`
	ParentID   Text            `json:"parentId"`
	Stage      Text            `json:"stage"`
	StartDate  Time            `json:"startDate"`
	EndDate    Time            `json:"endDate"`
	ZoneOffset Text            `json:"zoneOffset"`
	Source     *Source         `json:"source"`
	Values     json.RawMessage `json:"values"`
	Metadata   Metadata        `json:"metadata"`
}

// Statistic is one of a workout's totals or averages, such as {"type":"distance","unit":"m","value":5234}.
type Statistic struct {
	Type  Text   `json:"type"`
	Unit  Text   `json:"unit"`
	Value Number `json:"value"`
}

// Workout is one workout; route and samples are not read (their backend ignores them too). The Android SDK fills
// segments and laps from Health Connect's ExerciseSession; the iOS SDK sends them null.
type Workout struct {
	ID         Text        `json:"id"`
	ParentID   Text        `json:"parentId"`
	Type       Text        `json:"type"`
	StartDate  Time        `json:"startDate"`
	EndDate    Time        `json:"endDate"`
	ZoneOffset Text        `json:"zoneOffset"`
	Source     *Source     `json:"source"`
	Title      Text        `json:"title"`
	Notes      Text        `json:"notes"`
	Values     []Statistic `json:"values"`
	Segments   []Segment   `json:"segments"`
	Laps       []Lap       `json:"laps"`
	Metadata   Metadata    `json:"metadata"`
}

// Segment is one of a workout's ExerciseSegments: {startDate, endDate, type ("squat", "rest", "other_51"…),
// repetitions}.
type Segment struct {
	StartDate   Time   `json:"startDate"`
	EndDate     Time   `json:"endDate"`
	Type        Text   `json:"type"`
	Repetitions Number `json:"repetitions"`
}

// Lap is one of a workout's ExerciseLaps: {startDate, endDate, distanceM}.
type Lap struct {
	StartDate Time   `json:"startDate"`
	EndDate   Time   `json:"endDate"`
	DistanceM Number `json:"distanceM"`
}

// DecodeError is a body that cannot be read as a sync request at all.
type DecodeError struct {
	Code    string
	Message string
}

func (e *DecodeError) Error() string { return e.Message }

// Decode reads the envelope. Items are decoded later, one by one (DecodeRecord, DecodeSleep, DecodeWorkout).
func Decode(body []byte) (*Request, *DecodeError) {
	var r Request
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, &DecodeError{Code: "BAD_REQUEST", Message: "the body is not a sync request (" + jsonProblem(err) +
			"): send {provider, sdkVersion, syncTimestamp, data: {records, sleep, workouts}}"}
	}
	return &r, nil
}

// DecodeRecord, DecodeSleep and DecodeWorkout read one item; an error says which field is wrong.
func DecodeRecord(raw json.RawMessage) (Record, error) {
	var v Record
	return v, decodeItem(raw, &v)
}

func DecodeSleep(raw json.RawMessage) (Sleep, error) {
	var v Sleep
	return v, decodeItem(raw, &v)
}

func DecodeWorkout(raw json.RawMessage) (Workout, error) {
	var v Workout
	return v, decodeItem(raw, &v)
}

func decodeItem(raw json.RawMessage, v any) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("the item is not a JSON object")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s", jsonProblem(err))
	}
	return nil
}

// jsonProblem says what went wrong without echoing the body back.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return fmt.Sprintf("field %s is a JSON %s, not a %s", e.Field, e.Value, e.Type)
		}
		return fmt.Sprintf("a JSON %s where an object was expected", e.Value)
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at byte %d", e.Offset)
	case *fieldError:
		return e.Error()
	}
	if fe, ok := asFieldError(err); ok {
		return fe.Error()
	}
	return "invalid JSON"
}

type fieldError struct{ msg string }

func (e *fieldError) Error() string { return e.msg }

func asFieldError(err error) (*fieldError, bool) {
	for err != nil {
		if fe, ok := err.(*fieldError); ok {
			return fe, true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return nil, false
		}
		err = u.Unwrap()
	}
	return nil, false
}

// Text is a string that may also arrive as null (absent), a number or a boolean: the Android SDK writes
// whatever type the platform gave it.
type Text struct {
	S     string
	Valid bool
}

func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = Text{}
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text{S: s, Valid: true}
	case b[0] == '{' || b[0] == '[':
		return &fieldError{"a text field holds an object or array"}
	default: // a number or a boolean, kept as written
		*t = Text{S: string(b), Valid: true}
	}
	return nil
}

// Ptr is the text, or nil when absent or blank.
func (t Text) Ptr() *string {
	if !t.Valid || strings.TrimSpace(t.S) == "" {
		return nil
	}
	s := t.S
	return &s
}

// Number is a decimal that may arrive as a JSON number, a numeric string or a boolean (the iOS SDK writes
// indoorWorkout as a boolean statistic); Valid is false for null or absent.
type Number struct {
	F     float64
	Valid bool
}

func (n *Number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*n = Number{}
		return nil
	case string(b) == "true":
		*n = Number{F: 1, Valid: true}
		return nil
	case string(b) == "false":
		*n = Number{F: 0, Valid: true}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return &fieldError{fmt.Sprintf("%q is not a number", clip(s))}
		}
		*n = Number{F: f, Valid: true}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return &fieldError{"a number field holds something else"}
	}
	*n = Number{F: f, Valid: true}
	return nil
}

// Time is an instant written as ISO 8601 (with or without fractional seconds, Z or an offset) or as epoch
// milliseconds; Valid is false for null or absent.
type Time struct {
	T     time.Time
	Valid bool
}

func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*t = Time{}
		return nil
	}
	if b[0] != '"' {
		ms, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return &fieldError{"a date is neither an ISO 8601 string nor epoch milliseconds"}
		}
		*t = Time{T: time.UnixMilli(ms).UTC(), Valid: true}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = Time{T: v, Valid: true}
	return nil
}

var layouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05 -0700"}

// ParseTime reads the date spellings the SDKs produce. A date without an offset is read as UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range layouts {
		if v, err := time.Parse(l, s); err == nil {
			return v, nil
		}
	}
	return time.Time{}, &fieldError{fmt.Sprintf("date %q is not ISO 8601 (such as 2026-02-24T08:30:00Z)", clip(s))}
}

// Metadata is the item's metadata: an object, a list of objects (merged in order) or null.
type Metadata map[string]any

func (m *Metadata) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*m = nil
		return nil
	}
	switch b[0] {
	case '{':
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*m = v
	case '[':
		var list []any
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		out := map[string]any{}
		for i, e := range list {
			if obj, ok := e.(map[string]any); ok {
				for k, v := range obj {
					out[k] = v
				}
			} else {
				out["item"+strconv.Itoa(i)] = e
			}
		}
		*m = out
	default:
		*m = Metadata{"value": string(b)}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
