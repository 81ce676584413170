package appleexport_test

import (
	"archive/zip"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/importers/appleexport"
	"healthsync/ingest"
)

type env struct {
	t     *testing.T
	sqlDB *sqlx.DB
	store *db.Store
	imp   *appleexport.Importer
	user  int64
}

func newEnv(t *testing.T, batchSize int) *env {
	t.Helper()
	d := dbtest.New(t)
	store := db.New(d, db.Options{})
	svc := ingest.NewService(store, catalog.New(), ingest.Limits{MaxItems: 20000}, nil)
	u, err := store.EnsureUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sqlDB: d, store: store, imp: appleexport.NewImporter(svc, catalog.New(), appleexport.Options{BatchSize: batchSize}), user: u.ID}
}

func (e *env) importString(doc string) appleexport.Summary {
	e.t.Helper()
	s, err := e.imp.Import(context.Background(), e.user, strings.NewReader(doc), int64(len(doc)), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if s.BytesDone != int64(len(doc)) {
		e.t.Errorf("bytes done %d of %d", s.BytesDone, len(doc))
	}
	return s
}

func (e *env) importFile(name string) appleexport.Summary {
	e.t.Helper()
	x, err := appleexport.Open(name)
	if err != nil {
		e.t.Fatal(err)
	}
	defer x.Close()
	s, err := e.imp.Import(context.Background(), e.user, x, x.Size, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) count(q string) int {
	e.t.Helper()
	var n int
	if err := e.sqlDB.Get(&n, q, e.user); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) stored() [3]int {
	return [3]int{
		e.count(`SELECT count(*) FROM samples WHERE user_id = $1`),
		e.count(`SELECT count(*) FROM category_samples WHERE user_id = $1`),
		e.count(`SELECT count(*) FROM workouts WHERE user_id = $1`),
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkCounts(t *testing.T, s appleexport.Summary, records, accepted, duplicates, rejected, unknown, skipped int64) {
	t.Helper()
	if s.Records != records || s.Accepted != accepted || s.Duplicates != duplicates || s.Rejected != rejected ||
		s.Unknown != unknown || s.Skipped != skipped {
		t.Fatalf("summary records/accepted/duplicates/rejected/unknown/skipped = %d/%d/%d/%d/%d/%d, want %d/%d/%d/%d/%d/%d (rejections %+v)",
			s.Records, s.Accepted, s.Duplicates, s.Rejected, s.Unknown, s.Skipped,
			records, accepted, duplicates, rejected, unknown, skipped, s.FirstRejections)
	}
}

type sampleRow struct {
	Metric    string  `db:"metric"`
	Value     float64 `db:"value"`
	OrigValue float64 `db:"orig_value"`
	OrigUnit  string  `db:"orig_unit"`
	Start     string  `db:"start"`
	TimeZone  *string `db:"time_zone"`
	UserEnt   bool    `db:"user_entered"`
	Source    string  `db:"name"`
	Hardware  *string `db:"hardware_version"`
	Manufact  *string `db:"device_manufacturer"`
	Software  *string `db:"software_version"`
	Version   *string `db:"version"`
	Metadata  *string `db:"metadata"`
}

func (e *env) samples() []sampleRow {
	e.t.Helper()
	var rows []sampleRow
	err := e.sqlDB.Select(&rows, `SELECT s.metric, s.value, s.orig_value, s.orig_unit,
		to_char(s.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS start, s.time_zone, s.user_entered,
		src.name, src.hardware_version, src.device_manufacturer, src.software_version, src.version, s.metadata::text AS metadata
		FROM samples s JOIN sources src ON src.user_id = s.user_id AND src.source_id = s.source_id
		WHERE s.user_id = $1 ORDER BY s.start_time, s.metric`, e.user)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestImportAppleHealthParserFixture(t *testing.T) {
	e := newEnv(t, 0)
	doc := fixture(t, "apple-health-parser_export.xml")
	s := e.importString(doc)
	checkCounts(t, s, 8, 8, 0, 0, 0, 0)
	if got := e.stored(); got != [3]int{6, 2, 0} {
		t.Fatalf("stored samples/categories/workouts = %v, want [6 2 0]", got)
	}
	rows := e.samples()
	hr := rows[0]
	if hr.Metric != "heart_rate" || hr.Value != 74 || hr.OrigUnit != "count/min" || hr.Start != "2023-12-31T23:01:36Z" ||
		hr.Source != "Alexandre's Apple Watch" || deref(hr.Hardware) != "Watch6,7" || deref(hr.Manufact) != "Apple Inc." ||
		deref(hr.Software) != "10.2" || deref(hr.Version) != "10.2" || !strings.Contains(deref(hr.Metadata), "HeartRateMotionContext") {
		t.Errorf("first heart rate: %+v hardware=%s", hr, deref(hr.Hardware))
	}
	byMetric := map[string][]sampleRow{}
	for _, r := range rows {
		byMetric[r.Metric] = append(byMetric[r.Metric], r)
	}
	if len(byMetric["heart_rate"]) != 2 || len(byMetric["active_energy_burned"]) != 2 || len(byMetric["exercise_time"]) != 1 || len(byMetric["stand_time"]) != 1 {
		t.Errorf("metrics: %v", byMetric)
	}
	if r := byMetric["active_energy_burned"][0]; !near(r.Value, 0.12) || r.OrigUnit != "kcal" {
		t.Errorf("active energy %+v", r)
	}
	// The stand-time record has no device: it is another source than the watch's records with the device.
	if n := e.count(`SELECT count(*) FROM sources WHERE user_id = $1`); n != 3 {
		t.Errorf("%d sources, want 3 (watch with device, watch without, iPhone)", n)
	}
	var sleep []struct {
		Value string  `db:"value"`
		Orig  string  `db:"orig_value"`
		TZ    *string `db:"time_zone"`
		Name  string  `db:"name"`
	}
	if err := e.sqlDB.Select(&sleep, `SELECT c.value, c.orig_value, c.time_zone, src.name FROM category_samples c
		JOIN sources src ON src.user_id = c.user_id AND src.source_id = c.source_id WHERE c.user_id = $1 ORDER BY c.start_time`, e.user); err != nil {
		t.Fatal(err)
	}
	if len(sleep) != 2 || sleep[0].Orig != "HKCategoryValueSleepAnalysisInBed" || sleep[0].Name != "Alexandre's iPhone" ||
		deref(sleep[0].TZ) != "Europe/Amsterdam" || sleep[1].Orig != "HKCategoryValueSleepAnalysisAsleepCore" ||
		deref(sleep[1].TZ) != "Europe/Amsterdam" || sleep[0].Value == sleep[1].Value {
		t.Errorf("sleep: %+v", sleep)
	}
	// Sync state shows the import under its own device.
	if n := e.count(`SELECT count(*) FROM sync_state WHERE user_id = $1 AND device_id = 'apple-export'`); n != 5 {
		t.Errorf("%d sync-state types for apple-export, want 5 (heart rate, energy, exercise, stand, sleep)", n)
	}

	// The same file again: replayed, nothing new.
	again := e.importString(doc)
	checkCounts(t, again, 8, 0, 8, 0, 0, 0)
	if again.Replayed != 1 {
		t.Errorf("replayed batches %d, want 1", again.Replayed)
	}
	if got := e.stored(); got != [3]int{6, 2, 0} {
		t.Fatalf("after re-import stored %v", got)
	}
}

// An older export holds the first records; a later one repeats them and adds more. Batches of 2 make the
// batch boundaries differ between the two files, so nothing is replayed by key and ids alone must dedupe.
func TestOverlappingLaterExportAddsOnlyNewRecords(t *testing.T) {
	e := newEnv(t, 2)
	full := fixture(t, "apple-health-parser_export.xml")
	// The first export: the document up to its fifth Record, closed.
	cut := 0
	for i := 0; i < 5; i++ {
		cut += strings.Index(full[cut:], "<Record ") + 1
	}
	cut += strings.Index(full[cut:], "<Record ") // start of the sixth
	older := full[:cut] + "</HealthData>\n"
	s1 := e.importString(older)
	checkCounts(t, s1, 5, 5, 0, 0, 0, 0)
	if s1.Batches != 3 {
		t.Errorf("%d batches, want 3", s1.Batches)
	}
	// The later export also prints every instant in UTC instead of +0200: same instants, same ids.
	later := strings.ReplaceAll(full, `startDate="2024-01-01 01:01:36 +0200" endDate="2024-01-01 01:01:36 +0200"`,
		`startDate="2023-12-31 23:01:36 +0000" endDate="2023-12-31 23:01:36 +0000"`)
	later = strings.Replace(later, "<Record ", "<Record foo=\"x\" ", 1)
	s2 := e.importString(later)
	checkCounts(t, s2, 8, 3, 5, 0, 0, 0)
	if got := e.stored(); got != [3]int{6, 2, 0} {
		t.Fatalf("stored %v", got)
	}
}

func TestImportHealthkitToSqliteFixture(t *testing.T) {
	e := newEnv(t, 0)
	s := e.importString(fixture(t, "healthkit-to-sqlite_export.xml"))
	checkCounts(t, s, 3, 3, 0, 0, 0, 2)
	if s.SkippedElements["ActivitySummary"] != 2 {
		t.Errorf("skipped %v", s.SkippedElements)
	}
	if got := e.stored(); got != [3]int{2, 0, 1} {
		t.Fatalf("stored %v, want [2 0 1]", got)
	}
	rows := e.samples()
	bmi, hr := rows[0], rows[1]
	if bmi.Metric != "body_mass_index" || !near(bmi.Value, 22.5312) || bmi.UserEnt || bmi.Source != "Health Mate" ||
		bmi.Hardware != nil || bmi.Start != "2016-04-18T15:25:32Z" || !strings.Contains(deref(bmi.Metadata), "Withings User Identifier") {
		t.Errorf("BMI: %+v", bmi)
	}
	if hr.Metric != "heart_rate" || hr.Value != 72 || deref(hr.Hardware) != "Watch2,4" || deref(hr.Manufact) != "Apple" || deref(hr.Software) != "4.3.1" {
		t.Errorf("heart rate: %+v", hr)
	}
	var w struct {
		Activity string   `db:"activity_type"`
		Duration float64  `db:"duration_s"`
		Energy   *float64 `db:"energy_kcal"`
		Distance *float64 `db:"distance_m"`
		TZ       *string  `db:"time_zone"`
		Meta     *string  `db:"metadata"`
	}
	if err := e.sqlDB.Get(&w, `SELECT activity_type, duration_s, energy_kcal, distance_m, time_zone, metadata::text AS metadata
		FROM workouts WHERE user_id = $1`, e.user); err != nil {
		t.Fatal(err)
	}
	if w.Activity != "running" || !near(w.Duration, 5.19412346680959*60) || w.Energy == nil || !near(*w.Energy, 48.74499999999999) ||
		w.Distance == nil || math.Abs(*w.Distance-0.4971749504535062*1609.344) > 1e-6 || deref(w.TZ) != "America/Los_Angeles" {
		t.Errorf("workout: %+v energy=%v distance=%v", w, w.Energy, w.Distance)
	}
	again := e.importString(fixture(t, "healthkit-to-sqlite_export.xml"))
	checkCounts(t, again, 3, 0, 3, 0, 0, 2)
	if got := e.stored(); got != [3]int{2, 0, 1} {
		t.Fatalf("after re-import stored %v", got)
	}
}

// The zip the Health app writes: export.xml under apple_health_export/, routes beside it.
func TestImportZip(t *testing.T) {
	e := newEnv(t, 0)
	name := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for entry, src := range map[string]string{
		"apple_health_export/export.xml":                                 "healthkit-to-sqlite_zip_export.xml",
		"apple_health_export/workout-routes/route_2019-06-11_3.00pm.gpx": "healthkit-to-sqlite_route_2019-06-11_3.00pm.gpx",
		"apple_health_export/export_cda.xml":                             "apple-health-parser_export.xml", // not to be read
	} {
		w, err := zw.Create(entry)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(fixture(t, src))); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s := e.importFile(name)
	checkCounts(t, s, 3, 3, 0, 0, 0, 2)
	if s.BytesTotal != int64(len(fixture(t, "healthkit-to-sqlite_zip_export.xml"))) || s.BytesDone != s.BytesTotal {
		t.Errorf("bytes %d of %d", s.BytesDone, s.BytesTotal)
	}
	var meta string
	if err := e.sqlDB.Get(&meta, `SELECT metadata::text FROM workouts WHERE user_id = $1`, e.user); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(meta, "/workout-routes/route_2019-06-11_3.00pm.gpx") || !strings.Contains(meta, "HKWeatherTemperature") {
		t.Errorf("workout metadata %s", meta)
	}
	// The bare export.xml of the zip, imported later: the same records, nothing new.
	again := e.importFile(filepath.Join("testdata", "healthkit-to-sqlite_zip_export.xml"))
	checkCounts(t, again, 3, 0, 3, 0, 0, 2)
	if got := e.stored(); got != [3]int{2, 0, 1} {
		t.Fatalf("stored %v", got)
	}
}

func TestImportSynthetic(t *testing.T) {
	e := newEnv(t, 0)
	var progress []appleexport.Summary
	s, err := e.imp.Import(context.Background(), e.user, strings.NewReader(synthetic), int64(len(synthetic)),
		func(p appleexport.Summary) { progress = append(progress, p) })
	if err != nil {
		t.Fatal(err)
	}
	// step count, systolic, diastolic, HRV, workout accepted; a type from a newer SDK unknown; Correlation, ActivitySummary,
	// ClinicalRecord skipped.
	checkCounts(t, s, 6, 5, 0, 0, 1, 3)
	if s.UnknownTypes["HKQuantityTypeIdentifierFromAFutureSDK"] != 1 || s.SkippedElements["Correlation"] != 1 {
		t.Errorf("unknown %v skipped %v", s.UnknownTypes, s.SkippedElements)
	}
	if len(progress) != 1 || progress[0].Accepted != 5 || progress[0].BytesDone == 0 {
		t.Errorf("progress %+v", progress)
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1 AND metric LIKE 'blood_pressure%'`); n != 2 {
		t.Errorf("%d blood pressure samples, want 2 (the correlation's records once)", n)
	}
	var hrv struct {
		Value float64 `db:"value"`
		TZ    *string `db:"time_zone"`
	}
	if err := e.sqlDB.Get(&hrv, `SELECT value, time_zone FROM samples WHERE user_id = $1 AND metric = 'hrv_sdnn'`, e.user); err != nil {
		t.Fatal(err)
	}
	if hrv.Value != 41.5 || deref(hrv.TZ) != "Europe/Zurich" {
		t.Errorf("hrv %+v", hrv)
	}
	var w struct {
		Activity string   `db:"activity_type"`
		Duration float64  `db:"duration_s"`
		Energy   *float64 `db:"energy_kcal"`
		Distance *float64 `db:"distance_m"`
		Meta     string   `db:"metadata"`
	}
	if err := e.sqlDB.Get(&w, `SELECT activity_type, duration_s, energy_kcal, distance_m, metadata::text AS metadata FROM workouts WHERE user_id = $1`, e.user); err != nil {
		t.Fatal(err)
	}
	// 1046 kJ = 250 kcal; 12.5 km.
	if w.Activity != "cycling" || w.Duration != 1800 || w.Energy == nil || math.Abs(*w.Energy-1046/4.184) > 1e-6 ||
		w.Distance == nil || math.Abs(*w.Distance-12500) > 1e-6 {
		t.Errorf("workout %+v energy=%v distance=%v", w, w.Energy, w.Distance)
	}
	for _, want := range []string{`"averageHeartRate": 138`, `"maxHeartRate": 171`, `"HKWorkoutEventTypePause": 1`, "route_2025-02-28_5.00pm.gpx"} {
		if !strings.Contains(w.Meta, want) {
			t.Errorf("workout metadata %s lacks %s", w.Meta, want)
		}
	}
}

func TestImportCountsRejections(t *testing.T) {
	e := newEnv(t, 0)
	doc := `<HealthData>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2024-01-01 10:00:00 +0000" endDate="2024-01-01 10:00:00 +0000" value="900"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2024-01-01 10:01:00 +0000" endDate="2024-01-01 10:01:00 +0000" value="abc"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="furlongs" startDate="2024-01-01 10:02:00 +0000" endDate="2024-01-01 10:02:00 +0000" value="60"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="yesterday" endDate="2024-01-01 10:03:00 +0000" value="60"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2024-01-01 10:04:00 +0000" endDate="2024-01-01 10:04:00 +0000" value="61"/>
</HealthData>`
	s := e.importString(doc)
	checkCounts(t, s, 5, 1, 0, 4, 0, 0)
	want := map[string]int64{"OUT_OF_RANGE": 1, "BAD_VALUE": 1, "BAD_UNIT": 1, "BAD_TIME": 1}
	for k, v := range want {
		if s.RejectedByCode[k] != v {
			t.Errorf("rejections by code %v, want %v", s.RejectedByCode, want)
			break
		}
	}
}

func TestImportStopsWhenCancelled(t *testing.T) {
	e := newEnv(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	doc := fixture(t, "apple-health-parser_export.xml")
	s, err := e.imp.Import(ctx, e.user, strings.NewReader(doc), int64(len(doc)), func(appleexport.Summary) {
		if calls++; calls == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if s.Accepted < 2 || s.Accepted >= 8 {
		t.Errorf("accepted %d: the import should have stopped after about two batches", s.Accepted)
	}
	if got := e.stored(); got[0]+got[1] != int(s.Accepted) {
		t.Errorf("stored %v, summary says %d accepted", got, s.Accepted)
	}
}
