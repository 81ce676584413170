package catalog_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"healthsync/catalog"
)

// screamingSnake turns "HeartRateVariabilityRmssd" into
// "HEART_RATE_VARIABILITY_RMSSD", the way Health Connect wrappers name types.
func screamingSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

func TestLookupResolvesEverySpellingOfEveryMetric(t *testing.T) {
	c := catalog.New()
	owner := map[string]string{} // spelling -> metric that lists it
	for _, m := range c.Metrics() {
		spellings := []string{m.Name, strings.ToUpper(m.Name)}
		for _, id := range m.HealthKit {
			if !strings.HasPrefix(id, "HKQuantityTypeIdentifier") {
				t.Errorf("%s: HealthKit id %q lacks the quantity type prefix", m.Name, id)
			}
			spellings = append(spellings, id, strings.TrimPrefix(id, "HKQuantityTypeIdentifier"))
		}
		for _, rec := range m.HealthConnect {
			if r, field, ok := strings.Cut(rec, "."); ok {
				spellings = append(spellings, rec, r+"Record."+field, screamingSnake(r)+"."+screamingSnake(field))
				continue
			}
			spellings = append(spellings, rec, rec+"Record", screamingSnake(rec))
		}
		for _, s := range spellings {
			if prev, ok := owner[s]; ok && prev != m.Name {
				t.Errorf("spelling %q listed by %s and %s", s, prev, m.Name)
			}
			owner[s] = m.Name
			got, ok := c.Lookup(s)
			if !ok {
				t.Errorf("Lookup(%q) not found, want %s", s, m.Name)
				continue
			}
			if got.Name != m.Name {
				t.Errorf("Lookup(%q) = %s, want %s", s, got.Name, m.Name)
			}
		}
	}
}

func TestLookupCoversHealthFormatsTable(t *testing.T) {
	c := catalog.New()
	// health-formats.md §1a, every HealthKit row, and the Health Connect
	// records that map one-to-one.
	cases := map[string]string{
		"HKQuantityTypeIdentifierStepCount":                     "steps",
		"HKQuantityTypeIdentifierDistanceWalkingRunning":        "distance_walking_running",
		"HKQuantityTypeIdentifierDistanceCycling":               "distance_cycling",
		"HKQuantityTypeIdentifierDistanceSwimming":              "distance_swimming",
		"HKQuantityTypeIdentifierFlightsClimbed":                "flights_climbed",
		"HKQuantityTypeIdentifierActiveEnergyBurned":            "active_energy_burned",
		"HKQuantityTypeIdentifierBasalEnergyBurned":             "basal_energy_burned",
		"HKQuantityTypeIdentifierAppleExerciseTime":             "exercise_time",
		"HKQuantityTypeIdentifierAppleStandTime":                "stand_time",
		"HKQuantityTypeIdentifierHeartRate":                     "heart_rate",
		"HKQuantityTypeIdentifierRestingHeartRate":              "resting_heart_rate",
		"HKQuantityTypeIdentifierWalkingHeartRateAverage":       "walking_heart_rate_average",
		"HKQuantityTypeIdentifierHeartRateVariabilitySDNN":      "hrv_sdnn",
		"HKQuantityTypeIdentifierOxygenSaturation":              "oxygen_saturation",
		"HKQuantityTypeIdentifierRespiratoryRate":               "respiratory_rate",
		"HKQuantityTypeIdentifierBodyMass":                      "body_mass",
		"HKQuantityTypeIdentifierBodyMassIndex":                 "body_mass_index",
		"HKQuantityTypeIdentifierBodyFatPercentage":             "body_fat_percentage",
		"HKQuantityTypeIdentifierLeanBodyMass":                  "lean_body_mass",
		"HKQuantityTypeIdentifierHeight":                        "height",
		"HKQuantityTypeIdentifierWaistCircumference":            "waist_circumference",
		"HKQuantityTypeIdentifierBodyTemperature":               "body_temperature",
		"HKQuantityTypeIdentifierAppleSleepingWristTemperature": "sleeping_wrist_temperature",
		"HKQuantityTypeIdentifierBloodGlucose":                  "blood_glucose",
		"HKQuantityTypeIdentifierBloodPressureSystolic":         "blood_pressure_systolic",
		"HKQuantityTypeIdentifierBloodPressureDiastolic":        "blood_pressure_diastolic",
		"HKQuantityTypeIdentifierVO2Max":                        "vo2_max",
		"HKQuantityTypeIdentifierDietaryEnergyConsumed":         "dietary_energy_consumed",
		"HKQuantityTypeIdentifierDietaryWater":                  "dietary_water",
		"HKQuantityTypeIdentifierDietaryProtein":                "dietary_protein",
		"HKQuantityTypeIdentifierDietaryCarbohydrates":          "dietary_carbohydrates",
		"HKQuantityTypeIdentifierDietaryFatTotal":               "dietary_fat_total",
		"HKQuantityTypeIdentifierWalkingSpeed":                  "walking_speed",
		"HKQuantityTypeIdentifierRunningSpeed":                  "running_speed",
		"HKQuantityTypeIdentifierRunningPower":                  "running_power",
		"HKQuantityTypeIdentifierEnvironmentalAudioExposure":    "environmental_audio_exposure",
		"HKQuantityTypeIdentifierTimeInDaylight":                "time_in_daylight",
		"HKQuantityTypeIdentifierPhysicalEffort":                "physical_effort",

		"Steps":                     "steps",
		"StepsRecord":               "steps",
		"STEPS":                     "steps",
		"Distance":                  "distance_walking_running",
		"FloorsClimbed":             "flights_climbed",
		"ActiveCaloriesBurned":      "active_energy_burned",
		"TotalCaloriesBurned":       "total_energy_burned",
		"BasalMetabolicRate":        "basal_metabolic_rate",
		"HeartRate":                 "heart_rate",
		"HeartRateRecord":           "heart_rate",
		"RestingHeartRate":          "resting_heart_rate",
		"HeartRateVariabilityRmssd": "hrv_rmssd",
		"OxygenSaturation":          "oxygen_saturation",
		"RespiratoryRate":           "respiratory_rate",
		"Weight":                    "body_mass",
		"BodyFat":                   "body_fat_percentage",
		"LeanBodyMass":              "lean_body_mass",
		"Height":                    "height",
		"BodyTemperature":           "body_temperature",
		"BloodGlucose":              "blood_glucose",
		"Vo2Max":                    "vo2_max",
		"VO2_MAX":                   "vo2_max",
		"Hydration":                 "dietary_water",
		"Speed":                     "speed",
		"Power":                     "power",
	}
	for typ, want := range cases {
		m, ok := c.Lookup(typ)
		if !ok || m.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", typ, m.Name, ok, want)
		}
	}
}

func TestLookupRejectsUnknownAndCategoryTypes(t *testing.T) {
	c := catalog.New()
	for _, typ := range []string{
		"", "HKQuantityTypeIdentifierNoSuchThing", "sleep", "SleepSession",
		"HKCategoryTypeIdentifierSleepAnalysis", "BloodPressure", "Nutrition", "Nutrition.noSuchField",
	} {
		if m, ok := c.Lookup(typ); ok {
			t.Errorf("Lookup(%q) = %s, want not found", typ, m.Name)
		}
	}
}

func TestHRVStatisticsStayApart(t *testing.T) {
	c := catalog.New()
	sdnn, ok1 := c.Lookup("HKQuantityTypeIdentifierHeartRateVariabilitySDNN")
	rmssd, ok2 := c.Lookup("HeartRateVariabilityRmssdRecord")
	if !ok1 || !ok2 {
		t.Fatalf("HRV lookups: sdnn %v, rmssd %v", ok1, ok2)
	}
	if sdnn.Name == rmssd.Name {
		t.Fatalf("SDNN and RMSSD both map to %s", sdnn.Name)
	}
	if sdnn.Name != "hrv_sdnn" || rmssd.Name != "hrv_rmssd" {
		t.Errorf("got %s and %s, want hrv_sdnn and hrv_rmssd", sdnn.Name, rmssd.Name)
	}
	if len(sdnn.HealthConnect) != 0 || len(rmssd.HealthKit) != 0 {
		t.Errorf("SDNN lists Health Connect %v, RMSSD lists HealthKit %v", sdnn.HealthConnect, rmssd.HealthKit)
	}
}

func TestBasalMetabolicRateIsNotEnergy(t *testing.T) {
	c := catalog.New()
	bmr, ok := c.Lookup("BasalMetabolicRateRecord")
	if !ok {
		t.Fatal("BasalMetabolicRate not found")
	}
	if bmr.Aggregation != catalog.Discrete {
		t.Errorf("aggregation %s, want DISCRETE", bmr.Aggregation)
	}
	if _, err := c.Convert(bmr, 1500, "kcal", catalog.HealthConnect); err == nil {
		t.Error("BMR accepted an energy unit")
	}
	energy, _ := c.Lookup("basal_energy_burned")
	if energy.Name == bmr.Name {
		t.Error("BMR shares the basal energy metric")
	}
	if _, err := c.Convert(energy, 1, "kcal/day", catalog.HealthKit); err == nil {
		t.Error("basal energy accepted a power unit")
	}
}

func TestMetricTableIsSane(t *testing.T) {
	c := catalog.New()
	ms := c.Metrics()
	if len(ms) < 40 {
		t.Errorf("only %d metrics", len(ms))
	}
	if !slices.IsSortedFunc(ms, func(a, b catalog.Metric) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("Metrics() not sorted by name")
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.Name] {
			t.Errorf("duplicate metric %s", m.Name)
		}
		seen[m.Name] = true
		if m.Name != strings.ToLower(m.Name) || strings.ContainsAny(m.Name, " -") {
			t.Errorf("%s: not snake_case", m.Name)
		}
		if !(m.Min < m.Max) {
			t.Errorf("%s: Min %v not below Max %v", m.Name, m.Min, m.Max)
		}
		// Differences and temperatures may go below zero; nothing that is summed may.
		if m.Min < 0 && m.Aggregation == catalog.Cumulative {
			t.Errorf("%s: cumulative with negative Min %v", m.Name, m.Min)
		}
		if m.Aggregation != catalog.Cumulative && m.Aggregation != catalog.Discrete {
			t.Errorf("%s: aggregation %q", m.Name, m.Aggregation)
		}
		if len(m.HealthKit)+len(m.HealthConnect) == 0 {
			t.Errorf("%s: no platform type maps to it", m.Name)
		}
		if m.Description == "" {
			t.Errorf("%s: no description", m.Name)
		}
		// The canonical unit must convert to itself unchanged.
		got, err := c.Convert(m, 12.5, m.Unit, catalog.Canonical)
		if err != nil || got != 12.5 {
			t.Errorf("%s: Convert(12.5 %s) = %v, %v", m.Name, m.Unit, got, err)
		}
		mid := (m.Min + m.Max) / 2
		if !m.InRange(mid) || m.InRange(m.Max+1) || m.InRange(m.Min-1) {
			t.Errorf("%s: InRange disagrees with [%v, %v]", m.Name, m.Min, m.Max)
		}
	}
	// Metrics returns a copy.
	ms[0].Name = "mutated"
	if c.Metrics()[0].Name == "mutated" {
		t.Error("Metrics() exposes the catalog's slice")
	}
}

func TestEnergyAndDistanceAreCumulativeVitalsDiscrete(t *testing.T) {
	c := catalog.New()
	want := map[string]catalog.Aggregation{
		"steps": catalog.Cumulative, "active_energy_burned": catalog.Cumulative,
		"distance_walking_running": catalog.Cumulative, "dietary_water": catalog.Cumulative,
		"heart_rate": catalog.Discrete, "body_mass": catalog.Discrete, "oxygen_saturation": catalog.Discrete,
		"blood_glucose": catalog.Discrete, "vo2_max": catalog.Discrete,
	}
	for name, agg := range want {
		m, ok := c.Lookup(name)
		if !ok || m.Aggregation != agg {
			t.Errorf("%s: aggregation %q (found %v), want %q", name, m.Aggregation, ok, agg)
		}
	}
}

func TestLookupCategory(t *testing.T) {
	c := catalog.New()
	cases := map[string]string{
		"HKCategoryTypeIdentifierSleepAnalysis":             "sleep",
		"SleepAnalysis":                                     "sleep",
		"SleepSession":                                      "sleep",
		"SleepSessionRecord":                                "sleep",
		"SLEEP_SESSION":                                     "sleep",
		"SleepStage":                                        "sleep",
		"sleep":                                             "sleep",
		"HKCategoryTypeIdentifierMindfulSession":            "mindful_session",
		"MindfulnessSession":                                "mindful_session",
		"HKCategoryTypeIdentifierAppleStandHour":            "stand_hour",
		"HKCategoryTypeIdentifierHighHeartRateEvent":        "high_heart_rate_event",
		"HKCategoryTypeIdentifierLowHeartRateEvent":         "low_heart_rate_event",
		"HKCategoryTypeIdentifierIrregularHeartRhythmEvent": "irregular_heart_rhythm_event",
	}
	for typ, want := range cases {
		got, ok := c.LookupCategory(typ)
		if !ok || got.Name != want {
			t.Errorf("LookupCategory(%q) = %q, %v; want %q", typ, got.Name, ok, want)
		}
	}
	if got, ok := c.LookupCategory("steps"); ok {
		t.Errorf("LookupCategory(steps) = %s", got.Name)
	}
	cats := c.Categories()
	if !slices.IsSortedFunc(cats, func(a, b catalog.Category) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("Categories() not sorted")
	}
	for _, cat := range cats {
		for _, s := range append(append([]string{cat.Name}, cat.HealthKit...), cat.HealthConnect...) {
			got, ok := c.LookupCategory(s)
			if !ok || got.Name != cat.Name {
				t.Errorf("LookupCategory(%q) = %q, %v; want %s", s, got.Name, ok, cat.Name)
			}
		}
	}
}

// Health Connect BloodPressure and Nutrition records carry several values; each value is its own type.
func TestMultiValueRecordFields(t *testing.T) {
	c := catalog.New()
	for typ, want := range map[string]string{
		"BloodPressure.systolic":            "blood_pressure_systolic",
		"BloodPressureRecord.diastolic":     "blood_pressure_diastolic",
		"BLOOD_PRESSURE.SYSTOLIC":           "blood_pressure_systolic",
		"Nutrition.protein":                 "dietary_protein",
		"NutritionRecord.totalCarbohydrate": "dietary_carbohydrates",
		"Nutrition.vitamin_b12":             "dietary_vitamin_b12",
		"Nutrition.energy":                  "dietary_energy_consumed",
	} {
		m, ok := c.Lookup(typ)
		if !ok || m.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", typ, m.Name, ok, want)
		}
		if catalog.RecordField(typ) == "" {
			t.Errorf("RecordField(%q) is empty", typ)
		}
	}
	if f := catalog.RecordField("HKQuantityTypeIdentifierBloodPressureSystolic"); f != "" {
		t.Errorf("RecordField of a plain type = %q", f)
	}
}

func TestCycleAndSymptomValues(t *testing.T) {
	c := catalog.New()
	cases := []struct {
		typ  string
		d    catalog.Dialect
		raw  string
		want string
	}{
		{"HKCategoryTypeIdentifierMenstrualFlow", catalog.HealthKit, "HKCategoryValueMenstrualFlowHeavy", "heavy"},
		{"HKCategoryTypeIdentifierMenstrualFlow", catalog.HealthKit, "HKCategoryValueVaginalBleedingHeavy", "heavy"},
		{"HKCategoryTypeIdentifierMenstrualFlow", catalog.HealthKit, "2", "light"},
		{"MenstruationFlowRecord", catalog.HealthConnect, "FLOW_MEDIUM", "medium"},
		{"MenstruationFlow", catalog.HealthConnect, "3", "heavy"},
		{"OvulationTest", catalog.HealthConnect, "RESULT_POSITIVE", "lh_surge"},
		{"HKCategoryTypeIdentifierOvulationTestResult", catalog.HealthKit, "HKCategoryValueOvulationTestResultPositive", "lh_surge"},
		{"HKCategoryTypeIdentifierOvulationTestResult", catalog.HealthKit, "4", "estrogen_surge"},
		{"CervicalMucus", catalog.HealthConnect, "APPEARANCE_EGG_WHITE", "egg_white"},
		{"HKCategoryTypeIdentifierCervicalMucusQuality", catalog.HealthKit, "HKCategoryValueCervicalMucusQualityEggWhite", "egg_white"},
		{"SexualActivity", catalog.HealthConnect, "PROTECTION_USED_PROTECTED", "protected"},
		{"HKCategoryTypeIdentifierHeadache", catalog.HealthKit, "HKCategoryValueSeverityModerate", "moderate"},
		{"HKCategoryTypeIdentifierLossOfSmell", catalog.HealthKit, "4", "severe"},
		{"HKCategoryTypeIdentifierMoodChanges", catalog.HealthKit, "HKCategoryValuePresencePresent", "present"},
		{"HKCategoryTypeIdentifierContraceptive", catalog.HealthKit, "HKCategoryValueContraceptiveOral", "oral"},
		{"HKCategoryTypeIdentifierLowCardioFitnessEvent", catalog.HealthKit, "1", "low_fitness"},
		{"HKCategoryTypeIdentifierHandwashingEvent", catalog.HealthKit, "HKCategoryValueNotApplicable", ""},
	}
	for _, tc := range cases {
		cat, ok := c.LookupCategory(tc.typ)
		if !ok {
			t.Errorf("LookupCategory(%q) not found", tc.typ)
			continue
		}
		got, ok := cat.NormalizeValue(tc.d, tc.raw)
		if !ok || got != tc.want {
			t.Errorf("%s %s %q = %q, %v; want %q", tc.typ, tc.d, tc.raw, got, ok, tc.want)
		}
	}
	if cat, _ := c.LookupCategory("symptom_headache"); cat.HealthKit[0] != "HKCategoryTypeIdentifierHeadache" {
		t.Errorf("symptom_headache maps to %v", cat.HealthKit)
	}
	flow, _ := c.LookupCategory("menstrual_flow")
	if _, ok := flow.NormalizeValue(catalog.HealthKit, "7"); ok {
		t.Error("menstrual flow accepted raw value 7")
	}
}
