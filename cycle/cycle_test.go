package cycle_test

import (
	"testing"
	"time"

	"healthsync/cycle"
)

func TestPeriodsJoinOneDayGapsAndSplitLongerOnes(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	// Dates only feed the grouping here; no clock is read.
	at := func(day, hour int) time.Time { return time.Date(2030, 3, day, hour, 0, 0, 0, zurich) }
	flows := []cycle.Flow{
		{Value: "light", Start: at(1, 8), Zone: zurich},
		{Value: "heavy", Start: at(2, 8), Zone: zurich},
		{Value: "medium", Start: at(2, 20), Zone: zurich}, // lighter than the day's heaviest
		// 3 March: nothing logged; one day's gap keeps the period.
		{Value: "light", Start: at(4, 8), Zone: zurich},
		{Value: "none", Start: at(5, 8), Zone: zurich}, // no flow: not a flow day
		// 5 and 6 March without flow: the next flow day starts a new period.
		{Value: "unspecified", Start: at(7, 0).Add(30 * time.Minute), Zone: zurich}, // 23:30 UTC on the 6th, 7 March in Zurich
		{Value: "spotting", Start: at(20, 8), Zone: zurich},                         // not a flow value
	}
	got := cycle.Periods(flows)
	if len(got) != 2 {
		t.Fatalf("%d periods, want 2: %+v", len(got), got)
	}
	date := func(tm time.Time) string { return tm.Format("2006-01-02") }
	if date(got[0].Start) != "2030-03-01" || date(got[0].End) != "2030-03-04" || len(got[0].Days) != 3 {
		t.Errorf("first period %s–%s with %d days", date(got[0].Start), date(got[0].End), len(got[0].Days))
	}
	if got[0].Days[1].Flow != "heavy" {
		t.Errorf("2 March flow %q, want the heaviest, heavy", got[0].Days[1].Flow)
	}
	if date(got[1].Start) != "2030-03-07" || date(got[1].End) != "2030-03-07" || got[1].Days[0].Flow != "unspecified" {
		t.Errorf("second period %+v", got[1])
	}
}
