// Package appleexport reads the Apple Health app's "Export All Health Data" archive (export.zip, or the
// export.xml inside it) as a stream and feeds its records through the ingest write path, so an import gets the
// same validation, unit conversion and idempotency as an upload from the iOS app.
package appleexport

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// DateLayout is how export.xml prints every instant, e.g. "2024-01-01 01:01:36 +0200".
const DateLayout = "2006-01-02 15:04:05 -0700"

// ElementKind says what Next found.
type ElementKind int

const (
	// KindRecord is a top-level Record: a quantity or a category sample.
	KindRecord ElementKind = iota + 1
	// KindWorkout is a Workout with its statistics and events folded in.
	KindWorkout
	// KindOther is a top-level element that is not imported (Correlation, ActivitySummary, ClinicalRecord, …).
	KindOther
	// KindAudiogram is an Audiogram with its sensitivity points (audiogram.go).
	KindAudiogram
)

// Record is one Record element as printed, with its metadata.
type Record struct {
	Type          string
	Unit          string
	Value         string
	SourceName    string
	SourceVersion string
	Device        Device
	Start, End    time.Time
	Metadata      map[string]string
}

// Statistic is one WorkoutStatistics child of a Workout.
type Statistic struct {
	Type                   string
	Unit                   string
	Sum, Average, Min, Max *float64 // nil when not printed
}

// WorkoutElement is one Workout element as printed.
type WorkoutElement struct {
	ActivityType  string
	Duration      string
	DurationUnit  string
	TotalDistance string
	DistanceUnit  string
	TotalEnergy   string
	EnergyUnit    string
	SourceName    string
	SourceVersion string
	Device        Device
	Start, End    time.Time
	Metadata      map[string]string
	Statistics    []Statistic
	Events        map[string]int // WorkoutEvent types and how often they occur
	Routes        []string       // FileReference paths of the workout's routes
	EventList     []WorkoutEvent // the WorkoutEvent children, in document order
	Activities    []WorkoutActivity
}

// WorkoutEvent is one WorkoutEvent child of a Workout: a pause, resume, lap, segment, marker…
type WorkoutEvent struct {
	Type                   string
	Date                   time.Time
	Duration, DurationUnit string // empty for an instant
}

// WorkoutActivity is one WorkoutActivity child of a Workout (iOS 16 multisport and interval workouts).
type WorkoutActivity struct {
	UUID       string
	Start, End time.Time
}

// Element is what Next returns: exactly one of Record, Workout and Audiogram is set, or Other names a skipped
// element.
type Element struct {
	Kind      ElementKind
	Record    *Record
	Workout   *WorkoutElement
	Audiogram *AudiogramElement
	Other     string
}

// Reader pulls the top-level elements out of an export.xml one at a time, holding only the current element in
// memory. Records nested in a Correlation are skipped: the export prints them at the top level as well.
type Reader struct {
	dec     *xml.Decoder
	counter *countingReader
	started bool
}

// NewReader reads export.xml from r. Control characters that XML 1.0 forbids (older exports carry stray
// \x0b) are turned into spaces before the decoder sees them.
func NewReader(r io.Reader) *Reader {
	c := &countingReader{r: r}
	dec := xml.NewDecoder(&controlFilter{r: c})
	return &Reader{dec: dec, counter: c}
}

// BytesRead is how many bytes of the input the decoder has consumed so far.
func (r *Reader) BytesRead() int64 { return r.counter.n }

// Next returns the next top-level element, or io.EOF after the last one.
func (r *Reader) Next() (Element, error) {
	for {
		tok, err := r.dec.RawToken()
		if err == io.EOF {
			return Element{}, io.EOF
		}
		if err != nil {
			return Element{}, fmt.Errorf("read export.xml at byte %d: %w", r.dec.InputOffset(), err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !r.started {
			if se.Name.Local != "HealthData" {
				return Element{}, fmt.Errorf("read export.xml: root element is <%s>, not <HealthData>", se.Name.Local)
			}
			r.started = true
			continue
		}
		switch se.Name.Local {
		case "Record":
			rec, err := r.record(se)
			if err != nil {
				return Element{}, err
			}
			return Element{Kind: KindRecord, Record: rec}, nil
		case "Workout":
			w, err := r.workout(se)
			if err != nil {
				return Element{}, err
			}
			return Element{Kind: KindWorkout, Workout: w}, nil
		case "Audiogram":
			a, err := r.audiogram(se)
			if err != nil {
				return Element{}, err
			}
			return Element{Kind: KindAudiogram, Audiogram: a}, nil
		case "ExportDate", "Me":
			if err := r.skip(); err != nil {
				return Element{}, err
			}
		default:
			if err := r.skip(); err != nil {
				return Element{}, err
			}
			return Element{Kind: KindOther, Other: se.Name.Local}, nil
		}
	}
}

// skip consumes the rest of the element whose start tag was just read.
func (r *Reader) skip() error {
	depth := 1
	for depth > 0 {
		tok, err := r.dec.RawToken()
		if err != nil {
			return r.truncated(err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func (r *Reader) truncated(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read export.xml at byte %d: %w", r.dec.InputOffset(), err)
}

// children walks the direct children of the current element, calling fn with each child's start tag; deeper
// descendants are skipped unless fn consumes them itself (then it returns true).
func (r *Reader) children(fn func(se xml.StartElement) (consumed bool, err error)) error {
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			return r.truncated(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			consumed, err := fn(t)
			if err != nil {
				return err
			}
			if !consumed {
				if err := r.skip(); err != nil {
					return err
				}
			}
		}
	}
}

func metadataEntry(se xml.StartElement, meta *map[string]string) {
	var k, v string
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "key":
			k = a.Value
		case "value":
			v = a.Value
		}
	}
	if k == "" {
		return
	}
	if *meta == nil {
		*meta = map[string]string{}
	}
	(*meta)[k] = v
}

func (r *Reader) record(se xml.StartElement) (*Record, error) {
	rec := &Record{}
	var start, end string
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "type":
			rec.Type = a.Value
		case "unit":
			rec.Unit = a.Value
		case "value":
			rec.Value = a.Value
		case "sourceName":
			rec.SourceName = a.Value
		case "sourceVersion":
			rec.SourceVersion = a.Value
		case "device":
			rec.Device = ParseDevice(a.Value)
		case "startDate":
			start = a.Value
		case "endDate":
			end = a.Value
		}
	}
	err := r.children(func(c xml.StartElement) (bool, error) {
		if c.Name.Local == "MetadataEntry" {
			metadataEntry(c, &rec.Metadata)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	rec.Start, rec.End = parseDates(start, end)
	return rec, nil
}

func (r *Reader) workout(se xml.StartElement) (*WorkoutElement, error) {
	w := &WorkoutElement{}
	var start, end string
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "workoutActivityType":
			w.ActivityType = a.Value
		case "duration":
			w.Duration = a.Value
		case "durationUnit":
			w.DurationUnit = a.Value
		case "totalDistance":
			w.TotalDistance = a.Value
		case "totalDistanceUnit":
			w.DistanceUnit = a.Value
		case "totalEnergyBurned":
			w.TotalEnergy = a.Value
		case "totalEnergyBurnedUnit":
			w.EnergyUnit = a.Value
		case "sourceName":
			w.SourceName = a.Value
		case "sourceVersion":
			w.SourceVersion = a.Value
		case "device":
			w.Device = ParseDevice(a.Value)
		case "startDate":
			start = a.Value
		case "endDate":
			end = a.Value
		}
	}
	err := r.children(func(c xml.StartElement) (bool, error) {
		switch c.Name.Local {
		case "MetadataEntry":
			metadataEntry(c, &w.Metadata)
		case "WorkoutStatistics":
			w.Statistics = append(w.Statistics, statistic(c))
		case "WorkoutEvent":
			if w.Events == nil {
				w.Events = map[string]int{}
			}
			w.Events[attr(c, "type")]++
			date, _ := ParseTime(attr(c, "date"))
			w.EventList = append(w.EventList, WorkoutEvent{Type: attr(c, "type"), Date: date,
				Duration: attr(c, "duration"), DurationUnit: attr(c, "durationUnit")})
		case "WorkoutActivity":
			// Its own events and statistics are the workout's too, printed again inside it: not read twice.
			a := WorkoutActivity{UUID: attr(c, "uuid")}
			a.Start, a.End = parseDates(attr(c, "startDate"), attr(c, "endDate"))
			w.Activities = append(w.Activities, a)
		case "WorkoutRoute":
			// The route's points live in a GPX file named by FileReference (or, in old exports, inline
			// Location elements, which are not kept).
			err := r.children(func(rc xml.StartElement) (bool, error) {
				if rc.Name.Local == "FileReference" {
					if p := attr(rc, "path"); p != "" {
						w.Routes = append(w.Routes, p)
					}
				}
				return false, nil
			})
			return true, err
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	w.Start, w.End = parseDates(start, end)
	return w, nil
}

func statistic(se xml.StartElement) Statistic {
	var s Statistic
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "type":
			s.Type = a.Value
		case "unit":
			s.Unit = a.Value
		case "sum":
			s.Sum = number(a.Value)
		case "average":
			s.Average = number(a.Value)
		case "minimum":
			s.Min = number(a.Value)
		case "maximum":
			s.Max = number(a.Value)
		}
	}
	return s
}

func number(s string) *float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return nil
	}
	return &f
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseDates reads both dates; one that does not parse is left zero, which the write path refuses as BAD_TIME.
func parseDates(start, end string) (time.Time, time.Time) {
	s, _ := ParseTime(start)
	e, _ := ParseTime(end)
	return s, e
}

// ParseTime reads an export.xml date. The offset encodes the instant only: it is not necessarily the zone the
// sample was recorded in (that is HKTimeZone metadata, when present).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", s, err)
	}
	return t, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// controlFilter replaces the C0 control characters XML 1.0 forbids with spaces. They are single bytes that never
// occur inside a multi-byte UTF-8 sequence, so replacing them byte by byte is safe.
type controlFilter struct{ r io.Reader }

func (f *controlFilter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	for i, b := range p[:n] {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
			p[i] = ' '
		}
	}
	return n, err
}
