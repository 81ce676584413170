package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"healthsync/db"
	"healthsync/ingest"
)

type dbTx = db.Tx

func TestDeletedSamplesStayDeleted(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	samples := heartRates(5, 10, t0)
	e.ingest(alice, batch("up-1", samples...))

	del := batch("del-1")
	del.Deletions = []string{samples[0].ID, lower(samples[1].ID), "00000000-0000-0000-0000-000000000000"}
	res := e.ingest(alice, del)
	if res.Deleted != 2 {
		t.Fatalf("deleted %d, want 2 (the unknown id removes nothing)", res.Deleted)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 8 {
		t.Fatalf("rows = %d, want 8", n)
	}
	// A late retry of the first upload under a new key must not bring them back.
	res = e.ingest(alice, batch("up-1-rebuilt", samples...))
	if res.Accepted != 0 || res.Duplicates != 10 {
		t.Fatalf("re-upload: %+v", res)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 8 {
		t.Fatalf("rows = %d after re-upload, want 8", n)
	}
	// A batch that carries a sample and its deletion stores nothing of it.
	more := heartRates(6, 2, t0.Add(time.Hour))
	both := batch("both", more...)
	both.Deletions = []string{more[0].ID}
	if res := e.ingest(alice, both); res.Accepted != 1 {
		t.Fatalf("sample+deletion in one batch: %+v", res)
	}
}

func TestHealthConnectVersionsReplaceOlderRecords(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	steps := func(key string, version int64, count float64) ingest.Batch {
		b := ingest.Batch{IdempotencyKey: key, Provider: ingest.HealthConnect, Device: ingest.Device{ID: "pixel-1"},
			Samples: []ingest.QuantitySample{{ID: "7c1e3a50-0000-4000-8000-000000000001", Type: "Steps", Value: ingest.Float(count),
				Unit: "count", Start: t0, End: t0.Add(time.Hour), Version: ptr(version),
				Source: ingest.Source{Name: "Google Fit", BundleID: ptr("com.google.android.apps.fitness")}}}}
		return b
	}
	if res := e.ingest(alice, steps("v1", 1, 1000)); res.Accepted != 1 {
		t.Fatalf("v1: %+v", res)
	}
	if res := e.ingest(alice, steps("v3", 3, 1500)); res.Updated != 1 || res.Accepted != 0 {
		t.Fatalf("v3: %+v", res)
	}
	if res := e.ingest(alice, steps("v2", 2, 1200)); res.Duplicates != 1 || res.Updated != 0 {
		t.Fatalf("v2 after v3: %+v", res)
	}
	if res := e.ingest(alice, steps("v3-again", 3, 1500)); res.Duplicates != 1 {
		t.Fatalf("v3 again: %+v", res)
	}
	var v float64
	if err := e.sqlDB.Get(&v, `SELECT value FROM samples WHERE user_id = $1`, alice); err != nil {
		t.Fatal(err)
	}
	if v != 1500 {
		t.Fatalf("stored %v, want the v3 value 1500", v)
	}
}

func TestSeriesRecordsArePointsUnderOneID(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	rec := func(key string, version int64, points int) ingest.Batch {
		s := ingest.SeriesSample{ID: "hr-record-1", Type: "HeartRate", Unit: "bpm", Start: t0, End: t0.Add(time.Hour),
			Source: ingest.Source{Name: "Pixel Watch", BundleID: ptr("com.google.android.apps.fitness")}, Version: ptr(version)}
		for i := 0; i < points; i++ {
			s.Points = append(s.Points, ingest.SeriesPoint{Time: t0.Add(time.Duration(i) * time.Minute), Value: ingest.Float(60 + i)})
		}
		s.Points = append(s.Points, s.Points[0]) // the same instant twice is kept once
		return ingest.Batch{IdempotencyKey: key, Provider: ingest.HealthConnect, Device: ingest.Device{ID: "pixel-1"},
			Series: []ingest.SeriesSample{s}}
	}
	if res := e.ingest(alice, rec("a", 1, 30)); res.Accepted != 1 {
		t.Fatalf("first: %+v", res)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1 AND sample_id = 'hr-record-1'`, alice); n != 30 {
		t.Fatalf("points stored = %d, want 30", n)
	}
	if res := e.ingest(alice, rec("b", 1, 30)); res.Duplicates != 1 {
		t.Fatalf("same version again: %+v", res)
	}
	// A corrected record with fewer points replaces every old point.
	if res := e.ingest(alice, rec("c", 2, 10)); res.Updated != 1 {
		t.Fatalf("newer version: %+v", res)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 10 {
		t.Fatalf("points after replacement = %d, want 10", n)
	}
	// A point outside the record's span rejects the record.
	bad := rec("d", 3, 5)
	bad.Series[0].Points[2].Time = t0.Add(2 * time.Hour)
	if res := e.ingest(alice, bad); len(res.Rejected) != 1 || res.Rejected[0].Code != ingest.CodeBadTime {
		t.Fatalf("point outside span: %+v", res)
	}
}

func TestCategorySamplesAndWorkoutsAreNormalized(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	b := batch("sleep-and-run")
	b.Categories = []ingest.CategorySample{
		{ID: "11111111-1111-4111-8111-111111111111", Type: "HKCategoryTypeIdentifierSleepAnalysis", Value: "HKCategoryValueSleepAnalysisAsleepCore",
			Start: t0, End: t0.Add(time.Hour), Source: watch, Metadata: map[string]any{"HKTimeZone": "America/New_York"}},
		{ID: "11111111-1111-4111-8111-111111111112", Type: "HKCategoryTypeIdentifierSleepAnalysis", Value: "5",
			Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), Source: watch},
		{ID: "11111111-1111-4111-8111-111111111113", Type: "HKCategoryTypeIdentifierMindfulSession",
			Start: t0, End: t0.Add(10 * time.Minute), Source: phone},
	}
	b.Workouts = []ingest.Workout{{ID: "22222222-2222-4222-8222-222222222222", ActivityType: "HKWorkoutActivityTypeRunning",
		Start: t0, End: t0.Add(45 * time.Minute), DurationSeconds: ptr(2400.0),
		Energy: &ingest.Quantity{Value: 2092, Unit: "kJ"}, Distance: &ingest.Quantity{Value: 5, Unit: "km"}, Source: watch}}
	res := e.ingest(alice, b)
	if res.Accepted != 4 || len(res.Rejected) != 0 {
		t.Fatalf("%+v", res)
	}
	var stages []struct {
		Value string `db:"value"`
		TZ    string `db:"time_zone"`
	}
	if err := e.sqlDB.Select(&stages, `SELECT value, time_zone FROM category_samples WHERE user_id = $1 AND category = 'sleep' ORDER BY start_time`, alice); err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 || stages[0].Value != "asleep_core" || stages[1].Value != "asleep_rem" {
		t.Fatalf("sleep stages %+v, want asleep_core then asleep_rem", stages)
	}
	if stages[0].TZ != "America/New_York" || stages[1].TZ != "Europe/Zurich" {
		t.Fatalf("time zones %+v: want HKTimeZone metadata first, then the device's zone", stages)
	}
	var w struct {
		Act      string  `db:"activity_type"`
		Dur      float64 `db:"duration_s"`
		Energy   float64 `db:"energy_kcal"`
		Distance float64 `db:"distance_m"`
	}
	if err := e.sqlDB.Get(&w, `SELECT activity_type, duration_s, energy_kcal, distance_m FROM workouts WHERE user_id = $1`, alice); err != nil {
		t.Fatal(err)
	}
	if w.Act != "running" || w.Dur != 2400 || w.Energy < 499.99 || w.Energy > 500.01 || w.Distance != 5000 {
		t.Fatalf("workout %+v", w)
	}
	// Deleting the workout works by the same deletions list.
	del := batch("del-workout")
	del.Deletions = []string{"22222222-2222-4222-8222-222222222222"}
	if res := e.ingest(alice, del); res.Deleted != 1 {
		t.Fatalf("delete workout: %+v", res)
	}
}

func TestSourcesAndSyncStateAreKeptPerDeviceAndType(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	hr := heartRates(9, 10, t0)
	steps := []ingest.QuantitySample{
		{ID: "33333333-3333-4333-8333-333333333331", Type: "HKQuantityTypeIdentifierStepCount", Value: 120, Unit: "count",
			Start: t0, End: t0.Add(10 * time.Minute), Source: phone},
		{ID: "33333333-3333-4333-8333-333333333332", Type: "HKQuantityTypeIdentifierStepCount", Value: 100, Unit: "count",
			Start: t0, End: t0.Add(12 * time.Minute), Source: watch, Metadata: map[string]any{"HKWasUserEntered": true}},
	}
	b := batch("sync-1", append(hr, steps...)...)
	b.Cursors = []ingest.Cursor{
		{Type: "HKQuantityTypeIdentifierHeartRate", Cursor: "anchor-hr-1"},
		{Type: "HKQuantityTypeIdentifierStepCount", Cursor: "anchor-steps-1", NewestSampleEnd: ptr(t0.Add(time.Hour))},
		{Type: "HKWorkoutTypeIdentifier", Cursor: "anchor-workouts-1"},
	}
	e.ingest(alice, b)
	if n := e.count(`SELECT count(*) FROM sources WHERE user_id = $1`, alice); n != 2 {
		t.Fatalf("sources = %d, want watch and phone", n)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1 AND user_entered`, alice); n != 1 {
		t.Fatalf("user-entered samples = %d, want the one with HKWasUserEntered", n)
	}
	var states []struct {
		Type   string     `db:"data_type"`
		Cursor *string    `db:"cursor"`
		Count  int        `db:"item_count"`
		Newest *time.Time `db:"newest_sample_end"`
	}
	load := func() {
		states = nil
		if err := e.sqlDB.Select(&states, `SELECT data_type, cursor, item_count, newest_sample_end FROM sync_state
			WHERE user_id = $1 AND device_id = 'iphone-install-1' ORDER BY data_type`, alice); err != nil {
			t.Fatal(err)
		}
	}
	load()
	if len(states) != 3 || states[0].Type != "heart_rate" || states[1].Type != "steps" || states[2].Type != "workout" {
		t.Fatalf("sync state %+v", states)
	}
	if *states[0].Cursor != "anchor-hr-1" || states[0].Count != 10 || !states[0].Newest.Equal(hr[9].End) {
		t.Fatalf("heart rate state %+v", states[0])
	}
	if states[1].Count != 2 || !states[1].Newest.Equal(t0.Add(time.Hour)) {
		t.Fatalf("steps state %+v", states[1])
	}
	// The next batch moves the cursor and adds to the count; a batch without a cursor keeps it.
	next := batch("sync-2", heartRates(10, 5, t0.Add(5*time.Hour))...)
	next.Cursors = []ingest.Cursor{{Type: "HeartRate", Cursor: "anchor-hr-2"}}
	e.ingest(alice, next)
	e.ingest(alice, batch("sync-3", heartRates(11, 1, t0.Add(9*time.Hour))...))
	load()
	if *states[0].Cursor != "anchor-hr-2" || states[0].Count != 16 {
		t.Fatalf("heart rate state after more batches %+v", states[0])
	}
	// Another device of the same user has its own rows and starts with no cursor.
	other := batch("ipad-1", heartRates(12, 1, t0)...)
	other.Device.ID = "ipad-install"
	e.ingest(alice, other)
	if n := e.count(`SELECT count(*) FROM sync_state WHERE user_id = $1 AND device_id = 'ipad-install' AND cursor IS NULL`, alice); n != 1 {
		t.Fatalf("new device rows = %d", n)
	}
}

func TestUsersAreIsolated(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	samples := heartRates(21, 5, t0)
	e.ingest(alice, batch("a-1", samples...))

	// Bob sends Alice's ids: stored as Bob's own samples, Alice's untouched.
	if res := e.ingest(bob, batch("b-1", samples...)); res.Accepted != 5 {
		t.Fatalf("bob's upload of the same ids: %+v", res)
	}
	// Bob deletes those ids: only his rows go.
	del := batch("b-del")
	del.Deletions = []string{samples[0].ID, samples[1].ID}
	if res := e.ingest(bob, del); res.Deleted != 2 {
		t.Fatalf("bob's deletion: %+v", res)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 5 {
		t.Fatalf("alice has %d samples after bob's deletion, want 5", n)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, bob); n != 3 {
		t.Fatalf("bob has %d samples, want 3", n)
	}
	// Reads in Bob's transaction see none of Alice's rows.
	err := e.store.InUserTx(context.Background(), bob, func(tx *dbTx) error {
		rows, err := tx.Samples(context.Background(), "heart_rate", t0.Add(-time.Hour), t0.Add(time.Hour), 100)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.ID == lower(samples[0].ID) || r.ID == lower(samples[1].ID) {
				t.Errorf("bob reads deleted id %s", r.ID)
			}
		}
		if len(rows) != 3 {
			t.Errorf("bob reads %d samples, want his 3", len(rows))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// PostgreSQL text cannot hold NUL: a NUL anywhere is that item's rejection (or the request's, in its key or
// device), never a failed transaction that a phone would retry forever.
func TestNULCharactersAreRejectedNotFatal(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	s := heartRates(31, 6, t0)
	s[0].Source.Name = "Watch\x00"
	s[1].Metadata = map[string]any{"note": "a\x00b"}
	s[2].Unit = "count/min\x00"
	s[3].Type = "HeartRate\x00"
	b := batch("nul", s...)
	b.Categories = []ingest.CategorySample{{ID: "44444444-4444-4444-8444-444444444444", Type: "HKCategoryTypeIdentifierMindfulSession",
		Value: "x\x00", Start: t0, End: t0.Add(time.Minute), Source: phone}}
	b.Cursors = []ingest.Cursor{{Type: "HeartRate", Cursor: "c\x00"}}
	res := e.ingest(alice, b)
	if res.Accepted != 2 || len(res.Rejected) != 6 {
		t.Fatalf("%+v", res)
	}
	for _, bad := range []ingest.Batch{
		func() ingest.Batch { b := batch("k\x00", s[4]); return b }(),
		func() ingest.Batch { b := batch("dev", s[4]); b.Device.Model = ptr("i\x00"); return b }(),
	} {
		if _, err := e.svc.Ingest(context.Background(), alice, bad); !errors.Is(err, ingest.ErrInvalidBatch) {
			t.Fatalf("err = %v, want ErrInvalidBatch", err)
		}
	}
}
