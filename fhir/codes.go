package fhir

import "strings"

// Code systems the export writes.
const (
	SystemLOINC     = "http://loinc.org"
	SystemSNOMED    = "http://snomed.info/sct"
	SystemUCUM      = "http://unitsofmeasure.org"
	SystemHealthKit = "http://developer.apple.com/documentation/healthkit"
	SystemCategory  = "http://terminology.hl7.org/CodeSystem/observation-category"
	// healthsync's own systems, for what no public terminology names (sleep stages, activity types, sample ids).
	SystemSleepStage   = "https://healthsync.dev/fhir/CodeSystem/sleep-stage"
	SystemActivityType = "https://healthsync.dev/fhir/CodeSystem/activity-type"
	SystemComponent    = "https://healthsync.dev/fhir/CodeSystem/component"
	SystemMetric       = "https://healthsync.dev/fhir/CodeSystem/metric"
	SystemSampleID     = "urn:healthsync:sample"
	SystemSubject      = "urn:healthsync:subject"
	SystemDevice       = "urn:healthsync:device" // an uploading app installation (its device id)
	SystemSource       = "urn:healthsync:source" // a source: provider/source key
)

// Observation categories.
const (
	CategoryVitalSigns = "vital-signs"
	CategoryActivity   = "activity"
	CategoryLaboratory = "laboratory"
)

// Names the export uses beside the catalog's metric names: the blood pressure panel (a systolic and a
// diastolic sample of one source and instant), sleep samples and workouts.
const (
	BloodPressure = "blood_pressure"
	Sleep         = "sleep"
	Workout       = "workout"
)

// Code is one coding in the table.
type Code struct {
	System, Code, Display string
}

// entry is what the export says about one catalog metric (or one of the names above).
type entry struct {
	Code     Code   // the public code: LOINC, or SNOMED CT where LOINC has none
	UCUM     string // overrides the unit's UCUM spelling (steps are {steps}, not {count})
	Category string
}

// codeTable is the one place the export's codes live, keyed by catalog metric name. The codes follow US Core
// (vital signs), the HL7 Physical Activity IG and the Open mHealth/HealthKitOnFHIR mappings
// (docs: /work/shared/notes/standards-and-peers.md). A catalog metric without a row here is exported with its
// HealthKit coding and healthsync's metric code only: no public code is guessed.
var codeTable = map[string]entry{
	"heart_rate":               {Code{SystemLOINC, "8867-4", "Heart rate"}, "", CategoryVitalSigns},
	"resting_heart_rate":       {Code{SystemLOINC, "40443-4", "Heart rate --resting"}, "", CategoryVitalSigns},
	"oxygen_saturation":        {Code{SystemLOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"}, "", CategoryVitalSigns},
	"respiratory_rate":         {Code{SystemLOINC, "9279-1", "Respiratory rate"}, "", CategoryVitalSigns},
	"body_mass":                {Code{SystemLOINC, "29463-7", "Body weight"}, "", CategoryVitalSigns},
	"body_temperature":         {Code{SystemLOINC, "8310-5", "Body temperature"}, "", CategoryVitalSigns},
	"height":                   {Code{SystemLOINC, "8302-2", "Body height"}, "", CategoryVitalSigns},
	"body_mass_index":          {Code{SystemLOINC, "39156-5", "Body mass index (BMI) [Ratio]"}, "", CategoryVitalSigns},
	"blood_pressure_systolic":  {Code{SystemLOINC, "8480-6", "Systolic blood pressure"}, "", CategoryVitalSigns},
	"blood_pressure_diastolic": {Code{SystemLOINC, "8462-4", "Diastolic blood pressure"}, "", CategoryVitalSigns},
	BloodPressure:              {Code{SystemLOINC, "85354-9", "Blood pressure panel with all children optional"}, "", CategoryVitalSigns},
	// 2339-0 (glucose in blood) as US Core and Open mHealth use it; the catalog's 41653-7 (by glucometer)
	// would exclude CGM readings.
	"blood_glucose":           {Code{SystemLOINC, "2339-0", "Glucose [Mass/volume] in Blood"}, "", CategoryLaboratory},
	"body_fat_percentage":     {Code{SystemLOINC, "41982-0", "Percentage of body fat Measured"}, "", CategoryVitalSigns},
	"waist_circumference":     {Code{SystemLOINC, "8280-0", "Waist Circumference at umbilicus by Tape measure"}, "", CategoryVitalSigns},
	"lean_body_mass":          {Code{SystemLOINC, "91557-9", "Lean body mass"}, "", CategoryVitalSigns},
	"hrv_sdnn":                {Code{SystemLOINC, "80404-7", "R-R interval.standard deviation (Heart rate variability)"}, "", CategoryVitalSigns},
	"steps":                   {Code{SystemLOINC, "55423-8", "Number of steps in unspecified time Pedometer"}, "{steps}", CategoryActivity},
	"active_energy_burned":    {Code{SystemLOINC, "41981-2", "Calories burned"}, "", CategoryActivity},
	"dietary_energy_consumed": {Code{SystemLOINC, "9052-2", "Calorie intake total"}, "", ""},
	"distance_swimming":       {Code{SystemLOINC, "93816-7", "Swimming distance"}, "", CategoryActivity},
	"flights_climbed":         {Code{SystemLOINC, "100304-5", "Flights climbed"}, "", CategoryActivity},
	Sleep:                     {Code{SystemSNOMED, "248263006", "Duration of sleep (observable entity)"}, "min", CategoryActivity},
	Workout:                   {Code{SystemLOINC, "73985-4", "Exercise activity"}, "", CategoryActivity},
}

// workoutComponents code a workout's measures (LOINC where the Physical Activity IG has one).
var workoutComponents = struct{ Duration, Energy, Distance Code }{
	Duration: Code{SystemLOINC, "55411-3", "Exercise duration"},
	Energy:   Code{SystemLOINC, "41981-2", "Calories burned"},
	Distance: Code{SystemComponent, "distance", "Distance"},
}

// ucumUnits spells the catalog's canonical units in UCUM (the catalog's "%" is already 0–100).
var ucumUnits = map[string]string{
	"count": "{count}", "count/min": "/min", "%": "%", "degC": "Cel", "mmHg": "mm[Hg]", "mg/dL": "mg/dL",
	"kg": "kg", "kg/m2": "kg/m2", "m": "m", "cm": "cm", "m/s": "m/s", "kcal": "kcal", "kcal/d": "kcal/d",
	"ms": "ms", "min": "min", "L": "L", "L/min": "L/min", "W": "W", "mg": "mg", "g": "g", "mcg": "ug",
	"mL": "mL", "IU": "[iU]", "uS": "uS", "dBASPL": "dB[SPL]", "K": "K", "score": "{score}",
	"mL/(kg·min)": "mL/(kg.min)", "kcal/(h·kg)": "kcal/(h.kg)",
}

// UCUM spells a catalog metric's canonical unit in UCUM; false when the unit has no spelling (a catalog unit
// added without a row in ucumUnits, which the package tests catch).
func UCUM(metric, unit string) (string, bool) {
	if e, ok := codeTable[metric]; ok && e.UCUM != "" {
		return e.UCUM, true
	}
	u, ok := ucumUnits[unit]
	return u, ok
}

// PublicCode is the LOINC or SNOMED CT code of a name (catalog metric, BloodPressure, Sleep or Workout).
func PublicCode(name string) (Code, bool) {
	e, ok := codeTable[name]
	return e.Code, ok
}

// category is the Observation category of a name: the table's, else activity for everything measured by
// moving (the catalog's activity metrics), none for the rest (nutrition, environment).
func category(name string) string {
	if e, ok := codeTable[name]; ok {
		return e.Category
	}
	for _, p := range []string{"distance_", "steps", "exercise_", "move_", "stand_", "running_", "walking_", "cycling_",
		"swimming_", "push_", "energy", "basal_energy", "active_", "total_energy", "physical_effort", "vo2_max",
		"flights_", "elevation_", "power", "speed", "paddle_", "rowing_", "stair_", "cross_country_", "workout_",
		"estimated_workout_", "six_minute_"} {
		if strings.HasPrefix(name, p) {
			return CategoryActivity
		}
	}
	return ""
}

// NamesFor resolves a FHIR search token (system|code, |code or a bare code) to the export's names: a LOINC or
// SNOMED code, a HealthKit identifier (with resolve turning it into a catalog metric) or healthsync's metric
// code. Unknown tokens resolve to nothing.
func NamesFor(system, code string, resolve func(healthKitID string) (string, bool)) []string {
	var out []string
	if system == "" || system == SystemLOINC || system == SystemSNOMED {
		for name, e := range codeTable {
			if e.Code.Code == code && (system == "" || system == e.Code.System) {
				out = append(out, name)
			}
		}
	}
	if system == "" || system == SystemHealthKit {
		switch code {
		case hkBloodPressure:
			out = append(out, BloodPressure)
		case hkSleep:
			out = append(out, Sleep)
		case hkWorkout:
			out = append(out, Workout)
		default:
			if name, ok := resolve(code); ok {
				out = append(out, name)
			}
		}
	}
	if system == SystemMetric {
		out = append(out, code)
	}
	return out
}

// HealthKit identifiers of what the catalog holds as something other than one quantity type.
const (
	hkBloodPressure = "HKCorrelationTypeIdentifierBloodPressure"
	hkSleep         = "HKCategoryTypeIdentifierSleepAnalysis"
	hkWorkout       = "HKWorkoutTypeIdentifier"
)
