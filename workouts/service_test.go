package workouts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"healthsync/devtools/seed"
	"healthsync/ingest"
	"healthsync/workouts"
)

func TestMain(m *testing.M) { seed.Main(m) }

func ptr[T any](v T) *T { return &v }

// A run recorded by the watch and Strava is one workout from the watch naming Strava; its own metadata average
// wins over the samples while the samples fill its missing maximum; pages of one follow the cursor.
func TestPageOneRecordingPerSessionWithHeartRate(t *testing.T) {
	ctx := context.Background()
	e := seed.New(t)
	alice := e.User(t, "alice")
	day := e.Now.Truncate(24*time.Hour).AddDate(0, 0, -5)
	run, ride := day.Add(7*time.Hour), day.Add(12*time.Hour)
	watch := ingest.Source{Name: "Watch", ProductType: ptr("Watch6,7")}
	strava := ingest.Source{Name: "Strava", BundleID: ptr("com.strava.stravaride")}
	b := ingest.Batch{IdempotencyKey: "day", Provider: ingest.AppleHealth, Device: ingest.Device{ID: "phone"},
		Workouts: []ingest.Workout{
			{ID: "A0000000-0000-4000-8000-000000000001", ActivityType: "HKWorkoutActivityTypeRunning", Start: run,
				End: run.Add(55 * time.Minute), Source: watch, Metadata: map[string]any{"averageHeartRate": 150.0}},
			{ID: "A0000000-0000-4000-8000-000000000002", ActivityType: "HKWorkoutActivityTypeRunning", Start: run.Add(3 * time.Minute),
				End: run.Add(61 * time.Minute), Source: strava},
			{ID: "A0000000-0000-4000-8000-000000000003", ActivityType: "HKWorkoutActivityTypeCycling", Start: ride,
				End: ride.Add(time.Hour), Source: watch},
		},
		Samples: []ingest.QuantitySample{
			{ID: "A0000000-0000-4000-8000-000000000011", Type: "HKQuantityTypeIdentifierHeartRate", Value: 140, Unit: "count/min",
				Start: run.Add(10 * time.Minute), End: run.Add(10 * time.Minute), Source: watch},
			{ID: "A0000000-0000-4000-8000-000000000012", Type: "HKQuantityTypeIdentifierHeartRate", Value: 170, Unit: "count/min",
				Start: run.Add(30 * time.Minute), End: run.Add(30 * time.Minute), Source: watch},
		}}
	e.Upload(t, alice.ID, b)
	svc := workouts.NewService(e.Store)
	one := 1
	req := workouts.PageRequest{From: day, To: day.Add(24 * time.Hour), First: &one}

	first, err := svc.Page(ctx, alice.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Workouts) != 1 || !first.HasNext || first.Workouts[0].ActivityType != "cycling" {
		t.Fatalf("first page: %+v", first)
	}
	ride1 := first.Workouts[0]
	if ride1.AverageHeartRate != nil || ride1.MaxHeartRate != nil || ride1.Source.Name != "Watch" {
		t.Fatalf("the ride has no heart rate of its own or from samples: %+v", ride1)
	}
	req.After = &ride1.Cursor
	second, err := svc.Page(ctx, alice.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Workouts) != 1 || second.HasNext {
		t.Fatalf("second page: %+v", second)
	}
	w := second.Workouts[0]
	if !strings.EqualFold(w.ID, "A0000000-0000-4000-8000-000000000001") || w.Source.Name != "Watch" || len(w.AlsoRecordedBy) != 1 ||
		w.AlsoRecordedBy[0].Name != "Strava" {
		t.Fatalf("the run from the watch naming Strava: %+v", w)
	}
	if w.AverageHeartRate == nil || *w.AverageHeartRate != 150 || w.MaxHeartRate == nil || *w.MaxHeartRate != 170 {
		t.Fatalf("heart rate: average %v (metadata 150), max %v (samples 170)", w.AverageHeartRate, w.MaxHeartRate)
	}

	if p, err := svc.Page(ctx, e.User(t, "bob").ID, workouts.PageRequest{From: day, To: day.Add(24 * time.Hour)}); err != nil || len(p.Workouts) != 0 {
		t.Fatalf("bob's page: %+v %v", p, err)
	}
	bad, zero := "not a cursor", 0
	for _, r := range []workouts.PageRequest{
		{From: day, To: day},
		{From: day, To: day.Add(time.Hour), After: &bad},
		{From: day, To: day.Add(time.Hour), First: &zero},
	} {
		if _, err := svc.Page(ctx, alice.ID, r); !errors.Is(err, workouts.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", r, err)
		}
	}
}
