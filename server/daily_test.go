package server_test

import (
	"testing"
	"time"
)

func TestDailySummaryIsOneCallForTheHomePage(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	z := func(day, hh, mm int) time.Time { return zurichOct(day, hh, mm) } // Zurich wall clock, in October
	strava := map[string]any{"name": "Strava", "bundleId": "com.strava.stravaride"}
	q := func(id int, typ, unit string, v float64, start, end time.Time, src map[string]any) map[string]any {
		return map[string]any{"id": uuid(id), "type": typ, "value": v, "unit": unit, "start": start.Format(time.RFC3339),
			"end": end.Format(time.RFC3339), "source": src}
	}
	samples := []map[string]any{
		// Oct 12: steps from both (merged: 3000 + the phone's last half 1200 = 4200), a resting heart rate.
		stepSample(uuid(1), watchSource, z(12, 8, 0), z(12, 9, 0), 3000),
		stepSample(uuid(2), phoneSource, z(12, 8, 30), z(12, 9, 30), 2400),
		q(3, "HKQuantityTypeIdentifierRestingHeartRate", "count/min", 52, z(12, 7, 0), z(12, 7, 0), watchSource),
		q(4, "HKQuantityTypeIdentifierActiveEnergyBurned", "kJ", 418.4, z(12, 18, 0), z(12, 18, 30), watchSource),
		// Oct 13 at 00:30 local is still Oct 12 in UTC: it belongs to the 13th here.
		stepSample(uuid(5), watchSource, z(13, 0, 30), z(13, 0, 40), 100),
		q(6, "HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "ms", 48, z(13, 6, 0), z(13, 6, 0), watchSource),
		q(7, "HKQuantityTypeIdentifierAppleExerciseTime", "min", 25, z(13, 17, 0), z(13, 17, 25), watchSource),
		q(8, "HKQuantityTypeIdentifierDistanceWalkingRunning", "km", 5, z(13, 17, 0), z(13, 17, 25), watchSource),
	}
	workouts := []map[string]any{
		workoutIn(1, "HKWorkoutActivityTypeRunning", z(13, 17, 0), z(13, 17, 25), watchSource),
		workoutIn(2, "running", z(13, 17, 1), z(13, 17, 25), strava), // the same run from Strava: counted once
	}
	a.upload(tok, "day", workouts, samples)
	// The night into the 13th (23:00–06:30, 7.5 h asleep) and a nap on the 13th (not sleep minutes).
	uploadSleep(t, a, tok, "sleep",
		sleepSample(101, "AsleepCore", z(12, 23, 0), z(13, 6, 30), watchSource),
		sleepSample(102, "AsleepCore", z(13, 14, 0), z(13, 14, 40), watchSource))

	var out struct {
		DailySummary []struct {
			Date             string   `json:"date"`
			Steps            *float64 `json:"steps"`
			DistanceMeters   *float64 `json:"distanceMeters"`
			ActiveEnergyKcal *float64 `json:"activeEnergyKcal"`
			ExerciseMinutes  *float64 `json:"exerciseMinutes"`
			RestingHeartRate *float64 `json:"restingHeartRate"`
			HrvSdnnMs        *float64 `json:"hrvSdnnMs"`
			SleepMinutes     *float64 `json:"sleepMinutes"`
			Workouts         int      `json:"workouts"`
		} `json:"dailySummary"`
	}
	a.do(tok, `{ dailySummary(from: "`+octDate(12)+`", to: "`+octDate(14)+`", timeZone: "Europe/Zurich") {
		date steps distanceMeters activeEnergyKcal exerciseMinutes restingHeartRate hrvSdnnMs sleepMinutes workouts } }`, nil).decode(t, &out)
	d := out.DailySummary
	if len(d) != 3 || d[0].Date != octDate(12) || d[2].Date != octDate(14) {
		t.Fatalf("days %+v", d)
	}
	is := func(p *float64, want float64) bool { return p != nil && near(*p, want) }
	if !is(d[0].Steps, 4200) || !is(d[0].RestingHeartRate, 52) || !is(d[0].ActiveEnergyKcal, 100) || d[0].SleepMinutes != nil || d[0].Workouts != 0 {
		t.Fatalf("Oct 12: %+v", d[0])
	}
	if !is(d[1].Steps, 100) || !is(d[1].HrvSdnnMs, 48) || !is(d[1].ExerciseMinutes, 25) || !is(d[1].DistanceMeters, 5000) ||
		!is(d[1].SleepMinutes, 450) || d[1].Workouts != 1 {
		t.Fatalf("Oct 13: %+v", d[1])
	}
	if d[2].Steps != nil || d[2].SleepMinutes != nil || d[2].Workouts != 0 {
		t.Fatalf("Oct 14 should be empty: %+v", d[2])
	}
	if res := a.do(tok, `{ dailySummary(from: "`+octDate(14)+`", to: "`+octDate(12)+`") { date } }`, nil); res.code() != "BAD_USER_INPUT" {
		t.Fatalf("reversed range: %s", res.Raw)
	}
}
