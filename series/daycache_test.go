package series

import (
	"context"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

// A day cached as empty must not hide data uploaded into it later, nor keep data deleted from it: the write and
// the deletion forget the cached day in their own transaction (no trigger since migration 0017).
func TestCachedEmptyDayIsForgottenByUploadAndDeletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	store := db.New(d, db.Options{})
	cat := catalog.New()
	now := time.Now().UTC().Truncate(time.Second)
	ing := ingest.NewService(store, cat, ingest.Limits{}, func() time.Time { return now })
	u, err := store.EnsureUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	day0 := now.Truncate(24*time.Hour).AddDate(0, 0, -5) // UTC midnight five days back
	empty := day0.AddDate(0, 0, 1)
	src := ingest.Source{Name: "Watch", BundleID: ptr("com.apple.health.W"), ProductType: ptr("Watch6,7")}
	steps := func(id string, at time.Time, v float64) ingest.QuantitySample {
		return ingest.QuantitySample{ID: id, Type: "HKQuantityTypeIdentifierStepCount", Value: ingest.Float(v),
			Unit: "count", Start: at, End: at.Add(30 * time.Minute), Source: src}
	}
	upload := func(key string, b ingest.Batch) {
		t.Helper()
		b.IdempotencyKey, b.Provider, b.Device = key, ingest.AppleHealth, ingest.Device{ID: "d"}
		if _, err := ing.Ingest(ctx, u.ID, b); err != nil {
			t.Fatal(err)
		}
	}
	upload("a", ingest.Batch{Samples: []ingest.QuantitySample{
		steps("00000000-0000-4000-8000-000000000001", day0.Add(9*time.Hour), 100),
		steps("00000000-0000-4000-8000-000000000002", day0.Add(50*time.Hour), 300)}})
	svc := NewService(store, cat)
	cachedRows := func() int {
		var n int
		if err := d.GetContext(ctx, &n, `SELECT count(*) FROM day_buckets WHERE user_id = $1 AND metric = 'steps'
			AND bucket_start = $2`, u.ID, empty); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// emptyDay reads three whole UTC days, both merged and per source, and returns the middle day's total.
	emptyDay := func(stage string) float64 {
		t.Helper()
		var got []float64
		for _, merge := range []MergeMode{MergePriority, MergeNone} {
			res, err := svc.Series(ctx, u.ID, Request{Metric: "steps", From: day0, To: day0.AddDate(0, 0, 3), Bucket: Day,
				TimeZone: "UTC", Merge: merge})
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != PathDayBuckets {
				t.Fatalf("%s: path %s, want %s (the test is about that cache)", stage, res.Path, PathDayBuckets)
			}
			v := 0.0
			for _, p := range res.Points {
				if p.Start.Equal(empty) {
					v = p.Value
				}
			}
			got = append(got, v)
		}
		if got[0] != got[1] {
			t.Fatalf("%s: merged %v, per source %v", stage, got[0], got[1])
		}
		if cachedRows() != 1 {
			t.Fatalf("%s: the day is not cached after the read", stage)
		}
		return got[0]
	}
	if v := emptyDay("before"); v != 0 {
		t.Fatalf("the empty day reads %v", v)
	}
	upload("b", ingest.Batch{Samples: []ingest.QuantitySample{steps("00000000-0000-4000-8000-000000000003", empty.Add(13*time.Hour), 250)}})
	if cachedRows() != 0 {
		t.Error("the upload left the cached day in place")
	}
	if v := emptyDay("after the upload"); v != 250 {
		t.Fatalf("after the upload the day reads %v, want 250", v)
	}
	upload("c", ingest.Batch{Deletions: []string{"00000000-0000-4000-8000-000000000003"}})
	if cachedRows() != 0 {
		t.Error("the deletion left the cached day in place")
	}
	if v := emptyDay("after the deletion"); v != 0 {
		t.Fatalf("after the deletion the day reads %v, want 0", v)
	}
}
