package ingest_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/ingest"
	"healthsync/series"
)

var fitApp = ingest.Source{Name: "Fit", BundleID: ptr("com.google.android.apps.fitness")}

// hrRecord is Health Connect heart-rate record id at version ver, one point a minute from t0 with these values.
func hrRecord(id string, ver int64, src ingest.Source, values ...float64) ingest.SeriesSample {
	s := ingest.SeriesSample{ID: id, Type: "HeartRate", Unit: "bpm", Start: t0, End: t0.Add(10 * time.Minute),
		Source: src, Version: ptr(ver)}
	for i, v := range values {
		s.Points = append(s.Points, ingest.SeriesPoint{Time: t0.Add(time.Duration(i) * time.Minute), Value: ingest.Float(v)})
	}
	return s
}

type storedPoint struct {
	At      time.Time `db:"start_time"`
	Value   float64   `db:"value"`
	Version int64     `db:"version"`
}

func (e *env) points(user int64, id string) []storedPoint {
	e.t.Helper()
	var out []storedPoint
	if err := e.sqlDB.Select(&out, `SELECT start_time, value, version FROM samples
		WHERE user_id = $1 AND sample_id = $2 ORDER BY point_ms`, user, id); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// wantPoints fails unless the record's stored points are exactly rec's.
func (e *env) wantPoints(user int64, rec ingest.SeriesSample) {
	e.t.Helper()
	got := e.points(user, rec.ID)
	ok := len(got) == len(rec.Points)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].At.Equal(rec.Points[i].Time) && got[i].Value == float64(rec.Points[i].Value) && got[i].Version == *rec.Version
	}
	if !ok {
		e.t.Fatalf("record %s holds %+v, want exactly the %d points of version %d", rec.ID, got, len(rec.Points), *rec.Version)
	}
}

// readsAgree checks that what reads serve (the hourly aggregate, the merged-totals cache, the day buckets) equals
// what the raw samples give. For a discrete metric the MINUTE buckets (raw samples) of each hour and day must add
// up to its count and sum. A cumulative total is rounded to the metric's resolution per bucket, so minutes do not
// add up to an hour: there the same HOUR and DAY buckets asked with a filter naming every source of the user,
// which reads raw samples, must give the same totals.
func (e *env) readsAgree(user int64, metric string, cumulative bool) {
	e.t.Helper()
	e.checkHourly(user)
	ctx := context.Background()
	svc := series.NewService(e.store, catalog.New())
	var sources []int64
	if err := e.sqlDB.Select(&sources, `SELECT source_id FROM sources WHERE user_id = $1 ORDER BY source_id`, user); err != nil {
		e.t.Fatal(err)
	}
	from := t0.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	for _, bucket := range []series.Bucket{series.Hour, series.Day} {
		req := series.Request{Metric: metric, From: from, To: from.Add(72 * time.Hour), Bucket: bucket, TimeZone: "UTC",
			Merge: series.MergePriority}
		rawReq := req
		if cumulative {
			rawReq.Sources = sources
		} else {
			rawReq.Bucket = series.Minute
		}
		raw, err := svc.Series(ctx, user, rawReq)
		if err != nil {
			e.t.Fatal(err)
		}
		if raw.Path != series.PathRaw {
			e.t.Fatalf("%s reference buckets from %s, want raw samples", bucket, raw.Path)
		}
		fromRaw := map[time.Time]series.Point{}
		for _, p := range raw.Points {
			at := p.Start
			if !cumulative {
				at = p.Start.Truncate(time.Hour)
				if bucket == series.Day {
					at = p.Start.Truncate(24 * time.Hour) // UTC days
				}
			}
			r := fromRaw[at]
			r.Value += p.Value
			r.Sum += p.Sum
			r.Count += p.Count
			fromRaw[at] = r
		}
		for pass := range 2 { // the second pass reads what the first one cached
			got, err := svc.Series(ctx, user, req)
			if err != nil {
				e.t.Fatal(err)
			}
			if got.Path == series.PathRaw {
				e.t.Fatalf("%s buckets from raw samples: the comparison needs the aggregates", bucket)
			}
			if len(got.Points) != len(fromRaw) {
				e.t.Fatalf("%s %s pass %d: %d buckets from %s, %d from raw samples", metric, bucket, pass, len(got.Points), got.Path, len(fromRaw))
			}
			near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
			for _, p := range got.Points {
				r, ok := fromRaw[p.Start]
				if !ok || (cumulative && !near(p.Value, r.Value)) || (!cumulative && (p.Count != r.Count || !near(p.Sum, r.Sum))) {
					e.t.Fatalf("%s %s pass %d, bucket %s: %s gives %+v, raw samples %+v", metric, bucket, pass, p.Start, got.Path, p, r)
				}
			}
		}
	}
}

func hcBatch(key, device string) ingest.Batch {
	return ingest.Batch{IdempotencyKey: key, Provider: ingest.HealthConnect, Device: ingest.Device{ID: device}}
}

// The trust issue's sequence: v1, then v3, then v2 late. v2 must change nothing, also where its points reach
// past v3's; and an equal version with other points is a duplicate too.
func TestALateLowerVersionOfASeriesRecordChangesNothing(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	send := func(key string, rec ingest.SeriesSample) ingest.Result {
		b := hcBatch(key, "pixel-1")
		b.Series = []ingest.SeriesSample{rec}
		return e.ingest(alice, b)
	}
	v1, v3 := hrRecord("rec-A", 1, fitApp, 60, 62, 64), hrRecord("rec-A", 3, fitApp, 70, 72)
	if res := send("v1", v1); res.Accepted != 1 {
		t.Fatalf("v1: %+v", res)
	}
	e.readsAgree(alice, "heart_rate", false)
	if res := send("v3", v3); res.Updated != 1 || res.Accepted != 0 {
		t.Fatalf("v3: %+v", res)
	}
	e.wantPoints(alice, v3)
	e.readsAgree(alice, "heart_rate", false)
	for _, late := range []ingest.SeriesSample{
		hrRecord("rec-A", 2, fitApp, 80, 82, 84, 86),
		hrRecord("rec-A", 3, fitApp, 90, 92, 94),
		hrRecord("rec-A", 0, fitApp, 50, 51, 52, 53, 54),
	} {
		res := send(fmt.Sprintf("late-v%d", *late.Version), late)
		if res.Duplicates != 1 || res.Accepted+res.Updated != 0 {
			t.Fatalf("version %d after version 3: %+v, want one duplicate", *late.Version, res)
		}
		e.wantPoints(alice, v3)
		e.readsAgree(alice, "heart_rate", false)
	}
	// A record sent without a version is settled by its first upload, not grown by later ones.
	nov := hrRecord("rec-B", 0, fitApp, 60, 61)
	nov.Version = nil
	send("nov-1", nov)
	more := hrRecord("rec-B", 0, fitApp, 70, 71, 72)
	more.Version = nil
	if res := send("nov-2", more); res.Duplicates != 1 {
		t.Fatalf("an unversioned record again with more points: %+v, want one duplicate", res)
	}
	nov.Version = ptr(int64(0))
	e.wantPoints(alice, nov)
	e.readsAgree(alice, "heart_rate", false)
}

// A replaced and a refused version of a cumulative record leave the merged totals a read cached equal to the raw
// samples' (the replacement empties the hours it touches, the refusal touches nothing).
func TestMergedTotalsFollowReplacedAndRefusedVersions(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	steps := func(ver int64, count float64, shift time.Duration) ingest.Batch {
		b := hcBatch(fmt.Sprintf("steps-v%d", ver), "pixel-1")
		b.Samples = []ingest.QuantitySample{{ID: "steps-rec", Type: "Steps", Value: ingest.Float(count), Unit: "count",
			Start: t0.Add(shift), End: t0.Add(shift + 90*time.Minute), Version: ptr(ver), Source: fitApp}}
		return b
	}
	e.ingest(alice, steps(1, 1000, 0))
	e.readsAgree(alice, "steps", true)
	if n := e.count(`SELECT count(*) FROM merged_hourly WHERE user_id = $1`, alice); n == 0 {
		t.Fatal("the read cached no merged totals: the test would not see a stale cache")
	}
	if res := e.ingest(alice, steps(3, 1500, 30*time.Minute)); res.Updated != 1 {
		t.Fatalf("v3: %+v", res)
	}
	e.readsAgree(alice, "steps", true)
	if res := e.ingest(alice, steps(2, 2000, 3*time.Hour)); res.Duplicates != 1 {
		t.Fatalf("v2 after v3: %+v", res)
	}
	e.readsAgree(alice, "steps", true)
	var total float64
	if err := e.sqlDB.Get(&total, `SELECT sum(value) FROM samples WHERE user_id = $1`, alice); err != nil || total != 1500 {
		t.Fatalf("stored steps %v (%v), want v3's 1500", total, err)
	}
}

// Two batches carrying two versions of one record, committed at the same moment, leave exactly the higher
// version, for every kind of versioned item. The batches come from two devices and two sources: batches that
// share a device or a source row already wait for each other there, which would hide the race.
func TestConcurrentVersionsOfOneRecordLeaveTheHighest(t *testing.T) {
	const rounds = 12
	other := ingest.Source{Name: "Fit (work profile)", BundleID: ptr("com.google.android.apps.fitness.work")}
	kinds := map[string]func(id string, ver int64, src ingest.Source) ingest.Batch{
		"series": func(id string, ver int64, src ingest.Source) ingest.Batch {
			b := ingest.Batch{}
			if ver == 1 {
				b.Series = []ingest.SeriesSample{hrRecord(id, 1, src, 60, 62, 64)}
			} else {
				b.Series = []ingest.SeriesSample{hrRecord(id, 2, src, 80, 82, 84, 86)}
			}
			return b
		},
		"sample": func(id string, ver int64, src ingest.Source) ingest.Batch {
			return ingest.Batch{Samples: []ingest.QuantitySample{{ID: id, Type: "Steps", Value: ingest.Float(1000 * ver),
				Unit: "count", Start: t0, End: t0.Add(time.Hour), Version: ptr(ver), Source: src}}}
		},
		"category": func(id string, ver int64, src ingest.Source) ingest.Batch {
			stage := map[int64]string{1: "asleep_core", 2: "asleep_deep"}[ver]
			return ingest.Batch{Categories: []ingest.CategorySample{{ID: id, Type: "HKCategoryTypeIdentifierSleepAnalysis",
				Value: stage, Start: t0, End: t0.Add(time.Hour), Version: ptr(ver), Source: src}}}
		},
		"workout": func(id string, ver int64, src ingest.Source) ingest.Batch {
			return ingest.Batch{Workouts: []ingest.Workout{{ID: id, ActivityType: "HKWorkoutActivityTypeRunning", Start: t0,
				End: t0.Add(time.Duration(20*ver) * time.Minute), Version: ptr(ver), Source: src}}}
		},
	}
	storedVersions := map[string]string{
		"series":   `SELECT version FROM samples WHERE user_id = $1 AND sample_id = $2`,
		"sample":   `SELECT version FROM samples WHERE user_id = $1 AND sample_id = $2`,
		"category": `SELECT version FROM category_samples WHERE user_id = $1 AND sample_id = $2`,
		"workout":  `SELECT version FROM workouts WHERE user_id = $1 AND workout_id = $2`,
	}
	for kind, build := range kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			user := e.user(kind)
			for round := range rounds {
				id := fmt.Sprintf("%s-%d", kind, round)
				var wg sync.WaitGroup
				start := make(chan struct{})
				results := make([]ingest.Result, 3)
				for _, ver := range []int64{1, 2} {
					b := build(id, ver, map[int64]ingest.Source{1: fitApp, 2: other}[ver])
					b.IdempotencyKey, b.Provider = fmt.Sprintf("%s-v%d", id, ver), ingest.HealthConnect
					b.Device = ingest.Device{ID: fmt.Sprintf("pixel-%d", ver)}
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						res, err := e.svc.Ingest(context.Background(), user, b)
						if err != nil {
							t.Errorf("version %d: %v", ver, err)
						}
						results[ver] = res
					}()
				}
				close(start)
				wg.Wait()
				var vers []int64
				if err := e.sqlDB.Select(&vers, storedVersions[kind], user, id); err != nil {
					t.Fatal(err)
				}
				if len(vers) == 0 || slices.ContainsFunc(vers, func(v int64) bool { return v != 2 }) {
					t.Fatalf("round %d: stored versions %v, want version 2 only; answers v1 %+v, v2 %+v", round, vers, results[1], results[2])
				}
				if kind == "series" {
					e.wantPoints(user, hrRecord(id, 2, other, 80, 82, 84, 86))
				}
			}
			switch kind {
			case "series":
				e.readsAgree(user, "heart_rate", false)
			case "sample":
				e.readsAgree(user, "steps", true)
			}
		})
	}
}
