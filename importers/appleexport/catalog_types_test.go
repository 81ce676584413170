package appleexport_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// exportRecord is one Record line of an export.xml as Apple writes it: quantity records with a unit, category
// records with the enum name of their value (or HKCategoryValueNotApplicable).
type exportRecord struct {
	typ, unit, value string
	// stored is what must land: "metric=value" for quantities (value in the canonical unit), "category=value".
	stored string
}

// The types the catalog gained for issue 17, written as an export holds them: nothing of them may be unknown.
var newTypeRecords = []exportRecord{
	{"HKQuantityTypeIdentifierDietaryCaffeine", "mg", "95", "dietary_caffeine=95"},
	{"HKQuantityTypeIdentifierDietaryVitaminC", "mg", "60", "dietary_vitamin_c=60"},
	{"HKQuantityTypeIdentifierDietaryVitaminD", "mcg", "10", "dietary_vitamin_d=10"},
	{"HKQuantityTypeIdentifierDietarySugar", "g", "12.5", "dietary_sugar=12.5"},
	{"HKQuantityTypeIdentifierWalkingStepLength", "cm", "72", "walking_step_length=0.72"},
	{"HKQuantityTypeIdentifierWalkingDoubleSupportPercentage", "%", "0.28", "walking_double_support_percentage=28"},
	{"HKQuantityTypeIdentifierAppleWalkingSteadiness", "%", "0.95", "walking_steadiness=95"},
	{"HKQuantityTypeIdentifierSixMinuteWalkTestDistance", "m", "510", "six_minute_walk_test_distance=510"},
	{"HKQuantityTypeIdentifierRunningGroundContactTime", "ms", "245", "running_ground_contact_time=245"},
	{"HKQuantityTypeIdentifierRunningVerticalOscillation", "cm", "8.9", "running_vertical_oscillation=8.9"},
	{"HKQuantityTypeIdentifierCyclingCadence", "count/min", "88", "cycling_cadence=88"},
	{"HKQuantityTypeIdentifierHeadphoneAudioExposure", "dBASPL", "71.2", "headphone_audio_exposure=71.2"},
	{"HKQuantityTypeIdentifierNumberOfTimesFallen", "count", "1", "number_of_times_fallen=1"},
	{"HKQuantityTypeIdentifierPeakExpiratoryFlowRate", "L/min", "420", "peak_expiratory_flow_rate=420"},
	{"HKQuantityTypeIdentifierForcedVitalCapacity", "L", "4.1", "forced_vital_capacity=4.1"},
	{"HKQuantityTypeIdentifierInsulinDelivery", "IU", "4.5", "insulin_delivery=4.5"},
	{"HKQuantityTypeIdentifierElectrodermalActivity", "mcS", "2.5", "electrodermal_activity=2.5"},
	{"HKQuantityTypeIdentifierWaterTemperature", "degC", "24.5", "water_temperature=24.5"},
	{"HKQuantityTypeIdentifierAppleSleepingBreathingDisturbances", "count", "3", "sleeping_breathing_disturbances=3"},
	{"HKCategoryTypeIdentifierMenstrualFlow", "", "HKCategoryValueMenstrualFlowMedium", "menstrual_flow=medium"},
	{"HKCategoryTypeIdentifierMenstrualFlow", "", "HKCategoryValueVaginalBleedingHeavy", "menstrual_flow=heavy"},
	{"HKCategoryTypeIdentifierIntermenstrualBleeding", "", "HKCategoryValueNotApplicable", "intermenstrual_bleeding="},
	{"HKCategoryTypeIdentifierOvulationTestResult", "", "HKCategoryValueOvulationTestResultLuteinizingHormoneSurge", "ovulation_test=lh_surge"},
	{"HKCategoryTypeIdentifierCervicalMucusQuality", "", "HKCategoryValueCervicalMucusQualityEggWhite", "cervical_mucus=egg_white"},
	{"HKCategoryTypeIdentifierSexualActivity", "", "HKCategoryValueNotApplicable", "sexual_activity=unspecified"},
	{"HKCategoryTypeIdentifierContraceptive", "", "HKCategoryValueContraceptiveOral", "contraceptive=oral"},
	{"HKCategoryTypeIdentifierHeadache", "", "HKCategoryValueSeverityModerate", "symptom_headache=moderate"},
	{"HKCategoryTypeIdentifierMoodChanges", "", "HKCategoryValuePresencePresent", "mood_changes=present"},
	{"HKCategoryTypeIdentifierHandwashingEvent", "", "HKCategoryValueNotApplicable", "handwashing="},
	{"HKCategoryTypeIdentifierToothbrushingEvent", "", "HKCategoryValueNotApplicable", "toothbrushing="},
	{"HKCategoryTypeIdentifierLowCardioFitnessEvent", "", "HKCategoryValueLowCardioFitnessEventLowFitness", "low_cardio_fitness_event=low_fitness"},
	// The types Health Auto Export's symptoms and heartRateNotifications sections land in.
	{"HKCategoryTypeIdentifierRapidPoundingOrFlutteringHeartbeat", "", "HKCategoryValueSeverityMild", "symptom_rapid_pounding_or_fluttering_heartbeat=mild"},
	{"HKCategoryTypeIdentifierLowerBackPain", "", "HKCategoryValueSeverityNotPresent", "symptom_lower_back_pain=not_present"},
	{"HKCategoryTypeIdentifierAppetiteChanges", "", "HKCategoryValueAppetiteChangesIncreased", "appetite_changes=increased"},
	{"HKCategoryTypeIdentifierHighHeartRateEvent", "", "HKCategoryValueNotApplicable", "high_heart_rate_event="},
	{"HKCategoryTypeIdentifierLowHeartRateEvent", "", "HKCategoryValueNotApplicable", "low_heart_rate_event="},
	{"HKCategoryTypeIdentifierIrregularHeartRhythmEvent", "", "HKCategoryValueNotApplicable", "irregular_heart_rhythm_event="},
}

func TestExportWithTheNewTypesImportsEverything(t *testing.T) {
	e := newEnv(t, 0)
	// Dated from the clock: the ingest refuses the future and the import must not depend on today's date.
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -10)
	const layout = "2006-01-02 15:04:05 -0700"
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<HealthData locale=\"en_US\">\n")
	fmt.Fprintf(&b, " <ExportDate value=%q/>\n", day.AddDate(0, 0, 5).Format(layout))
	for i, r := range newTypeRecords {
		start := day.Add(time.Duration(i) * 7 * time.Minute)
		unit := ""
		if r.unit != "" {
			unit = fmt.Sprintf(" unit=%q", r.unit)
		}
		fmt.Fprintf(&b, " <Record type=%q sourceName=\"Anna's Watch\"%s startDate=%q endDate=%q value=%q>\n",
			r.typ, unit, start.Format(layout), start.Add(5*time.Minute).Format(layout), r.value)
		if r.typ == "HKCategoryTypeIdentifierMenstrualFlow" {
			b.WriteString("  <MetadataEntry key=\"HKMenstrualCycleStart\" value=\"1\"/>\n")
		}
		b.WriteString(" </Record>\n")
	}
	b.WriteString("</HealthData>\n")

	s := e.importString(b.String())
	n := int64(len(newTypeRecords))
	checkCounts(t, s, n, n, 0, 0, 0, 0)

	var got []string
	if err := e.sqlDB.Select(&got, `
		SELECT metric || '=' || trim(to_char(value, 'FM999999990.99999'), '.') FROM samples WHERE user_id = $1
		UNION ALL SELECT category || '=' || value FROM category_samples WHERE user_id = $1`, e.user); err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, g := range got {
		stored[g]++
	}
	for _, r := range newTypeRecords {
		if stored[r.stored] == 0 {
			t.Errorf("%s %s %s: nothing stored as %s (stored: %v)", r.typ, r.value, r.unit, r.stored, got)
		}
		stored[r.stored]--
	}
}
