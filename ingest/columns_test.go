package ingest_test

import (
	"fmt"
	"testing"
	"time"

	"healthsync/ingest"
)

// Text columns travel as a dictionary of distinct values when a batch repeats a few of them, else one value per
// row; either way, by the plain INSERT or the ON CONFLICT path, every sample must keep its own metric, unit,
// zone and metadata (or none).
func TestEverySampleKeepsItsOwnTextColumns(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	var zones []string
	for h := 1; h <= 12; h++ {
		zones = append(zones, fmt.Sprintf("Etc/GMT+%d", h))
	}
	for h := 1; h <= 14; h++ {
		zones = append(zones, fmt.Sprintf("Etc/GMT-%d", h))
	}
	zones = append(zones, "Europe/Zurich", "Europe/Paris", "Europe/London", "America/New_York", "America/Chicago",
		"Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "UTC", "Africa/Cairo", "America/Sao_Paulo",
		"Pacific/Auckland", "Asia/Singapore", "Europe/Berlin")

	// wide: 80 samples, each with its own metadata and (for the first 40) its own zone; every fifth has no
	// metadata; every third is a distance in miles. narrow: 80 more that repeat two metadata objects.
	mk := func(seed uint64, at time.Time, wide bool) []ingest.QuantitySample {
		s := heartRates(seed, 80, at)
		for i := range s {
			switch {
			case i%5 == 0:
				s[i].Metadata = nil
			case wide:
				s[i].Metadata = map[string]any{"n": fmt.Sprint(i), "quote": `say "hi" \ `}
			default:
				s[i].Metadata = map[string]any{"n": fmt.Sprint(i % 2)}
			}
			if wide && i < len(zones) {
				s[i].TimeZone = &zones[i]
			}
			if i%3 == 0 {
				s[i].Type, s[i].Unit, s[i].Value, s[i].End = "HKQuantityTypeIdentifierDistanceWalkingRunning", "mi", 0.5, s[i].Start.Add(time.Minute)
			}
		}
		return s
	}
	wide, narrow := mk(21, t0, true), mk(22, t0.Add(3*time.Hour), false)
	check := func(s []ingest.QuantitySample, wide bool) {
		t.Helper()
		for i, x := range s {
			var got struct {
				Metric string  `db:"metric"`
				Unit   string  `db:"orig_unit"`
				Zone   *string `db:"time_zone"`
				N      *string `db:"n"`
				Quote  *string `db:"quote"`
			}
			if err := e.sqlDB.Get(&got, `SELECT metric, orig_unit, time_zone, metadata->>'n' AS n, metadata->>'quote' AS quote
				FROM samples WHERE user_id = $1 AND sample_id = lower($2)`, alice, x.ID); err != nil {
				t.Fatalf("sample %d: %v", i, err)
			}
			wantMetric, wantUnit := "heart_rate", "count/min"
			if i%3 == 0 {
				wantMetric, wantUnit = "distance_walking_running", "mi"
			}
			wantZone := "Europe/Zurich" // the device's
			if x.TimeZone != nil {
				wantZone = *x.TimeZone
			}
			if got.Metric != wantMetric || got.Unit != wantUnit || got.Zone == nil || *got.Zone != wantZone {
				t.Errorf("sample %d: metric %q unit %q zone %v, want %q %q %q", i, got.Metric, got.Unit, got.Zone, wantMetric, wantUnit, wantZone)
			}
			switch {
			case x.Metadata == nil:
				if got.N != nil || got.Quote != nil {
					t.Errorf("sample %d: metadata n=%v quote=%v, want none", i, got.N, got.Quote)
				}
			case got.N == nil || *got.N != x.Metadata["n"]:
				t.Errorf("sample %d: metadata n=%v, want %v", i, got.N, x.Metadata["n"])
			case wide && (got.Quote == nil || *got.Quote != `say "hi" \ `):
				t.Errorf("sample %d: metadata quote=%v", i, got.Quote)
			}
		}
	}
	if res := e.ingest(alice, batch("wide", wide...)); res.Accepted != 80 || len(res.Rejected) != 0 {
		t.Fatalf("wide: %+v", res)
	}
	if res := e.ingest(alice, batch("narrow", narrow...)); res.Accepted != 80 || len(res.Rejected) != 0 {
		t.Fatalf("narrow: %+v", res)
	}
	check(wide, true)
	check(narrow, false)

	// A stored sample among new ones sends both kinds through ON CONFLICT.
	wide2, narrow2 := mk(23, t0.Add(6*time.Hour), true), mk(24, t0.Add(9*time.Hour), false)
	if res := e.ingest(alice, batch("wide-again", append(wide2, wide[40])...)); res.Accepted != 80 || res.Duplicates != 1 {
		t.Fatalf("wide again: %+v", res)
	}
	if res := e.ingest(alice, batch("narrow-again", append(narrow2, narrow[40])...)); res.Accepted != 80 || res.Duplicates != 1 {
		t.Fatalf("narrow again: %+v", res)
	}
	check(wide2, true)
	check(narrow2, false)
	e.checkHourly(alice)
}
