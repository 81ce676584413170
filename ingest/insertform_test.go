package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

// The multi-row VALUES form (what Citus needs) stores exactly what the unnest form stores: the same batches,
// with duplicates, a versioned replacement, categories, workouts, sources, cursors, deletions and a batch large
// enough to be split under the parameter limit, give the same answers and the same rows in both.
func TestInsertFormsStoreTheSameRows(t *testing.T) {
	dbtest.SkipOnCitus(t, "compares the unnest form with VALUES, and Citus cannot run unnest inserts under row-level security (the tests there use VALUES)")
	t.Parallel()
	ctx := context.Background()
	forms := []db.InsertForm{db.InsertUnnest, db.InsertValues}
	dumps := make([]map[string]string, len(forms))
	answers := make([][]string, len(forms))
	for f, form := range forms {
		d := dbtest.New(t)
		store := db.New(d, db.Options{InsertForm: form})
		svc := ingest.NewService(store, catalog.New(), ingest.Limits{MaxItems: 20000}, func() time.Time { return testNow })
		u, err := store.EnsureUser(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range insertFormBatches() {
			res, err := svc.Ingest(ctx, u.ID, b)
			if err != nil {
				t.Fatalf("%s: %s: %v", form, b.IdempotencyKey, err)
			}
			answers[f] = append(answers[f], fmt.Sprintf("%s: accepted %d, duplicates %d, updated %d, deleted %d, rejected %d",
				b.IdempotencyKey, res.Accepted, res.Duplicates, res.Updated, res.Deleted, len(res.Rejected)))
		}
		dumps[f] = map[string]string{}
		// Everything but the database's own clock (ingested_at, deleted_at).
		for _, tb := range []string{"samples", "category_samples", "workouts", "sample_hourly", "sources", "sync_state", "deletions"} {
			var s string
			if err := d.GetContext(ctx, &s, `SELECT coalesce(json_agg(j ORDER BY j::text), '[]')::text
				FROM (SELECT to_jsonb(t) - 'ingested_at' - 'deleted_at' AS j FROM `+tb+` t) x`); err != nil {
				t.Fatal(err)
			}
			dumps[f][tb] = s
		}
	}
	for i := range answers[0] {
		if answers[0][i] != answers[1][i] {
			t.Errorf("unnest: %s\nvalues: %s", answers[0][i], answers[1][i])
		}
	}
	for tb, want := range dumps[0] {
		if len(want) < 10 {
			t.Errorf("%s is empty: the comparison proves nothing", tb)
		}
		if got := dumps[1][tb]; got != want {
			t.Errorf("%s differs between the forms:\nunnest %.600s\nvalues %.600s", tb, want, got)
		}
	}
}

func insertFormBatches() []ingest.Batch {
	start := testNow.AddDate(0, 0, -20)
	big := heartRates(7, 6000, start) // more rows than one VALUES statement takes (maxValuesRows)
	steps := make([]ingest.QuantitySample, 50)
	for i := range steps {
		at := start.Add(time.Duration(i*37) * time.Minute)
		steps[i] = ingest.QuantitySample{ID: fmt.Sprintf("5A000000-0000-4000-8000-%012d", i), Type: "HKQuantityTypeIdentifierStepCount",
			Value: ingest.Float(100 + i), Unit: "count", Start: at, End: at.Add(95 * time.Minute), Source: phone, TimeZone: ptr("Europe/Zurich")}
	}
	first := batch("big", big...)
	first.Cursors = []ingest.Cursor{{Type: "HKQuantityTypeIdentifierHeartRate", Cursor: "a1", NewestSampleEnd: ptr(big[len(big)-1].End)}}
	mixed := batch("mixed", append(append([]ingest.QuantitySample{}, big[5990:]...), steps...)...)
	mixed.Categories = []ingest.CategorySample{
		{ID: "11111111-1111-4111-8111-111111111111", Type: "HKCategoryTypeIdentifierSleepAnalysis", Value: "HKCategoryValueSleepAnalysisAsleepCore",
			Start: start, End: start.Add(time.Hour), Source: watch, Metadata: map[string]any{"HKTimeZone": "America/New_York"}},
		{ID: "11111111-1111-4111-8111-111111111113", Type: "HKCategoryTypeIdentifierMindfulSession",
			Start: start, End: start.Add(10 * time.Minute), Source: phone},
	}
	mixed.Workouts = []ingest.Workout{
		{ID: "22222222-2222-4222-8222-222222222222", ActivityType: "HKWorkoutActivityTypeRunning",
			Start: start, End: start.Add(45 * time.Minute), DurationSeconds: ptr(2400.0),
			Energy: &ingest.Quantity{Value: 2092, Unit: "kJ"}, Distance: &ingest.Quantity{Value: 5, Unit: "km"}, Source: watch},
		{ID: "22222222-2222-4222-8222-222222222223", ActivityType: "HKWorkoutActivityTypeYoga",
			Start: start.Add(3 * time.Hour), End: start.Add(4 * time.Hour), Source: phone},
		{ID: "22222222-2222-4222-8222-222222222224", ActivityType: "HKWorkoutActivityTypeRunning",
			Start: start.Add(5 * time.Hour), End: start.Add(6 * time.Hour), Source: watch,
			Segments: []ingest.WorkoutSegment{{Start: start.Add(5 * time.Hour), End: start.Add(5*time.Hour + 30*time.Minute), Type: "HKWorkoutActivityTypeRunning"}},
			Laps: []ingest.WorkoutLap{{Start: start.Add(5 * time.Hour), End: start.Add(5*time.Hour + 10*time.Minute),
				Distance: &ingest.Quantity{Value: 2, Unit: "km"}}},
			Events: []ingest.WorkoutEvent{{Type: "HKWorkoutEventTypePause", Start: start.Add(5*time.Hour + 20*time.Minute)}}},
	}
	mixed.Cursors = []ingest.Cursor{{Type: "HKQuantityTypeIdentifierHeartRate", Cursor: "a2"}, {Type: "HKQuantityTypeIdentifierStepCount", Cursor: "s1"}}
	replaced := steps[3]
	replaced.Version, replaced.Value = ptr(int64(2)), 999
	again := batch("again", steps[:10]...) // all stored already
	update := batch("update", replaced)
	del := batch("delete")
	del.Deletions = []string{steps[7].ID, big[100].ID, "11111111-1111-4111-8111-111111111113", "never-stored"}
	return []ingest.Batch{first, mixed, again, update, del}
}
