package appleexport

import (
	"encoding/xml"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"healthsync/ingest"
)

// Audiograms are top-level Audiogram elements of export.xml (type HKDataTypeIdentifierAudiogram), one
// SensitivityPoint child per frequency. The Health app prints each ear's first air-conduction test as
// leftEar…/rightEar… attributes (value, unit, masked YES/NO, clamping range bounds); other tests of a point
// (bone conduction, a second masked test) are not in the export.

// AudiogramElement is one Audiogram element as printed.
type AudiogramElement struct {
	SourceName    string
	SourceVersion string
	Device        Device
	Start, End    time.Time
	Metadata      map[string]string
	Points        []SensitivityPoint
}

// SensitivityPoint is one SensitivityPoint child of an Audiogram.
type SensitivityPoint struct {
	FrequencyValue, FrequencyUnit string
	Left, Right                   *EarSensitivity // nil when the ear was not tested
}

// EarSensitivity is one ear's attributes of a SensitivityPoint.
type EarSensitivity struct {
	Value, Unit, Masked    string
	ClampLower, ClampUpper string
}

func (r *Reader) audiogram(se xml.StartElement) (*AudiogramElement, error) {
	a := &AudiogramElement{SourceName: attr(se, "sourceName"), SourceVersion: attr(se, "sourceVersion"),
		Device: ParseDevice(attr(se, "device"))}
	a.Start, a.End = parseDates(attr(se, "startDate"), attr(se, "endDate"))
	err := r.children(func(c xml.StartElement) (bool, error) {
		switch c.Name.Local {
		case "MetadataEntry":
			metadataEntry(c, &a.Metadata)
		case "SensitivityPoint":
			a.Points = append(a.Points, SensitivityPoint{FrequencyValue: attr(c, "frequencyValue"),
				FrequencyUnit: attr(c, "frequencyUnit"), Left: ear(c, "leftEar"), Right: ear(c, "rightEar")})
		}
		return false, nil
	})
	return a, err
}

func ear(se xml.StartElement, prefix string) *EarSensitivity {
	e := EarSensitivity{Value: attr(se, prefix+"Value"), Unit: attr(se, prefix+"Unit"), Masked: attr(se, prefix+"Masked"),
		ClampLower: attr(se, prefix+"ClampingRangeLowerBound"), ClampUpper: attr(se, prefix+"ClampingRangeUpperBound")}
	if e.Value == "" {
		return nil
	}
	return &e
}

// addAudiogram turns an Audiogram element into an audiogram item. A point whose numbers or units cannot be read
// is left to the write path to refuse with its code (a frequency of 0 Hz is OUT_OF_RANGE), so it is counted.
func (im *Importer) addAudiogram(r *producer, a *AudiogramElement) {
	g := ingest.Audiogram{ItemEnvelope: ingest.ItemEnvelope{Start: a.Start, End: a.End,
		Source: source(a.SourceName, a.SourceVersion, a.Device), Metadata: anyMap(a.Metadata)}}
	var content strings.Builder
	for _, p := range a.Points {
		hz := hertz(p.FrequencyValue, p.FrequencyUnit)
		pt := ingest.AudiogramPoint{FrequencyHz: ingest.Float(hz)}
		for _, e := range []struct {
			side string
			s    *EarSensitivity
		}{{"left", p.Left}, {"right", p.Right}} {
			if e.s == nil {
				continue
			}
			t := ingest.AudiogramTest{Side: e.side, Conduction: "air", Sensitivity: dbhl(e.s.Value, e.s.Unit),
				ClampLower: optDbhl(e.s.ClampLower, e.s.Unit), ClampUpper: optDbhl(e.s.ClampUpper, e.s.Unit)}
			if m := strings.ToUpper(e.s.Masked); m == "YES" || m == "NO" {
				masked := m == "YES"
				t.Masked = &masked
			}
			pt.Tests = append(pt.Tests, t)
		}
		g.Points = append(g.Points, pt)
		content.WriteString(strconv.FormatFloat(hz, 'g', -1, 64))
		for _, t := range pt.Tests {
			content.WriteString(" " + t.Side + strconv.FormatFloat(float64(t.Sensitivity), 'g', -1, 64))
		}
		content.WriteString(";")
	}
	g.ID = ItemID("HKDataTypeIdentifierAudiogram", a.SourceName, a.Start, a.End, content.String(), "")
	r.batch.Audiograms = append(r.batch.Audiograms, g)
	r.items++
}

// hertz reads a frequency in Hz (or kHz); NaN when it cannot, which the write path refuses as OUT_OF_RANGE.
func hertz(value, unit string) float64 {
	f := number(value)
	switch {
	case f == nil:
	case unit == "Hz" || unit == "":
		return *f
	case unit == "kHz":
		return *f * 1000
	}
	return math.NaN()
}

// dbhl reads a sensitivity in dBHL, the one unit HealthKit stores it in; NaN otherwise (refused by the write path).
func dbhl(value, unit string) ingest.Float {
	if f := number(value); f != nil && (unit == "dBHL" || unit == "") {
		return ingest.Float(*f)
	}
	return ingest.Float(math.NaN())
}

func optDbhl(value, unit string) *ingest.Float {
	if value == "" {
		return nil
	}
	v := dbhl(value, unit)
	return &v
}

// workoutParts gives an exported workout its inside: lap events with a duration become laps, two or more workout
// activities (a multisport or interval workout) become segments of the workout's activity type, and the other
// events (pause, resume, marker, segment, motion paused…) are kept as events. Events outside the workout's span,
// or laps that overlap, stay events or are left out rather than cost the workout.
func workoutParts(w *WorkoutElement, out *ingest.Workout) {
	inside := func(s, e time.Time) bool { return !s.IsZero() && !s.Before(w.Start) && !e.After(w.End) && !e.Before(s) }
	var laps []ingest.WorkoutLap
	var evs []ingest.WorkoutEvent
	for _, e := range w.EventList {
		end := e.Date
		if d, ok := seconds(e.Duration, e.DurationUnit); ok && d > 0 {
			end = e.Date.Add(time.Duration(d * float64(time.Second)))
		}
		if !inside(e.Date, end) {
			continue
		}
		if e.Type == "HKWorkoutEventTypeLap" && end.After(e.Date) {
			laps = append(laps, ingest.WorkoutLap{Start: e.Date, End: end})
			continue
		}
		ev := ingest.WorkoutEvent{Type: e.Type, Start: e.Date}
		if end.After(e.Date) {
			ev.End = &end
		}
		evs = append(evs, ev)
	}
	sort.SliceStable(laps, func(i, j int) bool { return laps[i].Start.Before(laps[j].Start) })
	for i := 1; i < len(laps); i++ {
		if laps[i].Start.Before(laps[i-1].End) { // not a sequence of laps: keep them as the events they were
			for _, l := range laps {
				end := l.End
				evs = append(evs, ingest.WorkoutEvent{Type: "HKWorkoutEventTypeLap", Start: l.Start, End: &end})
			}
			laps = nil
			break
		}
	}
	out.Laps, out.Events = laps, evs
	if len(w.Activities) < 2 {
		return // one activity spanning the workout says nothing the workout does not
	}
	for _, a := range w.Activities {
		if !inside(a.Start, a.End) {
			return
		}
		out.Segments = append(out.Segments, ingest.WorkoutSegment{Start: a.Start, End: a.End, Type: w.ActivityType})
	}
}
