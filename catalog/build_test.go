package catalog

import (
	"strings"
	"testing"
)

// The consistency checks in build are what keep a one-line table edit from
// silently breaking lookups; each must fire on the mistake it guards against.
func TestBuildRejectsTableMistakes(t *testing.T) {
	base := func() ([]Metric, []categoryDef, []*unitFamily, []activityRow) {
		return metricTable(), categoryTable(), unitFamilies(), activityTable()
	}
	cases := []struct {
		name  string
		edit  func(ms *[]Metric, cs *[]categoryDef, fs *[]*unitFamily, as *[]activityRow)
		wants string
	}{
		{"HealthKit id claimed twice", func(ms *[]Metric, _ *[]categoryDef, _ *[]*unitFamily, _ *[]activityRow) {
			*ms = append(*ms, Metric{Name: "steps_again", Unit: "count", Aggregation: Cumulative, Max: 1,
				HealthKit: hk("StepCount")})
		}, "claimed by"},
		{"Health Connect spelling collides after folding", func(ms *[]Metric, _ *[]categoryDef, _ *[]*unitFamily, _ *[]activityRow) {
			*ms = append(*ms, Metric{Name: "other_steps", Unit: "count", Aggregation: Cumulative, Max: 1,
				HealthConnect: hc("STEPS")})
		}, "claimed by"},
		{"unit without family", func(ms *[]Metric, _ *[]categoryDef, _ *[]*unitFamily, _ *[]activityRow) {
			*ms = append(*ms, Metric{Name: "x", Unit: "furlong", Aggregation: Discrete, Max: 1})
		}, "no canonical unit"},
		{"empty range", func(ms *[]Metric, _ *[]categoryDef, _ *[]*unitFamily, _ *[]activityRow) {
			*ms = append(*ms, Metric{Name: "x", Unit: "m", Aggregation: Discrete, Min: 5, Max: 5})
		}, "not below Max"},
		{"bad aggregation", func(ms *[]Metric, _ *[]categoryDef, _ *[]*unitFamily, _ *[]activityRow) {
			*ms = append(*ms, Metric{Name: "x", Unit: "m", Aggregation: "SUM", Max: 5})
		}, "aggregation"},
		{"category value means two things", func(_ *[]Metric, cs *[]categoryDef, _ *[]*unitFamily, _ *[]activityRow) {
			(*cs)[0].values = append((*cs)[0].values, valueRule{canonical: "nap", hk: []string{"3"}})
		}, "means both"},
		{"activity int means two things", func(_ *[]Metric, _ *[]categoryDef, _ *[]*unitFamily, as *[]activityRow) {
			*as = append(*as, activityRow{name: "quidditch", hk: []code{ac("quidditch", 37)}})
		}, "means both"},
		{"platform activity shadows a canonical one", func(_ *[]Metric, _ *[]categoryDef, _ *[]*unitFamily, as *[]activityRow) {
			*as = append(*as, activityRow{name: "jogging", hc: []code{ac("RUNNING", noRaw)}})
		}, "shadows canonical"},
		{"folded unit spellings disagree", func(_ *[]Metric, _ *[]categoryDef, fs *[]*unitFamily, _ *[]activityRow) {
			*fs = append(*fs, family("bad", []string{"Thing"}, func(add adder) {
				add(lin(1), "Thing")
				add(lin(2), "THING")
			}))
		}, "folds onto"},
		{"canonical unit in two families", func(_ *[]Metric, _ *[]categoryDef, fs *[]*unitFamily, _ *[]activityRow) {
			*fs = append(*fs, family("dup", []string{"kcal"}, func(add adder) { add(lin(1), "kcal") }))
		}, "in families"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms, cs, fs, as := base()
			tc.edit(&ms, &cs, &fs, &as)
			_, err := build(ms, cs, fs, as)
			if err == nil || !strings.Contains(err.Error(), tc.wants) {
				t.Errorf("build error %v, want one mentioning %q", err, tc.wants)
			}
		})
	}
	if _, err := build(base()); err != nil {
		t.Fatalf("built-in tables: %v", err)
	}
}
