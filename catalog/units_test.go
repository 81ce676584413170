package catalog_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"healthsync/catalog"
)

type conv struct {
	metric  string
	value   float64
	unit    string
	dialect catalog.Dialect
	want    float64
}

func runConversions(t *testing.T, cases []conv) {
	t.Helper()
	c := catalog.New()
	for _, tc := range cases {
		m, ok := c.Lookup(tc.metric)
		if !ok {
			t.Fatalf("metric %s not found", tc.metric)
		}
		got, err := c.Convert(m, tc.value, tc.unit, tc.dialect)
		if err != nil {
			t.Errorf("Convert(%s, %v %q, %s): %v", tc.metric, tc.value, tc.unit, tc.dialect, err)
			continue
		}
		if !approxEqual(got, tc.want) {
			t.Errorf("Convert(%s, %v %q, %s) = %.15g, want %.15g", tc.metric, tc.value, tc.unit, tc.dialect, got, tc.want)
		}
	}
}

// approxEqual compares to 1e-12 relative: the factors are exact by definition, so
// only floating-point rounding may differ.
func approxEqual(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

const (
	hk = catalog.HealthKit
	hc = catalog.HealthConnect
	cn = catalog.Canonical
)

func TestConvertEnergy(t *testing.T) {
	runConversions(t, []conv{
		{"active_energy_burned", 250, "kcal", hk, 250},
		{"active_energy_burned", 250, "Cal", hk, 250}, // large calorie
		{"active_energy_burned", 250000, "cal", hk, 250},
		{"active_energy_burned", 4184, "kJ", hk, 1000},
		{"active_energy_burned", 4184, "J", hk, 1},
		{"active_energy_burned", 300, "kilocalories", hc, 300},
		{"active_energy_burned", 300, "KILOCALORIES", hc, 300},
		{"active_energy_burned", 418.4, "kilojoules", hc, 100},
		{"active_energy_burned", 1000, "calories", hc, 1}, // Health Connect Energy.calories is small
		{"dietary_energy_consumed", 2092, "kJ", hk, 500},
		{"total_energy_burned", 2000, "kcal", hc, 2000},
	})
}

func TestConvertLength(t *testing.T) {
	runConversions(t, []conv{
		{"distance_walking_running", 1, "mi", hk, 1609.344},
		{"distance_walking_running", 5, "km", hk, 5000},
		{"distance_walking_running", 5, "kilometers", hc, 5000},
		{"distance_walking_running", 2, "miles", hc, 2 * 1609.344},
		{"distance_walking_running", 1234, "meters", hc, 1234},
		{"distance_swimming", 100, "yd", hk, 91.44},
		{"height", 180, "cm", hk, 1.8},
		{"height", 6, "ft", hk, 1.8288},
		{"height", 70, "in", hk, 1.778},
		{"height", 1800, "mm", hk, 1.8},
		{"waist_circumference", 32, "in", hk, 0.8128},
		{"distance_cycling", 1, "[mi_i]", cn, 1609.344},
	})
}

func TestConvertMass(t *testing.T) {
	runConversions(t, []conv{
		{"body_mass", 70, "kg", hk, 70},
		{"body_mass", 154, "lb", hk, 154 * 0.45359237},
		{"body_mass", 154, "pounds", hc, 154 * 0.45359237},
		{"body_mass", 11, "st", hk, 11 * 14 * 0.45359237},
		{"body_mass", 70000, "g", hk, 70},
		{"body_mass", 70, "kilograms", hc, 70},
		{"lean_body_mass", 16, "oz", hk, 0.45359237},
		{"dietary_protein", 1, "kg", hk, 1000},
		{"dietary_protein", 2500, "mg", hk, 2.5},
		{"dietary_protein", 1, "oz", hk, 453.59237 / 16},
		{"dietary_carbohydrates", 30, "grams", hc, 30},
		{"dietary_fat_total", 5e6, "mcg", hk, 5},
	})
}

func TestConvertTemperature(t *testing.T) {
	runConversions(t, []conv{
		{"body_temperature", 37, "degC", hk, 37},
		{"body_temperature", 100, "degF", hk, (100 - 32) * 5.0 / 9},
		{"body_temperature", 98.6, "fahrenheit", hc, 37},
		{"body_temperature", 36.6, "celsius", hc, 36.6},
		{"body_temperature", 310.15, "K", hk, 37},
		{"sleeping_wrist_temperature", 95, "°F", hk, 35},
	})
	c := catalog.New()
	m, _ := c.Lookup("body_temperature")
	got, _ := c.Convert(m, 100, "degF", hk)
	if !approxEqual(got, 37.77777777777778) {
		t.Errorf("100 degF = %v degC, want 37.777…", got)
	}
}

func TestConvertPercentDependsOnDialect(t *testing.T) {
	runConversions(t, []conv{
		{"oxygen_saturation", 0.97, "%", hk, 97}, // HealthKit: fraction
		{"oxygen_saturation", 97, "%", hc, 97},   // Health Connect: 0–100
		{"oxygen_saturation", 97, "%", cn, 97},
		{"oxygen_saturation", 97, "percent", hk, 97}, // the word is always 0–100
		{"oxygen_saturation", 97, "percent", hc, 97},
		{"body_fat_percentage", 0.215, "%", hk, 21.5},
		{"body_fat_percentage", 21.5, "percent", hc, 21.5},
	})
}

func TestConvertGlucose(t *testing.T) {
	runConversions(t, []conv{
		{"blood_glucose", 100, "mg/dL", hk, 100},
		{"blood_glucose", 5.5, "mmol<180.1558800000541>/L", hk, 5.5 * 180.1558800000541 / 10},
		{"blood_glucose", 5.5, "mmol/L", hc, 5.5 * 18.015588},
		{"blood_glucose", 5.5, "millimoles_per_liter", hc, 5.5 * 18.015588},
		{"blood_glucose", 99, "milligrams_per_deciliter", hc, 99},
		{"blood_glucose", 99, "mg/dl", hc, 99},
	})
	// The brief's rounded factor: 1 mmol/L ≈ 18.01559 mg/dL.
	c := catalog.New()
	m, _ := c.Lookup("blood_glucose")
	got, _ := c.Convert(m, 1, "mmol/L", hc)
	if math.Abs(got-18.01559) > 5e-6 {
		t.Errorf("1 mmol/L = %v mg/dL, want ≈18.01559", got)
	}
}

func TestConvertTime(t *testing.T) {
	runConversions(t, []conv{
		{"hrv_sdnn", 45, "ms", hk, 45},
		{"hrv_sdnn", 0.045, "s", hk, 45},
		{"hrv_rmssd", 38, "milliseconds", hc, 38},
		{"exercise_time", 30, "min", hk, 30},
		{"exercise_time", 1.5, "hr", hk, 90},
		{"exercise_time", 900, "s", hk, 15},
		{"stand_time", 0.5, "d", hk, 720},
		{"time_in_daylight", 2, "hours", cn, 120},
	})
}

func TestConvertVolume(t *testing.T) {
	runConversions(t, []conv{
		{"dietary_water", 250, "mL", hk, 250},
		{"dietary_water", 0.5, "L", hk, 500},
		{"dietary_water", 8, "fl_oz_us", hk, 8 * 29.5735295625},
		{"dietary_water", 10, "fl_oz_imp", hk, 284.130625},
		{"dietary_water", 1, "cup_us", hk, 236.5882365},
		{"dietary_water", 1.5, "liters", hc, 1500},
		{"dietary_water", 330, "milliliters", hc, 330},
	})
}

func TestConvertSpeed(t *testing.T) {
	runConversions(t, []conv{
		{"walking_speed", 1.4, "m/s", hk, 1.4},
		{"running_speed", 18, "km/hr", hk, 5},
		{"running_speed", 18, "km/h", cn, 5},
		{"running_speed", 10, "mi/hr", hk, 16093.44 / 3600},
		{"speed", 36, "kilometers_per_hour", hc, 10},
		{"speed", 3, "meters_per_second", hc, 3},
		{"speed", 60, "miles_per_hour", hc, 26.8224},
	})
}

func TestConvertRate(t *testing.T) {
	runConversions(t, []conv{
		{"heart_rate", 72, "count/min", hk, 72},
		{"heart_rate", 72, "/min", cn, 72},
		{"heart_rate", 72, "bpm", hc, 72},
		{"heart_rate", 1.2, "count/s", hk, 72},
		{"respiratory_rate", 16, "count/min", hk, 16},
		{"resting_heart_rate", 55, "beats_per_minute", hc, 55},
	})
}

func TestConvertPressure(t *testing.T) {
	runConversions(t, []conv{
		{"blood_pressure_systolic", 120, "mmHg", hk, 120},
		{"blood_pressure_diastolic", 80, "millimeters_of_mercury", hc, 80},
		{"blood_pressure_systolic", 16, "kPa", hk, 16000 / 133.322387415},
	})
}

func TestConvertVO2MaxSpellings(t *testing.T) {
	var cases []conv
	for _, u := range []string{
		"mL/min·kg", "mL/kg/min", "ml/kg/min", "mL/(kg·min)", "mL/kg*min", "mL/kg.min", "mL/min*kg", "mL/kg⋅min",
	} {
		cases = append(cases, conv{"vo2_max", 48.2, u, hk, 48.2})
	}
	runConversions(t, cases)
}

func TestConvertPhysicalEffort(t *testing.T) {
	runConversions(t, []conv{
		{"physical_effort", 5.4, "kcal/hr·kg", hk, 5.4},
		{"physical_effort", 5.4, "kcal/hr*kg", hk, 5.4},
		{"physical_effort", 5.4, "kcal/(h·kg)", cn, 5.4},
		{"physical_effort", 5.4, "kcal/kg/hr", hk, 5.4},
	})
}

func TestConvertPower(t *testing.T) {
	runConversions(t, []conv{
		{"running_power", 250, "W", hk, 250},
		{"power", 0.3, "kW", hc, 300},
		{"power", 250, "watts", hc, 250},
		{"basal_metabolic_rate", 1600, "kilocalories_per_day", hc, 1600},
		{"basal_metabolic_rate", 1600, "kcal/day", hc, 1600},
		{"basal_metabolic_rate", 1600, "kilocaloriesPerDay", hc, 1600},
		{"basal_metabolic_rate", 80, "watts", hc, 80 * 86400 / 4184.0},
	})
}

func TestConvertSoundAndBMI(t *testing.T) {
	runConversions(t, []conv{
		{"environmental_audio_exposure", 72, "dBASPL", hk, 72},
		{"body_mass_index", 22.4, "count", hk, 22.4},
		{"body_mass_index", 22.4, "kg/m2", cn, 22.4},
		{"steps", 1200, "count", hk, 1200},
		{"steps", 1200, "", hc, 1200},
		{"flights_climbed", 3, "", hc, 3},
	})
}

func TestConvertRejectsBadUnits(t *testing.T) {
	c := catalog.New()
	cases := []struct {
		metric, unit string
		dialect      catalog.Dialect
	}{
		{"steps", "kg", hk},                      // wrong family
		{"steps", "kg/m2", hk},                   // BMI's unit is no count
		{"heart_rate", "", hk},                   // empty only for count metrics
		{"body_mass_index", "", hk},              // canonical kg/m2, not count
		{"body_mass", "%", hk},                   // wrong family
		{"body_mass", "KG", hk},                  // no case folding of symbols
		{"distance_walking_running", "M", hk},    // mega-nothing; m and M differ
		{"distance_walking_running", "Mi", hk},   // symbols are case-sensitive
		{"active_energy_burned", "CAL", hk},      // cal or Cal? refuse to guess
		{"active_energy_burned", "Calories", hc}, // small or large? refuse to guess
		{"active_energy_burned", "furlongs", hk},
		{"heart_rate", "mmol/L", hk},
		{"heart_rate", "mmol<180.1558800000541>/L", hk},
		{"blood_glucose", "mmol<abc>/L", hk},
		{"blood_glucose", "mmol<-5>/L", hk},
		{"blood_glucose", "mg", hk},
		{"oxygen_saturation", "count", hk},
		{"basal_metabolic_rate", "kcal", hc},
		{"body_temperature", "C", hk},
		{"hrv_sdnn", "count/min", hk},
	}
	for _, tc := range cases {
		m, ok := c.Lookup(tc.metric)
		if !ok {
			t.Fatalf("metric %s not found", tc.metric)
		}
		got, err := c.Convert(m, 1, tc.unit, tc.dialect)
		if !errors.Is(err, catalog.ErrBadUnit) {
			t.Errorf("Convert(%s, %q) = %v, %v; want ErrBadUnit", tc.metric, tc.unit, got, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, m.Unit) || (tc.unit != "" && !strings.Contains(msg, tc.unit)) {
			t.Errorf("error %q names neither the unit %q nor the accepted %q", msg, tc.unit, m.Unit)
		}
	}
}

func TestConvertRejectsNonFiniteValues(t *testing.T) {
	c := catalog.New()
	m, _ := c.Lookup("steps")
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := c.Convert(m, v, "count", hk); !errors.Is(err, catalog.ErrBadValue) {
			t.Errorf("Convert(%v) error %v, want ErrBadValue", v, err)
		}
	}
}

func TestConvertUnknownCanonicalUnit(t *testing.T) {
	c := catalog.New()
	m := catalog.Metric{Name: "made_up", Unit: "furlong/fortnight"}
	if _, err := c.Convert(m, 1, "furlong/fortnight", cn); !errors.Is(err, catalog.ErrBadUnit) {
		t.Errorf("error %v, want ErrBadUnit", err)
	}
}
