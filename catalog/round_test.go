package catalog

import "testing"

// Every metric answers totals in a resolution, and rounding to it takes away float noise the same way from
// either side of a half.
func TestRoundToTheMetricsResolution(t *testing.T) {
	c := New()
	for _, m := range c.Metrics() {
		if m.Resolution <= 0 {
			t.Errorf("%s has no resolution", m.Name)
		}
	}
	steps, _ := c.Lookup("steps")
	dist, _ := c.Lookup("distance_walking_running")
	for _, tc := range []struct {
		m       Metric
		in, out float64
	}{
		{steps, 600.0000000000001, 600}, {steps, 599.9999999999997, 600}, {steps, 57.833333333333336, 58},
		// A half computed two ways: exactly, and a bit under it.
		{steps, 2.5, 3}, {steps, 2.4999999999999996, 3}, {steps, -2.5, -3},
		{dist, 1.005, 1.01}, {dist, 1.0049999999999999, 1.01}, {dist, 12.345000000000001, 12.35}, {dist, 0.1 + 0.2, 0.3},
	} {
		if got := tc.m.Round(tc.in); got != tc.out {
			t.Errorf("%s: Round(%v) = %v, want %v", tc.m.Name, tc.in, got, tc.out)
		}
	}
	if _, err := build([]Metric{{Name: "x", Unit: "count", Aggregation: Cumulative, Resolution: 0.3, Min: 0, Max: 1}}, nil, unitFamilies(), nil); err == nil {
		t.Error("a resolution of 0.3 was accepted")
	}
}
