package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The trust issue's Health Connect sequence through the API: v1, v3, then v2 late with more points. v2 is a
// duplicate and the record reads back as v3, as samples and as a series.
func TestALateLowerSeriesVersionIsADuplicateThroughTheAPI(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	at := time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour)
	send := func(key string, version int, values ...float64) ingestResult {
		var points []map[string]any
		for i, v := range values {
			points = append(points, map[string]any{"time": at.Add(time.Duration(i) * time.Minute), "value": v})
		}
		return a.ingestOK(tok, map[string]any{"input": map[string]any{"idempotencyKey": key, "provider": "HEALTH_CONNECT",
			"device": map[string]any{"id": "pixel-1", "timeZone": "Europe/Zurich"},
			"seriesSamples": []map[string]any{{"id": "rec-A", "type": "HeartRate", "unit": "bpm", "version": version,
				"start": at, "end": at.Add(10 * time.Minute),
				"source": map[string]any{"name": "Fit", "bundleId": "com.google.android.apps.fitness"}, "points": points}}}})
	}
	if r := send("v1", 1, 60, 62, 64).IngestBatch; r.Accepted != 1 {
		t.Fatalf("v1: %+v", r)
	}
	if r := send("v3", 3, 70, 72).IngestBatch; r.Updated != 1 || r.Accepted != 0 {
		t.Fatalf("v3: %+v", r)
	}
	if r := send("v2", 2, 80, 82, 84, 86).IngestBatch; r.Duplicates != 1 || r.Accepted != 0 || r.Updated != 0 {
		t.Fatalf("v2 after v3: %+v, want one duplicate", r)
	}
	var got struct {
		Samples []struct {
			Value float64   `json:"value"`
			Start time.Time `json:"start"`
		} `json:"samples"`
		Series struct {
			Points []struct {
				Count int     `json:"count"`
				Value float64 `json:"value"`
			} `json:"points"`
		} `json:"series"`
	}
	a.do(tok, `query($from: Time!, $to: Time!) {
		samples(metric: "heart_rate", from: $from, to: $to, limit: 100) { value start }
		series(metric: "heart_rate", from: $from, to: $to, bucket: HOUR, timeZone: "UTC") { points { count value } }
	}`, map[string]any{"from": at, "to": at.Add(time.Hour)}).decode(t, &got)
	if len(got.Samples) != 2 || got.Samples[0].Value != 72 || got.Samples[1].Value != 70 ||
		!got.Samples[1].Start.Equal(at) || !got.Samples[0].Start.Equal(at.Add(time.Minute)) {
		t.Fatalf("samples %+v, want v3's (08:00, 70), (08:01, 72)", got.Samples)
	}
	if len(got.Series.Points) != 1 || got.Series.Points[0].Count != 2 || got.Series.Points[0].Value != 71 {
		t.Fatalf("series %+v, want one hour of 2 points averaging 71", got.Series.Points)
	}
}

// The trust issue's source case through the API: Health Auto Export brought a step count; the iOS app uploads
// the same record with its HealthKit UUID. The upload is a duplicate and adds no source, yet the device and its
// sync state show the upload.
func TestADuplicateOnlyUploadAddsNoSourceThroughTheAPI(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	at := time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour)
	hae := fmt.Sprintf(`{"data": {"metrics": [{"name": "step_count", "units": "count",
		"data": [{"date": %q, "qty": 420, "source": "Alice's Apple Watch"}]}]}}`, at.Format("2006-01-02 15:04:05 -0700"))
	if status, out := a.postHAE(tok, []byte(hae)); status != http.StatusOK || out["accepted"] != 1.0 {
		t.Fatalf("Health Auto Export: %d %v", status, out)
	}
	type view struct {
		Sources []struct {
			Name string `json:"name"`
		} `json:"sources"`
		Devices []struct {
			ID string `json:"id"`
		} `json:"devices"`
		SyncState []struct {
			DataType     string    `json:"dataType"`
			LastUploadAt time.Time `json:"lastUploadAt"`
		} `json:"syncState"`
	}
	read := func() view {
		var v view
		a.do(tok, `{ sources { name } devices { id } syncState(deviceId: "install-7F3A") { dataType lastUploadAt } }`, nil).decode(t, &v)
		return v
	}
	before := read()
	exact := at.Add(250 * time.Millisecond)
	r := a.ingestOK(tok, map[string]any{"input": map[string]any{"idempotencyKey": "app-1", "provider": "APPLE_HEALTH",
		"device": map[string]any{"id": "install-7F3A", "model": "iPhone15,2", "timeZone": "Europe/Zurich"},
		"samples": []map[string]any{{"id": "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "type": "HKQuantityTypeIdentifierStepCount",
			"value": 420, "unit": "count", "start": exact, "end": exact,
			"source": map[string]any{"name": "Alice's Apple Watch", "bundleId": "com.apple.health.8A1B", "productType": "Watch6,7"}}}}}).IngestBatch
	if r.Duplicates != 1 || r.Accepted != 0 {
		t.Fatalf("the app's copy of the exported record: %+v, want one duplicate", r)
	}
	after := read()
	if len(before.Sources) != 1 || len(after.Sources) != 1 {
		t.Fatalf("sources before %+v, after %+v: want the export's one", before.Sources, after.Sources)
	}
	found := false
	for _, d := range after.Devices {
		found = found || d.ID == "install-7F3A"
	}
	if !found || len(after.SyncState) != 1 || after.SyncState[0].DataType != "steps" ||
		after.SyncState[0].LastUploadAt.Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("devices %+v, sync state %+v: the upload is not recorded", after.Devices, after.SyncState)
	}
}
