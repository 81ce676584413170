// Package hae maps the JSON that the Health Auto Export iOS app posts from its REST automations onto ingest
// batches, so its data lands through the same write path as uploads from our own app. The payload carries no
// sample ids, and the app resends whole periods, so every item's id is a hash of its content: a repeat stores
// nothing new.
package hae

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/ingest"
	"healthsync/sleep"
)

// DeviceID is the device Health Auto Export's uploads are recorded under in sync state.
const DeviceID = "health-auto-export"

// defaultSource names the source of points that do not say where they come from.
const defaultSource = "Health Auto Export"

// Payload is the request body: {"data": {"metrics": […], "workouts": […]}}. Older app versions put workouts
// beside data instead of inside it.
type Payload struct {
	Data struct {
		Metrics  []Metric  `json:"metrics"`
		Workouts []Workout `json:"workouts"`
		Sections           // stateOfMind, medications, … (sections.go)
	} `json:"data"`
	Workouts []Workout `json:"workouts"`
}

// Metric is one metric with its points. A point's fields depend on the metric.
type Metric struct {
	Name  string  `json:"name"`
	Units string  `json:"units"`
	Data  []Point `json:"data"`
}

// Point is the union of the point shapes: {date, qty}, heart rate {date, Min, Avg, Max}, blood pressure
// {date, systolic, diastolic}, blood glucose {date, qty, mealTime}, sleep aggregated (hours) and unaggregated.
type Point struct {
	Date      *string  `json:"date"`
	Qty       *float64 `json:"qty"`
	Min       *float64 `json:"Min"`
	Avg       *float64 `json:"Avg"`
	Max       *float64 `json:"Max"`
	Systolic  *float64 `json:"systolic"`
	Diastolic *float64 `json:"diastolic"`
	Source    string   `json:"source"`
	MealTime  string   `json:"mealTime"`

	// Sexual activity: how many times, by protection.
	Unspecified       *float64 `json:"Unspecified"`
	ProtectionUsed    *float64 `json:"Protection Used"`
	ProtectionNotUsed *float64 `json:"Protection Not Used"`

	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
	Value     string `json:"value"`

	TotalSleep  *float64 `json:"totalSleep"`
	Asleep      *float64 `json:"asleep"`
	Core        *float64 `json:"core"`
	Deep        *float64 `json:"deep"`
	REM         *float64 `json:"rem"`
	Awake       *float64 `json:"awake"`
	InBed       *float64 `json:"inBed"`
	SleepStart  string   `json:"sleepStart"`
	SleepEnd    string   `json:"sleepEnd"`
	InBedStart  string   `json:"inBedStart"`
	InBedEnd    string   `json:"inBedEnd"`
	SleepSource string   `json:"sleepSource"`
	InBedSource string   `json:"inBedSource"`
}

// QtyUnits is a {qty, units} pair.
type QtyUnits struct {
	Qty   *float64 `json:"qty"`
	Units string   `json:"units"`
}

// Workout covers the app's version 1 and 2 workout shapes.
type Workout struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Start              string          `json:"start"`
	End                string          `json:"end"`
	Duration           *float64        `json:"duration"` // seconds (version 2)
	ActiveEnergyBurned *QtyUnits       `json:"activeEnergyBurned"`
	ActiveEnergy       json.RawMessage `json:"activeEnergy"` // {qty, units} in version 1, a series in version 2
	Distance           *QtyUnits       `json:"distance"`
	StepCount          json.RawMessage `json:"stepCount"`
	Elevation          json.RawMessage `json:"elevation"`
	ElevationUp        *QtyUnits       `json:"elevationUp"`
	IsIndoor           *bool           `json:"isIndoor"`
	Location           string          `json:"location"`
	HeartRate          *struct {
		Min, Avg, Max *QtyUnits
	} `json:"heartRate"`
	HeartRateData []struct {
		Qty  *float64 `json:"qty"`
		Avg  *float64 `json:"Avg"`
		Max  *float64 `json:"Max"`
		Date string   `json:"date"`
	} `json:"heartRateData"`
}

// Mapped is a payload turned into ingest items, not yet split into batches.
type Mapped struct {
	Samples    []ingest.QuantitySample
	Categories []ingest.CategorySample
	Workouts   []ingest.Workout
	// The kinds from the sections (sections.go); symptoms and heart notifications are Categories.
	StatesOfMind    []ingest.StateOfMind
	ECGs            []ingest.ECGRecording
	MedicationDoses []ingest.MedicationDose
	// Unknown counts metrics (by name) and points the catalog has no place for; Invalid counts points that
	// could not be read (a missing or unreadable date or value), by metric name.
	Unknown map[string]int
	Invalid map[string]int
	// Skipped counts the items of sections that are not imported, by "section: why".
	Skipped map[string]int
	// Refused lists the section items not handed to the write path, each with its code; they are counted in
	// Invalid by section too.
	Refused []Refusal
}

// metricNames maps the app's metric names to the catalog's where they differ; others are looked up as they are.
var metricNames = map[string]string{
	"step_count":                       "steps",
	"active_energy":                    "active_energy_burned",
	"basal_energy_burned":              "basal_energy_burned",
	"heart_rate_variability":           "hrv_sdnn",
	"blood_oxygen_saturation":          "oxygen_saturation",
	"weight_body_mass":                 "body_mass",
	"walking_running_distance":         "distance_walking_running",
	"cycling_distance":                 "distance_cycling",
	"swimming_distance":                "distance_swimming",
	"apple_exercise_time":              "exercise_time",
	"apple_stand_time":                 "stand_time",
	"apple_sleeping_wrist_temperature": "sleeping_wrist_temperature",
	"dietary_energy":                   "dietary_energy_consumed",
	"water":                            "dietary_water",
	"dietary_water":                    "dietary_water",
	"protein":                          "dietary_protein",
	"carbohydrates":                    "dietary_carbohydrates",
	"total_fat":                        "dietary_fat_total",
	"environmental_audio_exposure":     "environmental_audio_exposure",
	"headphone_audio_exposure":         "headphone_audio_exposure",
	"apple_move_time":                  "move_time",
	"apple_walking_steadiness":         "walking_steadiness",
	"six_minute_walking_test_distance": "six_minute_walk_test_distance",
	"stair_speed_up":                   "stair_ascent_speed",
	"stair_speed_down":                 "stair_descent_speed",
	"wheelchair_distance":              "distance_wheelchair",
	"cardio_recovery":                  "heart_rate_recovery_one_minute",
	"breathing_disturbances":           "sleeping_breathing_disturbances",
	"fiber":                            "dietary_fiber",
	"saturated_fat":                    "dietary_fat_saturated",
	"monounsaturated_fat":              "dietary_fat_monounsaturated",
	"polyunsaturated_fat":              "dietary_fat_polyunsaturated",
}

// lookup finds the catalog metric for an app metric name: renamed above, as it is, or, for the nutrients the
// app names bare ("caffeine", "vitamin_c"), with the catalog's dietary_ prefix.
func lookup(cat *catalog.Catalog, name string) (string, bool) {
	if n, ok := metricNames[name]; ok {
		name = n
	}
	if name == "" {
		return "", false
	}
	// The name found is kept as spelled: it is part of each item's content id, which must not change for data
	// already stored.
	if _, ok := cat.Lookup(name); ok {
		return name, true
	}
	if _, ok := cat.Lookup("dietary_" + name); ok {
		return "dietary_" + name, true
	}
	return "", false
}

// unit translates the app's unit spellings. The app prints percentages as 0–100, which in HealthKit's
// dialect "%" would read as a fraction.
func unit(u string) string {
	switch u {
	case "%":
		return "percent"
	case "steps":
		return "count"
	}
	return u
}

// Map turns a payload into ingest items. cat decides which metrics are known.
func Map(p *Payload, cat *catalog.Catalog) *Mapped {
	m := &Mapped{Unknown: map[string]int{}, Invalid: map[string]int{}, Skipped: map[string]int{}, Refused: []Refusal{}}
	for _, met := range p.Data.Metrics {
		m.metric(cat, met)
	}
	for _, w := range append(p.Data.Workouts, p.Workouts...) {
		m.workout(cat, w)
	}
	m.sections(cat, p.Data.Sections)
	return m
}

func (m *Mapped) metric(cat *catalog.Catalog, met Metric) {
	switch met.Name {
	case "sleep_analysis":
		for _, pt := range met.Data {
			m.sleep(met, pt)
		}
		return
	case "sexual_activity", "handwashing", "toothbrushing":
		for _, pt := range met.Data {
			m.eventMetric(met, pt)
		}
		return
	case "blood_pressure":
		for _, pt := range met.Data {
			at, ok := pointTime(pt.Date)
			if !ok || pt.Systolic == nil || pt.Diastolic == nil {
				m.Invalid[met.Name]++
				continue
			}
			u := unit(orDefault(met.Units, "mmHg"))
			m.sample("blood_pressure_systolic", *pt.Systolic, u, at, at, pt.Source, nil)
			m.sample("blood_pressure_diastolic", *pt.Diastolic, u, at, at, pt.Source, nil)
		}
		return
	}
	name, ok := lookup(cat, met.Name)
	if !ok {
		if len(met.Data) > 0 {
			m.Unknown[met.Name] += len(met.Data)
		}
		return
	}
	u := unit(met.Units)
	for _, pt := range met.Data {
		at, ok := pointTime(pt.Date)
		if !ok {
			m.Invalid[met.Name]++
			continue
		}
		var meta map[string]any
		v := pt.Qty
		if v == nil && pt.Avg != nil { // heart rate {Min, Avg, Max}: the average is the sample, the range rides along
			v = pt.Avg
			meta = map[string]any{}
			if pt.Min != nil {
				meta[ingest.MetadataMin] = *pt.Min
			}
			if pt.Max != nil {
				meta[ingest.MetadataMax] = *pt.Max
			}
		}
		if v == nil {
			m.Invalid[met.Name]++
			continue
		}
		if pt.MealTime != "" {
			meta = map[string]any{"mealTime": pt.MealTime}
		}
		m.sample(name, *v, u, at, at, pt.Source, meta)
	}
}

func (m *Mapped) sample(metric string, v float64, u string, start, end time.Time, src string, meta map[string]any) {
	src = orDefault(src, defaultSource)
	m.Samples = append(m.Samples, ingest.QuantitySample{
		ID:   ItemID(metric, src, start, end, strconv.FormatFloat(v, 'g', -1, 64), u),
		Type: metric, Value: ingest.Float(v), Unit: u, Start: start, End: end,
		Source: ingest.Source{Name: src}, Metadata: meta,
	})
}

func (m *Mapped) category(value string, start, end time.Time, src string, meta map[string]any) {
	src = orDefault(src, defaultSource)
	m.Categories = append(m.Categories, ingest.CategorySample{
		ID:   ItemID("sleep", src, start, end, value, ""),
		Type: "sleep", Value: value, Start: start, End: end, Source: ingest.Source{Name: src}, Metadata: meta,
	})
}

// eventMetric maps the metrics the app documents for category types: sexual activity as counts per protection
// (each count becomes that many samples, canonical values unspecified / protected / unprotected) and handwashing
// and toothbrushing as {qty, value: Complete | Incomplete}, kept in metadata since the category carries no value.
func (m *Mapped) eventMetric(met Metric, pt Point) {
	at, ok := pointTime(pt.Date)
	if !ok {
		m.Invalid[met.Name]++
		return
	}
	src := orDefault(pt.Source, defaultSource)
	add := func(value, key string, meta map[string]any) {
		m.Categories = append(m.Categories, ingest.CategorySample{ID: ItemID(met.Name, src, at, at, key, ""),
			Type: met.Name, Value: value, Start: at, End: at, Source: ingest.Source{Name: src}, Metadata: meta})
	}
	if met.Name != "sexual_activity" {
		meta := map[string]any{"healthAutoExportValue": pt.Value}
		if pt.Qty != nil {
			meta["qty"], meta["units"] = *pt.Qty, met.Units
		}
		add(pt.Value, pt.Value, meta) // the category has no values: stored as "", kept as sent
		return
	}
	counted := false // a point of zeros is no activity, not an unreadable point
	for _, c := range []struct {
		value string
		times *float64
	}{{"unspecified", pt.Unspecified}, {"protected", pt.ProtectionUsed}, {"unprotected", pt.ProtectionNotUsed}} {
		if c.times == nil || *c.times < 0 || *c.times > 100 || *c.times != math.Trunc(*c.times) {
			continue
		}
		counted = true
		for k := range int(*c.times) {
			add(c.value, c.value+"#"+strconv.Itoa(k), nil)
		}
	}
	if !counted {
		m.Invalid[met.Name]++
	}
}

// sleep maps both shapes. Unaggregated points are stage intervals. Aggregated points are a night's totals in
// hours with no timing for the stages: they become an in-bed interval and an asleep interval (stage
// unspecified) with the totals in metadata, so the night is there without inventing where each stage lies. The
// asleep interval also carries the totals in the sleep read side's terms (sleep.StageMinutesKey), which it
// answers in place of the interval's length.
func (m *Mapped) sleep(met Metric, pt Point) {
	if pt.StartDate != "" || pt.Value != "" {
		start, ok1 := ParseTime(pt.StartDate)
		end, ok2 := ParseTime(pt.EndDate)
		if ok1 != nil || ok2 != nil || pt.Value == "" {
			m.Invalid[met.Name]++
			return
		}
		m.category(pt.Value, start, end, pt.Source, nil)
		return
	}
	totals := map[string]any{}
	for k, v := range map[string]*float64{"totalSleepHours": pt.TotalSleep, "asleepHours": pt.Asleep, "coreHours": pt.Core,
		"deepHours": pt.Deep, "remHours": pt.REM, "awakeHours": pt.Awake, "inBedHours": pt.InBed} {
		if v != nil {
			totals[k] = *v
		}
	}
	found := false
	asleepMeta := totals
	if st := stageMinutes(pt); st != nil {
		asleepMeta = make(map[string]any, len(totals)+1)
		for k, v := range totals {
			asleepMeta[k] = v
		}
		asleepMeta[sleep.StageMinutesKey] = st
	}
	if s, err1 := ParseTime(pt.InBedStart); err1 == nil {
		if e, err2 := ParseTime(pt.InBedEnd); err2 == nil {
			m.category("in_bed", s, e, orDefault(pt.InBedSource, firstSource(pt.Source)), totals)
			found = true
		}
	}
	if s, err1 := ParseTime(pt.SleepStart); err1 == nil {
		if e, err2 := ParseTime(pt.SleepEnd); err2 == nil {
			m.category("asleep_unspecified", s, e, orDefault(pt.SleepSource, lastSource(pt.Source)), asleepMeta)
			found = true
		}
	}
	if !found {
		m.Invalid[met.Name]++
	}
}

// stageMinutes turns an aggregated night's totals (hours) into the stage minutes the sleep read side takes in
// place of the asleep interval's length, which also holds the night's wake-ups. Since version 6.6 the app sends
// asleep 0 beside core, deep and REM: sleep is then their sum. nil when the point has no sleep totals.
func stageMinutes(pt Point) map[string]float64 {
	hours := func(v *float64) float64 {
		if v == nil || *v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) {
			return 0
		}
		return *v
	}
	core, deep, rem := hours(pt.Core), hours(pt.Deep), hours(pt.REM)
	asleep := hours(pt.Asleep)
	if asleep == 0 {
		asleep = core + deep + rem
	}
	if asleep == 0 {
		asleep = hours(pt.TotalSleep)
	}
	if asleep == 0 {
		return nil
	}
	return map[string]float64{"asleep": asleep * 60, "core": core * 60, "deep": deep * 60, "rem": rem * 60,
		"awake": hours(pt.Awake) * 60}
}

// The aggregated sleep point names its sources "iPhone|Apple Watch": in-bed time comes from the first, sleep
// from the last (the app lists the phone's in-bed source before the watch's sleep source).
func firstSource(s string) string {
	first, _, _ := strings.Cut(s, "|")
	return strings.TrimSpace(first)
}

func lastSource(s string) string {
	if i := strings.LastIndex(s, "|"); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return strings.TrimSpace(s)
}

// activityNames maps the app's workout names (the Workout app's labels) to catalog activities.
var activityNames = map[string]string{
	"walk": "walking", "run": "running", "cycle": "cycling", "cycling": "cycling", "swim": "swimming",
	"pool swim": "swimming", "open water swim": "swimming", "hike": "hiking", "yoga": "yoga",
	"traditional strength training": "strength_training", "functional strength training": "functional_strength_training",
}

func activity(cat *catalog.Catalog, name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(strings.TrimPrefix(n, "outdoor "), "indoor ")
	if a, ok := activityNames[n]; ok {
		return a
	}
	if a, ok := cat.ActivityType(catalog.HealthKit, n); ok {
		return a
	}
	return "other"
}

func (m *Mapped) workout(cat *catalog.Catalog, w Workout) {
	start, err1 := ParseTime(w.Start)
	end, err2 := ParseTime(w.End)
	if err1 != nil || err2 != nil {
		m.Invalid["workouts"]++
		return
	}
	act := activity(cat, w.Name)
	out := ingest.Workout{ActivityType: act, Start: start, End: end, DurationSeconds: w.Duration,
		Source: ingest.Source{Name: defaultSource}, Metadata: map[string]any{"name": w.Name}}
	// Version 2 carries the HealthKit workout UUID: the same id our iOS app would send.
	if ingest.IsUUID(w.ID) {
		out.ID = w.ID
	} else {
		out.ID = ItemID("workout", defaultSource, start, end, act, "")
	}
	if q := w.ActiveEnergyBurned; q != nil && q.Qty != nil {
		out.Energy = &ingest.Quantity{Value: ingest.Float(*q.Qty), Unit: q.Units}
	} else if q := qtyUnits(w.ActiveEnergy); q != nil {
		out.Energy = q
	}
	if q := w.Distance; q != nil && q.Qty != nil {
		out.Distance = &ingest.Quantity{Value: ingest.Float(*q.Qty), Unit: q.Units}
	}
	if q := qtyUnits(w.StepCount); q != nil {
		out.Metadata["stepCount"] = float64(q.Value)
	}
	if w.IsIndoor != nil {
		out.Metadata["isIndoor"] = *w.IsIndoor
	}
	if w.Location != "" {
		out.Metadata["location"] = w.Location
	}
	var elevation map[string]any
	if len(w.Elevation) > 0 && json.Unmarshal(w.Elevation, &elevation) == nil && len(elevation) > 0 {
		out.Metadata["elevation"] = elevation
	}
	if q := w.ElevationUp; q != nil && q.Qty != nil {
		out.Metadata["elevationUp"] = map[string]any{"qty": *q.Qty, "units": q.Units}
	}
	// Heart rate where the workouts read side looks for it: the summary, else the recorded points.
	if hr := w.HeartRate; hr != nil {
		if hr.Avg != nil && hr.Avg.Qty != nil {
			out.Metadata["averageHeartRate"] = *hr.Avg.Qty
		}
		if hr.Max != nil && hr.Max.Qty != nil {
			out.Metadata["maxHeartRate"] = *hr.Max.Qty
		}
	} else if len(w.HeartRateData) > 0 {
		var sum, peak float64
		n := 0
		for _, p := range w.HeartRateData {
			v, hi := p.Qty, p.Qty
			if v == nil {
				v, hi = p.Avg, p.Max
			}
			if v == nil {
				continue
			}
			if hi == nil {
				hi = v
			}
			sum += *v
			peak = math.Max(peak, *hi)
			n++
		}
		if n > 0 {
			out.Metadata["averageHeartRate"] = sum / float64(n)
			out.Metadata["maxHeartRate"] = peak
		}
	}
	m.Workouts = append(m.Workouts, out)
}

func qtyUnits(raw json.RawMessage) *ingest.Quantity {
	var q QtyUnits
	if len(raw) == 0 || json.Unmarshal(raw, &q) != nil || q.Qty == nil {
		return nil
	}
	return &ingest.Quantity{Value: ingest.Float(*q.Qty), Unit: q.Units}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func pointTime(s *string) (time.Time, bool) {
	if s == nil {
		return time.Time{}, false
	}
	t, err := ParseTime(*s)
	return t, err == nil
}

// layouts are the app's date spellings: 24-hour, and 12-hour as iOS prints it under a 12-hour locale
// (the narrow no-break space before AM/PM is turned into a plain space first).
var layouts = []string{
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 3:04:05 PM -0700",
	"2006-01-02 15:04:05 Z0700",
	time.RFC3339,
}

// ParseTime reads one of the app's date strings.
func ParseTime(s string) (time.Time, error) {
	s = strings.NewReplacer("\u202f", " ", "\u00a0", " ", " am ", " AM ", " pm ", " PM ").Replace(strings.TrimSpace(s))
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not in a Health Auto Export format", s)
}

// ItemID is an item's stable id: a SHA-256 of its content printed as a version-8 UUID (the write path takes
// HealthKit ids only in UUID shape). Instants are hashed as Unix seconds, so a repeat printed with another
// offset or clock still matches.
func ItemID(typ, source string, start, end time.Time, value, unit string) string {
	h := sha256.New()
	for _, part := range []string{"healthsync/health-auto-export/v1", typ, source,
		strconv.FormatInt(start.Unix(), 10), strconv.FormatInt(end.Unix(), 10), value, unit} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
