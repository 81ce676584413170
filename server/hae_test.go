package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"healthsync/auth"
)

// postHAE sends a Health Auto Export body through the full server: routing, body limit, token middleware.
func (a *app) postHAE(token string, body []byte) (int, map[string]any) {
	a.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/ingest/health-auto-export", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("automation-name", "test")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		a.t.Fatalf("response is not JSON (%d): %s", rec.Code, rec.Body.String())
	}
	return rec.Code, out
}

func TestHealthAutoExportEndpoint(t *testing.T) {
	a := newApp(t)
	body, err := os.ReadFile("../importers/hae/testdata/irvinlim_unmarshal_metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	tok := a.token("alice", auth.ScopeIngest, auth.ScopeRead)
	status, out := a.postHAE(tok, body)
	if status != http.StatusOK || out["accepted"] != 2.0 || out["duplicates"] != 0.0 {
		t.Fatalf("first post: %d %v", status, out)
	}
	status, out = a.postHAE(tok, body)
	if status != http.StatusOK || out["accepted"] != 0.0 || out["duplicates"] != 2.0 {
		t.Fatalf("repeat: %d %v", status, out)
	}
	// What landed reads back through GraphQL in canonical units.
	var got struct {
		Samples []struct {
			Value        float64 `json:"value"`
			Unit         string  `json:"unit"`
			OriginalUnit string  `json:"originalUnit"`
		} `json:"samples"`
	}
	a.do(tok, `query { samples(metric: "active_energy_burned", from: "2021-12-23T00:00:00Z", to: "2021-12-25T00:00:00Z") { value unit originalUnit } }`, nil).decode(t, &got)
	if len(got.Samples) != 2 || got.Samples[0].Unit != "kcal" || got.Samples[0].OriginalUnit != "kJ" {
		t.Fatalf("samples %+v", got.Samples)
	}
	// Another user sees nothing of alice's.
	a.do(a.token("bob"), `query { samples(metric: "active_energy_burned", from: "2021-12-23T00:00:00Z", to: "2021-12-25T00:00:00Z") { value } }`, nil).decode(t, &got)
	if len(got.Samples) != 0 {
		t.Fatalf("bob sees %+v", got.Samples)
	}

	if status, out := a.postHAE("", body); status != http.StatusUnauthorized || !strings.Contains(jsonString(out), "UNAUTHENTICATED") {
		t.Errorf("no token: %d %v", status, out)
	}
	if status, out := a.postHAE(a.token("alice", auth.ScopeRead), body); status != http.StatusForbidden || !strings.Contains(jsonString(out), "FORBIDDEN") {
		t.Errorf("read-only token: %d %v", status, out)
	}
	big := bytes.Repeat([]byte(" "), 2<<20)
	if status, out := a.postHAE(tok, append(big, body...)); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d %v", status, out)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestHealthAutoExportAggregatedSleepStages: the app's aggregated night (hours per stage, one sleep interval)
// is answered by sleep with its stage minutes, asleep being the sleep, not the interval's length.
func TestHealthAutoExportAggregatedSleepStages(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice", auth.ScopeIngest, auth.ScopeRead)
	wake := time.Now().UTC().Truncate(time.Minute).Add(-6 * time.Hour)
	start := wake.Add(-7*time.Hour - 30*time.Minute)
	const layout = "2006-01-02 15:04:05 -0700"
	body := []byte(`{"data":{"metrics":[{"name":"sleep_analysis","units":"hr","data":[{"date":"` + wake.Format(layout) +
		`","asleep":7.2,"core":4,"deep":1.2,"rem":2,"awake":0.3,"sleepStart":"` + start.Format(layout) +
		`","sleepEnd":"` + wake.Format(layout) + `","source":"iPhone|Apple Watch"}]}]}}`)
	if status, out := a.postHAE(tok, body); status != http.StatusOK || out["accepted"] != 1.0 {
		t.Fatalf("post: %d %v", status, out)
	}
	var got struct {
		Sleep []struct {
			AsleepMinutes, CoreMinutes, DeepMinutes, RemMinutes, AwakeMinutes, UnspecifiedMinutes float64
			Source                                                                                struct{ Name string }
		}
	}
	a.do(tok, `query($from: Time!, $to: Time!) { sleep(from: $from, to: $to) { asleepMinutes coreMinutes deepMinutes
		remMinutes awakeMinutes unspecifiedMinutes source { name } } }`,
		map[string]any{"from": wake.Add(-time.Hour), "to": wake.Add(time.Hour)}).decode(t, &got)
	if len(got.Sleep) != 1 {
		t.Fatalf("sessions %+v", got.Sleep)
	}
	s := got.Sleep[0]
	have := [...]float64{s.AsleepMinutes, s.CoreMinutes, s.DeepMinutes, s.RemMinutes, s.AwakeMinutes, s.UnspecifiedMinutes}
	if want := [...]float64{432, 240, 72, 120, 18, 0}; have != want || s.Source.Name != "Apple Watch" {
		t.Errorf("asleep, core, deep, REM, awake, unspecified = %v from %q, want %v from Apple Watch", have, s.Source.Name, want)
	}
}

// TestHealthAutoExportHeartRateRange: heart rate {Min, Avg, Max} reads back from samples with the average as
// value and the range as min and max, not only inside metadata.
func TestHealthAutoExportHeartRateRange(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice", auth.ScopeIngest, auth.ScopeRead)
	at := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Hour)
	const layout = "2006-01-02 15:04:05 -0700"
	body := []byte(`{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[
		{"date":"` + at.Format(layout) + `","Min":52,"Avg":61.5,"Max":88,"source":"Apple Watch"},
		{"date":"` + at.Add(time.Minute).Format(layout) + `","qty":70,"source":"Apple Watch"}]}]}}`)
	if status, out := a.postHAE(tok, body); status != http.StatusOK || out["accepted"] != 2.0 {
		t.Fatalf("post: %d %v", status, out)
	}
	var got struct {
		Samples []struct {
			Value    float64
			Min, Max *float64
		}
	}
	a.do(tok, `query($from: Time!, $to: Time!) { samples(metric: "heart_rate", from: $from, to: $to) { value min max } }`,
		map[string]any{"from": at.Add(-time.Minute), "to": at.Add(time.Hour)}).decode(t, &got)
	if len(got.Samples) != 2 {
		t.Fatalf("samples %+v", got.Samples)
	}
	plain, ranged := got.Samples[0], got.Samples[1] // newest first
	if ranged.Value != 61.5 || ranged.Min == nil || *ranged.Min != 52 || ranged.Max == nil || *ranged.Max != 88 {
		t.Errorf("ranged sample %v %v %v, want 61.5 in [52, 88]", ranged.Value, deref(ranged.Min), deref(ranged.Max))
	}
	if plain.Value != 70 || plain.Min != nil || plain.Max != nil {
		t.Errorf("plain sample %v %v %v, want 70 with no range", plain.Value, deref(plain.Min), deref(plain.Max))
	}
}
