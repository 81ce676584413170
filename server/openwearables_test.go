package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"healthsync/auth"
)

// owResult is the sync route's answer.
type owResult struct {
	StatusCode int    `json:"status_code"`
	UserID     string `json:"user_id"`
	Accepted   int    `json:"accepted"`
	Duplicates int    `json:"duplicates"`
	Updated    int    `json:"updated"`
	Rejected   int    `json:"rejected"`
	Rejections []struct {
		Collection string `json:"collection"`
		Index      int    `json:"index"`
		ID         string `json:"id"`
		Code       string `json:"code"`
		Message    string `json:"message"`
	} `json:"rejections"`
	Errors []gqlError `json:"errors"`
}

func (r owResult) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// postOW sends a body to one of the SDK routes through the full server, with the Authorization header as given
// (the iOS SDK sends the bare token, the Android SDK "Bearer <token>").
func (a *app) postOW(path, authorization string, body []byte, headers ...string) (int, owResult, http.Header) {
	a.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	var out owResult
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		a.t.Fatalf("%s: answer is not JSON (%d): %s", path, rec.Code, rec.Body.String())
	}
	return rec.Code, out, rec.Header()
}

func syncPath(user string) string { return "/api/v1/sdk/users/" + user + "/sync" }

// owBody is an Apple SDK body as the iOS SDK writes it (zoneOffset and parentId null, metadata strings).
func owBody(provider string, records, sleep, workouts []map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"provider": provider, "sdkVersion": "0.9.0",
		"syncTimestamp": day0.Format(time.RFC3339),
		"data":          map[string]any{"records": records, "sleep": sleep, "workouts": workouts}})
	return b
}

var owWatch = map[string]any{"name": "Apple Watch", "bundleIdentifier": "com.apple.health.1A2B", "productType": "Watch7,1",
	"deviceManufacturer": "Apple Inc.", "deviceModel": "Watch", "deviceSoftwareVersion": "11.2",
	"operatingSystemVersion": map[string]any{"majorVersion": 11, "minorVersion": 2, "patchVersion": 0}}

func owRecord(id, typ, unit string, value any, start, end time.Time) map[string]any {
	return map[string]any{"id": id, "parentId": nil, "type": typ, "startDate": start.Format(time.RFC3339),
		"endDate": end.Format(time.RFC3339), "zoneOffset": nil, "source": owWatch, "value": value, "unit": unit,
		"metadata": map[string]any{"HKMetadataKeyHeartRateMotionContext": "1"}}
}

// TestOpenWearablesTheirPayloads posts the bodies of their own import tests and their documented example to the
// real server: all land, and a second post of each stores nothing new.
func TestOpenWearablesTheirPayloads(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	raw, err := os.ReadFile("../importers/openwearables/testdata/apple_sdk_import_payloads.json")
	if err != nil {
		t.Fatal(err)
	}
	var bodies []json.RawMessage
	if err := json.Unmarshal(raw, &bodies); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../importers/openwearables/testdata/sync_request_example.json")
	if err != nil {
		t.Fatal(err)
	}
	bodies = append(bodies, example)
	bodies = shiftDates(t, bodies, day0)
	total := 0
	for i, body := range bodies {
		status, out, _ := a.postOW(syncPath("alice"), tok, body) // bare, as the iOS SDK sends it
		if status != http.StatusOK || out.Rejected != 0 || out.StatusCode != 200 || out.UserID != "alice" {
			t.Fatalf("body %d: %d %+v", i, status, out)
		}
		total += out.Accepted
	}
	if total != 14 { // 11 items in their tests' bodies (one is empty), 3 in the example
		t.Fatalf("accepted %d items, want 14", total)
	}
	for i, body := range bodies {
		status, out, _ := a.postOW(syncPath("alice"), "Bearer "+tok, body)
		if status != http.StatusOK || out.Accepted != 0 {
			t.Fatalf("repeat of body %d stored again: %d %+v", i, status, out)
		}
	}
	// The Apple walk reads back with its statistics; the Samsung run with its heart rate and energy.
	var got struct {
		Workouts struct {
			Edges []struct {
				Node struct {
					ID           string   `json:"id"`
					ActivityType string   `json:"activityType"`
					EnergyKcal   *float64 `json:"energyKcal"`
					DistanceM    *float64 `json:"distanceMeters"`
					AvgHR        *float64 `json:"averageHeartRate"`
					Duration     float64  `json:"durationSeconds"`
					TimeZone     *string  `json:"timeZone"`
					Source       struct{ Name string }
				}
			}
		}
	}
	a.do(tok, `query($from: Time!, $to: Time!) { workouts(from: $from, to: $to, first: 100) {
		edges { node { id activityType energyKcal distanceMeters averageHeartRate durationSeconds timeZone source { name } } } } }`,
		map[string]any{"from": day0.AddDate(-10, 0, 0), "to": day0.AddDate(0, 0, 2)}).decode(t, &got)
	byID := map[string]int{}
	for i, e := range got.Workouts.Edges {
		byID[strings.ToUpper(e.Node.ID)] = i
	}
	if len(got.Workouts.Edges) != 10 {
		t.Fatalf("%d workouts, want 10: %+v", len(got.Workouts.Edges), got.Workouts.Edges)
	}
	walk := got.Workouts.Edges[byID["801B68D7-F4AA-4A23-BD26-A3BA1BA6B08D"]].Node
	if walk.ActivityType != "walking" || walk.EnergyKcal == nil || *walk.EnergyKcal != 131.41 || walk.DistanceM == nil ||
		*walk.DistanceM != 2165.35 || walk.Source.Name != "Test Apple Watch" {
		t.Errorf("their walk: %+v", walk)
	}
	i, ok := byID["WRK-001-S0"]
	if !ok {
		t.Fatalf("no Samsung run among %+v", got.Workouts.Edges)
	}
	run := got.Workouts.Edges[i].Node
	if run.ActivityType != "running" || run.Source.Name != "Galaxy Watch7" || run.Duration != 2700 || run.EnergyKcal == nil ||
		*run.EnergyKcal != 345.5 || run.AvgHR == nil || *run.AvgHR != 142.3 || run.TimeZone == nil || *run.TimeZone != "Etc/GMT-1" {
		t.Errorf("the Samsung run: %+v", run)
	}
}

// shiftDates moves every date in the bodies by the same whole number of days, so that the newest falls on the
// day of to: their fixtures keep their content and spacing but are dated relative to the server's clock.
func shiftDates(t *testing.T, bodies []json.RawMessage, to time.Time) []json.RawMessage {
	t.Helper()
	docs := make([]any, len(bodies))
	var newest time.Time
	var walk func(v any, f func(m map[string]any, k string, at time.Time))
	walk = func(v any, f func(m map[string]any, k string, at time.Time)) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if str, ok := e.(string); ok && (k == "startDate" || k == "endDate" || k == "syncTimestamp" || k == "timestamp") {
					if at, err := time.Parse(time.RFC3339, str); err == nil {
						f(v, k, at)
					}
					continue
				}
				walk(e, f)
			}
		case []any:
			for _, e := range v {
				walk(e, f)
			}
		}
	}
	for i, b := range bodies {
		if err := json.Unmarshal(b, &docs[i]); err != nil {
			t.Fatal(err)
		}
		walk(docs[i], func(_ map[string]any, _ string, at time.Time) {
			if at.After(newest) {
				newest = at
			}
		})
	}
	days := int(to.UTC().Truncate(24*time.Hour).Sub(newest.UTC().Truncate(24*time.Hour)).Hours() / 24)
	out := make([]json.RawMessage, len(docs))
	for i, d := range docs {
		walk(d, func(m map[string]any, k string, at time.Time) { m[k] = at.AddDate(0, 0, days).Format(time.RFC3339) })
		out[i], _ = json.Marshal(d)
	}
	return out
}

// TestOpenWearablesRetryAndIngestBatchAreOneSet: samples sent through ingestBatch and then through the SDK route
// with the same HealthKit UUIDs are duplicates, and a retried body (the SDK resends a chunk it got no answer
// for) stores nothing twice.
func TestOpenWearablesRetryAndIngestBatchAreOneSet(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	t0 := day0.Add(9 * time.Hour)
	a.ingestOK(tok, ingestInput("app-1", hrSample(uuid(1), t0, 61), hrSample(uuid(2), t0.Add(time.Minute), 62)))

	body := owBody("apple", []map[string]any{
		owRecord(uuid(1), "HKQuantityTypeIdentifierHeartRate", "bpm", 61, t0, t0),
		owRecord(strings.ToLower(uuid(2)), "HKQuantityTypeIdentifierHeartRate", "bpm", 62, t0.Add(time.Minute), t0.Add(time.Minute)),
		owRecord(uuid(3), "HKQuantityTypeIdentifierHeartRate", "bpm", 63, t0.Add(2*time.Minute), t0.Add(2*time.Minute)),
	}, nil, nil)
	status, out, _ := a.postOW(syncPath("alice"), "Bearer "+tok, body)
	if status != http.StatusOK || out.Accepted != 1 || out.Duplicates != 2 || out.Rejected != 0 {
		t.Fatalf("after ingestBatch: %d %+v", status, out)
	}
	status, out, _ = a.postOW(syncPath("alice"), "Bearer "+tok, body)
	if status != http.StatusOK || out.Accepted != 0 || out.Duplicates != 3 {
		t.Fatalf("retry: %d %+v", status, out)
	}
	var got struct {
		Samples []struct{ ID string }
	}
	a.do(tok, `query($from: Time!, $to: Time!) { samples(metric: "heart_rate", from: $from, to: $to) { id } }`,
		map[string]any{"from": t0.Add(-time.Hour), "to": t0.Add(time.Hour)}).decode(t, &got)
	if len(got.Samples) != 3 {
		t.Fatalf("stored %d heart rate samples, want 3: %+v", len(got.Samples), got.Samples)
	}
}

// TestOpenWearablesPerItemRejections: bad items are reported by collection and index while the good ones land.
func TestOpenWearablesPerItemRejections(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	t0 := day0.Add(10 * time.Hour)
	records := []map[string]any{
		owRecord(uuid(10), "HKQuantityTypeIdentifierStepCount", "count", 120, t0, t0.Add(10*time.Minute)),
		owRecord(uuid(11), "HKQuantityTypeIdentifierStepCount", "furlong", 5, t0, t0.Add(time.Minute)),    // bad unit
		owRecord(uuid(12), "HKQuantityTypeIdentifierNikeFuel", "count", 5, t0, t0.Add(time.Minute)),       // not in the catalog
		owRecord(uuid(13), "HKQuantityTypeIdentifierHeartRate", "bpm", "fast", t0, t0),                    // unreadable value
		owRecord("not-a-uuid", "HKQuantityTypeIdentifierHeartRate", "bpm", 70, t0, t0),                    // HealthKit ids are UUIDs
		owRecord(uuid(14), "HKQuantityTypeIdentifierOxygenSaturation", "%", 97, t0, t0),                   // ×100 by the iOS SDK
		owRecord(uuid(15), "HKQuantityTypeIdentifierBodyFatPercentage", "%", 0.21, t0, t0),                // a fraction
		owRecord(uuid(16), "HKCategoryTypeIdentifierMindfulSession", "", nil, t0, t0.Add(10*time.Minute)), // a category in records
	}
	records[4]["unit"] = "bpm"
	sleep := []map[string]any{
		{"id": uuid(20), "stage": "deep", "startDate": t0.Add(-8 * time.Hour).Format(time.RFC3339),
			"endDate": t0.Add(-7 * time.Hour).Format(time.RFC3339), "source": owWatch},
		{"id": uuid(21), "stage": "dreaming", "startDate": t0.Add(-7 * time.Hour).Format(time.RFC3339),
			"endDate": t0.Add(-6 * time.Hour).Format(time.RFC3339), "source": owWatch},
	}
	workouts := []map[string]any{{"id": uuid(30), "type": "strength_training", "startDate": t0.Format(time.RFC3339),
		"endDate": t0.Add(time.Hour).Format(time.RFC3339), "source": owWatch, "values": []map[string]any{
			{"type": "duration", "unit": "s", "value": 3500}, {"type": "activeEnergyBurned", "unit": "kcal", "value": 300},
			{"type": "averageHeartRate", "unit": "bpm", "value": 120}, {"type": "indoorWorkout", "unit": "bool", "value": true}}}}
	status, out, _ := a.postOW(syncPath("alice"), "Bearer "+tok, owBody("apple", records, sleep, workouts))
	if status != http.StatusOK || out.Accepted != 6 || out.Rejected != 5 {
		t.Fatalf("%d %+v", status, out)
	}
	want := map[string]string{"records/1": "BAD_UNIT", "records/2": "UNKNOWN_TYPE", "records/3": "BAD_FIELD",
		"records/4": "BAD_ID", "sleep/1": "BAD_VALUE"}
	for _, r := range out.Rejections {
		k := fmt.Sprintf("%s/%d", r.Collection, r.Index)
		if want[k] != r.Code || r.Message == "" {
			t.Errorf("rejection %s: %+v, want %s", k, r, want[k])
		}
		delete(want, k)
	}
	if len(want) != 0 {
		t.Errorf("not rejected: %v", want)
	}
	var got struct {
		Spo2 []struct{ Value float64 } `json:"spo2"`
		Fat  []struct{ Value float64 } `json:"fat"`
	}
	a.do(tok, `query($from: Time!, $to: Time!) { spo2: samples(metric: "oxygen_saturation", from: $from, to: $to) { value }
		fat: samples(metric: "body_fat_percentage", from: $from, to: $to) { value } }`,
		map[string]any{"from": t0.Add(-time.Hour), "to": t0.Add(time.Hour)}).decode(t, &got)
	if len(got.Spo2) != 1 || got.Spo2[0].Value != 97 || len(got.Fat) != 1 || got.Fat[0].Value != 21 {
		t.Errorf("oxygen saturation %+v, body fat %+v: want 97 and 21 percent", got.Spo2, got.Fat)
	}
}

// TestOpenWearablesAuth: the path's user must be the token's; API keys and refresh are refused with codes the
// app can act on; the SDK's logs are accepted.
func TestOpenWearablesAuth(t *testing.T) {
	a := newApp(t)
	alice := a.token("alice")
	t0 := day0.Add(11 * time.Hour)
	body := owBody("apple", []map[string]any{owRecord(uuid(40), "HKQuantityTypeIdentifierStepCount", "count", 10, t0, t0.Add(time.Minute))}, nil, nil)

	if status, out, _ := a.postOW(syncPath("bob"), alice, body); status != http.StatusForbidden || out.code() != "USER_MISMATCH" {
		t.Errorf("alice's token, bob's path: %d %+v", status, out)
	}
	if status, out, _ := a.postOW(syncPath("alice"), "", body); status != http.StatusUnauthorized || out.code() != "UNAUTHENTICATED" {
		t.Errorf("no token: %d %+v", status, out)
	}
	if status, out, _ := a.postOW(syncPath("alice"), "", body, "X-Open-Wearables-API-Key", "sk-123"); status != http.StatusUnauthorized || out.code() != "API_KEY_UNSUPPORTED" {
		t.Errorf("API key: %d %+v", status, out)
	}
	if status, out, _ := a.postOW(syncPath("alice"), a.token("alice", auth.ScopeRead), body); status != http.StatusForbidden || out.code() != "FORBIDDEN" {
		t.Errorf("read-only token: %d %+v", status, out)
	}
	if status, out, _ := a.postOW(syncPath("alice"), alice, []byte(`{"provider":"fitbit","data":{}}`)); status != http.StatusBadRequest || out.code() != "UNSUPPORTED_PROVIDER" {
		t.Errorf("provider fitbit: %d %+v", status, out)
	}
	if status, out, _ := a.postOW(syncPath("alice"), alice, []byte(`[1,2`)); status != http.StatusBadRequest || out.code() != "BAD_REQUEST" {
		t.Errorf("broken body: %d %+v", status, out)
	}
	if status, out, _ := a.postOW("/api/v1/token/refresh", "", []byte(`{"refresh_token":"r"}`)); status != http.StatusUnauthorized || out.code() != "REFRESH_UNSUPPORTED" {
		t.Errorf("refresh: %d %+v", status, out)
	}
	logs := []byte(`{"sdkVersion":"0.11.1","provider":"samsung","events":[{"eventType":"historical_data_sync_start","timestamp":"` +
		t0.Format(time.RFC3339) + `"}]}`)
	if status, out, _ := a.postOW("/api/v1/sdk/users/alice/logs", "Bearer "+alice, logs); status != http.StatusAccepted || out.UserID != "alice" {
		t.Errorf("logs: %d %+v", status, out)
	}
	if status, out, _ := a.postOW("/api/v1/sdk/users/bob/logs", "Bearer "+alice, logs); status != http.StatusForbidden || out.code() != "USER_MISMATCH" {
		t.Errorf("logs for bob: %d %+v", status, out)
	}
	// Nothing was stored by the refused uploads, for either user.
	for _, who := range []string{"alice", "bob"} {
		var got struct{ Samples []struct{ ID string } }
		a.do(a.token(who), `query($from: Time!, $to: Time!) { samples(metric: "steps", from: $from, to: $to) { id } }`,
			map[string]any{"from": t0.Add(-time.Hour), "to": t0.Add(time.Hour)}).decode(t, &got)
		if len(got.Samples) != 0 {
			t.Errorf("%s has %d step samples after refused uploads", who, len(got.Samples))
		}
	}
	if status, out, _ := a.postOW(syncPath("alice"), alice, body); status != http.StatusOK || out.Accepted != 1 {
		t.Errorf("alice's own path: %d %+v", status, out)
	}
}
