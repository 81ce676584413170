package ingest

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// The inside of a workout: Health Connect ExerciseSession segments and laps, HealthKit workout activities
// (as segments) and workout events (pauses, resumes, markers). They are stored with the workout, in canonical
// form (snake_case types, metres), and replaced or deleted with it.

// WorkoutSegment is a stretch of a workout with its own exercise: a Health Connect ExerciseSegment or a
// HealthKit workout activity (iOS 16 multisport and interval workouts).
type WorkoutSegment struct {
	Start, End  time.Time
	Type        string // a Health Connect segment type (its int or EXERCISE_SEGMENT_TYPE_… name) or an activity type
	Repetitions *int64
}

// WorkoutLap is a Health Connect ExerciseLap or a HealthKit lap event.
type WorkoutLap struct {
	Start, End time.Time
	Distance   *Quantity
}

// WorkoutEvent is a HealthKit HKWorkoutEvent: pause, resume, marker, motion paused…
type WorkoutEvent struct {
	Type  string // HKWorkoutEventTypePause, its raw value 1…8, or pause, motionPaused…
	Start time.Time
	End   *time.Time // for events with a duration (a lap or segment event, a marker with one)
}

// MaxWorkoutParts bounds each of a workout's lists: an ultra with a lap per 100 m stays well inside.
const MaxWorkoutParts = 2000

var (
	segmentWords = words(catalog.SegmentTypes...)
	eventWords   = words(catalog.WorkoutEventTypes[1:]...)
)

// within checks that [s, e] is a proper span inside the workout's.
func within(what string, j int, s, e, start, end time.Time) *problem {
	if e.Before(s) {
		return fail(CodeBadTime, "%s %d ends before it starts", what, j)
	}
	if s.Before(start) || e.After(end) {
		return fail(CodeBadTime, "%s %d (%s–%s) is outside the workout's start–end", what, j, s.Format(time.RFC3339), e.Format(time.RFC3339))
	}
	return nil
}

// noOverlap checks spans sorted by start, as Health Connect requires of segments and of laps.
func noOverlap(what string, n int, span func(i int) (time.Time, time.Time)) *problem {
	for i := 1; i < n; i++ {
		_, prevEnd := span(i - 1)
		s, _ := span(i)
		if s.Before(prevEnd) { // named by time: the indexes are those of the sorted list, not of the upload
			return fail(CodeBadTime, "the %s starting at %s begins before the one before it ends (%s); %ss may not overlap",
				what, s.Format(time.RFC3339), prevEnd.Format(time.RFC3339), what)
		}
	}
	return nil
}

// segmentType finds a segment's canonical type: a Health Connect segment type by name or (outside the
// HealthKit dialect) number, else a workout activity type of the catalog.
func (n *normalizer) segmentType(s string) (string, bool) {
	if t, ok := canonical(segmentWords, s, "EXERCISE_SEGMENT_TYPE_"); ok {
		return t, true
	}
	if i, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n.dialect != catalog.HealthKit {
		if i >= 0 && i < len(catalog.SegmentTypes) {
			return catalog.SegmentTypes[i], true
		}
		return "", false
	}
	return n.cat.ActivityType(n.dialect, s)
}

// workoutParts validates and encodes a workout's segments, laps and events ("" for a list not sent).
func (n *normalizer) workoutParts(w Workout) (segs, laps, evs string, p *problem) {
	if len(w.Segments) > MaxWorkoutParts || len(w.Laps) > MaxWorkoutParts || len(w.Events) > MaxWorkoutParts {
		return "", "", "", fail(CodeBadField, "a workout may have at most %d segments, laps and events each", MaxWorkoutParts)
	}
	if segs, p = n.segments(w); p != nil {
		return "", "", "", p
	}
	if laps, p = n.laps(w); p != nil {
		return "", "", "", p
	}
	evs, p = events(w)
	return segs, laps, evs, p
}

func (n *normalizer) segments(w Workout) (string, *problem) {
	if w.Segments == nil {
		return "", nil
	}
	out := make([]db.WorkoutSegment, len(w.Segments))
	for j, s := range w.Segments {
		if p := within("segment", j, s.Start, s.End, w.Start, w.End); p != nil {
			return "", p
		}
		t, ok := n.segmentType(s.Type)
		if !ok || hasNUL(s.Type) {
			return "", fail(CodeBadValue, "segment %d: %q is neither a Health Connect segment type nor a workout activity type", j, clip(s.Type))
		}
		if s.Repetitions != nil && (*s.Repetitions < 0 || *s.Repetitions > 1_000_000) {
			return "", fail(CodeBadValue, "segment %d: repetitions %d must be between 0 and 1000000", j, *s.Repetitions)
		}
		out[j] = db.WorkoutSegment{Start: s.Start.UTC(), End: s.End.UTC(), Type: t, Repetitions: s.Repetitions}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start.Before(out[b].Start) })
	if p := noOverlap("segment", len(out), func(i int) (time.Time, time.Time) { return out[i].Start, out[i].End }); p != nil {
		return "", p
	}
	return encodeParts(out)
}

func (n *normalizer) laps(w Workout) (string, *problem) {
	if w.Laps == nil {
		return "", nil
	}
	out := make([]db.WorkoutLap, len(w.Laps))
	for j, l := range w.Laps {
		if p := within("lap", j, l.Start, l.End, w.Start, w.End); p != nil {
			return "", p
		}
		d, p := n.workoutQuantity("distance_walking_running", l.Distance)
		if p != nil {
			p.msg = "lap " + strconv.Itoa(j) + ": " + p.msg
			return "", p
		}
		if d != nil && *d > 1_000_000 { // Health Connect's own bound for a lap's length
			return "", fail(CodeOutOfRange, "lap %d: a distance of %g m is more than 1000 km", j, *d)
		}
		out[j] = db.WorkoutLap{Start: l.Start.UTC(), End: l.End.UTC(), DistanceM: d}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start.Before(out[b].Start) })
	if p := noOverlap("lap", len(out), func(i int) (time.Time, time.Time) { return out[i].Start, out[i].End }); p != nil {
		return "", p
	}
	return encodeParts(out)
}

func events(w Workout) (string, *problem) {
	if w.Events == nil {
		return "", nil
	}
	out := make([]db.WorkoutEvent, len(w.Events))
	for j, e := range w.Events {
		end := e.Start
		if e.End != nil {
			end = *e.End
		}
		if p := within("event", j, e.Start, end, w.Start, w.End); p != nil {
			return "", p
		}
		t, ok := eventType(e.Type)
		if !ok {
			return "", fail(CodeBadValue, "event %d: %q is not a workout event type (pause, resume, lap, marker, motionPaused, motionResumed, segment, pauseOrResumeRequest)", j, clip(e.Type))
		}
		out[j] = db.WorkoutEvent{Type: t, Start: e.Start.UTC()}
		if e.End != nil && e.End.After(e.Start) {
			u := e.End.UTC()
			out[j].End = &u
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start.Before(out[b].Start) })
	return encodeParts(out)
}

func eventType(s string) (string, bool) {
	if i, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		if i >= 1 && i < len(catalog.WorkoutEventTypes) {
			return catalog.WorkoutEventTypes[i], true
		}
		return "", false
	}
	return canonical(eventWords, s, "HKWorkoutEventType")
}

func encodeParts(v any) (string, *problem) {
	b, err := json.Marshal(v)
	if err != nil { // times, strings and finite numbers only
		return "", fail(CodeBadField, "cannot encode the workout's parts: %v", err)
	}
	return string(b), nil
}

// workoutParts hashes a workout's segments, laps and events; a workout without any hashes as it did before
// they existed, so stored idempotency keys keep their meaning.
func (f *fp) workoutParts(w *Workout) {
	if w.Segments == nil && w.Laps == nil && w.Events == nil {
		return
	}
	f.str("parts")
	f.present(w.Segments != nil)
	f.n(len(w.Segments))
	for _, s := range w.Segments {
		f.time(s.Start)
		f.time(s.End)
		f.str(s.Type)
		f.optInt(s.Repetitions)
	}
	f.present(w.Laps != nil)
	f.n(len(w.Laps))
	for _, l := range w.Laps {
		f.time(l.Start)
		f.time(l.End)
		if f.present(l.Distance != nil) {
			f.float(float64(l.Distance.Value))
			f.str(l.Distance.Unit)
		}
	}
	f.present(w.Events != nil)
	f.n(len(w.Events))
	for _, e := range w.Events {
		f.str(e.Type)
		f.time(e.Start)
		if f.present(e.End != nil) {
			f.time(*e.End)
		}
	}
}

// workoutPartItems counts a workout's parts against the batch limit, a hundred to an item.
func workoutPartItems(b *Batch) int {
	n := 0
	for i := range b.Workouts {
		w := &b.Workouts[i]
		n += (len(w.Segments) + len(w.Laps) + len(w.Events)) / 100
	}
	return n
}
