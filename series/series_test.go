package series

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }

func total(acc []Acc) float64 {
	s := 0.0
	for _, a := range acc {
		s += a.Total
	}
	return s
}

const watch, phone, app = 1, 2, 3

func byID(s Sample) int {
	if s.UserEntered {
		return 0
	}
	return int(s.SourceID)
}

func TestMergeCountsOverlappingSourcesOnce(t *testing.T) {
	from, to := at("2026-06-01T00:00:00Z"), at("2026-06-02T00:00:00Z")
	edges, err := Edges(from, to, Hour, time.UTC, 10000)
	if err != nil {
		t.Fatal(err)
	}
	samples := []Sample{
		{SourceID: watch, Start: at("2026-06-01T08:00:00Z"), End: at("2026-06-01T09:00:00Z"), Value: 600},
		{SourceID: phone, Start: at("2026-06-01T08:30:00Z"), End: at("2026-06-01T09:30:00Z"), Value: 900},
		{SourceID: phone, Start: at("2026-06-01T12:00:00Z"), End: at("2026-06-01T12:10:00Z"), Value: 100},
	}
	acc, contrib := Merge(samples, byID, edges, from, to)
	// 08:00–09:00 the watch (600); 09:00–09:30 only the phone: half of its 900; 12:00 only the phone: 100.
	if got := total(acc); !near(got, 600+450+100) {
		t.Fatalf("merged total %v, want 1150", got)
	}
	if !near(acc[8].Total, 600) || !near(acc[9].Total, 450) || !near(acc[12].Total, 100) {
		t.Fatalf("hours 8, 9, 12 = %v %v %v", acc[8].Total, acc[9].Total, acc[12].Total)
	}
	if !near(contrib[watch], 600) || !near(contrib[phone], 550) {
		t.Fatalf("contributions %v", contrib)
	}
	if got := total(Sum(samples, edges, from, to)); !near(got, 1600) {
		t.Fatalf("unmerged total %v, want 1600", got)
	}
	// When the phone ranks first, it wins the overlap instead.
	phoneFirst := func(s Sample) int { return map[int64]int{phone: 0, watch: 1}[s.SourceID] }
	acc, _ = Merge(samples, phoneFirst, edges, from, to)
	if got := total(acc); !near(got, 300+900+100) {
		t.Fatalf("phone-first total %v, want 1300", got)
	}
}

func TestMergeUserEnteredWinsAndInstantsCountWhole(t *testing.T) {
	from, to := at("2026-06-01T00:00:00Z"), at("2026-06-02T00:00:00Z")
	edges, _ := Edges(from, to, Day, time.UTC, 10)
	samples := []Sample{
		{SourceID: watch, Start: at("2026-06-01T10:00:00Z"), End: at("2026-06-01T11:00:00Z"), Value: 1000},
		{SourceID: app, UserEntered: true, Start: at("2026-06-01T10:30:00Z"), End: at("2026-06-01T10:45:00Z"), Value: 50},
		// An instant from a lower source inside the watch's span does not count; one outside does.
		{SourceID: app, Start: at("2026-06-01T10:40:00Z"), End: at("2026-06-01T10:40:00Z"), Value: 7},
		{SourceID: app, Start: at("2026-06-01T15:00:00Z"), End: at("2026-06-01T15:00:00Z"), Value: 9},
	}
	acc, contrib := Merge(samples, byID, edges, from, to)
	want := 1000*45.0/60 + 50 + 9
	if !near(acc[0].Total, want) {
		t.Fatalf("total %v, want %v", acc[0].Total, want)
	}
	if !near(contrib[app], 59) || !near(contrib[watch], 750) {
		t.Fatalf("contributions %v", contrib)
	}
	if acc[0].N != 4 {
		t.Fatalf("count %d, want the 4 samples that start in the day", acc[0].N)
	}
}

func TestDayBucketsAreLocalDaysAcrossDST(t *testing.T) {
	// Europe/Berlin springs forward on 2026-03-29: that day has 23 hours.
	from := time.Date(2026, 3, 28, 0, 0, 0, 0, berlin)
	to := time.Date(2026, 3, 31, 0, 0, 0, 0, berlin)
	edges, err := Edges(from, to, Day, berlin, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(edges) != 4 || edges[2].Sub(edges[1]) != 23*time.Hour || edges[3].Sub(edges[2]) != 24*time.Hour {
		t.Fatalf("edges %v", edges)
	}
	// 23:30 local on the 29th is 21:30 UTC: the 29th, not the 30th (which UTC-midnight buckets would not even
	// get wrong here, but 00:30 local on the 30th, 22:30 UTC on the 29th, they would).
	samples := []Sample{
		{SourceID: watch, Start: time.Date(2026, 3, 29, 23, 30, 0, 0, berlin), End: time.Date(2026, 3, 29, 23, 30, 0, 0, berlin), Value: 10},
		{SourceID: watch, Start: time.Date(2026, 3, 30, 0, 30, 0, 0, berlin), End: time.Date(2026, 3, 30, 0, 30, 0, 0, berlin), Value: 20},
		// 01:00–04:00 local on the 29th is two real hours (02:00–03:00 does not exist): all 60 on the 29th.
		{SourceID: watch, Start: time.Date(2026, 3, 29, 1, 0, 0, 0, berlin), End: time.Date(2026, 3, 29, 4, 0, 0, 0, berlin), Value: 60},
	}
	acc := Sum(samples, edges, from, to)
	if !near(acc[1].Total, 70) || !near(acc[2].Total, 20) || acc[0].Total != 0 {
		t.Fatalf("daily totals %v %v %v, want 0 70 20", acc[0].Total, acc[1].Total, acc[2].Total)
	}
	// Falls back on 2026-10-25: 25 hours; its hour buckets are 25.
	from, to = time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), time.Date(2026, 10, 26, 0, 0, 0, 0, berlin)
	if hours, _ := Edges(from, to, Hour, berlin, 100); len(hours)-1 != 25 {
		t.Fatalf("hour buckets on the fall-back day: %d", len(hours)-1)
	}
}

func TestEdgesForCalendarBuckets(t *testing.T) {
	loc := mustZone("America/New_York")
	from, to := time.Date(2026, 11, 25, 15, 0, 0, 0, loc), time.Date(2027, 2, 3, 0, 0, 0, 0, loc)
	weeks, _ := Edges(from, to, Week, loc, 100)
	if weeks[0].Weekday() != time.Monday || weeks[0].In(loc).Day() != 23 {
		t.Fatalf("week starts %v", weeks[0])
	}
	months, _ := Edges(from, to, Month, loc, 100)
	if len(months) != 5 || months[0].In(loc).Day() != 1 || months[4].In(loc).Month() != time.March {
		t.Fatalf("months %v", months)
	}
	if _, err := Edges(from, from.AddDate(0, 0, 8), Minute, loc, 10000); err == nil {
		t.Fatal("8 days of minutes (11,520 buckets) must be refused")
	}
	// India is UTC+05:30: its hours are not UTC hours, so the hourly aggregate cannot serve it.
	kolkata := mustZone("Asia/Kolkata")
	d0 := time.Date(2026, 1, 1, 0, 0, 0, 0, kolkata)
	e, _ := Edges(d0, d0.AddDate(0, 0, 1), Hour, kolkata, 100)
	if HourAligned(e, d0, d0.AddDate(0, 0, 1)) || e[1].In(kolkata).Minute() != 0 {
		t.Fatalf("Kolkata hour edges %v", e[:2])
	}
	e, _ = Edges(time.Date(2026, 1, 1, 0, 0, 0, 0, berlin), time.Date(2026, 2, 1, 0, 0, 0, 0, berlin), Day, berlin, 100)
	if !HourAligned(e, e[0], e[len(e)-1]) {
		t.Fatal("Berlin day edges are UTC hours")
	}
}

// With a single source the merge is the plain sum: a cross-check of the sweep on random data.
func TestMergeOfOneSourceEqualsSum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	from, to := at("2026-06-01T00:00:00Z"), at("2026-06-03T00:00:00Z")
	edges, _ := Edges(from, to, Hour, berlin, 1000)
	var samples []Sample
	for i := 0; i < 500; i++ {
		s := from.Add(time.Duration(r.IntN(47*3600)) * time.Second)
		samples = append(samples, Sample{SourceID: watch, Start: s, End: s.Add(time.Duration(r.IntN(3*3600)) * time.Second), Value: float64(r.IntN(500))})
	}
	// Non-overlapping sub-sequence only: a source overlapping itself sums within itself in both.
	merged, _ := Merge(samples, byID, edges, from, to)
	plain := Sum(samples, edges, from, to)
	for i := range plain {
		if !near(merged[i].Total, plain[i].Total) {
			t.Fatalf("bucket %d: merged %v, sum %v", i, merged[i].Total, plain[i].Total)
		}
	}
}

func TestDayCacheableNeedsWholeHoursAndShortDays(t *testing.T) {
	h := func(n int) time.Time {
		return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)
	}
	if !dayCacheable([]time.Time{h(0), h(23), h(48)}, h(0), h(48)) {
		t.Fatal("23- and 25-hour days are cacheable")
	}
	if dayCacheable([]time.Time{h(0), h(27)}, h(0), h(27)) {
		t.Fatal("a 27-hour bucket does not fit day_buckets")
	}
	if dayCacheable([]time.Time{h(0), h(24)}, h(0).Add(30*time.Minute), h(24)) {
		t.Fatal("a range starting on the half hour is not whole hours")
	}
}
