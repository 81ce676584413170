package server_test

import (
	"math"
	"strings"
	"testing"
	"time"
)

// kindsBatch is one upload of the kinds that are neither a number nor a category, dated from base.
func kindsBatch(key string, base time.Time, volts []float64) map[string]any {
	at := func(h int) string { return base.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	in := ingestInput(key)["input"].(map[string]any)
	delete(in, "samples")
	in["statesOfMind"] = []map[string]any{
		{"id": uuid(201), "kind": "momentaryEmotion", "valence": 0.7, "labels": []string{"happy", "HKStateOfMindLabelCalm", "happy"},
			"associations": []string{"family", "selfCare"}, "start": at(1), "end": at(1), "source": phoneSource},
		{"id": uuid(202), "kind": "2", "valence": -0.4, "valenceClassification": "slightlyUnpleasant",
			"associations": []string{"work"}, "start": at(20), "end": at(20), "source": phoneSource},
	}
	in["ecgRecordings"] = []map[string]any{{"id": uuid(203), "classification": "HKElectrocardiogramClassificationSinusRhythm",
		"averageHeartRate": 64, "symptomsStatus": "none", "samplingFrequency": 512, "voltagesMicrovolts": volts,
		"start": at(2), "end": base.Add(2*time.Hour + 30*time.Second).Format(time.RFC3339), "source": watchSource}}
	in["medicationDoses"] = []map[string]any{
		{"id": uuid(204), "medication": "Levothyroxine 50 mcg", "conceptId": "med-1",
			"codes": []map[string]any{{"system": "RxNorm", "code": "966224"}}, "dose": 1, "doseUnit": "tablet",
			"status": "taken", "scheduledAt": at(3), "start": at(4), "end": at(4), "source": phoneSource},
		{"id": uuid(205), "medication": "Ibuprofen", "status": "HKMedicationDoseEventLogStatusSkipped",
			"start": at(5), "end": at(5), "source": phoneSource},
	}
	return map[string]any{"input": in}
}

const kindsQuery = `query K($from: Time!, $to: Time!) {
  stateOfMind(from: $from, to: $to) { id kind valence valenceClassification labels associations start source timeZone }
  ecgRecordings(from: $from, to: $to) { id classification averageHeartRate symptomsStatus samplingFrequency voltagesMicrovolts source }
  medications(from: $from, to: $to) { id medication conceptId codes { system code } dose doseUnit status scheduledAt loggedAt source }
}`

type kindsAnswer struct {
	StateOfMind []struct {
		ID, Kind, ValenceClassification, Source string
		Valence                                 float64
		Labels, Associations                    []string
		TimeZone                                *string
	} `json:"stateOfMind"`
	EcgRecordings []struct {
		ID, Classification, SymptomsStatus, Source string
		AverageHeartRate                           *float64
		SamplingFrequency                          float64
		VoltagesMicrovolts                         []float64
	} `json:"ecgRecordings"`
	Medications []struct {
		ID, Medication, Status, Source   string
		ConceptID, DoseUnit, ScheduledAt *string
		Codes                            []struct{ System, Code string }
		Dose                             *float64
		LoggedAt                         string
	} `json:"medications"`
}

func TestStateOfMindECGAndMedicationsIngestAndReadBack(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	base := time.Now().UTC().Truncate(time.Hour).Add(-72 * time.Hour)
	volts := make([]float64, 512*30) // 30 s at 512 Hz
	for i := range volts {
		volts[i] = math.Round(800*math.Sin(float64(i)/20)*1000) / 1000
	}
	var res ingestResult
	a.do(tok, ingestMutation, kindsBatch("kinds-1", base, volts)).decode(t, &res)
	if r := res.IngestBatch; r.Accepted != 5 || len(r.Rejected) != 0 {
		t.Fatalf("first upload: %+v", r)
	}
	read := func(tok string) kindsAnswer {
		var out kindsAnswer
		a.do(tok, kindsQuery, map[string]any{"from": iso(base), "to": iso(base.Add(24 * time.Hour))}).decode(t, &out)
		return out
	}
	got := read(tok)
	if len(got.StateOfMind) != 2 || len(got.EcgRecordings) != 1 || len(got.Medications) != 2 {
		t.Fatalf("read back: %+v", got)
	}
	s0, s1 := got.StateOfMind[0], got.StateOfMind[1]
	if s0.Kind != "momentary_emotion" || s0.Valence != 0.7 || s0.ValenceClassification != "pleasant" ||
		len(s0.Labels) != 2 || s0.Labels[0] != "happy" || s0.Labels[1] != "calm" || len(s0.Associations) != 2 ||
		s0.Associations[1] != "self_care" || s0.Source != "iPhone" {
		t.Fatalf("momentary emotion: %+v", s0)
	}
	if s1.Kind != "daily_mood" || s1.ValenceClassification != "slightly_unpleasant" || len(s1.Labels) != 0 {
		t.Fatalf("daily mood: %+v", s1)
	}
	e := got.EcgRecordings[0]
	if e.Classification != "sinus_rhythm" || e.SymptomsStatus != "none" || e.SamplingFrequency != 512 ||
		e.AverageHeartRate == nil || *e.AverageHeartRate != 64 || len(e.VoltagesMicrovolts) != len(volts) {
		t.Fatalf("ecg: %+v", e.Classification)
	}
	for i, v := range volts {
		if math.Abs(e.VoltagesMicrovolts[i]-v) > 0.01 { // real[]: single precision
			t.Fatalf("voltage %d: %v, sent %v", i, e.VoltagesMicrovolts[i], v)
		}
	}
	m0, m1 := got.Medications[0], got.Medications[1]
	if m0.Medication != "Levothyroxine 50 mcg" || m0.Status != "taken" || len(m0.Codes) != 1 || m0.Codes[0].Code != "966224" ||
		m0.Dose == nil || *m0.Dose != 1 || m0.ScheduledAt == nil || m0.LoggedAt != iso(base.Add(4*time.Hour)) {
		t.Fatalf("taken dose: %+v", m0)
	}
	if m1.Status != "skipped" || m1.Dose != nil || len(m1.Codes) != 0 {
		t.Fatalf("skipped dose: %+v", m1)
	}

	// A retry under the same key is the stored answer; the same items under a new key store nothing twice.
	a.do(tok, ingestMutation, kindsBatch("kinds-1", base, volts)).decode(t, &res)
	if !res.IngestBatch.Replayed || res.IngestBatch.Accepted != 5 {
		t.Fatalf("replay: %+v", res.IngestBatch)
	}
	a.do(tok, ingestMutation, kindsBatch("kinds-2", base, volts)).decode(t, &res)
	if r := res.IngestBatch; r.Replayed || r.Accepted != 0 || r.Duplicates != 5 {
		t.Fatalf("same items, new key: %+v", r)
	}
	if again := read(tok); len(again.StateOfMind) != 2 || len(again.EcgRecordings) != 1 || len(again.Medications) != 2 {
		t.Fatalf("after the retry: %+v", again)
	}

	// Another user sees nothing.
	if other := read(a.token("bob")); len(other.StateOfMind)+len(other.EcgRecordings)+len(other.Medications) != 0 {
		t.Fatalf("bob sees %+v", other)
	}

	// Deletions remove by id, and a deleted id is never stored again.
	del := ingestInput("kinds-del")
	del["input"].(map[string]any)["deletions"] = []string{uuid(203), uuid(202), uuid(205)}
	a.do(tok, ingestMutation, del).decode(t, &res)
	if res.IngestBatch.Deleted != 3 {
		t.Fatalf("delete: %+v", res.IngestBatch)
	}
	a.do(tok, ingestMutation, kindsBatch("kinds-3", base, volts)).decode(t, &res)
	if r := res.IngestBatch; r.Accepted != 0 || r.Duplicates != 5 {
		t.Fatalf("deleted ids uploaded again: %+v", r)
	}
	if left := read(tok); len(left.StateOfMind) != 1 || len(left.EcgRecordings) != 0 || len(left.Medications) != 1 ||
		!strings.EqualFold(left.StateOfMind[0].ID, uuid(201)) || !strings.EqualFold(left.Medications[0].ID, uuid(204)) {
		t.Fatalf("after the deletions: %+v", left)
	}
}

func TestNewKindsRejectBadItemsOneByOne(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	base := time.Now().UTC().Truncate(time.Hour).Add(-72 * time.Hour)
	b := kindsBatch("bad", base, []float64{1, 2, 3})
	in := b["input"].(map[string]any)
	in["statesOfMind"].([]map[string]any)[0]["valence"] = 1.5
	in["statesOfMind"].([]map[string]any)[1]["labels"] = []string{"hangry"}
	in["ecgRecordings"].([]map[string]any)[0]["samplingFrequency"] = 0
	in["medicationDoses"].([]map[string]any)[1]["status"] = "maybe"
	var res ingestResult
	a.do(tok, ingestMutation, b).decode(t, &res)
	r := res.IngestBatch
	if r.Accepted != 1 || len(r.Rejected) != 4 {
		t.Fatalf("%+v", r)
	}
	want := []struct{ kind, code string }{{"STATE_OF_MIND", "OUT_OF_RANGE"}, {"STATE_OF_MIND", "BAD_VALUE"},
		{"ECG", "OUT_OF_RANGE"}, {"MEDICATION_DOSE", "BAD_VALUE"}}
	for i, w := range want {
		if r.Rejected[i].Kind != w.kind || r.Rejected[i].Code != w.code || r.Rejected[i].Message == "" {
			t.Fatalf("rejection %d: %+v, want %v", i, r.Rejected[i], w)
		}
	}
	q := a.do(tok, `{ ecgRecordings(from: "`+iso(base)+`", to: "`+iso(base.Add(60*24*time.Hour))+`") { id } }`, nil)
	if q.code() != "BAD_USER_INPUT" {
		t.Fatalf("a 60-day ECG read: %s", q.Raw)
	}
}
