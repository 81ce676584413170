package rights_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
	"healthsync/rights"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}

// uploadDays stores days of a wearer's data ending yesterday, dated from the clock: heart rate every 5
// minutes, steps every hour, four sleep stages a night and a run every other day.
func uploadDays(tb testing.TB, svc *ingest.Service, userID int64, tag, days int) {
	tb.Helper()
	ctx := context.Background()
	src := ingest.Source{Name: "Apple Watch"}
	end := time.Now().UTC().Truncate(24 * time.Hour)
	start := end.AddDate(0, 0, -days)
	n := 0
	id := func() string { n++; return fmt.Sprintf("%08x-0000-4000-a000-%012x", tag, n) }
	var b ingest.Batch
	flush := func() {
		if len(b.Samples)+len(b.Categories)+len(b.Workouts) == 0 {
			return
		}
		b.IdempotencyKey, b.Provider, b.Device = id(), ingest.AppleHealth, ingest.Device{ID: "iphone"}
		if _, err := svc.Ingest(ctx, userID, b); err != nil {
			tb.Fatal(err)
		}
		b = ingest.Batch{}
	}
	for d := start; d.Before(end); d = d.Add(time.Hour) {
		for m := 0; m < 60; m += 5 {
			at := d.Add(time.Duration(m) * time.Minute)
			b.Samples = append(b.Samples, ingest.QuantitySample{ID: id(), Type: "HKQuantityTypeIdentifierHeartRate",
				Value: ingest.Float(55 + at.Minute()%30), Unit: "count/min", Start: at, End: at, Source: src})
		}
		b.Samples = append(b.Samples, ingest.QuantitySample{ID: id(), Type: "HKQuantityTypeIdentifierStepCount",
			Value: ingest.Float(100 + d.Hour()*10), Unit: "count", Start: d, End: d.Add(time.Hour), Source: src})
		if d.Hour() == 0 {
			for s, stage := range []string{"AsleepCore", "AsleepDeep", "AsleepREM", "Awake"} {
				b.Categories = append(b.Categories, ingest.CategorySample{ID: id(), Type: "HKCategoryTypeIdentifierSleepAnalysis",
					Value: "HKCategoryValueSleepAnalysis" + stage, Start: d.Add(time.Duration(s) * time.Hour),
					End: d.Add(time.Duration(s+1) * time.Hour), Source: src})
			}
			if d.YearDay()%2 == 0 {
				b.Workouts = append(b.Workouts, ingest.Workout{ID: id(), ActivityType: "HKWorkoutActivityTypeRunning",
					Start: d.Add(18 * time.Hour), End: d.Add(19 * time.Hour), Source: src})
			}
		}
		if len(b.Samples) >= 4000 {
			flush()
		}
	}
	flush()
}

// peakHeap runs fn and reports how far the heap in use rose above where it stood before (sampled every 5 ms)
// and how much of the rise is still in use after a collection: the peak is mostly garbage awaiting the
// collector, which depends on when it ran; what is retained must not grow with the account.
func peakHeap(fn func()) (peak uint64, retained int64, took time.Duration) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	peak = base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	fn()
	took = time.Since(start)
	close(done)
	wg.Wait()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	retained = int64(after.HeapInuse) - int64(base)
	return peak - base, retained, took
}

// BenchmarkYearExportAndErasure exports and then erases a user with a year of data, against a user with a
// month of data exported in the same run (the baseline: constant memory means the year's peak heap stays near
// the month's). Run with -benchtime=1x; it logs the rows erased per table. HEALTHSYNC_BENCH_EXPORT_DAYS replaces
// the year with another number of days.
func BenchmarkYearExportAndErasure(b *testing.B) {
	ctx := context.Background()
	store := db.New(dbtest.New(b), db.Options{StatementTimeout: 5 * time.Minute})
	svc := ingest.NewService(store, catalog.New(), ingest.Limits{MaxItems: 5000}, nil)
	r := rights.NewService(store, rights.Options{})
	month, _ := store.EnsureUser(ctx, "month")
	year, _ := store.EnsureUser(ctx, "year")
	uploadDays(b, svc, month.ID, 1, 30)
	days := 365
	if v, err := strconv.Atoi(os.Getenv("HEALTHSYNC_BENCH_EXPORT_DAYS")); err == nil && v > 0 {
		days = v // a longer history, to see that the export's memory does not follow it
	}
	uploadDays(b, svc, year.ID, 2, days)
	export := func(userID int64) db.Export {
		e, err := r.RequestExport(ctx, userID, rights.FormatNDJSONZip)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.RunDueExports(ctx); err != nil {
			b.Fatal(err)
		}
		got, err := r.Export(ctx, userID, e.ID)
		if err != nil || got.Status != db.ExportDone {
			b.Fatalf("export: %+v, %v", got, err)
		}
		return *got
	}
	b.ResetTimer()
	for range b.N {
		var me, ye db.Export
		monthHeap, _, monthTook := peakHeap(func() { me = export(month.ID) })
		yearHeap, yearKept, yearTook := peakHeap(func() { ye = export(year.ID) })
		b.ReportMetric(float64(yearKept)/1024, "year-retained-KiB")
		b.ReportMetric(float64(ye.RowsTotal), "year-rows")
		b.ReportMetric(yearTook.Seconds(), "year-export-s")
		b.ReportMetric(float64(yearHeap)/(1<<20), "year-peak-heap-MiB")
		b.ReportMetric(float64(monthHeap)/(1<<20), "month-peak-heap-MiB")
		b.ReportMetric(yearTook.Seconds()/monthTook.Seconds(), "export-time-year/month")
		b.Logf("export: year %d rows, %.1f MiB zip, %v, peak heap +%.1f MiB; month %d rows, %v, peak heap +%.1f MiB",
			ye.RowsTotal, float64(ye.Bytes)/(1<<20), yearTook.Round(time.Millisecond), float64(yearHeap)/(1<<20),
			me.RowsTotal, monthTook.Round(time.Millisecond), float64(monthHeap)/(1<<20))

		if _, err := r.RequestErasure(ctx, year.ID, rights.ErasureRequest{Subject: "year", EraseNow: true}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if n, err := r.RunDueErasures(ctx); err != nil || n != 1 {
			b.Fatalf("erasure: %d, %v", n, err)
		}
		took := time.Since(start)
		e, err := r.Erasure(ctx, year.ID)
		if err != nil || e.Status != db.ErasureDone {
			b.Fatalf("erasure: %+v, %v", e, err)
		}
		rows := e.Rows()
		names := make([]string, 0, len(rows))
		var total int64
		for t, n := range rows {
			names = append(names, fmt.Sprintf("%s=%d", t, n))
			total += n
		}
		sort.Strings(names)
		b.ReportMetric(took.Seconds(), "erasure-s")
		b.Logf("erasure: %d rows in %v: %s", total, took.Round(time.Millisecond), strings.Join(names, " "))
	}
}
