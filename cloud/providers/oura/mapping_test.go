package oura

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/cloud/providers"
	"healthsync/ingest"
)

// fixtures serves testdata/<type>.json for /v2/usercollection/<type> (next_token "cGFnZTI" asks for
// <type>_page2.json) and single documents out of those files, and remembers every query.
type fixtures struct {
	mu      sync.Mutex
	queries []string
}

func (fx *fixtures) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fx.mu.Lock()
	fx.queries = append(fx.queries, r.URL.Path+"?"+r.URL.RawQuery)
	fx.mu.Unlock()
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/usercollection/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	typ, id, single := strings.Cut(rest, "/")
	name := typ
	if r.URL.Query().Get("next_token") == "cGFnZTI" {
		name += "_page2"
	}
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if single {
		var p struct{ Data []json.RawMessage }
		if err := json.Unmarshal(b, &p); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, d := range p.Data {
			var doc struct{ ID string }
			if json.Unmarshal(d, &doc) == nil && doc.ID == id {
				w.Write(d)
				return
			}
		}
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

func (fx *fixtures) last() string {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return fx.queries[len(fx.queries)-1]
}

func fixtureAPI(t *testing.T) (*providers.API, *fixtures) {
	fx := &fixtures{}
	srv := httptest.NewServer(fx)
	t.Cleanup(srv.Close)
	return &providers.API{Client: srv.Client(), BaseURL: srv.URL}, fx
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// testSource is written out rather than taken from source(), so a change of the source shows here.
func testSourceOf() ingest.Source {
	return ingest.Source{Name: "Oura", BundleID: ptr("com.ouraring.oura"), DeviceModel: ptr("Oura Ring"),
		DeviceManufacturer: ptr("Oura")}
}

func TestHeartRateHours(t *testing.T) {
	api, fx := fixtureAPI(t)
	a := New()
	recs, err := a.Fetch(context.Background(), api, HeartRate, utc("2026-11-24T10:20:00Z"), utc("2026-11-24T11:30:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	// The window widens to whole hours; 09:58 and 12:00 fall outside, bpm 0 is implausible, the repeated
	// 10:05 is kept once and 10:55 is put in order.
	q, _ := url.ParseQuery(strings.SplitN(fx.last(), "?", 2)[1])
	if q.Get("start_datetime") != "2026-11-24T10:00:00Z" || q.Get("end_datetime") != "2026-11-24T12:00:00Z" {
		t.Errorf("query %v", q)
	}
	pt := func(s string, v float64) ingest.SeriesPoint {
		return ingest.SeriesPoint{Time: utc(s), Value: ingest.Float(v)}
	}
	want := []providers.Record{
		{DataType: HeartRate, ID: "2026-11-24T10Z", Series: []ingest.SeriesSample{{Type: "heart_rate", Unit: "count/min",
			Start: utc("2026-11-24T10:00:00Z"), End: utc("2026-11-24T10:55:00Z"), Source: testSourceOf(),
			Points: []ingest.SeriesPoint{pt("2026-11-24T10:00:00Z", 61), pt("2026-11-24T10:05:00Z", 63), pt("2026-11-24T10:55:00Z", 70)}}}},
		{DataType: HeartRate, ID: "2026-11-24T11Z", Series: []ingest.SeriesSample{{Type: "heart_rate", Unit: "count/min",
			Start: utc("2026-11-24T11:03:00Z"), End: utc("2026-11-24T11:03:00Z"), Source: testSourceOf(),
			Points: []ingest.SeriesPoint{pt("2026-11-24T11:03:00Z", 72)}}}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records\n got %+v\nwant %+v", recs, want)
	}
	checkCatalog(t, recs)
}

func TestDailyActivityTotalsAcrossPages(t *testing.T) {
	api, fx := fixtureAPI(t)
	recs, err := New().Fetch(context.Background(), api, DailyActivity, utc("2026-11-24T00:00:00Z"), utc("2026-11-26T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	// Two pages: the second request carries the first page's next_token and the same window.
	if got := fx.last(); got != "/v2/usercollection/daily_activity?end_date=2026-11-27&next_token=cGFnZTI&start_date=2026-11-23" {
		t.Errorf("second page asked as %s", got)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	cet, est := ptr("Etc/GMT-1"), ptr("Etc/GMT+5")
	total := func(m string, d string, z *string, v float64, u string) providers.DailyTotal {
		return providers.DailyTotal{Metric: m, Day: day(d), TimeZone: z, Value: v, Unit: u, Source: testSourceOf()}
	}
	want := []providers.Record{
		{DataType: DailyActivity, ID: "4b9d7c1a-act-0001", Totals: []providers.DailyTotal{
			total("steps", "2026-11-24", cet, 9120, "count"),
			total("active_energy_burned", "2026-11-24", cet, 431, "kcal"),
			total("total_energy_burned", "2026-11-24", cet, 2517, "kcal"),
		}},
		{DataType: DailyActivity, ID: "4b9d7c1a-act-0002", Totals: []providers.DailyTotal{
			total("steps", "2026-11-25", est, 4000, "count"),
			total("active_energy_burned", "2026-11-25", est, 200, "kcal"),
			total("total_energy_burned", "2026-11-25", est, 2100, "kcal"),
		}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records\n got %+v\nwant %+v", recs, want)
	}
	checkCatalog(t, recs)
}

func TestSleepPeriods(t *testing.T) {
	api, fx := fixtureAPI(t)
	recs, err := New().Fetch(context.Background(), api, Sleep, utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fx.last(); got != "/v2/usercollection/sleep?end_date=2026-11-25&start_date=2026-11-22" {
		t.Errorf("asked %s", got)
	}
	cet := ptr("Etc/GMT-1")
	cat := func(v, from, to string, meta map[string]any) ingest.CategorySample {
		return ingest.CategorySample{Type: "sleep", Value: v, Start: utc(from), End: utc(to), Source: testSourceOf(),
			TimeZone: cet, Metadata: meta}
	}
	q := func(m string, v float64, u, from, to string) ingest.QuantitySample {
		return ingest.QuantitySample{Type: m, Value: ingest.Float(v), Unit: u, Start: utc(from), End: utc(to),
			Source: testSourceOf(), TimeZone: cet}
	}
	night := [2]string{"2026-11-23T22:10:00Z", "2026-11-23T23:02:30Z"}
	nap := [2]string{"2026-11-24T13:00:00Z", "2026-11-24T13:30:00Z"}
	want := []providers.Record{
		{DataType: Sleep, ID: "c0ffee00-slp-0001",
			Categories: []ingest.CategorySample{
				cat("in_bed", night[0], night[1], map[string]any{"oura_sleep_type": "long_sleep"}),
				cat("awake", "2026-11-23T22:10:00Z", "2026-11-23T22:20:00Z", nil),
				cat("asleep_core", "2026-11-23T22:20:00Z", "2026-11-23T22:35:00Z", nil),
				cat("asleep_deep", "2026-11-23T22:35:00Z", "2026-11-23T22:45:00Z", nil),
				cat("asleep_rem", "2026-11-23T22:45:00Z", "2026-11-23T22:55:00Z", nil),
				// The last phase is clipped to bedtime_end.
				cat("awake", "2026-11-23T22:55:00Z", "2026-11-23T23:02:30Z", nil),
			},
			Samples: []ingest.QuantitySample{
				q("hrv_rmssd", 38, "ms", night[1], night[1]),
				q("respiratory_rate", 14.875, "count/min", night[1], night[1]),
				q("resting_heart_rate", 49, "count/min", night[1], night[1]),
			}},
		// A nap: no resting heart rate, no breathing rate (null).
		{DataType: Sleep, ID: "c0ffee00-slp-0002",
			Categories: []ingest.CategorySample{
				cat("in_bed", nap[0], nap[1], map[string]any{"oura_sleep_type": "sleep"}),
				cat("awake", "2026-11-24T13:00:00Z", "2026-11-24T13:05:00Z", nil),
				cat("asleep_core", "2026-11-24T13:05:00Z", "2026-11-24T13:30:00Z", nil),
			},
			Samples: []ingest.QuantitySample{q("hrv_rmssd", 55, "ms", nap[1], nap[1])}},
		// Deleted by the user: an empty record, so an earlier version is removed.
		{DataType: Sleep, ID: "c0ffee00-slp-0003"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records\n got %+v\nwant %+v", recs, want)
	}
	checkCatalog(t, recs)
}

func TestWorkouts(t *testing.T) {
	api, _ := fixtureAPI(t)
	recs, err := New().Fetch(context.Background(), api, Workout, utc("2026-11-24T00:00:00Z"), utc("2026-11-25T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	cet := ptr("Etc/GMT-1")
	want := []providers.Record{
		{DataType: Workout, ID: "9e1f-wko-0001", Workouts: []ingest.Workout{{ActivityType: "running",
			Start: utc("2026-11-24T17:00:00Z"), End: utc("2026-11-24T17:45:00Z"),
			Energy: &ingest.Quantity{Value: 352.5, Unit: "kcal"}, Distance: &ingest.Quantity{Value: 6210, Unit: "m"},
			Source: testSourceOf(), TimeZone: cet,
			Metadata: map[string]any{"oura_activity": "running", "oura_intensity": "moderate", "oura_source": "confirmed"}}}},
		// +05:30 has no Etc name: no zone. Null calories and distance stay absent.
		{DataType: Workout, ID: "9e1f-wko-0002", Workouts: []ingest.Workout{{ActivityType: "strength_training",
			Start: utc("2026-11-24T01:30:00Z"), End: utc("2026-11-24T02:10:00Z"), Source: testSourceOf(),
			Metadata: map[string]any{"oura_activity": "strengthTraining", "oura_intensity": "hard",
				"oura_source": "manual", "label": "Gym"}}}},
		// Unknown to the catalog: other. A zero distance is no distance.
		{DataType: Workout, ID: "9e1f-wko-0003", Workouts: []ingest.Workout{{ActivityType: "other",
			Start: utc("2026-11-24T09:50:00Z"), End: utc("2026-11-24T10:30:00Z"),
			Energy: &ingest.Quantity{Value: 120, Unit: "kcal"}, Source: testSourceOf(), TimeZone: cet,
			Metadata: map[string]any{"oura_activity": "housework", "oura_intensity": "easy", "oura_source": "autodetected"}}}},
		{DataType: Workout, ID: "9e1f-wko-0004", Workouts: []ingest.Workout{{ActivityType: "dance",
			Start: utc("2026-11-24T19:15:00Z"), End: utc("2026-11-24T20:00:00Z"),
			Energy: &ingest.Quantity{Value: 210, Unit: "kcal"}, Source: testSourceOf(), TimeZone: cet,
			Metadata: map[string]any{"oura_activity": "dancing", "oura_intensity": "moderate", "oura_source": "workout_heart_rate"}}}},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records\n got %+v\nwant %+v", recs, want)
	}
	checkCatalog(t, recs)
}

func TestDailySpO2(t *testing.T) {
	api, _ := fixtureAPI(t)
	recs, err := New().Fetch(context.Background(), api, DailySpO2, utc("2026-11-24T00:00:00Z"), utc("2026-11-26T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	noon := utc("2026-11-24T12:00:00Z")
	want := []providers.Record{
		{DataType: DailySpO2, ID: "77aa-spo-0001", Samples: []ingest.QuantitySample{{Type: "oxygen_saturation",
			Value: 96.375, Unit: "%", Start: noon, End: noon, Source: testSourceOf()}}},
		{DataType: DailySpO2, ID: "77aa-spo-0002"}, // no average that night
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records\n got %+v\nwant %+v", recs, want)
	}
	checkCatalog(t, recs)
}

func TestFetchRecordAndUserID(t *testing.T) {
	api, fx := fixtureAPI(t)
	a := New()
	ctx := context.Background()
	recs, err := a.FetchRecord(ctx, api, Sleep, "c0ffee00-slp-0002")
	if err != nil || len(recs) != 1 || recs[0].ID != "c0ffee00-slp-0002" || len(recs[0].Categories) != 3 {
		t.Fatalf("FetchRecord = %+v, %v", recs, err)
	}
	if got := fx.last(); got != "/v2/usercollection/sleep/c0ffee00-slp-0002?" {
		t.Errorf("asked %s", got)
	}
	recs, err = a.FetchRecord(ctx, api, Workout, "no-such-workout")
	if err != nil || recs == nil || len(recs) != 0 {
		t.Errorf("missing document = %#v, %v; want an empty slice", recs, err)
	}
	if _, err := a.FetchRecord(ctx, api, HeartRate, "x"); err == nil {
		t.Error("heartrate has no single documents, FetchRecord must fail")
	}
	if _, err := a.Fetch(ctx, api, "daily_stress", utc("2026-11-24T00:00:00Z"), utc("2026-11-25T00:00:00Z")); err == nil {
		t.Error("an unmapped data type must fail")
	}
	id, err := a.UserID(ctx, api)
	if err != nil || id != "8a7f-user-42" {
		t.Errorf("UserID = %q, %v", id, err)
	}
}

func TestMalformedDocumentIsSkipped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":[
			{"id":"w1","activity":"walking","start_datetime":"yesterday","end_datetime":"2026-11-24T10:00:00+00:00"},
			{"id":"w2","activity":"walking","start_datetime":"2026-11-24T09:00:00+00:00","end_datetime":"2026-11-24T10:00:00+00:00"}
		],"next_token":null}`))
	}))
	defer srv.Close()
	recs, err := New().Fetch(context.Background(), &providers.API{Client: srv.Client(), BaseURL: srv.URL}, Workout,
		utc("2026-11-24T00:00:00Z"), utc("2026-11-25T00:00:00Z"))
	if err != nil || len(recs) != 1 || recs[0].ID != "w2" || recs[0].Workouts[0].ActivityType != "walking" {
		t.Errorf("got %+v, %v; want only w2", recs, err)
	}
}

func TestPhases(t *testing.T) {
	start := utc("2026-11-24T00:00:00Z")
	at := func(min int) time.Time { return start.Add(time.Duration(min) * time.Minute) }
	cases := []struct {
		phases string
		end    time.Time
		want   []stage
	}{
		{"", at(30), nil},
		{"1", at(30), []stage{{"asleep_deep", at(0), at(5)}}},
		// A string longer than the period is cut at its end.
		{"2222", at(12), []stage{{"asleep_core", at(0), at(12)}}},
		// An undocumented character leaves a gap and ends the run.
		{"33x3", at(60), []stage{{"asleep_rem", at(0), at(10)}, {"asleep_rem", at(15), at(20)}}},
		{"41", at(60), []stage{{"awake", at(0), at(5)}, {"asleep_deep", at(5), at(10)}}},
	}
	for _, c := range cases {
		if got := phases(c.phases, start, c.end); !reflect.DeepEqual(got, c.want) {
			t.Errorf("phases(%q) = %+v, want %+v", c.phases, got, c.want)
		}
	}
}

func TestActivityNames(t *testing.T) {
	a := New()
	cases := map[string]string{
		"walking": "walking", "running": "running", "cycling": "cycling", "swimming": "swimming",
		"hiking": "hiking", "strengthTraining": "strength_training", "yoga": "yoga", "pilates": "pilates",
		"crossCountrySkiing": "cross_country_skiing", "tableTennis": "table_tennis", "hiit": "hiit",
		"dancing": "dance", "weightLifting": "strength_training", "stretching": "flexibility",
		"indoorCycling": "cycling", "stairExercise": "stair_climbing", "rockClimbing": "climbing",
		"kayaking": "paddling", "other": "other", "meditation": "other", "": "other", "housework": "other",
	}
	known := map[string]bool{}
	for _, n := range catalog.New().Activities() {
		known[n] = true
	}
	for raw, want := range cases {
		got := a.activity(raw)
		if got != want {
			t.Errorf("activity(%q) = %q, want %q", raw, got, want)
		}
		if !known[got] {
			t.Errorf("activity(%q) = %q is not in the catalog", raw, got)
		}
	}
}

// checkCatalog checks every item against the catalog the core will apply: known metric, unit it converts,
// value in range, canonical category value and activity, a source name, and no ids.
func checkCatalog(t *testing.T, recs []providers.Record) {
	t.Helper()
	c := catalog.New()
	quantity := func(metric string, v float64, unit string) {
		m, ok := c.Lookup(metric)
		if !ok || m.Name != metric {
			t.Errorf("%s is no canonical metric", metric)
			return
		}
		got, err := c.Convert(m, v, unit, catalog.Canonical)
		if err != nil {
			t.Errorf("%s %v %s: %v", metric, v, unit, err)
		} else if !m.InRange(got) {
			t.Errorf("%s %v %s is out of range", metric, v, unit)
		}
	}
	for _, r := range recs {
		if r.ID == "" || r.DataType == "" {
			t.Errorf("record without id or data type: %+v", r)
		}
		for _, s := range r.Samples {
			quantity(s.Type, float64(s.Value), s.Unit)
			if s.ID != "" || s.Version != nil || s.Source.Name == "" {
				t.Errorf("sample id %q version %v source %q", s.ID, s.Version, s.Source.Name)
			}
		}
		for _, s := range r.Series {
			for _, p := range s.Points {
				quantity(s.Type, float64(p.Value), s.Unit)
			}
			if s.ID != "" || s.Version != nil || s.Source.Name == "" {
				t.Errorf("series id %q version %v source %q", s.ID, s.Version, s.Source.Name)
			}
		}
		for _, tot := range r.Totals {
			quantity(tot.Metric, tot.Value, tot.Unit)
			if m, _ := c.Lookup(tot.Metric); m.Aggregation != catalog.Cumulative {
				t.Errorf("daily total of %s, which is not cumulative", tot.Metric)
			}
			if !tot.Day.Equal(tot.Day.Truncate(24*time.Hour)) || tot.Day.Location() != time.UTC {
				t.Errorf("total day %v is not midnight UTC", tot.Day)
			}
		}
		for _, s := range r.Categories {
			cat, ok := c.LookupCategory(s.Type)
			if !ok {
				t.Errorf("category %s unknown", s.Type)
				continue
			}
			if v, ok := cat.NormalizeValue(catalog.Canonical, s.Value); !ok || v != s.Value {
				t.Errorf("%s value %q is not canonical", s.Type, s.Value)
			}
			if s.ID != "" || s.Version != nil || !s.End.After(s.Start) {
				t.Errorf("category %+v", s)
			}
		}
		for _, w := range r.Workouts {
			if v, ok := c.ActivityType(catalog.Canonical, w.ActivityType); !ok || v != w.ActivityType {
				t.Errorf("activity %q is not canonical", w.ActivityType)
			}
			if w.Energy != nil {
				quantity("active_energy_burned", float64(w.Energy.Value), w.Energy.Unit)
			}
			if w.Distance != nil {
				quantity("distance_walking_running", float64(w.Distance.Value), w.Distance.Unit)
			}
			if w.ID != "" || w.Version != nil {
				t.Errorf("workout id %q version %v", w.ID, w.Version)
			}
		}
	}
}

func TestHeartRateLongWindowIsSplit(t *testing.T) {
	api, fx := fixtureAPI(t)
	// 45 days: two queries, the first 30 days long, both widened to whole hours; the same fixture answers
	// both, and its rows are kept once.
	recs, err := New().Fetch(context.Background(), api, HeartRate, utc("2026-10-20T10:30:00Z"), utc("2026-12-04T10:30:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	fx.mu.Lock()
	got := append([]string(nil), fx.queries...)
	fx.mu.Unlock()
	want := []string{
		"/v2/usercollection/heartrate?end_datetime=2026-11-19T10%3A00%3A00Z&start_datetime=2026-10-20T10%3A00%3A00Z",
		"/v2/usercollection/heartrate?end_datetime=2026-12-04T11%3A00%3A00Z&start_datetime=2026-11-19T10%3A00%3A00Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("queries\n got %q\nwant %q", got, want)
	}
	points := 0
	for _, r := range recs {
		points += len(r.Series[0].Points)
	}
	// 09:58; 10:00, 10:05, 10:55; 11:03; 12:00 (bpm 0 at 11:00 is dropped).
	if len(recs) != 4 || points != 6 {
		t.Errorf("%d hours with %d points, want 4 hours (09 to 12) with 6 points", len(recs), points)
	}
}
