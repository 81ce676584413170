package server_test

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"healthsync/auth"
)

// Every section of a Health Auto Export payload lands through the full server and reads back through GraphQL:
// stateOfMind, medications, ecgRecordings, and categorySamples for symptoms and heart notifications.
func TestHealthAutoExportSectionsReadBack(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice", auth.ScopeIngest, auth.ScopeRead)
	at := time.Now().UTC().Truncate(time.Hour).Add(-30 * time.Hour)
	haeTime := func(t time.Time) string { return t.Format("2006-01-02 15:04:05 -0700") }
	volts := make([]map[string]any, 1024)
	for i := range volts {
		volts[i] = map[string]any{"date": haeTime(at), "voltage": 100 * math.Sin(float64(i)/8), "units": "µV"}
	}
	body, err := json.Marshal(map[string]any{"data": map[string]any{
		"metrics": []any{},
		"stateOfMind": []map[string]any{
			{"id": "C0FFEE00-0000-4000-8000-000000000001", "kind": "daily_mood", "start": haeTime(at), "end": haeTime(at),
				"valence": 0.45, "valenceClassification": "pleasant", "labels": []string{"content", "grateful"},
				"associations": []string{"family"}},
			{"kind": "momentary_emotion", "start": "yesterday", "valence": 0.1}, // unreadable date
		},
		"symptoms": []map[string]any{
			{"start": haeTime(at), "end": haeTime(at.Add(time.Hour)), "name": "Lower Back Pain", "severity": "Severe",
				"userEntered": true, "source": "Health"},
			{"start": haeTime(at.Add(2 * time.Hour)), "end": haeTime(at.Add(2 * time.Hour)), "name": "Lower Back Pain",
				"severity": "Mild", "userEntered": true, "source": "Health"},
		},
		"medications": []map[string]any{{"displayText": "Ibuprofen", "start": haeTime(at.Add(time.Hour)), "status": "Skipped",
			"dosage": 2, "units": "tablet", "codings": []map[string]any{{"system": "RxNorm", "code": "5640"}}}},
		"ecg": []map[string]any{{"start": haeTime(at.Add(3 * time.Hour)), "end": haeTime(at.Add(3*time.Hour + 2*time.Second)),
			"classification": "Atrial Fibrillation", "averageHeartRate": 104, "numberOfVoltageMeasurements": 1024,
			"voltageMeasurements": volts, "samplingFrequency": 512, "source": "Apple Watch"}},
		"heartRateNotifications": []map[string]any{{"start": haeTime(at.Add(4 * time.Hour)), "end": haeTime(at.Add(4 * time.Hour))}},
		"cycleTracking":          []map[string]any{{"name": "Menstrual Flow"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	status, out := a.postHAE(tok, body)
	if status != http.StatusOK || out["accepted"] != 6.0 || out["rejected"] != 0.0 {
		t.Fatalf("post: %d %v", status, out)
	}
	if inv := out["invalid"].(map[string]any); inv["stateOfMind"] != 1.0 || len(inv) != 1 {
		t.Fatalf("invalid: %v", inv)
	}
	if skipped := out["skipped"].(map[string]any); len(skipped) != 1 {
		t.Fatalf("skipped: %v", skipped)
	}
	if status, out = a.postHAE(tok, body); status != http.StatusOK || out["accepted"] != 0.0 || out["duplicates"] != 6.0 {
		t.Fatalf("repeat: %d %v", status, out)
	}

	vars := map[string]any{"from": iso(at.Add(-time.Hour)), "to": iso(at.Add(6 * time.Hour))}
	var got struct {
		StateOfMind []struct{ Kind, ValenceClassification, Source string } `json:"stateOfMind"`
		Medications []struct {
			Medication, Status string
			Dose               float64
			Codes              []struct{ System, Code string }
		} `json:"medications"`
		EcgRecordings []struct {
			Classification     string
			AverageHeartRate   float64
			VoltagesMicrovolts []float64
		} `json:"ecgRecordings"`
		Back, Irregular struct {
			Type, DisplayName string
			Values            []string
			Samples           []struct {
				Value, OriginalValue, Source string
				UserEntered                  bool
				Metadata                     map[string]any
			}
		}
	}
	a.do(tok, `query($from: Time!, $to: Time!) {
		stateOfMind(from: $from, to: $to) { kind valenceClassification source }
		medications(from: $from, to: $to) { medication status dose codes { system code } }
		ecgRecordings(from: $from, to: $to) { classification averageHeartRate voltagesMicrovolts }
		back: categorySamples(type: "HKCategoryTypeIdentifierLowerBackPain", from: $from, to: $to) {
			type displayName values samples { value originalValue source userEntered metadata } }
		irregular: categorySamples(type: "irregular_heart_rhythm_event", from: $from, to: $to) {
			type displayName values samples { value originalValue source userEntered metadata } }
	}`, vars).decode(t, &got)
	if len(got.StateOfMind) != 1 || got.StateOfMind[0].ValenceClassification != "pleasant" {
		t.Errorf("stateOfMind %+v", got.StateOfMind)
	}
	if m := got.Medications; len(m) != 1 || m[0].Medication != "Ibuprofen" || m[0].Status != "skipped" || m[0].Dose != 2 ||
		len(m[0].Codes) != 1 || m[0].Codes[0].Code != "5640" {
		t.Errorf("medications %+v", m)
	}
	if e := got.EcgRecordings; len(e) != 1 || e[0].Classification != "atrial_fibrillation" || e[0].AverageHeartRate != 104 ||
		len(e[0].VoltagesMicrovolts) != 1024 || math.Abs(e[0].VoltagesMicrovolts[8]-100*math.Sin(1)) > 1e-3 {
		t.Errorf("ecg %+v", e)
	}
	b := got.Back
	if b.Type != "symptom_lower_back_pain" || b.DisplayName != "Lower back pain" || len(b.Values) != 5 || len(b.Samples) != 2 ||
		b.Samples[0].Value != "severe" || b.Samples[0].OriginalValue != "Severe" || !b.Samples[0].UserEntered ||
		b.Samples[0].Source != "Health" || b.Samples[1].Value != "mild" {
		t.Errorf("lower back pain %+v", b)
	}
	if i := got.Irregular; i.DisplayName != "Irregular rhythm notification" || len(i.Samples) != 1 || i.Samples[0].Value != "" ||
		i.Samples[0].Metadata["heartRateReadings"] != 0.0 {
		t.Errorf("irregular rhythm %+v", i)
	}

	// A type the catalog does not know is UNKNOWN_TYPE, a range the caller must fix BAD_USER_INPUT.
	if r := a.do(tok, `query($from: Time!, $to: Time!) { categorySamples(type: "hiccups", from: $from, to: $to) { type } }`, vars); r.code() != "UNKNOWN_TYPE" {
		t.Errorf("unknown type: %s", r.Raw)
	}
	if r := a.do(tok, `query($from: Time!, $to: Time!) { categorySamples(type: "menstrual_flow", from: $to, to: $from) { type } }`, vars); r.code() != "BAD_USER_INPUT" {
		t.Errorf("reversed range: %s", r.Raw)
	}
	// Another user reads nothing of alice's.
	var bob struct{ CategorySamples struct{ Samples []any } }
	a.do(a.token("bob", auth.ScopeRead), `query($from: Time!, $to: Time!) {
		categorySamples(type: "symptom_lower_back_pain", from: $from, to: $to) { samples { value } } }`, vars).decode(t, &bob)
	if len(bob.CategorySamples.Samples) != 0 {
		t.Errorf("bob reads %+v", bob)
	}
}
