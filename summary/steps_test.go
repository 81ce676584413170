package summary

import (
	"testing"

	"healthsync/db"
)

// TestPickPrefersTheUsersOrder: with two providers' totals for one day, the better-ranked provider's counts,
// whatever its size; unranked sources come after, the larger first.
func TestPickPrefersTheUsersOrder(t *testing.T) {
	oura, garmin, stray := db.DailyTotal{SourceID: 1, Value: 8000}, db.DailyTotal{SourceID: 2, Value: 9500}, db.DailyTotal{SourceID: 3, Value: 12000}
	for _, c := range []struct {
		name   string
		totals []db.DailyTotal
		rank   map[int64]int
		want   float64
	}{
		{"oura first", []db.DailyTotal{garmin, oura}, map[int64]int{1: 0, 2: 1}, 8000},
		{"garmin first", []db.DailyTotal{oura, garmin}, map[int64]int{2: 0, 1: 1}, 9500},
		{"ranked beats unranked", []db.DailyTotal{stray, garmin, oura}, map[int64]int{1: 0}, 8000},
		{"no order: the larger", []db.DailyTotal{oura, garmin}, nil, 9500},
		{"one", []db.DailyTotal{oura}, nil, 8000},
	} {
		got, ok := pick(c.totals, c.rank)
		if !ok || got.Value != c.want {
			t.Errorf("%s: %v %v, want %v", c.name, got.Value, ok, c.want)
		}
	}
	if _, ok := pick(nil, nil); ok {
		t.Error("a day without totals picked one")
	}
}
