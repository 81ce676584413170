package catalog_test

import (
	"testing"

	"healthsync/catalog"
)

func TestActivityType(t *testing.T) {
	c := catalog.New()
	cases := []struct {
		d        catalog.Dialect
		raw, out string
	}{
		{hk, "HKWorkoutActivityTypeRunning", "running"},
		{hk, "running", "running"},
		{hk, "37", "running"},
		{hk, "52", "walking"},
		{hk, "13", "cycling"},
		{hk, "46", "swimming"},
		{hk, "24", "hiking"},
		{hk, "57", "yoga"},
		{hk, "20", "functional_strength_training"},
		{hk, "50", "strength_training"},
		{hk, "HKWorkoutActivityTypeTraditionalStrengthTraining", "strength_training"},
		{hk, "63", "hiit"},
		{hk, "highIntensityIntervalTraining", "hiit"},
		{hk, "35", "rowing"},
		{hk, "16", "elliptical"},
		{hk, "44", "stair_climbing"},
		{hk, "14", "dance"},
		{hk, "41", "soccer"},
		{hk, "48", "tennis"},
		{hk, "3000", "other"},
		{hk, "HKWorkoutActivityTypeOther", "other"},

		{hc, "EXERCISE_TYPE_RUNNING", "running"},
		{hc, "RUNNING_TREADMILL", "running"},
		{hc, "56", "running"},
		{hc, "79", "walking"},
		{hc, "8", "cycling"},
		{hc, "EXERCISE_TYPE_BIKING_STATIONARY", "cycling"},
		{hc, "biking", "cycling"},
		{hc, "74", "swimming"},
		{hc, "73", "swimming"},
		{hc, "37", "hiking"},
		{hc, "83", "yoga"},
		{hc, "70", "strength_training"},
		{hc, "WEIGHTLIFTING", "strength_training"},
		{hc, "36", "hiit"},
		{hc, "53", "rowing"},
		{hc, "25", "elliptical"},
		{hc, "68", "stair_climbing"},
		{hc, "16", "dance"},
		{hc, "64", "soccer"},
		{hc, "76", "tennis"},
		{hc, "0", "other"},
		{hc, "EXERCISE_TYPE_OTHER_WORKOUT", "other"},

		// Canonical names work in every dialect.
		{cn, "functional_strength_training", "functional_strength_training"},
		{hk, "stair_climbing", "stair_climbing"},
		{hc, "hiit", "hiit"},
	}
	for _, tc := range cases {
		got, ok := c.ActivityType(tc.d, tc.raw)
		if !ok || got != tc.out {
			t.Errorf("ActivityType(%s, %q) = %q, %v; want %q", tc.d, tc.raw, got, ok, tc.out)
		}
	}
}

func TestActivityIntsFollowTheDialect(t *testing.T) {
	c := catalog.New()
	hkv, _ := c.ActivityType(hk, "37")
	hcv, _ := c.ActivityType(hc, "37")
	if hkv != "running" || hcv != "hiking" {
		t.Errorf(`"37" = %q (HealthKit), %q (Health Connect); want running, hiking`, hkv, hcv)
	}
	if v, ok := c.ActivityType(cn, "37"); ok {
		t.Errorf(`canonical "37" = %q, want unknown`, v)
	}
}

func TestActivityTypeUnknown(t *testing.T) {
	c := catalog.New()
	for _, tc := range []struct {
		d   catalog.Dialect
		raw string
	}{
		{hk, ""}, {hk, "quidditch"}, {hk, "81"}, {hk, "9999"}, {hc, "1"}, {hc, "3000"},
		{hk, "EXERCISE_TYPE_BIKING"}, // a Health Connect name is not HealthKit
	} {
		if v, ok := c.ActivityType(tc.d, tc.raw); ok {
			t.Errorf("ActivityType(%s, %q) = %q, want unknown", tc.d, tc.raw, v)
		}
	}
}

func TestEveryCanonicalActivityWorksInEveryDialect(t *testing.T) {
	c := catalog.New()
	names := c.Activities()
	if len(names) < 60 {
		t.Errorf("only %d activities", len(names))
	}
	for _, name := range names {
		for _, d := range []catalog.Dialect{hk, hc, cn} {
			got, ok := c.ActivityType(d, name)
			if !ok || got != name {
				t.Errorf("ActivityType(%s, %q) = %q, %v", d, name, got, ok)
			}
		}
	}
}
