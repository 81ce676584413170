package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"healthsync/ingest"
)

// t0 is 08:00 UTC a month before the service's clock: old enough that a batch's hours never reach "now",
// recent enough for every window.
var t0 = testNow.Truncate(24*time.Hour).AddDate(0, 0, -30).Add(8 * time.Hour)

func TestReplayReturnsTheStoredAnswerAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	samples := heartRates(1, 50, t0)
	samples[3].Unit = "kg"                            // BAD_UNIT
	samples[7].End = samples[7].Start.Add(-time.Hour) // BAD_TIME
	b := batch("k-1", samples...)
	b.Cursors = []ingest.Cursor{{Type: "HKQuantityTypeIdentifierHeartRate", Cursor: "YW5jaG9yLTE="}}

	first := e.ingest(alice, b)
	if first.Replayed || first.Accepted != 48 || len(first.Rejected) != 2 {
		t.Fatalf("first upload: %+v", first)
	}
	rowsBefore := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice)
	syncBefore := e.count(`SELECT item_count FROM sync_state WHERE user_id = $1 AND data_type = 'heart_rate'`, alice)

	again := e.ingest(alice, b)
	if !again.Replayed {
		t.Fatalf("replay not marked: %+v", again)
	}
	again.Replayed = false
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("replay answer differs:\nfirst %+v\nagain %+v", first, again)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != rowsBefore || n != 48 {
		t.Fatalf("rows after replay = %d, want %d", n, rowsBefore)
	}
	if n := e.count(`SELECT item_count FROM sync_state WHERE user_id = $1 AND data_type = 'heart_rate'`, alice); n != syncBefore {
		t.Fatalf("sync count moved on replay: %d → %d", syncBefore, n)
	}
}

func TestSameKeyWithAnotherPayloadIsRefused(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.ingest(alice, batch("k-1", heartRates(1, 5, t0)...))
	_, err := e.svc.Ingest(context.Background(), alice, batch("k-1", heartRates(2, 5, t0)...))
	if !errors.Is(err, ingest.ErrKeyReused) {
		t.Fatalf("err = %v, want ErrKeyReused", err)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 5 {
		t.Fatalf("rows = %d, want 5", n)
	}
	// The key is per user: Bob may use the same one.
	if res := e.ingest(e.user("bob"), batch("k-1", heartRates(2, 5, t0)...)); res.Accepted != 5 {
		t.Fatalf("bob: %+v", res)
	}
}

func TestRetriedSamplesAreStoredOnce(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	samples := heartRates(1, 100, t0)
	if res := e.ingest(alice, batch("k-1", samples...)); res.Accepted != 100 {
		t.Fatalf("first: %+v", res)
	}
	// The same samples under a new key (the app lost our answer and rebuilt its batch), partly overlapping
	// new ones, with one id spelled in lower case and one repeated inside the batch.
	retry := append([]ingest.QuantitySample{}, samples[50:]...)
	retry = append(retry, heartRates(2, 30, t0.Add(3*time.Hour))...)
	retry[0].ID = lower(retry[0].ID)
	retry = append(retry, retry[len(retry)-1])
	res := e.ingest(alice, batch("k-2", retry...))
	if res.Accepted != 30 || res.Duplicates != 51 || len(res.Rejected) != 0 {
		t.Fatalf("retry: %+v, want 30 accepted and 51 duplicates", res)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 130 {
		t.Fatalf("rows = %d, want 130", n)
	}
	if n := e.count(`SELECT item_count FROM sync_state WHERE user_id = $1 AND data_type = 'heart_rate'`, alice); n != 130 {
		t.Fatalf("sync count = %d, want 130 (duplicates must not count)", n)
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestConcurrentOverlappingBatchesStoreEachIDOnce(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	pool := heartRates(7, 1200, t0)
	const clients = 8
	results := make([]ingest.Result, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			// Each client sends a different window of the pool, in its own order: windows overlap heavily.
			var mine []ingest.QuantitySample
			for i := c * 100; i < c*100+500; i++ {
				mine = append(mine, pool[i])
			}
			if c%2 == 1 {
				for i, j := 0, len(mine)-1; i < j; i, j = i+1, j-1 {
					mine[i], mine[j] = mine[j], mine[i]
				}
			}
			results[c], errs[c] = e.svc.Ingest(context.Background(), alice, batch("client-"+string(rune('a'+c)), mine...))
		}(c)
	}
	wg.Wait()
	accepted, duplicates := 0, 0
	for c := range results {
		if errs[c] != nil {
			t.Fatalf("client %d: %v", c, errs[c])
		}
		accepted += results[c].Accepted
		duplicates += results[c].Duplicates
	}
	distinct := 7*100 + 500 // ids 0…1199 are covered
	if accepted != distinct || duplicates != clients*500-distinct {
		t.Fatalf("accepted %d duplicates %d, want %d and %d", accepted, duplicates, distinct, clients*500-distinct)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != distinct {
		t.Fatalf("rows = %d, want %d", n, distinct)
	}
	if n := e.count(`SELECT count(*) FROM (SELECT sample_id FROM samples GROUP BY sample_id HAVING count(*) > 1) d`); n != 0 {
		t.Fatalf("%d ids stored twice", n)
	}
}

func TestConcurrentRequestsWithOneKeyWriteOnce(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	b := batch("same-key", heartRates(3, 400, t0)...)
	const n = 6
	results := make([]ingest.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = e.svc.Ingest(context.Background(), alice, b)
		}(i)
	}
	wg.Wait()
	fresh := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if !results[i].Replayed {
			fresh++
		}
		if results[i].Accepted != 400 {
			t.Fatalf("request %d: %+v, want the first answer (400 accepted)", i, results[i])
		}
	}
	if fresh != 1 {
		t.Fatalf("%d requests wrote, want exactly 1", fresh)
	}
	if c := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); c != 400 {
		t.Fatalf("rows = %d", c)
	}
}

func TestUnitsAreConvertedToTheCanonicalUnit(t *testing.T) {
	cases := []struct {
		family, typ, unit string
		value, want       float64
		metric            string
		provider          ingest.Provider
	}{
		{"energy", "HKQuantityTypeIdentifierActiveEnergyBurned", "kJ", 418.4, 100, "active_energy_burned", ingest.AppleHealth},
		{"energy (Cal)", "HKQuantityTypeIdentifierActiveEnergyBurned", "Cal", 12.5, 12.5, "active_energy_burned", ingest.AppleHealth},
		{"length", "HKQuantityTypeIdentifierDistanceWalkingRunning", "mi", 1, 1609.344, "distance_walking_running", ingest.AppleHealth},
		{"length (ft)", "HKQuantityTypeIdentifierHeight", "ft", 6, 1.8288, "height", ingest.AppleHealth},
		{"mass", "HKQuantityTypeIdentifierBodyMass", "lb", 150, 68.0388555, "body_mass", ingest.AppleHealth},
		{"temperature", "HKQuantityTypeIdentifierBodyTemperature", "degF", 98.6, 37, "body_temperature", ingest.AppleHealth},
		{"percent (HealthKit fraction)", "HKQuantityTypeIdentifierOxygenSaturation", "%", 0.97, 97, "oxygen_saturation", ingest.AppleHealth},
		{"percent (Health Connect)", "OxygenSaturation", "%", 97, 97, "oxygen_saturation", ingest.HealthConnect},
		{"glucose", "HKQuantityTypeIdentifierBloodGlucose", "mmol<180.1558800000541>/L", 5.5, 99.08573, "blood_glucose", ingest.AppleHealth},
		{"volume", "HKQuantityTypeIdentifierDietaryWater", "fl_oz_us", 8, 236.5882365, "dietary_water", ingest.AppleHealth},
		{"speed", "HKQuantityTypeIdentifierWalkingSpeed", "km/hr", 3.6, 1, "walking_speed", ingest.AppleHealth},
		{"time", "HKQuantityTypeIdentifierAppleExerciseTime", "s", 120, 2, "exercise_time", ingest.AppleHealth},
	}
	e := newEnv(t)
	for i, c := range cases {
		t.Run(c.family, func(t *testing.T) {
			user := e.user("units-" + c.family)
			s := heartRates(uint64(100+i), 1, t0)[0]
			if c.provider == ingest.HealthConnect {
				s.ID = "hc-" + s.ID
			}
			s.Type, s.Unit, s.Value = c.typ, c.unit, ingest.Float(c.value)
			b := batch("units", s)
			b.Provider = c.provider
			res := e.ingest(user, b)
			if res.Accepted != 1 {
				t.Fatalf("%+v", res)
			}
			var got struct {
				Metric    string  `db:"metric"`
				Value     float64 `db:"value"`
				OrigValue float64 `db:"orig_value"`
				OrigUnit  string  `db:"orig_unit"`
			}
			if err := e.sqlDB.Get(&got, `SELECT metric, value, orig_value, orig_unit FROM samples WHERE user_id = $1`, user); err != nil {
				t.Fatal(err)
			}
			if got.Metric != c.metric || math.Abs(got.Value-c.want) > 1e-4*math.Max(1, math.Abs(c.want)) {
				t.Fatalf("stored %s %v, want %s %v", got.Metric, got.Value, c.metric, c.want)
			}
			if got.OrigValue != c.value || got.OrigUnit != c.unit {
				t.Fatalf("original kept as %v %q, want %v %q", got.OrigValue, got.OrigUnit, c.value, c.unit)
			}
		})
	}
}

func TestEachBadItemIsRejectedAndTheGoodOnesLand(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	good := heartRates(11, 3, t0)
	bad := heartRates(12, 8, t0)
	bad[0].Type = "HKQuantityTypeIdentifierNotAThing"                       // UNKNOWN_TYPE
	bad[1].Unit = "kg"                                                      // BAD_UNIT
	bad[2].Value = 900                                                      // OUT_OF_RANGE
	bad[3].Value = ingest.Float(math.NaN())                                 // BAD_VALUE
	bad[4].Start, bad[4].End = t0.AddDate(974, 0, 0), t0.AddDate(974, 0, 0) // BAD_TIME (year 3000)
	bad[5].ID = "not-a-uuid"                                                // BAD_ID
	bad[6].TimeZone = ptr("Mars/Olympus_Mons")                              // BAD_TIME_ZONE
	bad[7].Source.Name = ""                                                 // BAD_FIELD
	b := batch("mixed", append(append([]ingest.QuantitySample{}, good...), bad...)...)
	b.Categories = []ingest.CategorySample{{ID: good[0].ID, Type: "HKCategoryTypeIdentifierSleepAnalysis", Value: "HKCategoryValueSleepAnalysisAsleepNap",
		Start: t0, End: t0.Add(time.Hour), Source: watch}}
	b.Deletions = []string{"zzz"}
	b.Cursors = []ingest.Cursor{{Type: "HKQuantityTypeIdentifierNope", Cursor: "x"}}
	res := e.ingest(alice, b)

	want := []struct {
		kind  ingest.ItemKind
		index int
		code  ingest.Code
	}{
		{ingest.KindSample, 3, ingest.CodeUnknownType}, {ingest.KindSample, 4, ingest.CodeBadUnit},
		{ingest.KindSample, 5, ingest.CodeOutOfRange}, {ingest.KindSample, 6, ingest.CodeBadValue},
		{ingest.KindSample, 7, ingest.CodeBadTime}, {ingest.KindSample, 8, ingest.CodeBadID},
		{ingest.KindSample, 9, ingest.CodeBadTimeZone}, {ingest.KindSample, 10, ingest.CodeBadField},
		{ingest.KindCategorySample, 0, ingest.CodeBadValue}, {ingest.KindDeletion, 0, ingest.CodeBadID},
		{ingest.KindCursor, 0, ingest.CodeUnknownType},
	}
	if len(res.Rejected) != len(want) {
		t.Fatalf("rejected %d items, want %d: %+v", len(res.Rejected), len(want), res.Rejected)
	}
	for i, w := range want {
		r := res.Rejected[i]
		if r.Kind != w.kind || r.Index != w.index || r.Code != w.code || r.Message == "" {
			t.Errorf("rejection %d = %+v, want %s[%d] %s with a message", i, r, w.kind, w.index, w.code)
		}
	}
	if res.Accepted != 3 {
		t.Fatalf("accepted %d, want the 3 good samples", res.Accepted)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 3 {
		t.Fatalf("rows = %d, want 3", n)
	}
	// A rejected item's source is not recorded: only the watch of the good samples exists.
	if n := e.count(`SELECT count(*) FROM sources WHERE user_id = $1`, alice); n != 1 {
		t.Fatalf("sources = %d, want 1", n)
	}
}

func TestWholeBatchProblemsWriteNothing(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	small := ingest.NewService(e.store, nil, ingest.Limits{MaxItems: 10}, nil)
	if _, err := small.Ingest(context.Background(), alice, batch("big", heartRates(1, 11, t0)...)); !errors.Is(err, ingest.ErrBatchTooLarge) {
		t.Fatalf("err = %v, want ErrBatchTooLarge", err)
	}
	b := batch("badtz", heartRates(1, 3, t0)...)
	b.Device.TimeZone = ptr("Not/AZone")
	if _, err := e.svc.Ingest(context.Background(), alice, b); !errors.Is(err, ingest.ErrInvalidBatch) {
		t.Fatalf("err = %v, want ErrInvalidBatch", err)
	}
	b = batch("", heartRates(1, 3, t0)...)
	if _, err := e.svc.Ingest(context.Background(), alice, b); !errors.Is(err, ingest.ErrInvalidBatch) {
		t.Fatalf("err = %v, want ErrInvalidBatch for an empty key", err)
	}
	for _, table := range []string{"samples", "idempotency_keys", "devices", "sources", "sync_state"} {
		if n := e.count(`SELECT count(*) FROM ` + table); n != 0 {
			t.Fatalf("%s has %d rows after refused batches", table, n)
		}
	}
}

func TestAFailureMidBatchLeavesNothingHalfWritten(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	// Make the last write of the transaction (sync state) fail for one device. A check constraint rather than a
	// trigger: Citus propagates it to the shards, so the test also runs there (HEALTHSYNC_TEST_CITUS).
	if _, err := e.sqlDB.Exec(`ALTER TABLE sync_state ADD CONSTRAINT injected_failure CHECK (device_id <> 'doomed')`); err != nil {
		t.Fatal(err)
	}
	b := batch("doomed-1", heartRates(1, 20, t0)...)
	b.Device.ID = "doomed"
	if _, err := e.svc.Ingest(context.Background(), alice, b); err == nil {
		t.Fatal("the injected failure did not surface")
	}
	for _, table := range []string{"samples", "idempotency_keys", "devices", "sources"} {
		if n := e.count(`SELECT count(*) FROM ` + table); n != 0 {
			t.Fatalf("%s kept %d rows of a failed batch", table, n)
		}
	}
	// The client's retry on a healthy device lands in full.
	b.Device.ID = "healthy"
	if res := e.ingest(alice, b); res.Accepted != 20 || res.Replayed {
		t.Fatalf("retry: %+v", res)
	}
}

// New samples go in by a plain INSERT unless the first or last id (in key order) is stored already; a stored id
// between them makes that INSERT fail, and the batch must then land exactly as through ON CONFLICT: the new
// samples stored and counted once, the stored one a duplicate, the aggregate as the raw rows give it.
func TestAStoredSampleAmongNewOnesIsADuplicate(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	samples := heartRates(11, 3, t0)
	samples[0].ID = "00000000-0000-4000-8000-000000000001"
	samples[1].ID = "80000000-0000-4000-8000-000000000001"
	samples[2].ID = "FFFFFFFF-0000-4000-8000-000000000001"
	if res := e.ingest(alice, batch("middle-1", samples[1])); res.Accepted != 1 {
		t.Fatalf("first: %+v", res)
	}
	res := e.ingest(alice, batch("middle-2", samples...))
	if res.Accepted != 2 || res.Duplicates != 1 || len(res.Rejected) != 0 {
		t.Fatalf("second: %+v, want 2 accepted and 1 duplicate", res)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 3 {
		t.Fatalf("rows = %d, want 3", n)
	}
	if n := e.count(`SELECT item_count FROM sync_state WHERE user_id = $1 AND data_type = 'heart_rate'`, alice); n != 3 {
		t.Fatalf("sync count = %d, want 3", n)
	}
	e.checkHourly(alice)
	// All of them again under a new key: nothing is written, all are duplicates.
	if res := e.ingest(alice, batch("middle-3", samples...)); res.Accepted != 0 || res.Duplicates != 3 {
		t.Fatalf("third: %+v, want 3 duplicates", res)
	}
	if n := e.count(`SELECT item_count FROM sync_state WHERE user_id = $1 AND data_type = 'heart_rate'`, alice); n != 3 {
		t.Fatalf("sync count = %d, want 3", n)
	}
	e.checkHourly(alice)
}

// Repeats are recognised by one read of the batch's time range (probeStored). A repeat that read cannot see (its
// id stored with another start time, outside the range, or under another metric) goes to the insert, whose
// conflict handling keeps it out: it is still a duplicate, stored once, as it was, and the aggregate still
// matches the raw rows.
func TestRepeatsTheSpanReadMissesAreStillDuplicates(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	samples := heartRates(12, 40, t0)
	if res := e.ingest(alice, batch("span-1", samples...)); res.Accepted != 40 {
		t.Fatalf("first: %+v", res)
	}
	again := append([]ingest.QuantitySample{}, samples...)
	// Ten ids come back a day later (an edit without a version), outside the stored rows' range and read; one
	// comes back as another metric; five new samples ride along.
	for i := 10; i < 20; i++ {
		again[i].Start, again[i].End = again[i].Start.Add(24*time.Hour), again[i].End.Add(24*time.Hour)
	}
	again[20].Type, again[20].Unit, again[20].Value = "HKQuantityTypeIdentifierRestingHeartRate", "count/min", 50
	fresh := heartRates(13, 5, t0.Add(2*time.Hour))
	for i := range fresh { // between the stored ids in key order, so the probe of the first and last one hits
		fresh[i].ID = fmt.Sprintf("80000000-0000-4000-8000-%012d", i)
	}
	again = append(again, fresh...)
	res := e.ingest(alice, batch("span-2", again...))
	if res.Accepted != 5 || res.Duplicates != 40 || len(res.Rejected) != 0 {
		t.Fatalf("second: %+v, want 5 accepted and 40 duplicates", res)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 45 {
		t.Fatalf("rows = %d, want 45 (a missed repeat was stored twice)", n)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1 AND start_time >= $2`, alice, t0.Add(24*time.Hour)); n != 0 {
		t.Fatalf("%d stored samples moved to the repeat's time", n)
	}
	if n := e.count(`SELECT item_count FROM sync_state WHERE user_id = $1 AND data_type = 'heart_rate'`, alice); n != 45 {
		t.Fatalf("sync count = %d, want 45", n)
	}
	e.checkHourly(alice)
	// Only repeats, some of them missed by the read: nothing is written.
	res = e.ingest(alice, batch("span-3", again...))
	if res.Accepted != 0 || res.Duplicates != 45 {
		t.Fatalf("third: %+v, want 45 duplicates", res)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 45 {
		t.Fatalf("rows = %d, want 45", n)
	}
	e.checkHourly(alice)
}
