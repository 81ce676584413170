package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"healthsync/auth"
)

func TestHealthAutoExportStateOfMindLandsAndOtherSectionsAreCounted(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice", auth.ScopeIngest, auth.ScopeRead)
	at := time.Now().UTC().Truncate(time.Hour).Add(-30 * time.Hour)
	haeTime := func(t time.Time) string { return t.Format("2006-01-02 15:04:05 -0700") }
	body, err := json.Marshal(map[string]any{"data": map[string]any{
		"metrics": []any{},
		"stateOfMind": []map[string]any{
			{"id": "C0FFEE00-0000-4000-8000-000000000001", "kind": "daily_mood", "start": haeTime(at), "end": haeTime(at),
				"valence": 0.45, "valenceClassification": "pleasant", "labels": []string{"content", "grateful"},
				"associations": []string{"family"}},
			{"kind": "momentary_emotion", "start": haeTime(at.Add(time.Hour)), "valence": -0.8,
				"labels": []string{"stressed"}, "associations": []string{"work"}},
			{"kind": "momentary_emotion", "start": "yesterday", "valence": 0.1}, // unreadable date
		},
		"medications":            []map[string]any{{"name": "Ibuprofen"}},
		"symptoms":               []map[string]any{{"name": "Headache"}, {"name": "Fatigue"}},
		"cycleTracking":          []map[string]any{{"name": "Menstrual Flow"}},
		"ecg":                    []map[string]any{{"classification": "Sinus Rhythm"}},
		"heartRateNotifications": []map[string]any{{"threshold": 120}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	status, out := a.postHAE(tok, body)
	if status != http.StatusOK || out["accepted"] != 2.0 || out["rejected"] != 0.0 {
		t.Fatalf("post: %d %v", status, out)
	}
	if inv := out["invalid"].(map[string]any); inv["stateOfMind"] != 1.0 {
		t.Fatalf("invalid: %v", inv)
	}
	skipped := out["skipped"].(map[string]any)
	for section, n := range map[string]float64{"medications": 1, "symptoms": 2, "cycleTracking": 1, "ecg": 1, "heartRateNotifications": 1} {
		if skipped[section+": item layout not confirmed, not imported"] != n {
			t.Fatalf("skipped %s: %v", section, skipped)
		}
	}
	if status, out = a.postHAE(tok, body); status != http.StatusOK || out["accepted"] != 0.0 || out["duplicates"] != 2.0 {
		t.Fatalf("repeat: %d %v", status, out)
	}
	var got struct {
		StateOfMind []struct {
			Kind, ValenceClassification, Source string
			Labels                              []string
		} `json:"stateOfMind"`
	}
	a.do(tok, `query($from: Time!, $to: Time!) { stateOfMind(from: $from, to: $to) { kind valenceClassification source labels } }`,
		map[string]any{"from": iso(at.Add(-time.Hour)), "to": iso(at.Add(3 * time.Hour))}).decode(t, &got)
	if len(got.StateOfMind) != 2 || got.StateOfMind[0].Kind != "daily_mood" || got.StateOfMind[0].ValenceClassification != "pleasant" ||
		got.StateOfMind[1].ValenceClassification != "very_unpleasant" || got.StateOfMind[1].Labels[0] != "stressed" ||
		got.StateOfMind[0].Source != "Health Auto Export" {
		t.Fatalf("read back: %+v", got.StateOfMind)
	}
}
