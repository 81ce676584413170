package fhir

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// Mapper builds Observations from stored rows; it holds the catalog's metrics by name.
type Mapper struct {
	metrics map[string]catalog.Metric
	names   []string          // every metric's name, for reads of everything
	byHK    map[string]string // HealthKit identifier -> metric name
}

// NewMapper indexes c.
func NewMapper(c *catalog.Catalog) *Mapper {
	m := &Mapper{metrics: map[string]catalog.Metric{}, byHK: map[string]string{}}
	for _, met := range c.Metrics() {
		m.metrics[met.Name] = met
		m.names = append(m.names, met.Name)
		for _, id := range met.HealthKit {
			m.byHK[id] = met.Name
		}
	}
	return m
}

// MetricForHealthKit resolves a HealthKit quantity type identifier to its catalog metric.
func (m *Mapper) MetricForHealthKit(id string) (string, bool) {
	name, ok := m.byHK[id]
	return name, ok
}

// Metric is the catalog metric called name.
func (m *Mapper) Metric(name string) (catalog.Metric, bool) {
	met, ok := m.metrics[name]
	return met, ok
}

// instant formats t as an R4 dateTime/instant (UTC, microseconds when there are any).
func instant(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
}

// Observation builds the Observation of row for the user called subject.
func (m *Mapper) Observation(row db.ObservationRow, subject string) (Observation, error) {
	o := Observation{ResourceType: "Observation", ID: ResourceID(subject, row.Kind, row.ID, row.PointMS), Status: "final",
		Subject: PatientReference(subject)}
	id := row.ID
	if row.PointMS != 0 {
		id += "#" + strconv.FormatInt(row.PointMS, 10) // one point of a Health Connect series record
	}
	o.Identifier = []Identifier{{System: SystemSampleID, Value: id}}
	if row.ID2 != nil {
		o.Identifier = append(o.Identifier, Identifier{System: SystemSampleID, Value: *row.ID2})
	}
	if row.End.After(row.Start) {
		o.EffectivePeriod = &Period{Start: instant(row.Start), End: instant(row.End)}
	} else {
		o.EffectiveDateTime = instant(row.Start)
	}
	m.provenance(&o, row, subject)
	var err error
	switch row.Kind {
	case db.ObsSample:
		err = m.sample(&o, row)
	case db.ObsSleep:
		sleepObservation(&o, row)
	case db.ObsWorkout:
		workoutObservation(&o, row)
	default:
		err = fmt.Errorf("fhir: unknown row kind %d", row.Kind)
	}
	if c := category(row.Name); row.Kind != db.ObsSample {
		o.Category = categories(CategoryActivity)
	} else if c != "" {
		o.Category = categories(c)
	}
	return o, err
}

func categories(c string) []CodeableConcept {
	return []CodeableConcept{{Coding: []Coding{{System: SystemCategory, Code: c}}}}
}

// concept is the code of a name: its public code when there is one, then its HealthKit identifier, then
// healthsync's metric name, so a reader that knows any of the three finds it.
func concept(name, healthKit, text string) CodeableConcept {
	var cc CodeableConcept
	if c, ok := PublicCode(name); ok {
		cc.Coding = append(cc.Coding, Coding{System: c.System, Code: c.Code, Display: c.Display})
	}
	if healthKit != "" {
		cc.Coding = append(cc.Coding, Coding{System: SystemHealthKit, Code: healthKit})
	}
	cc.Coding = append(cc.Coding, Coding{System: SystemMetric, Code: name})
	cc.Text = text
	return cc
}

func quantity(v float64, ucum string) *Quantity {
	return &Quantity{Value: v, Unit: ucum, System: SystemUCUM, Code: ucum}
}

func (m *Mapper) sample(o *Observation, row db.ObservationRow) error {
	if row.Value == nil || math.IsNaN(*row.Value) || math.IsInf(*row.Value, 0) {
		return fmt.Errorf("fhir: sample %q has no finite value", row.ID)
	}
	if row.Name == BloodPressure {
		sys, dia := m.metrics["blood_pressure_systolic"], m.metrics["blood_pressure_diastolic"]
		if row.Value2 == nil {
			return fmt.Errorf("fhir: blood pressure %q has no diastolic value", row.ID)
		}
		o.Code = concept(BloodPressure, hkBloodPressure, "Blood pressure")
		for _, c := range []struct {
			met catalog.Metric
			v   float64
		}{{sys, *row.Value}, {dia, *row.Value2}} {
			ucum, _ := UCUM(c.met.Name, c.met.Unit)
			o.Component = append(o.Component, Component{Code: concept(c.met.Name, first(c.met.HealthKit), c.met.DisplayName()),
				ValueQuantity: quantity(c.v, ucum)})
		}
		return nil
	}
	met, ok := m.metrics[row.Name]
	if !ok {
		return fmt.Errorf("fhir: sample %q has metric %q, which the catalog does not hold", row.ID, row.Name)
	}
	ucum, ok := UCUM(met.Name, met.Unit)
	if !ok {
		return fmt.Errorf("fhir: metric %q has unit %q without a UCUM spelling", met.Name, met.Unit)
	}
	o.Code = concept(met.Name, first(met.HealthKit), met.DisplayName())
	o.ValueQuantity = quantity(*row.Value, ucum)
	return nil
}

func sleepObservation(o *Observation, row db.ObservationRow) {
	o.Code = concept(Sleep, hkSleep, "Sleep")
	o.ValueQuantity = quantity(math.Round(row.End.Sub(row.Start).Minutes()*1000)/1000, "min")
	if stage := deref(row.Text); stage != "" {
		o.Component = []Component{{
			Code:                 CodeableConcept{Coding: []Coding{{System: SystemComponent, Code: "sleep-stage", Display: "Sleep stage"}}},
			ValueCodeableConcept: &CodeableConcept{Coding: []Coding{{System: SystemSleepStage, Code: stage}}, Text: strings.ReplaceAll(stage, "_", " ")},
		}}
	}
}

func workoutObservation(o *Observation, row db.ObservationRow) {
	o.Code = concept(Workout, hkWorkout, "Workout")
	activity := deref(row.Text)
	o.ValueCodeableConcept = &CodeableConcept{Coding: []Coding{{System: SystemActivityType, Code: activity}},
		Text: strings.ReplaceAll(activity, "_", " ")}
	comp := func(c Code, v float64, ucum string) Component {
		return Component{Code: CodeableConcept{Coding: []Coding{{System: c.System, Code: c.Code, Display: c.Display}}},
			ValueQuantity: quantity(v, ucum)}
	}
	if row.Value != nil {
		o.Component = append(o.Component, comp(workoutComponents.Duration, math.Round(*row.Value/60*1000)/1000, "min"))
	}
	if row.EnergyKcal != nil {
		o.Component = append(o.Component, comp(workoutComponents.Energy, *row.EnergyKcal, "kcal"))
	}
	if row.DistanceM != nil {
		o.Component = append(o.Component, comp(workoutComponents.Distance, *row.DistanceM, "m"))
	}
}

// PatientReference is the reference to the user's Patient, with the token subject as its identifier.
func PatientReference(subject string) *Reference {
	return &Reference{Reference: "Patient/" + PatientID(subject), Identifier: &Identifier{System: SystemSubject, Value: subject}}
}

// provenance names where the row came from: the Device of its source (described by the source's device and
// app), the app in meta.source, the uploading installation in a meta tag, and whether a person typed the
// value in.
func (m *Mapper) provenance(o *Observation, row db.ObservationRow, subject string) {
	var desc []string
	for _, s := range []*string{row.DeviceName, row.Maker, row.DeviceModel} {
		if v := deref(s); v != "" {
			desc = append(desc, v)
		}
	}
	if app := deref(row.SourceName); app != "" {
		desc = append(desc, "via "+app)
	}
	if row.SourceKey != nil {
		o.Device = &Reference{Reference: "Device/" + DeviceID(subject, deref(row.Provider), *row.SourceKey),
			Identifier: sourceIdentifier(deref(row.Provider), *row.SourceKey), Display: strings.Join(desc, " ")}
	}
	app := deref(row.BundleID)
	if app == "" {
		app = deref(row.SourceName)
	}
	if app != "" || validCode(row.DeviceID) {
		o.Meta = &Meta{}
	}
	if app != "" {
		o.Meta.Source = "urn:healthsync:source:" + deref(row.Provider) + ":" + sourcePart(app)
	}
	if validCode(row.DeviceID) {
		o.Meta.Tag = []Coding{{System: SystemDevice, Code: row.DeviceID, Display: "uploaded by this app installation"}}
	}
	if row.UserEntered {
		o.Method = &CodeableConcept{Coding: []Coding{{System: SystemComponent, Code: "user-entered"}}, Text: "entered by the user"}
	}
}

// validCode: R4's code type is text without leading, trailing or repeated whitespace.
func validCode(s string) bool {
	return s != "" && strings.Join(strings.Fields(s), " ") == s
}

// sourcePart keeps a source name usable inside a URI: anything but letters, digits and .-_ becomes '_'.
func sourcePart(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
