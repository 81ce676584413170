package ingest

import (
	"fmt"
	"testing"
	"time"
)

// The fingerprint of a 10,000-sample upload whose samples share two metadata maps (one per metric), as the upload
// decoder hands them over (identical metadata objects decode to one map).
func BenchmarkFingerprint10k(b *testing.B) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tz := "Europe/Zurich"
	watch := Source{Name: "Apple Watch", BundleID: &tz, ProductType: &tz}
	batch := Batch{IdempotencyKey: "k", Provider: AppleHealth, Device: Device{ID: "d", TimeZone: &tz}}
	motion := map[string]any{"HKMetadataKeyHeartRateMotionContext": 1}
	walk := map[string]any{"HKMetadataKeyWasUserEntered": false}
	for i := 0; i < 10000; i++ {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		s := QuantitySample{ID: fmt.Sprintf("%08X-0000-4000-8000-%012d", i, i), Type: "HKQuantityTypeIdentifierHeartRate",
			Value: 60, Unit: "count/min", Start: at, End: at, Source: watch, Metadata: motion}
		if i%3 == 0 {
			s.Type, s.Unit, s.Value, s.End, s.Metadata = "HKQuantityTypeIdentifierDistanceWalkingRunning", "mi", 0.12, at.Add(5*time.Minute), walk
		}
		batch.Samples = append(batch.Samples, s)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var metas []string
		if _, err := batch.fingerprint(&metas); err != nil {
			b.Fatal(err)
		}
	}
}
