package ingest_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"healthsync/ingest"
)

// hourlyFromRaw recomputes the hourly aggregate from the raw samples, independently of the maintained one.
const hourlyFromRaw = `
	SELECT s.metric, s.source_id, h.hour,
		count(*) FILTER (WHERE date_trunc('hour', s.start_time, 'UTC') = h.hour) AS n,
		coalesce(sum(s.value) FILTER (WHERE date_trunc('hour', s.start_time, 'UTC') = h.hour), 0) AS sum_start,
		coalesce(min(s.value) FILTER (WHERE date_trunc('hour', s.start_time, 'UTC') = h.hour), -1) AS min_value,
		coalesce(max(s.value) FILTER (WHERE date_trunc('hour', s.start_time, 'UTC') = h.hour), -1) AS max_value,
		sum(CASE WHEN s.end_time = s.start_time THEN s.value ELSE s.value *
			extract(epoch FROM least(s.end_time, h.hour + interval '1 hour') - greatest(s.start_time, h.hour)) /
			extract(epoch FROM s.end_time - s.start_time) END) AS prorated
	FROM samples s,
	LATERAL generate_series(date_trunc('hour', s.start_time, 'UTC'),
		CASE WHEN s.end_time > s.start_time THEN date_trunc('hour', s.end_time - interval '1 microsecond', 'UTC')
		ELSE date_trunc('hour', s.start_time, 'UTC') END, interval '1 hour') AS h(hour)
	WHERE s.user_id = $1
	GROUP BY 1, 2, 3`

type hourlyRow struct {
	Metric   string    `db:"metric"`
	SourceID int64     `db:"source_id"`
	Hour     time.Time `db:"hour"`
	N        int64     `db:"n"`
	SumStart float64   `db:"sum_start"`
	Min      float64   `db:"min_value"`
	Max      float64   `db:"max_value"`
	Prorated float64   `db:"prorated"`
}

func (e *env) checkHourly(user int64) {
	e.t.Helper()
	var want, got []hourlyRow
	if err := e.sqlDB.Select(&want, hourlyFromRaw, user); err != nil {
		e.t.Fatal(err)
	}
	// Rows left with nothing in them (every sample of the hour deleted) must be gone too.
	if err := e.sqlDB.Select(&got, `SELECT metric, source_id, hour, n, sum_start, coalesce(min_value, -1) AS min_value,
		coalesce(max_value, -1) AS max_value, prorated FROM sample_hourly WHERE user_id = $1`, user); err != nil {
		e.t.Fatal(err)
	}
	key := func(r hourlyRow) string { return fmt.Sprintf("%s/%d/%s", r.Metric, r.SourceID, r.Hour.UTC()) }
	idx := map[string]hourlyRow{}
	for _, r := range got {
		idx[key(r)] = r
	}
	if len(got) != len(want) {
		e.t.Errorf("aggregate has %d rows, raw samples give %d", len(got), len(want))
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for _, w := range want {
		g, ok := idx[key(w)]
		if !ok {
			e.t.Errorf("aggregate lacks %s", key(w))
			continue
		}
		if g.N != w.N || !close(g.SumStart, w.SumStart) || g.Min != w.Min || g.Max != w.Max || !close(g.Prorated, w.Prorated) {
			e.t.Errorf("%s: aggregate %+v, raw %+v", key(w), g, w)
		}
	}
}

func TestHourlyAggregateFollowsInsertsDeletionsAndReplacements(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	r := rand.New(rand.NewPCG(42, 42))
	var all []ingest.QuantitySample
	for b := 0; b < 6; b++ {
		var batchSamples []ingest.QuantitySample
		for i := 0; i < 150; i++ {
			start := t0.Add(time.Duration(r.IntN(72*60)) * time.Minute)
			src := watch
			if r.IntN(2) == 0 {
				src = phone
			}
			s := ingest.QuantitySample{ID: uuidFor(r), Type: "HKQuantityTypeIdentifierStepCount", Value: ingest.Float(r.IntN(900)),
				Unit: "count", Start: start, End: start.Add(time.Duration(r.IntN(150)) * time.Minute), Source: src}
			if i%5 == 0 {
				s.Type, s.Unit, s.End, s.Value = "HKQuantityTypeIdentifierHeartRate", "count/min", s.Start, ingest.Float(50+r.IntN(100))
			}
			batchSamples = append(batchSamples, s)
		}
		all = append(all, batchSamples...)
		e.ingest(alice, batch(fmt.Sprintf("agg-%d", b), batchSamples...))
		e.checkHourly(alice)
	}
	// Delete a random third, and some ids twice.
	var dels []string
	for i := 0; i < len(all); i += 3 {
		dels = append(dels, all[i].ID)
	}
	del := batch("agg-del")
	del.Deletions = append(dels, dels[:10]...)
	if res := e.ingest(alice, del); res.Deleted != len(dels) {
		t.Fatalf("deleted %d, want %d", res.Deleted, len(dels))
	}
	e.checkHourly(alice)

	// Health Connect records replaced by newer versions with other times and values.
	hc := func(key string, ver int64, shift time.Duration, v float64) ingest.Batch {
		b := ingest.Batch{IdempotencyKey: key, Provider: ingest.HealthConnect, Device: ingest.Device{ID: "pixel"}}
		for i := 0; i < 40; i++ {
			start := t0.Add(time.Duration(i)*47*time.Minute + shift)
			b.Samples = append(b.Samples, ingest.QuantitySample{ID: fmt.Sprintf("hc-steps-%d", i), Type: "Steps", Value: ingest.Float(v),
				Unit: "count", Start: start, End: start.Add(95 * time.Minute), Version: ptr(ver),
				Source: ingest.Source{Name: "Fit", BundleID: ptr("com.google.android.apps.fitness")}})
		}
		return b
	}
	e.ingest(alice, hc("hc-1", 1, 0, 100))
	e.checkHourly(alice)
	if res := e.ingest(alice, hc("hc-2", 2, 13*time.Minute, 250)); res.Updated != 40 {
		t.Fatalf("replacement: %+v", res)
	}
	e.checkHourly(alice)
}
