package catalog

import "strings"

// moreCategories continues categoryTable: cycle tracking, reproductive
// health, symptoms, hygiene events and the heart and hearing notifications.
// HealthKit raw values are those of the HKCategoryValue… enums; Health
// Connect ones those of the androidx record constants.
func moreCategories() []categoryDef {
	// HKCategoryValueVaginalBleeding (iOS 18) renamed HKCategoryValueMenstrualFlow, keeping the raw values.
	flow := func(v string, hkRaw string, hc ...string) valueRule {
		hkv := []string{hkRaw, v, "HKCategoryValueVaginalBleeding" + strings.ToUpper(v[:1]) + v[1:]}
		return valueRule{canonical: v, hk: hkv, hc: hc}
	}
	flowValues := []valueRule{
		flow("unspecified", "1", "0", "UNKNOWN"),
		flow("light", "2", "1", "LIGHT"),
		flow("medium", "3", "2", "MEDIUM"),
		flow("heavy", "4", "3", "HEAVY"),
		flow("none", "5"),
	}
	defs := []categoryDef{
		{
			Name:          "menstrual_flow",
			HealthKit:     []string{"HKCategoryTypeIdentifierMenstrualFlow"},
			HealthConnect: []string{"MenstruationFlow"},
			hkValuePrefix: "HKCategoryValueMenstrualFlow",
			hcValuePrefix: "FLOW_",
			values:        flowValues,
		},
		{
			Name:          "bleeding_during_pregnancy",
			HealthKit:     []string{"HKCategoryTypeIdentifierBleedingDuringPregnancy"},
			hkValuePrefix: "HKCategoryValueMenstrualFlow",
			values:        flowValues,
		},
		{
			Name:          "bleeding_after_pregnancy",
			HealthKit:     []string{"HKCategoryTypeIdentifierBleedingAfterPregnancy"},
			hkValuePrefix: "HKCategoryValueMenstrualFlow",
			values:        flowValues,
		},
		{
			Name:          "menstruation_period",
			HealthConnect: []string{"MenstruationPeriod"},
		},
		{
			Name:          "intermenstrual_bleeding",
			HealthKit:     []string{"HKCategoryTypeIdentifierIntermenstrualBleeding"},
			HealthConnect: []string{"IntermenstrualBleeding"},
		},
		{
			Name:          "ovulation_test",
			HealthKit:     []string{"HKCategoryTypeIdentifierOvulationTestResult"},
			HealthConnect: []string{"OvulationTest"},
			hkValuePrefix: "HKCategoryValueOvulationTestResult",
			hcValuePrefix: "RESULT_",
			// HealthKit's deprecated "positive" is the LH surge; Health Connect's POSITIVE is the LH surge and
			// HIGH the estrogen rise before it.
			values: []valueRule{
				{canonical: "negative", hk: []string{"1", "negative"}, hc: []string{"3", "NEGATIVE"}},
				{canonical: "lh_surge", hk: []string{"2", "luteinizingHormoneSurge", "positive"}, hc: []string{"1", "POSITIVE"}},
				{canonical: "indeterminate", hk: []string{"3", "indeterminate"}, hc: []string{"0", "INCONCLUSIVE"}},
				{canonical: "estrogen_surge", hk: []string{"4", "estrogenSurge"}, hc: []string{"2", "HIGH"}},
			},
		},
		{
			Name:          "cervical_mucus",
			HealthKit:     []string{"HKCategoryTypeIdentifierCervicalMucusQuality"},
			HealthConnect: []string{"CervicalMucus"},
			hkValuePrefix: "HKCategoryValueCervicalMucusQuality",
			hcValuePrefix: "APPEARANCE_",
			values: []valueRule{
				{canonical: "unknown", hc: []string{"0", "UNKNOWN"}},
				{canonical: "dry", hk: []string{"1", "dry"}, hc: []string{"1", "DRY"}},
				{canonical: "sticky", hk: []string{"2", "sticky"}, hc: []string{"2", "STICKY"}},
				{canonical: "creamy", hk: []string{"3", "creamy"}, hc: []string{"3", "CREAMY"}},
				{canonical: "watery", hk: []string{"4", "watery"}, hc: []string{"4", "WATERY"}},
				{canonical: "egg_white", hk: []string{"5", "eggWhite"}, hc: []string{"5", "EGG_WHITE"}},
				{canonical: "unusual", hc: []string{"6", "UNUSUAL"}},
			},
		},
		{
			Name:          "sexual_activity",
			HealthKit:     []string{"HKCategoryTypeIdentifierSexualActivity"},
			HealthConnect: []string{"SexualActivity"},
			hcValuePrefix: "PROTECTION_USED_",
			// HealthKit's value is always 0 (not applicable); protection rides in the
			// HKSexualActivityProtectionUsed metadata key.
			values: []valueRule{
				{canonical: "unspecified", hk: []string{"0", "notApplicable", "HKCategoryValueNotApplicable"}, hc: []string{"0", "UNKNOWN"}},
				{canonical: "protected", hc: []string{"1", "PROTECTED"}},
				{canonical: "unprotected", hc: []string{"2", "UNPROTECTED"}},
			},
		},
		{Name: "pregnancy", HealthKit: []string{"HKCategoryTypeIdentifierPregnancy"}},
		{Name: "lactation", HealthKit: []string{"HKCategoryTypeIdentifierLactation"}},
		{
			Name:          "contraceptive",
			HealthKit:     []string{"HKCategoryTypeIdentifierContraceptive"},
			hkValuePrefix: "HKCategoryValueContraceptive",
			values: []valueRule{
				{canonical: "unspecified", hk: []string{"1", "unspecified"}},
				{canonical: "implant", hk: []string{"2", "implant"}},
				{canonical: "injection", hk: []string{"3", "injection"}},
				{canonical: "intrauterine_device", hk: []string{"4", "intrauterineDevice"}},
				{canonical: "intravaginal_ring", hk: []string{"5", "intravaginalRing"}},
				{canonical: "oral", hk: []string{"6", "oral"}},
				{canonical: "patch", hk: []string{"7", "patch"}},
			},
		},
		testResult("pregnancy_test", "PregnancyTestResult"),
		testResult("progesterone_test", "ProgesteroneTestResult"),
		{Name: "infrequent_menstrual_cycles", HealthKit: []string{"HKCategoryTypeIdentifierInfrequentMenstrualCycles"}},
		{Name: "irregular_menstrual_cycles", HealthKit: []string{"HKCategoryTypeIdentifierIrregularMenstrualCycles"}},
		{Name: "persistent_intermenstrual_bleeding", HealthKit: []string{"HKCategoryTypeIdentifierPersistentIntermenstrualBleeding"}},
		{Name: "prolonged_menstrual_periods", HealthKit: []string{"HKCategoryTypeIdentifierProlongedMenstrualPeriods"}},

		// Hygiene.
		{Name: "handwashing", HealthKit: []string{"HKCategoryTypeIdentifierHandwashingEvent"}},
		{Name: "toothbrushing", HealthKit: []string{"HKCategoryTypeIdentifierToothbrushingEvent"}},

		// Notifications.
		{
			Name:          "low_cardio_fitness_event",
			HealthKit:     []string{"HKCategoryTypeIdentifierLowCardioFitnessEvent"},
			hkValuePrefix: "HKCategoryValueLowCardioFitnessEvent",
			values:        []valueRule{{canonical: "low_fitness", hk: []string{"1", "lowFitness"}}},
		},
		{
			Name:          "walking_steadiness_event",
			HealthKit:     []string{"HKCategoryTypeIdentifierAppleWalkingSteadinessEvent"},
			hkValuePrefix: "HKCategoryValueAppleWalkingSteadinessEvent",
			values: []valueRule{
				{canonical: "initial_low", hk: []string{"1", "initialLow"}},
				{canonical: "initial_very_low", hk: []string{"2", "initialVeryLow"}},
				{canonical: "repeat_low", hk: []string{"3", "repeatLow"}},
				{canonical: "repeat_very_low", hk: []string{"4", "repeatVeryLow"}},
			},
		},
		{
			Name:          "environmental_audio_exposure_event",
			HealthKit:     []string{"HKCategoryTypeIdentifierEnvironmentalAudioExposureEvent"},
			hkValuePrefix: "HKCategoryValueEnvironmentalAudioExposureEvent",
			values:        []valueRule{{canonical: "momentary_limit", hk: []string{"1", "momentaryLimit"}}},
		},
		{
			Name:          "headphone_audio_exposure_event",
			HealthKit:     []string{"HKCategoryTypeIdentifierHeadphoneAudioExposureEvent"},
			hkValuePrefix: "HKCategoryValueHeadphoneAudioExposureEvent",
			values:        []valueRule{{canonical: "seven_day_limit", hk: []string{"1", "sevenDayLimit"}}},
		},
		{Name: "sleep_apnea_event", HealthKit: []string{"HKCategoryTypeIdentifierSleepApneaEvent"}},
	}
	for _, s := range symptomTypes {
		defs = append(defs, symptom(s))
	}
	// Two symptom types record presence, one the direction of a change, not a severity.
	presence := []valueRule{
		{canonical: "present", hk: []string{"0", "present"}},
		{canonical: "not_present", hk: []string{"1", "notPresent"}},
	}
	defs = append(defs,
		categoryDef{Name: "mood_changes", HealthKit: []string{"HKCategoryTypeIdentifierMoodChanges"},
			hkValuePrefix: "HKCategoryValuePresence", values: presence},
		categoryDef{Name: "sleep_changes", HealthKit: []string{"HKCategoryTypeIdentifierSleepChanges"},
			hkValuePrefix: "HKCategoryValuePresence", values: presence},
		categoryDef{Name: "appetite_changes", HealthKit: []string{"HKCategoryTypeIdentifierAppetiteChanges"},
			hkValuePrefix: "HKCategoryValueAppetiteChanges", values: []valueRule{
				{canonical: "unspecified", hk: []string{"0", "unspecified"}},
				{canonical: "no_change", hk: []string{"1", "noChange"}},
				{canonical: "decreased", hk: []string{"2", "decreased"}},
				{canonical: "increased", hk: []string{"3", "increased"}},
			}},
	)
	return defs
}

func testResult(name, hkType string) categoryDef {
	return categoryDef{
		Name:          name,
		HealthKit:     []string{"HKCategoryTypeIdentifier" + hkType},
		hkValuePrefix: "HKCategoryValue" + hkType,
		values: []valueRule{
			{canonical: "negative", hk: []string{"1", "negative"}},
			{canonical: "positive", hk: []string{"2", "positive"}},
			{canonical: "indeterminate", hk: []string{"3", "indeterminate"}},
		},
	}
}

// symptomTypes are the HealthKit symptom category types valued by
// HKCategoryValueSeverity, by identifier suffix.
var symptomTypes = []string{
	"AbdominalCramps", "Acne", "BladderIncontinence", "Bloating", "BreastPain", "ChestTightnessOrPain", "Chills",
	"Constipation", "Coughing", "Diarrhea", "Dizziness", "DrySkin", "Fainting", "Fatigue", "Fever",
	"GeneralizedBodyAche", "HairLoss", "Headache", "Heartburn", "HotFlashes", "LossOfSmell", "LossOfTaste",
	"LowerBackPain", "MemoryLapse", "Nausea", "NightSweats", "PelvicPain", "RapidPoundingOrFlutteringHeartbeat",
	"RunnyNose", "ShortnessOfBreath", "SinusCongestion", "SkippedHeartbeat", "SoreThroat", "VaginalDryness",
	"Vomiting", "Wheezing",
}

func symptom(hkSuffix string) categoryDef {
	return categoryDef{
		Name:          "symptom_" + snake(hkSuffix),
		HealthKit:     []string{"HKCategoryTypeIdentifier" + hkSuffix},
		hkValuePrefix: "HKCategoryValueSeverity",
		values: []valueRule{
			{canonical: "unspecified", hk: []string{"0", "unspecified"}},
			{canonical: "not_present", hk: []string{"1", "notPresent"}},
			{canonical: "mild", hk: []string{"2", "mild"}},
			{canonical: "moderate", hk: []string{"3", "moderate"}},
			{canonical: "severe", hk: []string{"4", "severe"}},
		},
	}
}

// snake turns an identifier suffix such as "LossOfSmell" into "loss_of_smell".
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if 'A' <= r && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
