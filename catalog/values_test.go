package catalog_test

import (
	"slices"
	"testing"

	"healthsync/catalog"
)

func category(t *testing.T, name string) catalog.Category {
	t.Helper()
	cat, ok := catalog.New().LookupCategory(name)
	if !ok {
		t.Fatalf("category %s not found", name)
	}
	return cat
}

func TestSleepValues(t *testing.T) {
	sleep := category(t, "sleep")
	wantValues := []string{
		"in_bed", "asleep_unspecified", "awake", "asleep_core", "asleep_deep", "asleep_rem",
		"awake_out_of_bed", "awake_in_bed",
	}
	if !slices.Equal(sleep.Values, wantValues) {
		t.Errorf("Values = %v, want %v", sleep.Values, wantValues)
	}
	cases := []struct {
		d        catalog.Dialect
		raw, out string
	}{
		// HealthKit raw enum values.
		{hk, "0", "in_bed"},
		{hk, "1", "asleep_unspecified"},
		{hk, "2", "awake"},
		{hk, "3", "asleep_core"},
		{hk, "4", "asleep_deep"},
		{hk, "5", "asleep_rem"},
		// export.xml enum names.
		{hk, "HKCategoryValueSleepAnalysisInBed", "in_bed"},
		{hk, "HKCategoryValueSleepAnalysisAsleep", "asleep_unspecified"},
		{hk, "HKCategoryValueSleepAnalysisAsleepUnspecified", "asleep_unspecified"},
		{hk, "HKCategoryValueSleepAnalysisAwake", "awake"},
		{hk, "HKCategoryValueSleepAnalysisAsleepCore", "asleep_core"},
		{hk, "HKCategoryValueSleepAnalysisAsleepDeep", "asleep_deep"},
		{hk, "HKCategoryValueSleepAnalysisAsleepREM", "asleep_rem"},
		// Swift case names.
		{hk, "inBed", "in_bed"},
		{hk, "asleep", "asleep_unspecified"},
		{hk, "asleepCore", "asleep_core"},
		{hk, "asleepREM", "asleep_rem"},
		// Health Auto Export words.
		{hk, "In Bed", "in_bed"},
		{hk, "Core", "asleep_core"},
		{hk, "Deep", "asleep_deep"},
		// Health Connect stage ints.
		{hc, "0", "asleep_unspecified"},
		{hc, "1", "awake"},
		{hc, "2", "asleep_unspecified"},
		{hc, "3", "awake_out_of_bed"},
		{hc, "4", "asleep_core"},
		{hc, "5", "asleep_deep"},
		{hc, "6", "asleep_rem"},
		{hc, "7", "awake_in_bed"},
		// Health Connect names in their several spellings.
		{hc, "STAGE_TYPE_DEEP", "asleep_deep"},
		{hc, "DEEP", "asleep_deep"},
		{hc, "SLEEPING_DEEP", "asleep_deep"},
		{hc, "deep", "asleep_deep"},
		{hc, "STAGE_TYPE_LIGHT", "asleep_core"},
		{hc, "SLEEPING_REM", "asleep_rem"},
		{hc, "STAGE_TYPE_SLEEPING", "asleep_unspecified"},
		{hc, "STAGE_TYPE_OUT_OF_BED", "awake_out_of_bed"},
		{hc, "AWAKE_IN_BED", "awake_in_bed"},
		{hc, "STAGE_TYPE_UNKNOWN", "asleep_unspecified"},
		// Canonical values work in every dialect.
		{cn, "asleep_rem", "asleep_rem"},
		{hk, "awake_in_bed", "awake_in_bed"},
		{hc, "in_bed", "in_bed"},
	}
	for _, tc := range cases {
		got, ok := sleep.NormalizeValue(tc.d, tc.raw)
		if !ok || got != tc.out {
			t.Errorf("NormalizeValue(%s, %q) = %q, %v; want %q", tc.d, tc.raw, got, ok, tc.out)
		}
	}
}

func TestSleepFiveDependsOnDialect(t *testing.T) {
	sleep := category(t, "sleep")
	hkv, _ := sleep.NormalizeValue(hk, "5")
	hcv, _ := sleep.NormalizeValue(hc, "5")
	if hkv != "asleep_rem" || hcv != "asleep_deep" {
		t.Errorf(`"5" = %q in HealthKit and %q in Health Connect; want asleep_rem and asleep_deep`, hkv, hcv)
	}
	if v, ok := sleep.NormalizeValue(cn, "5"); ok {
		t.Errorf(`canonical "5" = %q, want rejected`, v)
	}
}

func TestSleepRejectsUnknownValues(t *testing.T) {
	sleep := category(t, "sleep")
	for _, tc := range []struct {
		d   catalog.Dialect
		raw string
	}{
		{hk, ""}, {hk, "6"}, {hk, "-1"}, {hk, "napping"}, {hc, "8"}, {hc, ""},
		{hk, "OUT_OF_BED"}, // Health Connect only
		{catalog.Dialect("garmin"), "3"},
	} {
		if v, ok := sleep.NormalizeValue(tc.d, tc.raw); ok {
			t.Errorf("NormalizeValue(%s, %q) = %q, want rejected", tc.d, tc.raw, v)
		}
	}
}

func TestStandHourValues(t *testing.T) {
	stand := category(t, "stand_hour")
	cases := map[string]string{
		"0": "stood", "1": "idle",
		"HKCategoryValueAppleStandHourStood": "stood", "HKCategoryValueAppleStandHourIdle": "idle",
		"stood": "stood", "idle": "idle",
	}
	for raw, want := range cases {
		got, ok := stand.NormalizeValue(hk, raw)
		if !ok || got != want {
			t.Errorf("NormalizeValue(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	if v, ok := stand.NormalizeValue(hk, "2"); ok {
		t.Errorf(`"2" = %q, want rejected`, v)
	}
}

func TestValuelessCategoriesAcceptAnything(t *testing.T) {
	for _, name := range []string{
		"mindful_session", "high_heart_rate_event", "low_heart_rate_event", "irregular_heart_rhythm_event",
	} {
		cat := category(t, name)
		if len(cat.Values) != 0 {
			t.Errorf("%s has values %v", name, cat.Values)
		}
		for _, raw := range []string{"", "0", "HKCategoryValueNotApplicable", "anything"} {
			for _, d := range []catalog.Dialect{hk, hc, cn} {
				got, ok := cat.NormalizeValue(d, raw)
				if !ok || got != "" {
					t.Errorf("%s.NormalizeValue(%s, %q) = %q, %v; want \"\", true", name, d, raw, got, ok)
				}
			}
		}
	}
}

func TestEveryCanonicalValueNormalizesToItself(t *testing.T) {
	for _, cat := range catalog.New().Categories() {
		for _, v := range cat.Values {
			for _, d := range []catalog.Dialect{hk, hc, cn} {
				got, ok := cat.NormalizeValue(d, v)
				if !ok || got != v {
					t.Errorf("%s.NormalizeValue(%s, %q) = %q, %v", cat.Name, d, v, got, ok)
				}
			}
		}
	}
}
