package whoop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/cloud/providers"
	"healthsync/ingest"
)

// fixtureAPI serves testdata files by API path, as WHOOP would answer them, and records the queries.
func fixtureAPI(t *testing.T, files map[string]string) (*providers.API, *[]string) {
	t.Helper()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path+"?"+r.URL.RawQuery)
		name, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Errorf("fixture %s: %v", name, err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return &providers.API{Client: srv.Client(), BaseURL: srv.URL}, &seen
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	winFrom = ts("2026-11-20T00:00:00Z")
	winTo   = ts("2026-11-25T00:00:00Z")
)

func fetch(t *testing.T, api *providers.API, dataType string) []providers.Record {
	t.Helper()
	recs, err := New().Fetch(context.Background(), api, dataType, winFrom, winTo)
	if err != nil {
		t.Fatalf("Fetch %s: %v", dataType, err)
	}
	return recs
}

func zoneName(z *string) string {
	if z == nil {
		return "<nil>"
	}
	return *z
}

func TestSleepMapping(t *testing.T) {
	api, seen := fixtureAPI(t, map[string]string{"/v2/activity/sleep": "sleep_page.json"})
	recs := fetch(t, api, TypeSleep)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	want := "/v2/activity/sleep?end=2026-11-25T00%3A00%3A00Z&limit=25&start=2026-11-20T00%3A00%3A00Z"
	if (*seen)[0] != want {
		t.Errorf("query %s, want %s", (*seen)[0], want)
	}

	night := recs[0]
	if night.DataType != TypeSleep || night.ID != "ecfc6a15-4661-442f-a9a4-f160dd7afae8" {
		t.Errorf("record %s/%s", night.DataType, night.ID)
	}
	if len(night.Categories) != 1 || len(night.Samples) != 1 || len(night.Workouts) != 0 || len(night.Totals) != 0 {
		t.Fatalf("night: %d categories, %d samples, %d workouts, %d totals; want 1, 1, 0, 0",
			len(night.Categories), len(night.Samples), len(night.Workouts), len(night.Totals))
	}
	bed := night.Categories[0]
	start, end := ts("2026-11-23T04:12:30.120Z"), ts("2026-11-23T11:48:05.500Z")
	if bed.Type != "sleep" || bed.Value != "in_bed" || !bed.Start.Equal(start) || !bed.End.Equal(end) {
		t.Errorf("in_bed item %+v", bed)
	}
	if zoneName(bed.TimeZone) != "Etc/GMT+5" {
		t.Errorf("zone %s, want Etc/GMT+5 for -05:00", zoneName(bed.TimeZone))
	}
	if bed.ID != "" || bed.Version != nil {
		t.Errorf("items carry no id or version: %q %v", bed.ID, bed.Version)
	}
	wantMeta := map[string]any{
		"nap": false, "score_state": "SCORED", "stage_detail": "summary_only", "cycle_id": int64(93845),
		"total_in_bed_time_milli": int64(27335380), "total_awake_time_milli": int64(1403507),
		"total_no_data_time_milli": int64(0), "total_light_sleep_time_milli": int64(13421930),
		"total_slow_wave_sleep_time_milli": int64(6630370), "total_rem_sleep_time_milli": int64(5879573),
		"sleep_cycle_count": int64(3), "disturbance_count": int64(12),
		"sleep_performance_percentage": 98.0, "sleep_consistency_percentage": 90.0,
		"sleep_efficiency_percentage": 91.69533848,
	}
	if !reflect.DeepEqual(bed.Metadata, wantMeta) {
		t.Errorf("metadata\n got %v\nwant %v", bed.Metadata, wantMeta)
	}
	rr := night.Samples[0]
	if rr.Type != "respiratory_rate" || rr.Value != 16.11328125 || rr.Unit != "count/min" ||
		!rr.Start.Equal(end) || !rr.End.Equal(end) || zoneName(rr.TimeZone) != "Etc/GMT+5" {
		t.Errorf("respiratory rate %+v", rr)
	}
	if rr.Source.Name != "WHOOP" {
		t.Errorf("source %+v", rr.Source)
	}

	nap := recs[1]
	if len(nap.Categories) != 1 || len(nap.Samples) != 0 {
		t.Fatalf("pending nap: %d categories, %d samples; want the in_bed item only", len(nap.Categories), len(nap.Samples))
	}
	if nap.Categories[0].TimeZone != nil {
		t.Errorf("+05:30 has no IANA offset name; got %s", zoneName(nap.Categories[0].TimeZone))
	}
	if nap.Categories[0].Metadata["nap"] != true || nap.Categories[0].Metadata["score_state"] != "PENDING_SCORE" {
		t.Errorf("nap metadata %v", nap.Categories[0].Metadata)
	}
}

func TestRecoveryMapping(t *testing.T) {
	api, seen := fixtureAPI(t, map[string]string{
		"/v2/recovery":       "recovery_page.json",
		"/v2/activity/sleep": "sleep_page.json",
		"/v2/activity/sleep/3f1e9a52-7b0c-4d8e-a1f2-9c3b5d7e0a14": "sleep_single.json",
	})
	recs := fetch(t, api, TypeRecovery)
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	if len(*seen) != 3 {
		t.Errorf("requests %v: want the recoveries, the window's sleeps and the one sleep outside it", *seen)
	}

	type sample struct {
		metric string
		value  float64
		unit   string
	}
	got := func(r providers.Record) []sample {
		var out []sample
		for _, s := range r.Samples {
			out = append(out, sample{s.Type, float64(s.Value), s.Unit})
		}
		return out
	}

	first := recs[0]
	if first.DataType != TypeRecovery || first.ID != "ecfc6a15-4661-442f-a9a4-f160dd7afae8" {
		t.Errorf("record %s/%s: a recovery is keyed by its sleep", first.DataType, first.ID)
	}
	want := []sample{
		{"resting_heart_rate", 64, "count/min"},
		{"hrv_rmssd", 31.813562, "ms"},
		{"oxygen_saturation", 95.6875, "%"},
		{"sleeping_wrist_temperature", 33.7, "degC"},
	}
	if g := got(first); !reflect.DeepEqual(g, want) {
		t.Errorf("samples\n got %v\nwant %v", g, want)
	}
	for _, s := range first.Samples {
		if !s.Start.Equal(ts("2026-11-23T11:48:05.500Z")) || !s.End.Equal(ts("2026-11-23T11:48:05.500Z")) {
			t.Errorf("%s is timed %s–%s, want the sleep's end", s.Type, s.Start, s.End)
		}
		if s.Metadata["recovery_score"] != 44.0 || s.Metadata["cycle_id"] != int64(93845) {
			t.Errorf("%s metadata %v", s.Type, s.Metadata)
		}
	}

	// A WHOOP 3.0 strap measures neither SpO2 nor skin temperature; its sleep lies outside the page.
	second := recs[1]
	want = []sample{{"resting_heart_rate", 58, "count/min"}, {"hrv_rmssd", 48.25, "ms"}}
	if g := got(second); !reflect.DeepEqual(g, want) {
		t.Errorf("samples\n got %v\nwant %v", g, want)
	}
	if !second.Samples[0].Start.Equal(ts("2026-11-22T11:40:00Z")) || second.Samples[0].Metadata["user_calibrating"] != true {
		t.Errorf("second recovery %+v", second.Samples[0])
	}

	// Pending: a record without items, so an earlier scored version would be replaced by nothing.
	if third := recs[2]; third.ID != "6d0b3e8e-1c2a-4c55-9f0e-4b8f1d2a7c31" || len(third.Samples) != 0 {
		t.Errorf("pending recovery %+v", third)
	}
}

func TestWorkoutMapping(t *testing.T) {
	api, _ := fixtureAPI(t, map[string]string{"/v2/activity/workout": "workout_page.json"})
	recs := fetch(t, api, TypeWorkout)
	if len(recs) != 4 {
		t.Fatalf("got %d records, want 4", len(recs))
	}
	type summary struct {
		id, activity, zone string
		minutes            float64
		energy, distance   *ingest.Quantity
	}
	var got []summary
	for _, r := range recs {
		if r.DataType != TypeWorkout || len(r.Workouts) != 1 || len(r.Samples)+len(r.Categories) != 0 {
			t.Fatalf("record %+v", r)
		}
		w := r.Workouts[0]
		if w.ID != r.ID && w.ID != "" {
			t.Errorf("workout carries an id")
		}
		got = append(got, summary{r.ID, w.ActivityType, zoneName(w.TimeZone), *w.DurationSeconds / 60, w.Energy, w.Distance})
	}
	want := []summary{
		{"b2a9c6f4-0d1e-4f3a-8c7b-5e6d4a3b2c10", "running", "Etc/GMT-1", 45.5,
			&ingest.Quantity{Value: 1569.34033203125, Unit: "kJ"}, &ingest.Quantity{Value: 1772.77035916, Unit: "m"}},
		{"c3b0d7a5-1e2f-4a4b-9d8c-6f7e5b4c3d21", "hiking", "Etc/GMT-1", 120, nil, nil},
		{"d4c1e8b6-2f3a-4b5c-8e9d-7a8f6c5d4e32", "other", "Etc/UTC", 40, &ingest.Quantity{Value: 1255.2, Unit: "kJ"}, nil},
		{"e5d2f9c7-3a4b-4c6d-9f0e-8b9a7d6e5f43", "yoga", "Etc/GMT-2", 60, nil, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("workouts\n got %+v\nwant %+v", got, want)
	}
	run := recs[0].Workouts[0]
	if !run.Start.Equal(ts("2026-11-23T22:30:00Z")) || !run.End.Equal(ts("2026-11-23T23:15:30Z")) {
		t.Errorf("run %s–%s", run.Start, run.End)
	}
	wantMeta := map[string]any{
		"sport_name": "running", "score_state": "SCORED", "strain": 8.2463, "averageHeartRate": 123.0,
		"maxHeartRate": 146.0, "percent_recorded": 100.0, "altitude_gain_meter": 46.64384460449,
		"altitude_change_meter": -0.781372010707855,
		"zone_durations_milli":  []int64{13458, 389370, 388367, 71137, 0, 0},
	}
	if !reflect.DeepEqual(run.Metadata, wantMeta) {
		t.Errorf("metadata\n got %v\nwant %v", run.Metadata, wantMeta)
	}
	if m := recs[2].Workouts[0].Metadata; m["sport_unmapped"] != true || m["sport_name"] != "underwater-hockey" {
		t.Errorf("an unknown sport is kept by name and flagged: %v", m)
	}
	if m := recs[3].Workouts[0].Metadata; m["sport_id"] != 44 || m["sport_unmapped"] != nil {
		t.Errorf("legacy sport_id: %v", m)
	}
}

func TestCycleMapping(t *testing.T) {
	api, _ := fixtureAPI(t, map[string]string{"/v2/cycle": "cycle_page.json"})
	recs := fetch(t, api, TypeCycle)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2 (the cycle in progress is left out)", len(recs))
	}
	ended := recs[0]
	if ended.ID != "93845" || len(ended.Samples) != 1 || len(ended.Totals) != 0 {
		t.Fatalf("ended cycle %+v", ended)
	}
	s := ended.Samples[0]
	if s.Type != "total_energy_burned" || s.Value != 8288.297 || s.Unit != "kJ" ||
		!s.Start.Equal(ts("2026-11-23T04:12:30.120Z")) || !s.End.Equal(ts("2026-11-24T04:40:00Z")) ||
		zoneName(s.TimeZone) != "Etc/GMT+5" {
		t.Errorf("cycle energy %+v", s)
	}
	if s.Metadata["strain"] != 5.2951527 || s.Metadata["average_heart_rate"] != 68.0 || s.Metadata["max_heart_rate"] != 141.0 {
		t.Errorf("metadata %v", s.Metadata)
	}
	if pending := recs[1]; pending.ID != "93844" || len(pending.Samples) != 0 {
		t.Errorf("unscored cycle %+v", pending)
	}
}

func TestBodyAndProfile(t *testing.T) {
	api, _ := fixtureAPI(t, map[string]string{
		"/v2/user/measurement/body": "body.json",
		"/v2/user/profile/basic":    "profile.json",
	})
	id, err := New().UserID(context.Background(), api)
	if err != nil || id != "10129" {
		t.Fatalf("UserID = %q, %v", id, err)
	}
	recs, err := New().Fetch(context.Background(), api, TypeBody, winFrom, ts("2026-11-25T17:42:10Z"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].ID != "body_measurement" || len(recs[0].Samples) != 2 {
		t.Fatalf("body %+v", recs)
	}
	for i, want := range []struct {
		metric string
		value  float64
		unit   string
	}{{"height", 1.8288, "m"}, {"body_mass", 90.7185, "kg"}} {
		s := recs[0].Samples[i]
		if s.Type != want.metric || float64(s.Value) != want.value || s.Unit != want.unit {
			t.Errorf("sample %d: %s %v %s, want %v", i, s.Type, s.Value, s.Unit, want)
		}
		// Dated at the start of the day the window ends in: WHOOP's values are the current ones.
		today := ts("2026-11-25T00:00:00Z")
		if !s.Start.Equal(today) || !s.End.Equal(today) || s.UserEntered == nil || !*s.UserEntered {
			t.Errorf("%s: dated %s–%s, user entered %v", s.Type, s.Start, s.End, s.UserEntered)
		}
		if s.Metadata["max_heart_rate"] != 200 {
			t.Errorf("metadata %v", s.Metadata)
		}
	}
}

// TestCatalogAcceptsEverything runs every mapped item of every fixture through the catalog the core
// normalizes with: names exist, units convert, values are in range, activities are canonical.
func TestCatalogAcceptsEverything(t *testing.T) {
	cat := catalog.New()
	api, _ := fixtureAPI(t, map[string]string{
		"/v2/activity/sleep":   "sleep_page.json",
		"/v2/recovery":         "recovery_page.json",
		"/v2/activity/workout": "workout_page.json",
		"/v2/cycle":            "cycle_page.json",
		"/v2/activity/sleep/3f1e9a52-7b0c-4d8e-a1f2-9c3b5d7e0a14": "sleep_single.json",
		"/v2/user/measurement/body":                               "body.json",
	})
	acts := cat.Activities()
	check := func(metric string, v ingest.Float, unit string) {
		t.Helper()
		m, ok := cat.Lookup(metric)
		if !ok || m.Name != metric {
			t.Errorf("metric %q is not canonical in the catalog", metric)
			return
		}
		c, err := cat.Convert(m, float64(v), unit, catalog.Canonical)
		if err != nil {
			t.Errorf("%s: %v", metric, err)
			return
		}
		if !m.InRange(c) {
			t.Errorf("%s: %v %s is %v %s, out of range", metric, v, unit, c, m.Unit)
		}
	}
	items := 0
	for _, dt := range New().DataTypes() {
		for _, r := range fetch(t, api, dt) {
			for _, s := range r.Samples {
				check(s.Type, s.Value, s.Unit)
				if s.Source.Name == "" {
					t.Errorf("%s without a source name", s.Type)
				}
				items++
			}
			for _, c := range r.Categories {
				cc, ok := cat.LookupCategory(c.Type)
				if v, okv := cc.NormalizeValue(catalog.Canonical, c.Value); !ok || !okv || v != c.Value {
					t.Errorf("category %s=%s is not canonical", c.Type, c.Value)
				}
				items++
			}
			for _, w := range r.Workouts {
				if !slices.Contains(acts, w.ActivityType) {
					t.Errorf("activity %q is not in the catalog", w.ActivityType)
				}
				if w.Energy != nil {
					check("active_energy_burned", w.Energy.Value, w.Energy.Unit)
				}
				if w.Distance != nil {
					check("distance_walking_running", w.Distance.Value, w.Distance.Unit)
				}
				items++
			}
		}
	}
	if items != 16 {
		t.Errorf("%d items checked, want 16", items)
	}
	for _, row := range sportTable() {
		if !slices.Contains(acts, row.activity) {
			t.Errorf("WHOOP sport %s maps to %q, which the catalog lacks", row.names, row.activity)
		}
	}
}

func TestSportNames(t *testing.T) {
	id := func(n int) *int { return &n }
	for _, c := range []struct {
		name  string
		id    *int
		want  string
		known bool
	}{
		{"running", nil, "running", true},
		{"Functional Fitness", nil, "functional_strength_training", true},
		{"functional-fitness", nil, "functional_strength_training", true},
		{"track_&_field", nil, "track_and_field", true},
		{"hiking", nil, "hiking", true},
		{"barrys", nil, "boot_camp", true},
		{"sauna", nil, "preparation_and_recovery", true},
		{"", id(1), "cycling", true},
		{"something-new", id(63), "walking", true},
		{"something-new", nil, "other", false},
		{"", nil, "other", false},
	} {
		got, known := activityFor(c.name, c.id)
		if got != c.want || known != c.known {
			t.Errorf("activityFor(%q, %v) = %s, %v; want %s, %v", c.name, c.id, got, known, c.want, c.known)
		}
	}
	seenName, seenID := map[string]bool{}, map[int]bool{}
	for _, r := range sportTable() {
		if seenID[r.id] {
			t.Errorf("sport id %d twice", r.id)
		}
		seenID[r.id] = true
		for _, n := range strings.Split(r.names, "|") {
			if k := foldSport(n); seenName[k] {
				t.Errorf("sport name %q twice", n)
			} else {
				seenName[k] = true
			}
		}
	}
}

func TestZoneOf(t *testing.T) {
	for in, want := range map[string]string{
		"Z": "Etc/UTC", "+00:00": "Etc/UTC", "-05:00": "Etc/GMT+5", "+01:00": "Etc/GMT-1", "+14:00": "Etc/GMT-14",
		"+05:30": "<nil>", "-03:30": "<nil>", "05:00": "<nil>", "+5:00": "<nil>", "": "<nil>", "+01:60": "<nil>",
	} {
		if got := zoneName(zoneOf(in)); got != want {
			t.Errorf("zoneOf(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestUnknownDataType(t *testing.T) {
	api, _ := fixtureAPI(t, nil)
	if _, err := New().Fetch(context.Background(), api, "steps", winFrom, winTo); err == nil {
		t.Error("Fetch of a data type WHOOP lacks succeeded")
	}
	if recs, err := New().FetchRecord(context.Background(), api, TypeSleep, "no-such-sleep"); err != nil || recs == nil || len(recs) != 0 {
		t.Errorf("a record WHOOP no longer has: %v, %v; want an empty slice", recs, err)
	}
	body, _ := fixtureAPI(t, map[string]string{"/v2/user/measurement/body": "body.json"})
	clock := func() time.Time { return ts("2026-11-25T17:42:10Z") }
	recs, err := Adapter{now: clock}.FetchRecord(context.Background(), body, TypeBody, "body_measurement")
	if err != nil || len(recs) != 1 || !recs[0].Samples[0].Start.Equal(ts("2026-11-25T00:00:00Z")) {
		t.Errorf("body by id: %+v, %v", recs, err)
	}
}
