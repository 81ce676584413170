package catalog

import "fmt"

// hk and hc shorten the table rows.
func hk(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "HKQuantityTypeIdentifier" + id
	}
	return out
}

func hc(records ...string) []string { return records }

// metricTable is the metric catalog. Sources: health-formats.md §1a (types,
// units, LOINC from HealthKitOnFHIR) and §2 (Health Connect records). Ranges
// are deliberately generous: they catch unit mix-ups (grams sent as kilograms,
// fractions sent as percent) and garbage, not unusual people. Cumulative
// ranges allow one sample to span a whole day, as Health Connect records may.
func metricTable() []Metric {
	core := []Metric{
		// Activity.
		{
			Name: "steps", Unit: "count", Aggregation: Cumulative, Resolution: 1, Min: 0, Max: 250000,
			HealthKit: hk("StepCount"), HealthConnect: hc("Steps"), LOINC: "55423-8",
			Description: "Number of steps.",
		},
		{
			Name: "distance_walking_running", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1000000,
			HealthKit: hk("DistanceWalkingRunning"), HealthConnect: hc("Distance"),
			Description: "Distance walked or run. Health Connect Distance carries no activity and lands here; callers may re-route it by exercise session.",
		},
		{
			Name: "distance_cycling", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1500000,
			HealthKit:   hk("DistanceCycling"),
			Description: "Distance cycled.",
		},
		{
			Name: "distance_swimming", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 100000,
			HealthKit: hk("DistanceSwimming"), LOINC: "93816-7",
			Description: "Distance swum.",
		},
		{
			Name: "flights_climbed", Unit: "count", Aggregation: Cumulative, Resolution: 1, Min: 0, Max: 10000,
			HealthKit: hk("FlightsClimbed"), HealthConnect: hc("FloorsClimbed"), LOINC: "100304-5",
			Description: "Floors (flights of stairs) climbed.",
		},
		{
			Name: "elevation_gained", Unit: "m", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 20000,
			HealthConnect: hc("ElevationGained"),
			Description:   "Elevation gained.",
		},
		{
			Name: "active_energy_burned", Unit: "kcal", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 20000,
			HealthKit: hk("ActiveEnergyBurned"), HealthConnect: hc("ActiveCaloriesBurned"), LOINC: "41981-2",
			Description: "Energy burned by activity, above the resting rate.",
		},
		{
			Name: "basal_energy_burned", Unit: "kcal", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 10000,
			HealthKit:   hk("BasalEnergyBurned"),
			Description: "Resting energy burned over the sample interval.",
		},
		{
			Name: "total_energy_burned", Unit: "kcal", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 30000,
			HealthConnect: hc("TotalCaloriesBurned"),
			Description:   "Total energy burned (active plus basal), as Health Connect reports it.",
		},
		{
			Name: "basal_metabolic_rate", Unit: "kcal/d", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 10000,
			HealthConnect: hc("BasalMetabolicRate"),
			Description:   "Basal metabolic rate: a power, never summed as energy.",
		},
		{
			Name: "exercise_time", Unit: "min", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1440,
			HealthKit:   hk("AppleExerciseTime"),
			Description: "Apple exercise minutes.",
		},
		{
			Name: "stand_time", Unit: "min", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1440,
			HealthKit:   hk("AppleStandTime"),
			Description: "Apple stand minutes.",
		},
		{
			Name: "time_in_daylight", Unit: "min", Aggregation: Cumulative, Resolution: 0.01, Min: 0, Max: 1440,
			HealthKit:   hk("TimeInDaylight"),
			Description: "Time spent in daylight.",
		},
		{
			Name: "physical_effort", Unit: "kcal/(h·kg)", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 50,
			HealthKit:   hk("PhysicalEffort"),
			Description: "Apple physical effort (metabolic equivalent rate).",
		},
		{
			Name: "walking_speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 10,
			HealthKit:   hk("WalkingSpeed"),
			Description: "Walking speed (a gait metric).",
		},
		{
			Name: "running_speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 15,
			HealthKit:   hk("RunningSpeed"),
			Description: "Running speed.",
		},
		{
			Name: "speed", Unit: "m/s", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 300,
			HealthConnect: hc("Speed"),
			Description:   "Speed of any activity (Health Connect SpeedRecord samples).",
		},
		{
			Name: "running_power", Unit: "W", Aggregation: Discrete, Resolution: 0.1, Min: 0, Max: 3000,
			HealthKit:   hk("RunningPower"),
			Description: "Running power.",
		},
		{
			Name: "power", Unit: "W", Aggregation: Discrete, Resolution: 0.1, Min: 0, Max: 5000,
			HealthConnect: hc("Power"),
			Description:   "Mechanical power of any activity (Health Connect PowerRecord samples).",
		},

		// Heart and lungs.
		{
			Name: "heart_rate", Unit: "count/min", Aggregation: Discrete, Resolution: 0.01, Min: 20, Max: 300,
			HealthKit: hk("HeartRate"), HealthConnect: hc("HeartRate"), LOINC: "8867-4",
			Description: "Heart rate. Health Connect sends a series record; the caller explodes it into points.",
		},
		{
			Name: "resting_heart_rate", Unit: "count/min", Aggregation: Discrete, Resolution: 0.01, Min: 20, Max: 250,
			HealthKit: hk("RestingHeartRate"), HealthConnect: hc("RestingHeartRate"), LOINC: "40443-4",
			Description: "Resting heart rate.",
		},
		{
			Name: "walking_heart_rate_average", Unit: "count/min", Aggregation: Discrete, Resolution: 0.01, Min: 20, Max: 300,
			HealthKit:   hk("WalkingHeartRateAverage"),
			Description: "Average heart rate while walking.",
		},
		{
			Name: "hrv_sdnn", Unit: "ms", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 1000,
			HealthKit: hk("HeartRateVariabilitySDNN"), LOINC: "80404-7",
			Description: "Heart rate variability, SDNN. Not comparable with hrv_rmssd.",
		},
		{
			Name: "hrv_rmssd", Unit: "ms", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 1000,
			HealthConnect: hc("HeartRateVariabilityRmssd"),
			Description:   "Heart rate variability, RMSSD. Not comparable with hrv_sdnn.",
		},
		{
			Name: "oxygen_saturation", Unit: "%", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 100,
			HealthKit: hk("OxygenSaturation"), HealthConnect: hc("OxygenSaturation"), LOINC: "59408-5",
			Description: "Blood oxygen saturation (SpO2), 0–100.",
		},
		{
			Name: "respiratory_rate", Unit: "count/min", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 200,
			HealthKit: hk("RespiratoryRate"), HealthConnect: hc("RespiratoryRate"), LOINC: "9279-1",
			Description: "Breaths per minute.",
		},
		{
			Name: "vo2_max", Unit: "mL/(kg·min)", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 120,
			HealthKit: hk("VO2Max"), HealthConnect: hc("Vo2Max"),
			Description: "Maximal oxygen uptake.",
		},
		{
			Name: "blood_pressure_systolic", Unit: "mmHg", Aggregation: Discrete, Resolution: 0.01, Min: 20, Max: 300,
			HealthKit: hk("BloodPressureSystolic"), HealthConnect: hc("BloodPressure.systolic"), LOINC: "8480-6",
			Description: "Systolic blood pressure. A Health Connect BloodPressure record is sent as its two parts, BloodPressure.systolic and BloodPressure.diastolic.",
		},
		{
			Name: "blood_pressure_diastolic", Unit: "mmHg", Aggregation: Discrete, Resolution: 0.01, Min: 10, Max: 250,
			HealthKit: hk("BloodPressureDiastolic"), HealthConnect: hc("BloodPressure.diastolic"), LOINC: "8462-4",
			Description: "Diastolic blood pressure. A Health Connect BloodPressure record is sent as its two parts, BloodPressure.systolic and BloodPressure.diastolic.",
		},
		{
			Name: "blood_glucose", Unit: "mg/dL", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 3000,
			HealthKit: hk("BloodGlucose"), HealthConnect: hc("BloodGlucose"), LOINC: "41653-7",
			Description: "Blood glucose concentration.",
		},

		// Body.
		{
			Name: "body_mass", Unit: "kg", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 700,
			HealthKit: hk("BodyMass"), HealthConnect: hc("Weight"), LOINC: "29463-7",
			Description: "Body weight.",
		},
		{
			Name: "body_mass_index", Unit: "kg/m2", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 250,
			HealthKit: hk("BodyMassIndex"), LOINC: "39156-5",
			Description: "Body mass index.",
		},
		{
			Name: "body_fat_percentage", Unit: "%", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 100,
			HealthKit: hk("BodyFatPercentage"), HealthConnect: hc("BodyFat"), LOINC: "41982-0",
			Description: "Body fat, 0–100.",
		},
		{
			Name: "lean_body_mass", Unit: "kg", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 700,
			HealthKit: hk("LeanBodyMass"), HealthConnect: hc("LeanBodyMass"), LOINC: "91557-9",
			Description: "Lean body mass.",
		},
		{
			Name: "height", Unit: "m", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 3,
			HealthKit: hk("Height"), HealthConnect: hc("Height"), LOINC: "8302-2",
			Description: "Body height.",
		},
		{
			Name: "waist_circumference", Unit: "m", Aggregation: Discrete, Resolution: 0.001, Min: 0, Max: 5,
			HealthKit: hk("WaistCircumference"), LOINC: "8280-0",
			Description: "Waist circumference.",
		},
		{
			Name: "body_temperature", Unit: "degC", Aggregation: Discrete, Resolution: 0.001, Min: 10, Max: 50,
			HealthKit: hk("BodyTemperature"), HealthConnect: hc("BodyTemperature"), LOINC: "8310-5",
			Description: "Body temperature.",
		},
		{
			Name: "basal_body_temperature", Unit: "degC", Aggregation: Discrete, Resolution: 0.001, Min: 10, Max: 50,
			HealthKit: hk("BasalBodyTemperature"), HealthConnect: hc("BasalBodyTemperature"),
			Description: "Basal body temperature.",
		},
		{
			Name: "sleeping_wrist_temperature", Unit: "degC", Aggregation: Discrete, Resolution: 0.001, Min: 10, Max: 50,
			HealthKit:   hk("AppleSleepingWristTemperature"),
			Description: "Wrist temperature during sleep (absolute). Health Connect SkinTemperature holds deltas and is not mapped here.",
		},

		// Environment.
		{
			Name: "environmental_audio_exposure", Unit: "dBASPL", Aggregation: Discrete, Resolution: 0.01, Min: 0, Max: 200,
			HealthKit:   hk("EnvironmentalAudioExposure"),
			Description: "Environmental sound level, A-weighted dB SPL.",
		},
	}
	return append(append(core, moreMetrics()...), nutrients()...)
}

// categoryDef is the table form of a Category: raw spellings per dialect for
// each canonical value. Non-numeric HealthKit spellings are also accepted with
// hkValuePrefix in front (the enum name export.xml writes), and non-numeric
// Health Connect spellings with hcValuePrefix.
type categoryDef struct {
	Name          string
	HealthKit     []string
	HealthConnect []string
	hkValuePrefix string
	hcValuePrefix string
	values        []valueRule
}

type valueRule struct {
	canonical string
	hk, hc    []string
}

func categoryTable() []categoryDef {
	core := []categoryDef{
		{
			Name:          "sleep",
			HealthKit:     []string{"HKCategoryTypeIdentifierSleepAnalysis"},
			HealthConnect: []string{"SleepSession", "SleepStage"},
			hkValuePrefix: "HKCategoryValueSleepAnalysis",
			hcValuePrefix: "STAGE_TYPE_",
			// HealthKit raw values: inBed 0, asleepUnspecified 1 (formerly
			// asleep), awake 2, asleepCore 3, asleepDeep 4, asleepREM 5.
			// Health Connect stage ints: UNKNOWN 0, AWAKE 1, SLEEPING 2,
			// OUT_OF_BED 3, LIGHT 4, DEEP 5, REM 6, AWAKE_IN_BED 7.
			// The words after the ints on the HealthKit side are Health Auto
			// Export's unaggregated sleep values (In Bed, Core, REM...).
			values: []valueRule{
				{canonical: "in_bed", hk: []string{"0", "inBed", "In Bed"}},
				{
					canonical: "asleep_unspecified",
					hk:        []string{"1", "asleepUnspecified", "asleep", "Unspecified"},
					hc:        []string{"0", "2", "UNKNOWN", "SLEEPING"},
				},
				{canonical: "awake", hk: []string{"2", "awake"}, hc: []string{"1", "AWAKE"}},
				{
					canonical: "asleep_core",
					hk:        []string{"3", "asleepCore", "Core"},
					hc:        []string{"4", "LIGHT", "SLEEPING_LIGHT"},
				},
				{
					canonical: "asleep_deep",
					hk:        []string{"4", "asleepDeep", "Deep"},
					hc:        []string{"5", "DEEP", "SLEEPING_DEEP"},
				},
				{
					canonical: "asleep_rem",
					hk:        []string{"5", "asleepREM", "REM"},
					hc:        []string{"6", "REM", "SLEEPING_REM"},
				},
				{canonical: "awake_out_of_bed", hc: []string{"3", "OUT_OF_BED", "AWAKE_OUT_OF_BED"}},
				{canonical: "awake_in_bed", hc: []string{"7", "AWAKE_IN_BED"}},
			},
		},
		{
			Name:          "stand_hour",
			HealthKit:     []string{"HKCategoryTypeIdentifierAppleStandHour"},
			hkValuePrefix: "HKCategoryValueAppleStandHour",
			values: []valueRule{
				{canonical: "stood", hk: []string{"0", "stood"}},
				{canonical: "idle", hk: []string{"1", "idle"}},
			},
		},
		{
			Name:          "mindful_session",
			HealthKit:     []string{"HKCategoryTypeIdentifierMindfulSession"},
			HealthConnect: []string{"MindfulnessSession"},
		},
		{
			Name:      "high_heart_rate_event",
			HealthKit: []string{"HKCategoryTypeIdentifierHighHeartRateEvent"},
		},
		{
			Name:      "low_heart_rate_event",
			HealthKit: []string{"HKCategoryTypeIdentifierLowHeartRateEvent"},
		},
		{
			Name:      "irregular_heart_rhythm_event",
			HealthKit: []string{"HKCategoryTypeIdentifierIrregularHeartRhythmEvent"},
		},
	}
	return append(core, moreCategories()...)
}

// category indexes the value spellings. A spelling that resolves to two
// canonical values within one dialect is a table bug.
func (d categoryDef) category() (Category, error) {
	c := Category{
		Name:          d.Name,
		HealthKit:     d.HealthKit,
		HealthConnect: d.HealthConnect,
	}
	if len(d.values) == 0 {
		return c, nil
	}
	c.values = map[Dialect]map[string]string{Canonical: {}, HealthKit: {}, HealthConnect: {}}
	c.raw = map[Dialect]map[string][]string{HealthKit: {}, HealthConnect: {}}
	var err error
	add := func(dl Dialect, raw, canonical string) {
		if dl != Canonical {
			c.raw[dl][canonical] = append(c.raw[dl][canonical], raw)
		}
		k := foldWord(raw)
		if prev, dup := c.values[dl][k]; dup && prev != canonical && err == nil {
			err = fmt.Errorf("category %s: %s value %q means both %s and %s", d.Name, dl, raw, prev, canonical)
		}
		c.values[dl][k] = canonical
	}
	for _, v := range d.values {
		c.Values = append(c.Values, v.canonical)
		add(Canonical, v.canonical, v.canonical)
		for _, raw := range v.hk {
			add(HealthKit, raw, v.canonical)
			if !isInteger(raw) && d.hkValuePrefix != "" {
				add(HealthKit, d.hkValuePrefix+raw, v.canonical)
			}
		}
		for _, raw := range v.hc {
			add(HealthConnect, raw, v.canonical)
			if !isInteger(raw) && d.hcValuePrefix != "" {
				add(HealthConnect, d.hcValuePrefix+raw, v.canonical)
			}
		}
	}
	return c, err
}

func isInteger(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
