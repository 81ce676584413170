package server_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"healthsync/cloud/cloudsync"
	"healthsync/cloud/providers/garmin"
	"healthsync/cloud/providers/garmin/garminfake"
	"healthsync/ingest"
)

// TestCloudGarmin runs Garmin end to end: connect through GraphQL (OAuth 2.0 with PKCE), backfill through the
// fake's pull endpoints (its first answer a 429), epoch steps merged with the same user's Apple Watch steps,
// Garmin's daily totals apart from samples, sleep stages, workouts, heart rate and weight; then a re-synced day
// pushed by Garmin replaces the old values, a push with the wrong URL secret is refused, and disconnecting stops
// the jobs.
func TestCloudGarmin(t *testing.T) {
	ctx := context.Background()
	fd := zurichDays(t)
	off, tz, day, days, dates := fd.off, fd.tz, fd.day, fd.times(), fd.dates
	// Eight WALKING epochs a day, 08:00 to 10:00 local, of 100 steps each.
	f := garminfake.New(t, garminfake.Options{Days: days, OffsetSeconds: off, StepsPerInterval: 100})
	c := newCloudApp(t, cloudsync.Provider{Adapter: garmin.New(), Config: f.Config()})
	tok := c.token("alice")

	// Apple Watch data of the same user on the middle day: 1000 steps 08:00–09:00, overlapping Garmin's epochs,
	// and an evening run.
	mid := day(1)
	at := func(d time.Time, h, m int) time.Time {
		return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	var ing ingestResult
	in := ingestInput("watch-1", stepSample(uuid(1), watchSource, at(mid, 8, 0), at(mid, 9, 0), 1000))
	in["input"].(map[string]any)["workouts"] = []map[string]any{{"id": uuid(2),
		"activityType": "HKWorkoutActivityTypeRunning", "start": at(mid, 18, 0).Format(time.RFC3339),
		"end": at(mid, 18, 30).Format(time.RFC3339), "source": watchSource,
		"energy": map[string]any{"value": 300, "unit": "kcal"}}}
	c.do(tok, ingestMutation, in).decode(t, &ing)
	if ing.IngestBatch.Accepted != 2 {
		t.Fatalf("Apple Health batch: %+v", ing.IngestBatch)
	}

	// Connect and backfill.
	c.connect(tok, "GARMIN")
	for runs := 0; c.runJobs() > 0; runs++ {
		if runs > 200 {
			t.Fatal("backfill jobs keep coming")
		}
	}
	c.expectBackfilled(tok, garmin.New(), f.UserID(), f.Count429())
	t.Logf("backfill: %d summary requests, %d token refreshes", f.DataRequests(), f.Refreshes())
	if f.Exchanges() != 1 || f.Refreshes() == 0 {
		t.Errorf("%d code exchanges, %d refreshes: want one exchange and the one-second token refreshed", f.Exchanges(), f.Refreshes())
	}

	// Steps: Garmin's epochs are intraday samples. Merged, the watch's hour wins the overlap (watches outrank
	// other sources), Garmin's 09:00–10:00 adds 400; the days without watch data are Garmin's 800.
	steps := func(merge string) []float64 {
		vars := map[string]any{"m": "steps", "from": day(0).Format(time.RFC3339), "to": day(3).Format(time.RFC3339),
			"b": "DAY", "tz": tz}
		if merge != "" {
			vars["merge"] = merge
		}
		var vs []float64
		for _, p := range c.series(tok, vars).Series.Points {
			vs = append(vs, p.Value)
		}
		return vs
	}
	if got := steps(""); !slices.Equal(got, []float64{800, 1400, 800}) {
		t.Errorf("merged steps per day %v, want 800, 1000+400, 800", got)
	}
	if got := steps("NONE"); !slices.Equal(got, []float64{800, 1800, 800}) {
		t.Errorf("unmerged steps per day %v, want 800, 1000+800, 800", got)
	}
	type share struct {
		Name               string
		SampleCount        int
		Total, Contributed float64
	}
	breakdown := func() []share {
		var out struct {
			SourceBreakdown []struct {
				Source struct {
					Name string `json:"name"`
				} `json:"source"`
				SampleCount        int     `json:"sampleCount"`
				Total              float64 `json:"total"`
				MergedContribution float64 `json:"mergedContribution"`
			} `json:"sourceBreakdown"`
		}
		c.do(tok, `query($from: Time!, $to: Time!) { sourceBreakdown(metric: "steps", from: $from, to: $to) {
			source { name } sampleCount total mergedContribution } }`,
			map[string]any{"from": day(0).Format(time.RFC3339), "to": day(3).Format(time.RFC3339)}).decode(t, &out)
		var s []share
		for _, b := range out.SourceBreakdown {
			s = append(s, share{b.Source.Name, b.SampleCount, b.Total, b.MergedContribution})
		}
		return s
	}
	if got, want := breakdown(), []share{{"Apple Watch", 1, 1000, 1000}, {"Garmin Connect", 24, 2400, 2000}}; !slices.Equal(got, want) {
		t.Errorf("steps by source %+v, want %+v", got, want)
	}

	// Garmin's own day totals are kept apart from samples.
	type total struct {
		Metric, Day, Unit, Provider string
		Value                       float64
		TimeZone                    *string
	}
	readTotals := func(metric string) []total {
		var out struct {
			DailyTotals []total `json:"dailyTotals"`
		}
		c.do(tok, `query($m: String!, $from: Date!, $to: Date!) { dailyTotals(metric: $m, from: $from, to: $to) {
			metric day unit provider value timeZone } }`, map[string]any{"m": metric, "from": dates[0], "to": dates[2]}).decode(t, &out)
		return out.DailyTotals
	}
	checkTotals := func(metric string, unit string, want ...float64) {
		t.Helper()
		got := readTotals(metric)
		if len(got) != len(want) {
			t.Fatalf("%s totals %+v, want %v", metric, got, want)
		}
		for i, g := range got {
			if g.Day != dates[i] || g.Unit != unit || g.Provider != "GARMIN" || !near(g.Value, want[i]) ||
				g.TimeZone == nil || *g.TimeZone != tz {
				t.Errorf("%s total %d = %+v, want %v %s on %s in %s", metric, i, g, want[i], unit, dates[i], tz)
			}
		}
	}
	checkTotals("steps", "count", 800, 800, 800)
	checkTotals("active_energy_burned", "kcal", 32, 32, 32)
	checkTotals("flights_climbed", "count", 6, 6, 6)

	// Heart rate from the dailies' 15-minute samples (58 to 69 bpm, repeating): 63.5 on average each day.
	hr := c.series(tok, map[string]any{"m": "heart_rate", "from": day(0).Format(time.RFC3339),
		"to": day(3).Format(time.RFC3339), "b": "DAY", "tz": tz})
	if len(hr.Series.Points) != 3 {
		t.Fatalf("heart rate days %+v", hr.Series.Points)
	}
	for _, p := range hr.Series.Points {
		if !near(p.Value, 63.5) || p.Count != 96 {
			t.Errorf("heart rate day %+v, want 96 samples averaging 63.5", p)
		}
	}

	// Night readings, 23:00 to midnight local before each day: HRV (RMSSD) every 5 minutes, SpO2 and breathing
	// every minute, so each lands on the evening of the day before.
	for _, m := range []struct {
		metric string
		avg    float64
		count  int
	}{{"hrv_rmssd", 501.0 / 12, 12}, {"oxygen_saturation", 96, 60}, {"respiratory_rate", 14.75, 60}} {
		got := c.series(tok, map[string]any{"m": m.metric, "from": day(-1).Format(time.RFC3339),
			"to": day(3).Format(time.RFC3339), "b": "DAY", "tz": tz}).Series.Points
		if len(got) != 3 {
			t.Fatalf("%s days %+v, want the three evenings", m.metric, got)
		}
		for _, p := range got {
			if !near(p.Value, m.avg) || p.Count != m.count {
				t.Errorf("%s evening %+v, want %d readings averaging %v", m.metric, p, m.count, m.avg)
			}
		}
	}

	// Sleep: a night a day, 23:00 to 06:50, from the stage intervals.
	type session struct {
		Date          string  `json:"date"`
		InBedMinutes  float64 `json:"inBedMinutes"`
		AsleepMinutes float64 `json:"asleepMinutes"`
		AwakeMinutes  float64 `json:"awakeMinutes"`
		CoreMinutes   float64 `json:"coreMinutes"`
		DeepMinutes   float64 `json:"deepMinutes"`
		REMMinutes    float64 `json:"remMinutes"`
		Source        struct {
			Name string `json:"name"`
		} `json:"source"`
	}
	var sl struct {
		Sleep []session `json:"sleep"`
	}
	c.do(tok, `query($from: Time!, $to: Time!, $tz: String) { sleep(from: $from, to: $to, timeZone: $tz) {
		date inBedMinutes asleepMinutes awakeMinutes coreMinutes deepMinutes remMinutes source { name } } }`,
		map[string]any{"from": day(0).Format(time.RFC3339), "to": day(3).Format(time.RFC3339), "tz": tz}).decode(t, &sl)
	if len(sl.Sleep) != 3 {
		t.Fatalf("sleep %+v", sl.Sleep)
	}
	for i, s := range sl.Sleep {
		want := session{Date: dates[i], InBedMinutes: 470, AsleepMinutes: 450, AwakeMinutes: 20, CoreMinutes: 320,
			DeepMinutes: 90, REMMinutes: 40}
		want.Source.Name = "Garmin Connect"
		if s != want {
			t.Errorf("night %d: %+v, want %+v", i, s, want)
		}
	}

	// Workouts: Garmin's three morning walks and the watch's run.
	type workout struct {
		ActivityType   string   `json:"activityType"`
		Start          string   `json:"start"`
		EnergyKcal     *float64 `json:"energyKcal"`
		DistanceMeters *float64 `json:"distanceMeters"`
		Source         struct {
			Name string `json:"name"`
		} `json:"source"`
	}
	var wo struct {
		Workouts struct {
			Edges []struct {
				Node workout `json:"node"`
			} `json:"edges"`
		} `json:"workouts"`
	}
	c.do(tok, `query($from: Time!, $to: Time!) { workouts(from: $from, to: $to) { edges { node {
		activityType start energyKcal distanceMeters source { name } } } } }`,
		map[string]any{"from": day(0).Format(time.RFC3339), "to": day(3).Format(time.RFC3339)}).decode(t, &wo)
	var kinds []string
	for _, e := range wo.Workouts.Edges {
		kinds = append(kinds, e.Node.ActivityType+"/"+e.Node.Source.Name)
	}
	if !slices.Equal(kinds, []string{"walking/Garmin Connect", "running/Apple Watch", "walking/Garmin Connect", "walking/Garmin Connect"}) {
		t.Fatalf("workouts (newest first) %v", kinds)
	}
	if w := wo.Workouts.Edges[0].Node; w.EnergyKcal == nil || !near(*w.EnergyKcal, 8) || w.DistanceMeters == nil ||
		!near(*w.DistanceMeters, 160) {
		t.Errorf("Garmin's walk: %+v, want 8 kcal and 160 m", w)
	}

	weights := func() []float64 {
		var vs []float64
		for _, p := range c.series(tok, map[string]any{"m": "body_mass", "from": day(0).Format(time.RFC3339),
			"to": day(3).Format(time.RFC3339), "b": "DAY", "tz": tz}).Series.Points {
			vs = append(vs, p.Value)
		}
		return vs
	}
	if got := weights(); !slices.Equal(got, []float64{72.5, 72.5, 72.5}) {
		t.Errorf("body mass per day %v, want 72.5 kg (72500 g) each day", got)
	}

	// The watch re-syncs the middle day to Garmin after the fetch: 250 steps an epoch. Garmin pushes the day's
	// summaries again; the old values must be gone.
	f.Correct(day(1), 250)
	resp, err := f.SendWebhook(ctx, c.webhookURL(ingest.Garmin), day(1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("push answered %d", resp.StatusCode)
	}
	c.runJobs()
	if got := steps(""); !slices.Equal(got, []float64{800, 2000, 800}) {
		t.Errorf("merged steps after the re-sync %v, want 800, 1000+1000, 800", got)
	}
	if got := steps("NONE"); !slices.Equal(got, []float64{800, 3000, 800}) {
		t.Errorf("unmerged steps after the re-sync %v, want 800, 1000+2000, 800: the old epochs must be gone", got)
	}
	checkTotals("steps", "count", 800, 2000, 800)
	if got := weights(); !slices.Equal(got, []float64{72.5, 72.6, 72.5}) {
		t.Errorf("body mass after the re-sync %v", got)
	}
	if got, want := breakdown(), []share{{"Apple Watch", 1, 1000, 1000}, {"Garmin Connect", 24, 3600, 2600}}; !slices.Equal(got, want) {
		t.Errorf("steps by source after the re-sync %+v, want %+v", got, want)
	}

	// A push with another secret in its URL changes nothing.
	f.Correct(day(2), 999)
	resp, err = f.SendWebhookSecret(ctx, c.webhookURL(ingest.Garmin), "guessed", day(2))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("push with a wrong secret answered %d, want 401", resp.StatusCode)
	}
	checkTotals("steps", "count", 800, 2000, 800)

	// Disconnected: no job runs and Garmin hears nothing more.
	if status := c.disconnect(tok, "GARMIN"); status != "DISCONNECTED" {
		t.Errorf("disconnectProvider: %q", status)
	}
	if n := f.Deregistrations(); n != 1 {
		t.Errorf("disconnecting deleted the Garmin registration %d times, want 1", n)
	}
	before := f.DataRequests()
	if n := c.runJobs(); n != 0 {
		t.Errorf("%d jobs ran after disconnecting", n)
	}
	if f.DataRequests() != before {
		t.Errorf("Garmin was asked %d more times after disconnecting", f.DataRequests()-before)
	}
}
