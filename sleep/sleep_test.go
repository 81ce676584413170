package sleep

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

func ts(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// smp builds a sample of source src; times are RFC 3339.
func smp(t *testing.T, src int64, stage, start, end string) Sample {
	t.Helper()
	return Sample{SourceID: src, Stage: stage, Start: ts(t, start), End: ts(t, end)}
}

var (
	allFrom = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	allTo   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func TestUnionLength(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := func(a, b int) span {
		return span{base.Add(time.Duration(a) * time.Minute), base.Add(time.Duration(b) * time.Minute)}
	}
	for _, c := range []struct {
		name  string
		spans []span
		want  int
	}{
		{"none", nil, 0},
		{"one", []span{m(0, 30)}, 30},
		{"disjoint", []span{m(0, 10), m(20, 30)}, 20},
		{"overlapping", []span{m(0, 20), m(10, 30)}, 30},
		{"nested", []span{m(0, 60), m(10, 20), m(30, 40)}, 60},
		{"touching", []span{m(0, 10), m(10, 20)}, 20},
		{"unsorted with duplicates", []span{m(50, 60), m(0, 10), m(5, 15), m(0, 10), m(55, 70)}, 35},
	} {
		if got := unionLength(c.spans); got != time.Duration(c.want)*time.Minute {
			t.Errorf("%s: %v, want %d min", c.name, got, c.want)
		}
	}
}

func TestNightWithSilentWakeIsOneSession(t *testing.T) {
	// 23:00–02:00 core, nothing 02:00–02:40 (the watch recorded no awake sample), 02:40–06:40 stages.
	in := []Sample{
		smp(t, 1, AsleepCore, "2025-06-10T23:00:00Z", "2025-06-11T01:00:00Z"),
		smp(t, 1, AsleepDeep, "2025-06-11T01:00:00Z", "2025-06-11T02:00:00Z"),
		smp(t, 1, AsleepREM, "2025-06-11T02:40:00Z", "2025-06-11T03:40:00Z"),
		smp(t, 1, AsleepCore, "2025-06-11T03:40:00Z", "2025-06-11T06:40:00Z"),
	}
	got := Sessions(in, []int64{1}, time.UTC, allFrom, allTo)
	if len(got) != 1 {
		t.Fatalf("%d sessions, want 1: %+v", len(got), got)
	}
	s := got[0]
	if !s.Start.Equal(ts(t, "2025-06-10T23:00:00Z")) || !s.End.Equal(ts(t, "2025-06-11T06:40:00Z")) {
		t.Errorf("span %v–%v", s.Start, s.End)
	}
	if s.Asleep != 7*time.Hour || s.InBed != 7*time.Hour+40*time.Minute || s.Awake != 0 {
		t.Errorf("asleep %v in bed %v awake %v", s.Asleep, s.InBed, s.Awake)
	}
	if s.Core != 5*time.Hour || s.Deep != time.Hour || s.REM != time.Hour || s.IsNap {
		t.Errorf("core %v deep %v rem %v nap %v", s.Core, s.Deep, s.REM, s.IsNap)
	}
}

func TestGapThreshold(t *testing.T) {
	night := smp(t, 1, AsleepCore, "2025-06-10T23:00:00Z", "2025-06-11T03:00:00Z")
	for _, c := range []struct {
		gap  time.Duration
		want int
	}{
		{40 * time.Minute, 1},
		{MaxGap, 1},
		{MaxGap + time.Second, 2},
	} {
		later := Sample{SourceID: 1, Stage: AsleepCore, Start: night.End.Add(c.gap), End: night.End.Add(c.gap + 2*time.Hour)}
		if got := Sessions([]Sample{later, night}, nil, time.UTC, allFrom, allTo); len(got) != c.want {
			t.Errorf("gap %v: %d sessions, want %d", c.gap, len(got), c.want)
		}
	}
}

func TestGapIsMeasuredFromLatestEnd(t *testing.T) {
	// A long in-bed sample bridges a four-hour hole between two short stage samples.
	in := []Sample{
		smp(t, 1, InBed, "2025-06-10T22:00:00Z", "2025-06-11T07:00:00Z"),
		smp(t, 1, AsleepCore, "2025-06-10T22:30:00Z", "2025-06-10T23:00:00Z"),
		smp(t, 1, AsleepCore, "2025-06-11T03:00:00Z", "2025-06-11T04:00:00Z"),
	}
	got := Sessions(in, nil, time.UTC, allFrom, allTo)
	if len(got) != 1 {
		t.Fatalf("%d sessions, want 1", len(got))
	}
	if got[0].InBed != 9*time.Hour || got[0].Asleep != 90*time.Minute {
		t.Errorf("in bed %v asleep %v", got[0].InBed, got[0].Asleep)
	}
	if e, ok := got[0].Efficiency(); !ok || e != 1.5/9 {
		t.Errorf("efficiency %v %v", e, ok)
	}
}

func TestAfternoonNapIsSeparate(t *testing.T) {
	zurich := zone(t, "Europe/Zurich")
	in := []Sample{
		smp(t, 1, AsleepCore, "2025-06-10T21:00:00Z", "2025-06-11T05:00:00Z"), // 23:00–07:00 local
		smp(t, 1, AsleepCore, "2025-06-11T12:00:00Z", "2025-06-11T12:45:00Z"), // 14:00–14:45 local
	}
	got := Sessions(in, nil, zurich, allFrom, allTo)
	if len(got) != 2 {
		t.Fatalf("%d sessions, want 2", len(got))
	}
	if got[0].IsNap || !got[1].IsNap {
		t.Errorf("naps: night %v, afternoon %v", got[0].IsNap, got[1].IsNap)
	}
	if got[1].Asleep != 45*time.Minute {
		t.Errorf("nap asleep %v", got[1].Asleep)
	}
}

func TestNapEdges(t *testing.T) {
	zurich := zone(t, "Europe/Zurich")
	day := time.Date(2025, 6, 11, 0, 0, 0, 0, zurich)
	for _, c := range []struct {
		name   string
		end    time.Duration // local clock of the end
		length time.Duration
		want   bool
	}{
		{"ends 10:00", 10 * time.Hour, time.Hour, true},
		{"ends 09:59:59", 10*time.Hour - time.Second, time.Hour, false},
		{"ends 19:59:59", 20*time.Hour - time.Second, time.Hour, true},
		{"ends 20:00", 20 * time.Hour, time.Hour, false},
		{"just under 3 h", 15 * time.Hour, 3*time.Hour - time.Second, true},
		{"exactly 3 h", 15 * time.Hour, 3 * time.Hour, false},
		{"night ending at 07:00", 7 * time.Hour, 8 * time.Hour, false},
		{"long sleep ending at noon", 12 * time.Hour, 9 * time.Hour, false},
	} {
		end := day.Add(c.end)
		in := []Sample{{SourceID: 1, Stage: AsleepUnspecified, Start: end.Add(-c.length), End: end, TimeZone: "Europe/Zurich"}}
		// The reader's zone is far away: the samples' own zone decides.
		got := Sessions(in, nil, zone(t, "America/Los_Angeles"), allFrom, allTo)
		if len(got) != 1 || got[0].IsNap != c.want {
			t.Errorf("%s: %+v, want isNap %v", c.name, got, c.want)
		}
	}
}

func TestDSTNightInBerlin(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	// Clocks go from 02:00 CET to 03:00 CEST on 2025-03-30: 23:00 CET to 07:00 CEST is 7 hours, not 8.
	in := []Sample{
		{SourceID: 1, Stage: InBed, Start: ts(t, "2025-03-29T22:00:00Z"), End: ts(t, "2025-03-30T05:00:00Z")},
		{SourceID: 1, Stage: AsleepCore, Start: ts(t, "2025-03-29T22:00:00Z"), End: ts(t, "2025-03-30T05:00:00Z")},
		// 00:30 CEST on 31 March; the winter offset would put it at 23:30 on the 30th.
		{SourceID: 1, Stage: AsleepCore, Start: ts(t, "2025-03-30T18:00:00Z"), End: ts(t, "2025-03-30T22:30:00Z")},
	}
	got := Sessions(in, nil, berlin, allFrom, allTo)
	if len(got) != 2 {
		t.Fatalf("%d sessions, want 2", len(got))
	}
	if y, m, d := got[0].Date(); fmt.Sprintf("%04d-%02d-%02d", y, m, d) != "2025-03-30" {
		t.Errorf("night date %d-%d-%d", y, m, d)
	}
	if got[0].Asleep != 7*time.Hour || got[0].InBed != 7*time.Hour {
		t.Errorf("asleep %v in bed %v", got[0].Asleep, got[0].InBed)
	}
	if y, m, d := got[1].Date(); fmt.Sprintf("%04d-%02d-%02d", y, m, d) != "2025-03-31" {
		t.Errorf("evening session date %d-%d-%d", y, m, d)
	}
	if got[0].Zone.String() != "Europe/Berlin" {
		t.Errorf("zone %v", got[0].Zone)
	}
}

func TestSampleZoneBeatsReaderZone(t *testing.T) {
	// Ends 23:30 UTC: still the 10th in New York, already the 11th in Tokyo (the reader's zone).
	in := []Sample{
		{SourceID: 1, Stage: AsleepCore, Start: ts(t, "2025-06-10T16:00:00Z"), End: ts(t, "2025-06-10T23:30:00Z"), TimeZone: "America/New_York"},
	}
	got := Sessions(in, nil, zone(t, "Asia/Tokyo"), allFrom, allTo)
	if y, m, d := got[0].Date(); d != 10 || m != 6 || y != 2025 || got[0].Zone.String() != "America/New_York" {
		t.Errorf("date %d-%d-%d in %v", y, m, d, got[0].Zone)
	}
	in[0].TimeZone = "Not/AZone"
	got = Sessions(in, nil, zone(t, "Asia/Tokyo"), allFrom, allTo)
	if _, _, d := got[0].Date(); d != 11 || got[0].Zone.String() != "Asia/Tokyo" {
		t.Errorf("bad zone: day %d in %v, want the reader's", d, got[0].Zone)
	}
}

func TestInBedIsNotAddedToStages(t *testing.T) {
	in := []Sample{
		// Two overlapping in-bed records: 23:00–07:00 in all.
		smp(t, 1, InBed, "2025-06-10T23:00:00Z", "2025-06-11T06:00:00Z"),
		smp(t, 1, InBed, "2025-06-11T05:00:00Z", "2025-06-11T07:00:00Z"),
		smp(t, 1, Awake, "2025-06-10T23:00:00Z", "2025-06-10T23:20:00Z"),
		smp(t, 1, AsleepCore, "2025-06-10T23:20:00Z", "2025-06-11T01:00:00Z"),
		// The same core stretch uploaded twice, overlapping: counted once.
		smp(t, 1, AsleepCore, "2025-06-11T00:30:00Z", "2025-06-11T01:00:00Z"),
		smp(t, 1, AsleepDeep, "2025-06-11T01:00:00Z", "2025-06-11T02:30:00Z"),
		smp(t, 1, AwakeInBed, "2025-06-11T02:30:00Z", "2025-06-11T02:40:00Z"),
		smp(t, 1, AsleepREM, "2025-06-11T02:40:00Z", "2025-06-11T04:00:00Z"),
		smp(t, 1, AsleepUnspecified, "2025-06-11T04:00:00Z", "2025-06-11T06:30:00Z"),
		smp(t, 1, AwakeOutOfBed, "2025-06-11T06:30:00Z", "2025-06-11T06:45:00Z"),
	}
	got := Sessions(in, nil, time.UTC, allFrom, allTo)
	if len(got) != 1 {
		t.Fatalf("%d sessions", len(got))
	}
	s := got[0]
	want := map[string]time.Duration{
		"inBed": 8 * time.Hour, "asleep": 100*time.Minute + 90*time.Minute + 80*time.Minute + 150*time.Minute,
		"awake": 20*time.Minute + 10*time.Minute + 15*time.Minute, "core": 100 * time.Minute, "deep": 90 * time.Minute,
		"rem": 80 * time.Minute, "unspecified": 150 * time.Minute,
	}
	have := map[string]time.Duration{"inBed": s.InBed, "asleep": s.Asleep, "awake": s.Awake, "core": s.Core,
		"deep": s.Deep, "rem": s.REM, "unspecified": s.Unspecified}
	if !reflect.DeepEqual(have, want) {
		t.Errorf("durations %v, want %v", have, want)
	}
	if e, ok := s.Efficiency(); !ok || e != float64(420)/480 {
		t.Errorf("efficiency %v", e)
	}
	if !s.Start.Equal(ts(t, "2025-06-10T23:00:00Z")) || !s.End.Equal(ts(t, "2025-06-11T07:00:00Z")) {
		t.Errorf("span %v–%v", s.Start, s.End)
	}
}

func TestNoInBedMeansSpan(t *testing.T) {
	in := []Sample{
		smp(t, 1, AsleepCore, "2025-06-10T23:00:00Z", "2025-06-11T03:00:00Z"),
		smp(t, 1, Awake, "2025-06-11T03:00:00Z", "2025-06-11T03:30:00Z"),
		smp(t, 1, AsleepCore, "2025-06-11T03:30:00Z", "2025-06-11T07:00:00Z"),
	}
	s := Sessions(in, nil, time.UTC, allFrom, allTo)[0]
	if s.InBed != 8*time.Hour || s.Asleep != 7*time.Hour+30*time.Minute || s.Awake != 30*time.Minute {
		t.Errorf("in bed %v asleep %v awake %v", s.InBed, s.Asleep, s.Awake)
	}
}

func TestEfficiencyIsCapped(t *testing.T) {
	in := []Sample{
		smp(t, 1, InBed, "2025-06-11T01:00:00Z", "2025-06-11T02:00:00Z"),
		smp(t, 1, AsleepCore, "2025-06-10T23:00:00Z", "2025-06-11T07:00:00Z"),
	}
	if e, ok := Sessions(in, nil, time.UTC, allFrom, allTo)[0].Efficiency(); !ok || e != 1 {
		t.Errorf("efficiency %v %v, want 1", e, ok)
	}
	if _, ok := (Session{}).Efficiency(); ok {
		t.Error("a session with nothing in bed has an efficiency")
	}
}

func TestStageSegments(t *testing.T) {
	in := []Sample{
		smp(t, 1, InBed, "2025-06-10T22:50:00Z", "2025-06-11T02:00:00Z"),
		smp(t, 1, AsleepCore, "2025-06-10T23:00:00Z", "2025-06-10T23:30:00Z"),
		smp(t, 1, AsleepCore, "2025-06-10T23:30:00Z", "2025-06-11T00:00:00Z"), // touches: merged
		smp(t, 1, AsleepCore, "2025-06-10T23:50:00Z", "2025-06-11T00:10:00Z"), // overlaps: merged
		smp(t, 1, AsleepDeep, "2025-06-11T00:10:00Z", "2025-06-11T01:00:00Z"),
		smp(t, 1, AsleepCore, "2025-06-11T01:00:00Z", "2025-06-11T01:20:00Z"),
		smp(t, 1, AsleepCore, "2025-06-11T01:25:00Z", "2025-06-11T01:40:00Z"), // 5-minute hole: kept apart
	}
	got := Sessions(in, nil, time.UTC, allFrom, allTo)[0].Stages
	want := []Segment{
		{AsleepCore, ts(t, "2025-06-10T23:00:00Z"), ts(t, "2025-06-11T00:10:00Z")},
		{AsleepDeep, ts(t, "2025-06-11T00:10:00Z"), ts(t, "2025-06-11T01:00:00Z")},
		{AsleepCore, ts(t, "2025-06-11T01:00:00Z"), ts(t, "2025-06-11T01:20:00Z")},
		{AsleepCore, ts(t, "2025-06-11T01:25:00Z"), ts(t, "2025-06-11T01:40:00Z")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("segments\n%v\nwant\n%v", got, want)
	}
}

func TestPriorityPerNight(t *testing.T) {
	const watch, app, other = 10, 20, 30
	in := []Sample{
		smp(t, app, AsleepUnspecified, "2025-06-10T22:45:00Z", "2025-06-11T07:10:00Z"),
		smp(t, watch, AsleepCore, "2025-06-10T23:00:00Z", "2025-06-11T07:00:00Z"),
		smp(t, app, AsleepUnspecified, "2025-06-11T12:00:00Z", "2025-06-11T12:40:00Z"), // a nap only the app saw
		smp(t, watch, AsleepCore, "2025-06-11T23:00:00Z", "2025-06-12T06:00:00Z"),
	}
	got := Sessions(in, []int64{watch, app}, time.UTC, allFrom, allTo)
	var srcs []int64
	for _, s := range got {
		srcs = append(srcs, s.SourceID)
	}
	if !reflect.DeepEqual(srcs, []int64{watch, app, watch}) || !got[1].IsNap {
		t.Fatalf("sources %v (nap %v), want watch, app nap, watch", srcs, len(got) > 1 && got[1].IsNap)
	}
	// The user's own order flips the first night.
	got = Sessions(in, []int64{app, watch}, time.UTC, allFrom, allTo)
	if len(got) != 3 || got[0].SourceID != app || got[0].Asleep != 8*time.Hour+25*time.Minute {
		t.Errorf("app first: %+v", got)
	}
	// A source missing from the order ranks last, and is judged only against kept sessions.
	in = append(in, smp(t, other, AsleepCore, "2025-06-11T07:05:00Z", "2025-06-11T08:00:00Z"))
	got = Sessions(in, []int64{watch, app}, time.UTC, allFrom, allTo)
	if len(got) != 4 || got[1].SourceID != other {
		t.Errorf("other source after a dropped app night: %+v", got)
	}
}

func TestRangeIsByEnd(t *testing.T) {
	in := []Sample{
		smp(t, 1, AsleepCore, "2025-06-10T23:00:00Z", "2025-06-11T07:00:00Z"),
		smp(t, 1, AsleepCore, "2025-06-11T23:00:00Z", "2025-06-12T07:00:00Z"),
	}
	from, to := ts(t, "2025-06-11T07:00:00Z"), ts(t, "2025-06-12T07:00:00Z")
	got := Sessions(in, nil, time.UTC, from, to)
	if len(got) != 1 || !got[0].End.Equal(from) {
		t.Errorf("%+v: want only the session ending at from", got)
	}
}

func TestIgnoredSamples(t *testing.T) {
	in := []Sample{
		smp(t, 1, "mystery", "2025-06-10T23:00:00Z", "2025-06-11T07:00:00Z"),
		smp(t, 1, AsleepCore, "2025-06-11T01:00:00Z", "2025-06-11T01:00:00Z"),
	}
	if got := Sessions(in, nil, nil, allFrom, allTo); len(got) != 0 {
		t.Errorf("%+v, want nothing", got)
	}
}

// TestReadWindowIsEnough checks that reading only the samples overlapping ReadWindow gives the same answer as
// reading everything, for many ranges over random weeks of data from three sources.
func TestReadWindowIsEnough(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	stages := []string{InBed, AsleepCore, AsleepDeep, AsleepREM, Awake, AsleepUnspecified}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []Sample
	for src := int64(1); src <= 3; src++ {
		at := base
		for at.Before(base.Add(21 * 24 * time.Hour)) {
			at = at.Add(time.Duration(rng.Intn(300)) * time.Minute)
			d := time.Duration(5+rng.Intn(120)) * time.Minute
			all = append(all, Sample{SourceID: src, Stage: stages[rng.Intn(len(stages))], Start: at, End: at.Add(d)})
			at = at.Add(d)
		}
	}
	order := []int64{2, 1, 3}
	seen := 0
	for i := 0; i < 200; i++ {
		from := base.Add(48*time.Hour + time.Duration(rng.Intn(14*24*60))*time.Minute)
		to := from.Add(time.Duration(1+rng.Intn(3*24*60)) * time.Minute)
		lo, hi := ReadWindow(from, to)
		var part []Sample
		for _, s := range all {
			if s.Start.Before(hi) && s.End.After(lo) {
				part = append(part, s)
			}
		}
		want := Sessions(all, order, time.UTC, from, to)
		got := Sessions(part, order, time.UTC, from, to)
		// Sessions longer than Lookback may legitimately be cut; random data of this density has none.
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("range %v–%v: windowed %d sessions, full %d", from, to, len(got), len(want))
		}
		seen += len(want)
	}
	if seen < 1000 {
		t.Fatalf("only %d sessions over 200 ranges: the data does not exercise the window", seen)
	}
}

// TestInBedComesFromEverySourceOfTheNight is the watchOS 9+ set-up: the iPhone records in bed 21:00–05:30, the
// Watch, first in the order, records stages 21:20–05:10 and no in-bed. The Health app shows 8 h 30 min in bed.
func TestInBedComesFromEverySourceOfTheNight(t *testing.T) {
	const watch, phone = 10, 20
	in := []Sample{
		smp(t, phone, InBed, "2025-06-10T21:00:00Z", "2025-06-11T05:30:00Z"),
		smp(t, watch, AsleepCore, "2025-06-10T21:20:00Z", "2025-06-11T00:00:00Z"),
		smp(t, watch, Awake, "2025-06-11T00:00:00Z", "2025-06-11T00:11:00Z"),
		smp(t, watch, AsleepDeep, "2025-06-11T00:11:00Z", "2025-06-11T02:00:00Z"),
		smp(t, watch, AsleepREM, "2025-06-11T02:00:00Z", "2025-06-11T05:10:00Z"),
		// The phone's in-bed of the next night belongs to that night only.
		smp(t, phone, InBed, "2025-06-11T21:00:00Z", "2025-06-12T06:00:00Z"),
		smp(t, watch, AsleepCore, "2025-06-11T22:00:00Z", "2025-06-12T05:00:00Z"),
	}
	got := Sessions(in, []int64{watch, phone}, time.UTC, allFrom, allTo)
	if len(got) != 2 || got[0].SourceID != watch || got[1].SourceID != watch {
		t.Fatalf("%+v: want two Watch nights", got)
	}
	s := got[0]
	if s.InBed != 510*time.Minute || s.Asleep != 459*time.Minute {
		t.Errorf("in bed %v asleep %v, want 8h30m and 7h39m", s.InBed, s.Asleep)
	}
	if e, ok := s.Efficiency(); !ok || e != 459.0/510 {
		t.Errorf("efficiency %v %v, want %v", e, ok, 459.0/510)
	}
	// The span and stages stay the Watch's.
	if !s.Start.Equal(ts(t, "2025-06-10T21:20:00Z")) || !s.End.Equal(ts(t, "2025-06-11T05:10:00Z")) || len(s.Stages) != 4 {
		t.Errorf("span %v–%v, %d stage segments", s.Start, s.End, len(s.Stages))
	}
	if got[1].InBed != 9*time.Hour {
		t.Errorf("second night in bed %v, want 9h (the phone's 21:00–06:00)", got[1].InBed)
	}

	// Two sources' overlapping in-bed records count once, together with the winner's own.
	in = append(in[:5:5], smp(t, watch, InBed, "2025-06-10T21:10:00Z", "2025-06-11T05:40:00Z"),
		smp(t, 30, InBed, "2025-06-10T20:50:00Z", "2025-06-10T22:00:00Z"))
	got = Sessions(in, []int64{watch, phone}, time.UTC, allFrom, allTo)
	if len(got) != 1 || got[0].InBed != 530*time.Minute {
		t.Errorf("%+v: want one night 20:50–05:40 in bed (530 min)", got)
	}
}

// TestTotalsReplaceTheIntervalsLength: a night summed up by stage (Health Auto Export's aggregated sleep) is
// one asleep interval 23:00–06:30 with 7.2 h asleep, 0.3 h awake; the interval's 7.5 h is not the sleep.
func TestTotalsReplaceTheIntervalsLength(t *testing.T) {
	night := smp(t, 1, AsleepUnspecified, "2025-06-10T23:00:00Z", "2025-06-11T06:30:00Z")
	night.Totals = TotalsFromMinutes(map[string]float64{"asleep": 432, "core": 240, "deep": 72, "rem": 120, "awake": 18})
	got := Sessions([]Sample{night, smp(t, 1, InBed, "2025-06-10T22:50:00Z", "2025-06-11T06:40:00Z")}, nil, nil, allFrom, allTo)
	if len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	s := got[0]
	have := [...]time.Duration{s.Asleep, s.Core, s.Deep, s.REM, s.Unspecified, s.Awake, s.InBed}
	want := [...]time.Duration{432 * time.Minute, 240 * time.Minute, 72 * time.Minute, 120 * time.Minute, 0, 18 * time.Minute, 470 * time.Minute}
	if have != want {
		t.Errorf("asleep, core, deep, REM, unspecified, awake, in bed = %v, want %v", have, want)
	}
	if len(s.Stages) != 1 || s.Stages[0].Stage != AsleepUnspecified {
		t.Errorf("stages %+v: want the one interval", s.Stages)
	}
	// Asleep beyond the staged sum is unspecified sleep; totals with no sleep are no totals.
	night.Totals = TotalsFromMinutes(map[string]float64{"asleep": 400, "core": 300})
	if got := Sessions([]Sample{night}, nil, nil, allFrom, allTo); len(got) != 1 || got[0].Unspecified != 100*time.Minute || got[0].Asleep != 400*time.Minute {
		t.Errorf("%+v: want 100 min unspecified", got)
	}
	if TotalsFromMinutes(map[string]float64{"awake": 10}) != nil || TotalsFromMinutes(nil) != nil {
		t.Error("totals without sleep")
	}
}
