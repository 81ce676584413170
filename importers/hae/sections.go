package hae

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"healthsync/catalog"
	"healthsync/ingest"
)

// Sections are the payload's lists beside metrics and workouts (app version 7 and later). Their item layouts
// are those of the app's documented JSON format and of open-source receivers of it (testdata/README.md names
// the sources). Every item but State of Mind's is decoded on its own, so an item of an unexpected shape is
// refused with a code (Mapped.Refused) while the rest of the payload lands.
type Sections struct {
	StateOfMind            []StateOfMindEntry `json:"stateOfMind"`
	Medications            []json.RawMessage  `json:"medications"`
	Symptoms               []json.RawMessage  `json:"symptoms"`
	CycleTracking          []json.RawMessage  `json:"cycleTracking"`
	ECG                    []json.RawMessage  `json:"ecg"`
	HeartRateNotifications []json.RawMessage  `json:"heartRateNotifications"`
}

// StateOfMindEntry is one item of the stateOfMind section. Labels and associations are taken when they are
// strings; anything else in them makes the entry invalid.
type StateOfMindEntry struct {
	ID                    string   `json:"id"`
	Kind                  string   `json:"kind"`
	Start                 string   `json:"start"`
	End                   string   `json:"end"`
	Valence               *float64 `json:"valence"`
	ValenceClassification string   `json:"valenceClassification"`
	Labels                []any    `json:"labels"`
	Associations          []any    `json:"associations"`
	Source                string   `json:"source"`
}

// SymptomEntry is one item of the symptoms section: a HealthKit symptom sample by its name in the Health app
// ("Lower Back Pain") and its severity ("Mild"; "Present" or "No Change" for the symptoms valued otherwise).
type SymptomEntry struct {
	Start       string `json:"start"`
	End         string `json:"end"`
	Name        string `json:"name"`
	Severity    string `json:"severity"`
	UserEntered *bool  `json:"userEntered"`
	Source      string `json:"source"`
}

// MedicationEntry is one item of the medications section: a medication dose event (iOS 26).
type MedicationEntry struct {
	DisplayText     string   `json:"displayText"`
	Nickname        string   `json:"nickname"`
	Start           string   `json:"start"`
	End             string   `json:"end"`
	ScheduledDate   string   `json:"scheduledDate"`
	Form            string   `json:"form"`
	Status          string   `json:"status"`
	IsArchived      *bool    `json:"isArchived"`
	Dosage          *float64 `json:"dosage"`
	Units           string   `json:"units"`
	ScheduledDosage *float64 `json:"scheduledDosage"`
	Codings         []struct {
		Code    string `json:"code"`
		System  string `json:"system"`
		Version string `json:"version"`
	} `json:"codings"`
	Source string `json:"source"`
}

// ECGEntry is one item of the ecg section, with every voltage as its own {date, voltage, units} object.
type ECGEntry struct {
	Start                       string   `json:"start"`
	End                         string   `json:"end"`
	Classification              string   `json:"classification"`
	Severity                    string   `json:"severity"`
	AverageHeartRate            *float64 `json:"averageHeartRate"`
	NumberOfVoltageMeasurements *int     `json:"numberOfVoltageMeasurements"`
	VoltageMeasurements         []struct {
		Voltage *float64 `json:"voltage"`
		Units   string   `json:"units"`
	} `json:"voltageMeasurements"`
	SamplingFrequency *float64 `json:"samplingFrequency"`
	Source            string   `json:"source"`
}

// HeartRateNotificationEntry is one item of the heartRateNotifications section. The documented layout has no
// field naming the notification: threshold is present for high and low heart rate notifications only, so an
// item without one is an irregular rhythm notification, and one with a threshold is high or low as its readings
// lie above or below it. Receivers have also seen the notification named (heartNotification) and the readings
// under heartRateData {heartRate, hrUnits}; both spellings are read, a name wins over the inference.
type HeartRateNotificationEntry struct {
	Start             string            `json:"start"`
	End               string            `json:"end"`
	Threshold         *float64          `json:"threshold"`
	HeartNotification string            `json:"heartNotification"`
	HeartRate         []heartReading    `json:"heartRate"`
	HeartRateData     []heartReading    `json:"heartRateData"`
	Variation         []json.RawMessage `json:"heartRateVariation"`
	HRVData           []json.RawMessage `json:"hrvData"`
	Source            json.RawMessage   `json:"source"` // a name, or {"name": …}
}

type heartReading struct {
	HR        *float64 `json:"hr"`
	HeartRate *float64 `json:"heartRate"`
}

// Refusal is an item of a section that was not handed to the write path, with the reason as an ingest code:
// BAD_FIELD (the item is not of the documented shape), BAD_TIME, BAD_VALUE, BAD_UNIT, UNKNOWN_TYPE.
type Refusal struct {
	Section string      `json:"section"`
	Index   int         `json:"index"` // in the payload's section
	Code    ingest.Code `json:"code"`
	Message string      `json:"message"`
}

// cycleTrackingSkipped is why the cycleTracking section is counted in Mapped.Skipped instead of stored.
const cycleTrackingSkipped = "cycleTracking: the app documents no item layout for this section; not imported"

func (m *Mapped) sections(cat *catalog.Catalog, s Sections) {
	for _, e := range s.StateOfMind {
		m.stateOfMind(e)
	}
	each(m, "symptoms", s.Symptoms, func(i int, e SymptomEntry) { m.symptom(cat, i, e) })
	each(m, "medications", s.Medications, m.medication)
	each(m, "ecg", s.ECG, m.ecg)
	each(m, "heartRateNotifications", s.HeartRateNotifications, func(i int, e HeartRateNotificationEntry) {
		m.heartNotification(cat, i, e)
	})
	if len(s.CycleTracking) > 0 {
		m.Skipped[cycleTrackingSkipped] += len(s.CycleTracking)
	}
}

// each decodes the items of a section one by one and maps those that decode.
func each[T any](m *Mapped, section string, items []json.RawMessage, mapItem func(int, T)) {
	for i, raw := range items {
		var e T
		if err := json.Unmarshal(raw, &e); err != nil {
			m.refuse(section, i, ingest.CodeBadField, "the item is not of the documented shape: %s", decodeReason(err))
			continue
		}
		mapItem(i, e)
	}
}

// decodeReason names the field and the kind expected, without Go's type names.
func decodeReason(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("%s must be %s, not %s", te.Field, kindOf(te.Type), withArticle(te.Value))
	}
	return "it is not a JSON object"
}

func (m *Mapped) refuse(section string, i int, code ingest.Code, format string, args ...any) {
	m.Invalid[section]++
	m.Refused = append(m.Refused, Refusal{Section: section, Index: i, Code: code, Message: fmt.Sprintf(format, args...)})
}

// span reads an item's start and end (end defaults to start).
func (m *Mapped) span(section string, i int, start, end string) (time.Time, time.Time, bool) {
	s, err := ParseTime(start)
	if err != nil {
		m.refuse(section, i, ingest.CodeBadTime, "start: %v", err)
		return s, s, false
	}
	e, err := ParseTime(orDefault(end, start))
	if err != nil {
		m.refuse(section, i, ingest.CodeBadTime, "end: %v", err)
		return s, s, false
	}
	return s, e, true
}

func (m *Mapped) stateOfMind(e StateOfMindEntry) {
	start, err1 := ParseTime(e.Start)
	end, err2 := ParseTime(orDefault(e.End, e.Start))
	labels, ok1 := strs(e.Labels)
	assoc, ok2 := strs(e.Associations)
	if err1 != nil || err2 != nil || e.Valence == nil || e.Kind == "" || !ok1 || !ok2 {
		m.Invalid["stateOfMind"]++
		return
	}
	src := orDefault(e.Source, defaultSource)
	var meta map[string]any
	if e.ID != "" {
		meta = map[string]any{"healthAutoExportId": e.ID}
	}
	m.StatesOfMind = append(m.StatesOfMind, ingest.StateOfMind{
		ItemEnvelope: ingest.ItemEnvelope{
			ID:    ItemID("state_of_mind", src, start, end, e.Kind+" "+strconv.FormatFloat(*e.Valence, 'g', -1, 64), ""),
			Start: start, End: end, Source: ingest.Source{Name: src}, Metadata: meta},
		Kind: e.Kind, Valence: ingest.Float(*e.Valence), Classification: e.ValenceClassification,
		Labels: labels, Associations: assoc})
}

// symptom maps a symptom by its name in the Health app onto the HealthKit category type of that name
// ("Rapid, Pounding, or Fluttering Heartbeat" is HKCategoryTypeIdentifierRapidPoundingOrFlutteringHeartbeat).
func (m *Mapped) symptom(cat *catalog.Catalog, i int, e SymptomEntry) {
	const section = "symptoms"
	start, end, ok := m.span(section, i, e.Start, e.End)
	if !ok {
		return
	}
	c, found := cat.LookupCategory("HKCategoryTypeIdentifier" + alnum(e.Name))
	if !found || len(c.HealthKit) == 0 {
		m.refuse(section, i, ingest.CodeUnknownType, "symptom %q is not a HealthKit symptom type", clip(e.Name))
		return
	}
	if _, ok := c.NormalizeValue(catalog.HealthKit, e.Severity); !ok {
		m.refuse(section, i, ingest.CodeBadValue, "%s severity %q is none of %s", c.DisplayName(), clip(e.Severity),
			strings.Join(c.Values, ", "))
		return
	}
	src := orDefault(e.Source, defaultSource)
	m.Categories = append(m.Categories, ingest.CategorySample{
		ID:   ItemID(c.Name, src, start, end, strings.ToLower(strings.TrimSpace(e.Severity)), ""),
		Type: c.HealthKit[0], Value: e.Severity, Start: start, End: end, Source: ingest.Source{Name: src},
		UserEntered: e.UserEntered, Metadata: map[string]any{"healthAutoExportName": e.Name}})
}

// doseStatuses are the dose event statuses the write path takes, squashed; the app also sends "Unspecified".
var doseStatuses = map[string]bool{"taken": true, "skipped": true, "snoozed": true, "notinteracted": true,
	"notificationnotsent": true, "notlogged": true}

func (m *Mapped) medication(i int, e MedicationEntry) {
	const section = "medications"
	start, end, ok := m.span(section, i, e.Start, e.End)
	if !ok {
		return
	}
	name := strings.TrimSpace(orDefault(e.DisplayText, e.Nickname))
	if name == "" {
		m.refuse(section, i, ingest.CodeBadField, "displayText is empty: a dose needs its medication's name")
		return
	}
	if !doseStatuses[strings.ToLower(alnum(e.Status))] {
		m.refuse(section, i, ingest.CodeBadValue,
			"status %q is none of Taken, Skipped, Snoozed, Not Interacted, Notification Not Sent, Not Logged", clip(e.Status))
		return
	}
	meta := map[string]any{}
	for k, v := range map[string]string{"nickname": e.Nickname, "form": e.Form} {
		if v != "" {
			meta[k] = v
		}
	}
	if e.IsArchived != nil {
		meta["isArchived"] = *e.IsArchived
	}
	if e.ScheduledDosage != nil {
		meta["scheduledDosage"] = *e.ScheduledDosage
	}
	dose := ingest.MedicationDose{Medication: name, Status: e.Status}
	if e.ScheduledDate != "" {
		s, err := ParseTime(e.ScheduledDate)
		if err != nil {
			m.refuse(section, i, ingest.CodeBadTime, "scheduledDate: %v", err)
			return
		}
		dose.Scheduled = &s
	}
	dosage := ""
	if e.Dosage != nil {
		d := ingest.Float(*e.Dosage)
		dose.Dose, dosage = &d, strconv.FormatFloat(*e.Dosage, 'g', -1, 64)
	}
	if e.Units != "" {
		u := e.Units
		dose.DoseUnit = &u
	}
	for _, c := range e.Codings {
		if c.System != "" && c.Code != "" {
			dose.Codes = append(dose.Codes, ingest.MedicationCode{System: c.System, Code: c.Code})
		}
	}
	if len(meta) == 0 {
		meta = nil
	}
	src := orDefault(e.Source, defaultSource)
	dose.ItemEnvelope = ingest.ItemEnvelope{
		ID:    ItemID("medication_dose", src, start, end, name+"\x00"+strings.ToLower(e.Status)+"\x00"+dosage, e.Units),
		Start: start, End: end, Source: ingest.Source{Name: src}, Metadata: meta}
	m.MedicationDoses = append(m.MedicationDoses, dose)
}

// ecgClasses maps the app's classification texts (squashed) to the write path's names.
var ecgClasses = map[string]string{
	"sinusrhythm": "sinus_rhythm", "atrialfibrillation": "atrial_fibrillation",
	"highheartrate": "inconclusive_high_heart_rate", "inconclusivehighheartrate": "inconclusive_high_heart_rate",
	"lowheartrate": "inconclusive_low_heart_rate", "inconclusivelowheartrate": "inconclusive_low_heart_rate",
	"inconclusive": "inconclusive_other", "inconclusiveother": "inconclusive_other",
	"inconclusivepoorrecording": "inconclusive_poor_reading", "inconclusivepoorreading": "inconclusive_poor_reading",
	"poorrecording": "inconclusive_poor_reading", "unrecognized": "unrecognized", "notset": "not_set",
}

// microvolts is the factor from each voltage unit the app may print to µV.
var microvolts = map[string]float64{"V": 1e6, "mV": 1e3, "µV": 1, "μV": 1, "uV": 1, "mcV": 1}

func (m *Mapped) ecg(i int, e ECGEntry) {
	const section = "ecg"
	start, end, ok := m.span(section, i, e.Start, e.End)
	if !ok {
		return
	}
	class, ok := ecgClasses[strings.ToLower(alnum(e.Classification))]
	if !ok {
		m.refuse(section, i, ingest.CodeBadValue, "classification %q is not one the Health app gives", clip(e.Classification))
		return
	}
	if e.SamplingFrequency == nil || len(e.VoltageMeasurements) == 0 {
		m.refuse(section, i, ingest.CodeBadField, "an ECG needs samplingFrequency and its voltageMeasurements")
		return
	}
	volts := make([]ingest.Float, len(e.VoltageMeasurements))
	for j, v := range e.VoltageMeasurements {
		f, known := microvolts[strings.TrimSpace(v.Units)]
		if !known || v.Voltage == nil {
			m.refuse(section, i, ingest.CodeBadUnit, "voltageMeasurements[%d]: voltage %s in %q: a number in V, mV or µV is needed",
				j, numberOrMissing(v.Voltage), clip(v.Units))
			return
		}
		volts[j] = ingest.Float(*v.Voltage * f)
	}
	meta := map[string]any{"healthAutoExportClassification": e.Classification}
	if e.Severity != "" {
		meta["healthAutoExportSeverity"] = e.Severity
	}
	if n := e.NumberOfVoltageMeasurements; n != nil && *n != len(volts) {
		meta["numberOfVoltageMeasurements"] = *n // the count the app announced, when it sent another number of voltages
	}
	rec := ingest.ECGRecording{Classification: class, SamplingHz: ingest.Float(*e.SamplingFrequency), VoltagesUV: volts}
	// The app's "severity" carries HealthKit's symptoms status when it is one of its values.
	if s := strings.ToLower(alnum(e.Severity)); s == "notset" || s == "none" || s == "present" {
		rec.SymptomsStatus = e.Severity
	}
	if e.AverageHeartRate != nil {
		hr := ingest.Float(*e.AverageHeartRate)
		rec.AverageHeartRate = &hr
	}
	src := orDefault(e.Source, defaultSource)
	rec.ItemEnvelope = ingest.ItemEnvelope{
		ID:    ItemID("ecg", src, start, end, strconv.Itoa(len(volts)), strconv.FormatFloat(*e.SamplingFrequency, 'g', -1, 64)),
		Start: start, End: end, Source: ingest.Source{Name: src}, Metadata: meta}
	m.ECGs = append(m.ECGs, rec)
}

func (m *Mapped) heartNotification(cat *catalog.Catalog, i int, e HeartRateNotificationEntry) {
	const section = "heartRateNotifications"
	start, end, ok := m.span(section, i, e.Start, e.End)
	if !ok {
		return
	}
	var bpm []float64
	for _, r := range append(e.HeartRate, e.HeartRateData...) {
		if r.HR != nil {
			bpm = append(bpm, *r.HR)
		} else if r.HeartRate != nil {
			bpm = append(bpm, *r.HeartRate)
		}
	}
	meta := map[string]any{"heartRateReadings": len(bpm), "heartRateVariationReadings": len(e.Variation) + len(e.HRVData)}
	avg := 0.0
	if len(bpm) > 0 {
		lo, hi, sum := bpm[0], bpm[0], 0.0
		for _, v := range bpm {
			lo, hi, sum = min(lo, v), max(hi, v), sum+v
		}
		avg = sum / float64(len(bpm))
		meta[ingest.MetadataMin], meta[ingest.MetadataMax], meta["average"] = lo, hi, avg
	}
	if e.Threshold != nil {
		meta["threshold"] = *e.Threshold
	}
	name, why := notificationType(e, bpm, avg)
	if name == "" {
		m.refuse(section, i, ingest.CodeUnknownType, "%s", why)
		return
	}
	c, _ := cat.LookupCategory(name)
	if e.HeartNotification != "" {
		meta["healthAutoExportNotification"] = e.HeartNotification
	}
	src := orDefault(sourceName(e.Source), defaultSource)
	threshold := ""
	if e.Threshold != nil {
		threshold = strconv.FormatFloat(*e.Threshold, 'g', -1, 64)
	}
	m.Categories = append(m.Categories, ingest.CategorySample{
		ID:   ItemID(c.Name, src, start, end, threshold, ""),
		Type: c.HealthKit[0], Start: start, End: end, Source: ingest.Source{Name: src}, Metadata: meta})
}

// notificationType decides which heart notification an item is: by its name when it carries one, else as the
// documented layout implies (see HeartRateNotificationEntry). "" and why when it cannot be told.
func notificationType(e HeartRateNotificationEntry, bpm []float64, avg float64) (string, string) {
	if n := strings.ToLower(alnum(e.HeartNotification)); n != "" {
		switch {
		case strings.Contains(n, "irregular"):
			return "irregular_heart_rhythm_event", ""
		case strings.Contains(n, "high"):
			return "high_heart_rate_event", ""
		case strings.Contains(n, "low"):
			return "low_heart_rate_event", ""
		}
		return "", fmt.Sprintf("heartNotification %q is neither a high, a low nor an irregular rhythm notification", clip(e.HeartNotification))
	}
	switch {
	case e.Threshold == nil:
		return "irregular_heart_rhythm_event", ""
	case len(bpm) == 0:
		return "", "a notification with a threshold but no heart rate readings cannot be told high or low"
	case avg > *e.Threshold:
		return "high_heart_rate_event", ""
	case avg < *e.Threshold:
		return "low_heart_rate_event", ""
	}
	return "", "the heart rate readings average the threshold itself: neither high nor low"
}

// sourceName reads a source sent as a name or as {"name": …}.
func sourceName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Name
	}
	return ""
}

// alnum keeps the letters and digits of s ("Rapid, Pounding, or Fluttering Heartbeat" → "RapidPoundingorFlutteringHeartbeat").
func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

func numberOrMissing(f *float64) string {
	if f == nil {
		return "missing"
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

func strs(in []any) ([]string, bool) {
	out := make([]string, 0, len(in))
	for _, v := range in {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}
