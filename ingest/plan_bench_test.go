package ingest

import (
	"fmt"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// The normalizer on a 10,000-sample upload (validation, unit conversion, ids, sources), without the database.
func BenchmarkNormalize10k(b *testing.B) {
	cat := catalog.New()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tz := "Europe/Zurich"
	watch := Source{Name: "Apple Watch", BundleID: &tz, ProductType: &tz}
	batch := Batch{IdempotencyKey: "k", Provider: AppleHealth, Device: Device{ID: "d", TimeZone: &tz}}
	for i := 0; i < 10000; i++ {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		s := QuantitySample{ID: fmt.Sprintf("%08X-0000-4000-8000-%012d", i, i), Type: "HKQuantityTypeIdentifierHeartRate",
			Value: 60, Unit: "count/min", Start: at, End: at, Source: watch, Metadata: map[string]any{"HKMetadataKeyHeartRateMotionContext": 1}}
		if i%3 == 0 {
			s.Type, s.Unit, s.Value, s.End = "HKQuantityTypeIdentifierDistanceWalkingRunning", "mi", 0.12, at.Add(5*time.Minute)
		}
		batch.Samples = append(batch.Samples, s)
	}
	now := start.AddDate(0, 2, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var metas []string
		if _, err := batch.fingerprint(&metas); err != nil {
			b.Fatal(err)
		}
		n := &normalizer{cat: cat, dialect: catalog.HealthKit, provider: AppleHealth, now: now, deviceTZ: tz,
			zones: map[string]bool{}, sources: map[string]db.Source{}, metas: metas}
		if p := n.plan(&batch); len(p.records) != 10000 || len(n.rejected) != 0 {
			b.Fatalf("%d records, %v", len(p.records), n.rejected)
		}
	}
	b.ReportMetric(float64(len(batch.Samples)*b.N)/b.Elapsed().Seconds(), "samples/s")
}
