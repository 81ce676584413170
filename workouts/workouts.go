// Package workouts holds the rules for reading workouts back: when two recordings are one session, how a
// page cursor is spelled, how large a page may be, and which heart-rate statistics a workout's own metadata
// carries. The rules do no I/O; storage applies the same duplicate rule in SQL so that pages can be cut there,
// and Service (service.go) reads the pages through it.
package workouts

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The duplicate rule's threshold: two recordings are one session when they overlap by at least
// OverlapNum/OverlapDen of the shorter one's span. Kept as a fraction so that SQL and Go compare exactly.
const (
	OverlapNum = 4
	OverlapDen = 5
)

// Session is what the duplicate rule looks at.
type Session struct {
	ActivityType string // canonical
	SourceID     int64
	Start, End   time.Time
}

// Class is the activity class under which recordings can be duplicates: the canonical activity type itself.
// The catalog already folds the variants one platform distinguishes and the other does not (treadmill and
// road running, stationary and road biking, pool and open-water swimming) into one canonical activity, so a
// watch and a phone app that recorded the same run agree on it. Different canonical activities (running and
// walking) are never merged, even when they overlap: a brisk walk that an app calls a run stays two entries.
func Class(activityType string) string { return activityType }

// Overlap is how long a and b overlap; negative when they are apart by that much.
func Overlap(a, b Session) time.Duration {
	end, start := a.End, a.Start
	if b.End.Before(end) {
		end = b.End
	}
	if b.Start.After(start) {
		start = b.Start
	}
	return end.Sub(start)
}

// SameSession reports whether a and b are two recordings of one workout: different sources, one activity
// class, overlapping by at least 80% of the shorter one's span (end − start, pauses included, because that is
// what both sources agree on). A zero-length recording matches when its instant lies within the other.
// Recordings of one source are never duplicates of each other: a source that stores two overlapping workouts
// means two.
func SameSession(a, b Session) bool {
	if a.SourceID == b.SourceID || Class(a.ActivityType) != Class(b.ActivityType) {
		return false
	}
	ov := Overlap(a, b)
	if ov < 0 {
		return false
	}
	shorter := min(a.End.Sub(a.Start), b.End.Sub(b.Start))
	return int64(ov)*OverlapDen >= int64(shorter)*OverlapNum
}

// Page sizes for the workouts connection.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// ErrBadPageSize and ErrBadCursor are the client's mistakes.
var (
	ErrBadPageSize = fmt.Errorf("first must be between 1 and %d", MaxPageSize)
	ErrBadCursor   = errors.New("after is not a cursor from this connection's pageInfo.endCursor or edges")
)

// PageSize reads the `first` argument: nil means the default.
func PageSize(first *int) (int, error) {
	if first == nil {
		return DefaultPageSize, nil
	}
	if *first < 1 || *first > MaxPageSize {
		return 0, ErrBadPageSize
	}
	return *first, nil
}

// Cursor is the position of one edge: pages run newest first by (start, id), so a cursor names the last edge
// seen and the next page starts strictly after it in that order.
type Cursor struct {
	Start time.Time
	ID    string
}

const cursorPrefix = "w1:"

// String is the opaque form handed to clients. Start is kept in microseconds, the storage's precision.
func (c Cursor) String() string {
	raw := cursorPrefix + strconv.FormatInt(c.Start.UnixMicro(), 10) + ":" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor reads a cursor made by String.
func ParseCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return Cursor{}, ErrBadCursor
	}
	us, id, ok := strings.Cut(rest, ":")
	if !ok || id == "" {
		return Cursor{}, ErrBadCursor
	}
	micros, err := strconv.ParseInt(us, 10, 64)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{Start: time.UnixMicro(micros).UTC(), ID: id}, nil
}

// HeartRate is a workout's heart-rate statistics in beats per minute; nil when unknown.
type HeartRate struct {
	Average, Max *float64
}

// Plausible heart rates, as the catalog's heart_rate metric bounds them: anything else in metadata is noise.
const (
	minBPM = 20
	maxBPM = 300
)

// HeartRateFromMetadata reads the statistics a client copied from the workout itself. HealthKit has no
// metadata key for them (they live in HKWorkout.statistics(for: heartRate)), so clients that send them use
// our documented keys `averageHeartRate` and `maxHeartRate` (numbers, beats per minute), or the Health Auto
// Export workout shape `heartRate: {avg, max}`. Values outside 20–300 or not numbers are ignored.
func HeartRateFromMetadata(meta map[string]any) HeartRate {
	var hr HeartRate
	if meta == nil {
		return hr
	}
	hr.Average, hr.Max = bpm(meta["averageHeartRate"]), bpm(meta["maxHeartRate"])
	if nested, ok := meta["heartRate"].(map[string]any); ok {
		if hr.Average == nil {
			hr.Average = bpm(nested["avg"])
		}
		if hr.Max == nil {
			hr.Max = bpm(nested["max"])
		}
	}
	return hr
}

func bpm(v any) *float64 {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case map[string]any: // {"qty": 142, "units": "bpm"}
		q, ok := x["qty"].(float64)
		if !ok {
			return nil
		}
		f = q
	default:
		return nil
	}
	if math.IsNaN(f) || f < minBPM || f > maxBPM {
		return nil
	}
	return &f
}
