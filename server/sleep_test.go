package server_test

import (
	"fmt"
	"testing"
	"time"
)

var sleepApp = map[string]any{"name": "Sleep Cycle", "bundleId": "com.sleepcycle"}

// octYear is the year of the latest October that is wholly past by the server's clock, so the tests' Octobers are
// never in its future, whatever day the suite runs.
var octYear = func() int {
	if now := time.Now(); now.Month() >= time.November {
		return now.Year()
	}
	return time.Now().Year() - 1
}()

// zurichOct is a wall-clock time in Zurich in October of octYear (before the change back to CET, which is never
// before the 25th).
func zurichOct(day, hour, minute int) time.Time {
	return time.Date(octYear, time.October, day, hour-2, minute, 0, 0, time.UTC)
}

// octDate is the date of day in October of octYear, as the API writes dates.
func octDate(day int) string { return fmt.Sprintf("%d-10-%02d", octYear, day) }

func sleepSample(id int, value string, start, end time.Time, source map[string]any) map[string]any {
	return map[string]any{"id": uuid(id), "type": "HKCategoryTypeIdentifierSleepAnalysis",
		"value": "HKCategoryValueSleepAnalysis" + value, "start": start.Format(time.RFC3339),
		"end": end.Format(time.RFC3339), "source": source}
}

func uploadSleep(t *testing.T, a *app, tok, key string, samples ...map[string]any) {
	t.Helper()
	vars := ingestInput(key)
	vars["input"].(map[string]any)["categorySamples"] = samples
	var res ingestResult
	a.do(tok, ingestMutation, vars).decode(t, &res)
	if res.IngestBatch.Accepted != len(samples) || len(res.IngestBatch.Rejected) != 0 {
		t.Fatalf("upload %s: %+v", key, res.IngestBatch)
	}
}

const sleepQuery = `query($from: Time!, $to: Time!, $tz: String) {
	sleep(from: $from, to: $to, timeZone: $tz) {
		start end date timeZone isNap source { name bundleId }
		inBedMinutes asleepMinutes awakeMinutes coreMinutes deepMinutes remMinutes unspecifiedMinutes efficiency
		stages { stage start end }
	}
}`

type sleepSession struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Date     string    `json:"date"`
	TimeZone string    `json:"timeZone"`
	IsNap    bool      `json:"isNap"`
	Source   struct {
		Name     string  `json:"name"`
		BundleID *string `json:"bundleId"`
	} `json:"source"`
	InBed       float64  `json:"inBedMinutes"`
	Asleep      float64  `json:"asleepMinutes"`
	Awake       float64  `json:"awakeMinutes"`
	Core        float64  `json:"coreMinutes"`
	Deep        float64  `json:"deepMinutes"`
	REM         float64  `json:"remMinutes"`
	Unspecified float64  `json:"unspecifiedMinutes"`
	Efficiency  *float64 `json:"efficiency"`
	Stages      []struct {
		Stage string    `json:"stage"`
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	} `json:"stages"`
}

func readSleep(t *testing.T, a *app, tok string, from, to time.Time, tz *string) []sleepSession {
	t.Helper()
	var out struct {
		Sleep []sleepSession `json:"sleep"`
	}
	a.do(tok, sleepQuery, map[string]any{"from": from, "to": to, "tz": tz}).decode(t, &out)
	return out.Sleep
}

func TestSleepSessionsOverHTTP(t *testing.T) {
	a := newApp(t)
	alice, bob := a.token("alice"), a.token("bob")

	uploadSleep(t, a, alice, "watch-night",
		// In bed 22:30–06:45 in two overlapping records: 495 minutes, never added to the stages.
		sleepSample(1, "InBed", zurichOct(5, 22, 30), zurichOct(6, 6, 30), watchSource),
		sleepSample(2, "InBed", zurichOct(6, 6, 0), zurichOct(6, 6, 45), watchSource),
		sleepSample(3, "AsleepCore", zurichOct(5, 22, 45), zurichOct(6, 0, 30), watchSource), // 105
		sleepSample(4, "AsleepDeep", zurichOct(6, 0, 30), zurichOct(6, 1, 30), watchSource),  // 60
		sleepSample(5, "AsleepREM", zurichOct(6, 1, 30), zurichOct(6, 2, 0), watchSource),    // 30
		// 02:00–02:40: up for 40 minutes, nothing recorded.
		sleepSample(6, "AsleepCore", zurichOct(6, 2, 40), zurichOct(6, 4, 0), watchSource), // 80
		sleepSample(7, "Awake", zurichOct(6, 4, 0), zurichOct(6, 4, 10), watchSource),      // 10
		sleepSample(8, "AsleepREM", zurichOct(6, 4, 10), zurichOct(6, 5, 0), watchSource),  // 50
		sleepSample(9, "AsleepCore", zurichOct(6, 5, 0), zurichOct(6, 6, 30), watchSource), // 90
		// The afternoon nap.
		sleepSample(10, "AsleepCore", zurichOct(6, 14, 0), zurichOct(6, 14, 40), watchSource),
	)
	uploadSleep(t, a, alice, "app",
		// The same night from a sleep app: the watch outranks it.
		sleepSample(20, "InBed", zurichOct(5, 22, 20), zurichOct(6, 6, 50), sleepApp),
		sleepSample(21, "AsleepUnspecified", zurichOct(5, 22, 40), zurichOct(6, 6, 40), sleepApp),
		// A nap only the app saw: kept.
		sleepSample(22, "AsleepUnspecified", zurichOct(7, 15, 0), zurichOct(7, 15, 30), sleepApp),
	)
	uploadSleep(t, a, bob, "bob-night",
		sleepSample(30, "AsleepCore", zurichOct(5, 23, 0), zurichOct(6, 7, 0), watchSource))

	from, to := zurichOct(5, 0, 0), zurichOct(8, 0, 0)
	got := readSleep(t, a, alice, from, to, nil)
	if len(got) != 3 {
		t.Fatalf("%d sessions, want the watch night, the watch nap and the app nap: %+v", len(got), got)
	}
	night, nap, appNap := got[0], got[1], got[2]

	if night.Source.Name != "Apple Watch" || night.IsNap || night.Date != octDate(6) || night.TimeZone != "Europe/Zurich" {
		t.Errorf("night: %s nap=%v date %s zone %s", night.Source.Name, night.IsNap, night.Date, night.TimeZone)
	}
	if !night.Start.Equal(zurichOct(5, 22, 30)) || !night.End.Equal(zurichOct(6, 6, 45)) {
		t.Errorf("night span %v–%v", night.Start, night.End)
	}
	// In bed: the watch's 22:30–06:45 and Sleep Cycle's 22:20–06:50 for the same night, counted once (510), as
	// the Health app merges in-bed records of every source; stages and span stay the watch's.
	want := [7]float64{510, 415, 10, 275, 60, 80, 0}
	have := [7]float64{night.InBed, night.Asleep, night.Awake, night.Core, night.Deep, night.REM, night.Unspecified}
	if have != want {
		t.Errorf("night minutes (in bed, asleep, awake, core, deep, rem, unspecified) = %v, want %v", have, want)
	}
	if night.Efficiency == nil || *night.Efficiency != 415.0/510 {
		t.Errorf("efficiency %v", night.Efficiency)
	}
	var stages []string
	for _, s := range night.Stages {
		stages = append(stages, s.Stage)
	}
	if fmt.Sprint(stages) != "[asleep_core asleep_deep asleep_rem asleep_core awake asleep_rem asleep_core]" ||
		!night.Stages[3].Start.Equal(zurichOct(6, 2, 40)) {
		t.Errorf("stages %v", night.Stages)
	}

	if !nap.IsNap || nap.Source.Name != "Apple Watch" || nap.Asleep != 40 || nap.InBed != 40 || nap.Date != octDate(6) {
		t.Errorf("nap: %+v", nap)
	}
	if !appNap.IsNap || appNap.Source.BundleID == nil || *appNap.Source.BundleID != "com.sleepcycle" ||
		appNap.Unspecified != 30 || appNap.Date != octDate(7) {
		t.Errorf("app nap: %+v", appNap)
	}

	// Only sessions ending in the range: from 07:00 on the 6th the night is out, the naps are in.
	if later := readSleep(t, a, alice, zurichOct(6, 7, 0), to, nil); len(later) != 2 || !later[0].IsNap {
		t.Errorf("from 07:00: %+v", later)
	}
	// A range that starts minutes before the night's end still gets the whole night.
	if edge := readSleep(t, a, alice, zurichOct(6, 6, 40), zurichOct(6, 7, 0), nil); len(edge) != 1 ||
		edge[0].InBed != 510 || edge[0].Asleep != 415 || !edge[0].Start.Equal(zurichOct(5, 22, 30)) {
		t.Errorf("range 06:40–07:00: %+v", edge)
	}
	// The samples' own zone decides the date, not the zone asked for.
	tokyo := "Asia/Tokyo"
	if z := readSleep(t, a, alice, from, to, &tokyo); len(z) != 3 || z[0].Date != octDate(6) || z[0].TimeZone != "Europe/Zurich" {
		t.Errorf("with timeZone Asia/Tokyo: %+v", z)
	}

	// Bob sees his night only.
	b := readSleep(t, a, bob, from, to, nil)
	if len(b) != 1 || b[0].Asleep != 480 || !b[0].Start.Equal(zurichOct(5, 23, 0)) {
		t.Errorf("bob: %+v", b)
	}
}

func TestSleepRangeIsChecked(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	bad := "Mars/Olympus"
	for _, c := range []struct {
		name     string
		from, to time.Time
		tz       *string
	}{
		{"empty", start, start, nil},
		{"backwards", start, start.Add(-time.Hour), nil},
		{"over a year", start, start.Add(367 * 24 * time.Hour), nil},
		{"unknown zone", start, start.Add(time.Hour), &bad},
	} {
		r := a.do(tok, sleepQuery, map[string]any{"from": c.from, "to": c.to, "tz": c.tz})
		if r.code() != "BAD_USER_INPUT" {
			t.Errorf("%s: %s", c.name, r.Raw)
		}
	}
	if got := readSleep(t, a, tok, start, start.Add(366*24*time.Hour), nil); len(got) != 0 {
		t.Errorf("a year with no data: %+v", got)
	}
}

// TestSleepInBedFromThePhone is the watchOS 9+ set-up: the iPhone records in bed 21:00–05:30, the Watch (first
// by default) the stages 21:20–05:10 and no in-bed. The night is the Watch's, in bed 510 minutes.
func TestSleepInBedFromThePhone(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	night := time.Now().UTC().Truncate(time.Hour).Add(-48 * time.Hour)
	at := func(h, m int) time.Time { return night.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	uploadSleep(t, a, tok, "phone", sleepSample(1, "InBed", at(21, 0), at(29, 30), phoneSource))
	uploadSleep(t, a, tok, "watch",
		sleepSample(2, "AsleepCore", at(21, 20), at(24, 0), watchSource),
		sleepSample(3, "Awake", at(24, 0), at(24, 11), watchSource),
		sleepSample(4, "AsleepDeep", at(24, 11), at(26, 0), watchSource),
		sleepSample(5, "AsleepREM", at(26, 0), at(29, 10), watchSource))
	utc := "UTC"
	got := readSleep(t, a, tok, at(20, 0), at(32, 0), &utc)
	if len(got) != 1 || got[0].Source.Name != "Apple Watch" {
		t.Fatalf("%+v: want the Watch's night", got)
	}
	if s := got[0]; s.InBed != 510 || s.Asleep != 459 || s.Efficiency == nil || *s.Efficiency != 459.0/510 {
		t.Errorf("in bed %v asleep %v efficiency %v, want 510, 459, %v", s.InBed, s.Asleep, deref(s.Efficiency), 459.0/510)
	}
}
