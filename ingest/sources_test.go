package ingest_test

import (
	"context"
	"testing"
	"time"

	"healthsync/db"
	"healthsync/ingest"
)

func (e *env) sources(user int64) []db.Source {
	e.t.Helper()
	var out []db.Source
	err := e.store.InUserTx(context.Background(), user, func(tx *db.Tx) error {
		var err error
		out, err = tx.Sources(context.Background())
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// uploadRecorded fails unless the device's upload of dataType is in its sync state at the service's clock.
func (e *env) uploadRecorded(user int64, device, dataType string) {
	e.t.Helper()
	var states []db.SyncState
	err := e.store.InUserTx(context.Background(), user, func(tx *db.Tx) error {
		var err error
		states, err = tx.SyncStates(context.Background(), &device)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range states {
		if s.DataType == dataType {
			if !s.LastUploadAt.Equal(testNow) || !s.DeviceLastSeen.Equal(testNow) {
				e.t.Fatalf("device %s, %s: last upload %s, device last seen %s, want both at %s", device, dataType,
					s.LastUploadAt, s.DeviceLastSeen, testNow)
			}
			return
		}
	}
	e.t.Fatalf("device %s has no sync state for %s after uploading it: %+v", device, dataType, states)
}

// An upload whose only item is already stored (under the same id, or under an export's content id) adds no
// source: the app's richer description of the source (bundle id, product type) is another source row than the
// export's name-only one, and it would show in sources with nothing from it. The upload itself is still
// recorded: the device and its sync state.
func TestAnUploadOfStoredItemsOnlyCreatesNoSource(t *testing.T) {
	exported := ingest.Source{Name: watch.Name}
	exact := t0.Add(123 * time.Millisecond) // the app sends sub-second times; exports print whole seconds
	kinds := []struct {
		name, dataType string
		export, app    ingest.Batch // the export's item and the app's twin of it
	}{
		{"quantity sample", "heart_rate",
			ingest.Batch{Samples: []ingest.QuantitySample{{ID: "0F000000-0000-8000-8000-000000000001", Type: "HKQuantityTypeIdentifierHeartRate",
				Value: 61, Unit: "count/min", Start: t0, End: t0, Source: exported}}},
			ingest.Batch{Samples: []ingest.QuantitySample{{ID: "6B1E2A40-1111-4111-8111-000000000001", Type: "HKQuantityTypeIdentifierHeartRate",
				Value: 61, Unit: "count/min", Start: exact, End: exact, Source: watch}}}},
		{"category sample", "sleep",
			ingest.Batch{Categories: []ingest.CategorySample{{ID: "0F000000-0000-8000-8000-000000000002", Type: "HKCategoryTypeIdentifierSleepAnalysis",
				Value: "HKCategoryValueSleepAnalysisAsleepCore", Start: t0, End: t0.Add(time.Hour), Source: exported}}},
			ingest.Batch{Categories: []ingest.CategorySample{{ID: "6B1E2A40-1111-4111-8111-000000000002", Type: "HKCategoryTypeIdentifierSleepAnalysis",
				Value: "HKCategoryValueSleepAnalysisAsleepCore", Start: exact, End: exact.Add(time.Hour), Source: watch}}}},
		{"workout", "workout",
			ingest.Batch{Workouts: []ingest.Workout{{ID: "0F000000-0000-8000-8000-000000000003", ActivityType: "HKWorkoutActivityTypeRunning",
				Start: t0, End: t0.Add(40 * time.Minute), Source: exported}}},
			ingest.Batch{Workouts: []ingest.Workout{{ID: "6B1E2A40-1111-4111-8111-000000000003", ActivityType: "HKWorkoutActivityTypeRunning",
				Start: exact, End: exact.Add(40 * time.Minute), Source: watch}}}},
	}
	for _, k := range kinds {
		for _, order := range []string{"export first", "app first"} {
			t.Run(k.name+" twins, "+order, func(t *testing.T) {
				e := newEnv(t)
				user := e.user("alice")
				export := k.export
				export.IdempotencyKey, export.Provider, export.ContentIDs = "export", ingest.AppleHealth, true
				export.Device = ingest.Device{ID: "apple-export"}
				app := k.app
				app.IdempotencyKey, app.Provider = "app", ingest.AppleHealth
				app.Device = ingest.Device{ID: "iphone-install-1", TimeZone: ptr("Europe/Zurich")}
				first, second := export, app
				if order == "app first" {
					first, second = app, export
				}
				if res := e.ingest(user, first); res.Accepted != 1 {
					t.Fatalf("%s: %+v", first.IdempotencyKey, res)
				}
				before := e.sources(user)
				if res := e.ingest(user, second); res.Duplicates != 1 || res.Accepted != 0 {
					t.Fatalf("the %s's twin of the %s's %s: %+v, want one duplicate", second.IdempotencyKey, first.IdempotencyKey, k.name, res)
				}
				if after := e.sources(user); len(after) != len(before) {
					t.Fatalf("sources before the duplicate-only upload %v, after %v", sourceKeys(before), sourceKeys(after))
				}
				e.uploadRecorded(user, second.Device.ID, k.dataType)
			})
		}
	}

	// The same item id again with a source not seen before (the source's description changed between two
	// uploads of one record), for every kind of item, and an id that was deleted.
	fresh := ingest.Source{Name: "Alice's Apple Watch (renamed)", BundleID: ptr("com.apple.health.8A1B"), ProductType: ptr("Watch7,1")}
	series := hrRecord("rec-S", 1, fitApp, 60, 61)
	deleted := ingest.QuantitySample{ID: "6B1E2A40-1111-4111-8111-000000000009", Type: "HKQuantityTypeIdentifierHeartRate",
		Value: 70, Unit: "count/min", Start: t0, End: t0, Source: watch}
	repeats := []struct {
		name, dataType string
		first          ingest.Batch
		again          func(ingest.Batch) ingest.Batch
	}{
		{"quantity sample", "heart_rate", kinds[0].app, func(b ingest.Batch) ingest.Batch { b.Samples[0].Source = fresh; return b }},
		{"category sample", "sleep", kinds[1].app, func(b ingest.Batch) ingest.Batch { b.Categories[0].Source = fresh; return b }},
		{"workout", "workout", kinds[2].app, func(b ingest.Batch) ingest.Batch { b.Workouts[0].Source = fresh; return b }},
		{"series sample", "heart_rate", ingest.Batch{Provider: ingest.HealthConnect, Series: []ingest.SeriesSample{series}},
			func(b ingest.Batch) ingest.Batch { b.Series[0].Source = fresh; return b }},
		{"deleted sample", "heart_rate", ingest.Batch{Samples: []ingest.QuantitySample{deleted}, Deletions: []string{deleted.ID}},
			func(b ingest.Batch) ingest.Batch { b.Deletions = nil; b.Samples[0].Source = fresh; return b }},
	}
	for _, r := range repeats {
		t.Run(r.name+" again", func(t *testing.T) {
			e := newEnv(t)
			user := e.user("alice")
			first := r.first
			first.Samples = append([]ingest.QuantitySample(nil), first.Samples...)
			first.Categories = append([]ingest.CategorySample(nil), first.Categories...)
			first.Workouts = append([]ingest.Workout(nil), first.Workouts...)
			first.Series = append([]ingest.SeriesSample(nil), first.Series...)
			if first.Provider == "" {
				first.Provider = ingest.AppleHealth
			}
			first.IdempotencyKey, first.Device = "first", ingest.Device{ID: "phone-1"}
			e.ingest(user, first)
			before := e.sources(user)
			again := r.again(first)
			again.IdempotencyKey, again.Device = "again", ingest.Device{ID: "phone-2"}
			if res := e.ingest(user, again); res.Duplicates != 1 || res.Accepted+res.Updated != 0 {
				t.Fatalf("the %s again: %+v, want one duplicate", r.name, res)
			}
			after := e.sources(user)
			if len(after) != len(before) {
				t.Fatalf("sources before the duplicate-only upload %v, after %v", sourceKeys(before), sourceKeys(after))
			}
			e.uploadRecorded(user, "phone-2", r.dataType)
			if r.name != "quantity sample" {
				return
			}
			// Beside a new item, the same source is created, once, and holds that item.
			mixed := r.again(first)
			mixed.IdempotencyKey, mixed.Device = "mixed", ingest.Device{ID: "phone-2"}
			mixed.Samples = append(mixed.Samples, ingest.QuantitySample{ID: "6B1E2A40-1111-4111-8111-00000000000A",
				Type: "HKQuantityTypeIdentifierHeartRate", Value: 75, Unit: "count/min", Start: t0.Add(time.Minute),
				End: t0.Add(time.Minute), Source: fresh})
			if res := e.ingest(user, mixed); res.Duplicates != 1 || res.Accepted != 1 {
				t.Fatalf("a duplicate and a new item: %+v", res)
			}
			after = e.sources(user)
			if len(after) != len(before)+1 {
				t.Fatalf("sources before %v, after a new item of a new source %v", sourceKeys(before), sourceKeys(after))
			}
			if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1 AND source_id = $2`, user, after[len(after)-1].ID); n != 1 {
				t.Fatalf("the new source holds %d samples, want the new one", n)
			}
		})
	}
}

func sourceKeys(srcs []db.Source) []string {
	var out []string
	for _, s := range srcs {
		out = append(out, s.Provider+"/"+s.Key)
	}
	return out
}
