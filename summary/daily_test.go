package summary_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"healthsync/db"
	"healthsync/devtools/seed"
	"healthsync/ingest"
	"healthsync/series"
	"healthsync/sleep"
	"healthsync/summary"
)

func TestMain(m *testing.M) { seed.Main(m) }

func ptr[T any](v T) *T { return &v }

func show(d summary.Day) string {
	f := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	return fmt.Sprintf("%s steps=%s(%s) sleep=%s workouts=%d", d.Date.Format(time.DateOnly), f(d.Steps), d.StepsSource,
		f(d.SleepMinutes), d.Workouts)
}

// Three days of one user: steps from samples, the night that ended on the second day, a workout on the first;
// the third day has nothing. Daily in its own transaction and DailyTx in the caller's answer the same.
func TestDailyPutsEachDaysDataOnItsDate(t *testing.T) {
	ctx := context.Background()
	e := seed.New(t)
	store := e.Store
	alice := e.User(t, "alice")
	d0 := e.Now.Truncate(24*time.Hour).AddDate(0, 0, -10)
	d1 := d0.AddDate(0, 0, 1)
	watch := ingest.Source{Name: "Watch", ProductType: ptr("Watch6,7")}
	steps := func(id int, at time.Time, n float64) ingest.QuantitySample {
		return ingest.QuantitySample{ID: fmt.Sprintf("D0000000-0000-4000-8000-%012d", id), Type: "HKQuantityTypeIdentifierStepCount",
			Value: ingest.Float(n), Unit: "count", Start: at, End: at.Add(10 * time.Minute), Source: watch}
	}
	b := ingest.Batch{IdempotencyKey: "days", Provider: ingest.AppleHealth, Device: ingest.Device{ID: "phone"},
		Samples: []ingest.QuantitySample{steps(1, d0.Add(10*time.Hour), 1000), steps(2, d1.Add(15*time.Hour), 500)},
		Categories: []ingest.CategorySample{{ID: "D0000000-0000-4000-8000-000000000010", Type: "HKCategoryTypeIdentifierSleepAnalysis",
			Value: "HKCategoryValueSleepAnalysisAsleepCore", Start: d1.Add(-time.Hour), End: d1.Add(7 * time.Hour), Source: watch}},
		Workouts: []ingest.Workout{{ID: "D0000000-0000-4000-8000-000000000020", ActivityType: "HKWorkoutActivityTypeRunning",
			Start: d0.Add(12 * time.Hour), End: d0.Add(13 * time.Hour), Source: watch}},
	}
	e.Upload(t, alice.ID, b)
	reads := series.NewService(store, e.Catalog)
	svc := summary.NewService(store, reads, sleep.NewService(store, reads))
	req := summary.Request{From: d0, To: d0.AddDate(0, 0, 2), TimeZone: "UTC"}
	want := []string{
		d0.Format(time.DateOnly) + " steps=1000(SAMPLES) sleep=- workouts=1",
		d1.Format(time.DateOnly) + " steps=500(SAMPLES) sleep=480 workouts=0",
		d1.AddDate(0, 0, 1).Format(time.DateOnly) + " steps=-() sleep=- workouts=0",
	}
	check := func(name string, days []summary.Day) {
		t.Helper()
		if len(days) != len(want) {
			t.Fatalf("%s: %d days, want %d", name, len(days), len(want))
		}
		for i, d := range days {
			if got := show(d); got != want[i] {
				t.Errorf("%s: %s, want %s", name, got, want[i])
			}
		}
	}
	days, err := svc.Daily(ctx, alice.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	check("Daily", days)
	err = store.InUserTx(ctx, alice.ID, func(tx *db.Tx) error {
		days, err := svc.DailyTx(ctx, tx, req)
		if err == nil {
			check("DailyTx", days)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	if days, err := svc.Daily(ctx, e.User(t, "bob").ID, req); err != nil || len(days) != 3 || days[0].Steps != nil || days[0].Workouts != 0 {
		t.Fatalf("bob's days carry alice's data: %v %v", days, err)
	}
	for _, bad := range []summary.Request{
		{From: d1, To: d0},
		{From: d0, To: d0.AddDate(0, 0, summary.MaxDays)},
	} {
		if _, err := svc.Daily(ctx, alice.ID, bad); !errors.Is(err, summary.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := svc.Daily(ctx, alice.ID, summary.Request{From: d0, To: d0.AddDate(0, 0, summary.MaxDays-1)}); err != nil {
		t.Errorf("366 days: %v", err)
	}
}
