package client

import (
	"fmt"
	"testing"
	"time"
)

func TestSplitKeepsOrderCursorsLastAndSeriesWhole(t *testing.T) {
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	b := Batch{IdempotencyKey: "k", Provider: HealthConnect, Device: Device{ID: "pixel"},
		Deletions: []string{"d1", "d2"},
		Samples:   make([]QuantitySample, 5),
		SeriesSamples: []SeriesSample{
			{ID: "s1", Points: make([]SeriesPoint, 3)},
			{ID: "s2", Points: make([]SeriesPoint, 6)}, // larger than a request: travels alone
		},
		Workouts: []Workout{{ID: "w1"}},
		Cursors:  []Cursor{{Type: "HeartRate", Cursor: "c"}, {Type: "Steps", Cursor: "c"}},
	}
	for i := range b.Samples {
		b.Samples[i] = QuantitySample{ID: fmt.Sprint("q", i), Start: at}
	}
	parts, err := split(b, 4)
	if err != nil {
		t.Fatal(err)
	}
	// d1 d2 q0 q1 | q2 q3 q4 | s1(3) | s2(6) | w1 + cursors(2)
	want := []string{"D2 S2", "S3", "R1", "R1", "W1 C2"}
	if len(parts) != len(want) {
		t.Fatalf("%d parts, want %d", len(parts), len(want))
	}
	for i, p := range parts {
		got := summary(p.batch)
		if got != want[i] {
			t.Errorf("part %d: %s, want %s", i+1, got, want[i])
		}
		if p.batch.IdempotencyKey != fmt.Sprintf("k/%d", i+1) || p.batch.Device.ID != "pixel" || p.batch.Provider != HealthConnect {
			t.Errorf("part %d header: %q %+v", i+1, p.batch.IdempotencyKey, p.batch.Device)
		}
	}
	if parts[1].offset["SAMPLE"] != 2 || parts[3].offset["SERIES_SAMPLE"] != 1 || parts[4].offset["WORKOUT"] != 0 {
		t.Errorf("offsets %v %v %v", parts[1].offset, parts[3].offset, parts[4].offset)
	}
	if parts[1].batch.Samples[0].ID != "q2" || parts[3].batch.SeriesSamples[0].ID != "s2" {
		t.Error("items out of order")
	}

	one, err := split(b, 100)
	if err != nil || len(one) != 1 || one[0].batch.IdempotencyKey != "k" {
		t.Fatalf("a batch under the limit must go as it is: %v %+v", err, one)
	}
	b.IdempotencyKey = string(make([]byte, 254))
	if _, err := split(b, 4); err == nil {
		t.Error("a key with no room for the part number was accepted")
	}
}

func summary(b Batch) string {
	s := ""
	add := func(tag string, n int) {
		if n > 0 {
			if s != "" {
				s += " "
			}
			s += fmt.Sprint(tag, n)
		}
	}
	add("D", len(b.Deletions))
	add("S", len(b.Samples))
	add("R", len(b.SeriesSamples))
	add("W", len(b.Workouts))
	add("C", len(b.Cursors))
	return s
}
