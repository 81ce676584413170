package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// legacyBody is our iOS SDK 0.2.x fixture (17 items: 11 records of which the background upload's nap and walk,
// 5 sleep stages, 1 run), dated so that its newest day is day0.
func legacyBody(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../importers/openwearables/testdata/ios_sdk_0.2_sync_apple.json")
	if err != nil {
		t.Fatal(err)
	}
	return shiftDates(t, []json.RawMessage{b}, day0)[0]
}

const legacyItems = 17

func syncApplePath(user string) string { return syncPath(user) + "/apple" }

// legacyAt is the fixture's time of day on day0 (its newest day, shifted by shiftDates).
func legacyAt(hhmmss string) time.Time {
	d, _ := time.Parse("15:04:05", hhmmss)
	return day0.Add(time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute + time.Duration(d.Second())*time.Second)
}

// TestOpenWearablesLegacyRoute: the iOS SDK 0.2.x body on /sync/apple (the Flutter plugin 0.0.7's route) is
// stored, HealthKit's fraction and sleep integers included; a retry stores nothing twice.
func TestOpenWearablesLegacyRoute(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	body := legacyBody(t)
	status, out, _ := a.postOW(syncApplePath("alice"), tok, body) // bare, as the 0.2.x SDK sends it
	if status != http.StatusOK || out.StatusCode != 200 || out.UserID != "alice" || out.Accepted != legacyItems ||
		out.Duplicates != 0 || out.Rejected != 0 {
		t.Fatalf("first post: %d %+v", status, out)
	}
	status, out, _ = a.postOW(syncApplePath("alice"), tok, body)
	if status != http.StatusOK || out.Accepted != 0 || out.Duplicates != legacyItems || out.Rejected != 0 {
		t.Fatalf("retry: %d %+v", status, out)
	}

	var got struct {
		HR   []struct{ ID string }                       `json:"hr"`
		Spo2 []struct{ Value float64 }                   `json:"spo2"`
		Nap  struct{ Samples []struct{ Value string } }  `json:"nap"`
		Zen  struct{ Samples []struct{ Source string } } `json:"zen"`
		Bp   []struct{ Value float64 }                   `json:"bp"`
		Wo   struct {
			Edges []struct {
				Node struct {
					ActivityType string   `json:"activityType"`
					EnergyKcal   *float64 `json:"energyKcal"`
					DistanceM    *float64 `json:"distanceMeters"`
				}
			}
		} `json:"wo"`
	}
	from, to := day0.AddDate(0, 0, -2), day0.AddDate(0, 0, 1)
	a.do(tok, `query($from: Time!, $to: Time!) {
		hr: samples(metric: "heart_rate", from: $from, to: $to) { id }
		spo2: samples(metric: "oxygen_saturation", from: $from, to: $to) { value }
		bp: samples(metric: "blood_pressure_systolic", from: $from, to: $to) { value }
		nap: categorySamples(type: "sleep", from: $from, to: $to) { samples { value } }
		zen: categorySamples(type: "mindful_session", from: $from, to: $to) { samples { source } }
		wo: workouts(from: $from, to: $to) { edges { node { activityType energyKcal distanceMeters } } } }`,
		map[string]any{"from": from, "to": to}).decode(t, &got)
	if len(got.HR) != 2 || len(got.Spo2) != 1 || got.Spo2[0].Value != 96 || len(got.Bp) != 1 || got.Bp[0].Value != 118 {
		t.Errorf("heart rate %+v, oxygen saturation %+v (want 96 %%), systolic %+v", got.HR, got.Spo2, got.Bp)
	}
	stages := map[string]int{}
	for _, s := range got.Nap.Samples {
		stages[s.Value]++
	}
	if len(got.Nap.Samples) != 6 || stages["in_bed"] != 1 || stages["asleep_core"] != 1 || stages["asleep_deep"] != 1 ||
		stages["asleep_rem"] != 1 || stages["awake"] != 1 || stages["asleep_unspecified"] != 1 {
		t.Errorf("sleep stages %v", stages)
	}
	if len(got.Zen.Samples) != 1 || got.Zen.Samples[0].Source != "Ada’s Apple Watch" {
		t.Errorf("mindful session %+v", got.Zen)
	}
	kinds := map[string]bool{}
	for _, e := range got.Wo.Edges {
		kinds[e.Node.ActivityType] = true
		if e.Node.ActivityType == "running" && (e.Node.EnergyKcal == nil || *e.Node.EnergyKcal != 402.81 ||
			e.Node.DistanceM == nil || *e.Node.DistanceM != 6012.4) {
			t.Errorf("run %+v", e.Node)
		}
	}
	if len(got.Wo.Edges) != 2 || !kinds["running"] || !kinds["walking"] {
		t.Errorf("workouts %+v", got.Wo.Edges)
	}

	// The same samples in the current body on /sync are the same set: nothing new.
	hr1, hr2 := legacyAt("06:48:12"), legacyAt("07:21:40")
	cur := owBody("apple", []map[string]any{
		owRecord("3F2B8C1E-6A7D-4E90-B1C4-8D2E5F7A9013", "HKQuantityTypeIdentifierHeartRate", "bpm", 61, hr1, hr1),
		owRecord("C7A41D92-0B3E-4F58-9E26-71D8A5B3C604", "HKQuantityTypeIdentifierHeartRate", "bpm", 148, hr2, hr2),
	}, nil, nil)
	status, out, _ = a.postOW(syncPath("alice"), "Bearer "+tok, cur)
	if status != http.StatusOK || out.Accepted != 0 || out.Duplicates != 2 {
		t.Errorf("the current body after the 0.2.x one: %d %+v", status, out)
	}
}

// TestOpenWearablesLegacyOneSet: samples sent first through ingestBatch, or first through /sync, are
// duplicates when the 0.2.x body brings them again on /sync/apple; the 0.3.x SDK's current body on /sync/apple
// is read too.
func TestOpenWearablesLegacyOneSet(t *testing.T) {
	a := newApp(t)
	hr1, hr2 := legacyAt("06:48:12"), legacyAt("07:21:40")
	const hrA, hrB = "3F2B8C1E-6A7D-4E90-B1C4-8D2E5F7A9013", "C7A41D92-0B3E-4F58-9E26-71D8A5B3C604"

	bob := a.token("bob")
	a.ingestOK(bob, ingestInput("bob-1", hrSample(hrA, hr1, 61), hrSample(hrB, hr2, 148)))
	status, out, _ := a.postOW(syncApplePath("bob"), bob, legacyBody(t))
	if status != http.StatusOK || out.Accepted != legacyItems-2 || out.Duplicates != 2 || out.Rejected != 0 {
		t.Fatalf("after ingestBatch: %d %+v", status, out)
	}

	carol := a.token("carol")
	status, out, _ = a.postOW(syncPath("carol"), "Bearer "+carol, owBody("apple", []map[string]any{
		owRecord(hrA, "HKQuantityTypeIdentifierHeartRate", "bpm", 61, hr1, hr1),
		owRecord(uuid(70), "HKQuantityTypeIdentifierHeartRate", "bpm", 64, hr1.Add(time.Minute), hr1.Add(time.Minute)),
	}, nil, nil))
	if status != http.StatusOK || out.Accepted != 2 {
		t.Fatalf("carol's /sync: %d %+v", status, out)
	}
	status, out, _ = a.postOW(syncApplePath("carol"), carol, legacyBody(t))
	if status != http.StatusOK || out.Accepted != legacyItems-1 || out.Duplicates != 1 {
		t.Fatalf("carol's /sync/apple after /sync: %d %+v", status, out)
	}
	// The 0.3.x SDK posted the current body (provider apple) to /sync/apple: a duplicate of what /sync stored.
	status, out, _ = a.postOW(syncApplePath("carol"), carol, owBody("apple", []map[string]any{
		owRecord(uuid(70), "HKQuantityTypeIdentifierHeartRate", "bpm", 64, hr1.Add(time.Minute), hr1.Add(time.Minute)),
	}, nil, nil))
	if status != http.StatusOK || out.Accepted != 0 || out.Duplicates != 1 {
		t.Fatalf("the current body on /sync/apple: %d %+v", status, out)
	}
	var got struct{ Samples []struct{ ID string } }
	a.do(carol, `query($from: Time!, $to: Time!) { samples(metric: "heart_rate", from: $from, to: $to) { id } }`,
		map[string]any{"from": hr1.Add(-time.Hour), "to": hr2.Add(time.Hour)}).decode(t, &got)
	if len(got.Samples) != 3 {
		t.Errorf("carol has %d heart rate samples, want 3 (two of the fixture's, one of her own): %+v", len(got.Samples), got.Samples)
	}
}

// TestOpenWearablesLegacyRefusals: another user's path, a body for another provider, an unreadable body, and
// the sign-out notice.
func TestOpenWearablesLegacyRefusals(t *testing.T) {
	a := newApp(t)
	alice := a.token("alice")
	body := legacyBody(t)
	if status, out, _ := a.postOW(syncApplePath("bob"), alice, body); status != http.StatusForbidden || out.code() != "USER_MISMATCH" {
		t.Errorf("alice's token, bob's path: %d %+v", status, out)
	}
	if status, out, _ := a.postOW(syncApplePath("alice"), "", body); status != http.StatusUnauthorized || out.code() != "UNAUTHENTICATED" {
		t.Errorf("no token: %d %+v", status, out)
	}
	google := owBody("google", []map[string]any{owRecord("r1", "HEART_RATE", "bpm", 60, day0, day0)}, nil, nil)
	if status, out, _ := a.postOW(syncApplePath("alice"), alice, google); status != http.StatusBadRequest || out.code() != "PROVIDER_MISMATCH" {
		t.Errorf("a google body on /sync/apple: %d %+v", status, out)
	}
	if status, out, _ := a.postOW(syncApplePath("alice"), alice, []byte(`{"data":[`)); status != http.StatusBadRequest || out.code() != "BAD_REQUEST" {
		t.Errorf("broken body: %d %+v", status, out)
	}
	if status, out, _ := a.postOW(syncPath("alice")+"/samsung", alice, body); status != http.StatusNotFound || out.code() != "NOT_FOUND" {
		t.Errorf("/sync/samsung: %d %+v", status, out)
	}
	// Nothing of the refused posts was stored for anyone.
	for _, who := range []string{"alice", "bob"} {
		var got struct{ Samples []struct{ ID string } }
		a.do(a.token(who), `query($from: Time!, $to: Time!) { samples(metric: "heart_rate", from: $from, to: $to) { id } }`,
			map[string]any{"from": day0.AddDate(0, 0, -2), "to": day0.AddDate(0, 0, 1)}).decode(t, &got)
		if len(got.Samples) != 0 {
			t.Errorf("%s has %d heart rate samples after refused posts", who, len(got.Samples))
		}
	}

	// The iOS SDK 0.15's sign-out notice: acknowledged for the token's own user, nothing erased.
	del := func(path, authorization string) (int, string) {
		req := httptest.NewRequest(http.MethodDelete, path, nil)
		req.Header.Set("Authorization", authorization)
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if status, out, _ := a.postOW(syncApplePath("alice"), alice, body); status != http.StatusOK || out.Accepted != legacyItems {
		t.Fatalf("alice's own path: %d %+v", status, out)
	}
	if code, b := del("/api/v1/users/alice/connections/apple", "Bearer "+alice); code != http.StatusNoContent {
		t.Errorf("disconnect: %d %s", code, b)
	}
	if code, b := del("/api/v1/users/bob/connections/apple", "Bearer "+alice); code != http.StatusForbidden {
		t.Errorf("disconnect of bob with alice's token: %d %s", code, b)
	}
	if code, b := del("/api/v1/users/alice/connections/fitbit", "Bearer "+alice); code != http.StatusNotFound {
		t.Errorf("disconnect of fitbit: %d %s", code, b)
	}
	status, out, _ := a.postOW(syncApplePath("alice"), alice, body)
	if status != http.StatusOK || out.Accepted != 0 || out.Duplicates != legacyItems {
		t.Errorf("after the sign-out notice the data is still there: %d %+v", status, out)
	}
}

// TestOpenWearablesIOSCurrent: the iOS SDK 0.13–0.15's calls besides the upload: its extra headers are
// accepted, its sync log is acknowledged, and its refresh is refused in the way it reports to the app.
func TestOpenWearablesIOSCurrent(t *testing.T) {
	a := newApp(t)
	alice := a.token("alice")
	t0 := day0.Add(9 * time.Hour)
	headers := []string{"X-Open-Wearables-SDK-Version", "0.15.0", "X-Open-Wearables-SDK-Platform", "ios",
		"X-Request-Id", "5D1C7E0A-3B94-4F2E-8A61-C0F9B2D47E35", "User-Agent", "OpenWearablesHealthSDK/0.15.0 (iOS 18.5.0; iPhone16,1)"}
	body := owBody("apple", []map[string]any{owRecord(uuid(80), "HKQuantityTypeIdentifierStepCount", "count", 35, t0, t0.Add(time.Minute))}, nil, nil)
	if status, out, _ := a.postOW(syncPath("alice"), "Bearer "+alice, body, headers...); status != http.StatusOK || out.Accepted != 1 {
		t.Errorf("upload with the 0.15 headers: %d %+v", status, out)
	}
	logs := []byte(`{"sdkVersion":"0.15.0","provider":"apple","events":[{"eventType":"historical_data_sync_start","timestamp":"` +
		t0.Format(time.RFC3339) + `","dataTypeCounts":[{"type":"HKQuantityTypeIdentifierStepCount","count":1}],"timeRange":{"endDate":"` +
		t0.Format(time.RFC3339) + `"}},{"eventType":"device_state","batteryLevel":0.62,"batteryState":"unplugged","isLowPowerMode":false}]}`)
	if status, out, _ := a.postOW("/api/v1/sdk/users/alice/logs", "Bearer "+alice, logs, headers...); status != http.StatusAccepted || out.UserID != "alice" {
		t.Errorf("iOS sync log: %d %+v", status, out)
	}
	if status, out, _ := a.postOW("/api/v1/token/refresh", "", []byte(`{"refresh_token":"unused"}`), headers...); status != http.StatusUnauthorized || out.code() != "REFRESH_UNSUPPORTED" {
		t.Errorf("refresh: %d %+v", status, out)
	}
}
