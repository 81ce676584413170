package series

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

// A rolling range ("the last year" = now − 365 days to now, now some minutes and seconds into an hour) must be
// served from the aggregates like a range on local midnights, with only its clipped ends read from raw samples,
// and answer exactly what the raw samples give.
func TestRollingRangesUseTheAggregatesAndEqualRaw(t *testing.T) {
	ctx := context.Background()
	store := db.New(dbtest.New(t), db.Options{})
	cat := catalog.New()
	// The clock of the code under test, with minutes and seconds (never on the hour, which would align the range).
	now := time.Now().Truncate(time.Second)
	if now.Truncate(time.Minute).Equal(now) {
		now = now.Add(-13 * time.Second)
	}
	ing := ingest.NewService(store, cat, ingest.Limits{}, func() time.Time { return now })
	u, err := store.EnsureUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	// 220 days hold a change of Berlin's clock whatever today is (the changes are at most 217 days apart).
	const span = 220
	first := now.Add(-span * 24 * time.Hour)
	r := rand.New(rand.NewPCG(21, 4))
	sources := []ingest.Source{
		{Name: "Watch", BundleID: ptr("com.apple.health.W"), ProductType: ptr("Watch6,7")},
		{Name: "iPhone", BundleID: ptr("com.apple.health.P"), ProductType: ptr("iPhone15,2")},
	}
	var samples []ingest.QuantitySample
	id := 0
	add := func(typ, unit string, v float64, start, end time.Time, src ingest.Source) {
		if end.After(now) {
			return
		}
		id++
		samples = append(samples, ingest.QuantitySample{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", id), Type: typ,
			Value: ingest.Float(v), Unit: unit, Start: start, End: end, Source: src})
	}
	for t0 := first; t0.Before(now); t0 = t0.Add(23 * time.Minute) {
		// Heart rate at odd seconds, from both sources.
		at := t0.Add(time.Duration(r.IntN(1380)) * time.Second)
		add("HKQuantityTypeIdentifierHeartRate", "count/min", float64(45+r.IntN(120)), at, at, sources[r.IntN(2)])
		if r.IntN(3) == 0 {
			// Walking bouts from the watch and, over a shifted interval, the phone: the merge has overlaps to
			// resolve, some across hour and day edges.
			s := t0.Add(time.Duration(r.IntN(1380)) * time.Second)
			d := time.Duration(1+r.IntN(90)) * time.Minute
			add("HKQuantityTypeIdentifierStepCount", "count", float64(r.IntN(3000)), s, s.Add(d), sources[0])
			shift := time.Duration(r.IntN(40)-20) * time.Minute
			add("HKQuantityTypeIdentifierStepCount", "count", float64(r.IntN(3000)), s.Add(shift), s.Add(shift+d+7*time.Minute), sources[1])
		}
	}
	for k := 0; k < len(samples); k += 5000 {
		batch := ingest.Batch{IdempotencyKey: fmt.Sprint("b", k), Provider: ingest.AppleHealth, Device: ingest.Device{ID: "d"},
			Samples: samples[k:min(k+5000, len(samples))]}
		if _, err := ing.Ingest(ctx, u.ID, batch); err != nil {
			t.Fatal(err)
		}
	}
	berlin := mustZone("Europe/Berlin")
	// A Berlin day of 23 or 25 hours in the data: hour buckets over it from and to some minutes into an hour.
	var dst time.Time
	for d := time.Date(first.Year(), first.Month(), first.Day()+1, 0, 0, 0, 0, berlin); d.Before(now); d = d.AddDate(0, 0, 1) {
		if d.AddDate(0, 0, 1).Sub(d) != 24*time.Hour {
			dst = d
		}
	}
	if dst.IsZero() {
		t.Fatal("no change of Berlin's clock in the data")
	}
	svc := NewService(store, cat)
	type rng struct {
		name     string
		bucket   Bucket
		from, to time.Time
	}
	ranges := []rng{
		{"DAY, 200 days to now", Day, now.AddDate(0, 0, -200), now},
		{"HOUR, a week to now", Hour, now.AddDate(0, 0, -7), now},
		{"WEEK, 200 days to now", Week, now.AddDate(0, 0, -200), now},
		{"MONTH, 200 days to now", Month, now.AddDate(0, 0, -200), now},
		{"HOUR across a change of the clock", Hour, dst.Add(-26*time.Hour - 17*time.Minute - 3*time.Second), dst.Add(29*time.Hour + 41*time.Minute + 9*time.Second)},
		{"DAY across a change of the clock", Day, dst.Add(-50*time.Hour - 17*time.Minute - 3*time.Second), dst.Add(49*time.Hour + 41*time.Minute + 9*time.Second)},
	}
	compare := func(t *testing.T) {
		for _, rg := range ranges {
			for _, mm := range []struct {
				metric string
				merge  MergeMode
			}{{"heart_rate", MergePriority}, {"steps", MergePriority}, {"steps", MergeNone}} {
				t.Run(rg.name+"/"+mm.metric+"/"+string(mm.merge), func(t *testing.T) {
					req := Request{Metric: mm.metric, From: rg.from, To: rg.to, Bucket: rg.bucket, TimeZone: "Europe/Berlin", Merge: mm.merge}
					fast, err := svc.Series(ctx, u.ID, req)
					if err != nil {
						t.Fatal(err)
					}
					req.forceRaw = true
					raw, err := svc.Series(ctx, u.ID, req)
					if err != nil {
						t.Fatal(err)
					}
					if fast.Path == PathRaw || raw.Path != PathRaw {
						t.Fatalf("paths %s and %s: the rolling range did not come from the aggregates", fast.Path, raw.Path)
					}
					if len(fast.Points) != len(raw.Points) || len(raw.Points) < 2 {
						t.Fatalf("%d points from the aggregates, %d from raw samples", len(fast.Points), len(raw.Points))
					}
					for i, w := range raw.Points {
						if g := fast.Points[i]; !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Count != w.Count ||
							g.Value != w.Value || g.Sum != w.Sum || !equalPtr(g.Min, w.Min) || !equalPtr(g.Max, w.Max) || !equalPtr(g.Avg, w.Avg) {
							t.Fatalf("point %d: aggregates %s, raw samples %s", i, show(g), show(w))
						}
					}
				})
			}
		}
	}
	compare(t)
	// Again from the warm caches, and after a write emptied some of them.
	t.Run("warm", compare)
	var late []ingest.QuantitySample
	for k := range 20 {
		s := now.Add(-time.Duration(1+k*7) * time.Hour).Add(-time.Duration(r.IntN(3600)) * time.Second)
		late = append(late, ingest.QuantitySample{ID: fmt.Sprintf("11111111-0000-4000-8000-%012d", k), Type: "HKQuantityTypeIdentifierStepCount",
			Value: ingest.Float(r.IntN(900)), Unit: "count", Start: s, End: s.Add(40 * time.Minute), Source: sources[1]})
	}
	if _, err := ing.Ingest(ctx, u.ID, ingest.Batch{IdempotencyKey: "late", Provider: ingest.AppleHealth, Device: ingest.Device{ID: "d"}, Samples: late}); err != nil {
		t.Fatal(err)
	}
	t.Run("after a write", compare)
	// The day cache holds whole local days only: a range ending at each new "now" must not leave a clipped day
	// behind per request.
	var clipped int
	err = store.InUserTx(ctx, u.ID, func(tx *db.Tx) error {
		rows, err := tx.DayBuckets(ctx, []string{"steps", "heart_rate"}, first.AddDate(0, 0, -2), now.AddDate(0, 0, 2))
		for _, row := range rows {
			if s := row.Start.In(berlin); s.Hour() != 0 || s.Minute() != 0 || s.Second() != 0 || !row.End.Equal(s.AddDate(0, 0, 1)) {
				clipped++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if clipped != 0 {
		t.Fatalf("the day cache holds %d clipped days", clipped)
	}
}

func equalPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func show(p Point) string {
	f := func(v *float64) string {
		if v == nil {
			return "nil"
		}
		return fmt.Sprint(*v)
	}
	return fmt.Sprintf("{%s–%s n=%d value=%v sum=%v min=%s max=%s avg=%s}", p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339),
		p.Count, p.Value, p.Sum, f(p.Min), f(p.Max), f(p.Avg))
}
