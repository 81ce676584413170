package catalog

// display holds what a person reads for each metric: a name in Apple Health's words and the label its values
// carry. The label depends on the metric, not only on the unit: "count/min" is "bpm" for a heart and
// "breaths/min" for breathing, "count" is "steps" or "floors".
var display = map[string]struct{ name, unit string }{
	"steps":                        {"Steps", "steps"},
	"distance_walking_running":     {"Walking + running distance", "m"},
	"distance_cycling":             {"Cycling distance", "m"},
	"distance_swimming":            {"Swimming distance", "m"},
	"flights_climbed":              {"Flights climbed", "floors"},
	"elevation_gained":             {"Elevation gained", "m"},
	"active_energy_burned":         {"Active energy", "kcal"},
	"basal_energy_burned":          {"Resting energy", "kcal"},
	"total_energy_burned":          {"Total energy", "kcal"},
	"basal_metabolic_rate":         {"Basal metabolic rate", "kcal/day"},
	"exercise_time":                {"Exercise minutes", "min"},
	"stand_time":                   {"Stand minutes", "min"},
	"time_in_daylight":             {"Time in daylight", "min"},
	"physical_effort":              {"Physical effort", "kcal/hr·kg"},
	"walking_speed":                {"Walking speed", "m/s"},
	"running_speed":                {"Running speed", "m/s"},
	"speed":                        {"Speed", "m/s"},
	"running_power":                {"Running power", "W"},
	"power":                        {"Power", "W"},
	"heart_rate":                   {"Heart rate", "bpm"},
	"resting_heart_rate":           {"Resting heart rate", "bpm"},
	"walking_heart_rate_average":   {"Walking heart rate average", "bpm"},
	"hrv_sdnn":                     {"Heart rate variability (SDNN)", "ms"},
	"hrv_rmssd":                    {"Heart rate variability (RMSSD)", "ms"},
	"oxygen_saturation":            {"Blood oxygen", "%"},
	"respiratory_rate":             {"Respiratory rate", "breaths/min"},
	"vo2_max":                      {"Cardio fitness (VO₂ max)", "mL/kg·min"},
	"blood_pressure_systolic":      {"Blood pressure (systolic)", "mmHg"},
	"blood_pressure_diastolic":     {"Blood pressure (diastolic)", "mmHg"},
	"blood_glucose":                {"Blood glucose", "mg/dL"},
	"body_mass":                    {"Weight", "kg"},
	"body_mass_index":              {"Body mass index", "kg/m²"},
	"body_fat_percentage":          {"Body fat percentage", "%"},
	"lean_body_mass":               {"Lean body mass", "kg"},
	"height":                       {"Height", "m"},
	"waist_circumference":          {"Waist circumference", "m"},
	"body_temperature":             {"Body temperature", "°C"},
	"basal_body_temperature":       {"Basal body temperature", "°C"},
	"sleeping_wrist_temperature":   {"Sleeping wrist temperature", "°C"},
	"dietary_energy_consumed":      {"Dietary energy", "kcal"},
	"dietary_water":                {"Water", "mL"},
	"dietary_protein":              {"Protein", "g"},
	"dietary_carbohydrates":        {"Carbohydrates", "g"},
	"dietary_fat_total":            {"Total fat", "g"},
	"environmental_audio_exposure": {"Environmental sound levels", "dB"},
}

// DisplayName is the metric's name for people ("Active energy", not active_energy_burned); a metric missing
// from the table shows its canonical name, and the catalog test keeps the table complete.
func (m Metric) DisplayName() string {
	if d, ok := display[m.Name]; ok {
		return d.name
	}
	return m.Name
}

// UnitLabel is how values of the metric are labelled for people ("bpm" for count/min of a heart).
func (m Metric) UnitLabel() string {
	if d, ok := display[m.Name]; ok {
		return d.unit
	}
	return m.Unit
}
