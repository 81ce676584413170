package openwearables_test

import (
	"os"
	"testing"

	"healthsync/catalog"
	"healthsync/importers/openwearables"
)

// TestLegacyBody reads the iOS SDK 0.2.x body (our fixture in its format): uuid as the id, recordMetadata as
// metadata, workoutStatistics as the workout's statistics, HealthKit sleep integers as stages, oxygen
// saturation as HealthKit's fraction, and the background upload's sleep and workout filed among the records
// reported at their place in records.
func TestLegacyBody(t *testing.T) {
	body, err := os.ReadFile("testdata/ios_sdk_0.2_sync_apple.json")
	if err != nil {
		t.Fatal(err)
	}
	req, derr := openwearables.DecodeApple(body)
	if derr != nil {
		t.Fatal(derr)
	}
	if req.Provider != "apple" {
		t.Fatalf("provider %q", req.Provider)
	}
	m, err := openwearables.Map(req, catalog.New())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Samples) != 8 || len(m.Categories) != 7 || len(m.Workouts) != 2 || len(m.Rejected) != 0 {
		t.Fatalf("samples %d, categories %d, workouts %d, rejected %+v", len(m.Samples), len(m.Categories), len(m.Workouts), m.Rejected)
	}
	hr := m.Samples[0]
	if hr.ID != "3F2B8C1E-6A7D-4E90-B1C4-8D2E5F7A9013" || hr.Type != "heart_rate" || hr.Value != 61 ||
		hr.Metadata["HKMetadataKeyHeartRateMotionContext"] != "1" || hr.Source.Name != "Ada’s Apple Watch" ||
		hr.Source.ProductType == nil || *hr.Source.ProductType != "Watch6,18" {
		t.Errorf("heart rate %+v", hr)
	}
	spo2 := m.Samples[4]
	if spo2.Type != "oxygen_saturation" || spo2.Value != 0.96 || spo2.Unit != "%" {
		t.Errorf("oxygen saturation %v %q, want HealthKit's fraction 0.96 %%", spo2.Value, spo2.Unit)
	}
	stages := map[string]string{}
	for i, c := range m.Categories {
		stages[c.ID] = c.Type + "/" + c.Value + "@" + m.CategoryFrom[i].Collection
	}
	for id, want := range map[string]string{
		"F4B07A2D-3C86-4E51-A9F2-6D1E8B5C07A3": "mindful_session/0@records",
		"9D3A61F8-0E27-4B5C-8F14-A2C7E9D0B653": "sleep/asleep_unspecified@records",
		"7B5E2A90-1F4C-4D38-A6B1-E9C0D3F28A57": "sleep/in_bed@sleep",
		"D19F6C3B-8A25-4E07-9B4D-5E2A7C0F1B86": "sleep/asleep_core@sleep",
		"0A6E3D81-C47B-4F29-8E5A-B3D1F7C9E042": "sleep/asleep_deep@sleep",
		"B3F1E7C6-5D09-4A82-A7E3-2C8B0D6F4A19": "sleep/asleep_rem@sleep",
		"4C8A0B5D-E36F-4197-B2C8-9F7E1D4A3B60": "sleep/awake@sleep",
	} {
		if stages[id] != want {
			t.Errorf("%s: %q, want %q", id, stages[id], want)
		}
	}
	run, walk := m.Workouts[1], m.Workouts[0]
	if o := m.WorkoutFrom[0]; walk.ActivityType != "walking" || o.Collection != "records" || o.Index != 10 {
		t.Errorf("the background upload's walk: %+v from %+v", walk, o)
	}
	if run.ActivityType != "running" || run.DurationSeconds == nil || *run.DurationSeconds != 2190 || run.Energy == nil ||
		run.Energy.Value != 402.81 || run.Distance == nil || run.Distance.Value != 6012.4 ||
		run.Metadata["averageHeartRate"] != 151.6 || run.Metadata["isIndoor"] != false {
		t.Errorf("run %+v", run)
	}

	// The 0.3.x SDK posted the current body to the same route: read as /sync reads it.
	cur, derr := openwearables.DecodeApple([]byte(`{"provider":"apple","sdkVersion":"0.1.0","data":{"records":[
		{"id":"AAAAAAAA-0000-4000-8000-000000000001","type":"HKQuantityTypeIdentifierOxygenSaturation","startDate":"2026-02-10T03:14:27Z","value":96,"unit":"%"}]}}`))
	if derr != nil {
		t.Fatal(derr)
	}
	if m, err := openwearables.Map(cur, catalog.New()); err != nil || len(m.Samples) != 1 || m.Samples[0].Unit != "percent" {
		t.Errorf("current body on the legacy route: %v %+v", err, m)
	}
	if _, derr := openwearables.DecodeApple([]byte(`{"data":{"records":7}}`)); derr == nil || derr.Code != "BAD_REQUEST" {
		t.Errorf("records as a number: %v", derr)
	}
}
