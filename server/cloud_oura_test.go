package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"healthsync/cloud/cloudsync"
	"healthsync/cloud/providers/oura"
	"healthsync/cloud/providers/oura/ourafake"
	"healthsync/ingest"
)

// TestCloudOura runs Oura end to end: connect through GraphQL (OAuth 2.0 with PKCE), the webhook subscription
// challenge, backfill through the fake (its first answer a 429), Oura's day totals kept apart from the same
// user's Apple Watch steps, sleep stages, heart rate, HRV, resting heart rate, SpO2 and workouts read back next
// to the watch's data; then Oura re-analyses a day and its webhooks replace the old values, a deleted workout
// goes, a forged webhook is refused, and disconnecting revokes the grant and stops the jobs.
func TestCloudOura(t *testing.T) {
	ctx := context.Background()
	fd := zurichDays(t)
	off, local, tz, day, days, dates := fd.off, fd.local, fd.tz, fd.day, fd.times(), fd.dates
	// 100 steps × 80 intervals: Oura reports each day's 8000 steps as a total only.
	f := ourafake.New(t, ourafake.Options{Days: days, OffsetSeconds: &off, StepsPerInterval: 100, Intervals: 80})
	c := newCloudApp(t, cloudsync.Provider{Adapter: oura.New(), Config: f.Config()})
	tok := c.token("alice")

	// Apple Watch data of the same user on the middle day: 1000 steps 08:00–09:00, a resting heart rate at
	// 07:00 (when Oura's night ends), and an evening run inside Oura's 18:00–18:45 run.
	mid := day(1)
	at := func(d time.Time, h, m int) time.Time {
		return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	in := ingestInput("watch-1",
		stepSample(uuid(1), watchSource, at(mid, 8, 0), at(mid, 9, 0), 1000),
		map[string]any{"id": uuid(2), "type": "HKQuantityTypeIdentifierRestingHeartRate", "value": 55,
			"unit": "count/min", "start": at(mid, 7, 0).Format(time.RFC3339), "end": at(mid, 7, 0).Format(time.RFC3339),
			"source": watchSource})
	in["input"].(map[string]any)["workouts"] = []map[string]any{{"id": uuid(3),
		"activityType": "HKWorkoutActivityTypeRunning", "start": at(mid, 18, 5).Format(time.RFC3339),
		"end": at(mid, 18, 40).Format(time.RFC3339), "source": watchSource,
		"energy": map[string]any{"value": 400, "unit": "kcal"}}}
	var ing ingestResult
	c.do(tok, ingestMutation, in).decode(t, &ing)
	if ing.IngestBatch.Accepted != 3 {
		t.Fatalf("Apple Health batch: %+v", ing.IngestBatch)
	}

	// Oura checks the webhook subscription with a GET before it sends anything.
	challenge, resp, err := f.SendChallenge(ctx, c.webhookURL(ingest.Oura))
	if err != nil {
		t.Fatal(err)
	}
	var echo struct{ Challenge string }
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &echo) != nil || echo.Challenge != challenge {
		t.Fatalf("subscription challenge answered %d %s, want {\"challenge\":%q}", resp.StatusCode, body, challenge)
	}

	// Connect and backfill.
	c.connect(tok, "OURA")
	jobs := 0
	for runs := 0; ; runs++ {
		n := c.runJobs()
		if n == 0 {
			break
		}
		jobs += n
		if runs > 200 {
			t.Fatal("backfill jobs keep coming")
		}
	}
	t.Logf("backfill of %d days: %d job runs, %d requests to Oura, %d token refreshes", 30, jobs, f.Requests(), f.Refreshes())
	c.expectBackfilled(tok, oura.New(), f.UserID(), f.Count429())
	if f.Exchanges() != 1 || f.Refreshes() == 0 {
		t.Errorf("%d code exchanges, %d refreshes: want one exchange and the five-second token refreshed", f.Exchanges(), f.Refreshes())
	}

	window := map[string]any{"from": day(0).Format(time.RFC3339), "to": day(3).Format(time.RFC3339)}
	perDay := func(metric, merge string) map[string]float64 {
		vars := map[string]any{"m": metric, "from": window["from"], "to": window["to"], "b": "DAY", "tz": tz}
		if merge != "" {
			vars["merge"] = merge
		}
		out := map[string]float64{}
		for _, p := range c.series(tok, vars).Series.Points {
			if p.Count > 0 || p.Value != 0 {
				out[p.Start.In(local).Format(time.DateOnly)] = p.Value
			}
		}
		return out
	}

	// Steps: Oura has day totals only, so the samples are the watch's alone, merged or not; Oura's totals are
	// kept apart and never added to them.
	for _, merge := range []string{"", "NONE"} {
		if got := perDay("steps", merge); len(got) != 1 || got[dates[1]] != 1000 {
			t.Errorf("steps per day (merge %q) %v, want only the watch's 1000 on %s", merge, got, dates[1])
		}
	}
	type total struct {
		Metric, Day, Unit, Provider string
		Value                       float64
		TimeZone                    *string
	}
	checkTotals := func(metric, unit string, want ...float64) {
		t.Helper()
		var out struct {
			DailyTotals []total `json:"dailyTotals"`
		}
		c.do(tok, `query($m: String!, $from: Date!, $to: Date!) { dailyTotals(metric: $m, from: $from, to: $to) {
			metric day unit provider value timeZone } }`, map[string]any{"m": metric, "from": dates[0], "to": dates[2]}).decode(t, &out)
		if len(out.DailyTotals) != len(want) {
			t.Fatalf("%s totals %+v, want %v", metric, out.DailyTotals, want)
		}
		for i, g := range out.DailyTotals {
			if g.Day != dates[i] || g.Unit != unit || g.Provider != "OURA" || !near(g.Value, want[i]) ||
				g.TimeZone == nil || *g.TimeZone != tz {
				t.Errorf("%s total %d = %+v, want %v %s on %s in %s", metric, i, g, want[i], unit, dates[i], tz)
			}
		}
	}
	checkTotals("steps", "count", 8000, 8000, 8000)
	checkTotals("active_energy_burned", "kcal", 420, 420, 420)
	checkTotals("total_energy_burned", "kcal", 2450, 2450, 2450)

	// Heart rate: 288 five-minute rows a local day, 60 + i%20 bpm: 14 whole cycles and 60..67.
	hr := c.series(tok, map[string]any{"m": "heart_rate", "from": window["from"], "to": window["to"], "b": "DAY", "tz": tz})
	if len(hr.Series.Points) != 3 {
		t.Fatalf("heart rate days %+v", hr.Series.Points)
	}
	for _, p := range hr.Series.Points {
		if !near(p.Value, (280*69.5+8*63.5)/288) || p.Count != 288 {
			t.Errorf("heart rate day %+v, want 288 samples averaging %v", p, (280*69.5+8*63.5)/288)
		}
	}

	// Sleep: a night a day, 23:00 to 07:00, from the 5-minute phases (25 min awake, 185 light, 180 deep, 90 REM).
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
	readSleep := func() []session {
		var out struct {
			Sleep []session `json:"sleep"`
		}
		c.do(tok, `query($from: Time!, $to: Time!, $tz: String) { sleep(from: $from, to: $to, timeZone: $tz) {
			date inBedMinutes asleepMinutes awakeMinutes coreMinutes deepMinutes remMinutes source { name } } }`,
			map[string]any{"from": window["from"], "to": window["to"], "tz": tz}).decode(t, &out)
		return out.Sleep
	}
	night := session{InBedMinutes: 480, AsleepMinutes: 455, AwakeMinutes: 25, CoreMinutes: 185, DeepMinutes: 180, REMMinutes: 90}
	night.Source.Name = "Oura"
	wantSleep := []session{night, night, night}
	for i := range wantSleep {
		wantSleep[i].Date = dates[i]
	}
	if got := readSleep(); !slices.Equal(got, wantSleep) {
		t.Errorf("sleep\n got %+v\nwant %+v", got, wantSleep)
	}

	// The night's values sit at its wake-up, on Oura's day of the night.
	values := func(metric string) []float64 { // newest first
		var out struct {
			Samples []struct {
				Value float64 `json:"value"`
			} `json:"samples"`
		}
		c.do(tok, `query($m: String!, $from: Time!, $to: Time!) { samples(metric: $m, from: $from, to: $to) { value } }`,
			map[string]any{"m": metric, "from": window["from"], "to": window["to"]}).decode(t, &out)
		var vs []float64
		for _, s := range out.Samples {
			vs = append(vs, s.Value)
		}
		return vs
	}
	if got := values("hrv_rmssd"); !slices.Equal(got, []float64{42, 42, 42}) {
		t.Errorf("hrv %v", got)
	}
	if got := values("respiratory_rate"); !slices.Equal(got, []float64{14.5, 14.5, 14.5}) {
		t.Errorf("respiratory rate %v", got)
	}
	if got := values("oxygen_saturation"); !slices.Equal(got, []float64{96.5, 96.5, 96.5}) {
		t.Errorf("SpO2 %v", got)
	}
	// Resting heart rate per local day: Oura's lowest of each night, averaged with the watch's on the middle day.
	if got := perDay("resting_heart_rate", ""); len(got) != 3 || got[dates[0]] != 50 || got[dates[1]] != 52.5 || got[dates[2]] != 50 {
		t.Errorf("resting heart rate per day %v, want 50, (50+55)/2, 50", got)
	}
	var shares struct {
		SourceBreakdown []struct {
			Source struct {
				Name string `json:"name"`
			} `json:"source"`
			SampleCount int `json:"sampleCount"`
		} `json:"sourceBreakdown"`
	}
	c.do(tok, `query($from: Time!, $to: Time!) { sourceBreakdown(metric: "resting_heart_rate", from: $from, to: $to) {
		source { name } sampleCount } }`, window).decode(t, &shares)
	counts := map[string]int{}
	for _, s := range shares.SourceBreakdown {
		counts[s.Source.Name] = s.SampleCount
	}
	if counts["Oura"] != 3 || counts["Apple Watch"] != 1 || len(counts) != 2 {
		t.Errorf("resting heart rate sources %+v", shares.SourceBreakdown)
	}

	// Workouts: Oura's three evening runs, the middle one also recorded by the watch and listed once.
	type workout struct {
		ActivityType   string   `json:"activityType"`
		EnergyKcal     *float64 `json:"energyKcal"`
		DistanceMeters *float64 `json:"distanceMeters"`
		Source         struct {
			Name string `json:"name"`
		} `json:"source"`
		AlsoRecordedBy []struct {
			Name string `json:"name"`
		} `json:"alsoRecordedBy"`
	}
	readWorkouts := func() []workout { // newest first
		var out struct {
			Workouts struct {
				Edges []struct {
					Node workout `json:"node"`
				} `json:"edges"`
			} `json:"workouts"`
		}
		c.do(tok, `query($from: Time!, $to: Time!) { workouts(from: $from, to: $to) { edges { node {
			activityType energyKcal distanceMeters source { name } alsoRecordedBy { name } } } } }`,
			window).decode(t, &out)
		var ws []workout
		for _, e := range out.Workouts.Edges {
			ws = append(ws, e.Node)
		}
		return ws
	}
	ws := readWorkouts()
	if len(ws) != 3 {
		t.Fatalf("workouts %+v", ws)
	}
	if ws[1].Source.Name != "Apple Watch" || len(ws[1].AlsoRecordedBy) != 1 || ws[1].AlsoRecordedBy[0].Name != "Oura" {
		t.Errorf("the run both recorded: %+v", ws[1])
	}
	for _, w := range []workout{ws[0], ws[2]} {
		if w.ActivityType != "running" || w.Source.Name != "Oura" || w.EnergyKcal == nil || *w.EnergyKcal != 350 ||
			w.DistanceMeters == nil || *w.DistanceMeters != 6200 {
			t.Errorf("Oura's run: %+v", w)
		}
	}

	// Oura re-analyses the last day after the fetch (more steps and calories, a deep phase where light was,
	// HRV and lowest heart rate up, SpO2 up, the run's calories up). Its webhooks name each document; the old
	// values must be gone.
	f.Correct(days[2])
	send := func(hook ourafake.Webhook) {
		t.Helper()
		resp, err := f.SendWebhook(ctx, c.webhookURL(ingest.Oura), hook)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s webhook answered %d", hook.EventType, hook.DataType, resp.StatusCode)
		}
	}
	for _, dt := range []string{oura.DailyActivity, oura.Sleep, oura.Workout, oura.DailySpO2} {
		send(ourafake.Webhook{EventType: "update", DataType: dt, ObjectID: f.DocumentID(dt, days[2])})
	}
	c.runJobs()
	checkTotals("steps", "count", 8000, 8000, 9000)
	checkTotals("active_energy_burned", "kcal", 420, 420, 430)
	if got := values("hrv_rmssd"); !slices.Equal(got, []float64{43, 42, 42}) {
		t.Errorf("hrv after the re-analysis %v: the old 42 replaced by 43", got)
	}
	if got := values("oxygen_saturation"); !slices.Equal(got, []float64{97, 96.5, 96.5}) {
		t.Errorf("SpO2 after the re-analysis %v", got)
	}
	if got := perDay("resting_heart_rate", ""); got[dates[2]] != 51 {
		t.Errorf("resting heart rate after the re-analysis %v, want 51 on %s", got, dates[2])
	}
	wantSleep[2].CoreMinutes, wantSleep[2].DeepMinutes = 180, 185
	if got := readSleep(); !slices.Equal(got, wantSleep) {
		t.Errorf("sleep after the re-analysis\n got %+v\nwant %+v", got, wantSleep)
	}
	if w := readWorkouts()[0]; w.EnergyKcal == nil || *w.EnergyKcal != 355 {
		t.Errorf("re-analysed run: %+v, want 355 kcal", w)
	}

	// The user deletes the first day's run in the Oura app.
	f.Delete(f.DocumentID(oura.Workout, days[0]))
	send(ourafake.Webhook{EventType: "delete", DataType: oura.Workout, ObjectID: f.DocumentID(oura.Workout, days[0])})
	c.runJobs()
	if n := len(readWorkouts()); n != 2 {
		t.Errorf("%d workouts after Oura's deletion, want 2", n)
	}

	// A webhook signed with another secret changes nothing.
	resp, err = f.SendBadWebhook(ctx, c.webhookURL(ingest.Oura), ourafake.Webhook{EventType: "delete",
		DataType: oura.Workout, ObjectID: f.DocumentID(oura.Workout, days[1])})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged webhook answered %d, want 401", resp.StatusCode)
	}
	c.runJobs()
	if n := len(readWorkouts()); n != 2 {
		t.Errorf("%d workouts after a forged deletion, want 2", n)
	}

	// Disconnected: no job runs and Oura hears nothing more.
	if status := c.disconnect(tok, "OURA"); status != "DISCONNECTED" {
		t.Errorf("disconnectProvider: %q", status)
	}
	if n := f.Revocations(); n != 1 {
		t.Errorf("disconnecting revoked the grant at Oura %d times, want 1", n)
	}
	before := f.Requests()
	if n := c.runJobs(); n != 0 {
		t.Errorf("%d jobs ran after disconnecting", n)
	}
	if f.Requests() != before {
		t.Errorf("Oura was asked %d more times after disconnecting", f.Requests()-before)
	}
}
