package ingest_test

import (
	"testing"
	"time"

	"healthsync/ingest"
)

// A record the iOS app sent with its HealthKit UUID and that an export import later carries under a content id
// (or the other way round) is stored once.
func TestTheSameRecordFromAppAndExportIsStoredOnce(t *testing.T) {
	e := newEnv(t)
	for _, order := range []string{"app first", "export first"} {
		t.Run(order, func(t *testing.T) {
			user := e.user(order)
			exact := t0.Add(123 * time.Millisecond) // the app sends sub-second times; exports print whole seconds
			app := batch("app", ingest.QuantitySample{ID: "6B1E2A40-1111-4111-8111-000000000001", Type: "HKQuantityTypeIdentifierStepCount",
				Value: 420, Unit: "count", Start: exact, End: exact.Add(10 * time.Minute), Source: watch},
				ingest.QuantitySample{ID: "6B1E2A40-1111-4111-8111-000000000002", Type: "HKQuantityTypeIdentifierHeartRate",
					Value: 61, Unit: "count/min", Start: exact, End: exact, Source: watch})
			export := ingest.Batch{IdempotencyKey: "export", Provider: ingest.AppleHealth, ContentIDs: true,
				Device: ingest.Device{ID: "apple-export"},
				Samples: []ingest.QuantitySample{
					// The export knows the source by name only.
					{ID: "0F000000-0000-8000-8000-000000000001", Type: "HKQuantityTypeIdentifierStepCount", Value: 420, Unit: "count",
						Start: t0, End: t0.Add(10 * time.Minute), Source: ingest.Source{Name: watch.Name}},
					{ID: "0F000000-0000-8000-8000-000000000002", Type: "HKQuantityTypeIdentifierHeartRate", Value: 61, Unit: "count/min",
						Start: t0, End: t0, Source: ingest.Source{Name: watch.Name}},
					// Not a twin: another value.
					{ID: "0F000000-0000-8000-8000-000000000003", Type: "HKQuantityTypeIdentifierHeartRate", Value: 62, Unit: "count/min",
						Start: t0, End: t0, Source: ingest.Source{Name: watch.Name}},
					// Not a twin: another source's name.
					{ID: "0F000000-0000-8000-8000-000000000004", Type: "HKQuantityTypeIdentifierHeartRate", Value: 61, Unit: "count/min",
						Start: t0, End: t0, Source: ingest.Source{Name: "Polar H10"}},
				}}
			first, second := app, export
			if order == "export first" {
				first, second = export, app
			}
			r1 := e.ingest(user, first)
			r2 := e.ingest(user, second)
			stored := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, user)
			if stored != 4 {
				t.Fatalf("stored %d samples, want 4 (2 records twice, 2 distinct ones); answers %+v then %+v", stored, r1, r2)
			}
			if r1.Accepted+r2.Accepted != 4 || r1.Duplicates+r2.Duplicates != 2 {
				t.Fatalf("answers %+v then %+v", r1, r2)
			}
		})
	}
}
