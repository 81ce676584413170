package oura

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkHeartRateWeek maps a week of 5-minute heart rate rows (2016 rows, 168 hour records).
func BenchmarkHeartRateWeek(b *testing.B) {
	from := time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 7)
	rows := make([]heartRate, 0, 2016)
	for t := from; t.Before(to); t = t.Add(5 * time.Minute) {
		rows = append(rows, heartRate{BPM: float64(55 + t.Minute()%30), Source: "awake",
			Timestamp: t.Format("2006-01-02T15:04:05+00:00")})
	}
	a := New()
	b.ReportAllocs()
	for b.Loop() {
		recs, err := a.heartRateHours(rows, from, to)
		if err != nil || len(recs) != 168 {
			b.Fatal(len(recs), err)
		}
	}
}

// BenchmarkSleepNight maps one 8-hour night (96 phases).
func BenchmarkSleepNight(b *testing.B) {
	phases := strings.Repeat("2221113332", 9) + "244444"
	hrv, breath, low := 41.0, 14.5, 48.0
	s := sleepPeriod{ID: "n1", Day: "2026-11-24", Type: "long_sleep", BedtimeStart: "2026-11-23T23:00:00+01:00",
		BedtimeEnd: "2026-11-24T07:00:00+01:00", SleepPhase5Min: &phases, AverageHRV: &hrv, AverageBreath: &breath,
		LowestHeartRate: &low}
	a := New()
	b.ReportAllocs()
	for b.Loop() {
		rec, err := a.sleep(s)
		if err != nil || len(rec.Categories) < 2 {
			b.Fatal(fmt.Sprint(len(rec.Categories)), err)
		}
	}
}
