package server_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"healthsync/cloud/cloudsync"
	"healthsync/cloud/providers/whoop"
	"healthsync/cloud/providers/whoop/whoopfake"
	"healthsync/ingest"
)

// TestCloudWhoop runs WHOOP end to end: connect through GraphQL, backfill through the fake (its first answer a
// 429), the data read back through GraphQL next to the same user's Apple Watch data, a rescored night and workout
// announced by webhooks, a forged webhook, and disconnecting.
func TestCloudWhoop(t *testing.T) {
	ctx := context.Background()
	fd := zurichDays(t)
	day, days := fd.day, fd.dates
	f := whoopfake.New(t, whoopfake.Options{Days: days, TimezoneOffset: day(0).Format("-07:00")})
	c := newCloudApp(t, cloudsync.Provider{Adapter: whoop.New(), Config: f.Config()})
	tok := c.token("alice")

	// Apple Watch data of the same user: the middle night, a run during WHOOP's run, a resting heart rate.
	mid := day(1)
	at := func(d time.Time, h, m int) string {
		return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute).Format(time.RFC3339)
	}
	var ing ingestResult
	c.do(tok, ingestMutation, map[string]any{"input": map[string]any{
		"idempotencyKey": "watch-1", "provider": "APPLE_HEALTH",
		"device": map[string]any{"id": "iphone-1", "model": "iPhone15,2", "timeZone": "Europe/Zurich"},
		"samples": []map[string]any{{"id": uuid(1), "type": "HKQuantityTypeIdentifierRestingHeartRate", "value": 55,
			"unit": "count/min", "start": at(mid, 7, 0), "end": at(mid, 7, 0), "source": watchSource}},
		"categorySamples": []map[string]any{
			{"id": uuid(2), "type": "HKCategoryTypeIdentifierSleepAnalysis", "value": "0",
				"start": at(mid, -1, -10), "end": at(mid, 7, 10), "source": watchSource},
			{"id": uuid(3), "type": "HKCategoryTypeIdentifierSleepAnalysis", "value": "3",
				"start": at(mid, -1, 20), "end": at(mid, 6, 40), "source": watchSource},
		},
		"workouts": []map[string]any{{"id": uuid(4), "activityType": "HKWorkoutActivityTypeRunning",
			"start": at(mid, 17, 35), "end": at(mid, 18, 10), "source": watchSource,
			"energy": map[string]any{"value": 400, "unit": "kcal"}}},
	}}).decode(t, &ing)
	if ing.IngestBatch.Accepted != 4 {
		t.Fatalf("Apple Health batch: %+v", ing.IngestBatch)
	}

	// Connect and backfill.
	c.connect(tok, "WHOOP")
	for runs := 0; c.runJobs() > 0; runs++ {
		if runs > 100 {
			t.Fatal("backfill jobs keep coming")
		}
	}
	c.expectBackfilled(tok, whoop.New(), f.UserID(), f.Count429())

	// Sleep: one session a night, the Apple Watch's where it recorded the night (watches outrank other
	// sources by default), WHOOP's elsewhere: in bed only, since WHOOP gives stage totals, not intervals.
	type session struct {
		Date          string  `json:"date"`
		IsNap         bool    `json:"isNap"`
		InBedMinutes  float64 `json:"inBedMinutes"`
		AsleepMinutes float64 `json:"asleepMinutes"`
		Source        struct {
			Name string `json:"name"`
		} `json:"source"`
	}
	sleepQuery := `query($from: Time!, $to: Time!) { sleep(from: $from, to: $to, timeZone: "Europe/Zurich") {
		date isNap inBedMinutes asleepMinutes source { name } } }`
	window := map[string]any{"from": day(0).Format(time.RFC3339), "to": day(3).Format(time.RFC3339)}
	readSleep := func() []session {
		var out struct {
			Sleep []session `json:"sleep"`
		}
		c.do(tok, sleepQuery, window).decode(t, &out)
		return out.Sleep
	}
	want := []session{
		{Date: days[0], InBedMinutes: 7*60 + 45},
		{Date: days[1], InBedMinutes: 8*60 + 20, AsleepMinutes: 7*60 + 20},
		{Date: days[2], InBedMinutes: 7*60 + 43},
	}
	want[0].Source.Name, want[1].Source.Name, want[2].Source.Name = "WHOOP", "Apple Watch", "WHOOP"
	if got := readSleep(); !slices.Equal(got, want) {
		t.Errorf("sleep\n got %+v\nwant %+v", got, want)
	}

	// Workouts: WHOOP's three runs, the middle one also recorded by the watch and listed once.
	type workout struct {
		ActivityType     string   `json:"activityType"`
		EnergyKcal       *float64 `json:"energyKcal"`
		DistanceMeters   *float64 `json:"distanceMeters"`
		AverageHeartRate *float64 `json:"averageHeartRate"`
		Source           struct {
			Name string `json:"name"`
		} `json:"source"`
		AlsoRecordedBy []struct {
			Name string `json:"name"`
		} `json:"alsoRecordedBy"`
	}
	readWorkouts := func() []workout {
		var out struct {
			Workouts struct {
				Edges []struct {
					Node workout `json:"node"`
				} `json:"edges"`
			} `json:"workouts"`
		}
		c.do(tok, `query($from: Time!, $to: Time!) { workouts(from: $from, to: $to) { edges { node {
			activityType energyKcal distanceMeters averageHeartRate source { name } alsoRecordedBy { name } } } } }`,
			window).decode(t, &out)
		var ws []workout
		for _, e := range out.Workouts.Edges {
			ws = append(ws, e.Node)
		}
		return ws
	}
	ws := readWorkouts() // newest first
	if len(ws) != 3 {
		t.Fatalf("workouts %+v", ws)
	}
	if ws[1].Source.Name != "Apple Watch" || len(ws[1].AlsoRecordedBy) != 1 || ws[1].AlsoRecordedBy[0].Name != "WHOOP" {
		t.Errorf("the run both recorded: %+v", ws[1])
	}
	if w := ws[0]; w.ActivityType != "running" || w.Source.Name != "WHOOP" || w.EnergyKcal == nil ||
		!near(*w.EnergyKcal, 2120/4.184) || w.DistanceMeters == nil || *w.DistanceMeters != 7700 ||
		w.AverageHeartRate == nil || *w.AverageHeartRate != 152 {
		t.Errorf("WHOOP's run: %+v", w)
	}

	// Resting heart rate per local day: WHOOP's on each day of waking, averaged with the watch's on the middle
	// day; both sources in the breakdown.
	rhr := c.series(tok, map[string]any{"m": "resting_heart_rate", "from": day(0).Format(time.RFC3339),
		"to": day(3).Format(time.RFC3339), "b": "DAY", "tz": "Europe/Zurich"})
	var got []float64
	for _, p := range rhr.Series.Points {
		got = append(got, p.Value)
	}
	if !slices.Equal(got, []float64{52, 54, 54}) || rhr.Series.Points[1].Count != 2 {
		t.Errorf("resting heart rate per day %v (%+v), want 52, (53+55)/2, 54", got, rhr.Series.Points)
	}
	var shares struct {
		SourceBreakdown []struct {
			Source struct {
				Name string `json:"name"`
			} `json:"source"`
			SampleCount int      `json:"sampleCount"`
			Average     *float64 `json:"average"`
		} `json:"sourceBreakdown"`
	}
	c.do(tok, `query($from: Time!, $to: Time!) { sourceBreakdown(metric: "resting_heart_rate", from: $from, to: $to) {
		source { name } sampleCount average } }`, window).decode(t, &shares)
	names := map[string]int{}
	for _, s := range shares.SourceBreakdown {
		names[s.Source.Name] = s.SampleCount
	}
	if names["WHOOP"] != 3 || names["Apple Watch"] != 1 || len(names) != 2 {
		t.Errorf("resting heart rate sources %+v", shares.SourceBreakdown)
	}

	// Energy: each ended cycle's kilojoules as one sample over the cycle, prorated over the days it touches;
	// the cycles of the three days hold 9000 + 9050 + 9100 kJ. WHOOP has no daily totals of its own.
	energy := c.series(tok, map[string]any{"m": "total_energy_burned", "from": day(-1).Format(time.RFC3339),
		"to": day(3).Format(time.RFC3339), "b": "DAY", "tz": "Europe/Zurich"})
	sum := 0.0
	for _, p := range energy.Series.Points {
		sum += p.Value
	}
	if !near(sum, 27150/4.184) || energy.Series.Unit != "kcal" {
		t.Errorf("cycle energy %v %s over the days, want %v kcal", sum, energy.Series.Unit, 27150/4.184)
	}
	var totals struct {
		DailyTotals []struct{ Metric string } `json:"dailyTotals"`
	}
	c.do(tok, `query($from: Date!, $to: Date!) { dailyTotals(metric: "total_energy_burned", from: $from, to: $to) { metric } }`,
		map[string]any{"from": days[0], "to": days[2]}).decode(t, &totals)
	if len(totals.DailyTotals) != 0 {
		t.Errorf("daily totals %+v: WHOOP has none", totals.DailyTotals)
	}

	// WHOOP rescores the last night and its workout after the fetch: the night ends 20 minutes later, HRV and
	// energy change. Its webhooks name the sleep and the workout; the old values must be gone.
	hrvValues := func() []float64 {
		var out struct {
			Samples []struct {
				Value float64 `json:"value"`
			} `json:"samples"`
		}
		c.do(tok, `query($from: Time!, $to: Time!) { samples(metric: "hrv_rmssd", from: $from, to: $to) { value } }`,
			window).decode(t, &out)
		var vs []float64
		for _, s := range out.Samples {
			vs = append(vs, s.Value)
		}
		return vs
	}
	if got := hrvValues(); !slices.Equal(got, []float64{63.5, 62.5, 61.5}) {
		t.Fatalf("hrv before the rescore %v", got)
	}
	f.Correct(days[2])
	last := f.Day(days[2])
	for _, ev := range [][2]string{{"sleep.updated", last.SleepID}, {"workout.updated", last.WorkoutID}} {
		resp, err := f.SendWebhook(ctx, c.webhookURL(ingest.Whoop), ev[0], ev[1])
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s webhook answered %d", ev[0], resp.StatusCode)
		}
	}
	c.runJobs()
	if got := hrvValues(); !slices.Equal(got, []float64{68.5, 62.5, 61.5}) {
		t.Errorf("hrv after the rescore %v: the old 63.5 replaced by 68.5", got)
	}
	want[2].InBedMinutes += 20
	if got := readSleep(); !slices.Equal(got, want) {
		t.Errorf("sleep after the rescore\n got %+v\nwant %+v", got, want)
	}
	if w := readWorkouts()[0]; w.EnergyKcal == nil || !near(*w.EnergyKcal, 2220/4.184) || *w.DistanceMeters != 7950 {
		t.Errorf("rescored run: %+v", w)
	}

	// A webhook signed with another key changes nothing.
	resp, err := f.SendBadWebhook(ctx, c.webhookURL(ingest.Whoop), "workout.deleted", last.WorkoutID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged webhook answered %d, want 401", resp.StatusCode)
	}
	if n := len(readWorkouts()); n != 3 {
		t.Errorf("%d workouts after a forged deletion, want 3", n)
	}

	// Disconnected: no job runs and WHOOP hears nothing more.
	if status := c.disconnect(tok, "WHOOP"); status != "DISCONNECTED" {
		t.Errorf("disconnectProvider: %q", status)
	}
	if n := f.Requests("/v2/user/access"); n != 1 {
		t.Errorf("disconnecting revoked the grant at WHOOP %d times, want 1", n)
	}
	before := f.RequestsTotal()
	if n := c.runJobs(); n != 0 {
		t.Errorf("%d jobs ran after disconnecting", n)
	}
	if f.RequestsTotal() != before {
		t.Errorf("WHOOP was asked %d more times after disconnecting", f.RequestsTotal()-before)
	}
}
