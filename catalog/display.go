package catalog

import "strings"

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
	// Added with the catalog's growth to the whole of HealthKit and Health Connect.
	"atrial_fibrillation_burden":         {"AFib history", "%"},
	"blood_alcohol_content":              {"Blood alcohol content", "%"},
	"body_water_mass":                    {"Body water mass", "kg"},
	"bone_mass":                          {"Bone mass", "kg"},
	"cross_country_skiing_speed":         {"Cross-country skiing speed", "m/s"},
	"cycling_cadence":                    {"Cycling cadence", "rpm"},
	"cycling_functional_threshold_power": {"Cycling functional threshold power", "W"},
	"cycling_power":                      {"Cycling power", "W"},
	"cycling_speed":                      {"Cycling speed", "m/s"},
	"dietary_biotin":                     {"Biotin (vitamin B7)", "µg"},
	"dietary_caffeine":                   {"Caffeine", "mg"},
	"dietary_calcium":                    {"Calcium", "mg"},
	"dietary_chloride":                   {"Chloride", "mg"},
	"dietary_cholesterol":                {"Cholesterol", "mg"},
	"dietary_chromium":                   {"Chromium", "µg"},
	"dietary_copper":                     {"Copper", "mg"},
	"dietary_energy_from_fat":            {"Energy from fat", "kcal"},
	"dietary_fat_monounsaturated":        {"Monounsaturated fat", "g"},
	"dietary_fat_polyunsaturated":        {"Polyunsaturated fat", "g"},
	"dietary_fat_saturated":              {"Saturated fat", "g"},
	"dietary_fat_trans":                  {"Trans fat", "g"},
	"dietary_fat_unsaturated":            {"Unsaturated fat", "g"},
	"dietary_fiber":                      {"Fibre", "g"},
	"dietary_folate":                     {"Folate", "µg"},
	"dietary_folic_acid":                 {"Folic acid", "µg"},
	"dietary_iodine":                     {"Iodine", "µg"},
	"dietary_iron":                       {"Iron", "mg"},
	"dietary_magnesium":                  {"Magnesium", "mg"},
	"dietary_manganese":                  {"Manganese", "mg"},
	"dietary_molybdenum":                 {"Molybdenum", "µg"},
	"dietary_niacin":                     {"Niacin (vitamin B3)", "mg"},
	"dietary_pantothenic_acid":           {"Pantothenic acid (vitamin B5)", "mg"},
	"dietary_phosphorus":                 {"Phosphorus", "mg"},
	"dietary_potassium":                  {"Potassium", "mg"},
	"dietary_riboflavin":                 {"Riboflavin (vitamin B2)", "mg"},
	"dietary_selenium":                   {"Selenium", "µg"},
	"dietary_sodium":                     {"Sodium", "mg"},
	"dietary_sugar":                      {"Sugar", "g"},
	"dietary_thiamin":                    {"Thiamin (vitamin B1)", "mg"},
	"dietary_vitamin_a":                  {"Vitamin A", "µg"},
	"dietary_vitamin_b12":                {"Vitamin B12", "µg"},
	"dietary_vitamin_b6":                 {"Vitamin B6", "mg"},
	"dietary_vitamin_c":                  {"Vitamin C", "mg"},
	"dietary_vitamin_d":                  {"Vitamin D", "µg"},
	"dietary_vitamin_e":                  {"Vitamin E", "mg"},
	"dietary_vitamin_k":                  {"Vitamin K", "µg"},
	"dietary_zinc":                       {"Zinc", "mg"},
	"distance_cross_country_skiing":      {"Cross-country skiing distance", "m"},
	"distance_downhill_snow_sports":      {"Downhill snow sports distance", "m"},
	"distance_paddle_sports":             {"Paddle sports distance", "m"},
	"distance_rowing":                    {"Rowing distance", "m"},
	"distance_skating_sports":            {"Skating distance", "m"},
	"distance_wheelchair":                {"Wheelchair distance", "m"},
	"electrodermal_activity":             {"Electrodermal activity", "µS"},
	"environmental_sound_reduction":      {"Environmental sound reduction", "dB"},
	"estimated_workout_effort_score":     {"Estimated workout effort", "of 10"},
	"forced_expiratory_volume_1":         {"Forced expiratory volume, 1 s (FEV1)", "L"},
	"forced_vital_capacity":              {"Forced vital capacity (FVC)", "L"},
	"headphone_audio_exposure":           {"Headphone audio levels", "dB"},
	"heart_rate_recovery_one_minute":     {"Cardio recovery", "bpm"},
	"inhaler_usage":                      {"Inhaler usage", "puffs"},
	"insulin_delivery":                   {"Insulin delivery", "IU"},
	"move_time":                          {"Move minutes", "min"},
	"nike_fuel":                          {"NikeFuel", "points"},
	"number_of_alcoholic_beverages":      {"Alcoholic beverages", "drinks"},
	"number_of_times_fallen":             {"Number of times fallen", "falls"},
	"paddle_sports_speed":                {"Paddle sports speed", "m/s"},
	"peak_expiratory_flow_rate":          {"Peak expiratory flow rate", "L/min"},
	"peripheral_perfusion_index":         {"Peripheral perfusion index", "%"},
	"push_count":                         {"Wheelchair pushes", "pushes"},
	"rowing_speed":                       {"Rowing speed", "m/s"},
	"running_ground_contact_time":        {"Running ground contact time", "ms"},
	"running_stride_length":              {"Running stride length", "m"},
	"running_vertical_oscillation":       {"Running vertical oscillation", "cm"},
	"six_minute_walk_test_distance":      {"Six-minute walk", "m"},
	"skin_temperature_delta":             {"Skin temperature (change from baseline)", "°C"},
	"sleeping_breathing_disturbances":    {"Breathing disturbances", "per hour"},
	"stair_ascent_speed":                 {"Stair speed: up", "m/s"},
	"stair_descent_speed":                {"Stair speed: down", "m/s"},
	"steps_cadence":                      {"Step cadence", "steps/min"},
	"swimming_stroke_count":              {"Swimming strokes", "strokes"},
	"underwater_depth":                   {"Underwater depth", "m"},
	"uv_exposure":                        {"UV index", "UV index"},
	"walking_asymmetry_percentage":       {"Walking asymmetry", "%"},
	"walking_double_support_percentage":  {"Double support time", "%"},
	"walking_steadiness":                 {"Walking steadiness", "%"},
	"walking_step_length":                {"Walking step length", "m"},
	"water_temperature":                  {"Water temperature", "°C"},
	"workout_effort_score":               {"Workout effort", "of 10"},
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

// categoryDisplay names the category types in Apple Health's words. Symptom types (symptom_*) are not listed:
// their names read well as they are ("symptom_lower_back_pain" is "Lower back pain").
var categoryDisplay = map[string]string{
	"sleep":                              "Sleep",
	"stand_hour":                         "Stand hours",
	"mindful_session":                    "Mindful minutes",
	"high_heart_rate_event":              "High heart rate notification",
	"low_heart_rate_event":               "Low heart rate notification",
	"irregular_heart_rhythm_event":       "Irregular rhythm notification",
	"menstrual_flow":                     "Menstruation",
	"bleeding_during_pregnancy":          "Bleeding during pregnancy",
	"bleeding_after_pregnancy":           "Bleeding after pregnancy",
	"menstruation_period":                "Period",
	"intermenstrual_bleeding":            "Spotting",
	"ovulation_test":                     "Ovulation test result",
	"cervical_mucus":                     "Cervical mucus quality",
	"sexual_activity":                    "Sexual activity",
	"pregnancy":                          "Pregnancy",
	"lactation":                          "Lactation",
	"contraceptive":                      "Contraceptives",
	"pregnancy_test":                     "Pregnancy test result",
	"progesterone_test":                  "Progesterone test result",
	"infrequent_menstrual_cycles":        "Infrequent periods",
	"irregular_menstrual_cycles":         "Irregular cycles",
	"persistent_intermenstrual_bleeding": "Persistent spotting",
	"prolonged_menstrual_periods":        "Prolonged periods",
	"handwashing":                        "Handwashing",
	"toothbrushing":                      "Toothbrushing",
	"low_cardio_fitness_event":           "Low cardio fitness notification",
	"walking_steadiness_event":           "Walking steadiness notification",
	"environmental_audio_exposure_event": "Environmental sound level notification",
	"headphone_audio_exposure_event":     "Headphone audio level notification",
	"sleep_apnea_event":                  "Breathing disturbances notification",
	"mood_changes":                       "Mood changes",
	"sleep_changes":                      "Sleep changes",
	"appetite_changes":                   "Appetite changes",
}

// symptomPrefix starts the names of the HealthKit symptom category types.
const symptomPrefix = "symptom_"

// DisplayName is the category's name for people ("Spotting", not intermenstrual_bleeding); a symptom type is
// named by its words ("Lower back pain"); the catalog test keeps every other category in categoryDisplay.
func (c Category) DisplayName() string {
	if n, ok := categoryDisplay[c.Name]; ok {
		return n
	}
	words := strings.ReplaceAll(strings.TrimPrefix(c.Name, symptomPrefix), "_", " ")
	if words == "" {
		return c.Name
	}
	return strings.ToUpper(words[:1]) + words[1:]
}
