package server_test

import (
	"testing"
	"time"
)

func TestDailySummaryCarriesNutritionAndMindfulMinutes(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	z := func(day, hh, mm int) time.Time { return zurichOct(day, hh, mm) }
	q := func(id int, typ, unit string, v float64, at time.Time, src map[string]any) map[string]any {
		return map[string]any{"id": uuid(id), "type": typ, "value": v, "unit": unit, "start": at.Format(time.RFC3339),
			"end": at.Add(time.Minute).Format(time.RFC3339), "source": src}
	}
	a.upload(tok, "food", nil, []map[string]any{
		q(1, "HKQuantityTypeIdentifierDietaryEnergyConsumed", "kcal", 600, z(12, 8, 0), phoneSource),
		q(2, "HKQuantityTypeIdentifierDietaryEnergyConsumed", "kJ", 4184, z(12, 19, 0), phoneSource), // 1000 kcal
		q(3, "HKQuantityTypeIdentifierDietaryProtein", "g", 30, z(12, 8, 0), phoneSource),
		q(4, "HKQuantityTypeIdentifierDietaryCarbohydrates", "g", 80, z(12, 8, 0), phoneSource),
		q(5, "HKQuantityTypeIdentifierDietaryFatTotal", "g", 20, z(12, 8, 0), phoneSource),
		q(6, "HKQuantityTypeIdentifierDietaryWater", "L", 0.5, z(12, 10, 0), phoneSource),
		q(7, "HKQuantityTypeIdentifierDietaryWater", "mL", 250, z(13, 10, 0), phoneSource),
	})
	mindful := func(id int, start, end time.Time, src map[string]any) map[string]any {
		return map[string]any{"id": uuid(id), "type": "HKCategoryTypeIdentifierMindfulSession", "value": "0",
			"start": start.Format(time.RFC3339), "end": end.Format(time.RFC3339), "source": src}
	}
	// The watch and the phone log one 10-minute session (counted once, 12 min with the phone's tail), and a
	// 5-minute one the next day.
	uploadSleep(t, a, tok, "mind",
		mindful(101, z(12, 7, 0), z(12, 7, 10), watchSource),
		mindful(102, z(12, 7, 2), z(12, 7, 12), phoneSource),
		mindful(103, z(13, 21, 0), z(13, 21, 5), watchSource))

	var out struct {
		DailySummary []struct {
			Date               string   `json:"date"`
			EnergyConsumedKcal *float64 `json:"energyConsumedKcal"`
			ProteinGrams       *float64 `json:"proteinGrams"`
			CarbohydratesGrams *float64 `json:"carbohydratesGrams"`
			FatGrams           *float64 `json:"fatGrams"`
			WaterMl            *float64 `json:"waterMl"`
			MindfulMinutes     *float64 `json:"mindfulMinutes"`
		} `json:"dailySummary"`
	}
	a.do(tok, `{ dailySummary(from: "`+octDate(12)+`", to: "`+octDate(14)+`", timeZone: "Europe/Zurich") {
		date energyConsumedKcal proteinGrams carbohydratesGrams fatGrams waterMl mindfulMinutes } }`, nil).decode(t, &out)
	d := out.DailySummary
	if len(d) != 3 {
		t.Fatalf("days %+v", d)
	}
	is := func(p *float64, want float64) bool { return p != nil && near(*p, want) }
	if !is(d[0].EnergyConsumedKcal, 1600) || !is(d[0].ProteinGrams, 30) || !is(d[0].CarbohydratesGrams, 80) ||
		!is(d[0].FatGrams, 20) || !is(d[0].WaterMl, 500) || !is(d[0].MindfulMinutes, 12) {
		t.Fatalf("Oct 12: %+v", d[0])
	}
	if !is(d[1].WaterMl, 250) || !is(d[1].MindfulMinutes, 5) || d[1].EnergyConsumedKcal != nil || d[1].ProteinGrams != nil {
		t.Fatalf("Oct 13: %+v", d[1])
	}
	if d[2].WaterMl != nil || d[2].MindfulMinutes != nil {
		t.Fatalf("Oct 14 should be empty: %+v", d[2])
	}
	// Another user sees none of it.
	a.do(a.token("bob"), `{ dailySummary(from: "`+octDate(12)+`", to: "`+octDate(12)+`", timeZone: "Europe/Zurich") {
		date energyConsumedKcal proteinGrams carbohydratesGrams fatGrams waterMl mindfulMinutes } }`, nil).decode(t, &out)
	if len(out.DailySummary) != 1 || out.DailySummary[0].EnergyConsumedKcal != nil || out.DailySummary[0].MindfulMinutes != nil {
		t.Fatalf("bob: %+v", out.DailySummary)
	}
}
