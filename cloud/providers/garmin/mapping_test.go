package garmin

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/cloud/providers"
	"healthsync/ingest"
)

// fixture maps one testdata file of a summary type, as a pull answer would be.
func fixture(t *testing.T, dataType string) []providers.Record {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", dataType+".json"))
	if err != nil {
		t.Fatal(err)
	}
	groups, err := decoder(dataType)(func(out any) error { return json.Unmarshal(raw, out) })
	if err != nil {
		t.Fatalf("%s: %v", dataType, err)
	}
	var recs []providers.Record
	for _, g := range groups {
		recs = append(recs, g...)
	}
	return latest(recs)
}

func at(s int64) time.Time { return time.Unix(s, 0).UTC() }

func wantSample(t *testing.T, got ingest.QuantitySample, typ string, v float64, unit string, start, end int64) {
	t.Helper()
	if got.Type != typ || float64(got.Value) != v || got.Unit != unit || !got.Start.Equal(at(start)) || !got.End.Equal(at(end)) {
		t.Errorf("sample = %s %v %s %s–%s, want %s %v %s %s–%s", got.Type, got.Value, got.Unit,
			got.Start.Format(time.RFC3339), got.End.Format(time.RFC3339), typ, v, unit,
			at(start).Format(time.RFC3339), at(end).Format(time.RFC3339))
	}
	if got.ID != "" || got.Version != nil || got.Source.Name == "" {
		t.Errorf("sample %s carries an id or version, or has no source: %+v", typ, got)
	}
}

func TestDailiesKeepTheLastVersionOfTheDayAsTotals(t *testing.T) {
	recs := fixture(t, Dailies)
	if len(recs) != 3 {
		t.Fatalf("%d records, want the day's last version and its two hours of heart rate", len(recs))
	}
	r := recs[0]
	if r.ID != "2026-11-23" || r.DataType != Dailies {
		t.Errorf("record %s %q, want dailies 2026-11-23", r.DataType, r.ID)
	}
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	want := []providers.DailyTotal{
		{Metric: "steps", Value: 8123, Unit: "count"},
		{Metric: "distance_walking_running", Value: 6230.4, Unit: "m"},
		{Metric: "active_energy_burned", Value: 512, Unit: "kcal"},
		{Metric: "basal_energy_burned", Value: 1680, Unit: "kcal"},
		{Metric: "flights_climbed", Value: 7, Unit: "count"},
	}
	if len(r.Totals) != len(want) {
		t.Fatalf("%d totals, want %d: %+v", len(r.Totals), len(want), r.Totals)
	}
	for i, w := range want {
		g := r.Totals[i]
		if g.Metric != w.Metric || g.Value != w.Value || g.Unit != w.Unit || !g.Day.Equal(day) ||
			g.TimeZone == nil || *g.TimeZone != "Etc/GMT-1" || g.Source.Name == "" {
			t.Errorf("total %d = %+v, want %+v on %s in Etc/GMT-1", i, g, w, day.Format(time.DateOnly))
		}
	}
	if len(r.Samples) != 1 {
		t.Fatalf("%d samples, want the resting heart rate only (day totals are never samples)", len(r.Samples))
	}
	wantSample(t, r.Samples[0], "resting_heart_rate", 52, "count/min", 1795388400, 1795388400+86400)
	if len(r.Series) != 0 {
		t.Fatalf("the day's record holds %d series; heart rate goes in hourly records", len(r.Series))
	}
	// Heart rate: one record per UTC hour, keyed by day and hour, so a re-sent daily rewrites only the hours
	// that changed. The sample 90000 s after the start lies past the day's end and is dropped.
	type pt struct {
		off int64
		v   float64
	}
	wantHours := []struct {
		id  string
		pts []pt
	}{
		{at(1795388400).Format("2006-01-02T15Z"), []pt{{0, 58}, {15, 57}, {30, 60}}},
		{at(1795388400 + 86400).Format("2006-01-02T15Z"), []pt{{86400, 71}}},
	}
	for h, w := range wantHours {
		hr := recs[1+h]
		if hr.ID != w.id || hr.DataType != Dailies || len(hr.Series) != 1 || len(hr.Samples)+len(hr.Totals) != 0 {
			t.Fatalf("hour record %d = %s %q with %d series, %d samples, %d totals; want %q with one series",
				h, hr.DataType, hr.ID, len(hr.Series), len(hr.Samples), len(hr.Totals), w.id)
		}
		s := hr.Series[0]
		if s.Type != "heart_rate" || s.Unit != "count/min" || !s.Start.Equal(at(1795388400+w.pts[0].off)) ||
			!s.End.Equal(at(1795388400+w.pts[len(w.pts)-1].off)) {
			t.Errorf("hour %d series = %s %s %s–%s", h, s.Type, s.Unit, s.Start, s.End)
		}
		if len(s.Points) != len(w.pts) {
			t.Fatalf("hour %d: %d points, want %d: %+v", h, len(s.Points), len(w.pts), s.Points)
		}
		for i, p := range w.pts {
			if !s.Points[i].Time.Equal(at(1795388400+p.off)) || float64(s.Points[i].Value) != p.v {
				t.Errorf("hour %d point %d = %s %v, want +%ds %v", h, i, s.Points[i].Time, s.Points[i].Value, p.off, p.v)
			}
		}
	}
}

func TestEpochsAreIntradaySamples(t *testing.T) {
	recs := fixture(t, Epochs)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	ids := []string{recs[0].ID, recs[1].ID, recs[2].ID, recs[3].ID}
	if !slices.Equal(ids, []string{"x3f2a1b-69227070-384-0", "x3f2a1b-69227070-384-6", "x3f2a1b-692273f4-384-1", "x3f2a1b-69227778-384-2"}) {
		t.Errorf("record ids %v, want the summaryIds", ids)
	}
	// SEDENTARY: no steps and no distance, 2 kcal.
	if len(recs[0].Samples) != 1 {
		t.Fatalf("sedentary epoch: %d samples, want only its energy", len(recs[0].Samples))
	}
	wantSample(t, recs[0].Samples[0], "active_energy_burned", 2, "kcal", 1795417200, 1795418100)
	walk := recs[1].Samples
	if len(walk) != 3 {
		t.Fatalf("walking epoch: %d samples, want 3", len(walk))
	}
	wantSample(t, walk[0], "steps", 412, "count", 1795417200, 1795418100)
	wantSample(t, walk[1], "distance_walking_running", 320.5, "m", 1795417200, 1795418100)
	wantSample(t, walk[2], "active_energy_burned", 18, "kcal", 1795417200, 1795418100)
	if walk[0].TimeZone == nil || *walk[0].TimeZone != "Etc/GMT-1" {
		t.Errorf("zone %v, want Etc/GMT-1 for an offset of +3600 s", walk[0].TimeZone)
	}
	run := recs[2].Samples
	if len(run) != 3 {
		t.Fatalf("running epoch: %d samples, want 3", len(run))
	}
	wantSample(t, run[0], "steps", 1450, "count", 1795418100, 1795419000)
	cyc := recs[3].Samples
	if len(cyc) != 2 {
		t.Fatalf("cycling epoch: %d samples, want 2", len(cyc))
	}
	wantSample(t, cyc[0], "distance_cycling", 4000, "m", 1795419000, 1795419900)
	wantSample(t, cyc[1], "active_energy_burned", 60, "kcal", 1795419000, 1795419900)
}

func TestSleepIsOneInBedPlusStages(t *testing.T) {
	recs := fixture(t, Sleeps)
	if len(recs) != 1 || recs[0].ID != "2026-11-23" {
		t.Fatalf("records %+v, want one keyed 2026-11-23", recs)
	}
	type span struct {
		v          string
		start, end int64
	}
	// in_bed runs to the end of the last awake stage, past start+durationInSeconds (1795408200).
	want := []span{
		{"in_bed", 1795383000, 1795409400},
		{"asleep_core", 1795383000, 1795386600},
		{"asleep_deep", 1795386600, 1795392000},
		{"awake", 1795392000, 1795392600},
		{"asleep_rem", 1795392600, 1795396200},
		{"asleep_core", 1795396200, 1795408200},
		{"awake", 1795408200, 1795409400},
	}
	got := recs[0].Categories
	if len(got) != len(want) {
		t.Fatalf("%d items, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Type != "sleep" || g.Value != w.v || !g.Start.Equal(at(w.start)) || !g.End.Equal(at(w.end)) ||
			g.UserEntered != nil || g.TimeZone == nil || *g.TimeZone != "Etc/GMT-1" {
			t.Errorf("item %d = %s %s %s–%s, want %s %s–%s", i, g.Type, g.Value, g.Start, g.End, w.v, at(w.start), at(w.end))
		}
	}
}

func TestSleepWithoutStagesIsUnspecified(t *testing.T) {
	r := mapSleep(sleep{UserID: "u", CalendarDate: "2026-11-23", StartTimeInSeconds: 1795383000,
		DurationInSeconds: 3600, Validation: "MANUAL"})
	if len(r.Categories) != 2 || r.Categories[0].Value != "in_bed" || r.Categories[1].Value != "asleep_unspecified" {
		t.Fatalf("categories %+v, want in_bed and asleep_unspecified", r.Categories)
	}
	for _, c := range r.Categories {
		if c.UserEntered == nil || !*c.UserEntered || !c.End.Equal(at(1795383000+3600)) {
			t.Errorf("%s: user entered %v, end %s; want a manual sleep ending an hour later", c.Value, c.UserEntered, c.End)
		}
	}
	if r := mapSleep(sleep{CalendarDate: "2026-11-23", StartTimeInSeconds: 1795383000}); len(r.Categories) != 0 || r.ID != "2026-11-23" {
		t.Errorf("a night without length: %+v, want an empty record under its day", r)
	}
}

func TestActivitiesAreWorkouts(t *testing.T) {
	recs := fixture(t, Activities)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	run := recs[0]
	if run.ID != "21881433210" || len(run.Workouts) != 1 {
		t.Fatalf("record %q with %d workouts", run.ID, len(run.Workouts))
	}
	w := run.Workouts[0]
	if w.ActivityType != "running" || !w.Start.Equal(at(1795418100)) || !w.End.Equal(at(1795418100+1800)) ||
		w.DurationSeconds == nil || *w.DurationSeconds != 1800 {
		t.Errorf("workout %s %s–%s %v", w.ActivityType, w.Start, w.End, w.DurationSeconds)
	}
	if w.Energy == nil || *w.Energy != (ingest.Quantity{Value: 402, Unit: "kcal"}) ||
		w.Distance == nil || *w.Distance != (ingest.Quantity{Value: 5012.3, Unit: "m"}) {
		t.Errorf("energy %v, distance %v; want 402 kcal and 5012.3 m", w.Energy, w.Distance)
	}
	if w.Metadata["garmin_activity_type"] != "TRAIL_RUNNING" || w.Metadata["garmin_device_name"] != "forerunner965" {
		t.Errorf("metadata %v", w.Metadata)
	}
	padel := recs[1].Workouts[0]
	if padel.ActivityType != "other" || padel.Distance != nil || padel.Energy == nil || padel.Metadata["garmin_manual"] != true {
		t.Errorf("padel = %s, distance %v, energy %v, metadata %v; want other, no distance, 480 kcal, manual",
			padel.ActivityType, padel.Distance, padel.Energy, padel.Metadata)
	}
}

func TestBodyCompositions(t *testing.T) {
	recs := fixture(t, BodyComps)
	if len(recs) != 1 || recs[0].ID != "x3f2a1b-6922624a" || len(recs[0].Samples) != 3 {
		t.Fatalf("records %+v", recs)
	}
	s := recs[0].Samples
	wantSample(t, s[0], "body_mass", 72450, "g", 1795415400, 1795415400)
	wantSample(t, s[1], "body_fat_percentage", 18.4, "%", 1795415400, 1795415400)
	wantSample(t, s[2], "body_mass_index", 22.9, "kg/m2", 1795415400, 1795415400)
}

// TestTheCatalogAcceptsEveryItem runs every mapped item through the catalog the way the write path does
// (canonical dialect): names, units, ranges, category values and activity types.
func TestHRVIsRMSSDFromTheFiveMinuteValuesOrTheNightsAverage(t *testing.T) {
	recs := fixture(t, HRV)
	if len(recs) != 2 || recs[0].ID != "2026-11-23" || recs[1].ID != "2026-11-24" {
		t.Fatalf("records %+v, want one per night keyed by its date", recs)
	}
	night := recs[0].Samples
	if len(night) != 3 {
		t.Fatalf("%d samples, want the 3 five-minute values (not the average as well)", len(night))
	}
	for i, v := range []float64{32, 50, 50} {
		start := int64(1795384800 + 300*(i+1))
		wantSample(t, night[i], "hrv_rmssd", v, "ms", start, start+300)
	}
	if s := recs[1].Samples; len(s) != 1 {
		t.Fatalf("night without values: %d samples, want its average", len(s))
	} else {
		wantSample(t, s[0], "hrv_rmssd", 41, "ms", 1795471200, 1795471200+27000)
	}
}

func TestPulseOxAndRespirationAreMinuteSamples(t *testing.T) {
	for _, c := range []struct {
		dataType, metric, unit, id string
		values                     []float64
	}{
		{PulseOx, "oxygen_saturation", "%", "x3f2a1b-69226d80-spo2", []float64{96, 95, 97}},
		{Respiration, "respiratory_rate", "count/min", "x3f2a1b-69226d80-resp", []float64{14.5, 15, 13.75}},
	} {
		recs := fixture(t, c.dataType)
		if len(recs) != 1 || recs[0].ID != c.id || len(recs[0].Samples) != len(c.values) {
			t.Fatalf("%s: records %+v", c.dataType, recs)
		}
		for i, v := range c.values {
			start := int64(1795384800 + 60*i)
			wantSample(t, recs[0].Samples[i], c.metric, v, c.unit, start, start+60)
			if tz := recs[0].Samples[i].TimeZone; tz == nil || *tz != *providers.OffsetZone(3600) {
				t.Errorf("%s sample zone %v", c.dataType, tz)
			}
		}
	}
}

func TestTheCatalogAcceptsEveryItem(t *testing.T) {
	cat := catalog.New()
	quantity := func(what, metric string, v float64, unit string) catalog.Metric {
		t.Helper()
		m, ok := cat.Lookup(metric)
		if !ok {
			t.Errorf("%s: the catalog has no metric %q", what, metric)
			return m
		}
		got, err := cat.Convert(m, v, unit, catalog.Canonical)
		if err != nil {
			t.Errorf("%s: %s %v %q: %v", what, metric, v, unit, err)
		} else if !m.InRange(got) {
			t.Errorf("%s: %s %v %s is %v %s, out of range", what, metric, v, unit, got, m.Unit)
		}
		return m
	}
	sleepCat, ok := cat.LookupCategory("sleep")
	if !ok {
		t.Fatal("the catalog has no sleep category")
	}
	activities := cat.Activities()
	seen := 0
	for _, typ := range (Adapter{}).DataTypes() {
		for _, r := range fixture(t, typ) {
			for _, s := range r.Samples {
				quantity(typ, s.Type, float64(s.Value), s.Unit)
				seen++
			}
			for _, s := range r.Series {
				for _, p := range s.Points {
					quantity(typ, s.Type, float64(p.Value), s.Unit)
					seen++
				}
			}
			for _, tot := range r.Totals {
				if m := quantity(typ, tot.Metric, tot.Value, tot.Unit); m.Aggregation != catalog.Cumulative {
					t.Errorf("daily total of %s, which is not cumulative", tot.Metric)
				}
				seen++
			}
			for _, c := range r.Categories {
				if v, ok := sleepCat.NormalizeValue(catalog.Canonical, c.Value); !ok || v != c.Value {
					t.Errorf("sleep value %q is not canonical", c.Value)
				}
				seen++
			}
			for _, w := range r.Workouts {
				if !slices.Contains(activities, w.ActivityType) {
					t.Errorf("activity %q is not canonical", w.ActivityType)
				}
				if w.Energy != nil {
					quantity("workout energy", "active_energy_burned", float64(w.Energy.Value), w.Energy.Unit)
				}
				if w.Distance != nil {
					quantity("workout distance", "distance_walking_running", float64(w.Distance.Value), w.Distance.Unit)
				}
				seen++
			}
		}
	}
	if seen < 30 {
		t.Errorf("only %d items checked: the fixtures did not load", seen)
	}
	for garmin, canonical := range activityTypes() {
		if !slices.Contains(activities, canonical) {
			t.Errorf("Garmin %s maps to %q, which the catalog does not have", garmin, canonical)
		}
	}
}

func TestWindowsAreAtMostADay(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	s := t0.Unix()
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     [][2]int64
	}{
		{"empty", t0, t0, nil},
		{"one hour", t0, t0.Add(time.Hour), [][2]int64{{s, s + 3600}}},
		{"exactly a day", t0, t0.Add(24 * time.Hour), [][2]int64{{s, s + 86400}}},
		{"fifty hours", t0, t0.Add(50 * time.Hour), [][2]int64{{s, s + 86400}, {s + 86400, s + 172800}, {s + 172800, s + 180000}}},
		{"a fraction past a second", t0, t0.Add(24*time.Hour + time.Millisecond), [][2]int64{{s, s + 86400}, {s + 86400, s + 86401}}},
	} {
		if got := windows(tc.from, tc.to); !slices.Equal(got, tc.want) {
			t.Errorf("%s: windows %v, want %v", tc.name, got, tc.want)
		}
	}
}

func readPush(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "push.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhookWithTheSecretReturnsThePushedRecords(t *testing.T) {
	cfg := providers.Config{WebhookSecret: "s3cret-path-token"}
	evs, err := Adapter{}.Webhook(cfg, providers.WebhookRequest{Query: url.Values{"secret": {"s3cret-path-token"}},
		Body: readPush(t), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		user, typ string
		recs      int
		deleted   bool
	}
	var got []ev
	for _, e := range evs {
		got = append(got, ev{e.ProviderUserID, e.DataType, len(e.Records), e.Deleted})
	}
	// stressDetails is skipped; the permission change that keeps HEALTH_EXPORT announces nothing.
	want := []ev{
		{"4aacafe82427c251df9c9592d0c06768", Epochs, 1, false},
		{"b2c41f0e9a7d4e11a3f08e6a1c2d9f44", Epochs, 1, false},
		{"4aacafe82427c251df9c9592d0c06768", BodyComps, 1, false},
		{"c0ffee00c0ffee00c0ffee00c0ffee00", Deregistrations, 0, true},
		{"d00d00d00d00d00d00d00d00d00d00d0", Deregistrations, 0, true},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	// The epoch pushed twice keeps its later version.
	walk := evs[0].Records[0]
	if walk.ID != "x3f2a1b-69227070-384-6" || float64(walk.Samples[0].Value) != 430 {
		t.Errorf("record %s with %v steps, want the later version (430)", walk.ID, walk.Samples[0].Value)
	}
	if z := evs[1].Records[0].Samples[0].TimeZone; z == nil || *z != "Etc/GMT+5" {
		t.Errorf("zone %v, want Etc/GMT+5 for -18000 s", z)
	}
}

func TestWebhookRefusals(t *testing.T) {
	good := providers.Config{WebhookSecret: "s3cret-path-token"}
	body := readPush(t)
	for _, tc := range []struct {
		name  string
		cfg   providers.Config
		query url.Values
		body  []byte
		want  error
	}{
		{"wrong secret", good, url.Values{"secret": {"s3cret-path-tokeN"}}, body, ErrSignature},
		{"no secret", good, nil, body, ErrSignature},
		{"secret as a prefix", good, url.Values{"secret": {"s3cret"}}, body, ErrSignature},
		{"nothing configured", providers.Config{}, url.Values{"secret": {""}}, body, ErrSignature},
		{"signature before body", good, url.Values{"secret": {"x"}}, []byte("{"), ErrSignature},
		{"not JSON", good, url.Values{"secret": {"s3cret-path-token"}}, []byte("{"), ErrMalformed},
		{"not an object", good, url.Values{"secret": {"s3cret-path-token"}}, []byte("[]"), ErrMalformed},
		{"no userId", good, url.Values{"secret": {"s3cret-path-token"}}, []byte(`{"dailies":[{"calendarDate":"2026-11-23"}]}`), ErrMalformed},
		{"summaries not a list", good, url.Values{"secret": {"s3cret-path-token"}}, []byte(`{"epochs":{"userId":"u"}}`), ErrMalformed},
		{"deregistration without user", good, url.Values{"secret": {"s3cret-path-token"}}, []byte(`{"deregistrations":[{}]}`), ErrMalformed},
	} {
		evs, err := Adapter{}.Webhook(tc.cfg, providers.WebhookRequest{Query: tc.query, Body: tc.body})
		if !errors.Is(err, tc.want) || evs != nil {
			t.Errorf("%s: events %v, error %v; want %v", tc.name, evs, err, tc.want)
		}
	}
}
