package series

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}

// The hourly aggregate and the raw samples must give the same series wherever the aggregate is used.
func TestAggregatePathEqualsRawPath(t *testing.T) {
	store := db.New(dbtest.New(t), db.Options{})
	cat := catalog.New()
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	ing := ingest.NewService(store, cat, ingest.Limits{}, func() time.Time { return now })
	u, err := store.EnsureUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 9))
	start := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	sources := []ingest.Source{
		{Name: "Watch", BundleID: ptr("com.apple.health.W"), ProductType: ptr("Watch6,7")},
		{Name: "iPhone", BundleID: ptr("com.apple.health.P"), ProductType: ptr("iPhone15,2")},
		{Name: "Oura", BundleID: ptr("com.ouraring.oura")},
	}
	for b := 0; b < 4; b++ {
		batch := ingest.Batch{IdempotencyKey: fmt.Sprint("b", b), Provider: ingest.AppleHealth, Device: ingest.Device{ID: "d"}}
		for i := 0; i < 800; i++ {
			s := start.Add(time.Duration(r.IntN(30*24*60)) * time.Minute).Add(time.Duration(r.IntN(60)) * time.Second)
			id := fmt.Sprintf("%08X-0000-4000-8000-%012d", b, i)
			src := sources[r.IntN(3)]
			if i%2 == 0 {
				batch.Samples = append(batch.Samples, ingest.QuantitySample{ID: id, Type: "HKQuantityTypeIdentifierStepCount",
					Value: ingest.Float(r.IntN(2000)), Unit: "count", Start: s, End: s.Add(time.Duration(r.IntN(200)) * time.Minute), Source: src})
			} else {
				batch.Samples = append(batch.Samples, ingest.QuantitySample{ID: id, Type: "HKQuantityTypeIdentifierHeartRate",
					Value: ingest.Float(45 + r.IntN(120)), Unit: "count/min", Start: s, End: s, Source: src})
			}
		}
		if _, err := ing.Ingest(context.Background(), u.ID, batch); err != nil {
			t.Fatal(err)
		}
	}
	svc := NewService(store, cat)
	compare := func(t *testing.T) {
		for _, tc := range []struct {
			metric string
			bucket Bucket
			zone   string
			merge  MergeMode
		}{
			{"steps", Hour, "UTC", ""}, {"steps", Day, "Europe/Berlin", ""}, {"steps", Week, "America/Los_Angeles", ""},
			{"steps", Day, "Europe/Berlin", MergePriority}, {"steps", Hour, "UTC", MergePriority}, {"steps", Month, "Asia/Tokyo", MergePriority},
			{"heart_rate", Hour, "Europe/Berlin", ""}, {"heart_rate", Day, "Australia/Sydney", ""}, {"heart_rate", Month, "UTC", ""},
			// Local days across DST changes (Berlin 25 Oct, Los Angeles 1 Nov 2026), merged, unmerged and discrete,
			// and a zone whose days do not start on UTC hours (raw samples on both sides).
			{"steps", Day, "America/Los_Angeles", MergePriority}, {"steps", Day, "America/Los_Angeles", MergeNone},
			{"heart_rate", Day, "America/Los_Angeles", ""}, {"heart_rate", Day, "Europe/Berlin", ""},
			{"steps", Day, "Asia/Kolkata", MergePriority}, {"heart_rate", Day, "Asia/Kathmandu", ""},
		} {
			t.Run(tc.metric+"/"+string(tc.bucket)+"/"+tc.zone+"/"+string(tc.merge), func(t *testing.T) {
				loc, _ := time.LoadLocation(tc.zone)
				from := time.Date(2026, 10, 18, 0, 0, 0, 0, loc)
				to := time.Date(2026, 11, 22, 0, 0, 0, 0, loc)
				if tc.bucket == Day {
					// A range that starts and ends inside days: the first and last buckets are clipped.
					from, to = from.Add(5*time.Hour), to.Add(-7*time.Hour)
				}
				merge := MergeNone
				if tc.merge != "" {
					merge = tc.merge
				}
				req := Request{Metric: tc.metric, From: from, To: to, Bucket: tc.bucket, TimeZone: tc.zone, Merge: merge}
				agg, err := svc.Series(context.Background(), u.ID, req)
				if err != nil {
					t.Fatal(err)
				}
				req.forceRaw = true
				raw, err := svc.Series(context.Background(), u.ID, req)
				if err != nil {
					t.Fatal(err)
				}
				want := map[Path]bool{PathHourly: true, PathMergedCache: true}
				if tc.bucket == Day {
					want = map[Path]bool{PathDayBuckets: true}
				}
				if _, off := from.Zone(); off%3600 != 0 {
					want = map[Path]bool{PathRaw: true}
				}
				if !want[agg.Path] || raw.Path != PathRaw {
					t.Fatalf("paths %s and %s", agg.Path, raw.Path)
				}
				if len(agg.Points) != len(raw.Points) || len(agg.Points) == 0 {
					t.Fatalf("%d points from the aggregate, %d from raw samples", len(agg.Points), len(raw.Points))
				}
				for i := range raw.Points {
					a, w := agg.Points[i], raw.Points[i]
					if !a.Start.Equal(w.Start) || a.Count != w.Count || !close(a.Value, w.Value) || !close(a.Sum, w.Sum) ||
						!samePtr(a.Min, w.Min) || !samePtr(a.Max, w.Max) || !samePtr(a.Avg, w.Avg) {
						t.Fatalf("point %d: aggregate %+v, raw %+v", i, a, w)
					}
				}
			})
		}
	}
	// DailyPoints (a home page's metrics together) must give each metric's merged DAY series.
	daily := func(t *testing.T) {
		for _, zone := range []string{"Europe/Berlin", "Asia/Kolkata"} {
			loc, _ := time.LoadLocation(zone)
			from, to := time.Date(2026, 10, 18, 0, 0, 0, 0, loc), time.Date(2026, 11, 22, 0, 0, 0, 0, loc)
			metrics := []string{"steps", "heart_rate"}
			var got [][]Point
			err := store.InUserTx(context.Background(), u.ID, func(tx *db.Tx) (err error) {
				got, err = svc.DailyPoints(context.Background(), tx, metrics, from, to, loc)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range metrics {
				raw, err := svc.Series(context.Background(), u.ID, Request{Metric: m, From: from, To: to, Bucket: Day,
					TimeZone: zone, Merge: MergePriority, forceRaw: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(got[i]) != len(raw.Points) || len(raw.Points) == 0 {
					t.Fatalf("%s %s: %d points, raw %d", zone, m, len(got[i]), len(raw.Points))
				}
				for k, w := range raw.Points {
					if a := got[i][k]; !a.Start.Equal(w.Start) || a.Count != w.Count || !close(a.Value, w.Value) {
						t.Fatalf("%s %s point %d: %+v, raw %+v", zone, m, k, a, w)
					}
				}
			}
		}
	}
	compare(t)
	t.Run("daily points", daily)
	// Writes after the cache was filled: new overlapping samples, deletions, a new source. The cache must follow.
	more := ingest.Batch{IdempotencyKey: "later", Provider: ingest.AppleHealth, Device: ingest.Device{ID: "d"}}
	for i := 0; i < 300; i++ {
		s := start.Add(time.Duration(r.IntN(30*24*60)) * time.Minute)
		more.Samples = append(more.Samples, ingest.QuantitySample{ID: fmt.Sprintf("FFFFFFFF-0000-4000-8000-%012d", i),
			Type: "HKQuantityTypeIdentifierStepCount", Value: ingest.Float(r.IntN(2000)), Unit: "count", Start: s,
			End: s.Add(time.Duration(r.IntN(200)) * time.Minute), Source: sources[r.IntN(3)]})
	}
	for i := 0; i < 800; i += 3 {
		more.Deletions = append(more.Deletions, fmt.Sprintf("%08X-0000-4000-8000-%012d", 1, i))
	}
	if _, err := ing.Ingest(context.Background(), u.ID, more); err != nil {
		t.Fatal(err)
	}
	t.Run("after more writes", compare)
	t.Run("daily points after more writes", daily)
	// A new source order changes merged totals: the cached ones must go.
	err = store.InUserTx(context.Background(), u.ID, func(tx *db.Tx) error {
		all, err := tx.Sources(context.Background())
		if err != nil {
			return err
		}
		ids := make([]int64, len(all))
		for i, src := range all {
			ids[len(all)-1-i] = src.ID
		}
		return tx.SetSourcePriority(context.Background(), "steps", ids)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("after a priority change", compare)
	t.Run("daily points after a priority change", daily)
}

func close(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func samePtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return close(*a, *b)
}

func ptr[T any](v T) *T { return &v }
