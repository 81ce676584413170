package series

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/bench/naive"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

// A year of one Apple Watch wearer: heart rate every 5 minutes, steps from the watch and the phone every 10
// minutes while awake (overlapping by half), so the reads below run on a realistic year.
type yearFixture struct {
	svc    *Service
	store  *db.Store
	user   int64
	from   time.Time
	loc    *time.Location
	loaded int
}

func loadYear(b *testing.B) yearFixture {
	var fixture yearFixture
	var fixtureErr error
	func() {
		ctx := context.Background()
		d := dbtest.New(b)
		store := db.New(d, db.Options{StatementTimeout: 5 * time.Minute})
		cat := catalog.New()
		loc, _ := time.LoadLocation("Europe/Zurich")
		from := time.Date(2025, 11, 1, 0, 0, 0, 0, loc)
		ing := ingest.NewService(store, cat, ingest.Limits{MaxItems: 20000}, func() time.Time { return from.AddDate(1, 0, 2) })
		u, err := store.EnsureUser(ctx, "year")
		if err != nil {
			fixtureErr = err
			return
		}
		watch := ingest.Source{Name: "Apple Watch", BundleID: ptr("com.apple.health.W"), ProductType: ptr("Watch6,7")}
		phone := ingest.Source{Name: "iPhone", BundleID: ptr("com.apple.health.P"), ProductType: ptr("iPhone15,2")}
		r := rand.New(rand.NewPCG(1, 2))
		batch := ingest.Batch{Provider: ingest.AppleHealth, Device: ingest.Device{ID: "phone", TimeZone: ptr("Europe/Zurich")}}
		n, nb := 0, 0
		flush := func() {
			batch.IdempotencyKey = fmt.Sprint("year-", nb)
			nb++
			if _, err := ing.Ingest(ctx, u.ID, batch); err != nil && fixtureErr == nil {
				fixtureErr = err
			}
			batch.Samples = batch.Samples[:0]
		}
		for t := from; t.Before(from.AddDate(1, 0, 0)); t = t.Add(5 * time.Minute) {
			n++
			batch.Samples = append(batch.Samples, ingest.QuantitySample{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
				Type: "HKQuantityTypeIdentifierHeartRate", Value: ingest.Float(55 + r.IntN(60)), Unit: "count/min", Start: t, End: t, Source: watch})
			if h := t.In(loc).Hour(); h >= 7 && h < 23 && t.Minute()%10 == 0 {
				n++
				batch.Samples = append(batch.Samples, ingest.QuantitySample{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
					Type: "HKQuantityTypeIdentifierStepCount", Value: ingest.Float(r.IntN(400)), Unit: "count", Start: t, End: t.Add(10 * time.Minute), Source: watch})
				n++
				batch.Samples = append(batch.Samples, ingest.QuantitySample{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
					Type: "HKQuantityTypeIdentifierStepCount", Value: ingest.Float(r.IntN(400)), Unit: "count", Start: t.Add(5 * time.Minute), End: t.Add(15 * time.Minute), Source: phone})
			}
			if len(batch.Samples) >= 10000 {
				flush()
			}
		}
		flush()
		if _, err := d.Exec(`VACUUM ANALYZE`); err != nil && fixtureErr == nil {
			fixtureErr = err
		}
		fixture = yearFixture{svc: NewService(store, cat), store: store, user: u.ID, from: from, loc: loc, loaded: n}
	}()
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixture
}

func benchSeries(b *testing.B, f yearFixture, req Request, want Path) {
	req.TimeZone = "Europe/Zurich"
	if req.From.IsZero() {
		req.From, req.To = f.from, f.from.AddDate(1, 0, 0)
	}
	// One untimed call first: the merged path fills its cache on first use (timed apart in MergedCacheFill).
	if _, err := f.svc.Series(context.Background(), f.user, req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := f.svc.Series(context.Background(), f.user, req)
		if err != nil {
			b.Fatal(err)
		}
		if res.Path != want || len(res.Points) == 0 {
			b.Fatalf("path %s with %d points", res.Path, len(res.Points))
		}
	}
}

func naiveDaily(b *testing.B, f yearFixture, metric string) {
	for i := 0; i < b.N; i++ {
		n, err := naive.Daily(context.Background(), f.store.DB(), f.user, metric, f.from, f.from.AddDate(1, 0, 0), "Europe/Zurich")
		if err == nil && n == 0 {
			err = fmt.Errorf("no rows")
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReads times dashboard reads over a year of one user's data, each beside the naive SQL a developer
// would write over raw samples (date_trunc + GROUP BY), in the same run.
func BenchmarkReads(b *testing.B) {
	f := loadYear(b)
	b.Logf("fixture: %d samples over one year", f.loaded)
	mid := f.from.AddDate(0, 6, 0)
	b.Run("HeartRateDailyYear", func(b *testing.B) { benchSeries(b, f, Request{Metric: "heart_rate", Bucket: Day}, PathHourly) })
	b.Run("NaiveSQLHeartRateDailyYear", func(b *testing.B) { naiveDaily(b, f, "heart_rate") })
	b.Run("HeartRateHourlyWeek", func(b *testing.B) {
		benchSeries(b, f, Request{Metric: "heart_rate", Bucket: Hour, From: mid, To: mid.AddDate(0, 0, 7)}, PathHourly)
	})
	b.Run("HeartRateMinuteDay", func(b *testing.B) {
		benchSeries(b, f, Request{Metric: "heart_rate", Bucket: Minute, From: mid, To: mid.AddDate(0, 0, 1)}, PathRaw)
	})
	b.Run("StepsMergedDailyYear", func(b *testing.B) {
		benchSeries(b, f, Request{Metric: "steps", Bucket: Day, Merge: MergePriority}, PathMergedCache)
	})
	b.Run("StepsUnmergedDailyYear", func(b *testing.B) {
		benchSeries(b, f, Request{Metric: "steps", Bucket: Day, Merge: MergeNone}, PathHourly)
	})
	b.Run("NaiveSQLStepsDailyYear", func(b *testing.B) { naiveDaily(b, f, "steps") })
	// The first merged read after a year-long backfill computes every hour once.
	b.Run("MergedCacheFillYear", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			if err := f.store.InUserTx(context.Background(), f.user, func(tx *db.Tx) error {
				return tx.SetSourcePriority(context.Background(), "steps", nil) // empties the cache
			}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := f.svc.Series(context.Background(), f.user, Request{Metric: "steps", Bucket: Day, Merge: MergePriority,
				From: f.from, To: f.from.AddDate(1, 0, 0), TimeZone: "Europe/Zurich"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
