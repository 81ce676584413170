package ingest

import (
	"math"
	"strings"
	"time"
	"unicode"

	"healthsync/db"
)

// The kinds that are neither a number nor a category: iOS 18 State of Mind, ECG recordings and medication dose
// events. Each has its own input list and table; ids, tombstones, versions, sources and the sync state work as
// for every other item.

// Item kinds of the new input lists.
const (
	KindStateOfMind    ItemKind = "STATE_OF_MIND"
	KindECG            ItemKind = "ECG"
	KindMedicationDose ItemKind = "MEDICATION_DOSE"
)

// Data types under which the kinds are tracked in sync state.
const (
	stateOfMindType    = "state_of_mind"
	ecgType            = "ecg"
	medicationDoseType = "medication_dose"
)

// MaxECGVoltages bounds one recording: Apple's 30 s at 512 Hz is ~15k; five minutes at that rate is room enough.
const MaxECGVoltages = 160_000

// ItemEnvelope is what every item of the new kinds carries besides its own fields.
type ItemEnvelope struct {
	ID         string
	Start, End time.Time
	Source     Source
	TimeZone   *string
	Version    *int64
	Metadata   map[string]any
}

// StateOfMind is one HKStateOfMind: a momentary emotion or a daily mood.
type StateOfMind struct {
	ItemEnvelope
	Kind           string // momentaryEmotion | dailyMood (or HealthKit's raw 1 | 2)
	Valence        Float  // -1 .. 1
	Classification string // "" = derived from the valence
	Labels         []string
	Associations   []string
}

// ECGRecording is one HKElectrocardiogram with its voltage measurements.
type ECGRecording struct {
	ItemEnvelope
	Classification   string
	AverageHeartRate *Float // count/min
	SymptomsStatus   string // notSet | none | present
	SamplingHz       Float
	VoltagesUV       []Float // microvolts, one per 1/SamplingHz from Start
}

// MedicationCode is one coding of a medication concept (RxNorm, SNOMED CT, an app's own).
type MedicationCode struct {
	System, Code string
}

// MedicationDose is one HKMedicationDoseEvent; Start is when it was logged.
type MedicationDose struct {
	ItemEnvelope
	Medication string // the concept's display name
	ConceptID  *string
	Codes      []MedicationCode
	Dose       *Float
	DoseUnit   *string
	Status     string // taken | skipped | snoozed | notInteracted | notificationNotSent | notLogged
	Scheduled  *time.Time
}

var (
	stateOfMindKinds   = words("momentary_emotion", "daily_mood")
	valenceClasses     = []string{"very_unpleasant", "unpleasant", "slightly_unpleasant", "neutral", "slightly_pleasant", "pleasant", "very_pleasant"}
	stateOfMindClasses = words(valenceClasses...)
	stateOfMindLabels  = words("amazed", "amused", "angry", "annoyed", "anxious", "ashamed", "brave", "calm", "confident",
		"content", "disappointed", "discouraged", "disgusted", "drained", "embarrassed", "excited", "frustrated", "grateful",
		"guilty", "happy", "hopeful", "hopeless", "indifferent", "irritated", "jealous", "joyful", "lonely", "overwhelmed",
		"passionate", "peaceful", "proud", "relieved", "sad", "satisfied", "scared", "stressed", "surprised", "worried")
	stateOfMindAssociations = words("community", "current_events", "dating", "education", "family", "fitness", "friends",
		"health", "hobbies", "identity", "money", "partner", "self_care", "spirituality", "tasks", "travel", "weather", "work")
	ecgClasses = words("not_set", "sinus_rhythm", "atrial_fibrillation", "inconclusive_low_heart_rate",
		"inconclusive_high_heart_rate", "inconclusive_poor_reading", "inconclusive_other", "unrecognized")
	ecgSymptoms     = words("not_set", "none", "present")
	doseStatuses    = words("taken", "skipped", "snoozed", "not_interacted", "notification_not_sent", "not_logged")
	kindRawValues   = map[string]string{"1": "momentary_emotion", "2": "daily_mood"}
	valenceRawClass = map[string]string{"1": "very_unpleasant", "2": "unpleasant", "3": "slightly_unpleasant", "4": "neutral",
		"5": "slightly_pleasant", "6": "pleasant", "7": "very_pleasant"}
)

// words indexes canonical snake_case names by their squashed form (lower case, letters and digits only), so
// that momentaryEmotion, MOMENTARY_EMOTION and momentary-emotion all find momentary_emotion.
func words(names ...string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[squash(n)] = n
	}
	return out
}

func squash(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// canonical finds s (with an optional platform prefix such as HKElectrocardiogramClassification) among known.
func canonical(known map[string]string, s string, prefixes ...string) (string, bool) {
	k := squash(s)
	for _, p := range prefixes {
		k = strings.TrimPrefix(k, squash(p))
	}
	v, ok := known[k]
	return v, ok
}

// kindItem starts the record of an item of a new kind: its id and envelope checked. nil after a rejection.
func (n *normalizer) kindItem(kind ItemKind, i int, dataType string, e *ItemEnvelope) (*record, envelope) {
	id, p := n.normalizeID(e.ID)
	if p != nil {
		n.reject(kind, i, e.ID, p.code, "%s", p.msg)
		return nil, envelope{}
	}
	env, p := n.envelope(e.Start, e.End, e.TimeZone, e.Metadata, nil, e.Source, e.Version)
	if p != nil {
		n.reject(kind, i, id, p.code, "%s", p.msg)
		return nil, envelope{}
	}
	return n.newRecord(record{kind: kind, index: i, id: id, dataType: dataType, end: e.End, version: env.version, source: env.source}), env
}

func kindEnvelope(id string, e *ItemEnvelope, env envelope) db.KindEnvelope {
	return db.KindEnvelope{ID: id, Start: e.Start, End: e.End, TimeZone: env.tz, Version: env.version, Metadata: env.meta}
}

// kindRecord is the frame the three kinds share: the common envelope checks, then the kind's own row (built
// only for an item that passed them), one rejection for either, and the envelope copied into the row.
func (n *normalizer) kindRecord(kind ItemKind, i int, typ string, e *ItemEnvelope, build func() (db.KindRow, *problem)) *record {
	rec, env := n.kindItem(kind, i, typ, e)
	if rec == nil {
		return nil
	}
	row, p := build()
	if p != nil {
		n.reject(kind, i, rec.id, p.code, "%s", p.msg)
		return nil
	}
	*row.Envelope() = kindEnvelope(rec.id, e, env)
	rec.kindRow = row
	return rec
}

func (n *normalizer) stateOfMind(i int, s StateOfMind) *record {
	return n.kindRecord(KindStateOfMind, i, stateOfMindType, &s.ItemEnvelope, func() (db.KindRow, *problem) {
		row, p := stateOfMindRow(s)
		return row, p
	})
}

func stateOfMindRow(s StateOfMind) (*db.StateOfMindRow, *problem) {
	kind, ok := kindRawValues[s.Kind]
	if !ok {
		if kind, ok = canonical(stateOfMindKinds, s.Kind, "HKStateOfMindKind"); !ok {
			return nil, fail(CodeBadValue, "kind %q is neither momentaryEmotion nor dailyMood", clip(s.Kind))
		}
	}
	v := float64(s.Valence)
	if math.IsNaN(v) || v < -1 || v > 1 {
		return nil, fail(CodeOutOfRange, "valence %v must be between -1 (very unpleasant) and 1 (very pleasant)", v)
	}
	class := valenceClass(v)
	if s.Classification != "" {
		if class, ok = valenceRawClass[s.Classification]; !ok {
			if class, ok = canonical(stateOfMindClasses, s.Classification, "HKStateOfMindValenceClassification"); !ok {
				return nil, fail(CodeBadValue, "valence classification %q is unknown (known: %s)", clip(s.Classification), strings.Join(valenceClasses, ", "))
			}
		}
	}
	labels, p := wordList("label", stateOfMindLabels, s.Labels, "HKStateOfMindLabel")
	if p != nil {
		return nil, p
	}
	assoc, p := wordList("association", stateOfMindAssociations, s.Associations, "HKStateOfMindAssociation")
	if p != nil {
		return nil, p
	}
	return &db.StateOfMindRow{Kind: kind, Valence: v, Classification: class, Labels: labels, Associations: assoc}, nil
}

// valenceClass is HealthKit's classification of a valence: seven equal bands of [-1, 1].
func valenceClass(v float64) string {
	return valenceClasses[min(6, int((v+1)/2*7))]
}

func wordList(what string, known map[string]string, in []string, prefix string) ([]string, *problem) {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		w, ok := canonical(known, s, prefix)
		if !ok {
			return nil, fail(CodeBadValue, "%s %q is unknown", what, clip(s))
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out, nil
}

func (n *normalizer) ecg(i int, e ECGRecording) *record {
	return n.kindRecord(KindECG, i, ecgType, &e.ItemEnvelope, func() (db.KindRow, *problem) {
		row, p := ecgRow(e)
		return row, p
	})
}

func ecgRow(e ECGRecording) (*db.ECGRow, *problem) {
	class, ok := canonical(ecgClasses, e.Classification, "HKElectrocardiogramClassification")
	if !ok {
		return nil, fail(CodeBadValue, "ECG classification %q is unknown", clip(e.Classification))
	}
	symptoms := "not_set"
	if e.SymptomsStatus != "" {
		if symptoms, ok = canonical(ecgSymptoms, e.SymptomsStatus, "HKElectrocardiogramSymptomsStatus"); !ok {
			return nil, fail(CodeBadValue, "symptomsStatus %q is none of notSet, none, present", clip(e.SymptomsStatus))
		}
	}
	hz := float64(e.SamplingHz)
	if math.IsNaN(hz) || hz < 1 || hz > 10000 {
		return nil, fail(CodeOutOfRange, "samplingFrequency %v Hz must be between 1 and 10000", hz)
	}
	row := &db.ECGRow{Classification: class, SymptomsStatus: symptoms, SamplingHz: hz}
	if e.AverageHeartRate != nil {
		hr := float64(*e.AverageHeartRate)
		if math.IsNaN(hr) || hr < 20 || hr > 300 {
			return nil, fail(CodeOutOfRange, "averageHeartRate %v must be between 20 and 300 count/min", hr)
		}
		row.AverageHeartRate = &hr
	}
	if len(e.VoltagesUV) == 0 || len(e.VoltagesUV) > MaxECGVoltages {
		return nil, fail(CodeBadField, "an ECG needs 1 to %d voltage measurements; it has %d", MaxECGVoltages, len(e.VoltagesUV))
	}
	row.VoltagesUV = make([]float32, len(e.VoltagesUV))
	for j, v := range e.VoltagesUV {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e6 {
			return nil, fail(CodeBadValue, "voltage %d (%v µV) must be a finite number within ±1 V", j, f)
		}
		row.VoltagesUV[j] = float32(v)
	}
	return row, nil
}

func (n *normalizer) medicationDose(i int, m MedicationDose) *record {
	return n.kindRecord(KindMedicationDose, i, medicationDoseType, &m.ItemEnvelope, func() (db.KindRow, *problem) {
		row, p := medicationRow(m)
		return row, p
	})
}

func medicationRow(m MedicationDose) (*db.MedicationDoseRow, *problem) {
	if m.Medication == "" || len(m.Medication) > maxFieldLen || hasNUL(m.Medication) {
		return nil, fail(CodeBadField, "medication must name the medication in 1 to %d characters", maxFieldLen)
	}
	status, ok := canonical(doseStatuses, m.Status, "HKMedicationDoseEventLogStatus")
	if !ok {
		return nil, fail(CodeBadValue, "status %q is none of taken, skipped, snoozed, notInteracted, notificationNotSent, notLogged", clip(m.Status))
	}
	row := &db.MedicationDoseRow{Medication: m.Medication, Status: status, ConceptID: m.ConceptID, DoseUnit: m.DoseUnit, Scheduled: m.Scheduled}
	for _, s := range []*string{m.ConceptID, m.DoseUnit} {
		if s != nil && (len(*s) > maxFieldLen || hasNUL(*s)) {
			return nil, fail(CodeBadField, "conceptId and doseUnit may hold at most %d characters and no NUL", maxFieldLen)
		}
	}
	if m.Dose != nil {
		d := float64(*m.Dose)
		if math.IsNaN(d) || math.IsInf(d, 0) || d < 0 {
			return nil, fail(CodeBadValue, "dose %v must be a finite, non-negative number", d)
		}
		row.Dose = &d
	}
	for _, c := range m.Codes {
		if c.System == "" || c.Code == "" || len(c.System)+len(c.Code) > maxFieldLen || hasNUL(c.System+c.Code) {
			return nil, fail(CodeBadField, "each medication code needs a system and a code of at most %d characters together", maxFieldLen)
		}
		row.Codes = append(row.Codes, db.MedicationCode(c))
	}
	return row, nil
}

// planKinds adds the new kinds' items to the plan through add.
func (n *normalizer) planKinds(b *Batch, add func(*record)) {
	for i, s := range b.StatesOfMind {
		add(n.stateOfMind(i, s))
	}
	for i, e := range b.ECGs {
		add(n.ecg(i, e))
	}
	for i, m := range b.MedicationDoses {
		add(n.medicationDose(i, m))
	}
	for i, a := range b.Audiograms {
		add(n.audiogram(i, a))
	}
}

// kindItems counts the new kinds' items against the batch limit: an ECG as one item per thousand voltages.
func kindItems(b *Batch) int {
	items := len(b.StatesOfMind) + len(b.MedicationDoses) + len(b.Audiograms)
	for _, e := range b.ECGs {
		items += 1 + len(e.VoltagesUV)/1000
	}
	return items
}

// kinds hashes the new kinds' lists; a batch without any hashes as it did before they existed, so stored
// idempotency keys keep their meaning.
func (f *fp) kinds(b *Batch) {
	if len(b.StatesOfMind)+len(b.ECGs)+len(b.MedicationDoses) == 0 {
		return
	}
	f.str("kinds")
	f.n(len(b.StatesOfMind))
	for i := range b.StatesOfMind {
		s := &b.StatesOfMind[i]
		f.itemEnvelope(&s.ItemEnvelope)
		f.str(s.Kind)
		f.float(float64(s.Valence))
		f.str(s.Classification)
		f.strs(s.Labels)
		f.strs(s.Associations)
	}
	f.n(len(b.ECGs))
	for i := range b.ECGs {
		e := &b.ECGs[i]
		f.itemEnvelope(&e.ItemEnvelope)
		f.str(e.Classification)
		if f.present(e.AverageHeartRate != nil) {
			f.float(float64(*e.AverageHeartRate))
		}
		f.str(e.SymptomsStatus)
		f.float(float64(e.SamplingHz))
		f.n(len(e.VoltagesUV))
		for _, v := range e.VoltagesUV {
			f.float(float64(v))
		}
	}
	f.n(len(b.MedicationDoses))
	for i := range b.MedicationDoses {
		m := &b.MedicationDoses[i]
		f.itemEnvelope(&m.ItemEnvelope)
		f.str(m.Medication)
		f.opt(m.ConceptID)
		f.n(len(m.Codes))
		for _, c := range m.Codes {
			f.str(c.System)
			f.str(c.Code)
		}
		if f.present(m.Dose != nil) {
			f.float(float64(*m.Dose))
		}
		f.opt(m.DoseUnit)
		f.str(m.Status)
		if f.present(m.Scheduled != nil) {
			f.time(*m.Scheduled)
		}
	}
}

func (f *fp) itemEnvelope(e *ItemEnvelope) {
	f.str(e.ID)
	f.envelope(e.Start, e.End, &e.Source, e.TimeZone, e.Version, e.Metadata)
}

func (f *fp) strs(ss []string) {
	f.n(len(ss))
	for _, s := range ss {
		f.str(s)
	}
}
